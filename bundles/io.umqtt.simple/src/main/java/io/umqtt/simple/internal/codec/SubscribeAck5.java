package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;

/**
 * Decodes the MQTT 5 SUBACK (section 3.9 of MQTT 5) and UNSUBACK (3.11), which share a layout:
 * the packet identifier, the properties (Reason String, User Properties), then one reason code per
 * filter of the (UN)SUBSCRIBE, in its order (MQTT-3.9.3-1, MQTT-3.11.3-1). Stateless apart from
 * the caller's {@link PropertyReader}; a decoded ack is a small value (acks are rare: one
 * allocation each, as the MQTT 3.1.1 SUBACK's return codes).
 * <p>
 * Validates, each failure a PROTOCOL_ERROR naming the packet and the rule: the remaining length
 * holds a packet identifier, a property length and at least one reason code; the properties as
 * {@link PropertyReader} does (only Reason String and User Property are allowed, the Reason String
 * once); each reason code is one the packet defines (SUBACK: 0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
 * 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2, MQTT-3.9.3-2; UNSUBACK: 0x00, 0x11, 0x80, 0x83, 0x87, 0x8F,
 * 0x91, MQTT-3.11.3-2). The number of codes is checked by the client against its packet
 * ({@link SubackDecoder#countMismatch(io.umqtt.simple.PacketType, int, int, int)}).
 */
public final class SubscribeAck5 {
    /** The packet identifier. */
    public final int packetId;
    /** One reason code per filter, in the order of the (UN)SUBSCRIBE's filters. */
    public final int[] codes;
    /** The Reason String, or null. */
    public final String reasonString;

    private SubscribeAck5(int packetId, int[] codes, String reasonString) {
        this.packetId = packetId;
        this.codes = codes;
        this.reasonString = reasonString;
    }

    /** Decodes the framed MQTT 5 SUBACK at {@code b[off..off+len)}. */
    public static SubscribeAck5 suback(byte[] b, int off, int len, PropertyReader r) throws MqttException {
        return decode(Properties.SUBACK, b, off, len, r);
    }

    /** Decodes the framed MQTT 5 UNSUBACK at {@code b[off..off+len)}. */
    public static SubscribeAck5 unsuback(byte[] b, int off, int len, PropertyReader r) throws MqttException {
        return decode(Properties.UNSUBACK, b, off, len, r);
    }

    private static SubscribeAck5 decode(int packet, byte[] b, int off, int len, PropertyReader r)
            throws MqttException {
        String name = Properties.packetName(packet);
        int body = FixedHeader.bodyOffset(b, off);
        int end = off + len;
        int rem = end - body;
        if (rem < 4) {
            throw Properties.malformed(name + " remaining length must be at least 4 on MQTT 5 (a packet id, the "
                    + "property length and one reason code per filter; "
                    + (packet == Properties.SUBACK ? "sections 3.9.2 and 3.9.3, MQTT-3.9.3-2" : "sections 3.11.2 and "
                    + "3.11.3, MQTT-3.11.3-2") + "), found " + rem);
        }
        int packetId = Wire.u16(b, body);
        int codesAt = r.start(packet, b, body + 2, end);
        String reasonString = null;
        while (r.next()) {
            if (r.id() == Properties.REASON_STRING) {
                reasonString = r.string();
            }
            // User Properties: checked by the reader, not kept (the API has no place for an ack's)
        }
        int count = end - codesAt;
        if (count < 1) {
            throw Properties.protocolError(name + " carries no reason code: it needs one per filter of its "
                    + (packet == Properties.SUBACK ? "SUBSCRIBE (MQTT-3.9.3-2)" : "UNSUBSCRIBE (MQTT-3.11.3-2)"));
        }
        int[] codes = new int[count];
        for (int i = 0; i < count; i++) {
            int code = b[codesAt + i] & 0xFF;
            if (!(packet == Properties.SUBACK ? subscribeCode(code) : unsubscribeCode(code))) {
                throw Properties.protocolError(String.format("%s reason code 0x%02X is not %s", name, code,
                        packet == Properties.SUBACK
                                ? "a Subscribe Reason Code (0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, "
                                        + "0x9E, 0xA1, 0xA2; MQTT-3.9.3-2)"
                                : "an Unsubscribe Reason Code (0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91; MQTT-3.11.3-2)")
                        + (count > 1 ? " (reason code " + (i + 1) + " of " + count + ")" : ""));
            }
            codes[i] = code;
        }
        return new SubscribeAck5(packetId, codes, reasonString);
    }

    /** Whether {@code code} is a Subscribe Reason Code of MQTT 5 (section 3.9.3). */
    public static boolean subscribeCode(int code) {
        switch (code) {
            case 0x00: case 0x01: case 0x02: case 0x80: case 0x83: case 0x87: case 0x8F: case 0x91: case 0x97:
            case 0x9E: case 0xA1: case 0xA2:
                return true;
            default:
                return false;
        }
    }

    /** Whether {@code code} is an Unsubscribe Reason Code of MQTT 5 (section 3.11.3). */
    public static boolean unsubscribeCode(int code) {
        switch (code) {
            case 0x00: case 0x11: case 0x80: case 0x83: case 0x87: case 0x8F: case 0x91:
                return true;
            default:
                return false;
        }
    }
}
