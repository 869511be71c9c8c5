package io.umqtt.whiteboard.internal;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttMessage;

/**
 * A received message with its own topic and payload arrays, for the second and further handlers
 * of one message (the arrays of an {@link MqttMessage} belong to its receiver). Immutable; the
 * topic string is decoded on first use (a race decodes twice to equal strings, the idiom of
 * {@link String#hashCode()}).
 */
final class MessageCopy implements MqttMessage {
    private final byte[] topic;
    private final byte[] payload;
    private final int qos;
    private final boolean retain;
    private final boolean dup;
    private final MqttConnection connection;
    /** Decoded lazily; benign race, see the class comment. */
    private String topicString;

    private MessageCopy(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup,
            MqttConnection connection) {
        this.topic = topic;
        this.payload = payload;
        this.qos = qos;
        this.retain = retain;
        this.dup = dup;
        this.connection = connection;
    }

    /** A copy of {@code m} that shares no array with it. */
    static MessageCopy of(MqttMessage m) {
        return new MessageCopy(m.topic().clone(), m.payload().clone(), m.qos(), m.retain(), m.dup(),
                m.connection());
    }

    @Override
    public byte[] topic() {
        return topic;
    }

    @Override
    public String topicString() {
        String s = topicString;
        if (s == null) {
            s = new String(topic, StandardCharsets.UTF_8);
            topicString = s;
        }
        return s;
    }

    @Override
    public byte[] payload() {
        return payload;
    }

    @Override
    public int qos() {
        return qos;
    }

    @Override
    public boolean retain() {
        return retain;
    }

    @Override
    public boolean dup() {
        return dup;
    }

    @Override
    public MqttConnection connection() {
        return connection;
    }

    @Override
    public String toString() {
        return "MqttMessage[" + topicString() + ", " + payload.length + " bytes, qos " + qos
                + (retain ? ", retain" : "") + (dup ? ", dup" : "") + "]";
    }
}
