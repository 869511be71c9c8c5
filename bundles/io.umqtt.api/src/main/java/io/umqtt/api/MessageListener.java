package io.umqtt.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives the messages of a subscription made through {@link MqttConnection#subscribe}.
 * It is called on the connection's own thread, in arrival order; it should return quickly.
 * An exception it throws is logged and does not affect the connection or other listeners.
 */
@ConsumerType
@FunctionalInterface
public interface MessageListener {
    void messageArrived(MqttMessage message) throws Exception;
}
