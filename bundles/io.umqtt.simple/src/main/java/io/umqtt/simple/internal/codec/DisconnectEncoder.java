package io.umqtt.simple.internal.codec;

/** Encodes DISCONNECT (MQTT 3.1.1 section 3.14): {@code E0 00}, a fixed header alone. Stateless. */
public final class DisconnectEncoder {
    public static final int HEADER = 0xE0;

    private DisconnectEncoder() {
    }

    /** A new DISCONNECT packet. */
    public static byte[] encode() {
        return new byte[] {(byte) HEADER, 0};
    }
}
