package io.umqtt.simple.internal.codec;

/**
 * Encodes CONNECT of MQTT 5 (section 3.1): protocol name "MQTT", level 5, connect flags (bit 1
 * is Clean Start), keepalive, the CONNECT properties, then client identifier, will properties,
 * will topic and will payload, user name and password, each present only when its flag says so
 * (3.1.3). The properties come as {@link PropertyWriter}s the caller filled; the other arguments
 * are checked by the caller (the client's setters). Stateless.
 */
public final class ConnectEncoder5 {
    /** "MQTT" with its length prefix, and protocol level 5. */
    private static final byte[] PROTOCOL_NAME_AND_LEVEL = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05};

    private ConnectEncoder5() {
    }

    /**
     * The whole CONNECT packet.
     *
     * @param properties the CONNECT properties ({@link Properties#CONNECT})
     * @param willTopic {@code null} for no will
     * @param willProperties the will properties ({@link Properties#WILL}); ignored without a will
     * @param user {@code null} for none
     * @param password {@code null} for none (MQTT 5 allows a password without a user name)
     * @throws IllegalArgumentException when the packet would exceed the largest remaining length
     */
    public static byte[] encode(byte[] clientId, boolean cleanStart, int keepAliveSeconds, PropertyWriter properties,
            byte[] willTopic, byte[] willMessage, int willQos, boolean willRetain, PropertyWriter willProperties,
            byte[] user, byte[] password) {
        int flags = cleanStart ? ConnectEncoder.FLAG_CLEAN_SESSION : 0;
        long rem = PROTOCOL_NAME_AND_LEVEL.length + 1 + 2 + properties.encodedLength() + 2L + clientId.length;
        if (willTopic != null) {
            flags |= ConnectEncoder.FLAG_WILL | (willQos << ConnectEncoder.WILL_QOS_SHIFT)
                    | (willRetain ? ConnectEncoder.FLAG_WILL_RETAIN : 0);
            rem += willProperties.encodedLength() + 2 + willTopic.length + 2 + willMessage.length;
        }
        if (user != null) {
            flags |= ConnectEncoder.FLAG_USER;
            rem += 2 + user.length;
        }
        if (password != null) {
            flags |= ConnectEncoder.FLAG_PASSWORD;
            rem += 2 + password.length;
        }
        if (rem > Properties.MAX_VARIABLE_BYTE_INTEGER) {
            throw new IllegalArgumentException("CONNECT would be " + rem + " bytes long, MQTT allows at most "
                    + Properties.MAX_VARIABLE_BYTE_INTEGER);
        }
        byte[] b = Wire.packet(ConnectEncoder.HEADER, (int) rem);
        int p = 1 + FixedHeader.varIntSize((int) rem);
        System.arraycopy(PROTOCOL_NAME_AND_LEVEL, 0, b, p, PROTOCOL_NAME_AND_LEVEL.length);
        p += PROTOCOL_NAME_AND_LEVEL.length;
        b[p++] = (byte) flags;
        p = Wire.putU16(b, p, keepAliveSeconds);
        p = properties.writeTo(b, p);
        p = Wire.putString(b, p, clientId);
        if (willTopic != null) {
            p = willProperties.writeTo(b, p);
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
