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
 * these rows (and the ones the client refuses by its state: a second CONNACK, an ack of the wrong type) to show
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
        "PUBLISH at QoS 2 id 0       | 34 05 00 01 74 00 00 | PUBLISH at QoS 2 with packet id 0",
        "PUBREC with flags           | 51 02 00 01          | PUBREC fixed header flags must be 0x0, found 0x1",
        "PUBREC too long             | 50 03 00 01 00       | PUBREC remaining length must be 2 (section 3.5.1), found 3",
        "PUBREC packet id 0          | 50 02 00 00          | PUBREC with packet id 0",
        "PUBREL flags 0000           | 60 02 00 01          | PUBREL fixed header flags must be 0x2, found 0x0",
        "PUBREL too short            | 62 01 00             | PUBREL remaining length must be 2 (section 3.6.1), found 1",
        "PUBREL packet id 0          | 62 02 00 00          | PUBREL with packet id 0",
        "PUBCOMP with flags          | 72 02 00 01          | PUBCOMP fixed header flags must be 0x0, found 0x2",
        "PUBCOMP too long            | 70 04 00 01 00 00    | PUBCOMP remaining length must be 2 (section 3.7.1), found 4",
        "PUBCOMP packet id 0         | 70 02 00 00          | PUBCOMP with packet id 0",
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
