package io.umqtt.robust.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.PublishToken;

/**
 * What the robust parts ({@link Reconnector}, {@link Outbox}, {@link Subscriptions}) may do to
 * their client beyond its public {@code MqttClient} API: the simple client's protected operations
 * on the current connection (write a PUBLISH, await its PUBACK, fail the connection, connect to
 * another server), SUBSCRIBE/UNSUBSCRIBE without the robust bookkeeping, and umqtt.robust's
 * overridable hooks. {@code RobustMqttClient} implements it with a private adapter (in its
 * package-private superclass {@code DrivenMqttClient}, on {@link ClientPortBase}).
 */
public interface ClientPort {
    /** Closes the current connection as failed ({@code LOST}) with {@code cause}. */
    void fail(IOException cause);

    /** Closes the current connection without DISCONNECT, leaving the robust client reusable. */
    void closeConnection();

    /**
     * Writes a PUBLISH ({@code MqttClient.sendPublish}) with the MQTT 5 {@code properties} (the
     * entry's, or with what remains of its message expiry interval); at QoS 1 returns the handle
     * to await its PUBACK with, at QoS 0 null.
     */
    PublishToken send(OfflineQueue.Entry e, MqttProperties properties, boolean dup, int packetId) throws IOException;

    /**
     * Writes a QoS 2 PUBLISH, first handing its packet id to {@code beforeWrite} (the durable
     * queue's STEP record); returns the handle to await its PUBCOMP with.
     */
    PublishToken sendQos2(OfflineQueue.Entry e, MqttProperties properties, boolean dup, int packetId,
            StepRecorder beforeWrite) throws IOException;

    /**
     * The broker's MQTT 5 Receive Maximum on the current connection (how many QoS 1 and 2
     * PUBLISHes may await their ack), 65,535 when it gave none or on MQTT 3.1.1.
     */
    int receiveMaximum();

    /** Records the packet id of a QoS 2 PUBLISH before it is written. */
    @FunctionalInterface
    interface StepRecorder {
        void record(int packetId) throws IOException;
    }

    /** Resumes a QoS 2 flow at PUBREL under {@code e.packetId}; returns the handle to await its PUBCOMP with. */
    PublishToken sendPubrel(OfflineQueue.Entry e) throws IOException;

    /** Whether the PUBREC of the QoS 2 publish {@code sent} was read. */
    boolean pubrecReceived(PublishToken sent);

    /** Waits at most the ack timeout for the PUBACK of {@code sent} ({@code MqttClient.awaitPuback}). */
    void awaitPuback(PublishToken sent) throws IOException;

    /** SUBSCRIBE on the current connection, without remembering it. */
    int subscribeNow(String filter, int qos) throws IOException;

    /** UNSUBSCRIBE on the current connection, without forgetting it. */
    void unsubscribeNow(String filter) throws IOException;

    /**
     * One SUBSCRIBE of several filters on the current connection, without remembering them;
     * returns each filter's granted QoS or 0x80 ({@code MqttClient.subscribe(String[], int[])}).
     */
    int[] subscribeNow(String[] filters, int[] qos) throws IOException;

    /**
     * MQTT 5: SUBSCRIBE with options on the current connection, without remembering it; returns
     * the granted QoS ({@code MqttClient.subscribe(String, SubscriptionOptions)}).
     */
    int subscribeNow(String filter, SubscriptionOptions options) throws IOException;

    /**
     * MQTT 5: SUBSCRIBE of several filters with options on the current connection (one packet per
     * subscription identifier), without remembering them; returns per filter the granted QoS or
     * the reason code of 0x80 or more.
     *
     * @param userProperties null for none
     */
    int[] subscribeNow(String[] filters, SubscriptionOptions[] options, List<UserProperty> userProperties)
            throws IOException;

    /** MQTT 5: UNSUBSCRIBE on the current connection, without forgetting; the UNSUBACK reason codes. */
    int[] unsubscribeWithCodesNow(String[] filters, List<UserProperty> userProperties) throws IOException;

    /** One UNSUBSCRIBE of several filters on the current connection, without forgetting them. */
    void unsubscribeNow(String[] filters) throws IOException;

    /**
     * The Server Reference of the MQTT 5 DISCONNECT that ended the connection with {@code disconnect}
     * (reason DISCONNECTED_BY_SERVER), or null when it carried none.
     */
    String serverReference(io.umqtt.api.MqttException disconnect);

    /** The protocol version of the current (or last) connection: 4 (MQTT 3.1.1) or 5. */
    int protocolVersion();

    /**
     * MQTT 5: the session expiry interval in force on the current connection, seconds: the one the
     * broker's CONNACK gave, else the one the client sent (0 when none).
     */
    long sessionExpiryInterval();

    /** One connect attempt to {@code host:port} through the overridable {@code connect} hook. */
    void connectAttempt(String host, int port) throws IOException;

    /** umqtt.robust's {@code delay(i)} hook. */
    void delay(int attempt) throws InterruptedIOException;

    /** The overridable backoff of the {@code attempt}-th unsuccessful attempt in a row. */
    long backoffMillis(int attempt);

    /** umqtt.robust's {@code log(in_reconnect, e)} hook. */
    void log(boolean inReconnect, Throwable e);
}
