package io.umqtt.simple.internal.codec;

/**
 * Encodes CONNECT (section 3.1), one method per protocol version. MQTT 3.1.1 ({@link #encode}) as
 * umqtt.simple 1.8.0 lays it out: protocol name "MQTT", level 4, connect flags, keepalive, then
 * client identifier, will topic, will message, user name and password, each present only when its
 * flag says so (3.1.3). MQTT 5 ({@link #encode5}): level 5, connect flags (bit 1 is Clean Start),
 * keepalive, the CONNECT properties, then client identifier, will properties, will topic and will
 * payload, user name and password, likewise; the properties come as {@link PropertyWriter}s the
 * caller filled. The arguments are checked by the caller (MqttStrings, the client's setters).
 * Stateless.
 */
public final class ConnectEncoder {
    public static final int HEADER = 0x10;
    public static final int FLAG_USER = 0x80;
    public static final int FLAG_PASSWORD = 0x40;
    public static final int FLAG_WILL_RETAIN = 0x20;
    public static final int WILL_QOS_SHIFT = 3;
    public static final int FLAG_WILL = 0x04;
    public static final int FLAG_CLEAN_SESSION = 0x02;
    /** "MQTT" with its length prefix; the protocol level follows. */
    private static final byte[] PROTOCOL_NAME = {0x00, 0x04, 'M', 'Q', 'T', 'T'};

    private ConnectEncoder() {
    }

    /**
     * The whole MQTT 3.1.1 CONNECT packet.
     *
     * @param willTopic {@code null} for no will
     * @param user {@code null} for none
     * @param password {@code null} for none
     */
    public static byte[] encode(byte[] clientId, boolean cleanSession, int keepAliveSeconds, byte[] willTopic,
            byte[] willMessage, int willQos, boolean willRetain, byte[] user, byte[] password) {
        return encode(4, clientId, cleanSession, keepAliveSeconds, null, willTopic, willMessage, willQos, willRetain,
                null, user, password);
    }

    /**
     * The whole MQTT 5 CONNECT packet.
     *
     * @param properties the CONNECT properties ({@link Properties#CONNECT})
     * @param willTopic {@code null} for no will
     * @param willProperties the will properties ({@link Properties#WILL}); ignored without a will
     * @param user {@code null} for none
     * @param password {@code null} for none (MQTT 5 allows a password without a user name)
     * @throws IllegalArgumentException when the packet would exceed the largest remaining length
     */
    public static byte[] encode5(byte[] clientId, boolean cleanStart, int keepAliveSeconds, PropertyWriter properties,
            byte[] willTopic, byte[] willMessage, int willQos, boolean willRetain, PropertyWriter willProperties,
            byte[] user, byte[] password) {
        return encode(5, clientId, cleanStart, keepAliveSeconds, properties, willTopic, willMessage, willQos,
                willRetain, willProperties, user, password);
    }

    /** Either version: {@code level} 4 without properties (both null), 5 with them. */
    private static byte[] encode(int level, byte[] clientId, boolean clean, int keepAliveSeconds,
            PropertyWriter properties, byte[] willTopic, byte[] willMessage, int willQos, boolean willRetain,
            PropertyWriter willProperties, byte[] user, byte[] password) {
        int flags = clean ? FLAG_CLEAN_SESSION : 0;
        long rem = PROTOCOL_NAME.length + 1 + 1 + 2 + 2L + clientId.length
                + (properties == null ? 0 : properties.encodedLength());
        if (willTopic != null) {
            flags |= FLAG_WILL | (willQos << WILL_QOS_SHIFT) | (willRetain ? FLAG_WILL_RETAIN : 0);
            rem += 2 + willTopic.length + 2 + willMessage.length
                    + (willProperties == null ? 0 : willProperties.encodedLength());
        }
        if (user != null) {
            flags |= FLAG_USER;
            rem += 2 + user.length;
        }
        if (password != null) {
            flags |= FLAG_PASSWORD;
            rem += 2 + password.length;
        }
        if (rem > Properties.MAX_VARIABLE_BYTE_INTEGER) {
            throw new IllegalArgumentException("CONNECT would be " + rem + " bytes long, MQTT allows at most "
                    + Properties.MAX_VARIABLE_BYTE_INTEGER);
        }
        byte[] b = Wire.packet(HEADER, (int) rem);
        int p = 1 + FixedHeader.varIntSize((int) rem);
        System.arraycopy(PROTOCOL_NAME, 0, b, p, PROTOCOL_NAME.length);
        p += PROTOCOL_NAME.length;
        b[p++] = (byte) level;
        b[p++] = (byte) flags;
        p = Wire.putU16(b, p, keepAliveSeconds);
        if (properties != null) {
            p = properties.writeTo(b, p);
        }
        p = Wire.putString(b, p, clientId);
        if (willTopic != null) {
            if (willProperties != null) {
                p = willProperties.writeTo(b, p);
            }
            p = Wire.putString(b, p, willTopic);
            p = Wire.putString(b, p, willMessage);
        }
        if (user != null) {
            p = Wire.putString(b, p, user);
        }
        if (password != null) {
            Wire.putString(b, p, password);
        }
        return b;
    }
}
