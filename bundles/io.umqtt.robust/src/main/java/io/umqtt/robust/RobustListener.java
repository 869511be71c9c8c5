package io.umqtt.robust;

import java.io.IOException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Hears what a {@link RobustMqttClient} does to keep its connection. Called on the thread that
 * does it; must return quickly and not call back into the client's blocking methods.
 */
@ConsumerType
public interface RobustListener {
    /** CONNACK accepted and the remembered subscriptions restored; the offline queue is sent next. */
    default void connected(String server, int port, boolean sessionPresent) {
    }

    /**
     * A connection the broker had accepted was lost (not closed on purpose); called once for every
     * accepted connection, also when it broke while subscriptions were restored or the offline
     * queue was sent, before {@link #connected} was called for it.
     */
    default void connectionLost(IOException cause) {
    }

    /**
     * A connect attempt failed with {@code cause} (no CONNACK accepting it); {@code attempt} is the
     * number of unsuccessful attempts in a row, counting connections lost before they were stable
     * ({@link ReconnectPolicy}); the next one starts after {@code delayMillis}.
     */
    default void reconnectFailed(int attempt, long delayMillis, IOException cause) {
    }

    /** The reconnect policy's attempts are used up; {@link RobustMqttClient#runForever()} ends. */
    default void gaveUp(IOException cause) {
    }

    /** A message the client accepted was dropped (offline queue overflow); nothing is dropped silently. */
    default void messageDropped(byte[] topic, byte[] payload, int qos, String reason) {
    }

    /** A remembered subscription could not be restored after a reconnect. */
    default void subscriptionFailed(String filter, IOException cause) {
    }
}
