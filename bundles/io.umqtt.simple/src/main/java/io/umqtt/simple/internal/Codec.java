package io.umqtt.simple.internal;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.PacketType;

/**
 * MQTT 3.1.1 wire format: fixed headers, the variable byte integer, and the packets this client
 * sends, laid out exactly as umqtt.simple 1.8.0 lays them out. Stateless.
 */
public final class Codec {
    private Codec() {
    }

    /** First byte of CONNECT. */
    public static final int CONNECT_HEADER = 0x10;
    /** First byte of PUBLISH before the DUP, QoS and RETAIN flags. */
    public static final int PUBLISH_HEADER = 0x30;
    public static final int PUBACK_HEADER = 0x40;
    /** SUBSCRIBE and UNSUBSCRIBE carry the reserved flags 0b0010. */
    public static final int SUBSCRIBE_HEADER = 0x82;
    public static final int UNSUBSCRIBE_HEADER = 0xA2;
    public static final int PINGREQ_HEADER = 0xC0;
    public static final int DISCONNECT_HEADER = 0xE0;

    public static final int PUBLISH_FLAG_DUP = 0x08;
    public static final int PUBLISH_FLAG_RETAIN = 0x01;
    public static final int PUBLISH_QOS_SHIFT = 1;
    public static final int PUBLISH_QOS_MASK = 0x06;

    public static final int CONNECT_FLAG_USER = 0x80;
    public static final int CONNECT_FLAG_PASSWORD = 0x40;
    public static final int CONNECT_FLAG_WILL_RETAIN = 0x20;
    public static final int CONNECT_WILL_QOS_SHIFT = 3;
    public static final int CONNECT_FLAG_WILL = 0x04;
    public static final int CONNECT_FLAG_CLEAN_SESSION = 0x02;
    /** "MQTT" with its length prefix, and protocol level 4 (3.1.1). */
    private static final byte[] PROTOCOL_NAME_AND_LEVEL = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04};

    public static final int CONNACK_FLAG_SESSION_PRESENT = 0x01;
    /** The SUBACK return code for a refused filter. */
    public static final int SUBACK_FAILURE = 0x80;

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
        if (avail < 1) {
            return -1;
        }
        int first = b[off] & 0xFF;
        PacketType type = checkFirstByte(first);
        int value = 0;
        int i = 1;
        while (true) {
            if (i > 4) {
                throw protocol("malformed remaining length of a " + type
                        + " packet: the continuation bit is set in its 4th byte");
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
            throw protocol("remaining length " + value + " of a " + type + " packet exceeds the maximum packet size "
                    + maxRemaining);
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
            throw protocol(String.format("reserved packet type %d (first byte 0x%02X)", code, first));
        }
        PacketType type = PacketType.of(code);
        switch (type) {
            case PUBLISH:
                if ((flags & PUBLISH_QOS_MASK) == PUBLISH_QOS_MASK) {
                    throw protocol(String.format("PUBLISH with both QoS bits set (first byte 0x%02X)", first));
                }
                return type;
            case CONNECT:
            case SUBSCRIBE:
            case UNSUBSCRIBE:
            case PINGREQ:
            case DISCONNECT:
                throw protocol("the server sent a " + type + " packet, which only clients send");
            case PUBREL:
                return expectFlags(type, flags, 0x02);
            default:
                return expectFlags(type, flags, 0x00);
        }
    }

    private static PacketType expectFlags(PacketType type, int flags, int expected) throws MqttException {
        if (flags != expected) {
            throw protocol(String.format("%s fixed header flags must be 0x%X, found 0x%X", type, expected, flags));
        }
        return type;
    }

    /** A protocol error with the given message. */
    public static MqttException protocol(String message) {
        return new MqttException(Reason.PROTOCOL_ERROR, message);
    }

    /** Reads an unsigned 16-bit big-endian integer. */
    public static int u16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }

    private static int putU16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
        return off + 2;
    }

    private static int putString(byte[] b, int off, byte[] s) {
        off = putU16(b, off, s.length);
        System.arraycopy(s, 0, b, off, s.length);
        return off + s.length;
    }

    /**
     * CONNECT, as umqtt lays it out: protocol "MQTT" level 4, flags, keepalive, then client id,
     * will topic, will message, user name, password.
     *
     * @param willTopic {@code null} for no will
     * @param user {@code null} for none
     * @param password {@code null} for none
     */
    public static byte[] connect(byte[] clientId, boolean cleanSession, int keepAliveSeconds, byte[] willTopic,
            byte[] willMessage, int willQos, boolean willRetain, byte[] user, byte[] password) {
        int flags = cleanSession ? CONNECT_FLAG_CLEAN_SESSION : 0;
        int rem = PROTOCOL_NAME_AND_LEVEL.length + 1 + 2 + 2 + clientId.length;
        if (willTopic != null) {
            flags |= CONNECT_FLAG_WILL | (willQos << CONNECT_WILL_QOS_SHIFT) | (willRetain ? CONNECT_FLAG_WILL_RETAIN : 0);
            rem += 2 + willTopic.length + 2 + willMessage.length;
        }
        if (user != null) {
            flags |= CONNECT_FLAG_USER;
            rem += 2 + user.length;
        }
        if (password != null) {
            flags |= CONNECT_FLAG_PASSWORD;
            rem += 2 + password.length;
        }
        byte[] b = new byte[1 + varIntSize(rem) + rem];
        b[0] = (byte) CONNECT_HEADER;
        int p = writeVarInt(b, 1, rem);
        System.arraycopy(PROTOCOL_NAME_AND_LEVEL, 0, b, p, PROTOCOL_NAME_AND_LEVEL.length);
        p += PROTOCOL_NAME_AND_LEVEL.length;
        b[p++] = (byte) flags;
        p = putU16(b, p, keepAliveSeconds);
        p = putString(b, p, clientId);
        if (willTopic != null) {
            p = putString(b, p, willTopic);
            p = putString(b, p, willMessage);
        }
        if (user != null) {
            p = putString(b, p, user);
        }
        if (password != null) {
            p = putString(b, p, password);
        }
        return b;
    }

    /** The remaining length of a PUBLISH. */
    public static int publishRemainingLength(int topicLength, int payloadLength, int qos) {
        long rem = 2L + topicLength + (qos > 0 ? 2 : 0) + payloadLength;
        if (rem > MqttConstants.MAX_REMAINING_LENGTH) {
            throw new IllegalArgumentException("message too large: topic and payload need " + rem
                    + " bytes, MQTT allows at most " + MqttConstants.MAX_REMAINING_LENGTH);
        }
        return (int) rem;
    }

    /**
     * Writes a PUBLISH's fixed header, topic and packet id (not the payload) at {@code b[0]};
     * returns the number of bytes written. {@code b} must hold {@code 5 + 2 + topic.length + 2}.
     */
    public static int publishHead(byte[] b, byte[] topic, int payloadLength, int qos, boolean retain, boolean dup,
            int packetId) {
        int rem = publishRemainingLength(topic.length, payloadLength, qos);
        b[0] = (byte) (PUBLISH_HEADER | (dup ? PUBLISH_FLAG_DUP : 0) | (qos << PUBLISH_QOS_SHIFT)
                | (retain ? PUBLISH_FLAG_RETAIN : 0));
        int p = writeVarInt(b, 1, rem);
        p = putString(b, p, topic);
        if (qos > 0) {
            p = putU16(b, p, packetId);
        }
        return p;
    }

    /** A whole PUBLISH packet (tests and small messages). */
    public static byte[] publish(byte[] topic, byte[] payload, int qos, boolean retain, boolean dup, int packetId) {
        int rem = publishRemainingLength(topic.length, payload.length, qos);
        byte[] b = new byte[1 + varIntSize(rem) + rem];
        int p = publishHead(b, topic, payload.length, qos, retain, dup, packetId);
        System.arraycopy(payload, 0, b, p, payload.length);
        return b;
    }

    /** SUBSCRIBE for one filter. */
    public static byte[] subscribe(int packetId, byte[] filter, int qos) {
        int rem = 2 + 2 + filter.length + 1;
        byte[] b = new byte[1 + varIntSize(rem) + rem];
        b[0] = (byte) SUBSCRIBE_HEADER;
        int p = writeVarInt(b, 1, rem);
        p = putU16(b, p, packetId);
        p = putString(b, p, filter);
        b[p] = (byte) qos;
        return b;
    }

    /** UNSUBSCRIBE for one filter. */
    public static byte[] unsubscribe(int packetId, byte[] filter) {
        int rem = 2 + 2 + filter.length;
        byte[] b = new byte[1 + varIntSize(rem) + rem];
        b[0] = (byte) UNSUBSCRIBE_HEADER;
        int p = writeVarInt(b, 1, rem);
        p = putU16(b, p, packetId);
        putString(b, p, filter);
        return b;
    }

    /** PUBACK written into {@code b[off..off+4)}. */
    public static void puback(byte[] b, int off, int packetId) {
        b[off] = (byte) PUBACK_HEADER;
        b[off + 1] = 2;
        putU16(b, off + 2, packetId);
    }

    /** PINGREQ: {@code C0 00}. */
    public static byte[] pingreq() {
        return new byte[] {(byte) PINGREQ_HEADER, 0};
    }

    /** DISCONNECT: {@code E0 00}. */
    public static byte[] disconnect() {
        return new byte[] {(byte) DISCONNECT_HEADER, 0};
    }
}
