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
}
