package io.umqtt.simple;

import io.umqtt.api.MqttException;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.Properties;
import io.umqtt.simple.internal.codec.PropertyReader;
import io.umqtt.simple.internal.codec.Wire;

/**
 * Plain subscriptions on an MQTT 5 connection, until the subscription part of MQTT 5 (options,
 * identifiers, SUBACK/UNSUBACK reason codes in the API) replaces this: SUBSCRIBE and UNSUBSCRIBE
 * get an empty property block after their packet identifier (sections 3.8.2, 3.10.2), and
 * SUBACK and UNSUBACK are decoded in their MQTT 5 form (packet identifier, properties, one reason
 * code per filter; sections 3.9, 3.11), every refusal (0x80 or more) reported as 0x80. Stateless.
 */
final class Mqtt5Shim {
    private Mqtt5Shim() {
    }

    /** A 3.1.1 SUBSCRIBE or UNSUBSCRIBE in its MQTT 5 form (empty properties); other packets unchanged. */
    static byte[] subscribe(byte[] packet) {
        int first = packet[0] & 0xFF;
        if (first != 0x82 && first != 0xA2) {
            return packet;
        }
        int body = FixedHeader.bodyOffset(packet, 0);
        int rem = packet.length - body + 1;
        byte[] out = new byte[1 + Properties.varIntSize(rem) + rem];
        out[0] = packet[0];
        int p = Properties.writeVarInt(out, 1, rem);
        out[p++] = packet[body];
        out[p++] = packet[body + 1];
        out[p++] = 0; // property length
        System.arraycopy(packet, body + 2, out, p, packet.length - body - 2);
        return out;
    }

    /**
     * Decodes an MQTT 5 SUBACK ({@code suback}) or UNSUBACK at {@code b[off..off+len)}; returns
     * its packet identifier and fills {@code codes} (a new array) in {@code out[0]}.
     */
    static int decodeAck(boolean suback, byte[] b, int off, int len, PropertyReader reader, int[][] out)
            throws MqttException {
        String type = suback ? "SUBACK" : "UNSUBACK";
        int body = FixedHeader.bodyOffset(b, off);
        int end = off + len;
        if (end - body < 3) {
            throw Properties.malformed(type + " remaining length " + (end - body) + " cannot hold a packet identifier "
                    + "and a property length");
        }
        int id = Wire.u16(b, body);
        int codesAt = reader.start(suback ? Properties.SUBACK : Properties.UNSUBACK, b, body + 2, end);
        while (reader.next()) {
            // Reason String, User Property: not reported here
        }
        int count = end - codesAt;
        if (count < 1) {
            throw Properties.protocolError(type + " carries no reason code (one per filter, section "
                    + (suback ? "3.9.3" : "3.11.3") + ")");
        }
        int[] codes = new int[count];
        for (int i = 0; i < count; i++) {
            int code = b[codesAt + i] & 0xFF;
            if (!(suback ? validSuback(code) : validUnsuback(code))) {
                throw Properties.protocolError(String.format("%s reason code 0x%02X (%s) is not one a %s may carry",
                        type, code, MqttException.reasonCodeName(code), type));
            }
            codes[i] = code >= 0x80 ? 0x80 : code;
        }
        out[0] = codes;
        return id;
    }

    private static boolean validSuback(int code) {
        switch (code) {
            case 0x00: case 0x01: case 0x02: case 0x80: case 0x83: case 0x87: case 0x8F: case 0x91: case 0x97:
            case 0x9E: case 0xA1: case 0xA2:
                return true;
            default:
                return false;
        }
    }

    private static boolean validUnsuback(int code) {
        switch (code) {
            case 0x00: case 0x11: case 0x80: case 0x83: case 0x87: case 0x8F: case 0x91:
                return true;
            default:
                return false;
        }
    }
}
