package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * Decodes PINGRESP (MQTT 3.1.1 section 3.13), the server's answer to PINGREQ. Stateless.
 * <p>
 * Validates: the remaining length is 0 (no variable header, no payload). The fixed header's flags
 * were checked when framing.
 */
public final class PingrespDecoder {
    private PingrespDecoder() {
    }

    /**
     * Checks the framed PINGRESP at {@code b[off..off+len)}.
     *
     * @throws MqttException "PINGRESP remaining length must be 0, found 1"
     */
    public static void decode(byte[] b, int off, int len) throws MqttException {
        Wire.expectRemaining(PacketType.PINGRESP, off + len - FixedHeader.bodyOffset(b, off), 0);
    }
}
