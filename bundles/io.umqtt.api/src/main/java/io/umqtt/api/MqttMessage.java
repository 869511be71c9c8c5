package io.umqtt.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A received PUBLISH. Topic and payload are the bytes from the wire; the arrays belong to the
 * receiver, which may keep them. The view is immutable.
 */
@ProviderType
public interface MqttMessage {
    /** The topic name as received (UTF-8 bytes). */
    byte[] topic();

    /** The topic decoded from UTF-8, once, on first call. */
    String topicString();

    /** The payload (possibly empty, never null). */
    byte[] payload();

    /** The QoS the message was delivered with (0, 1 or 2). */
    int qos();

    /** Whether the broker delivered it as a retained message. */
    boolean retain();

    /** Whether the broker marked it as a possible redelivery. */
    boolean dup();

    /** The connection it arrived on. */
    MqttConnection connection();

    /**
     * The same message with its own copies of topic and payload, for a further receiver (the
     * arrays of this one belong to its receiver).
     *
     * @since 1.1
     */
    MqttMessage copy();

    /**
     * Takes a hold on this message's acknowledgement: when its connection acknowledges after
     * processing, the PUBACK of this QoS 1 message then waits until the hold is released (see
     * {@link AckHold}). Call it while the message is being delivered to you (in
     * {@link MessageListener#messageArrived} or {@link MatchingListener#route}, on the thread
     * calling it); a copy holds the same acknowledgement as its original.
     *
     * @return the hold; {@link AckHold#NONE} for a QoS 0 message on such a connection; {@code null}
     *         when the connection acknowledges on receipt (the default), so nothing can be held
     * @throws IllegalStateException when called after delivery, or on another thread
     * @since 1.4
     */
    default AckHold holdAck() {
        return null;
    }

    /**
     * The MQTT 5 properties the message came with; {@link MqttProperties#EMPTY} when it carried
     * none and on MQTT 3.1.1 connections.
     *
     * @since 1.5
     */
    default MqttProperties properties() {
        return MqttProperties.EMPTY;
    }
}
