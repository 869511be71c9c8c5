package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.PacketType;

/**
 * Decodes CONNACK (MQTT 3.1.1 section 3.2), the server's answer to CONNECT. Stateless.
 * <p>
 * Validates: the first packet after CONNECT is a CONNACK (MQTT-3.2.0-1); its remaining length is
 * 2 (3.2.1); the reserved bits 7-1 of the acknowledge flags are 0 (3.2.2.1); the return code is 0,
 * otherwise the connection was refused (3.2.2.3: codes 1-5 are named, others reported as they
 * came); Session Present is 0 when a clean session was requested (MQTT-3.2.2-1).
 */
public final class ConnackDecoder {
    /** Bit 0 of the acknowledge flags. */
    public static final int FLAG_SESSION_PRESENT = 0x01;

    private ConnackDecoder() {
    }

    /**
     * The packet at {@code b[off..off+len)} as the answer to a CONNECT.
     *
     * @param cleanSession whether the CONNECT asked for a clean session
     * @param server the broker's host, for messages
     * @param port the broker's port, for messages
     * @return Session Present
     * @throws MqttException CONNECTION_REFUSED with the return code for a refusal, PROTOCOL_ERROR
     *         for anything malformed
     */
    public static boolean decode(byte[] b, int off, int len, boolean cleanSession, String server, int port)
            throws MqttException {
        PacketType type = FixedHeader.type(b, off);
        if (type != PacketType.CONNACK) {
            throw Wire.protocol("expected CONNACK from " + server + ":" + port + ", received " + type);
        }
        int body = FixedHeader.bodyOffset(b, off);
        Wire.expectRemaining(type, off + len - body, 2);
        int ackFlags = b[body] & 0xFF;
        int code = b[body + 1] & 0xFF;
        if ((ackFlags & ~FLAG_SESSION_PRESENT) != 0) {
            throw Wire.protocol(String.format("CONNACK acknowledge flags must be 0 or 1, found 0x%02X", ackFlags));
        }
        if (code != 0) {
            throw new MqttException(Reason.CONNECTION_REFUSED, code, "broker " + server + ":" + port
                    + " refused the connection: " + MqttException.connackReturnCodeName(code)
                    + " (CONNACK return code " + code + ")");
        }
        boolean sessionPresent = (ackFlags & FLAG_SESSION_PRESENT) != 0;
        if (sessionPresent && cleanSession) {
            throw Wire.protocol("CONNACK has Session Present set although clean session was requested");
        }
        return sessionPresent;
    }
}
