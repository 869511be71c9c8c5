package io.umqtt.simple.internal.codec;

import java.util.Arrays;
import java.util.List;

import io.umqtt.api.UserProperty;

/**
 * Writes the property block of an MQTT 5 packet (section 2.2.2): collect properties with the
 * {@code put...} methods, then {@link #writeTo} writes the property length (a variable byte
 * integer) and the properties into the packet; {@link #encodedLength} is what they take there.
 * <pre>
 * PropertyWriter w = new PropertyWriter(Properties.CONNECT);
 * w.putFourByte(Properties.SESSION_EXPIRY_INTERVAL, 3600);
 * w.putUserProperty(name, value);
 * byte[] packet = ...; // sized with w.encodedLength()
 * p = w.writeTo(packet, p);
 * </pre>
 * The writer checks what the client itself gets wrong (its own bugs, not the user's): a property
 * not allowed in the packet, a second one that may appear once, a value outside its type: each an
 * {@link IllegalArgumentException}. Strings are given as UTF-8 bytes the caller has checked
 * ({@link io.umqtt.simple.internal.MqttStrings}). Grows a byte array: meant for CONNECT,
 * DISCONNECT, acks with a reason and PUBLISH with properties; the static {@code put...} methods
 * write single properties into a caller's buffer without allocating (a PUBLISH's Topic Alias).
 * Not thread-safe.
 */
public final class PropertyWriter {
    /** Bytes of a one byte property: identifier and value. */
    public static final int BYTE_PROPERTY = 2;
    /** Bytes of a two byte integer property. */
    public static final int TWO_BYTE_PROPERTY = 3;
    /** Bytes of a four byte integer property. */
    public static final int FOUR_BYTE_PROPERTY = 5;

    private final int packet;
    private byte[] buf = new byte[32];
    private int length;
    private long seen;

    /**
     * An empty block for {@code packet} (a type code such as {@link Properties#CONNECT}, or
     * {@link Properties#WILL}).
     */
    public PropertyWriter(int packet) {
        Properties.packetName(packet); // range check
        this.packet = packet;
    }

    /** Adds a one byte property. */
    public PropertyWriter putByte(int id, int v) {
        check(id, Properties.BYTE);
        if (v < 0 || v > 0xFF) {
            throw new IllegalArgumentException(Properties.name(id) + " must be a byte, found " + v);
        }
        ensure(BYTE_PROPERTY);
        length = putByte(buf, length, id, v);
        return this;
    }

    /** Adds a two byte integer property (0..65535). */
    public PropertyWriter putTwoByte(int id, int v) {
        check(id, Properties.TWO_BYTE_INTEGER);
        if (v < 0 || v > 0xFFFF) {
            throw new IllegalArgumentException(Properties.name(id) + " must be 0..65535, found " + v);
        }
        ensure(TWO_BYTE_PROPERTY);
        length = putTwoByte(buf, length, id, v);
        return this;
    }

    /** Adds a four byte integer property (0..0xFFFFFFFF). */
    public PropertyWriter putFourByte(int id, long v) {
        check(id, Properties.FOUR_BYTE_INTEGER);
        if (v < 0 || v > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(Properties.name(id) + " must be 0..4294967295, found " + v);
        }
        ensure(FOUR_BYTE_PROPERTY);
        length = putFourByte(buf, length, id, v);
        return this;
    }

    /** Adds a variable byte integer property (0..268,435,455). */
    public PropertyWriter putVarInt(int id, int v) {
        check(id, Properties.VARIABLE_BYTE_INTEGER);
        ensure(1 + Properties.varIntSize(v));
        buf[length++] = (byte) id;
        length = Properties.writeVarInt(buf, length, v);
        return this;
    }

    /** Adds a UTF-8 string property; {@code utf8} at most 65,535 bytes, checked by the caller. */
    public PropertyWriter putString(int id, byte[] utf8) {
        check(id, Properties.UTF8_STRING);
        return putPrefixed(id, utf8);
    }

    /** Adds a binary data property (at most 65,535 bytes). */
    public PropertyWriter putBinary(int id, byte[] data) {
        check(id, Properties.BINARY_DATA);
        return putPrefixed(id, data);
    }

    /** Adds a user property (UTF-8 name and value, each at most 65,535 bytes). */
    public PropertyWriter putUserProperty(byte[] name, byte[] value) {
        check(Properties.USER_PROPERTY, Properties.UTF8_STRING_PAIR);
        checkLength(name);
        checkLength(value);
        ensure(5 + name.length + value.length);
        buf[length++] = (byte) Properties.USER_PROPERTY;
        length = Wire.putString(buf, length, name);
        length = Wire.putString(buf, length, value);
        return this;
    }

    /** Adds a user property from the API type (its strings were checked when it was made). */
    public PropertyWriter putUserProperty(UserProperty p) {
        return putUserProperty(utf8(p.name()), utf8(p.value()));
    }

    /** Adds user properties in their order. */
    public PropertyWriter putUserProperties(List<UserProperty> properties) {
        for (UserProperty p : properties) {
            putUserProperty(p);
        }
        return this;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private PropertyWriter putPrefixed(int id, byte[] v) {
        checkLength(v);
        ensure(3 + v.length);
        buf[length++] = (byte) id;
        length = Wire.putString(buf, length, v);
        return this;
    }

    private static void checkLength(byte[] v) {
        if (v.length > 0xFFFF) {
            throw new IllegalArgumentException("a property string or binary data is " + v.length
                    + " bytes long, the maximum is 65535");
        }
    }

    private void check(int id, int type) {
        if (Properties.type(id) != type) {
            throw new IllegalArgumentException(Properties.name(id) + " is not of the type written");
        }
        if (!Properties.allowed(id, packet)) {
            throw new IllegalArgumentException(Properties.packetName(packet) + " must not carry " + Properties.name(id));
        }
        if (!Properties.repeatable(id)) {
            if ((seen & (1L << id)) != 0) {
                throw new IllegalArgumentException(Properties.name(id) + " written twice into a "
                        + Properties.packetName(packet));
            }
            seen |= 1L << id;
        }
    }

    private void ensure(int more) {
        if (length + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + more));
        }
    }

    /** Whether no property was added. */
    public boolean isEmpty() {
        return length == 0;
    }

    /** Bytes of the properties, without the property length in front. */
    public int length() {
        return length;
    }

    /** Bytes the block takes in a packet: the property length (1..4 bytes) and the properties. */
    public int encodedLength() {
        return Properties.varIntSize(length) + length;
    }

    /** Writes the property length and the properties at {@code b[off]}; returns the offset after them. */
    public int writeTo(byte[] b, int off) {
        int p = Properties.writeVarInt(b, off, length);
        System.arraycopy(buf, 0, b, p, length);
        return p + length;
    }

    /** The properties without the property length in front, in a new array. */
    public byte[] content() {
        return Arrays.copyOf(buf, length);
    }

    /** The block as {@link #writeTo} writes it, in a new array (tests). */
    public byte[] toByteArray() {
        byte[] b = new byte[encodedLength()];
        writeTo(b, 0);
        return b;
    }

    // Single properties into a caller's buffer, allocation-free. No checks beyond the caller's.

    /** Writes a one byte property at {@code b[off]}; returns the offset after it. */
    public static int putByte(byte[] b, int off, int id, int v) {
        b[off] = (byte) id;
        b[off + 1] = (byte) v;
        return off + BYTE_PROPERTY;
    }

    /** Writes a two byte integer property at {@code b[off]}; returns the offset after it. */
    public static int putTwoByte(byte[] b, int off, int id, int v) {
        b[off] = (byte) id;
        return Wire.putU16(b, off + 1, v);
    }

    /** Writes a four byte integer property at {@code b[off]}; returns the offset after it. */
    public static int putFourByte(byte[] b, int off, int id, long v) {
        b[off] = (byte) id;
        b[off + 1] = (byte) (v >>> 24);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 8);
        b[off + 4] = (byte) v;
        return off + FOUR_BYTE_PROPERTY;
    }
}
