package io.umqtt.api;

import java.io.IOException;

/**
 * An MQTT-level failure: the broker refused something, it broke the protocol, or it did not
 * answer in time. Plain socket failures are ordinary {@link IOException}s; bad arguments are
 * {@link IllegalArgumentException}s.
 */
public class MqttException extends IOException {
    private static final long serialVersionUID = 1L;

    /** The return code of failures that carry none from the broker. */
    public static final int NO_RETURN_CODE = -1;

    /** What went wrong. */
    public enum Reason {
        /**
         * CONNACK with a non-zero return code: 1..5 as MQTT 3.1.1 defines them, or a reserved code
         * 6..255 as it came (named "unknown return code N"); see {@link MqttException#returnCode()}.
         */
        CONNECTION_REFUSED,
        /** SUBACK with the failure return code 0x80. */
        SUBSCRIPTION_REFUSED,
        /** The peer sent a malformed or unexpected packet. */
        PROTOCOL_ERROR,
        /** An expected packet (CONNACK, an ack, the rest of a packet, a PINGRESP) did not arrive in time. */
        TIMEOUT,
        /**
         * MQTT 5: a PUBACK, PUBREC or PUBCOMP with a reason code of 0x80 or more; the code is
         * {@link MqttException#returnCode()}, the broker's reason string {@link MqttException#reasonString()}.
         *
         * @since 1.5
         */
        PUBLISH_REFUSED,
        /**
         * MQTT 5: an UNSUBACK reason code of 0x80 or more for the filter.
         *
         * @since 1.5
         */
        UNSUBSCRIBE_REFUSED,
        /**
         * MQTT 5: the server ended the connection with a DISCONNECT packet; its reason code is
         * {@link MqttException#returnCode()} and its reason string {@link MqttException#reasonString()}.
         * Not a lost socket.
         *
         * @since 1.5
         */
        DISCONNECTED_BY_SERVER,
        /**
         * MQTT 5: enhanced authentication failed (an AUTH exchange the authenticator refused, or a
         * CONNACK reason code 0x8C bad authentication method after one).
         *
         * @since 1.5
         */
        AUTHENTICATION_FAILED
    }

    private final Reason reason;
    private final int returnCode;
    private final String reasonString;
    private final String serverReference;

    public MqttException(Reason reason, int returnCode, String message) {
        this(reason, returnCode, null, message);
    }

    /**
     * @param reasonString the MQTT 5 reason string the broker sent with the code, or null
     * @since 1.5
     */
    public MqttException(Reason reason, int returnCode, String reasonString, String message) {
        this(reason, returnCode, reasonString, null, message);
    }

    /**
     * @param reasonString the MQTT 5 reason string the broker sent with the code, or null
     * @param serverReference the MQTT 5 Server Reference the broker sent with the code (a CONNACK
     *        or DISCONNECT saying "use another server" or "server moved"), or null
     * @since 1.5
     */
    public MqttException(Reason reason, int returnCode, String reasonString, String serverReference,
            String message) {
        super(message);
        this.reason = reason;
        this.returnCode = returnCode;
        this.reasonString = reasonString;
        this.serverReference = serverReference;
    }

    public MqttException(Reason reason, String message) {
        this(reason, NO_RETURN_CODE, message);
    }

    public MqttException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.returnCode = NO_RETURN_CODE;
        this.reasonString = null;
        this.serverReference = null;
    }

    /**
     * The MQTT 5 Server Reference the broker sent with its CONNACK or DISCONNECT (typically with
     * reason code 0x9C "use another server" or 0x9D "server moved"): the server to use instead, as
     * the broker wrote it; null when it sent none.
     *
     * @since 1.5
     */
    public String serverReference() {
        return serverReference;
    }

    /**
     * The MQTT 5 reason string the broker sent with its reason code (a diagnostic text), or null.
     *
     * @since 1.5
     */
    public String reasonString() {
        return reasonString;
    }

    /**
     * A human-readable name of an MQTT 5 reason code (section 2.4), e.g. "not authorized" for
     * 0x87; "unknown reason code 0xNN" for a code MQTT 5 does not define.
     *
     * @since 1.5
     */
    public static String reasonCodeName(int code) {
        switch (code) {
            case 0x00: return "success";
            case 0x01: return "granted QoS 1";
            case 0x02: return "granted QoS 2";
            case 0x04: return "disconnect with will message";
            case 0x10: return "no matching subscribers";
            case 0x11: return "no subscription existed";
            case 0x18: return "continue authentication";
            case 0x19: return "re-authenticate";
            case 0x80: return "unspecified error";
            case 0x81: return "malformed packet";
            case 0x82: return "protocol error";
            case 0x83: return "implementation specific error";
            case 0x84: return "unsupported protocol version";
            case 0x85: return "client identifier not valid";
            case 0x86: return "bad user name or password";
            case 0x87: return "not authorized";
            case 0x88: return "server unavailable";
            case 0x89: return "server busy";
            case 0x8A: return "banned";
            case 0x8B: return "server shutting down";
            case 0x8C: return "bad authentication method";
            case 0x8D: return "keep alive timeout";
            case 0x8E: return "session taken over";
            case 0x8F: return "topic filter invalid";
            case 0x90: return "topic name invalid";
            case 0x91: return "packet identifier in use";
            case 0x92: return "packet identifier not found";
            case 0x93: return "receive maximum exceeded";
            case 0x94: return "topic alias invalid";
            case 0x95: return "packet too large";
            case 0x96: return "message rate too high";
            case 0x97: return "quota exceeded";
            case 0x98: return "administrative action";
            case 0x99: return "payload format invalid";
            case 0x9A: return "retain not supported";
            case 0x9B: return "QoS not supported";
            case 0x9C: return "use another server";
            case 0x9D: return "server moved";
            case 0x9E: return "shared subscriptions not supported";
            case 0x9F: return "connection rate exceeded";
            case 0xA0: return "maximum connect time";
            case 0xA1: return "subscription identifiers not supported";
            case 0xA2: return "wildcard subscriptions not supported";
            default: return String.format("unknown reason code 0x%02X", code);
        }
    }

    /** What went wrong. */
    public Reason reason() {
        return reason;
    }

    /**
     * The MQTT return code the broker sent, or {@link #NO_RETURN_CODE}: for
     * {@link Reason#CONNECTION_REFUSED} the CONNACK return code, 1..5, or a code 6..255 that
     * MQTT 3.1.1 reserves, reported unchanged; for {@link Reason#SUBSCRIPTION_REFUSED} 0x80. On an
     * MQTT 5 connection it is the MQTT 5 reason code (0x80 and up for failures, see
     * {@link #reasonCodeName}) of the CONNACK, SUBACK, UNSUBACK, PUBACK, PUBREC, PUBCOMP or
     * DISCONNECT that carried it; for {@link Reason#PROTOCOL_ERROR} on an MQTT 5 connection the
     * reason code of the DISCONNECT the client sent before closing (0x81 malformed packet, 0x82
     * protocol error, 0x93 receive maximum exceeded, 0x94 topic alias invalid, 0x95 packet too large).
     */
    public int returnCode() {
        return returnCode;
    }

    /**
     * A human-readable name of a CONNACK return code of MQTT 3.1.1; "unknown return code N" for
     * a code that MQTT 3.1.1 does not define.
     */
    public static String connackReturnCodeName(int code) {
        switch (code) {
            case 0: return "connection accepted";
            case 1: return "unacceptable protocol version";
            case 2: return "identifier rejected";
            case 3: return "server unavailable";
            case 4: return "bad user name or password";
            case 5: return "not authorized";
            default: return "unknown return code " + code;
        }
    }
}
