package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * What PUBREC, PUBREL and PUBCOMP (MQTT 3.1.1 sections 3.5, 3.6, 3.7) share: the fixed header
 * with its flags (0000, or 0010 for PUBREL: MQTT-3.6.1-1), remaining length 2 and a packet
 * identifier that is not 0 (MQTT-2.3.1-1). Stateless; used by their decoders and encoders.
 */
final class Qos2Acks {
    /** Bytes of each of the three packets. */
    static final int LENGTH = 4;

    private Qos2Acks() {
    }

    /**
     * The packet identifier of the framed {@code type} packet at {@code b[off..off+len)}, checked.
     *
     * @param section the spec section of {@code type}, for messages
     * @param flags the fixed header flags the spec requires
     */
    static int decode(PacketType type, String section, int flags, byte[] b, int off, int len) throws MqttException {
        int found = b[off] & 0x0F;
        if ((b[off] & 0xFF) >>> 4 != type.code()) {
            throw Wire.protocol("expected " + type + " (section " + section + "), found packet type "
                    + ((b[off] & 0xFF) >>> 4));
        }
        if (found != flags) {
            throw Wire.protocol(String.format("%s fixed header flags must be 0x%X (section %s.1), found 0x%X",
                    type, flags, section, found));
        }
        int body = FixedHeader.bodyOffset(b, off);
        int rem = off + len - body;
        if (rem != 2) {
            throw Wire.protocol(type + " remaining length must be 2 (section " + section + ".1), found " + rem);
        }
        int id = Wire.u16(b, body);
        if (id == 0) {
            throw Wire.protocol(type + " with packet id 0: a packet identifier must be non-zero (MQTT-2.3.1-1)");
        }
        return id;
    }

    /** Writes {@code first 02 id} into {@code b[off..off+4)}. */
    static void encode(int first, byte[] b, int off, int packetId) {
        if (packetId < 1 || packetId > 0xFFFF) {
            throw new IllegalArgumentException("packet id must be 1..65535, found " + packetId);
        }
        b[off] = (byte) first;
        b[off + 1] = 2;
        Wire.putU16(b, off + 2, packetId);
    }
}
