package io.umqtt.simple;

import java.io.IOException;

/**
 * The outcome of one {@link MqttClient#publishAsync publishAsync}: complete when the broker's
 * PUBACK has been read (QoS 1), at once at QoS 0, or failed when the connection was lost or the
 * publish was given up after the ack timeout. Only the clients create tokens: this one, and since
 * 1.3 clients built on it (the robust client's tokens follow a message through its offline queue).
 * <p>
 * A token completes when some thread reads its PUBACK: a loop thread, a thread in
 * {@link #await()}, or {@code publishAsync} waiting for room in its window.
 *
 * @since 1.1
 */
public abstract class PublishToken {
    /**
     * For clients built on {@link MqttClient} whose tokens outlive one connection.
     *
     * @since 1.3
     */
    protected PublishToken() {
    }

    /** The PUBLISH's packet identifier; 0 at QoS 0. */
    public abstract int packetId();

    /** Whether it is complete: acknowledged (QoS 1), written (QoS 0), or failed. Never blocks. */
    public abstract boolean isDone();

    /**
     * Waits until it is complete, reading from the socket when no other thread does. Returns
     * normally once acknowledged. When no PUBACK arrives within the client's ack timeout, the
     * publish is given up: this and every later call throw TIMEOUT, and a late PUBACK is counted
     * in {@link MqttClient#strayAcks()}. An interrupt ends the wait (InterruptedIOException, the
     * flag set) but not the publish.
     *
     * @throws io.umqtt.api.MqttException TIMEOUT as above
     * @throws IOException when the connection was lost first: the broker may or may not have the
     *         message
     */
    public abstract void await() throws IOException;

    /**
     * Why it failed: the connection's failure, or the TIMEOUT; {@code null} while pending and once
     * acknowledged.
     */
    public abstract IOException failure();
}
