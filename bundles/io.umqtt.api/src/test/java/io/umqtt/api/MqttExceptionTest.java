package io.umqtt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link MqttException}: MQTT 5 reason codes and strings beside the 3.1.1 return codes. */
class MqttExceptionTest {
    @Test
    void constructors() {
        MqttException five = new MqttException(MqttException.Reason.PUBLISH_REFUSED, 0x87, "denied", "msg");
        assertEquals(MqttException.Reason.PUBLISH_REFUSED, five.reason());
        assertEquals(0x87, five.returnCode());
        assertEquals("denied", five.reasonString());
        assertEquals("msg", five.getMessage());
        MqttException plain = new MqttException(MqttException.Reason.TIMEOUT, "t");
        assertEquals(MqttException.NO_RETURN_CODE, plain.returnCode());
        assertNull(plain.reasonString());
        IOException cause = new IOException("c");
        MqttException caused = new MqttException(MqttException.Reason.PROTOCOL_ERROR, "p", cause);
        assertSame(cause, caused.getCause());
        assertNull(caused.reasonString());
        assertNull(new MqttException(MqttException.Reason.CONNECTION_REFUSED, 5, "x").reasonString());
    }

    @ParameterizedTest
    @CsvSource({"0, success", "16, no matching subscribers", "128, unspecified error", "129, malformed packet",
        "135, not authorized", "142, session taken over", "147, receive maximum exceeded",
        "148, topic alias invalid", "149, packet too large", "162, wildcard subscriptions not supported",
        "3, unknown reason code 0x03", "255, unknown reason code 0xFF"})
    void reasonCodeNames(int code, String name) {
        assertEquals(name, MqttException.reasonCodeName(code));
    }

    @Test
    void connackReturnCodeNamesUnchanged() {
        assertEquals("not authorized", MqttException.connackReturnCodeName(5));
        assertEquals("unknown return code 6", MqttException.connackReturnCodeName(6));
    }

    @Test
    void serverReferenceIsKeptWhenGivenAndNullOtherwise() {
        MqttException moved = new MqttException(MqttException.Reason.DISCONNECTED_BY_SERVER, 0x9D, "moved", "b:1884",
                "broker moved");
        assertEquals("b:1884", moved.serverReference());
        assertEquals("moved", moved.reasonString());
        assertEquals(0x9D, moved.returnCode());
        assertNull(new MqttException(MqttException.Reason.DISCONNECTED_BY_SERVER, 0x8B, "bye", "down").serverReference());
    }
}
