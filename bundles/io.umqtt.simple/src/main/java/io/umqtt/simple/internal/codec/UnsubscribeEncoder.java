package io.umqtt.simple.internal.codec;

/**
 * Encodes UNSUBSCRIBE (MQTT 3.1.1 section 3.10) for one topic filter: the reserved flags 0b0010
 * (MQTT-3.10.1-1), the packet identifier, then the filter. The filter is checked by the caller.
 * Stateless.
 */
public final class UnsubscribeEncoder {
    /** UNSUBSCRIBE with its reserved flags 0b0010. */
    public static final int HEADER = 0xA2;

    private UnsubscribeEncoder() {
    }

    /** The whole UNSUBSCRIBE packet for one filter. */
    public static byte[] encode(int packetId, byte[] filter) {
        int rem = 2 + 2 + filter.length;
        byte[] b = Wire.packet(HEADER, rem);
        int p = Wire.putU16(b, 1 + FixedHeader.varIntSize(rem), packetId);
        Wire.putString(b, p, filter);
        return b;
    }
}
