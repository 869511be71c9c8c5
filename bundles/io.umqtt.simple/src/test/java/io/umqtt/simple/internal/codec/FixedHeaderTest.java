package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.MqttException;

/** The fixed header: the remaining length both ways, framing, and the checks of the first byte. */
class FixedHeaderTest {

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
            int end = FixedHeader.writeVarInt(buf, 0, value);
            assertArrayEquals(expected, Arrays.copyOf(buf, end));
            assertEquals(expected.length, FixedHeader.varIntSize(value));

            // decode: a PUBLISH header with that remaining length, body not yet arrived
            byte[] header = new byte[1 + expected.length];
            header[0] = 0x30;
            System.arraycopy(expected, 0, header, 1, expected.length);
            if (value == 0) {
                assertEquals((2L << 32) | 2, FixedHeader.frame(header, 0, header.length, 0), "complete empty packet");
            } else {
                assertEquals(-1, FixedHeader.frame(header, 0, header.length, 268_435_455), "incomplete body");
            }
        }

        @Test
        void aCompletePacketIsFramedWithItsHeaderLength() throws MqttException {
            // PUBACK: 40 02 00 07
            assertEquals((2L << 32) | 4, FixedHeader.frame(b(0x40, 0x02, 0x00, 0x07), 0, 4, 100));
            // 128-byte body: header 30 80 01
            byte[] p = new byte[3 + 128];
            p[0] = 0x30;
            p[1] = (byte) 0x80;
            p[2] = 0x01;
            assertEquals((3L << 32) | 131, FixedHeader.frame(p, 0, p.length, 1000));
            assertEquals(-1, FixedHeader.frame(p, 0, p.length - 1, 1000));
        }

        @Test
        void aboveTheMqttMaximumIsRejectedWhenEncoding() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FixedHeader.writeVarInt(new byte[8], 0, 268_435_456));
            assertTrue(e.getMessage().contains("268435456"), e.getMessage());
        }

        @Test
        void aFifthLengthByteIsAProtocolError() {
            // 30 FF FF FF FF 01: continuation bit set in the 4th byte
            MqttException e = assertThrows(MqttException.class,
                    () -> FixedHeader.frame(b(0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01), 0, 6, 268_435_455));
            assertEquals(MqttException.Reason.PROTOCOL_ERROR, e.reason());
            assertTrue(e.getMessage().contains("malformed remaining length"), e.getMessage());
        }

        @Test
        void aLengthAboveTheConfiguredMaximumIsRefusedBeforeTheBodyArrives() {
            // 30 80 80 80 01 = 2,097,152 bytes announced, only the header is here
            MqttException e = assertThrows(MqttException.class,
                    () -> FixedHeader.frame(b(0x30, 0x80, 0x80, 0x80, 0x01), 0, 5, 1024));
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
            MqttException e = assertThrows(MqttException.class, () -> FixedHeader.checkFirstByte(first));
            assertEquals(MqttException.Reason.PROTOCOL_ERROR, e.reason());
            assertTrue(e.getMessage().contains(message), e.getMessage());
        }
    }

    @Test
    void theBodyStartsAfterTheRemainingLength() {
        assertEquals(2, FixedHeader.bodyOffset(b(0x30, 0x7F), 0));
        assertEquals(4, FixedHeader.bodyOffset(b(0xEE, 0x30, 0x80, 0x01), 1));
        assertEquals(4, FixedHeader.bodyOffset(b(0x30, 0xFF, 0xFF, 0x7F), 0));
        assertEquals(5, FixedHeader.bodyOffset(b(0x30, 0xFF, 0xFF, 0xFF, 0x7F), 0));
    }
}
