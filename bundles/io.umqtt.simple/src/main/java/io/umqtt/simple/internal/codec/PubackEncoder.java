package io.umqtt.simple.internal.codec;

/**
 * Encodes PUBACK (MQTT 3.1.1 section 3.4), the client's ack of a QoS 1 PUBLISH: {@code 40 02}
 * and the packet identifier. Written into the caller's buffer, so that an ack allocates nothing.
 * Stateless.
 */
public final class PubackEncoder {
    public static final int HEADER = 0x40;
    /** Bytes of a PUBACK. */
    public static final int LENGTH = 4;

    private PubackEncoder() {
    }

    /** Writes PUBACK into {@code b[off..off+4)}. */
    public static void encode(byte[] b, int off, int packetId) {
        b[off] = (byte) HEADER;
        b[off + 1] = 2;
        Wire.putU16(b, off + 2, packetId);
    }
}
