package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * The MQTT 5 properties (MQTT 5 section 2.2.2): their identifiers, the data type of each
 * (section 2.2.2.2), the packets each may appear in, their names for messages, and the variable
 * byte integer (section 1.5.5) that encodes property lengths, subscription identifiers and the
 * remaining length. {@link PropertyReader} reads a property block strictly, {@link PropertyWriter}
 * writes one. Stateless.
 * <p>
 * Packets are named by their 4-bit type code ({@link io.umqtt.simple.PacketType#code()}: CONNECT 1
 * .. DISCONNECT 14) and {@link #AUTH} (15); the will properties of a CONNECT's payload, which allow
 * other properties than the CONNECT's own, are {@link #WILL}.
 * <p>
 * Errors carry a reason code in {@link MqttException#returnCode()}: {@link #MALFORMED_PACKET} (0x81)
 * for bytes that cannot be parsed (a truncated value, a bad variable byte integer, ill-formed
 * UTF-8), {@link #PROTOCOL_ERROR} (0x82) for well-formed bytes the protocol forbids (a property in
 * the wrong packet, a duplicate, a value out of range): the code the client sends in its
 * DISCONNECT before it closes (section 4.13).
 */
public final class Properties {
    // Identifiers (section 2.2.2.2, table 2-4).
    public static final int PAYLOAD_FORMAT_INDICATOR = 0x01;
    public static final int MESSAGE_EXPIRY_INTERVAL = 0x02;
    public static final int CONTENT_TYPE = 0x03;
    public static final int RESPONSE_TOPIC = 0x08;
    public static final int CORRELATION_DATA = 0x09;
    public static final int SUBSCRIPTION_IDENTIFIER = 0x0B;
    public static final int SESSION_EXPIRY_INTERVAL = 0x11;
    public static final int ASSIGNED_CLIENT_IDENTIFIER = 0x12;
    public static final int SERVER_KEEP_ALIVE = 0x13;
    public static final int AUTHENTICATION_METHOD = 0x15;
    public static final int AUTHENTICATION_DATA = 0x16;
    public static final int REQUEST_PROBLEM_INFORMATION = 0x17;
    public static final int WILL_DELAY_INTERVAL = 0x18;
    public static final int REQUEST_RESPONSE_INFORMATION = 0x19;
    public static final int RESPONSE_INFORMATION = 0x1A;
    public static final int SERVER_REFERENCE = 0x1C;
    public static final int REASON_STRING = 0x1F;
    public static final int RECEIVE_MAXIMUM = 0x21;
    public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    public static final int TOPIC_ALIAS = 0x23;
    public static final int MAXIMUM_QOS = 0x24;
    public static final int RETAIN_AVAILABLE = 0x25;
    public static final int USER_PROPERTY = 0x26;
    public static final int MAXIMUM_PACKET_SIZE = 0x27;
    public static final int WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28;
    public static final int SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29;
    public static final int SHARED_SUBSCRIPTION_AVAILABLE = 0x2A;

    // Data types (section 1.5).
    /** Not a property identifier. */
    public static final int UNKNOWN = 0;
    /** One byte (section 1.5.1). */
    public static final int BYTE = 1;
    /** Two byte integer, big-endian (1.5.2). */
    public static final int TWO_BYTE_INTEGER = 2;
    /** Four byte integer, big-endian (1.5.3). */
    public static final int FOUR_BYTE_INTEGER = 3;
    /** Variable byte integer (1.5.5). */
    public static final int VARIABLE_BYTE_INTEGER = 4;
    /** UTF-8 encoded string with a two byte length (1.5.4). */
    public static final int UTF8_STRING = 5;
    /** Binary data with a two byte length (1.5.6). */
    public static final int BINARY_DATA = 6;
    /** UTF-8 string pair: name then value (1.5.7). */
    public static final int UTF8_STRING_PAIR = 7;

    // Packets, by type code; WILL for the will properties of a CONNECT.
    /** The will properties in a CONNECT payload (section 3.1.3.2). */
    public static final int WILL = 0;
    public static final int CONNECT = 1;
    public static final int CONNACK = 2;
    public static final int PUBLISH = 3;
    public static final int PUBACK = 4;
    public static final int PUBREC = 5;
    public static final int PUBREL = 6;
    public static final int PUBCOMP = 7;
    public static final int SUBSCRIBE = 8;
    public static final int SUBACK = 9;
    public static final int UNSUBSCRIBE = 10;
    public static final int UNSUBACK = 11;
    public static final int DISCONNECT = 14;
    /** AUTH, packet type 15 in MQTT 5 (reserved in MQTT 3.1.1). */
    public static final int AUTH = 15;

    /** Reason code 0x81, malformed packet. */
    public static final int MALFORMED_PACKET = 0x81;
    /** Reason code 0x82, protocol error. */
    public static final int PROTOCOL_ERROR = 0x82;

    /** The largest variable byte integer, 268,435,455 (section 1.5.5). */
    public static final int MAX_VARIABLE_BYTE_INTEGER = 268_435_455;

    private static final int HIGHEST_ID = SHARED_SUBSCRIPTION_AVAILABLE;
    private static final int[] TYPE = new int[HIGHEST_ID + 1];
    /** Per identifier, bit {@code 1 << packet} for every packet (or WILL) that may carry it. */
    private static final int[] ALLOWED = new int[HIGHEST_ID + 1];
    private static final String[] NAME = new String[HIGHEST_ID + 1];

    static {
        int will = 1 << WILL;
        int publish = 1 << PUBLISH;
        int connect = 1 << CONNECT;
        int connack = 1 << CONNACK;
        int disconnect = 1 << DISCONNECT;
        int auth = 1 << AUTH;
        int acks = (1 << PUBACK) | (1 << PUBREC) | (1 << PUBREL) | (1 << PUBCOMP) | (1 << SUBACK) | (1 << UNSUBACK);
        define(PAYLOAD_FORMAT_INDICATOR, BYTE, publish | will, "Payload Format Indicator");
        define(MESSAGE_EXPIRY_INTERVAL, FOUR_BYTE_INTEGER, publish | will, "Message Expiry Interval");
        define(CONTENT_TYPE, UTF8_STRING, publish | will, "Content Type");
        define(RESPONSE_TOPIC, UTF8_STRING, publish | will, "Response Topic");
        define(CORRELATION_DATA, BINARY_DATA, publish | will, "Correlation Data");
        define(SUBSCRIPTION_IDENTIFIER, VARIABLE_BYTE_INTEGER, publish | (1 << SUBSCRIBE), "Subscription Identifier");
        define(SESSION_EXPIRY_INTERVAL, FOUR_BYTE_INTEGER, connect | connack | disconnect, "Session Expiry Interval");
        define(ASSIGNED_CLIENT_IDENTIFIER, UTF8_STRING, connack, "Assigned Client Identifier");
        define(SERVER_KEEP_ALIVE, TWO_BYTE_INTEGER, connack, "Server Keep Alive");
        define(AUTHENTICATION_METHOD, UTF8_STRING, connect | connack | auth, "Authentication Method");
        define(AUTHENTICATION_DATA, BINARY_DATA, connect | connack | auth, "Authentication Data");
        define(REQUEST_PROBLEM_INFORMATION, BYTE, connect, "Request Problem Information");
        define(WILL_DELAY_INTERVAL, FOUR_BYTE_INTEGER, will, "Will Delay Interval");
        define(REQUEST_RESPONSE_INFORMATION, BYTE, connect, "Request Response Information");
        define(RESPONSE_INFORMATION, UTF8_STRING, connack, "Response Information");
        define(SERVER_REFERENCE, UTF8_STRING, connack | disconnect, "Server Reference");
        define(REASON_STRING, UTF8_STRING, connack | acks | disconnect | auth, "Reason String");
        define(RECEIVE_MAXIMUM, TWO_BYTE_INTEGER, connect | connack, "Receive Maximum");
        define(TOPIC_ALIAS_MAXIMUM, TWO_BYTE_INTEGER, connect | connack, "Topic Alias Maximum");
        define(TOPIC_ALIAS, TWO_BYTE_INTEGER, publish, "Topic Alias");
        define(MAXIMUM_QOS, BYTE, connack, "Maximum QoS");
        define(RETAIN_AVAILABLE, BYTE, connack, "Retain Available");
        define(USER_PROPERTY, UTF8_STRING_PAIR, connect | connack | publish | will | acks | (1 << SUBSCRIBE)
                | (1 << UNSUBSCRIBE) | disconnect | auth, "User Property");
        define(MAXIMUM_PACKET_SIZE, FOUR_BYTE_INTEGER, connect | connack, "Maximum Packet Size");
        define(WILDCARD_SUBSCRIPTION_AVAILABLE, BYTE, connack, "Wildcard Subscription Available");
        define(SUBSCRIPTION_IDENTIFIER_AVAILABLE, BYTE, connack, "Subscription Identifier Available");
        define(SHARED_SUBSCRIPTION_AVAILABLE, BYTE, connack, "Shared Subscription Available");
    }

    private Properties() {
    }

    private static void define(int id, int type, int packets, String name) {
        TYPE[id] = type;
        ALLOWED[id] = packets;
        NAME[id] = name;
    }

    /** The data type of property {@code id} ({@link #BYTE} .. {@link #UTF8_STRING_PAIR}), {@link #UNKNOWN} for none. */
    public static int type(int id) {
        return id > 0 && id <= HIGHEST_ID ? TYPE[id] : UNKNOWN;
    }

    /** Whether property {@code id} may appear in {@code packet} (a type code, or {@link #WILL}). */
    public static boolean allowed(int id, int packet) {
        return type(id) != UNKNOWN && packet >= 0 && packet <= AUTH && (ALLOWED[id] & (1 << packet)) != 0;
    }

    /** Whether property {@code id} may appear more than once in a packet (User Property, Subscription Identifier). */
    public static boolean repeatable(int id) {
        return id == USER_PROPERTY || id == SUBSCRIPTION_IDENTIFIER;
    }

    /** "Receive Maximum (0x21)", or "unknown property 0x7F (0x7F)"-style text for an unknown identifier. */
    public static String name(int id) {
        String n = type(id) == UNKNOWN ? "unknown property" : NAME[id];
        return String.format("%s (0x%02X)", n, id);
    }

    /** "CONNACK", "PUBACK", ..., "AUTH", or "will properties" for {@link #WILL}. */
    public static String packetName(int packet) {
        switch (packet) {
            case WILL: return "CONNECT will properties";
            case CONNECT: return "CONNECT";
            case CONNACK: return "CONNACK";
            case PUBLISH: return "PUBLISH";
            case PUBACK: return "PUBACK";
            case PUBREC: return "PUBREC";
            case PUBREL: return "PUBREL";
            case PUBCOMP: return "PUBCOMP";
            case SUBSCRIBE: return "SUBSCRIBE";
            case SUBACK: return "SUBACK";
            case UNSUBSCRIBE: return "UNSUBSCRIBE";
            case UNSUBACK: return "UNSUBACK";
            case 12: return "PINGREQ";
            case 13: return "PINGRESP";
            case DISCONNECT: return "DISCONNECT";
            case AUTH: return "AUTH";
            default: throw new IllegalArgumentException("no packet type " + packet);
        }
    }

    /** Bytes the variable byte integer {@code value} occupies (1..4). */
    public static int varIntSize(int value) {
        if (value < 0 || value > MAX_VARIABLE_BYTE_INTEGER) {
            throw new IllegalArgumentException("variable byte integer " + value + " is outside 0.."
                    + MAX_VARIABLE_BYTE_INTEGER);
        }
        return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
    }

    /** Writes {@code value} as a variable byte integer at {@code off}; returns the offset after it. */
    public static int writeVarInt(byte[] b, int off, int value) {
        return FixedHeader.writeVarInt(b, off, value);
    }

    /**
     * Reads the variable byte integer at {@code b[off]}, reading no byte at or after {@code end}.
     * Allocates nothing unless it throws.
     *
     * @param what what the integer is, for messages ("PUBLISH property length", ...)
     * @return {@code (size << 32) | value}: the value in the low 32 bits, its size (1..4) above
     * @throws MqttException PROTOCOL_ERROR with {@link #MALFORMED_PACKET}: the packet ends inside it,
     *         the continuation bit is set in its 4th byte, or it is not in its shortest form
     *         (MQTT-1.5.5-1)
     */
    public static long readVarInt(byte[] b, int off, int end, String what) throws MqttException {
        long read = varInt(b, off, end);
        if (read < 0) {
            throw varIntError(read, what);
        }
        return read;
    }

    /**
     * {@link #readVarInt} without the message: allocates nothing, also when the integer is bad.
     *
     * @return as {@link #readVarInt}, or a negative number for {@link #varIntError}
     */
    static long varInt(byte[] b, int off, int end) {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            if (off + i >= end) {
                return -(8 + i);
            }
            int digit = b[off + i] & 0xFF;
            value |= (digit & 0x7F) << (7 * i);
            if ((digit & 0x80) == 0) {
                if (digit == 0 && i > 0) {
                    return -(16 + i);
                }
                return ((long) (i + 1) << 32) | value;
            }
        }
        return -24;
    }

    /** The error for a negative {@link #varInt} result. */
    static MqttException varIntError(long read, String what) {
        int kind = (int) -read;
        int i = kind & 7;
        String bytes = i + (i == 1 ? " byte" : " bytes");
        if (kind >= 24) {
            return malformed(what + ": malformed variable byte integer, the continuation bit is set in its 4th byte "
                    + "(section 1.5.5)");
        }
        if (kind >= 16) {
            return malformed(what + ": variable byte integer not in its shortest form (a last byte 0x00 after "
                    + bytes + "; MQTT-1.5.5-1)");
        }
        return malformed(what + ": the packet ends inside the variable byte integer (after " + bytes
                + ", section 1.5.5)");
    }

    /** The value of a {@link #readVarInt} result. */
    public static int varIntValue(long read) {
        return (int) read;
    }

    /** The size in bytes (1..4) of a {@link #readVarInt} result. */
    public static int varIntLength(long read) {
        return (int) (read >>> 32);
    }

    /** A malformed-packet error: PROTOCOL_ERROR carrying reason code 0x81. */
    public static MqttException malformed(String message) {
        return new MqttException(Reason.PROTOCOL_ERROR, MALFORMED_PACKET, message);
    }

    /** A protocol error of MQTT 5: PROTOCOL_ERROR carrying reason code 0x82. */
    public static MqttException protocolError(String message) {
        return new MqttException(Reason.PROTOCOL_ERROR, PROTOCOL_ERROR, message);
    }
}
