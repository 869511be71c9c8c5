package io.umqtt.simple.internal.codec;

import io.umqtt.simple.PacketType;
import io.umqtt.api.MqttException;

/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP of MQTT 5 (sections 3.4-3.7): the packet identifier, then a
 * reason code and properties (Reason String, User Property), both of which may be left out: a
 * remaining length of 2 means reason code 0x00 (success) and no properties, 3 means no
 * properties (3.4.2.1). Decoding is a flyweight, one per reader, that allocates nothing unless
 * the packet carries a reason string; encoding writes the 3.1.1 form (4 bytes) for success
 * without properties, so that an MQTT 5 ack costs what an MQTT 3.1.1 ack does. Not thread-safe:
 * the reader's thread decodes.
 * <p>
 * Validates: the fixed header flags (0x2 for PUBREL, else 0x0; MQTT-3.6.1-1), the packet
 * identifier is not 0 (MQTT-2.2.1-3), the reason code is one table 3-4 (PUBACK), 3-5 (PUBREC),
 * 3-6 (PUBREL) or 3-7 (PUBCOMP) allows, the properties ({@link PropertyReader}) and that they end
 * where the packet ends.
 */
public final class Acks5 {
    private final PropertyReader reader = new PropertyReader();
    private int packetId;
    private int reasonCode;
    private String reasonString;

    /**
     * Decodes the framed {@code type} packet at {@code b[off..off+len)}.
     *
     * @param type PUBACK, PUBREC, PUBREL or PUBCOMP
     * @throws MqttException PROTOCOL_ERROR (reason code 0x81 or 0x82) saying what is wrong
     */
    public void decode(PacketType type, byte[] b, int off, int len) throws MqttException {
        int flags = b[off] & 0x0F;
        int expected = type == PacketType.PUBREL ? 0x2 : 0x0;
        if (flags != expected) {
            throw Properties.malformed(String.format("%s fixed header flags must be 0x%X, found 0x%X", type, expected,
                    flags));
        }
        int body = FixedHeader.bodyOffset(b, off);
        int end = off + len;
        int rem = end - body;
        if (rem < 2) {
            throw Properties.malformed(type + " remaining length " + rem + " cannot hold a packet identifier");
        }
        int id = Wire.u16(b, body);
        if (id == 0) {
            throw Properties.protocolError(type + " with packet identifier 0 (MQTT-2.2.1-3)");
        }
        int code = rem > 2 ? b[body + 2] & 0xFF : 0;
        if (!validReasonCode(type, code)) {
            throw Properties.protocolError(String.format("%s reason code 0x%02X (%s) is not one a %s may carry (%s)",
                    type, code, MqttException.reasonCodeName(code), type, section(type)));
        }
        String reason = null;
        if (rem > 3) {
            int after = reader.start(type.code(), b, body + 3, end);
            while (reader.next()) {
                if (reader.id() == Properties.REASON_STRING) {
                    reason = reader.string();
                }
            }
            if (after != end) {
                throw Properties.malformed(type + " has " + (end - after) + " bytes after its properties ("
                        + section(type) + ": no payload)");
            }
        }
        packetId = id;
        reasonCode = code;
        reasonString = reason;
    }

    /** "section 3.4" (PUBACK) to "section 3.7" (PUBCOMP): the section is 3.x for packet type x. */
    private static String section(PacketType type) {
        return "section 3." + type.code();
    }

    /** Whether {@code code} is a reason code of {@code type} (tables 3-4 to 3-7). */
    public static boolean validReasonCode(PacketType type, int code) {
        if (type == PacketType.PUBREL || type == PacketType.PUBCOMP) {
            return code == 0x00 || code == 0x92;
        }
        switch (code) {
            case 0x00: case 0x10: case 0x80: case 0x83: case 0x87: case 0x90: case 0x91: case 0x97: case 0x99:
                return true;
            default:
                return false;
        }
    }

    /** The packet identifier of the packet last decoded. */
    public int packetId() {
        return packetId;
    }

    /** Its reason code; 0x00 when the packet left it out. */
    public int reasonCode() {
        return reasonCode;
    }

    /** Its Reason String, or null. */
    public String reasonString() {
        return reasonString;
    }

    /**
     * A new ack packet with a reason code and properties; for success without properties the
     * 4 bytes of MQTT 3.1.1.
     *
     * @param header {@link ShortPackets#PUBACK}, {@link ShortPackets#PUBREC}, {@link ShortPackets#PUBREL}
     *        or {@link ShortPackets#PUBCOMP}
     * @param properties null for none
     */
    public static byte[] encode(int header, int packetId, int reasonCode, PropertyWriter properties) {
        if (packetId < 1 || packetId > 0xFFFF) {
            throw new IllegalArgumentException("packet id must be 1..65535, found " + packetId);
        }
        boolean props = properties != null && !properties.isEmpty();
        int rem = props ? 3 + properties.encodedLength() : reasonCode != 0 ? 3 : 2;
        byte[] b = Wire.packet(header, rem);
        int p = Wire.putU16(b, 1 + FixedHeader.varIntSize(rem), packetId);
        if (rem > 2) {
            b[p++] = (byte) reasonCode;
        }
        if (props) {
            properties.writeTo(b, p);
        }
        return b;
    }
}
