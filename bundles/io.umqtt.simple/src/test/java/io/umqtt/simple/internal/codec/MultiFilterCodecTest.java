package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.b;
import static io.umqtt.simple.internal.codec.Packets.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.PacketType;

/** SUBSCRIBE and UNSUBSCRIBE of several filters, and SUBACKs with several return codes, on bytes. */
class MultiFilterCodecTest {

    private static byte[][] filters(String... f) {
        byte[][] out = new byte[f.length][];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    @Test
    void subscribeOfThreeFiltersEachWithItsQos() {
        byte[] expected = b(
                0x82, 0x12,                         // SUBSCRIBE, reserved flags 0b0010, remaining 18
                0x12, 0x34,                         // packet id
                0x00, 0x03, 'a', '/', '#', 0x01,    // a/# at QoS 1
                0x00, 0x01, 'b', 0x00,              // b at QoS 0
                0x00, 0x03, 'c', '/', '+', 0x02);   // c/+ at QoS 2
        assertArrayEquals(expected, SubscribeEncoder.encode(0x1234, filters("a/#", "b", "c/+"), new int[] {1, 0, 2},
                0, 3));
        assertEquals(18, SubscribeEncoder.remainingLength(filters("a/#", "b", "c/+"), 0, 3));
    }

    @Test
    void subscribeOfARangeTakesOnlyThatRange() {
        byte[][] f = filters("x", "a/#", "b", "y");
        byte[] expected = b(0x82, 0x0C, 0x00, 0x07, 0x00, 0x03, 'a', '/', '#', 0x01, 0x00, 0x01, 'b', 0x00);
        assertArrayEquals(expected, SubscribeEncoder.encode(7, f, new int[] {2, 1, 0, 2}, 1, 3));
    }

    @Test
    void theSingleFilterSubscribeIsTheOneOfARangeOfOne() {
        assertArrayEquals(SubscribeEncoder.encode(5, filters("a/b"), new int[] {1}, 0, 1),
                SubscribeEncoder.encode(5, "a/b".getBytes(StandardCharsets.UTF_8), 1));
    }

    @Test
    void manyFiltersUseAVariableRemainingLength() {
        String[] many = new String[100];
        Arrays.fill(many, "t/x"); // 100 * (2 + 3 + 1) + 2 = 602 = DA 04
        int[] qos = new int[100];
        byte[] p = SubscribeEncoder.encode(1, filters(many), qos, 0, 100);
        assertArrayEquals(b(0x82, 0xDA, 0x04, 0x00, 0x01), Arrays.copyOf(p, 5));
        assertEquals(3 + 602, p.length);
        assertEquals(602, SubscribeEncoder.remainingLength(filters(many), 0, 100));
    }

    @Test
    void theRemainingLengthOfHugeFilterListsDoesNotOverflow() {
        byte[] longest = new byte[65_535];
        byte[][] f = new byte[5_000][];
        Arrays.fill(f, longest);
        assertEquals(2 + 5_000L * (2 + 65_535 + 1), SubscribeEncoder.remainingLength(f, 0, f.length));
        assertEquals(2 + 5_000L * (2 + 65_535), UnsubscribeEncoder.remainingLength(f, 0, f.length));
    }

    @Test
    void unsubscribeOfTwoFilters() {
        byte[] expected = b(
                0xA2, 0x0B,                         // UNSUBSCRIBE, reserved flags 0b0010, remaining 11
                0x00, 0x02,                         // packet id 2
                0x00, 0x03, 'a', '/', 'b',          // a/b
                0x00, 0x02, 'c', '#');              // c# is not a valid filter, but the caller checks that
        assertArrayEquals(expected, UnsubscribeEncoder.encode(2, filters("a/b", "c#"), 0, 2));
        assertArrayEquals(UnsubscribeEncoder.encode(2, filters("a/b"), 0, 1),
                UnsubscribeEncoder.encode(2, "a/b".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aSubackCarriesOneReturnCodePerFilterInOrder() throws MqttException {
        byte[] p = b(0x90, 0x06, 0x00, 0x09, 0x01, 0x80, 0x00, 0x02);
        assertEquals(9, SubackDecoder.decode(p, 0, p.length));
        assertArrayEquals(new int[] {1, 0x80, 0, 2}, SubackDecoder.returnCodes(p, 0, p.length));
        assertEquals(PacketType.SUBACK, Packets.decode(p));
    }

    @Test
    void aSubackWithinALargerBuffer() throws MqttException {
        byte[] buf = b(0xEE, 0xEE, 0x90, 0x04, 0x00, 0x03, 0x00, 0x80, 0xEE);
        assertEquals(3, SubackDecoder.decode(buf, 2, 6));
        assertArrayEquals(new int[] {0, 0x80}, SubackDecoder.returnCodes(buf, 2, 6));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no return code        | 90 02 00 01             | SUBACK remaining length must be at least 3 (a packet id and one return code per filter), found 2",
        "no packet id          | 90 01 00                | SUBACK remaining length must be at least 3 (a packet id and one return code per filter), found 1",
        "empty                 | 90 00                   | SUBACK remaining length must be at least 3 (a packet id and one return code per filter), found 0",
        "reserved code alone   | 90 03 00 01 81          | SUBACK return code must be 0, 1, 2 or 0x80, found 0x81",
        "reserved second code  | 90 04 00 01 00 03       | SUBACK return code must be 0, 1, 2 or 0x80, found 0x03 (return code 2 of 2)",
        "reserved last of 4    | 90 06 00 01 00 01 80 FF | SUBACK return code must be 0, 1, 2 or 0x80, found 0xFF (return code 4 of 4)",
        "QoS 3 first of 3      | 90 05 00 01 03 00 00    | SUBACK return code must be 0, 1, 2 or 0x80, found 0x03 (return code 1 of 3)"})
    void malformedSubacksAreProtocolErrors(String name, String bytes, String message) {
        MqttException e = assertThrows(MqttException.class, () -> Packets.decode(hex(bytes)));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertEquals(message, e.getMessage());
    }

    @Test
    void aReturnCodeCountOtherThanTheFiltersSentIsAProtocolError() {
        assertNull(SubackDecoder.countMismatch(7, 3, 3));
        MqttException fewer = SubackDecoder.countMismatch(7, 2, 3);
        assertEquals(Reason.PROTOCOL_ERROR, fewer.reason());
        assertEquals("SUBACK for packet id 7 carries 2 return codes, but its SUBSCRIBE had 3 filters "
                + "(one return code per filter, MQTT-3.9.3-1)", fewer.getMessage());
        assertEquals("SUBACK for packet id 1 carries 2 return codes, but its SUBSCRIBE had 1 filter "
                + "(one return code per filter, MQTT-3.9.3-1)", SubackDecoder.countMismatch(1, 2, 1).getMessage());
        assertEquals("SUBACK for packet id 1 carries 1 return code, but its SUBSCRIBE had 2 filters "
                + "(one return code per filter, MQTT-3.9.3-1)", SubackDecoder.countMismatch(1, 1, 2).getMessage());
    }
}
