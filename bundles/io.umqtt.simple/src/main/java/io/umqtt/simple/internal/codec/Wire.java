package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.PacketType;

/**
 * Byte-level pieces the packet codecs share: two-byte integers (MQTT 3.1.1 section 1.5.2),
 * length-prefixed strings (1.5.3), the check of a fixed remaining length, and the protocol error
 * every malformed packet ends in. Stateless.
 */
public final class Wire {
    private Wire() {
    }

    /** A protocol error (the connection must be closed) with the given message. */
    public static MqttException protocol(String message) {
        return new MqttException(Reason.PROTOCOL_ERROR, message);
    }

    /** Reads an unsigned 16-bit big-endian integer. */
    public static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    /** Writes {@code v} as a 16-bit big-endian integer; returns the offset after it. */
    static int putU16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
        return off + 2;
    }

    /** Writes {@code s} with its 16-bit length prefix; returns the offset after it. */
    static int putString(byte[] b, int off, byte[] s) {
        off = putU16(b, off, s.length);
        System.arraycopy(s, 0, b, off, s.length);
        return off + s.length;
    }

    /**
     * A new packet of {@code 1 + varIntSize(rem) + rem} bytes with its fixed header written; the
     * variable header starts at {@code 1 + FixedHeader.varIntSize(rem)}.
     */
    static byte[] packet(int firstByte, int rem) {
        byte[] b = new byte[1 + FixedHeader.varIntSize(rem) + rem];
        b[0] = (byte) firstByte;
        FixedHeader.writeVarInt(b, 1, rem);
        return b;
    }

    /**
     * Checks the remaining length of a packet whose length the spec fixes.
     *
     * @throws MqttException "PUBACK remaining length must be 2, found 3"
     */
    static void expectRemaining(PacketType type, int rem, int expected) throws MqttException {
        if (rem != expected) {
            throw protocol(type + " remaining length must be " + expected + ", found " + rem);
        }
    }

    /**
     * The packet identifier of a packet that holds nothing else (PUBACK, UNSUBACK; in MQTT 3.1.1
     * also PUBREC, PUBREL and PUBCOMP): remaining length 2.
     *
     * @throws MqttException when the remaining length is not 2
     */
    static int packetIdOnly(PacketType type, byte[] b, int off, int len) throws MqttException {
        int body = FixedHeader.bodyOffset(b, off);
        expectRemaining(type, off + len - body, 2);
        return u16(b, body);
    }
}
