package io.umqtt.simple.internal.codec;

/**
 * Encodes SUBSCRIBE (MQTT 3.1.1 section 3.8) for one or several topic filters: the reserved flags
 * 0b0010 (MQTT-3.8.1-1), the packet identifier, then each filter with its requested QoS, in the
 * order given (the SUBACK answers them in that order, MQTT-3.8.4-6). The filters and QoS are
 * checked by the caller, which also keeps the packet within the maximum remaining length
 * ({@link #remainingLength}). Stateless.
 * <p>
 * MQTT 5 ({@link #encode5}, section 3.8 of MQTT 5): after the packet identifier the properties
 * (their length as a variable byte integer, then the Subscription Identifier and User Properties,
 * which the caller encodes), and per filter the subscription options byte (3.8.3.1: QoS, No Local,
 * Retain As Published, Retain Handling) in place of the QoS byte.
 */
public final class SubscribeEncoder {
    /** SUBSCRIBE with its reserved flags 0b0010. */
    public static final int HEADER = 0x82;

    private SubscribeEncoder() {
    }

    /** The whole SUBSCRIBE packet for one filter, byte for byte as umqtt.simple sends it. */
    public static byte[] encode(int packetId, byte[] filter, int qos) {
        return encode(packetId, new byte[][] {filter}, new int[] {qos}, 0, 1);
    }

    /**
     * The whole SUBSCRIBE packet for {@code filters[from..to)}, each with {@code qos} at the same
     * index; its remaining length ({@link #remainingLength}) must be at most
     * {@link io.umqtt.api.MqttConstants#MAX_REMAINING_LENGTH}.
     */
    public static byte[] encode(int packetId, byte[][] filters, int[] qos, int from, int to) {
        int rem = (int) remainingLength(filters, from, to);
        byte[] b = Wire.packet(HEADER, rem);
        int p = Wire.putU16(b, 1 + FixedHeader.varIntSize(rem), packetId);
        for (int i = from; i < to; i++) {
            p = Wire.putString(b, p, filters[i]);
            b[p++] = (byte) qos[i];
        }
        return b;
    }

    /**
     * The whole MQTT 5 SUBSCRIBE packet for {@code filters[from..to)}, each with the subscription
     * options byte at the same index of {@code options}, and {@code properties} (possibly empty)
     * for the whole packet; its remaining length
     * ({@link #remainingLength5}) must be at most
     * {@link io.umqtt.api.MqttConstants#MAX_REMAINING_LENGTH}.
     */
    public static byte[] encode5(int packetId, PropertyWriter properties, byte[][] filters, int[] options, int from, int to) {
        int rem = (int) remainingLength5(properties.encodedLength(), filters, from, to);
        byte[] b = Wire.packet(HEADER, rem);
        int p = Wire.putU16(b, 1 + FixedHeader.varIntSize(rem), packetId);
        p = properties.writeTo(b, p);
        for (int i = from; i < to; i++) {
            p = Wire.putString(b, p, filters[i]);
            b[p++] = (byte) options[i];
        }
        return b;
    }

    /**
     * The remaining length of an MQTT 5 SUBSCRIBE of {@code filters[from..to)} with
     * a property block of {@code propertyBlock} bytes ({@link PropertyWriter#encodedLength()}: the
     * properties with their length): the packet identifier, the block, and per filter its length
     * prefix, its bytes and the options byte.
     */
    public static long remainingLength5(int propertyBlock, byte[][] filters, int from, int to) {
        return remainingLength(filters, from, to) + propertyBlock;
    }

    /**
     * The remaining length of a SUBSCRIBE of {@code filters[from..to)}: the packet identifier, and
     * per filter its length prefix, its bytes and the QoS byte. A long: it may exceed what a packet
     * can carry.
     */
    public static long remainingLength(byte[][] filters, int from, int to) {
        long rem = 2;
        for (int i = from; i < to; i++) {
            rem += entryLength(filters[i].length);
        }
        return rem;
    }

    /** What one filter of {@code filterBytes} adds to a SUBSCRIBE: length prefix, bytes, QoS. */
    public static int entryLength(int filterBytes) {
        return 2 + filterBytes + 1;
    }
}
