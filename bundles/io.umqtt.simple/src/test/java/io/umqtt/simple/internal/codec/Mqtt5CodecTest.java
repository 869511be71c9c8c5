package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.PORT;
import static io.umqtt.simple.internal.codec.Packets.SERVER;
import static io.umqtt.simple.internal.codec.Packets.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.PacketType;

/** The MQTT 5 packet codecs on bytes: CONNECT, CONNACK, PUBLISH both ways, the QoS acks, DISCONNECT, framing. */
class Mqtt5CodecTest {

    private static MqttException refused(int code, Executable decode) {
        MqttException e = assertThrows(MqttException.class, decode);
        assertEquals(Reason.PROTOCOL_ERROR, e.reason(), e.getMessage());
        assertEquals(code, e.returnCode(), e.getMessage());
        return e;
    }

    private static String hexOf(byte[] b) {
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(b);
    }

    @Nested
    class Connect {
        @Test
        void minimalConnect() {
            PropertyWriter none = new PropertyWriter(Properties.CONNECT);
            byte[] p = ConnectEncoder.encode5("c".getBytes(StandardCharsets.UTF_8), true, 60, none, null, null, 0,
                    false, null, null, null);
            assertEquals("10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 01 63", hexOf(p));
        }

        @Test
        void everythingAndAWill() {
            PropertyWriter props = new PropertyWriter(Properties.CONNECT)
                    .putFourByte(Properties.SESSION_EXPIRY_INTERVAL, 60);
            PropertyWriter will = new PropertyWriter(Properties.WILL).putFourByte(Properties.WILL_DELAY_INTERVAL, 5);
            byte[] p = ConnectEncoder.encode5(new byte[0], false, 0, props, b("w"), b("m"), 1, true, will, b("u"),
                    b("p"));
            assertEquals("10 24 00 04 4D 51 54 54 05 EC 00 00 05 11 00 00 00 3C 00 00"
                    + " 05 18 00 00 00 05 00 01 77 00 01 6D 00 01 75 00 01 70", hexOf(p));
        }

        @Test
        void passwordWithoutUser() {
            byte[] p = ConnectEncoder.encode5(b("c"), true, 0, new PropertyWriter(Properties.CONNECT), null, null, 0,
                    false, null, null, b("p"));
            assertEquals(0x42, p[9] & 0xFF); // password flag and clean start, no user flag
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Nested
    class Connack {
        private final ConnackDecoder5 d = new ConnackDecoder5();

        private void decode(String packet, boolean cleanStart) throws MqttException {
            byte[] p = hex(packet);
            d.decode(p, 0, p.length, cleanStart, SERVER, PORT);
        }

        @Test
        void defaultsWithoutProperties() throws MqttException {
            decode("20 03 00 00 00", true);
            assertFalse(d.sessionPresent);
            assertEquals(65_535, d.receiveMaximum);
            assertEquals(2, d.maximumQos);
            assertEquals(-1, d.maximumPacketSize);
            assertEquals(0, d.topicAliasMaximum);
            assertEquals(-1, d.serverKeepAlive);
            assertTrue(d.retainAvailable && d.wildcardSubscriptionAvailable && d.sharedSubscriptionAvailable
                    && d.subscriptionIdentifiersAvailable);
            assertEquals(List.of(), d.userProperties);
        }

        @Test
        void mosquittoLikeProperties() throws MqttException {
            // what mosquitto 2.0 answers: topic alias maximum 10, receive maximum 20, retain, QoS, keepalive
            decode("20 1B 01 00 18 22 00 0A 21 00 14 13 00 1E 12 00 03 61 62 63 26 00 01 6B 00 01 76 24 01", false);
            assertTrue(d.sessionPresent);
            assertEquals(10, d.topicAliasMaximum);
            assertEquals(20, d.receiveMaximum);
            assertEquals(30, d.serverKeepAlive);
            assertEquals("abc", d.assignedClientIdentifier);
            assertEquals(List.of(new UserProperty("k", "v")), d.userProperties);
            assertEquals(1, d.maximumQos);
        }

        @Test
        void refusalWithReasonString() {
            MqttException e = assertThrows(MqttException.class, () -> decode("20 07 00 87 04 1F 00 01 78", true));
            assertEquals(Reason.CONNECTION_REFUSED, e.reason());
            assertEquals(0x87, e.returnCode());
            assertEquals("x", e.reasonString());
            assertEquals("broker 127.0.0.1:1883 refused the connection: not authorized (CONNACK reason code 0x87): x",
                    e.getMessage());
        }

        @Test
        void brokerSpeakingOnlyMqtt311() {
            MqttException e = assertThrows(MqttException.class, () -> decode("20 02 00 01", true));
            assertEquals(Reason.CONNECTION_REFUSED, e.reason());
            assertTrue(e.getMessage().contains("does not speak MQTT 5"), e.getMessage());
        }

        @ParameterizedTest
        @CsvSource({"20 02 00 00, 129", "20 03 02 00 00, 129", "20 03 00 05 00, 130", "20 03 00 01 00, 130",
            "20 03 01 87 00, 130", "20 04 00 00 00 00, 129", "20 05 00 00 02 21 00, 129",
            "20 06 00 00 03 21 00 00, 130", "20 08 00 00 05 22 00 01 22 00, 130", "20 03 01 00 00, 130"})
        void malformed(String packet, int code) {
            refused(code, () -> decode(packet, true));
        }

        @Test
        void sessionPresentWithCleanStart() {
            MqttException e = refused(0x82, () -> decode("20 03 01 00 00", true));
            assertTrue(e.getMessage().contains("MQTT-3.2.2-2"), e.getMessage());
        }

        @Test
        void notAConnack() {
            refused(0x82, () -> decode("30 03 00 01 61", true));
        }
    }

    @Nested
    class PublishIn {
        private final PublishDecoder d = new PublishDecoder();

        private void decode(String packet) throws MqttException {
            byte[] p = hex(packet);
            d.decode(p, 0, p.length, SERVER, PORT);
        }

        @Test
        void withoutPropertiesIsEmpty() throws MqttException {
            d.mqtt5(0);
            decode("30 05 00 01 74 00 78");
            assertArrayEquals(b("t"), d.topic());
            assertSame(MqttProperties.EMPTY, d.properties());
            assertEquals(6, d.payloadOffset());
            assertEquals(7, d.payloadEnd());
        }

        @Test
        void everyProperty() throws MqttException {
            d.mqtt5(0);
            byte[] packet = hex("32 28 00 01 74 00 07 20"
                    + " 01 01 02 00 00 00 3C 03 00 01 63 08 00 01 72 09 00 02 01 02"
                    + " 26 00 01 6B 00 01 76 0B 05 0B 81 01 78 79");
            d.decode(packet, 0, packet.length, SERVER, PORT);
            assertEquals(1, d.qos());
            assertEquals(7, d.packetId());
            MqttProperties p = d.properties();
            assertEquals(MqttProperties.FORMAT_UTF8, p.payloadFormat());
            assertEquals(60, p.messageExpiryInterval());
            assertEquals("c", p.contentType());
            assertEquals("r", p.responseTopic());
            assertTrue(p.correlationDataEquals(new byte[] {1, 2}));
            assertEquals("v", p.userProperty("k"));
            assertArrayEquals(new int[] {5, 129}, p.subscriptionIdentifiers());
            assertEquals("xy", new String(packet, d.payloadOffset(), 2, StandardCharsets.UTF_8));
            assertEquals(packet.length, d.payloadEnd());
        }

        @Test
        void topicAliases() throws MqttException {
            d.mqtt5(3);
            decode("30 09 00 02 61 62 03 23 00 02 78"); // maps alias 2 to "ab"
            assertArrayEquals(b("ab"), d.topic());
            assertSame(MqttProperties.EMPTY, d.properties());
            assertEquals(2, d.topicAlias());
            decode("30 07 00 00 03 23 00 02 79"); // uses it
            assertArrayEquals(b("ab"), d.topic());
            byte[] first = d.topic();
            decode("30 07 00 00 03 23 00 02 79");
            assertFalse(first == d.topic(), "every message gets its own topic array");
            decode("30 08 00 01 63 03 23 00 02"); // remaps alias 2 to "c"
            decode("30 07 00 00 03 23 00 02 79");
            assertArrayEquals(b("c"), d.topic());
            d.mqtt5(3); // a new connection forgets the mappings (MQTT-3.3.2-7)
            MqttException e = refused(0x94, () -> decode("30 07 00 00 03 23 00 02 79"));
            assertEquals("PUBLISH from 127.0.0.1:1883 with an empty topic name and Topic Alias 2, which the server has "
                    + "not mapped to a topic on this connection (section 3.3.2.3.4)", e.getMessage());
        }

        @Test
        void aliasAboveOurMaximum() {
            d.mqtt5(3);
            MqttException e = refused(0x94, () -> decode("30 07 00 01 61 03 23 00 04"));
            assertEquals("PUBLISH from 127.0.0.1:1883 with Topic Alias 4, above the Topic Alias Maximum 3 the client "
                    + "sent (MQTT-3.1.2-26)", e.getMessage());
            d.mqtt5(0);
            refused(0x94, () -> decode("30 07 00 01 61 03 23 00 01"));
        }

        @Test
        void aliasZeroAndEmptyTopicWithoutAlias() {
            d.mqtt5(3);
            refused(0x82, () -> decode("30 07 00 01 61 03 23 00 00"));
            MqttException e = refused(0x82, () -> decode("30 03 00 00 00"));
            assertTrue(e.getMessage().contains("empty topic name and no Topic Alias"), e.getMessage());
        }

        @ParameterizedTest
        @CsvSource({"30 03 00 01 74, 129", // no room for the property length
            "30 04 00 01 74 05, 129", // property length past the end
            "30 06 00 01 74 02 24 01, 130", // Maximum QoS in a PUBLISH
            "30 08 00 01 74 04 01 01 01 01, 130", // payload format twice
            "30 0A 00 01 74 06 08 00 03 61 2B 62, 130", // response topic with a wildcard
            "30 06 00 01 74 02 0B 00, 130", // subscription identifier 0
            "32 06 00 01 74 00 00 00, 130", // packet id 0
            "38 04 00 01 74 00, 129", // DUP at QoS 0
            "30 05 00 01 23 00 78, 129"}) // topic name with a wildcard
        void malformed(String packet, int code) {
            d.mqtt5(10);
            refused(code, () -> decode(packet));
        }

        @Test
        void mqtt311AgainAfterMqtt5() throws MqttException {
            d.mqtt5(3);
            d.mqtt311();
            decode("30 04 00 01 74 00"); // 3.1.1: the 00 is payload
            assertEquals(5, d.payloadOffset());
            assertSame(MqttProperties.EMPTY, d.properties());
        }
    }

    @Nested
    class PublishOut {
        @Test
        void noPropertiesNoAlias() {
            byte[] b = new byte[64];
            int n = PublishEncoder.head5(b, b("t"), true, 1, 0, false, false, 0, 0, null);
            assertEquals("30 05 00 01 74 00", hexOf(java.util.Arrays.copyOf(b, n)));
        }

        @Test
        void mappingAliasThenUsingIt() {
            byte[] b = new byte[64];
            int n = PublishEncoder.head5(b, b("ab"), true, 0, 1, false, false, 9, 3, null);
            assertEquals("32 0A 00 02 61 62 00 09 03 23 00 03", hexOf(java.util.Arrays.copyOf(b, n)));
            n = PublishEncoder.head5(b, b("ab"), false, 0, 1, true, true, 9, 3, null);
            assertEquals("3B 08 00 00 00 09 03 23 00 03", hexOf(java.util.Arrays.copyOf(b, n)));
        }

        @Test
        void propertiesEncodedAndReadBack() throws MqttException {
            MqttProperties p = MqttProperties.builder().payloadFormat(1).messageExpiryInterval(60).contentType("c")
                    .responseTopic("r").correlationData(new byte[] {1}).userProperty("k", "v").build();
            byte[] props = PublishEncoder.properties(p);
            byte[] b = new byte[64 + props.length];
            int n = PublishEncoder.head5(b, b("t"), true, 0, 0, false, false, 0, 0, props);
            PublishDecoder d = new PublishDecoder();
            d.mqtt5(0);
            d.decode(b, 0, n, SERVER, PORT);
            assertEquals(p, d.properties());
            assertNull(PublishEncoder.properties(MqttProperties.EMPTY));
            assertNull(PublishEncoder.properties(null));
        }

        @Test
        void subscriptionIdentifiersRefused() {
            MqttProperties p = MqttProperties.builder().subscriptionIdentifiers(1).build();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PublishEncoder.properties(p));
            assertTrue(e.getMessage().contains("MQTT-3.3.4-6"), e.getMessage());
        }
    }

    @Nested
    class QosAcks {
        private final Acks5 d = new Acks5();

        private void decode(PacketType type, String packet) throws MqttException {
            byte[] p = hex(packet);
            d.decode(type, p, 0, p.length);
        }

        @Test
        void shortForms() throws MqttException {
            decode(PacketType.PUBACK, "40 02 00 07");
            assertEquals(7, d.packetId());
            assertEquals(0, d.reasonCode());
            decode(PacketType.PUBACK, "40 03 00 07 10");
            assertEquals(0x10, d.reasonCode());
            assertNull(d.reasonString());
            decode(PacketType.PUBREL, "62 04 00 07 92 00");
            assertEquals(0x92, d.reasonCode());
        }

        @Test
        void refusalWithReasonString() throws MqttException {
            decode(PacketType.PUBREC, "50 08 00 07 87 04 1F 00 01 78");
            assertEquals(0x87, d.reasonCode());
            assertEquals("x", d.reasonString());
        }

        @ParameterizedTest
        @CsvSource({"PUBACK, 40 01 00, 129", "PUBACK, 40 02 00 00, 130", "PUBACK, 40 03 00 01 92, 130",
            "PUBCOMP, 70 03 00 01 10, 130", "PUBACK, 40 05 00 01 00 00 00, 129", "PUBACK, 40 05 00 01 00 02 00, 129",
            "PUBREL, 60 02 00 01, 129", "PUBACK, 40 07 00 01 00 03 23 00 01, 130"})
        void malformed(PacketType type, String packet, int code) {
            refused(code, () -> decode(type, packet));
        }

        @Test
        void encoding() {
            assertEquals("40 02 00 07", hexOf(Acks5.encode(ShortPackets.PUBACK, 7, 0, null)));
            assertEquals("70 03 00 07 92", hexOf(Acks5.encode(ShortPackets.PUBCOMP, 7, 0x92, null)));
            PropertyWriter w = new PropertyWriter(Properties.PUBREC).putString(Properties.REASON_STRING, b("x"));
            assertEquals("50 08 00 07 80 04 1F 00 01 78", hexOf(Acks5.encode(ShortPackets.PUBREC, 7, 0x80, w)));
        }
    }

    @Nested
    class Disconnect {
        private final Disconnect5 d = new Disconnect5();

        private void decode(String packet) throws MqttException {
            byte[] p = hex(packet);
            d.decode(p, 0, p.length);
        }

        @Test
        void forms() throws MqttException {
            decode("E0 00");
            assertEquals(0, d.reasonCode());
            decode("E0 01 8E");
            assertEquals(0x8E, d.reasonCode());
            assertNull(d.reasonString());
            decode("E0 0C 9C 0A 1F 00 01 78 1C 00 03 68 3A 31");
            assertEquals(0x9C, d.reasonCode());
            assertEquals("x", d.reasonString());
            assertEquals("h:1", d.serverReference());
        }

        @ParameterizedTest
        @CsvSource({"E0 01 04, 130", "E0 07 00 05 11 00 00 00 01, 130", "E0 03 00 05 11, 129", "E0 03 00 00 00, 129",
            "E0 01 01, 130"})
        void malformed(String packet, int code) {
            refused(code, () -> decode(packet));
        }

        @Test
        void encoding() {
            assertEquals("E0 00", hexOf(Disconnect5.encode(0, null)));
            assertEquals("E0 01 04", hexOf(Disconnect5.encode(4, null)));
            assertTrue(Disconnect5.fromClient(0x04));
            assertFalse(Disconnect5.fromClient(0x8E));
        }
    }

    @Nested
    class Framing {
        @Test
        void disconnectAndAuthFromTheServerOnlyOnMqtt5() throws MqttException {
            byte[] disconnect = hex("E0 00");
            byte[] auth = hex("F0 00");
            assertEquals(2, (int) FixedHeader.frame(disconnect, 0, 2, 100, true));
            assertEquals(2, (int) FixedHeader.frame(auth, 0, 2, 100, true));
            assertThrows(MqttException.class, () -> FixedHeader.frame(disconnect, 0, 2, 100, false));
            assertThrows(MqttException.class, () -> FixedHeader.frame(auth, 0, 2, 100, false));
            refused(0x81, () -> FixedHeader.frame(hex("E1 00"), 0, 2, 100, true));
            refused(0x81, () -> FixedHeader.frame(hex("10 00"), 0, 2, 100, true)); // CONNECT
        }

        @Test
        void tooLargeIsPacketTooLarge() {
            MqttException e = refused(0x95, () -> FixedHeader.frame(hex("30 65"), 0, 2, 100, true));
            assertTrue(e.getMessage().contains("exceeds the maximum packet size 100"), e.getMessage());
        }
    }
}
