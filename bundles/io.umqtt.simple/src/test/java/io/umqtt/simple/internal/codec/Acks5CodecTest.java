package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/** The MQTT 5 SUBACK, UNSUBACK and AUTH (sections 3.9, 3.11, 3.15 of MQTT 5), byte for byte. */
class Acks5CodecTest {
    private final PropertyReader reader = new PropertyReader();

    private SubscribeAck5 suback(int... bytes) throws MqttException {
        byte[] p = b(bytes);
        return SubscribeAck5.suback(p, 0, p.length, reader);
    }

    private SubscribeAck5 unsuback(int... bytes) throws MqttException {
        byte[] p = b(bytes);
        return SubscribeAck5.unsuback(p, 0, p.length, reader);
    }

    private AuthCodec auth(int... bytes) throws MqttException {
        byte[] p = b(bytes);
        return AuthCodec.decode(p, 0, p.length, reader);
    }

    private static MqttException protocolError(org.junit.jupiter.api.function.Executable e) {
        MqttException x = assertThrows(MqttException.class, e);
        assertEquals(Reason.PROTOCOL_ERROR, x.reason());
        return x;
    }

    // ------------------------------------------------------------------ SUBACK

    @Test
    void aSubackCarriesItsReasonCodesAfterTheProperties() throws Exception {
        SubscribeAck5 a = suback(0x90, 0x06, 0x12, 0x34, 0x00, 0x01, 0x87, 0xA2);
        assertEquals(0x1234, a.packetId);
        assertArrayEquals(new int[] {0x01, 0x87, 0xA2}, a.codes);
        assertNull(a.reasonString);
    }

    @Test
    void aSubackKeepsItsReasonStringAndSkipsUserProperties() throws Exception {
        SubscribeAck5 a = suback(0x90, 0x13, 0x00, 0x07,
                0x0F, 0x1F, 0x00, 0x04, 'd', 'e', 'n', 'y', 0x26, 0x00, 0x01, 'k', 0x00, 0x02, 'v', 'w',
                0x80);
        assertEquals(7, a.packetId);
        assertArrayEquals(new int[] {0x80}, a.codes);
        assertEquals("deny", a.reasonString);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2})
    void everySubscribeReasonCodeIsAccepted(int code) throws Exception {
        assertArrayEquals(new int[] {code}, suback(0x90, 0x04, 0x00, 0x01, 0x00, code).codes);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x03, 0x04, 0x10, 0x11, 0x81, 0x82, 0x8C, 0xFF})
    void aCodeNotDefinedForSubackIsAProtocolError(int code) {
        MqttException e = protocolError(() -> suback(0x90, 0x05, 0x00, 0x01, 0x00, 0x00, code));
        assertTrue(e.getMessage().contains(String.format("SUBACK reason code 0x%02X is not a Subscribe Reason Code",
                code)), e.getMessage());
        assertTrue(e.getMessage().contains("MQTT-3.9.3-2"), e.getMessage());
        assertTrue(e.getMessage().contains("(reason code 2 of 2)"), e.getMessage());
    }

    @Test
    void aSubackWithoutReasonCodesIsAProtocolError() {
        MqttException e = protocolError(() -> suback(0x90, 0x05, 0x00, 0x01, 0x02, 0x26, 0x00));
        assertTrue(e.getMessage().contains("SUBACK"), e.getMessage());
        MqttException shortOne = protocolError(() -> suback(0x90, 0x03, 0x00, 0x01, 0x00));
        assertTrue(shortOne.getMessage().contains("remaining length must be at least 4"), shortOne.getMessage());
    }

    @Test
    void aDuplicateReasonStringIsAProtocolError() {
        MqttException e = protocolError(() -> suback(0x90, 0x0C, 0x00, 0x01,
                0x08, 0x1F, 0x00, 0x01, 'a', 0x1F, 0x00, 0x01, 'b', 0x00));
        assertTrue(e.getMessage().contains("Reason String"), e.getMessage());
        assertTrue(e.getMessage().contains("more than once"), e.getMessage());
    }

    @Test
    void aPropertyNotAllowedInSubackIsAProtocolError() {
        // Subscription Identifier belongs to SUBSCRIBE and PUBLISH
        MqttException e = protocolError(() -> suback(0x90, 0x06, 0x00, 0x01, 0x02, 0x0B, 0x01, 0x00));
        assertTrue(e.getMessage().contains("SUBACK must not carry Subscription Identifier"), e.getMessage());
    }

    @Test
    void aPropertyLengthPastThePacketIsMalformed() {
        protocolError(() -> suback(0x90, 0x04, 0x00, 0x01, 0x05, 0x00));
    }

    @Test
    void theCountCheckNamesTheAckAndItsRule() {
        assertNull(SubackDecoder.countMismatch(io.umqtt.simple.PacketType.UNSUBACK, 1, 2, 2));
        String m = SubackDecoder.countMismatch(io.umqtt.simple.PacketType.UNSUBACK, 9, 1, 3).getMessage();
        assertEquals("UNSUBACK for packet id 9 carries 1 reason code, but its UNSUBSCRIBE had 3 filters "
                + "(one reason code per filter, MQTT-3.11.3-1)", m);
    }

    // ------------------------------------------------------------------ UNSUBACK

    @Test
    void anUnsubackCarriesOneReasonCodePerFilter() throws Exception {
        SubscribeAck5 a = unsuback(0xB0, 0x06, 0x00, 0x09, 0x00, 0x00, 0x11, 0x87);
        assertEquals(9, a.packetId);
        assertArrayEquals(new int[] {0x00, 0x11, 0x87}, a.codes);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x01, 0x02, 0x10, 0x97, 0x9E, 0xA1})
    void aCodeNotDefinedForUnsubackIsAProtocolError(int code) {
        MqttException e = protocolError(() -> unsuback(0xB0, 0x04, 0x00, 0x01, 0x00, code));
        assertTrue(e.getMessage().contains("is not an Unsubscribe Reason Code"), e.getMessage());
        assertTrue(e.getMessage().contains("MQTT-3.11.3-2"), e.getMessage());
    }

    @Test
    void theMqtt311UnsubackIsTooShortForMqtt5() {
        MqttException e = protocolError(() -> unsuback(0xB0, 0x02, 0x00, 0x01));
        assertTrue(e.getMessage().startsWith("UNSUBACK remaining length must be at least 4"), e.getMessage());
    }

    // ------------------------------------------------------------------ AUTH

    @Test
    void theClientsAuthCarriesItsReasonCodeMethodAndData() {
        byte[] expected = b(0xF0, 0x10,
                0x18,
                0x0E, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M', 0x16, 0x00, 0x03, 1, 2, 3);
        assertArrayEquals(expected, AuthCodec.encode(AuthCodec.CONTINUE, "SCRAM", new byte[] {1, 2, 3}));
        assertArrayEquals(b(0xF0, 0x0A, 0x19, 0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'),
                AuthCodec.encode(AuthCodec.REAUTHENTICATE, "SCRAM", null));
    }

    @Test
    void theServersAuthIsRead() throws Exception {
        AuthCodec a = auth(0xF0, 0x16,
                0x18,
                0x14, 0x15, 0x00, 0x01, 'X', 0x16, 0x00, 0x02, 9, 8, 0x1F, 0x00, 0x02, 'o', 'k',
                0x26, 0x00, 0x01, 'a', 0x00, 0x00);
        assertEquals(0x18, a.reasonCode);
        assertEquals("X", a.method);
        assertArrayEquals(new byte[] {9, 8}, a.data);
        assertEquals("ok", a.reasonString);
    }

    @Test
    void anEmptyAuthIsSuccessWithoutProperties() throws Exception {
        AuthCodec a = auth(0xF0, 0x00);
        assertEquals(AuthCodec.SUCCESS, a.reasonCode);
        assertNull(a.method);
        assertNull(a.data);
    }

    @ParameterizedTest
    @ValueSource(ints = {0x01, 0x04, 0x80, 0x87, 0x8C})
    void aCodeNotDefinedForAuthIsAProtocolError(int code) {
        MqttException e = protocolError(() -> auth(0xF0, 0x02, code, 0x00));
        assertTrue(e.getMessage().contains("MQTT-3.15.2-1"), e.getMessage());
    }

    @Test
    void anAuthOfOneByteIsMalformed() {
        MqttException e = protocolError(() -> auth(0xF0, 0x01, 0x18));
        assertTrue(e.getMessage().contains("AUTH remaining length must be 0 or at least 2"), e.getMessage());
    }

    @Test
    void twoMethodsOrTwoDataAreProtocolErrors() {
        protocolError(() -> auth(0xF0, 0x0B, 0x18, 0x08, 0x15, 0x00, 0x01, 'A', 0x15, 0x00, 0x01, 'B'));
        protocolError(() -> auth(0xF0, 0x0F, 0x18, 0x0C, 0x15, 0x00, 0x01, 'A', 0x16, 0x00, 0x00, 0x16, 0x00, 0x01,
                7));
    }

    @Test
    void aPropertyNotAllowedInAuthIsAProtocolError() {
        // Session Expiry Interval belongs to CONNECT, CONNACK and DISCONNECT
        MqttException e = protocolError(() -> auth(0xF0, 0x07, 0x18, 0x05, 0x11, 0, 0, 0, 1));
        assertTrue(e.getMessage().contains("AUTH must not carry"), e.getMessage());
    }

    @Test
    void bytesAfterTheAuthPropertiesAreMalformed() {
        MqttException e = protocolError(() -> auth(0xF0, 0x07, 0x18, 0x04, 0x15, 0x00, 0x01, 'A', 0x00));
        assertTrue(e.getMessage().contains("after its properties"), e.getMessage());
    }

    @Test
    void aMethodThatIsNotUtf8IsMalformed() {
        byte[] bad = "A".getBytes(StandardCharsets.UTF_8);
        assertEquals(1, bad.length);
        protocolError(() -> auth(0xF0, 0x07, 0x18, 0x05, 0x15, 0x00, 0x02, 0xC0, 0xAF));
    }
}
