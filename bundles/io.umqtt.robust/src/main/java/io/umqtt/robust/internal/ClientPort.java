package io.umqtt.robust.internal;

import java.io.IOException;
import java.io.InterruptedIOException;

import io.umqtt.api.ConnectionState;
import io.umqtt.robust.RobustListener;
import io.umqtt.simple.PublishToken;

/**
 * The narrow view of one client that the robust parts ({@link Reconnector}, {@link Outbox},
 * {@link Subscriptions}) drive: the simple client's operations on the current connection and
 * umqtt.robust's overridable hooks. {@code RobustMqttClient} implements it with a private adapter
 * over {@code MqttClient}'s public and protected API; the parts never see the client itself.
 */
public interface ClientPort {
    /** For messages: the client id. */
    String clientId();

    /** For messages: the server of the current (or last) attempt. */
    String server();

    /** For messages: the port of the current (or last) attempt. */
    int port();

    int keepAliveSeconds();

    ConnectionState state();

    boolean isConnected();

    /** Why the last connection ended, or null. */
    IOException failure();

    /** Closes the current connection as failed ({@code LOST}) with {@code cause}. */
    void fail(IOException cause);

    /** Closes the current connection without DISCONNECT, leaving the robust client reusable. */
    void closeConnection();

    /**
     * Writes a PUBLISH ({@code MqttClient.sendPublish}); at QoS 1 returns the handle to await its
     * PUBACK with, at QoS 0 null.
     */
    PublishToken send(OfflineQueue.Entry e, boolean dup, int packetId) throws IOException;

    /** Waits at most the ack timeout for the PUBACK of {@code sent} ({@code MqttClient.awaitPuback}). */
    void awaitPuback(PublishToken sent) throws IOException;

    /** SUBSCRIBE on the current connection, without remembering it. */
    int subscribeNow(String filter, int qos) throws IOException;

    /** UNSUBSCRIBE on the current connection, without forgetting it. */
    void unsubscribeNow(String filter) throws IOException;

    /** One connect attempt to {@code host:port} through the overridable {@code connect} hook. */
    void connectAttempt(String host, int port) throws IOException;

    /** The loop of the current connection ({@code MqttClient.loop}). */
    void loop() throws IOException;

    /** umqtt.robust's {@code delay(i)} hook. */
    void delay(int attempt) throws InterruptedIOException;

    /** The overridable backoff of the {@code attempt}-th unsuccessful attempt in a row. */
    long backoffMillis(int attempt);

    /** umqtt.robust's {@code log(in_reconnect, e)} hook. */
    void log(boolean inReconnect, Throwable e);

    /** The listener of connection events and drops; never null. */
    RobustListener listener();
}
