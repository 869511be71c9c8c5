package io.umqtt.simple.internal.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** Byte-exact packets: what umqtt.simple 1.8.0 writes, written as commented literals. */
class EncodersTest {

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

    @Test
    void connectMinimal() {
        byte[] expected = b(
                0x10, 0x0F,                         // CONNECT, remaining length 15
                0x00, 0x04, 'M', 'Q', 'T', 'T',     // protocol name
                0x04,                               // level 4 = 3.1.1
                0x02,                               // flags: clean session
                0x00, 0x00,                         // keepalive 0
                0x00, 0x03, 'c', 'i', 'd');         // client id
        assertArrayEquals(expected, ConnectEncoder.encode(ascii("cid"), true, 0, null, null, 0, false, null, null));
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
                ConnectEncoder.encode(ascii("c"), false, 60, ascii("w/t"), ascii("gone"), 1, true, ascii("u1"), ascii("pwd")));
    }

    @Test
    void connectWithLongClientIdUsesATwoByteRemainingLength() {
        byte[] id = new byte[200];
        Arrays.fill(id, (byte) 'x');
        byte[] p = ConnectEncoder.encode(id, true, 0, null, null, 0, false, null, null);
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
        assertArrayEquals(expected, PublishEncoder.encode(ascii("a/b"), ascii("hi"), 0, false, false, 0));
    }

    @Test
    void publishQos1RetainWithPacketId() {
        byte[] expected = b(
                0x33, 0x08,                         // PUBLISH, QoS 1 (0x02) | retain (0x01)
                0x00, 0x01, 't',                    // topic
                0x01, 0x02,                         // packet id 258
                'x', 'y', 'z');
        assertArrayEquals(expected, PublishEncoder.encode(ascii("t"), ascii("xyz"), 1, true, false, 258));
    }

    @Test
    void publishDupSetsBit3() {
        byte[] p = PublishEncoder.encode(ascii("t"), new byte[0], 1, false, true, 1);
        assertArrayEquals(b(0x3A, 0x05, 0x00, 0x01, 't', 0x00, 0x01), p); // DUP 0x08 | QoS 1
    }

    @Test
    void publishWithAnEmptyPayload() {
        assertArrayEquals(b(0x30, 0x03, 0x00, 0x01, 't'), PublishEncoder.encode(ascii("t"), new byte[0], 0, false, false, 0));
    }

    @Test
    void publishLargerThanMqttAllowsIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PublishEncoder.remainingLength(10, 268_435_455, 1));
        assertTrue(e.getMessage().contains("message too large"), e.getMessage());
    }

    @Test
    void subscribe() {
        byte[] expected = b(
                0x82, 0x08,                         // SUBSCRIBE, reserved flags 0b0010
                0x00, 0x01,                         // packet id 1
                0x00, 0x03, 'a', '/', '#',          // filter
                0x01);                              // requested QoS 1
        assertArrayEquals(expected, SubscribeEncoder.encode(1, ascii("a/#"), 1));
    }

    @Test
    void subscribeToAFilterLongerThan127BytesUsesAVariableLength() {
        // umqtt 1.8.0 fixed exactly this: remaining length 2 + 2 + 200 + 1 = 205 = CD 01
        byte[] filter = new byte[200];
        Arrays.fill(filter, (byte) 'f');
        byte[] p = SubscribeEncoder.encode(9, filter, 0);
        assertArrayEquals(b(0x82, 0xCD, 0x01, 0x00, 0x09, 0x00, 0xC8), Arrays.copyOf(p, 7));
        assertEquals(3 + 205, p.length);
    }

    @Test
    void unsubscribe() {
        byte[] expected = b(
                0xA2, 0x07,                         // UNSUBSCRIBE, reserved flags 0b0010
                0x00, 0x02,                         // packet id 2
                0x00, 0x03, 'a', '/', 'b');         // filter
        assertArrayEquals(expected, UnsubscribeEncoder.encode(2, ascii("a/b")));
    }

    @Test
    void pubackPingreqDisconnect() {
        byte[] puback = new byte[4];
        ShortPackets.encodePuback(puback, 0, 0xABCD);
        assertArrayEquals(b(0x40, 0x02, 0xAB, 0xCD), puback);
        assertArrayEquals(b(0xC0, 0x00), ShortPackets.pingreq());
        assertArrayEquals(b(0xE0, 0x00), ShortPackets.disconnect());
    }
}
