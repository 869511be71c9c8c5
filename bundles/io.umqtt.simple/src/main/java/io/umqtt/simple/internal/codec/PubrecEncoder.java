package io.umqtt.simple.internal.codec;

/**
 * Encodes PUBREC (MQTT 3.1.1 section 3.5), the receiver's first answer to a PUBLISH received at QoS
 * 2: {@code 50 02} and the packet
 * identifier. Written into the caller's buffer, so that it allocates nothing. Stateless.
 */
public final class PubrecEncoder {
    /** The first byte: type and the fixed flags. */
    public static final int HEADER = 0x50;
    /** Bytes of a PUBREC. */
    public static final int LENGTH = Qos2Acks.LENGTH;

    private PubrecEncoder() {
    }

    /**
     * Writes PUBREC into {@code b[off..off+4)}.
     *
     * @throws IllegalArgumentException unless {@code packetId} is 1..65535
     */
    public static void encode(byte[] b, int off, int packetId) {
        Qos2Acks.encode(HEADER, b, off, packetId);
    }

    /** A new PUBREC packet (tests, and writes that are not on the hot path). */
    public static byte[] encode(int packetId) {
        byte[] b = new byte[LENGTH];
        encode(b, 0, packetId);
        return b;
    }
}
