package io.umqtt.simple.internal.codec;

/**
 * Encodes UNSUBSCRIBE (MQTT 3.1.1 section 3.10) for one or several topic filters: the reserved
 * flags 0b0010 (MQTT-3.10.1-1), the packet identifier, then each filter. The filters are checked
 * by the caller, which also keeps the packet within the maximum remaining length
 * ({@link #remainingLength}). Stateless.
 * <p>
 * MQTT 5 ({@link #encode5}, section 3.10 of MQTT 5): after the packet identifier the properties
 * (their length as a variable byte integer, then User Properties, which the caller encodes).
 */
public final class UnsubscribeEncoder {
    /** UNSUBSCRIBE with its reserved flags 0b0010. */
    public static final int HEADER = 0xA2;

    private UnsubscribeEncoder() {
    }

    /** The whole UNSUBSCRIBE packet for one filter. */
    public static byte[] encode(int packetId, byte[] filter) {
        return encode(packetId, new byte[][] {filter}, 0, 1);
    }

    /**
     * The whole UNSUBSCRIBE packet for {@code filters[from..to)}; its remaining length
     * ({@link #remainingLength}) must be at most
     * {@link io.umqtt.api.MqttConstants#MAX_REMAINING_LENGTH}.
     */
    public static byte[] encode(int packetId, byte[][] filters, int from, int to) {
        int rem = (int) remainingLength(filters, from, to);
        byte[] b = Wire.packet(HEADER, rem);
        int p = Wire.putU16(b, 1 + FixedHeader.varIntSize(rem), packetId);
        for (int i = from; i < to; i++) {
            p = Wire.putString(b, p, filters[i]);
        }
        return b;
    }

    /**
     * The whole MQTT 5 UNSUBSCRIBE packet for {@code filters[from..to)} with {@code properties}
     * (possibly empty); its remaining length
     * ({@link #remainingLength5}) must be at most
     * {@link io.umqtt.api.MqttConstants#MAX_REMAINING_LENGTH}.
     */
    public static byte[] encode5(int packetId, PropertyWriter properties, byte[][] filters, int from, int to) {
        int rem = (int) remainingLength5(properties.encodedLength(), filters, from, to);
        byte[] b = Wire.packet(HEADER, rem);
        int p = Wire.putU16(b, 1 + FixedHeader.varIntSize(rem), packetId);
        p = properties.writeTo(b, p);
        for (int i = from; i < to; i++) {
            p = Wire.putString(b, p, filters[i]);
        }
        return b;
    }

    /** The remaining length of an MQTT 5 UNSUBSCRIBE: {@link #remainingLength} plus the property block ({@link PropertyWriter#encodedLength()}). */
    public static long remainingLength5(int propertyBlock, byte[][] filters, int from, int to) {
        return remainingLength(filters, from, to) + propertyBlock;
    }

    /** The remaining length of an UNSUBSCRIBE of {@code filters[from..to)}; may exceed a packet's. */
    public static long remainingLength(byte[][] filters, int from, int to) {
        long rem = 2;
        for (int i = from; i < to; i++) {
            rem += entryLength(filters[i].length);
        }
        return rem;
    }

    /** What one filter of {@code filterBytes} adds to an UNSUBSCRIBE: length prefix and bytes. */
    public static int entryLength(int filterBytes) {
        return 2 + filterBytes;
    }
}
