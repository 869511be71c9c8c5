package io.umqtt.simple.internal.codec;

import io.umqtt.api.MqttException;

/**
 * Decodes SUBACK (MQTT 3.1.1 section 3.9), the server's ack of a SUBSCRIBE. This client subscribes
 * one filter per SUBSCRIBE, so a SUBACK carries exactly one return code. Stateless.
 * <p>
 * Validates: the remaining length is 3, the packet identifier and one return code (3.9.1,
 * MQTT-3.9.3-1: one code per filter); the return code is 0x00, 0x01, 0x02 (the granted QoS) or
 * 0x80 (failure), the others being reserved (3.9.3). The fixed header's flags were checked when
 * framing.
 */
public final class SubackDecoder {
    /** The return code for a refused filter. */
    public static final int FAILURE = 0x80;

    private SubackDecoder() {
    }

    /**
     * Checks the framed SUBACK at {@code b[off..off+len)}; returns its packet identifier. Its
     * return code is then {@link #returnCode}.
     *
     * @throws MqttException naming the wrong length or return code
     */
    public static int decode(byte[] b, int off, int len) throws MqttException {
        int body = FixedHeader.bodyOffset(b, off);
        int rem = off + len - body;
        if (rem != 3) {
            throw Wire.protocol("SUBACK remaining length must be 3 (one return code per filter), found " + rem);
        }
        int code = b[body + 2] & 0xFF;
        if (code != 0 && code != 1 && code != 2 && code != FAILURE) {
            throw Wire.protocol(String.format("SUBACK return code must be 0, 1, 2 or 0x80, found 0x%02X", code));
        }
        return Wire.u16(b, body);
    }

    /** The return code of a SUBACK that {@link #decode} accepted: its last byte. */
    public static int returnCode(byte[] b, int off, int len) {
        return b[off + len - 1] & 0xFF;
    }
}
