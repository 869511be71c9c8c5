package io.umqtt.simple;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * MQTT 5 enhanced authentication (section 4.12): a challenge/response method such as SCRAM or
 * Kerberos, set with {@link MqttClient#setAuthenticator(Authenticator)}. The client sends
 * {@link #method()} and {@link #initialData()} in CONNECT; the broker may then answer with AUTH
 * packets (reason code 0x18, continue authentication) carrying challenge data, each of which the
 * client passes to {@link #challenge(byte[])} and answers with an AUTH carrying the returned data,
 * until the broker sends CONNACK. The same exchange runs again for
 * {@link MqttClient#reauthenticate()}, started by an AUTH with reason code 0x19 and ended by the
 * broker's AUTH with reason code 0x00 (success).
 * <p>
 * Every AUTH the broker sends must carry the method of CONNECT (MQTT-4.12.0-5); one that does not,
 * and any AUTH when no authenticator is set (MQTT-4.12.0-6), is a protocol error that closes the
 * connection. An authenticator that throws ends the exchange: the connect (or re-authentication)
 * fails with {@link io.umqtt.api.MqttException.Reason#AUTHENTICATION_FAILED} caused by what it threw,
 * and the connection is closed.
 * <p>
 * Threading: the methods are called on the thread that connects (during {@code connect}) or on the
 * thread that reads the broker's AUTH (the reader: {@code loop}, {@code waitMsg}, or the thread in
 * {@code reauthenticate}), one at a time for a client; an authenticator shared by several clients
 * must be thread-safe. They must not call the client.
 *
 * @since 1.5
 */
@ConsumerType
public interface Authenticator {
    /**
     * The authentication method, e.g. {@code "SCRAM-SHA-256"}: the Authentication Method property of
     * CONNECT and of every AUTH. Must not change while the client uses the authenticator.
     */
    String method();

    /**
     * The Authentication Data of CONNECT (a new exchange: called at every connect) and of the
     * AUTH that starts a re-authentication, or null to send none.
     *
     * @param reauthentication false for CONNECT, true for a re-authentication
     * @throws IOException to give up: nothing is sent, the connect or re-authentication fails
     */
    byte[] initialData(boolean reauthentication) throws IOException;

    /**
     * Answers the broker's challenge: the Authentication Data of its AUTH with reason code 0x18.
     *
     * @param data the broker's Authentication Data, or null when its AUTH carried none
     * @return the Authentication Data of the client's answer (AUTH with reason code 0x18), or null
     *         to send none
     * @throws IOException to refuse the challenge (the broker cannot be trusted, the data is
     *         malformed): the exchange ends and the connection is closed
     */
    byte[] challenge(byte[] data) throws IOException;

    /**
     * The broker accepted the authentication: a CONNACK with reason code 0x00, or an AUTH with
     * reason code 0x00 that ends a re-authentication. Does nothing by default.
     *
     * @param data the Authentication Data of that CONNACK or AUTH (a method may verify the broker
     *        with it), or null when it carried none
     * @throws IOException when the final data does not verify the broker: the connection is closed
     *         and the connect (re-authentication) fails
     */
    default void succeeded(byte[] data) throws IOException {
    }

    /**
     * The exchange ended without success: the broker refused (a CONNACK reason code of 0x80 or more,
     * or a DISCONNECT during a re-authentication), the connection was lost, or the client gave up
     * (a protocol error of the broker, an exception of this authenticator, a timeout). Does nothing
     * by default; must not throw.
     *
     * @param reasonCode the broker's reason code, or {@link io.umqtt.api.MqttException#NO_RETURN_CODE}
     *        when the client ended the exchange
     * @param reasonString the broker's reason string, or the client's explanation; may be null
     */
    default void failed(int reasonCode, String reasonString) {
    }
}
