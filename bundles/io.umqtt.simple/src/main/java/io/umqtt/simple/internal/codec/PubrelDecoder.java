package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/**
 * Decodes PUBREL (MQTT 3.1.1 section 3.6), the sender's release of a QoS 2 PUBLISH after its
 * PUBREC. Stateless.
 * <p>
 * Validates: the fixed header flags are 0x2 (section 3.6.1), the remaining length is 2 and the
 * packet identifier, all the packet holds, is not 0 (MQTT-2.3.1-1).
 */
public final class PubrelDecoder {
    private PubrelDecoder() {
    }

    /**
     * The packet identifier of the framed PUBREL at {@code b[off..off+len)}.
     *
     * @throws MqttException PROTOCOL_ERROR, e.g. "PUBREL remaining length must be 2 (section 3.6.1), found 3"
     */
    public static int decode(byte[] b, int off, int len) throws MqttException {
        return Qos2Acks.decode(PacketType.PUBREL, "3.6", 0x2, b, off, len);
    }
}
