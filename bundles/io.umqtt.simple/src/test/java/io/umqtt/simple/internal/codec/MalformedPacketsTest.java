package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * Malformed packets from the server, as bytes through the client's decode path (framing, then the
 * decoder of the packet's type): each is a protocol error saying what was expected and what was
 * found. Moved here from the socket-level table of {@code UmqttDefectsTest}, which keeps a few of
 * these rows (and the ones the client refuses by its state: a second CONNACK, QoS 2 acks) to show
 * that the client closes the connection for them.
 */
class MalformedPacketsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "PUBACK with flags           | 42 02 00 01          | PUBACK fixed header flags must be 0x0, found 0x2",
        "PUBACK too long             | 40 03 00 01 00       | PUBACK remaining length must be 2, found 3",
        "PUBACK too short            | 40 01 00             | PUBACK remaining length must be 2, found 1",
        "UNSUBACK too long           | B0 03 00 01 00       | UNSUBACK remaining length must be 2, found 3",
        "SUBACK without return code  | 90 02 00 01          | SUBACK remaining length must be at least 3",
        "SUBACK bad return code      | 90 03 00 01 03       | SUBACK return code must be 0, 1, 2 or 0x80, found 0x03",
        "PINGRESP with a body        | D0 01 00             | PINGRESP remaining length must be 0, found 1",
        "reserved type 0             | 00 00                | reserved packet type 0",
        "reserved type 15            | F0 00                | reserved packet type 15",
        "CONNECT from the server     | 10 00                | only clients send",
        "PUBLISH at QoS 2            | 34 06 00 01 74 00 01 78 | QoS 2",
        "PUBLISH QoS 3               | 36 05 00 01 74 00 01 | both QoS bits set",
        "PUBLISH topic overruns      | 30 04 00 09 61 62    | PUBLISH topic length 9 does not fit in remaining length 4",
        "PUBLISH empty topic         | 30 03 00 00 78       | empty topic name",
        "PUBLISH QoS 1 id 0          | 32 05 00 01 74 00 00 | packet id 0",
        "remaining length 5 bytes    | 30 FF FF FF FF 01    | malformed remaining length"})
    void malformedPacketsAreProtocolErrors(String name, String hex, String message) {
        MqttException e = assertThrows(MqttException.class, () -> Packets.decode(hex(hex)));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
