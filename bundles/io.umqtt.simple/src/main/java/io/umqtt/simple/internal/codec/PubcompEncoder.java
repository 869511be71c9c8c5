package io.umqtt.simple.internal.codec;

/**
 * Encodes PUBCOMP (MQTT 3.1.1 section 3.7), the receiver's last answer to a QoS 2 PUBLISH, after
 * the PUBREL: {@code 70 02} and the packet
 * identifier. Written into the caller's buffer, so that it allocates nothing. Stateless.
 */
public final class PubcompEncoder {
    /** The first byte: type and the fixed flags. */
    public static final int HEADER = 0x70;
    /** Bytes of a PUBCOMP. */
    public static final int LENGTH = Qos2Acks.LENGTH;

    private PubcompEncoder() {
    }

    /**
     * Writes PUBCOMP into {@code b[off..off+4)}.
     *
     * @throws IllegalArgumentException unless {@code packetId} is 1..65535
     */
    public static void encode(byte[] b, int off, int packetId) {
        Qos2Acks.encode(HEADER, b, off, packetId);
    }

    /** A new PUBCOMP packet (tests, and writes that are not on the hot path). */
    public static byte[] encode(int packetId) {
        byte[] b = new byte[LENGTH];
        encode(b, 0, packetId);
        return b;
    }
}
