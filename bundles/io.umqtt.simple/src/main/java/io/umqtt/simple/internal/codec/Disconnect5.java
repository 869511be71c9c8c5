package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;

/**
 * DISCONNECT of MQTT 5 (section 3.14), which either side may send: a reason code and properties,
 * both of which may be left out (remaining length 0 means 0x00, normal disconnection). Decoding
 * (a server's DISCONNECT) is a flyweight; encoding writes {@code E0 00}, the 3.1.1 form, for a
 * normal disconnection without properties. Not thread-safe: the reader's thread decodes.
 * <p>
 * Validates a server's DISCONNECT: flags 0 (checked when framing), a reason code table 3-10
 * allows a server to send, the properties ({@link PropertyReader}: Reason String, Server Reference,
 * User Property; Session Expiry Interval is refused, a server must not send it, MQTT-3.14.2-2) and
 * that they end where the packet ends.
 */
public final class Disconnect5 {
    private final PropertyReader reader = new PropertyReader();
    private int reasonCode;
    private String reasonString;
    private String serverReference;

    /**
     * Decodes the server's DISCONNECT at {@code b[off..off+len)}.
     *
     * @throws MqttException PROTOCOL_ERROR (reason code 0x81 or 0x82) saying what is wrong
     */
    public void decode(byte[] b, int off, int len) throws MqttException {
        int body = FixedHeader.bodyOffset(b, off);
        int end = off + len;
        int rem = end - body;
        int code = rem > 0 ? b[body] & 0xFF : 0;
        if (!fromServer(code)) {
            throw Properties.protocolError(String.format("DISCONNECT reason code 0x%02X (%s) is not one a server may "
                    + "send (section 3.14.2.1)", code, MqttException.reasonCodeName(code)));
        }
        String reason = null;
        String reference = null;
        if (rem > 1) {
            int after = reader.start(Properties.DISCONNECT, b, body + 1, end);
            while (reader.next()) {
                switch (reader.id()) {
                    case Properties.SESSION_EXPIRY_INTERVAL:
                        throw Properties.protocolError("the server's DISCONNECT carries Session Expiry Interval "
                                + "(0x11), which a server must not send (MQTT-3.14.2-2)");
                    case Properties.REASON_STRING:
                        reason = reader.string();
                        break;
                    case Properties.SERVER_REFERENCE:
                        reference = reader.string();
                        break;
                    default:
                        break;
                }
            }
            if (after != end) {
                throw Properties.malformed("DISCONNECT has " + (end - after) + " bytes after its properties (section "
                        + "3.14.3: no payload)");
            }
        }
        reasonCode = code;
        reasonString = reason;
        serverReference = reference;
    }

    /** Whether a server may send {@code code} in a DISCONNECT (table 3-10). */
    public static boolean fromServer(int code) {
        switch (code) {
            case 0x00: case 0x80: case 0x81: case 0x82: case 0x83: case 0x87: case 0x89: case 0x8B: case 0x8D:
            case 0x8E: case 0x8F: case 0x90: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97: case 0x98:
            case 0x99: case 0x9A: case 0x9B: case 0x9C: case 0x9D: case 0x9E: case 0x9F: case 0xA0: case 0xA1:
            case 0xA2:
                return true;
            default:
                return false;
        }
    }

    /** Whether a client may send {@code code} in a DISCONNECT (table 3-10). */
    public static boolean fromClient(int code) {
        switch (code) {
            case 0x00: case 0x04: case 0x80: case 0x81: case 0x82: case 0x83: case 0x90: case 0x93: case 0x94:
            case 0x95: case 0x96: case 0x97: case 0x98: case 0x99:
                return true;
            default:
                return false;
        }
    }

    public int reasonCode() {
        return reasonCode;
    }

    /** The Reason String, or null. */
    public String reasonString() {
        return reasonString;
    }

    /** The Server Reference (another server to use), or null. */
    public String serverReference() {
        return serverReference;
    }

    /**
     * A new DISCONNECT with {@code reasonCode}: {@code E0 00} for 0x00 without properties.
     *
     * @param properties null for none
     */
    public static byte[] encode(int reasonCode, PropertyWriter properties) {
        boolean props = properties != null && !properties.isEmpty();
        int rem = props ? 1 + properties.encodedLength() : reasonCode != 0 ? 1 : 0;
        byte[] b = Wire.packet(ShortPackets.DISCONNECT, rem);
        int p = 1 + FixedHeader.varIntSize(rem);
        if (rem > 0) {
            b[p++] = (byte) reasonCode;
        }
        if (props) {
            properties.writeTo(b, p);
        }
        return b;
    }
}
