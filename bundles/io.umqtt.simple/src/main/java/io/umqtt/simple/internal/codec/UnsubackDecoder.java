package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * Decodes UNSUBACK (MQTT 3.1.1 section 3.11), the server's ack of an UNSUBSCRIBE. Stateless.
 * <p>
 * Validates: the remaining length is 2, the packet identifier alone (3.11.1). The fixed header's
 * flags were checked when framing.
 */
public final class UnsubackDecoder {
    private UnsubackDecoder() {
    }

    /**
     * The packet identifier of the framed UNSUBACK at {@code b[off..off+len)}.
     *
     * @throws MqttException "UNSUBACK remaining length must be 2, found 3"
     */
    public static int decode(byte[] b, int off, int len) throws MqttException {
        return Wire.packetIdOnly(PacketType.UNSUBACK, b, off, len);
    }
}
