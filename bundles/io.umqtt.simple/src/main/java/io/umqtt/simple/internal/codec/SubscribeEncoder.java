package io.umqtt.simple.internal.codec;

/**
 * Encodes SUBSCRIBE (MQTT 3.1.1 section 3.8) for one topic filter, as umqtt does: the reserved
 * flags 0b0010 (MQTT-3.8.1-1), the packet identifier, then the filter and its requested QoS. The
 * filter and QoS are checked by the caller. Stateless.
 */
public final class SubscribeEncoder {
    /** SUBSCRIBE with its reserved flags 0b0010. */
    public static final int HEADER = 0x82;

    private SubscribeEncoder() {
    }

    /** The whole SUBSCRIBE packet for one filter. */
    public static byte[] encode(int packetId, byte[] filter, int qos) {
        int rem = 2 + 2 + filter.length + 1;
        byte[] b = Wire.packet(HEADER, rem);
        int p = Wire.putU16(b, 1 + FixedHeader.varIntSize(rem), packetId);
        p = Wire.putString(b, p, filter);
        b[p] = (byte) qos;
        return b;
    }
}
