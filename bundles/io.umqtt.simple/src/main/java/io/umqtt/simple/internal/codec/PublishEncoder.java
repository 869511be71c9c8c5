package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttProperties;

/**
 * Encodes PUBLISH (MQTT 3.1.1 section 3.3): the first byte with DUP, QoS and RETAIN (3.3.1), the
 * topic name and, at QoS 1, the packet identifier (3.3.2), then the payload. {@link #head} writes
 * all but the payload into the caller's buffer, so that a publish allocates nothing. The
 * arguments are checked by the caller (topic name, QoS); the size is checked here. Stateless.
 * <p>
 * MQTT 5 ({@link #head5}): after the packet identifier the property length and the properties:
 * a Topic Alias when the client uses one, then the message's properties as {@link #properties}
 * encoded them. With an alias already mapped the topic name is left empty (section 3.3.2.3.4).
 */
public final class PublishEncoder {
    /** First byte of PUBLISH before the DUP, QoS and RETAIN flags. */
    public static final int HEADER = 0x30;
    public static final int FLAG_DUP = 0x08;
    public static final int FLAG_RETAIN = 0x01;
    public static final int QOS_SHIFT = 1;
    public static final int QOS_MASK = 0x06;

    private PublishEncoder() {
    }

    /**
     * The remaining length of a PUBLISH.
     *
     * @throws IllegalArgumentException when it exceeds what MQTT allows ("message too large: ...")
     */
    public static int remainingLength(int topicLength, int payloadLength, int qos) {
        long rem = 2L + topicLength + (qos > 0 ? 2 : 0) + payloadLength;
        if (rem > MqttConstants.MAX_REMAINING_LENGTH) {
            throw new IllegalArgumentException("message too large: topic and payload need " + rem
                    + " bytes, MQTT allows at most " + MqttConstants.MAX_REMAINING_LENGTH);
        }
        return (int) rem;
    }

    /**
     * Writes a PUBLISH's fixed header, topic and packet id (not the payload) at {@code b[0]};
     * returns the number of bytes written. {@code b} must hold {@code 5 + 2 + topic.length + 2}.
     */
    public static int head(byte[] b, byte[] topic, int payloadLength, int qos, boolean retain, boolean dup,
            int packetId) {
        int rem = remainingLength(topic.length, payloadLength, qos);
        b[0] = (byte) (HEADER | (dup ? FLAG_DUP : 0) | (qos << QOS_SHIFT) | (retain ? FLAG_RETAIN : 0));
        int p = FixedHeader.writeVarInt(b, 1, rem);
        p = Wire.putString(b, p, topic);
        if (qos > 0) {
            p = Wire.putU16(b, p, packetId);
        }
        return p;
    }

    /** A whole PUBLISH packet (tests and small messages). */
    public static byte[] encode(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, int packetId) {
        int rem = remainingLength(topic.length, payload.length, qos);
        byte[] b = new byte[1 + FixedHeader.varIntSize(rem) + rem];
        int p = head(b, topic, payload.length, qos, retain, dup, packetId);
        System.arraycopy(payload, 0, b, p, payload.length);
        return b;
    }

    /** Bytes {@link #head5} writes at most besides the topic and the encoded properties. */
    public static final int HEAD5_OVERHEAD = 5 + 2 + 2 + 4 + PropertyWriter.TWO_BYTE_PROPERTY;

    /**
     * The remaining length of an MQTT 5 PUBLISH, as a long (it may exceed what MQTT allows).
     *
     * @param topicLength the bytes of the topic sent (0 when an alias stands for it)
     * @param propertiesLength the bytes of the properties, Topic Alias included, without their length
     */
    public static long remainingLength5(int topicLength, int payloadLength, int qos, int propertiesLength) {
        return 2L + topicLength + (qos > 0 ? 2 : 0) + Properties.varIntSize(propertiesLength) + propertiesLength
                + payloadLength;
    }

    /**
     * Writes an MQTT 5 PUBLISH's fixed header, topic, packet id and properties (not the payload)
     * at {@code b[0]}; returns the number of bytes written. {@code b} must hold
     * {@link #HEAD5_OVERHEAD} + {@code topic.length} + {@code properties.length}.
     *
     * @param sendTopic false to send an empty topic name ({@code alias} stands for it)
     * @param alias the Topic Alias to send, 0 for none
     * @param properties the encoded message properties ({@link #properties}), null for none
     * @throws IllegalArgumentException when the packet exceeds what MQTT allows ("message too large: ...")
     */
    public static int head5(byte[] b, byte[] topic, boolean sendTopic, int payloadLength, int qos, boolean retain,
            boolean dup, int packetId, int alias, byte[] properties) {
        int propertiesLength = (alias > 0 ? PropertyWriter.TWO_BYTE_PROPERTY : 0)
                + (properties == null ? 0 : properties.length);
        long rem = remainingLength5(sendTopic ? topic.length : 0, payloadLength, qos, propertiesLength);
        if (rem > MqttConstants.MAX_REMAINING_LENGTH) {
            throw new IllegalArgumentException("message too large: topic, properties and payload need " + rem
                    + " bytes, MQTT allows at most " + MqttConstants.MAX_REMAINING_LENGTH);
        }
        b[0] = (byte) (HEADER | (dup ? FLAG_DUP : 0) | (qos << QOS_SHIFT) | (retain ? FLAG_RETAIN : 0));
        int p = FixedHeader.writeVarInt(b, 1, (int) rem);
        if (sendTopic) {
            p = Wire.putString(b, p, topic);
        } else {
            b[p++] = 0;
            b[p++] = 0;
        }
        if (qos > 0) {
            p = Wire.putU16(b, p, packetId);
        }
        p = FixedHeader.writeVarInt(b, p, propertiesLength);
        if (alias > 0) {
            p = PropertyWriter.putTwoByte(b, p, Properties.TOPIC_ALIAS, alias);
        }
        if (properties != null) {
            System.arraycopy(properties, 0, b, p, properties.length);
            p += properties.length;
        }
        return p;
    }

    /**
     * The properties of a message to publish, encoded (without their length): null for
     * {@link MqttProperties#EMPTY}, so that a message without properties allocates nothing.
     *
     * @throws IllegalArgumentException for subscription identifiers, which a client must not send
     *         in a PUBLISH (MQTT-3.3.4-6)
     */
    public static byte[] properties(MqttProperties p) {
        if (p == null || p.isEmpty()) {
            return null;
        }
        if (p.subscriptionIdentifiers().length > 0) {
            throw new IllegalArgumentException("a PUBLISH a client sends must not carry subscription identifiers "
                    + "(MQTT-3.3.4-6): they are set by the broker on the messages it delivers");
        }
        PropertyWriter w = new PropertyWriter(Properties.PUBLISH);
        if (p.payloadFormat() != MqttProperties.FORMAT_UNSPECIFIED) {
            w.putByte(Properties.PAYLOAD_FORMAT_INDICATOR, p.payloadFormat());
        }
        if (p.messageExpiryInterval() != MqttProperties.NO_EXPIRY) {
            w.putFourByte(Properties.MESSAGE_EXPIRY_INTERVAL, p.messageExpiryInterval());
        }
        if (p.contentType() != null) {
            w.putString(Properties.CONTENT_TYPE, p.contentType().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        if (p.responseTopic() != null) {
            w.putString(Properties.RESPONSE_TOPIC, p.responseTopic().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        byte[] correlation = p.correlationData();
        if (correlation != null) {
            w.putBinary(Properties.CORRELATION_DATA, correlation);
        }
        w.putUserProperties(p.userProperties());
        return w.content();
    }
}
