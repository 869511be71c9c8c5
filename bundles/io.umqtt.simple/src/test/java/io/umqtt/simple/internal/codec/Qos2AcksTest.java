package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.PacketType;

/** PUBREC, PUBREL and PUBCOMP (QoS 2), encoded and decoded, on bytes. */
class Qos2AcksTest {

    private static String protocolError(Executable decode) {
        MqttException e = assertThrows(MqttException.class, decode);
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        return e.getMessage();
    }

    @Test
    void encodersWriteTypeFlagsLengthAndId() {
        assertArrayEquals(b(0x50, 0x02, 0x12, 0x34), ShortPackets.qos2Ack(ShortPackets.PUBREC, 0x1234));
        assertArrayEquals(b(0x62, 0x02, 0x00, 0x01), ShortPackets.qos2Ack(ShortPackets.PUBREL, 1)); // PUBREL flags 0010 (3.6.1)
        assertArrayEquals(b(0x70, 0x02, 0xFF, 0xFF), ShortPackets.qos2Ack(ShortPackets.PUBCOMP, 65_535));
    }

    @Test
    void encodersWriteIntoTheCallersBuffer() {
        byte[] buf = new byte[6];
        ShortPackets.encodePubrel(buf, 2, 7);
        assertArrayEquals(b(0, 0, 0x62, 0x02, 0x00, 0x07), buf);
    }

    @Test
    void encodersRefusePacketId0AndTooLarge() {
        assertEquals("packet id must be 1..65535, found 0",
                assertThrows(IllegalArgumentException.class, () -> ShortPackets.qos2Ack(ShortPackets.PUBREC, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShortPackets.qos2Ack(ShortPackets.PUBCOMP, 65_536));
    }

    @Test
    void decodersReturnThePacketId() throws MqttException {
        byte[] rec = b(0x50, 0x02, 0x01, 0x02);
        assertEquals(0x0102, ShortPackets.decodePubrec(rec, 0, 4));
        byte[] rel = b(0xAA, 0x62, 0x02, 0xFF, 0xFE); // at an offset in the read buffer
        assertEquals(0xFFFE, ShortPackets.decodePubrel(rel, 1, 4));
        byte[] comp = b(0x70, 0x02, 0x00, 0x09);
        assertEquals(9, ShortPackets.decodePubcomp(comp, 0, 4));
    }

    @Test
    void encodedPacketsDecodeAgain() throws MqttException {
        for (int id : new int[] {1, 255, 256, 40_000, 65_535}) {
            assertEquals(id, ShortPackets.decodePubrec(ShortPackets.qos2Ack(ShortPackets.PUBREC, id), 0, 4));
            assertEquals(id, ShortPackets.decodePubrel(ShortPackets.qos2Ack(ShortPackets.PUBREL, id), 0, 4));
            assertEquals(id, ShortPackets.decodePubcomp(ShortPackets.qos2Ack(ShortPackets.PUBCOMP, id), 0, 4));
            assertEquals(PacketType.PUBREL, Packets.decode(ShortPackets.qos2Ack(ShortPackets.PUBREL, id)));
        }
    }

    @Test
    void pubrelWithFlags0000IsRefusedNamingTheSection() {
        byte[] p = b(0x60, 0x02, 0x00, 0x01);
        assertEquals("PUBREL fixed header flags must be 0x2 (section 3.6.1), found 0x0",
                protocolError(() -> ShortPackets.decodePubrel(p, 0, 4)));
    }

    @Test
    void pubrecAndPubcompWithFlagsAreRefused() {
        assertEquals("PUBREC fixed header flags must be 0x0 (section 3.5.1), found 0x2",
                protocolError(() -> ShortPackets.decodePubrec(b(0x52, 0x02, 0x00, 0x01), 0, 4)));
        assertEquals("PUBCOMP fixed header flags must be 0x0 (section 3.7.1), found 0x1",
                protocolError(() -> ShortPackets.decodePubcomp(b(0x71, 0x02, 0x00, 0x01), 0, 4)));
    }

    @Test
    void remainingLengthMustBe2() {
        assertEquals("PUBREC remaining length must be 2 (section 3.5.1), found 3",
                protocolError(() -> ShortPackets.decodePubrec(b(0x50, 0x03, 0x00, 0x01, 0x00), 0, 5)));
        assertEquals("PUBREL remaining length must be 2 (section 3.6.1), found 1",
                protocolError(() -> ShortPackets.decodePubrel(b(0x62, 0x01, 0x00), 0, 3)));
        assertEquals("PUBCOMP remaining length must be 2 (section 3.7.1), found 0",
                protocolError(() -> ShortPackets.decodePubcomp(b(0x70, 0x00), 0, 2)));
    }

    @Test
    void packetId0IsRefused() {
        assertEquals("PUBREC with packet id 0: a packet identifier must be non-zero (MQTT-2.3.1-1)",
                protocolError(() -> ShortPackets.decodePubrec(b(0x50, 0x02, 0x00, 0x00), 0, 4)));
        assertEquals("PUBREL with packet id 0: a packet identifier must be non-zero (MQTT-2.3.1-1)",
                protocolError(() -> ShortPackets.decodePubrel(b(0x62, 0x02, 0x00, 0x00), 0, 4)));
        assertEquals("PUBCOMP with packet id 0: a packet identifier must be non-zero (MQTT-2.3.1-1)",
                protocolError(() -> ShortPackets.decodePubcomp(b(0x70, 0x02, 0x00, 0x00), 0, 4)));
    }

    @Test
    void anotherPacketTypeIsRefused() {
        assertEquals("expected PUBCOMP (section 3.7), found packet type 5",
                protocolError(() -> ShortPackets.decodePubcomp(b(0x50, 0x02, 0x00, 0x01), 0, 4)));
    }

    @Test
    void publishAtQos2IsEncodedWithItsPacketId() {
        byte[] p = PublishEncoder.encode("t".getBytes(StandardCharsets.UTF_8), b('x'), 2, false, true, 0x0102);
        assertArrayEquals(b(0x3C, 0x06, 0x00, 0x01, 't', 0x01, 0x02, 'x'), p); // DUP | QoS 2
    }
}
