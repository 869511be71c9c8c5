package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.PORT;
import static io.umqtt.simple.internal.codec.Packets.SERVER;
import static io.umqtt.simple.internal.codec.Packets.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/** The decoders of CONNACK, PUBACK, SUBACK, UNSUBACK and PINGRESP, on bytes. */
class AckDecodersTest {

    private static MqttException protocolError(Executable decode) {
        MqttException e = assertThrows(MqttException.class, decode);
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        return e;
    }

    @Nested
    class Connack {
        private boolean decode(byte[] p, boolean cleanSession) throws MqttException {
            return ConnackDecoder.decode(p, 0, p.length, cleanSession, SERVER, PORT);
        }

        @Test
        void acceptedWithAndWithoutSessionPresent() throws MqttException {
            assertFalse(decode(b(0x20, 0x02, 0x00, 0x00), true));
            assertFalse(decode(b(0x20, 0x02, 0x00, 0x00), false));
            assertTrue(decode(b(0x20, 0x02, 0x01, 0x00), false));
        }

        @Test
        void anotherPacketFirstIsAProtocolError() {
            assertEquals("expected CONNACK from 127.0.0.1:1883, received PUBLISH",
                    protocolError(() -> decode(b(0x30, 0x03, 0x00, 0x01, 't'), true)).getMessage());
        }

        @Test
        void theRemainingLengthMustBe2() {
            assertEquals("CONNACK remaining length must be 2, found 3",
                    protocolError(() -> decode(b(0x20, 0x03, 0x00, 0x00, 0x00), true)).getMessage());
        }

        @Test
        void reservedAcknowledgeFlagsAreAProtocolError() {
            assertEquals("CONNACK acknowledge flags must be 0 or 1, found 0x02",
                    protocolError(() -> decode(b(0x20, 0x02, 0x02, 0x00), true)).getMessage());
        }

        @Test
        void sessionPresentWithCleanSessionIsAProtocolError() {
            assertEquals("CONNACK has Session Present set although clean session was requested",
                    protocolError(() -> decode(b(0x20, 0x02, 0x01, 0x00), true)).getMessage());
        }

        @ParameterizedTest(name = "return code {0}")
        @CsvSource({"1, unacceptable protocol version", "2, identifier rejected", "3, server unavailable",
            "4, bad user name or password", "5, not authorized", "6, unknown return code 6",
            "255, unknown return code 255"})
        void aRefusalCarriesTheReturnCode(int code, String name) {
            MqttException e = assertThrows(MqttException.class, () -> decode(b(0x20, 0x02, 0x00, code), true));
            assertEquals(Reason.CONNECTION_REFUSED, e.reason());
            assertEquals(code, e.returnCode());
            assertEquals("broker 127.0.0.1:1883 refused the connection: " + name + " (CONNACK return code " + code + ")",
                    e.getMessage());
        }
    }

    @Nested
    class PacketIdAcks {
        @Test
        void pubackAndUnsubackCarryThePacketId() throws MqttException {
            // within a larger buffer: 40 02 AB CD, B0 02 00 01
            byte[] buf = b(0xEE, 0x40, 0x02, 0xAB, 0xCD, 0xB0, 0x02, 0x00, 0x01);
            assertEquals(0xABCD, ShortPackets.decodePuback(buf, 1, 4));
            assertEquals(1, ShortPackets.decodeUnsuback(buf, 5, 4));
        }

        @Test
        void theRemainingLengthMustBe2() {
            assertEquals("PUBACK remaining length must be 2, found 0",
                    protocolError(() -> ShortPackets.decodePuback(b(0x40, 0x00), 0, 2)).getMessage());
            assertEquals("UNSUBACK remaining length must be 2, found 1",
                    protocolError(() -> ShortPackets.decodeUnsuback(b(0xB0, 0x01, 0x00), 0, 3)).getMessage());
        }
    }

    @Nested
    class Suback {
        @ParameterizedTest(name = "return code {0}")
        @CsvSource({"0", "1", "2", "128"})
        void grantedQosAndFailureAreRead(int code) throws MqttException {
            byte[] p = b(0x90, 0x03, 0x01, 0x02, code);
            assertEquals(258, SubackDecoder.decode(p, 0, p.length));
            assertArrayEquals(new int[] {code}, SubackDecoder.returnCodes(p, 0, p.length));
        }

        @Test
        void aReservedReturnCodeIsAProtocolError() {
            assertEquals("SUBACK return code must be 0, 1, 2 or 0x80, found 0x81",
                    protocolError(() -> SubackDecoder.decode(b(0x90, 0x03, 0x00, 0x01, 0x81), 0, 5)).getMessage());
        }

        @Test
        void noReturnCodeIsAProtocolError() {
            // more codes than filters sent is refused by the client, which knows the SUBSCRIBE (MultiFilterCodecTest)
            assertEquals("SUBACK remaining length must be at least 3 (a packet id and one return code per filter), "
                    + "found 2", protocolError(() -> SubackDecoder.decode(b(0x90, 0x02, 0x00, 0x01), 0, 4))
                            .getMessage());
        }
    }

    @Nested
    class Pingresp {
        @Test
        void aPingrespIsEmpty() throws MqttException {
            ShortPackets.decodePingresp(b(0xD0, 0x00), 0, 2);
            assertEquals("PINGRESP remaining length must be 0, found 1",
                    protocolError(() -> ShortPackets.decodePingresp(b(0xD0, 0x01, 0x00), 0, 3)).getMessage());
        }
    }
}
