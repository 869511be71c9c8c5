package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * The MQTT 3.1.1 packets whose whole shape the spec fixes, one method per packet type and
 * direction: those that hold a packet identifier alone (PUBACK, PUBREC, PUBREL, PUBCOMP: sections
 * 3.4-3.7; UNSUBACK: 3.11) and those that are a fixed header alone (PINGREQ, PINGRESP, DISCONNECT:
 * 3.12-3.14). Stateless.
 * <p>
 * Encoders of the acks write into the caller's buffer, so that an ack allocates nothing. Decoders
 * take the framed packet at {@code b[off..off+len)} and validate: PUBACK and UNSUBACK the remaining
 * length 2, PINGRESP 0 (their fixed header flags were checked when framing); PUBREC, PUBREL and
 * PUBCOMP their packet type, their fixed header flags (0000, or 0010 for PUBREL: MQTT-3.6.1-1), the
 * remaining length 2 and a packet identifier that is not 0 (MQTT-2.3.1-1).
 */
public final class ShortPackets {
    /** The first byte of PUBACK: type and the fixed flags. */
    public static final int PUBACK = 0x40;
    /** The first byte of PUBREC. */
    public static final int PUBREC = 0x50;
    /** The first byte of PUBREL (flags 0010). */
    public static final int PUBREL = 0x62;
    /** The first byte of PUBCOMP. */
    public static final int PUBCOMP = 0x70;
    /** The first byte of PINGREQ. */
    public static final int PINGREQ = 0xC0;
    /** The first byte of DISCONNECT. */
    public static final int DISCONNECT = 0xE0;
    /** Bytes of a PUBACK, PUBREC, PUBREL or PUBCOMP. */
    public static final int ACK_LENGTH = 4;

    private ShortPackets() {
    }

    /** Writes PUBACK ({@code 40 02} and the packet identifier) into {@code b[off..off+4)}. */
    public static void encodePuback(byte[] b, int off, int packetId) {
        b[off] = (byte) PUBACK;
        b[off + 1] = 2;
        Wire.putU16(b, off + 2, packetId);
    }

    /**
     * Writes PUBREC ({@code 50 02} and the packet identifier), the receiver's first answer to a
     * PUBLISH received at QoS 2, into {@code b[off..off+4)}.
     *
     * @throws IllegalArgumentException unless {@code packetId} is 1..65535
     */
    public static void encodePubrec(byte[] b, int off, int packetId) {
        encodeQos2Ack(PUBREC, b, off, packetId);
    }

    /**
     * Writes PUBREL ({@code 62 02} and the packet identifier), the sender's release of a QoS 2
     * PUBLISH after its PUBREC, into {@code b[off..off+4)}.
     *
     * @throws IllegalArgumentException unless {@code packetId} is 1..65535
     */
    public static void encodePubrel(byte[] b, int off, int packetId) {
        encodeQos2Ack(PUBREL, b, off, packetId);
    }

    /**
     * Writes PUBCOMP ({@code 70 02} and the packet identifier), the receiver's last answer to a
     * QoS 2 PUBLISH, after the PUBREL, into {@code b[off..off+4)}.
     *
     * @throws IllegalArgumentException unless {@code packetId} is 1..65535
     */
    public static void encodePubcomp(byte[] b, int off, int packetId) {
        encodeQos2Ack(PUBCOMP, b, off, packetId);
    }

    /**
     * A new PUBREC, PUBREL or PUBCOMP packet (tests, and writes that are not on the hot path).
     *
     * @param header {@link #PUBREC}, {@link #PUBREL} or {@link #PUBCOMP}
     * @throws IllegalArgumentException unless {@code packetId} is 1..65535
     */
    public static byte[] qos2Ack(int header, int packetId) {
        byte[] b = new byte[ACK_LENGTH];
        encodeQos2Ack(header, b, 0, packetId);
        return b;
    }

    /** A new PINGREQ packet: {@code C0 00}. */
    public static byte[] pingreq() {
        return new byte[] {(byte) PINGREQ, 0};
    }

    /** A new DISCONNECT packet: {@code E0 00}. */
    public static byte[] disconnect() {
        return new byte[] {(byte) DISCONNECT, 0};
    }

    /**
     * The packet identifier of a PUBACK, the server's ack of a QoS 1 PUBLISH.
     *
     * @throws MqttException "PUBACK remaining length must be 2, found 3"
     */
    public static int decodePuback(byte[] b, int off, int len) throws MqttException {
        return Wire.packetIdOnly(PacketType.PUBACK, b, off, len);
    }

    /**
     * The packet identifier of a PUBREC.
     *
     * @throws MqttException PROTOCOL_ERROR, e.g. "PUBREC remaining length must be 2 (section 3.5.1), found 3"
     */
    public static int decodePubrec(byte[] b, int off, int len) throws MqttException {
        return decodeQos2Ack(PacketType.PUBREC, "3.5", 0x0, b, off, len);
    }

    /**
     * The packet identifier of a PUBREL.
     *
     * @throws MqttException PROTOCOL_ERROR, e.g. "PUBREL remaining length must be 2 (section 3.6.1), found 3"
     */
    public static int decodePubrel(byte[] b, int off, int len) throws MqttException {
        return decodeQos2Ack(PacketType.PUBREL, "3.6", 0x2, b, off, len);
    }

    /**
     * The packet identifier of a PUBCOMP.
     *
     * @throws MqttException PROTOCOL_ERROR, e.g. "PUBCOMP remaining length must be 2 (section 3.7.1), found 3"
     */
    public static int decodePubcomp(byte[] b, int off, int len) throws MqttException {
        return decodeQos2Ack(PacketType.PUBCOMP, "3.7", 0x0, b, off, len);
    }

    /**
     * The packet identifier of an UNSUBACK, the server's ack of an UNSUBSCRIBE.
     *
     * @throws MqttException "UNSUBACK remaining length must be 2, found 3"
     */
    public static int decodeUnsuback(byte[] b, int off, int len) throws MqttException {
        return Wire.packetIdOnly(PacketType.UNSUBACK, b, off, len);
    }

    /**
     * Checks a PINGRESP, the server's answer to PINGREQ.
     *
     * @throws MqttException "PINGRESP remaining length must be 0, found 1"
     */
    public static void decodePingresp(byte[] b, int off, int len) throws MqttException {
        Wire.expectRemaining(PacketType.PINGRESP, off + len - FixedHeader.bodyOffset(b, off), 0);
    }

    /**
     * What PUBREC, PUBREL and PUBCOMP share: the packet identifier of the framed {@code type}
     * packet, checked.
     *
     * @param section the spec section of {@code type}, for messages
     * @param flags the fixed header flags the spec requires
     */
    private static int decodeQos2Ack(PacketType type, String section, int flags, byte[] b, int off, int len)
            throws MqttException {
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
    private static void encodeQos2Ack(int first, byte[] b, int off, int packetId) {
        if (packetId < 1 || packetId > 0xFFFF) {
            throw new IllegalArgumentException("packet id must be 1..65535, found " + packetId);
        }
        b[off] = (byte) first;
        b[off + 1] = 2;
        Wire.putU16(b, off + 2, packetId);
    }
}
