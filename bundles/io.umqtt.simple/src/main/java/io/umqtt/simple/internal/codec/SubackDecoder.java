package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * Decodes SUBACK (MQTT 3.1.1 section 3.9), the server's ack of a SUBSCRIBE: the packet identifier
 * and one return code per filter of the SUBSCRIBE, in the order of its filters (MQTT-3.9.3-1).
 * Stateless.
 * <p>
 * Validates: at least one return code (remaining length 3 or more); each return code is 0x00,
 * 0x01, 0x02 (the granted QoS) or 0x80 (failure), the others being reserved (3.9.3). The fixed
 * header's flags were checked when framing. How many codes are right depends on the SUBSCRIBE the
 * packet identifier answers, which the client knows: it checks the count with
 * {@link #countMismatch}.
 */
public final class SubackDecoder {
    /** The return code for a refused filter. */
    public static final int FAILURE = 0x80;

    private SubackDecoder() {
    }

    /**
     * Checks the framed SUBACK at {@code b[off..off+len)}; returns its packet identifier. Its
     * return codes are then {@link #returnCodes}.
     *
     * @throws MqttException naming the wrong length or return code
     */
    public static int decode(byte[] b, int off, int len) throws MqttException {
        int body = FixedHeader.bodyOffset(b, off);
        int rem = off + len - body;
        if (rem < 3) {
            throw Wire.protocol("SUBACK remaining length must be at least 3 (a packet id and one return code per "
                    + "filter), found " + rem);
        }
        int count = rem - 2;
        for (int i = 0; i < count; i++) {
            int code = b[body + 2 + i] & 0xFF;
            if (code != 0 && code != 1 && code != 2 && code != FAILURE) {
                throw Wire.protocol(String.format("SUBACK return code must be 0, 1, 2 or 0x80, found 0x%02X", code)
                        + (count > 1 ? " (return code " + (i + 1) + " of " + count + ")" : ""));
            }
        }
        return Wire.u16(b, body);
    }

    /** The return codes of a SUBACK that {@link #decode} accepted, in the order of the SUBSCRIBE's filters. */
    public static int[] returnCodes(byte[] b, int off, int len) {
        int body = FixedHeader.bodyOffset(b, off);
        int count = off + len - body - 2;
        int[] codes = new int[count];
        for (int i = 0; i < count; i++) {
            codes[i] = b[body + 2 + i] & 0xFF;
        }
        return codes;
    }

    /**
     * The protocol error for a SUBACK whose number of return codes differs from the number of
     * filters its SUBSCRIBE carried (MQTT-3.9.3-1), or null when they are equal.
     */
    public static MqttException countMismatch(int packetId, int codes, int filters) {
        return countMismatch(PacketType.SUBACK, packetId, codes, filters);
    }

    /**
     * {@link #countMismatch(int, int, int)} for a SUBACK or (MQTT 5) an UNSUBACK ({@code ack}):
     * MQTT-3.9.3-1, MQTT-3.11.3-1.
     */
    public static MqttException countMismatch(PacketType ack, int packetId, int codes, int filters) {
        if (codes == filters) {
            return null;
        }
        boolean sub = ack == PacketType.SUBACK;
        return Wire.protocol(ack + " for packet id " + packetId + " carries " + codes + " "
                + (sub ? "return" : "reason") + " code" + (codes == 1 ? "" : "s") + ", but its "
                + (sub ? "SUBSCRIBE" : "UNSUBSCRIBE") + " had " + filters + " filter" + (filters == 1 ? "" : "s")
                + " (one " + (sub ? "return" : "reason") + " code per filter, " + (sub ? "MQTT-3.9.3-1" : "MQTT-3.11.3-1")
                + ")");
    }
}
