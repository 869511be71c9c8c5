package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * Decodes PUBACK (MQTT 3.1.1 section 3.4), the server's ack of a QoS 1 PUBLISH. Stateless.
 * <p>
 * Validates: the remaining length is 2, the packet identifier alone (3.4.1). The fixed header's
 * flags were checked when framing. PUBREC, PUBREL and PUBCOMP (3.5-3.7) have the same shape.
 */
public final class PubackDecoder {
    private PubackDecoder() {
    }

    /**
     * The packet identifier of the framed PUBACK at {@code b[off..off+len)}.
     *
     * @throws MqttException "PUBACK remaining length must be 2, found 3"
     */
    public static int decode(byte[] b, int off, int len) throws MqttException {
        return Wire.packetIdOnly(PacketType.PUBACK, b, off, len);
    }
}
