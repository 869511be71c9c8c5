package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttConstants;

/**
 * Encodes PUBLISH (MQTT 3.1.1 section 3.3): the first byte with DUP, QoS and RETAIN (3.3.1), the
 * topic name and, at QoS 1, the packet identifier (3.3.2), then the payload. {@link #head} writes
 * all but the payload into the caller's buffer, so that a publish allocates nothing. The
 * arguments are checked by the caller (topic name, QoS); the size is checked here. Stateless.
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
}
