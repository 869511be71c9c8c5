package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * Decodes PUBREC (MQTT 3.1.1 section 3.5), the receiver's first answer to a PUBLISH received at QoS
 * 2. Stateless.
 * <p>
 * Validates: the fixed header flags are 0x0 (section 3.5.1), the remaining length is 2 and the
 * packet identifier, all the packet holds, is not 0 (MQTT-2.3.1-1).
 */
public final class PubrecDecoder {
    private PubrecDecoder() {
    }

    /**
     * The packet identifier of the framed PUBREC at {@code b[off..off+len)}.
     *
     * @throws MqttException PROTOCOL_ERROR, e.g. "PUBREC remaining length must be 2 (section 3.5.1), found 3"
     */
    public static int decode(byte[] b, int off, int len) throws MqttException {
        return Qos2Acks.decode(PacketType.PUBREC, "3.5", 0x0, b, off, len);
    }
}
