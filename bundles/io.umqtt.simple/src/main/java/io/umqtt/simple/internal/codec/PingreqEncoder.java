package io.umqtt.simple.internal.codec;

/** Encodes PINGREQ (MQTT 3.1.1 section 3.12): {@code C0 00}, a fixed header alone. Stateless. */
public final class PingreqEncoder {
    public static final int HEADER = 0xC0;

    private PingreqEncoder() {
    }

    /** A new PINGREQ packet. */
    public static byte[] encode() {
        return new byte[] {(byte) HEADER, 0};
    }
}
