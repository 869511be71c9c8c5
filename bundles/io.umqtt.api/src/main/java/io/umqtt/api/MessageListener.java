package io.umqtt.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Receives the messages of a subscription made through {@link MqttConnection#subscribe}.
 * It is called on the connection's own thread, in arrival order; it should return quickly.
 * An exception it throws is logged and does not affect the connection or other listeners, except
 * on a connection that acknowledges after processing (the umqtt components'
 * {@code ack.after.processing}): there an exception on a QoS 1 message closes the connection
 * without the ack, after the other listeners had the message, so that the broker redelivers it
 * (see {@link AckHold} and {@link MqttMessage#holdAck()}; since 1.4).
 */
@ConsumerType
@FunctionalInterface
public interface MessageListener {
    void messageArrived(MqttMessage message) throws Exception;
}
