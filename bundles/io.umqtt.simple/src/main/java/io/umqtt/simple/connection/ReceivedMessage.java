package io.umqtt.simple.connection;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttMessage;

/**
 * A received PUBLISH as handed to listeners. The fields never change; the arrays are handed out
 * without copying (they belong to the receiving listener, see {@link MqttMessage}), so a message
 * going to several listeners is {@linkplain #copy() copied} for all but the first. The topic is
 * decoded on the first {@link #topicString()} call; a race between two first calls decodes twice
 * and both get equal strings (the idiom of {@link String#hashCode()}).
 */
final class ReceivedMessage implements MqttMessage {
    private final byte[] topic;
    private final byte[] payload;
    private final int qos;
    private final boolean retain;
    private final boolean dup;
    private final MqttConnection connection;
    /** Decoded lazily; benign race, see the class comment. */
    private String topicString;

    ReceivedMessage(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, MqttConnection connection) {
        this.topic = topic;
        this.payload = payload;
        this.qos = qos;
        this.retain = retain;
        this.dup = dup;
        this.connection = connection;
    }

    @Override
    public ReceivedMessage copy() {
        return new ReceivedMessage(topic.clone(), payload.clone(), qos, retain, dup, connection);
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
