package io.umqtt.simple.internal.codec;

/**
 * Encodes CONNECT (MQTT 3.1.1 section 3.1) as umqtt.simple 1.8.0 lays it out: protocol name
 * "MQTT", level 4, connect flags, keepalive, then client identifier, will topic, will message,
 * user name and password, each present only when its flag says so (3.1.3). The arguments are
 * checked by the caller (MqttStrings, the client's setters). Stateless.
 */
public final class ConnectEncoder {
    public static final int HEADER = 0x10;
    public static final int FLAG_USER = 0x80;
    public static final int FLAG_PASSWORD = 0x40;
    public static final int FLAG_WILL_RETAIN = 0x20;
    public static final int WILL_QOS_SHIFT = 3;
    public static final int FLAG_WILL = 0x04;
    public static final int FLAG_CLEAN_SESSION = 0x02;
    /** "MQTT" with its length prefix, and protocol level 4 (3.1.1). */
    private static final byte[] PROTOCOL_NAME_AND_LEVEL = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04};

    private ConnectEncoder() {
    }

    /**
     * The whole CONNECT packet.
     *
     * @param willTopic {@code null} for no will
     * @param user {@code null} for none
     * @param password {@code null} for none
     */
    public static byte[] encode(byte[] clientId, boolean cleanSession, int keepAliveSeconds, byte[] willTopic,
            byte[] willMessage, int willQos, boolean willRetain, byte[] user, byte[] password) {
        int flags = cleanSession ? FLAG_CLEAN_SESSION : 0;
        int rem = PROTOCOL_NAME_AND_LEVEL.length + 1 + 2 + 2 + clientId.length;
        if (willTopic != null) {
            flags |= FLAG_WILL | (willQos << WILL_QOS_SHIFT) | (willRetain ? FLAG_WILL_RETAIN : 0);
            rem += 2 + willTopic.length + 2 + willMessage.length;
        }
        if (user != null) {
            flags |= FLAG_USER;
            rem += 2 + user.length;
        }
        if (password != null) {
            flags |= FLAG_PASSWORD;
            rem += 2 + password.length;
        }
        byte[] b = Wire.packet(HEADER, rem);
        int p = 1 + FixedHeader.varIntSize(rem);
        System.arraycopy(PROTOCOL_NAME_AND_LEVEL, 0, b, p, PROTOCOL_NAME_AND_LEVEL.length);
        p += PROTOCOL_NAME_AND_LEVEL.length;
        b[p++] = (byte) flags;
        p = Wire.putU16(b, p, keepAliveSeconds);
        p = Wire.putString(b, p, clientId);
        if (willTopic != null) {
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
