package io.umqtt.simple.internal.codec;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttException;

/**
 * The MQTT 5 AUTH packet (section 3.15), both directions: {@link #encode} lays out the client's
 * AUTH (reason code 0x18 continue authentication or 0x19 re-authenticate, with the Authentication
 * Method and Data), {@link #decode} checks and reads the server's. Which reason code is right when
 * is the exchange's business (the client's {@code AuthExchange}); this class checks the packet.
 * <p>
 * Validates the server's AUTH: the fixed header flags 0 (MQTT-3.15.1-1, checked when framing);
 * remaining length 0 (reason code 0x00 success, no properties, 3.15.2.1) or at least 2 (a reason
 * code and the property length); the reason code is 0x00, 0x18 or 0x19 (MQTT-3.15.2-1); the
 * properties as {@link PropertyReader} does (Authentication Method, Authentication Data, Reason
 * String, User Property; none but User Property twice, 3.15.2.2); nothing after the properties.
 * Stateless.
 */
public final class AuthCodec {
    /** AUTH with its flags 0. */
    public static final int HEADER = 0xF0;
    /** Reason code 0x00: authentication successful (server only). */
    public static final int SUCCESS = 0x00;
    /** Reason code 0x18: continue authentication. */
    public static final int CONTINUE = 0x18;
    /** Reason code 0x19: re-authenticate (client only). */
    public static final int REAUTHENTICATE = 0x19;

    /** The reason code of the decoded AUTH. */
    public final int reasonCode;
    /** Its Authentication Method, or null when it carried none. */
    public final String method;
    /** Its Authentication Data, or null when it carried none. */
    public final byte[] data;
    /** Its Reason String, or null. */
    public final String reasonString;

    private AuthCodec(int reasonCode, String method, byte[] data, String reasonString) {
        this.reasonCode = reasonCode;
        this.method = method;
        this.data = data;
        this.reasonString = reasonString;
    }

    /**
     * The whole AUTH packet with {@code reasonCode}, the Authentication Method {@code method} (UTF-8,
     * checked by the caller) and the Authentication Data {@code data} (null: none).
     */
    public static byte[] encode(int reasonCode, byte[] method, byte[] data) {
        PropertyWriter w = new PropertyWriter(Properties.AUTH).putString(Properties.AUTHENTICATION_METHOD, method);
        if (data != null) {
            w.putBinary(Properties.AUTHENTICATION_DATA, data);
        }
        int rem = 1 + w.encodedLength();
        byte[] b = Wire.packet(HEADER, rem);
        int p = 1 + FixedHeader.varIntSize(rem);
        b[p++] = (byte) reasonCode;
        w.writeTo(b, p);
        return b;
    }

    /** {@link #encode(int, byte[], byte[])} with the method as a String. */
    public static byte[] encode(int reasonCode, String method, byte[] data) {
        return encode(reasonCode, method.getBytes(StandardCharsets.UTF_8), data);
    }

    /**
     * Checks and reads the framed AUTH at {@code b[off..off+len)}.
     *
     * @throws MqttException PROTOCOL_ERROR naming what is wrong
     */
    public static AuthCodec decode(byte[] b, int off, int len, PropertyReader r) throws MqttException {
        int body = FixedHeader.bodyOffset(b, off);
        int end = off + len;
        int rem = end - body;
        if (rem == 0) {
            return new AuthCodec(SUCCESS, null, null, null);
        }
        if (rem == 1) {
            throw Properties.malformed("AUTH remaining length must be 0 or at least 2 (a reason code and the "
                    + "property length; section 3.15.2), found 1");
        }
        int code = b[body] & 0xFF;
        if (code != SUCCESS && code != CONTINUE && code != REAUTHENTICATE) {
            throw Properties.protocolError(String.format("AUTH reason code 0x%02X is not an Authenticate Reason Code "
                    + "(0x00, 0x18, 0x19; MQTT-3.15.2-1)", code));
        }
        int after = r.start(Properties.AUTH, b, body + 1, end);
        String method = null;
        byte[] data = null;
        String reasonString = null;
        while (r.next()) {
            switch (r.id()) {
                case Properties.AUTHENTICATION_METHOD:
                    method = r.string();
                    break;
                case Properties.AUTHENTICATION_DATA:
                    data = r.bytes();
                    break;
                case Properties.REASON_STRING:
                    reasonString = r.string();
                    break;
                default: // User Property: checked by the reader, not kept
                    break;
            }
        }
        if (after != end) {
            throw Properties.malformed("AUTH carries " + (end - after) + " bytes after its properties, where the "
                    + "packet must end (section 3.15.3: AUTH has no payload)");
        }
        return new AuthCodec(code, method, data, reasonString);
    }
}
