package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * Decodes PUBCOMP (MQTT 3.1.1 section 3.7), the receiver's last answer to a QoS 2 PUBLISH, after
 * the PUBREL. Stateless.
 * <p>
 * Validates: the fixed header flags are 0x0 (section 3.7.1), the remaining length is 2 and the
 * packet identifier, all the packet holds, is not 0 (MQTT-2.3.1-1).
 */
public final class PubcompDecoder {
    private PubcompDecoder() {
    }

    /**
     * The packet identifier of the framed PUBCOMP at {@code b[off..off+len)}.
     *
     * @throws MqttException PROTOCOL_ERROR, e.g. "PUBCOMP remaining length must be 2 (section 3.7.1), found 3"
     */
    public static int decode(byte[] b, int off, int len) throws MqttException {
        return Qos2Acks.decode(PacketType.PUBCOMP, "3.7", 0x0, b, off, len);
    }
}
