package io.umqtt.simple.internal.codec;

/**
 * Encodes PUBREL (MQTT 3.1.1 section 3.6), the sender's release of a QoS 2 PUBLISH after its
 * PUBREC: {@code 62 02} and the packet
 * identifier. Written into the caller's buffer, so that it allocates nothing. Stateless.
 */
public final class PubrelEncoder {
    /** The first byte: type and the fixed flags. */
    public static final int HEADER = 0x62;
    /** Bytes of a PUBREL. */
    public static final int LENGTH = Qos2Acks.LENGTH;

    private PubrelEncoder() {
    }

    /**
     * Writes PUBREL into {@code b[off..off+4)}.
     *
     * @throws IllegalArgumentException unless {@code packetId} is 1..65535
     */
    public static void encode(byte[] b, int off, int packetId) {
        Qos2Acks.encode(HEADER, b, off, packetId);
    }

    /** A new PUBREL packet (tests, and writes that are not on the hot path). */
    public static byte[] encode(int packetId) {
        byte[] b = new byte[LENGTH];
        encode(b, 0, packetId);
        return b;
    }
}
