package io.umqtt.api;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An MQTT 3.1.1 connection, registered as an OSGi service by the umqtt client components
 * with the properties named in {@link MqttConstants}. All methods may be called from any thread.
 */
@ProviderType
public interface MqttConnection {

    /** The connection's name ({@link MqttConstants#NAME}). */
    String name();

    /** The current state. */
    ConnectionState state();

    /** Shorthand for {@code state() == CONNECTED}. */
    default boolean isConnected() {
        return state() == ConnectionState.CONNECTED;
    }

    /**
     * Publishes a message. At QoS 0 it returns once the packet is written; at QoS 1 once the
     * broker's PUBACK for it has arrived.
     *
     * @throws IllegalArgumentException for a bad topic (empty, wildcards, too long) or QoS
     * @throws IOException when the connection is down, or the PUBACK does not arrive in time
     */
    void publish(byte[] topic, byte[] payload, int qos, boolean retain) throws IOException;

    /**
     * {@link #publish(byte[], byte[], int, boolean)} with the topic encoded as UTF-8.
     *
     * @throws IllegalArgumentException also for a topic with a lone surrogate (an unpaired half of
     *         a UTF-16 pair), which UTF-8 cannot encode
     */
    default void publish(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        publish(MqttUtf8.encode("topic", topic), payload, qos, retain);
    }

    /**
     * Subscribes to a topic filter and delivers its messages to {@code listener}; returns the
     * QoS the broker granted.
     * <p>
     * A listener subscribed under several filters that match one received message is called
     * once for it. Subscribing a filter again with the same listener is idempotent apart from
     * the QoS asked for (the broker re-sends its retained messages): the listener still gets each
     * message once. The {@code io.umqtt.whiteboard} bundle relies on both.
     * <p>
     * Several listeners may share a filter: the broker holds one subscription per filter, asked
     * at the highest QoS any of them wants, so a listener asking QoS 0 never lowers another's
     * QoS 1. Each listener leaves with {@link #unsubscribe(String, MessageListener)}.
     * <p>
     * A {@link MatchingListener} matches topics itself: from API 1.3 on, a connection hands it
     * every received message through {@link MatchingListener#route} while it is subscribed to at
     * least one filter, without matching the message against its filters first.
     *
     * @throws IllegalArgumentException for a bad filter or QoS
     * @throws MqttException with reason SUBSCRIPTION_REFUSED when the broker refuses it (0x80)
     * @throws IOException when the connection is down or the SUBACK does not arrive in time
     */
    int subscribe(String filter, int qos, MessageListener listener) throws IOException;

    /**
     * Unsubscribes the filter and drops every listener registered for it, whoever subscribed
     * them. Code sharing a connection with others (the whiteboard, shell commands) uses
     * {@link #unsubscribe(String, MessageListener)} instead.
     *
     * @throws IllegalArgumentException for a bad filter
     * @throws IOException when the connection is down or the UNSUBACK does not arrive in time
     *         (the listeners are dropped all the same)
     */
    void unsubscribe(String filter) throws IOException;

    /**
     * Drops {@code listener}'s subscription to {@code filter}; the broker is told to unsubscribe
     * only when no other listener of this connection remains subscribed to that filter. Unknown
     * pairs are ignored.
     *
     * @return whether the filter had no listener left, so that it was unsubscribed at the broker
     * @throws IllegalArgumentException for a bad filter or a null listener
     * @throws IOException when the connection is down or the UNSUBACK does not arrive in time
     *         (the listener is dropped all the same)
     * @since 1.1
     */
    boolean unsubscribe(String filter, MessageListener listener) throws IOException;
}
