package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * The fixed header every MQTT 3.1.1 packet starts with (section 2.2): the first byte (packet type
 * and flags) and the remaining length, a variable byte integer of 1 to 4 bytes. Framing finds
 * where a packet ends in the byte stream; the per-packet decoders then take the whole packet.
 * Stateless.
 * <p>
 * Validates, for every packet the server sends (before its body is read): the type is not
 * reserved (0 or 15, section 2.2.1) and not one only clients send (CONNECT, SUBSCRIBE,
 * UNSUBSCRIBE, PINGREQ, DISCONNECT); the flags are those table 2.2 fixes (MQTT-2.2.2-1, -2:
 * 0x2 for PUBREL, 0x0 for every other type but PUBLISH); a PUBLISH has not both QoS bits set
 * (MQTT-3.3.1-4); the remaining length has at most 4 bytes (2.2.3) and is within the configured
 * maximum packet size.
 * <p>
 * MQTT 5 (the {@code mqtt5} forms): a server may also send DISCONNECT (section 3.14) and AUTH
 * (type 15, section 3.15), each with flags 0; a packet above the maximum packet size is refused
 * with reason code 0x95 (packet too large), the other errors with 0x81 (malformed packet).
 */
public final class FixedHeader {
    private FixedHeader() {
    }

    /** Bytes the variable byte integer {@code value} occupies (1..4). */
    public static int varIntSize(int value) {
        if (value < 0 || value > MqttConstants.MAX_REMAINING_LENGTH) {
            throw new IllegalArgumentException("remaining length " + value + " is outside 0.."
                    + MqttConstants.MAX_REMAINING_LENGTH);
        }
        return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
    }

    /** Writes {@code value} as a variable byte integer at {@code off}; returns the offset after it. */
    public static int writeVarInt(byte[] b, int off, int value) {
        varIntSize(value); // range check
        int v = value;
        do {
            int digit = v & 0x7F;
            v >>>= 7;
            b[off++] = (byte) (v > 0 ? digit | 0x80 : digit);
        } while (v > 0);
        return off;
    }

    /**
     * Frames the packet starting at {@code b[off]} with {@code avail} bytes available.
     *
     * @return {@code -1} while the fixed header or the body is incomplete; otherwise
     *         {@code (headerLength << 32) | totalLength}
     * @throws MqttException PROTOCOL_ERROR for a reserved type, bad flags, a packet only clients
     *         send, a malformed remaining length or one above {@code maxRemaining}
     */
    public static long frame(byte[] b, int off, int avail, int maxRemaining) throws MqttException {
        return frame(b, off, avail, maxRemaining, false);
    }

    /**
     * {@link #frame(byte[], int, int, int)} for MQTT 3.1.1 or, with {@code mqtt5}, MQTT 5.
     */
    public static long frame(byte[] b, int off, int avail, int maxRemaining, boolean mqtt5) throws MqttException {
        if (avail < 1) {
            return -1;
        }
        int first = b[off] & 0xFF;
        PacketType type = mqtt5 ? checkFirstByte5(first) : checkFirstByte(first);
        int value = 0;
        int i = 1;
        while (true) {
            if (i > 4) {
                String why = "malformed remaining length of a " + type
                        + " packet: the continuation bit is set in its 4th byte";
                throw mqtt5 ? Properties.malformed(why) : Wire.protocol(why);
            }
            if (i >= avail) {
                return -1;
            }
            int digit = b[off + i] & 0xFF;
            value |= (digit & 0x7F) << (7 * (i - 1));
            i++;
            if ((digit & 0x80) == 0) {
                break;
            }
        }
        if (value > maxRemaining) {
            if (mqtt5) {
                throw new MqttException(MqttException.Reason.PROTOCOL_ERROR, 0x95, "remaining length " + value
                        + " of a " + type + " packet exceeds the maximum packet size " + maxRemaining
                        + " (the client announced it as Maximum Packet Size; MQTT-3.1.2-24)");
            }
            throw Wire.protocol("remaining length " + value + " of a " + type
                    + " packet exceeds the maximum packet size " + maxRemaining);
        }
        long total = (long) i + value;
        return avail < total ? -1 : ((long) i << 32) | total;
    }

    /**
     * Validates the first byte of a packet from the server (type and flags).
     *
     * @throws MqttException PROTOCOL_ERROR naming the problem
     */
    public static PacketType checkFirstByte(int first) throws MqttException {
        int code = first >>> 4;
        int flags = first & 0x0F;
        if (code == 0 || code == 15) {
            throw Wire.protocol(String.format("reserved packet type %d (first byte 0x%02X)", code, first));
        }
        PacketType type = PacketType.of(code);
        // if, not a switch over the enum: that would compile to one more class (FixedHeader$1)
        if (type == PacketType.PUBLISH) {
            if ((flags & PublishEncoder.QOS_MASK) == PublishEncoder.QOS_MASK) {
                throw Wire.protocol(String.format("PUBLISH with both QoS bits set (first byte 0x%02X)", first));
            }
            return type;
        }
        if (type == PacketType.CONNECT || type == PacketType.SUBSCRIBE || type == PacketType.UNSUBSCRIBE
                || type == PacketType.PINGREQ || type == PacketType.DISCONNECT) {
            throw Wire.protocol("the server sent a " + type + " packet, which only clients send");
        }
        return expectFlags(type, flags, type == PacketType.PUBREL ? 0x02 : 0x00);
    }

    /**
     * {@link #checkFirstByte(int)} for MQTT 5: DISCONNECT and AUTH come from servers too.
     *
     * @throws MqttException PROTOCOL_ERROR with reason code 0x81
     */
    public static PacketType checkFirstByte5(int first) throws MqttException {
        int code = first >>> 4;
        if (code == PacketType.DISCONNECT.code() || code == PacketType.AUTH.code()) {
            PacketType type = PacketType.of(code);
            if ((first & 0x0F) != 0) {
                throw Properties.malformed(String.format("%s fixed header flags must be 0x0, found 0x%X", type,
                        first & 0x0F));
            }
            return type;
        }
        try {
            return checkFirstByte(first);
        } catch (MqttException e) {
            throw Properties.malformed(e.getMessage());
        }
    }

    private static PacketType expectFlags(PacketType type, int flags, int expected) throws MqttException {
        if (flags != expected) {
            throw Wire.protocol(String.format("%s fixed header flags must be 0x%X, found 0x%X", type, expected, flags));
        }
        return type;
    }

    /** The type of the framed packet at {@code b[off]}. */
    public static PacketType type(byte[] b, int off) {
        return PacketType.of((b[off] & 0xFF) >>> 4);
    }

    /**
     * Where the variable header of the framed packet at {@code b[off]} starts: after the first
     * byte and the 1..4 bytes of its remaining length ({@link #frame} checked them).
     */
    public static int bodyOffset(byte[] b, int off) {
        int i = off + 1;
        while ((b[i] & 0x80) != 0) {
            i++;
        }
        return i + 1;
    }
}
