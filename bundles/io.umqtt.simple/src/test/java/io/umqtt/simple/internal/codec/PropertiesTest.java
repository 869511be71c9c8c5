package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.b;
import static io.umqtt.simple.internal.codec.Packets.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.UserProperty;

/** The MQTT 5 property layer on bytes: variable byte integers, the reader's rules, the writer. */
class PropertiesTest {

    private static MqttException refused(int packet, byte[] block, int code) {
        PropertyReader r = new PropertyReader();
        MqttException e = assertThrows(MqttException.class, () -> {
            r.start(packet, block, 0, block.length);
            while (r.next()) {
                // read all
            }
        });
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertEquals(code, e.returnCode(), e.getMessage());
        return e;
    }

    private static MqttException malformed(int packet, String block) {
        return refused(packet, hex(block), Properties.MALFORMED_PACKET);
    }

    private static MqttException protocol(int packet, String block) {
        return refused(packet, hex(block), Properties.PROTOCOL_ERROR);
    }

    @Nested
    class VariableByteIntegers {
        @ParameterizedTest
        @CsvSource({"0, 00", "127, 7F", "128, 80 01", "16383, FF 7F", "16384, 80 80 01", "2097151, FF FF 7F",
            "2097152, 80 80 80 01", "268435455, FF FF FF 7F"})
        void roundTrip(int value, String bytes) throws MqttException {
            byte[] expected = hex(bytes);
            assertEquals(expected.length, Properties.varIntSize(value));
            byte[] out = new byte[4];
            assertEquals(expected.length, Properties.writeVarInt(out, 0, value));
            assertArrayEquals(expected, java.util.Arrays.copyOf(out, expected.length));
            long read = Properties.readVarInt(expected, 0, expected.length, "x");
            assertEquals(value, Properties.varIntValue(read));
            assertEquals(expected.length, Properties.varIntLength(read));
        }

        @Test
        void continuationBitInTheFourthByte() {
            MqttException e = assertThrows(MqttException.class,
                    () -> Properties.readVarInt(hex("FF FF FF FF 01"), 0, 5, "PUBLISH property length"));
            assertEquals(Properties.MALFORMED_PACKET, e.returnCode());
            assertTrue(e.getMessage().startsWith("PUBLISH property length: malformed variable byte integer, the "
                    + "continuation bit is set in its 4th byte"), e.getMessage());
        }

        @ParameterizedTest
        @ValueSource(strings = {"80 00", "FF 80 00", "80 80 80 00"})
        void notInItsShortestForm(String bytes) {
            byte[] b = hex(bytes);
            MqttException e = assertThrows(MqttException.class, () -> Properties.readVarInt(b, 0, b.length, "x"));
            assertTrue(e.getMessage().contains("MQTT-1.5.5-1"), e.getMessage());
        }

        @Test
        void endsInside() {
            MqttException e = assertThrows(MqttException.class, () -> Properties.readVarInt(hex("80 80"), 0, 2, "x"));
            assertEquals("x: the packet ends inside the variable byte integer (after 2 bytes, section 1.5.5)",
                    e.getMessage());
        }

        @Test
        void outOfRangeRefusedWhenWriting() {
            assertThrows(IllegalArgumentException.class, () -> Properties.varIntSize(268_435_456));
            assertThrows(IllegalArgumentException.class, () -> Properties.varIntSize(-1));
        }
    }

    @Nested
    class Reading {
        @Test
        void emptyBlock() throws MqttException {
            PropertyReader r = new PropertyReader();
            byte[] b = hex("AA 00 BB");
            assertEquals(2, r.start(Properties.PUBLISH, b, 1, 3));
            assertFalse(r.next());
            assertEquals(0, r.id());
        }

        @Test
        void everyTypeOfAConnack() throws MqttException {
            byte[] b = hex("2F"
                    + " 11 FF FF FF FF" // session expiry 0xFFFFFFFF
                    + " 21 00 0A" // receive maximum 10
                    + " 24 01" // maximum QoS 1
                    + " 12 00 03 61 62 63" // assigned client id "abc"
                    + " 16 00 02 00 FF" // authentication data 00 FF
                    + " 26 00 01 6B 00 02 76 31" // user property k=v1
                    + " 26 00 01 6B 00 00" // user property k= (repeated name)
                    + " 1F 00 01 72" // reason string "r"
                    + " 27 00 00 01 00" // maximum packet size 256
                    + " 13 00 3C" // server keep alive 60
                    + " 99"); // what follows the block
            PropertyReader r = new PropertyReader();
            assertEquals(b.length - 1, r.start(Properties.CONNACK, b, 0, b.length));
            assertTrue(r.next());
            assertEquals(Properties.SESSION_EXPIRY_INTERVAL, r.id());
            assertEquals(Properties.FOUR_BYTE_INTEGER, r.type());
            assertEquals(0xFFFF_FFFFL, r.value());
            assertTrue(r.next());
            assertEquals(10, r.value());
            assertTrue(r.next());
            assertEquals(Properties.MAXIMUM_QOS, r.id());
            assertEquals(1, r.value());
            assertTrue(r.next());
            assertEquals("abc", r.string());
            assertTrue(r.next());
            assertArrayEquals(b(0x00, 0xFF), r.bytes());
            assertTrue(r.next());
            assertEquals(new UserProperty("k", "v1"), r.userProperty());
            assertTrue(r.next());
            assertEquals(new UserProperty("k", ""), r.userProperty());
            assertTrue(r.next());
            assertEquals(Properties.REASON_STRING, r.id());
            assertEquals("r", r.string());
            assertTrue(r.next());
            assertEquals(256, r.value());
            assertTrue(r.next());
            assertEquals(60, r.value());
            assertFalse(r.next());
            assertTrue(r.seen(Properties.RECEIVE_MAXIMUM));
            assertFalse(r.seen(Properties.TOPIC_ALIAS_MAXIMUM));
        }

        @Test
        void publishWithRepeatedSubscriptionIdentifiers() throws MqttException {
            byte[] b = hex("0C 0B 01 0B FF FF FF 7F 23 00 05 01 01");
            PropertyReader r = new PropertyReader();
            r.start(Properties.PUBLISH, b, 0, b.length);
            assertTrue(r.next());
            assertEquals(1, r.value());
            assertTrue(r.next());
            assertEquals(268_435_455, r.value());
            assertTrue(r.next());
            assertEquals(Properties.TOPIC_ALIAS, r.id());
            assertEquals(5, r.value());
            assertTrue(r.next());
            assertEquals(Properties.PAYLOAD_FORMAT_INDICATOR, r.id());
            assertFalse(r.next());
        }

        @Test
        void readerIsReusableAndForgetsTheLastBlocksProperties() throws MqttException {
            PropertyReader r = new PropertyReader();
            byte[] b = hex("03 23 00 01");
            for (int i = 0; i < 3; i++) {
                r.start(Properties.PUBLISH, b, 0, b.length);
                assertTrue(r.next());
                assertFalse(r.next());
            }
        }

        @Test
        void readingAllocatesNothing() throws MqttException {
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            byte[] b = hex("1B 02 00 00 00 3C 03 00 04 74 65 78 74 26 00 01 6B 00 01 76 23 00 07 0B 81 01 01 01");
            PropertyReader r = new PropertyReader();
            long sum = 0;
            for (int i = 0; i < 20_000; i++) { // warm up: compiled, escape analysis done
                sum += readAll(r, b);
            }
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (int i = 0; i < 10_000; i++) {
                sum += readAll(r, b);
            }
            long allocated = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
            assertTrue(sum > 0);
            assertTrue(allocated < 10_000, "allocated " + allocated + " bytes for 10,000 blocks");
        }

        private long readAll(PropertyReader r, byte[] b) throws MqttException {
            long sum = r.start(Properties.PUBLISH, b, 0, b.length);
            while (r.next()) {
                sum += r.value() + r.valueLength();
            }
            return sum;
        }
    }

    @Nested
    class Refusing {
        @Test
        void propertyLengthRunsPastThePacket() {
            MqttException e = malformed(Properties.PUBACK, "05 1F 00 01 61");
            assertEquals("PUBACK property length 5 runs past the end of the packet (4 bytes left; section 2.2.2.1)",
                    e.getMessage());
        }

        @Test
        void malformedPropertyLength() {
            MqttException e = malformed(Properties.CONNACK, "80 00");
            assertTrue(e.getMessage().startsWith("CONNACK property length: variable byte integer not in its shortest "
                    + "form"), e.getMessage());
            malformed(Properties.CONNACK, "FF FF FF FF 7F");
            malformed(Properties.CONNACK, "");
        }

        @ParameterizedTest
        @ValueSource(strings = {"00", "04", "2B", "7F", "80", "FF"})
        void unknownIdentifier(String id) {
            MqttException e = malformed(Properties.PUBLISH, "02 " + id + " 00");
            assertTrue(e.getMessage().startsWith("PUBLISH carries unknown property identifier 0x" + id), e.getMessage());
        }

        @Test
        void propertyInTheWrongPacket() {
            MqttException e = protocol(Properties.CONNACK, "03 23 00 01");
            assertEquals("CONNACK must not carry Topic Alias (0x23) (section 2.2.2.2, table 2-4)", e.getMessage());
            protocol(Properties.PUBLISH, "02 24 00"); // Maximum QoS
            protocol(Properties.PUBACK, "05 11 00 00 00 01"); // Session Expiry
            protocol(Properties.WILL, "05 11 00 00 00 01");
            protocol(Properties.CONNECT, "05 18 00 00 00 01"); // Will Delay outside the will
            protocol(Properties.DISCONNECT, "03 21 00 01");
        }

        @Test
        void duplicate() {
            MqttException e = protocol(Properties.CONNACK, "06 21 00 01 21 00 02");
            assertEquals("CONNACK carries Receive Maximum (0x21) more than once: a property other than User Property "
                    + "and Subscription Identifier may appear once (section 2.2.2.2)", e.getMessage());
            protocol(Properties.PUBLISH, "06 1F 00 00 1F 00 00".replace("1F", "03")); // content type twice
            protocol(Properties.PUBACK, "06 1F 00 00 1F 00 00"); // reason string twice
        }

        @Test
        void valueRunsPastTheBlock() {
            MqttException e = malformed(Properties.PUBLISH, "04 02 00 00 00 00");
            assertEquals("PUBLISH Message Expiry Interval (0x02) needs 4 bytes, the property block has 3 left",
                    e.getMessage());
            malformed(Properties.PUBLISH, "02 23 00 00");
            malformed(Properties.PUBLISH, "01 01");
            malformed(Properties.PUBLISH, "02 0B 80");
            malformed(Properties.PUBLISH, "03 0B 80 00");
        }

        @Test
        void stringRunsPastTheBlock() {
            MqttException e = malformed(Properties.PUBLISH, "05 03 00 03 61 62 63");
            assertEquals("PUBLISH Content Type (0x03) length 3 runs past the end of the property block (2 bytes left)",
                    e.getMessage());
            malformed(Properties.PUBLISH, "02 09 00");
            malformed(Properties.PUBLISH, "06 26 00 01 6B 00 01 76"); // value outside
            malformed(Properties.PUBLISH, "04 26 00 01 6B"); // no value length
        }

        @ParameterizedTest
        @CsvSource({"00, U+0000 at byte 1 (MQTT-1.5.4-2)", "C0 80, ill-formed UTF-8 at byte 1 (C0 80) (MQTT-1.5.4-1)",
            "ED A0 80, ill-formed UTF-8 at byte 1 (ED A0 80) (MQTT-1.5.4-1)",
            "E0 80 80, ill-formed UTF-8 at byte 1 (E0 80 80) (MQTT-1.5.4-1)",
            "F4 90 80 80, ill-formed UTF-8 at byte 1 (F4 90 80 80) (MQTT-1.5.4-1)",
            "80, ill-formed UTF-8 at byte 1 (80) (MQTT-1.5.4-1)", "E2 82, ill-formed UTF-8 at byte 1 (E2 82) (MQTT-1.5.4-1)"})
        void badStrings(String bad, String why) {
            byte[] s = hex(bad);
            byte[] block = new byte[1 + 3 + 1 + s.length];
            block[0] = (byte) (block.length - 1);
            block[1] = Properties.REASON_STRING;
            block[3] = (byte) (1 + s.length);
            block[4] = 'x';
            System.arraycopy(s, 0, block, 5, s.length);
            MqttException e = refused(Properties.PUBACK, block, Properties.MALFORMED_PACKET);
            assertEquals("PUBACK Reason String (0x1F) is not a valid UTF-8 string: " + why, e.getMessage());
        }

        @Test
        void badUserPropertyNameAndValue() {
            assertTrue(malformed(Properties.PUBLISH, "07 26 00 01 00 00 01 76").getMessage()
                    .startsWith("PUBLISH User Property (0x26) name is not a valid UTF-8 string"));
            assertTrue(malformed(Properties.PUBLISH, "07 26 00 01 6B 00 01 FF").getMessage()
                    .startsWith("PUBLISH User Property (0x26) value is not a valid UTF-8 string"));
        }

        @Test
        void goodStringsAccepted() throws MqttException {
            byte[] s = "x\u00e9\u20ac\ud83d\ude00\ufeff\u0001".getBytes(StandardCharsets.UTF_8);
            byte[] block = new byte[1 + 3 + s.length];
            block[0] = (byte) (block.length - 1);
            block[1] = Properties.CONTENT_TYPE;
            block[3] = (byte) s.length;
            System.arraycopy(s, 0, block, 4, s.length);
            PropertyReader r = new PropertyReader();
            r.start(Properties.PUBLISH, block, 0, block.length);
            assertTrue(r.next());
            assertEquals("x\u00e9\u20ac\ud83d\ude00\ufeff\u0001", r.string());
        }

        @ParameterizedTest
        @CsvSource({"3, 02 01 02, 'Payload Format Indicator (0x01) must be 0 or 1, found 2 (section 3.3.2.3.2)'",
            "3, 02 0B 00, 'Subscription Identifier (0x0B) must not be 0 (section 3.3.2.3.8)'",
            "3, 03 23 00 00, 'Topic Alias (0x23) must not be 0 (MQTT-3.3.2-8)'",
            "2, 03 21 00 00, 'Receive Maximum (0x21) must not be 0 (section 3.2.2.3.3)'",
            "2, 05 27 00 00 00 00, 'Maximum Packet Size (0x27) must not be 0 (section 3.2.2.3.6)'",
            "2, 02 24 02, 'Maximum QoS (0x24) must be 0 or 1, found 2 (section 3.2.2.3.4)'",
            "2, 02 25 02, 'Retain Available (0x25) must be 0 or 1, found 2 (section 3.2.2.3.5)'",
            "2, 02 28 FF, 'Wildcard Subscription Available (0x28) must be 0 or 1, found 255 (section 3.2.2.3.11)'",
            "2, 02 29 02, 'Subscription Identifier Available (0x29) must be 0 or 1, found 2 (section 3.2.2.3.12)'",
            "2, 02 2A 02, 'Shared Subscription Available (0x2A) must be 0 or 1, found 2 (section 3.2.2.3.13)'",
            "1, 02 17 02, 'Request Problem Information (0x17) must be 0 or 1, found 2 (section 3.1.2.11.7)'",
            "1, 02 19 02, 'Request Response Information (0x19) must be 0 or 1, found 2 (section 3.1.2.11.6)'"})
        void valuesOutOfRange(int packet, String block, String message) {
            MqttException e = protocol(packet, block);
            assertEquals(Properties.packetName(packet) + " " + message, e.getMessage());
        }
    }

    @Nested
    class Writing {
        @Test
        void connectBlockReadsBack() throws MqttException {
            PropertyWriter w = new PropertyWriter(Properties.CONNECT);
            assertTrue(w.isEmpty());
            w.putFourByte(Properties.SESSION_EXPIRY_INTERVAL, 0xFFFF_FFFFL)
                    .putTwoByte(Properties.RECEIVE_MAXIMUM, 65_535)
                    .putFourByte(Properties.MAXIMUM_PACKET_SIZE, 1024)
                    .putByte(Properties.REQUEST_PROBLEM_INFORMATION, 0)
                    .putString(Properties.AUTHENTICATION_METHOD, "SCRAM".getBytes(StandardCharsets.UTF_8))
                    .putBinary(Properties.AUTHENTICATION_DATA, new byte[] {1, 2})
                    .putUserProperty(new UserProperty("a", "b"))
                    .putUserProperty(new UserProperty("a", "c"));
            byte[] expected = hex("2A 11 FF FF FF FF 21 FF FF 27 00 00 04 00 17 00 15 00 05 53 43 52 41 4D"
                    + " 16 00 02 01 02 26 00 01 61 00 01 62 26 00 01 61 00 01 63");
            assertArrayEquals(expected, w.toByteArray());
            assertEquals(expected.length, w.encodedLength());
            assertEquals(expected.length - 1, w.length());
            PropertyReader r = new PropertyReader();
            r.start(Properties.CONNECT, expected, 0, expected.length);
            int n = 0;
            while (r.next()) {
                n++;
            }
            assertEquals(8, n);
        }

        @Test
        void variableByteIntegerAndLongBlock() throws MqttException {
            PropertyWriter w = new PropertyWriter(Properties.PUBLISH);
            w.putVarInt(Properties.SUBSCRIPTION_IDENTIFIER, 300);
            byte[] big = new byte[200];
            w.putBinary(Properties.CORRELATION_DATA, big);
            byte[] out = w.toByteArray();
            assertEquals(2 + 3 + 3 + 200, out.length); // length needs 2 bytes: 206
            assertArrayEquals(hex("CE 01 0B AC 02 09 00 C8"), java.util.Arrays.copyOf(out, 8));
            PropertyReader r = new PropertyReader();
            assertEquals(out.length, r.start(Properties.PUBLISH, out, 0, out.length));
            assertTrue(r.next());
            assertEquals(300, r.value());
            assertTrue(r.next());
            assertEquals(200, r.valueLength());
        }

        @Test
        void emptyWriterWritesALengthOfZero() {
            assertArrayEquals(b(0), new PropertyWriter(Properties.DISCONNECT).toByteArray());
        }

        @Test
        void refusesWhatThePacketMustNotCarry() {
            PropertyWriter w = new PropertyWriter(Properties.CONNECT);
            assertThrows(IllegalArgumentException.class, () -> w.putTwoByte(Properties.TOPIC_ALIAS, 1));
            assertThrows(IllegalArgumentException.class, () -> w.putByte(Properties.RECEIVE_MAXIMUM, 1)); // wrong type
            w.putTwoByte(Properties.RECEIVE_MAXIMUM, 1);
            assertThrows(IllegalArgumentException.class, () -> w.putTwoByte(Properties.RECEIVE_MAXIMUM, 2));
            assertThrows(IllegalArgumentException.class, () -> w.putTwoByte(Properties.TOPIC_ALIAS_MAXIMUM, 65_536));
            assertThrows(IllegalArgumentException.class, () -> w.putFourByte(Properties.SESSION_EXPIRY_INTERVAL, -1));
            assertThrows(IllegalArgumentException.class, () -> new PropertyWriter(16));
        }

        @Test
        void staticPutsIntoACallersBuffer() {
            byte[] b = new byte[10];
            int p = PropertyWriter.putTwoByte(b, 0, Properties.TOPIC_ALIAS, 0x1234);
            p = PropertyWriter.putByte(b, p, Properties.PAYLOAD_FORMAT_INDICATOR, 1);
            p = PropertyWriter.putFourByte(b, p, Properties.MESSAGE_EXPIRY_INTERVAL, 0x01020304L);
            assertEquals(10, p);
            assertArrayEquals(hex("23 12 34 01 01 02 01 02 03 04"), b);
        }
    }

    @Test
    void table() {
        assertTrue(Properties.allowed(Properties.USER_PROPERTY, Properties.AUTH));
        assertTrue(Properties.allowed(Properties.WILL_DELAY_INTERVAL, Properties.WILL));
        assertFalse(Properties.allowed(Properties.WILL_DELAY_INTERVAL, Properties.CONNECT));
        assertTrue(Properties.allowed(Properties.SUBSCRIPTION_IDENTIFIER, Properties.SUBSCRIBE));
        assertFalse(Properties.allowed(Properties.SUBSCRIPTION_IDENTIFIER, Properties.SUBACK));
        assertTrue(Properties.allowed(Properties.REASON_STRING, Properties.UNSUBACK));
        assertFalse(Properties.allowed(0x04, Properties.PUBLISH));
        assertEquals("Maximum Packet Size (0x27)", Properties.name(Properties.MAXIMUM_PACKET_SIZE));
        assertEquals("unknown property (0x05)", Properties.name(5));
        assertEquals(Properties.UNKNOWN, Properties.type(200));
    }
}
