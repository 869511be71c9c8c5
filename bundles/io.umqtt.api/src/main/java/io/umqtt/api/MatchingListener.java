package io.umqtt.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A {@link MessageListener} that matches topics against its filters itself: one listener
 * subscribed under many filters on one connection, keeping its own index of them (as the
 * {@code io.umqtt.whiteboard} bundle does), so that each received message is matched once, by
 * that index, instead of once by the connection and again by the listener.
 * <p>
 * A connection that knows this type (the umqtt client components from API 1.3 on) does not match
 * the topic against this listener's filters: while the listener is subscribed to at least one
 * filter, the connection calls {@link #route} with every message it receives, in arrival order,
 * and never {@code messageArrived}. A connection that does not know it calls
 * {@link #messageArrived} for the messages that match one of the listener's filters, as for any
 * listener; an implementation must handle both.
 *
 * @since 1.3
 */
@ConsumerType
public interface MatchingListener extends MessageListener {
    /**
     * A received message, not matched against this listener's filters yet.
     *
     * @return whether the topic matched one of this listener's filters: it then took the message
     *         (its arrays belong to it, and the connection hands further listeners a copy); when
     *         false, it neither kept nor changed the message, and the connection may hand the
     *         same instance on
     * @throws Exception logged by the connection, which counts the message as taken
     */
    boolean route(MqttMessage message) throws Exception;
}
