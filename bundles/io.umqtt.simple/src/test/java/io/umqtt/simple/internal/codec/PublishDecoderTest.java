package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.PORT;
import static io.umqtt.simple.internal.codec.Packets.SERVER;
import static io.umqtt.simple.internal.codec.Packets.b;
import static io.umqtt.simple.internal.codec.Packets.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.PacketType;

/**
 * {@link PublishDecoder}: what it reads out of a PUBLISH, where, and every PUBLISH it refuses. The
 * invalid-topic table moved here from {@code StrictStringsTest}, which keeps a few rows and the
 * checks that nothing is delivered or acknowledged.
 */
class PublishDecoderTest {
    private final PublishDecoder decoder = new PublishDecoder();

    /** A PUBLISH with the given flags, raw topic bytes and payload "m"; packet id 7 at QoS 1. */
    private static byte[] publish(int qos, boolean dup, byte[] topic) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int rem = 2 + topic.length + (qos > 0 ? 2 : 0) + 1;
        b.write(0x30 | (dup ? 0x08 : 0) | qos << 1);
        b.write(rem); // the tests' packets stay below 128 bytes
        b.write(topic.length >> 8);
        b.write(topic.length);
        b.writeBytes(topic);
        if (qos > 0) {
            b.write(0);
            b.write(7);
        }
        b.write('m');
        return b.toByteArray();
    }

    private MqttException refused(byte[] packet) {
        MqttException e = assertThrows(MqttException.class, () -> Packets.decode(packet, decoder));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        return e;
    }

    @Test
    void qos1RetainDupIsReadInPlace() throws MqttException {
        // some bytes before the packet: the decoder works on a slice of the read buffer
        byte[] buf = b(
                0xEE, 0xEE,                         // the previous packet's tail
                0x3B, 0x0A,                         // PUBLISH, DUP 0x08 | QoS 1 (0x02) | retain 0x01, remaining length 10
                0x00, 0x03, 'a', '/', 'b',          // topic
                0x01, 0x02,                         // packet id 258
                'x', 'y', 'z',                      // payload
                0xEE);                              // the next packet's head
        decoder.decode(buf, 2, 12, SERVER, PORT);
        assertEquals(1, decoder.qos());
        assertTrue(decoder.retain());
        assertTrue(decoder.dup());
        assertEquals(258, decoder.packetId());
        assertArrayEquals("a/b".getBytes(StandardCharsets.US_ASCII), decoder.topic());
        assertEquals(11, decoder.payloadOffset());
        assertEquals(14, decoder.payloadEnd());
        assertArrayEquals(b('x', 'y', 'z'), Arrays.copyOfRange(buf, decoder.payloadOffset(), decoder.payloadEnd()));
    }

    @Test
    void qos0WithAnEmptyPayloadAndATwoByteRemainingLength() throws MqttException {
        byte[] topic = new byte[200];
        Arrays.fill(topic, (byte) 't');
        byte[] packet = PublishEncoder.encode(topic, new byte[0], 0, false, false, 0); // 30 CA 01 00 C8 ...
        decoder.decode(packet, 0, packet.length, SERVER, PORT);
        assertEquals(0, decoder.qos());
        assertFalse(decoder.retain());
        assertFalse(decoder.dup());
        assertEquals(0, decoder.packetId());
        assertArrayEquals(topic, decoder.topic());
        assertEquals(packet.length, decoder.payloadOffset());
        assertEquals(packet.length, decoder.payloadEnd());
    }

    @Test
    void theFlyweightIsReusedAndEachTopicIsANewArray() throws MqttException {
        byte[] first = PublishEncoder.encode(b('a'), b('1'), 1, false, false, 5);
        byte[] second = PublishEncoder.encode(b('b'), b('2', '2'), 0, true, false, 0);
        assertEquals(PacketType.PUBLISH, Packets.decode(first, decoder));
        byte[] firstTopic = decoder.topic();
        assertEquals(5, decoder.packetId());
        Packets.decode(second, decoder);
        assertNotSame(firstTopic, decoder.topic());
        assertArrayEquals(b('a'), firstTopic, "the first topic is the caller's: not overwritten");
        assertArrayEquals(b('b'), decoder.topic());
        assertEquals(0, decoder.packetId());
        assertTrue(decoder.retain());
        assertEquals(2, decoder.payloadEnd() - decoder.payloadOffset());
    }

    @Test
    void aRemainingLengthTooShortForTheTopicLengthIsRefused() {
        assertEquals("PUBLISH remaining length 1 cannot hold a topic length", refused(b(0x30, 0x01, 0x00)).getMessage());
    }

    @Test
    void aTopicThatLeavesNoRoomForThePacketIdIsRefused() {
        // QoS 1: 2 + 1 topic byte + 2 id bytes do not fit in 4
        assertEquals("PUBLISH topic length 1 plus packet id does not fit in remaining length 4",
                refused(b(0x32, 0x04, 0x00, 0x01, 't', 0x00)).getMessage());
    }

    @Test
    void anEmptyTopicIsRefused() {
        assertTrue(refused(publish(1, false, new byte[0])).getMessage().contains("empty topic name"));
    }

    @Test
    void qos2IsDecodedWithItsPacketIdAndDup() throws MqttException {
        PublishDecoder d = new PublishDecoder();
        byte[] p = b(0x3D, 0x06, 0x00, 0x01, 't', 0x12, 0x34, 'x'); // DUP, QoS 2, retain
        d.decode(p, 0, p.length, Packets.SERVER, Packets.PORT);
        assertEquals(2, d.qos());
        assertEquals(0x1234, d.packetId());
        assertTrue(d.dup());
        assertTrue(d.retain());
        assertEquals(7, d.payloadOffset());
        assertEquals(8, d.payloadEnd());
    }

    @Test
    void packetId0AtQos2IsRefused() {
        assertEquals("PUBLISH at QoS 2 with packet id 0 (MQTT-2.3.1-1)",
                refused(b(0x34, 0x05, 0x00, 0x01, 't', 0x00, 0x00)).getMessage());
    }

    @Test
    void packetId0AtQos1IsRefused() {
        assertEquals("PUBLISH at QoS 1 with packet id 0 (MQTT-2.3.1-1)", refused(b(0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00)).getMessage());
    }

    @ParameterizedTest(name = "retain {0}")
    @CsvSource({"false", "true"})
    void dupAtQos0IsRefused(boolean retain) {
        byte[] packet = publish(0, true, "a/b".getBytes(StandardCharsets.UTF_8));
        packet[0] |= retain ? 0x01 : 0;
        assertEquals("PUBLISH from 127.0.0.1:1883 at QoS 0 with the DUP flag set: DUP must be 0 at QoS 0 "
                + "(MQTT-3.3.1-2)", refused(packet).getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'+' in a level            | 1 | 61 2F 2B             | topic must not contain wildcards, found '+' at byte 2 in 'a/+'",
        "'#' as a level            | 1 | 61 2F 23             | topic must not contain wildcards, found '#' at byte 2",
        "'#' alone                 | 0 | 23                   | topic must not contain wildcards, found '#' at byte 0",
        "'+' inside a level        | 1 | 61 2B 62             | found '+' at byte 1",
        "U+0000                    | 1 | 61 00 62             | topic must not contain U+0000, found at byte 1",
        "overlong '/' C0 AF        | 1 | 61 C0 AF 62          | overlong 2-byte encoding (lead byte 0xC0) at byte 1 (C0 AF 62)",
        "overlong U+0000 C0 80     | 0 | C0 80                | overlong 2-byte encoding",
        "overlong 3-byte           | 1 | E0 80 AF             | overlong 3-byte encoding at byte 0",
        "overlong 4-byte           | 1 | F0 80 80 AF          | overlong 4-byte encoding at byte 0",
        "encoded surrogate U+D800  | 1 | 61 ED A0 80          | encoded surrogate U+D800",
        "encoded surrogate U+DFFF  | 0 | ED BF BF             | encoded surrogate U+DFFF",
        "above U+10FFFF            | 1 | F4 90 80 80          | code point above U+10FFFF",
        "byte F5                   | 1 | 61 F5                | byte 0xF5 never occurs in UTF-8",
        "byte FF                   | 1 | FF                   | byte 0xFF never occurs in UTF-8",
        "lone continuation byte    | 1 | 61 80                | unexpected continuation byte 0x80 at byte 1",
        "truncated 3-byte sequence | 1 | 61 E2 82             | truncated 3-byte sequence",
        "cut 2-byte sequence       | 1 | C3 61                | byte 0x61 where the 2-byte sequence needs a continuation byte"})
    void anInvalidTopicIsRefused(String name, int qos, String topic, String message) {
        MqttException e = refused(publish(qos, false, hex(topic)));
        assertTrue(e.getMessage().startsWith("PUBLISH from 127.0.0.1:1883 with an invalid topic name: "),
                e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void wellFormedUnusualTopicsAreReadByteForByte() throws MqttException {
        byte[][] topics = {
            hex("EF BB BF 61"),                 // U+FEFF first: kept, never skipped (MQTT-1.5.3-3)
            hex("61 2F EF BB BF 2F 62"),        // U+FEFF inside
            hex("01 1F 7F C2 80 C2 9F"),        // control characters (MAY be refused: accepted)
            hex("EF BF BF 2F EF B7 90"),        // non-characters U+FFFF, U+FDD0 (accepted)
            hex("F0 9F 98 80 2F F4 8F BF BF"),  // U+1F600 and U+10FFFF
            hex("63 61 66 C3 A9 2F E2 82 AC"),  // café/€
            hex("24 53 59 53 2F 61"),           // $SYS/a
            hex("2F 2F")};                      // "//": empty levels
        for (byte[] t : topics) {
            Packets.decode(publish(1, false, t), decoder);
            assertArrayEquals(t, decoder.topic());
            assertEquals(7, decoder.packetId());
        }
    }
}
