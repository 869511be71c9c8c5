package io.umqtt.simple.internal.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.umqtt.api.MqttException;
import io.umqtt.api.UserProperty;

/**
 * Reads the property block of an MQTT 5 packet (section 2.2.2) strictly and without allocating: a
 * cursor over the bytes, reusable for any number of packets. {@link #start} reads the property
 * length; each {@link #next} reads one property, checks it and leaves its identifier and value in
 * the cursor until the next call.
 * <pre>
 * int payload = reader.start(Properties.CONNACK, b, p, end);
 * while (reader.next()) {
 *     switch (reader.id()) {
 *         case Properties.RECEIVE_MAXIMUM: receiveMaximum = (int) reader.value(); break;
 *         case Properties.REASON_STRING: reason = reader.string(); break;
 *         case Properties.USER_PROPERTY: users.add(reader.userProperty()); break;
 *         ...
 *     }
 * }
 * </pre>
 * Validates (each failure an {@link MqttException} PROTOCOL_ERROR naming the packet and the
 * property, with reason code {@link Properties#MALFORMED_PACKET} or {@link Properties#PROTOCOL_ERROR}
 * in {@link MqttException#returnCode()}):
 * <ul>
 * <li>the property length is a well-formed variable byte integer (MQTT-1.5.5-1) and the block it
 *     announces lies within the packet;</li>
 * <li>each identifier is a known property (section 2.2.2.2) allowed in this packet (table 2-4);</li>
 * <li>no property but User Property and Subscription Identifier appears twice (the "more than
 *     once" rules of each property's section);</li>
 * <li>each value lies within the block: fixed sizes, variable byte integers, the two byte length
 *     of strings and binary data;</li>
 * <li>strings (and both strings of a User Property) are well-formed UTF-8 without U+0000
 *     (MQTT-1.5.4-1, -2);</li>
 * <li>values the spec restricts: Payload Format Indicator 0 or 1 (3.3.2.3.2), Request Problem /
 *     Response Information 0 or 1 (3.1.2.11.7, 3.1.2.11.6), Maximum QoS 0 or 1 (3.2.2.3.4), Retain /
 *     Wildcard Subscription / Subscription Identifier / Shared Subscription Available 0 or 1
 *     (3.2.2.3.5, 3.2.2.3.11-13), Receive Maximum not 0 (3.2.2.3.3), Maximum Packet Size not 0
 *     (3.2.2.3.6), Subscription Identifier not 0 (3.3.2.3.8), Topic Alias not 0 (MQTT-3.3.2-8).</li>
 * </ul>
 * What depends on the connection (a topic alias above our maximum, a response topic with
 * wildcards) is checked by the packet decoders.
 * <p>
 * Not thread-safe: one reader per decoding thread (the client keeps one for its reader role).
 */
public final class PropertyReader {
    private byte[] buf;
    private int packet;
    private int pos;
    private int end;
    private long seen;
    private int id;
    private long value;
    private int valueOffset;
    private int valueLength;
    private int nameOffset;
    private int nameLength;

    /**
     * Starts reading the property block at {@code b[off]}: reads its variable byte integer length
     * and checks that the block ends at or before {@code limit} (the end of the packet).
     *
     * @param packet the packet type code ({@link Properties#CONNACK} ...) or {@link Properties#WILL}
     * @return the offset after the block (where the payload or the next field starts)
     * @throws MqttException when the length is malformed or the block runs past {@code limit}
     */
    public int start(int packet, byte[] b, int off, int limit) throws MqttException {
        long read = Properties.varInt(b, off, limit);
        if (read < 0) {
            throw Properties.varIntError(read, Properties.packetName(packet) + " property length");
        }
        int length = Properties.varIntValue(read);
        int first = off + Properties.varIntLength(read);
        if (length > limit - first) {
            throw Properties.malformed(Properties.packetName(packet) + " property length " + length
                    + " runs past the end of the packet (" + (limit - first) + " bytes left; section 2.2.2.1)");
        }
        this.buf = b;
        this.packet = packet;
        this.pos = first;
        this.end = first + length;
        this.seen = 0;
        this.id = 0;
        return end;
    }

    /**
     * Reads the next property.
     *
     * @return false at the end of the block
     * @throws MqttException for a property that breaks a rule of the class description
     */
    public boolean next() throws MqttException {
        if (pos >= end) {
            id = 0;
            return false;
        }
        int p = pos;
        int i = buf[p] & 0xFF;
        int type = Properties.type(i);
        if (type == Properties.UNKNOWN) {
            // Every identifier is below 0x80, so a multi-byte identifier is unknown as well.
            throw Properties.malformed(String.format("%s carries unknown property identifier 0x%02X (section 2.2.2.2)",
                    Properties.packetName(packet), i));
        }
        if (!Properties.allowed(i, packet)) {
            throw Properties.protocolError(Properties.packetName(packet) + " must not carry "
                    + Properties.name(i) + " (section 2.2.2.2, table 2-4)");
        }
        if (!Properties.repeatable(i)) {
            long bit = 1L << i;
            if ((seen & bit) != 0) {
                throw Properties.protocolError(Properties.packetName(packet) + " carries " + Properties.name(i)
                        + " more than once: a property other than User Property and Subscription Identifier may "
                        + "appear once (section 2.2.2.2)");
            }
            seen |= bit;
        }
        p++;
        id = i;
        value = 0;
        valueOffset = p;
        valueLength = 0;
        switch (type) {
            case Properties.BYTE:
                need(p, 1);
                value = buf[p] & 0xFF;
                p += 1;
                break;
            case Properties.TWO_BYTE_INTEGER:
                need(p, 2);
                value = Wire.u16(buf, p);
                p += 2;
                break;
            case Properties.FOUR_BYTE_INTEGER:
                need(p, 4);
                value = ((long) Wire.u16(buf, p) << 16) | Wire.u16(buf, p + 2);
                p += 4;
                break;
            case Properties.VARIABLE_BYTE_INTEGER:
                long read = Properties.varInt(buf, p, end);
                if (read < 0) {
                    throw Properties.varIntError(read, Properties.packetName(packet) + " " + Properties.name(i));
                }
                value = Properties.varIntValue(read);
                p += Properties.varIntLength(read);
                break;
            case Properties.UTF8_STRING:
            case Properties.BINARY_DATA:
                p = lengthPrefixed(p, type == Properties.UTF8_STRING, "");
                break;
            default: // UTF8_STRING_PAIR
                p = lengthPrefixed(p, true, " name");
                nameOffset = valueOffset;
                nameLength = valueLength;
                p = lengthPrefixed(p, true, " value");
                break;
        }
        if (type != Properties.UTF8_STRING && type != Properties.BINARY_DATA && type != Properties.UTF8_STRING_PAIR) {
            valueOffset = 0;
        }
        checkValue();
        pos = p;
        return true;
    }

    private void need(int p, int n) throws MqttException {
        if (end - p < n) {
            throw Properties.malformed(Properties.packetName(packet) + " " + Properties.name(id) + " needs " + n
                    + (n == 1 ? " byte" : " bytes") + ", the property block has " + (end - p) + " left");
        }
    }

    /** Reads a two byte length and the bytes it announces into valueOffset/valueLength; returns the end. */
    private int lengthPrefixed(int p, boolean utf8, String part) throws MqttException {
        if (end - p < 2) {
            throw Properties.malformed(what(part) + ": the property block ends inside its two byte length");
        }
        int n = Wire.u16(buf, p);
        p += 2;
        if (n > end - p) {
            throw Properties.malformed(what(part) + " length " + n + " runs past the end of the property block ("
                    + (end - p) + " bytes left)");
        }
        if (utf8) {
            String problem = Utf8Check.problem(buf, p, p + n);
            if (problem != null) {
                throw Properties.malformed(what(part) + " is not a valid UTF-8 string: " + problem);
            }
        }
        valueOffset = p;
        valueLength = n;
        return p + n;
    }

    /** "PUBLISH User Property (0x26) name", for messages only (allocates). */
    private String what(String part) {
        return Properties.packetName(packet) + " " + Properties.name(id) + part;
    }

    private void checkValue() throws MqttException {
        switch (id) {
            case Properties.PAYLOAD_FORMAT_INDICATOR:
                zeroOrOne("3.3.2.3.2");
                break;
            case Properties.REQUEST_PROBLEM_INFORMATION:
                zeroOrOne("3.1.2.11.7");
                break;
            case Properties.REQUEST_RESPONSE_INFORMATION:
                zeroOrOne("3.1.2.11.6");
                break;
            case Properties.MAXIMUM_QOS:
                zeroOrOne("3.2.2.3.4");
                break;
            case Properties.RETAIN_AVAILABLE:
                zeroOrOne("3.2.2.3.5");
                break;
            case Properties.WILDCARD_SUBSCRIPTION_AVAILABLE:
                zeroOrOne("3.2.2.3.11");
                break;
            case Properties.SUBSCRIPTION_IDENTIFIER_AVAILABLE:
                zeroOrOne("3.2.2.3.12");
                break;
            case Properties.SHARED_SUBSCRIPTION_AVAILABLE:
                zeroOrOne("3.2.2.3.13");
                break;
            case Properties.RECEIVE_MAXIMUM:
                notZero("3.2.2.3.3");
                break;
            case Properties.MAXIMUM_PACKET_SIZE:
                notZero("3.2.2.3.6");
                break;
            case Properties.SUBSCRIPTION_IDENTIFIER:
                notZero("3.3.2.3.8");
                break;
            case Properties.TOPIC_ALIAS:
                notZero("MQTT-3.3.2-8");
                break;
            default:
                break;
        }
    }

    private void zeroOrOne(String section) throws MqttException {
        if (value > 1) {
            throw Properties.protocolError(Properties.packetName(packet) + " " + Properties.name(id)
                    + " must be 0 or 1, found " + value + " (section " + section + ")");
        }
    }

    private void notZero(String rule) throws MqttException {
        if (value == 0) {
            throw Properties.protocolError(Properties.packetName(packet) + " " + Properties.name(id)
                    + " must not be 0 (" + (rule.startsWith("MQTT") ? rule : "section " + rule) + ")");
        }
    }

    /** The identifier of the property {@link #next} read ({@link Properties#RECEIVE_MAXIMUM} ...). */
    public int id() {
        return id;
    }

    /** The data type of the current property ({@link Properties#BYTE} ...). */
    public int type() {
        return Properties.type(id);
    }

    /**
     * The value of a numeric property (byte, two or four byte integer, variable byte integer):
     * unsigned, so a four byte integer is 0..0xFFFFFFFF.
     */
    public long value() {
        return value;
    }

    /** Where a string's or binary data's bytes (a user property's value) start in the buffer. */
    public int valueOffset() {
        return valueOffset;
    }

    /** How many bytes a string or binary data (a user property's value) has. */
    public int valueLength() {
        return valueLength;
    }

    /** Where a user property's name starts in the buffer. */
    public int nameOffset() {
        return nameOffset;
    }

    /** How many bytes a user property's name has. */
    public int nameLength() {
        return nameLength;
    }

    /** Whether property {@code id} (not User Property or Subscription Identifier) was read so far in this block. */
    public boolean seen(int propertyId) {
        return (seen & (1L << propertyId)) != 0;
    }

    /** The current UTF-8 string (a user property's value) as a new String: allocates. */
    public String string() {
        return new String(buf, valueOffset, valueLength, StandardCharsets.UTF_8);
    }

    /** The current binary data (or a string's bytes) as a new array: allocates. */
    public byte[] bytes() {
        return Arrays.copyOfRange(buf, valueOffset, valueOffset + valueLength);
    }

    /** The current user property as a new {@link UserProperty}: allocates. */
    public UserProperty userProperty() {
        return new UserProperty(new String(buf, nameOffset, nameLength, StandardCharsets.UTF_8), string());
    }

    /** The offset after the property block {@link #start} opened. */
    public int end() {
        return end;
    }
}
