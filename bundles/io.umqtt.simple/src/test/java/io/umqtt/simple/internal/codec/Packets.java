package io.umqtt.simple.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.simple.PacketType;

/** Packets as bytes for the codec tests, and the client's decode path over them without a socket. */
final class Packets {
    /** The peer the decoders name in their messages. */
    static final String SERVER = "127.0.0.1";
    static final int PORT = 1883;

    private Packets() {
    }

    static byte[] b(int... v) {
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (byte) v[i];
        }
        return out;
    }

    /** "30 02 00 00" as bytes. */
    static byte[] hex(String hex) {
        return HexFormat.ofDelimiter(" ").parseHex(hex.trim());
    }

    /**
     * What the client does with a packet that arrived whole: frames it (the whole array must be
     * one packet), then decodes it with the decoder of its type; returns the type.
     */
    static PacketType decode(byte[] packet) throws MqttException {
        return decode(packet, new PublishDecoder());
    }

    /** {@link #decode(byte[])} with the given PUBLISH flyweight. */
    static PacketType decode(byte[] packet, PublishDecoder publish) throws MqttException {
        long framed = FixedHeader.frame(packet, 0, packet.length, MqttConstants.MAX_REMAINING_LENGTH);
        assertEquals(packet.length, (int) framed, "the test's bytes are one whole packet");
        PacketType type = FixedHeader.type(packet, 0);
        switch (type) {
            case PUBLISH:
                publish.decode(packet, 0, packet.length, SERVER, PORT);
                break;
            case PUBACK:
                ShortPackets.decodePuback(packet, 0, packet.length);
                break;
            case PUBREC:
                ShortPackets.decodePubrec(packet, 0, packet.length);
                break;
            case PUBREL:
                ShortPackets.decodePubrel(packet, 0, packet.length);
                break;
            case PUBCOMP:
                ShortPackets.decodePubcomp(packet, 0, packet.length);
                break;
            case UNSUBACK:
                ShortPackets.decodeUnsuback(packet, 0, packet.length);
                break;
            case SUBACK:
                SubackDecoder.decode(packet, 0, packet.length);
                break;
            case PINGRESP:
                ShortPackets.decodePingresp(packet, 0, packet.length);
                break;
            case CONNACK:
                ConnackDecoder.decode(packet, 0, packet.length, true, SERVER, PORT);
                break;
            default:
                throw new AssertionError("no decoder for " + type + " (the client refuses it as unexpected)");
        }
        return type;
    }
}
