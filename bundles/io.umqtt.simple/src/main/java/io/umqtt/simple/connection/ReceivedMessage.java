package io.umqtt.simple.connection;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.AckHold;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.MqttProperties;
import io.umqtt.simple.MqttClient;

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
    /** The client that received it: holds its ack ({@link #holdAck()}); null where nothing can be held. */
    private final MqttClient receiver;
    /** The MQTT 5 properties; {@link MqttProperties#EMPTY} when it carried none (and on MQTT 3.1.1). */
    private final MqttProperties properties;
    /** Decoded lazily; benign race, see the class comment. */
    private String topicString;

    ReceivedMessage(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, MqttConnection connection) {
        this(topic, payload, qos, retain, dup, connection, null);
    }

    ReceivedMessage(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, MqttConnection connection,
            MqttClient receiver) {
        this(topic, payload, qos, retain, dup, connection, receiver, MqttProperties.EMPTY);
    }

    ReceivedMessage(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, MqttConnection connection,
            MqttClient receiver, MqttProperties properties) {
        this.properties = properties == null ? MqttProperties.EMPTY : properties;
        this.receiver = receiver;
        this.topic = topic;
        this.payload = payload;
        this.qos = qos;
        this.retain = retain;
        this.dup = dup;
        this.connection = connection;
    }

    @Override
    public ReceivedMessage copy() {
        return new ReceivedMessage(topic.clone(), payload.clone(), qos, retain, dup, connection, receiver, properties);
    }

    /** Immutable, so shared by the copies. */
    @Override
    public MqttProperties properties() {
        return properties;
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

    /**
     * Null when the client acknowledges on receipt; else the client's hold on the ack of the
     * message whose callback runs (this one, when called during its delivery, as documented).
     */
    @Override
    public AckHold holdAck() {
        MqttClient c = receiver;
        return c == null || !c.ackAfterProcessing() ? null : c.holdAck();
    }

    @Override
    public String toString() {
        return "MqttMessage[" + topicString() + ", " + payload.length + " bytes, qos " + qos
                + (retain ? ", retain" : "") + (dup ? ", dup" : "") + (properties.isEmpty() ? "" : ", " + properties)
                + "]";
    }
}
