package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.MqttException;

/** Byte-exact packets: what umqtt.simple 1.8.0 writes, written as commented literals. */
class CodecTest {

    static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Nested
    class RemainingLength {
        @ParameterizedTest(name = "{0} -> {1}")
        @CsvSource({
            "0,         00",
            "127,       7F",
            "128,       80 01",
            "16383,     FF 7F",
            "16384,     80 80 01",
            "2097151,   FF FF 7F",
            "2097152,   80 80 80 01",
            "268435455, FF FF FF 7F"})
        void encodesAndFramesEveryBoundary(int value, String hex) throws MqttException {
            String[] parts = hex.trim().split(" ");
            byte[] expected = new byte[parts.length];
            for (int i = 0; i < parts.length; i++) {
                expected[i] = (byte) Integer.parseInt(parts[i], 16);
            }
            byte[] buf = new byte[8];
            int end = Codec.writeVarInt(buf, 0, value);
            assertArrayEquals(expected, Arrays.copyOf(buf, end));
            assertEquals(expected.length, Codec.varIntSize(value));

            // decode: a PUBLISH header with that remaining length, body not yet arrived
            byte[] header = new byte[1 + expected.length];
            header[0] = 0x30;
            System.arraycopy(expected, 0, header, 1, expected.length);
            if (value == 0) {
                assertEquals((2L << 32) | 2, Codec.frame(header, 0, header.length, 0), "complete empty packet");
            } else {
                assertEquals(-1, Codec.frame(header, 0, header.length, 268_435_455), "incomplete body");
            }
        }

        @Test
        void aCompletePacketIsFramedWithItsHeaderLength() throws MqttException {
            // PUBACK: 40 02 00 07
            assertEquals((2L << 32) | 4, Codec.frame(b(0x40, 0x02, 0x00, 0x07), 0, 4, 100));
            // 128-byte body: header 30 80 01
            byte[] p = new byte[3 + 128];
            p[0] = 0x30;
            p[1] = (byte) 0x80;
            p[2] = 0x01;
            assertEquals((3L << 32) | 131, Codec.frame(p, 0, p.length, 1000));
            assertEquals(-1, Codec.frame(p, 0, p.length - 1, 1000));
        }

        @Test
        void aboveTheMqttMaximumIsRejectedWhenEncoding() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Codec.writeVarInt(new byte[8], 0, 268_435_456));
            assertTrue(e.getMessage().contains("268435456"), e.getMessage());
        }

        @Test
        void aFifthLengthByteIsAProtocolError() {
            // 30 FF FF FF FF 01: continuation bit set in the 4th byte
            MqttException e = assertThrows(MqttException.class,
                    () -> Codec.frame(b(0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01), 0, 6, 268_435_455));
            assertEquals(MqttException.Reason.PROTOCOL_ERROR, e.reason());
            assertTrue(e.getMessage().contains("malformed remaining length"), e.getMessage());
        }

        @Test
        void aLengthAboveTheConfiguredMaximumIsRefusedBeforeTheBodyArrives() {
            // 30 80 80 80 01 = 2,097,152 bytes announced, only the header is here
            MqttException e = assertThrows(MqttException.class,
                    () -> Codec.frame(b(0x30, 0x80, 0x80, 0x80, 0x01), 0, 5, 1024));
            assertTrue(e.getMessage().contains("remaining length 2097152 of a PUBLISH packet exceeds the maximum packet size 1024"),
                    e.getMessage());
        }
    }

    @Nested
    class FirstByte {
        @ParameterizedTest(name = "0x{0}: {1}")
        @CsvSource({
            "00, reserved packet type 0",
            "F0, reserved packet type 15",
            "10, only clients send",
            "82, only clients send",
            "C0, only clients send",
            "E0, only clients send",
            "36, both QoS bits set",
            "41, PUBACK fixed header flags must be 0x0, found 0x1",
            "92, SUBACK fixed header flags must be 0x0, found 0x2",
            "60, PUBREL fixed header flags must be 0x2, found 0x0",
            "D8, PINGRESP fixed header flags must be 0x0, found 0x8"})
        void badFirstBytesAreProtocolErrors(String hex, String message) {
            int first = Integer.parseInt(hex, 16);
            MqttException e = assertThrows(MqttException.class, () -> Codec.checkFirstByte(first));
            assertEquals(MqttException.Reason.PROTOCOL_ERROR, e.reason());
            assertTrue(e.getMessage().contains(message), e.getMessage());
        }
    }

    @Test
    void connectMinimal() {
        byte[] expected = b(
                0x10, 0x0F,                         // CONNECT, remaining length 15
                0x00, 0x04, 'M', 'Q', 'T', 'T',     // protocol name
                0x04,                               // level 4 = 3.1.1
                0x02,                               // flags: clean session
                0x00, 0x00,                         // keepalive 0
                0x00, 0x03, 'c', 'i', 'd');         // client id
        assertArrayEquals(expected, Codec.connect(ascii("cid"), true, 0, null, null, 0, false, null, null));
    }

    @Test
    void connectWithWillUserPasswordAndKeepalive() {
        byte[] expected = b(
                0x10, 0x21,                         // CONNECT, remaining length 33
                0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
                0xEC,                               // user 0x80 | password 0x40 | will retain 0x20 | will QoS 1 (0x08) | will 0x04; no clean session
                0x00, 0x3C,                         // keepalive 60
                0x00, 0x01, 'c',                    // client id
                0x00, 0x03, 'w', '/', 't',          // will topic
                0x00, 0x04, 'g', 'o', 'n', 'e',     // will message
                0x00, 0x02, 'u', '1',               // user
                0x00, 0x03, 'p', 'w', 'd');         // password
        assertArrayEquals(expected,
                Codec.connect(ascii("c"), false, 60, ascii("w/t"), ascii("gone"), 1, true, ascii("u1"), ascii("pwd")));
    }

    @Test
    void connectWithLongClientIdUsesATwoByteRemainingLength() {
        byte[] id = new byte[200];
        Arrays.fill(id, (byte) 'x');
        byte[] p = Codec.connect(id, true, 0, null, null, 0, false, null, null);
        // remaining length 10 + 2 + 200 = 212 = D4 01
        assertArrayEquals(b(0x10, 0xD4, 0x01), Arrays.copyOf(p, 3));
        assertEquals(3 + 212, p.length);
    }

    @Test
    void publishQos0() {
        byte[] expected = b(
                0x30, 0x07,                         // PUBLISH QoS 0, remaining length 7
                0x00, 0x03, 'a', '/', 'b',          // topic
                'h', 'i');                          // payload
        assertArrayEquals(expected, Codec.publish(ascii("a/b"), ascii("hi"), 0, false, false, 0));
    }

    @Test
    void publishQos1RetainWithPacketId() {
        byte[] expected = b(
                0x33, 0x08,                         // PUBLISH, QoS 1 (0x02) | retain (0x01)
                0x00, 0x01, 't',                    // topic
                0x01, 0x02,                         // packet id 258
                'x', 'y', 'z');
        assertArrayEquals(expected, Codec.publish(ascii("t"), ascii("xyz"), 1, true, false, 258));
    }

    @Test
    void publishDupSetsBit3() {
        byte[] p = Codec.publish(ascii("t"), new byte[0], 1, false, true, 1);
        assertArrayEquals(b(0x3A, 0x05, 0x00, 0x01, 't', 0x00, 0x01), p); // DUP 0x08 | QoS 1
    }

    @Test
    void publishWithAnEmptyPayload() {
        assertArrayEquals(b(0x30, 0x03, 0x00, 0x01, 't'), Codec.publish(ascii("t"), new byte[0], 0, false, false, 0));
    }

    @Test
    void publishLargerThanMqttAllowsIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Codec.publishRemainingLength(10, 268_435_455, 1));
        assertTrue(e.getMessage().contains("message too large"), e.getMessage());
    }

    @Test
    void subscribe() {
        byte[] expected = b(
                0x82, 0x08,                         // SUBSCRIBE, reserved flags 0b0010
                0x00, 0x01,                         // packet id 1
                0x00, 0x03, 'a', '/', '#',          // filter
                0x01);                              // requested QoS 1
        assertArrayEquals(expected, Codec.subscribe(1, ascii("a/#"), 1));
    }

    @Test
    void subscribeToAFilterLongerThan127BytesUsesAVariableLength() {
        // umqtt 1.8.0 fixed exactly this: remaining length 2 + 2 + 200 + 1 = 205 = CD 01
        byte[] filter = new byte[200];
        Arrays.fill(filter, (byte) 'f');
        byte[] p = Codec.subscribe(9, filter, 0);
        assertArrayEquals(b(0x82, 0xCD, 0x01, 0x00, 0x09, 0x00, 0xC8), Arrays.copyOf(p, 7));
        assertEquals(3 + 205, p.length);
    }

    @Test
    void unsubscribe() {
        byte[] expected = b(
                0xA2, 0x07,                         // UNSUBSCRIBE, reserved flags 0b0010
                0x00, 0x02,                         // packet id 2
                0x00, 0x03, 'a', '/', 'b');         // filter
        assertArrayEquals(expected, Codec.unsubscribe(2, ascii("a/b")));
    }

    @Test
    void pubackPingreqDisconnect() {
        byte[] puback = new byte[4];
        Codec.puback(puback, 0, 0xABCD);
        assertArrayEquals(b(0x40, 0x02, 0xAB, 0xCD), puback);
        assertArrayEquals(b(0xC0, 0x00), Codec.pingreq());
        assertArrayEquals(b(0xE0, 0x00), Codec.disconnect());
    }
}
