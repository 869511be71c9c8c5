package io.umqtt.simple.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * MQTT 5 server packets as raw bytes for {@link HostileBroker} scripts: well-formed ones and the
 * pieces to break them (property blocks written by hand, so that duplicates, misplaced properties,
 * bad lengths and bad strings can be expressed). Written from the MQTT 5.0 text (sections 2.2.2,
 * 3.2-3.15), independent of the client's codec. Stateless.
 */
public final class Mqtt5Packets {
    private Mqtt5Packets() {
    }

    // property identifiers (section 2.2.2.2)
    public static final int PAYLOAD_FORMAT = 0x01;
    public static final int MESSAGE_EXPIRY = 0x02;
    public static final int CONTENT_TYPE = 0x03;
    public static final int RESPONSE_TOPIC = 0x08;
    public static final int CORRELATION_DATA = 0x09;
    public static final int SUBSCRIPTION_ID = 0x0B;
    public static final int SESSION_EXPIRY = 0x11;
    public static final int ASSIGNED_CLIENT_ID = 0x12;
    public static final int SERVER_KEEP_ALIVE = 0x13;
    public static final int AUTH_METHOD = 0x15;
    public static final int REASON_STRING = 0x1F;
    public static final int RECEIVE_MAXIMUM = 0x21;
    public static final int TOPIC_ALIAS_MAXIMUM = 0x22;
    public static final int TOPIC_ALIAS = 0x23;
    public static final int MAXIMUM_QOS = 0x24;
    public static final int USER_PROPERTY = 0x26;
    public static final int MAXIMUM_PACKET_SIZE = 0x27;

    /** A property block under construction: {@link #bytes()} is the properties without their length. */
    public static final class Props {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        public Props raw(int... values) {
            for (int v : values) {
                b.write(v);
            }
            return this;
        }

        public Props byteProp(int id, int value) {
            return raw(id, value);
        }

        public Props twoByte(int id, int value) {
            return raw(id, value >>> 8 & 0xFF, value & 0xFF);
        }

        public Props fourByte(int id, long value) {
            return raw(id, (int) (value >>> 24) & 0xFF, (int) (value >>> 16) & 0xFF, (int) (value >>> 8) & 0xFF,
                    (int) value & 0xFF);
        }

        public Props vbiProp(int id, int value) {
            raw(id);
            b.writeBytes(vbi(value));
            return this;
        }

        public Props string(int id, String value) {
            return stringBytes(id, value.getBytes(StandardCharsets.UTF_8));
        }

        /** A string property with the given bytes (ill-formed UTF-8 allowed). */
        public Props stringBytes(int id, byte[] value) {
            raw(id, value.length >>> 8, value.length & 0xFF);
            b.writeBytes(value);
            return this;
        }

        public Props user(String name, String value) {
            raw(USER_PROPERTY);
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            raw(n.length >>> 8, n.length & 0xFF);
            b.writeBytes(n);
            raw(v.length >>> 8, v.length & 0xFF);
            b.writeBytes(v);
            return this;
        }

        public byte[] bytes() {
            return b.toByteArray();
        }

        /** The block with its variable byte integer length in front. */
        public byte[] block() {
            byte[] p = bytes();
            return concat(vbi(p.length), p);
        }
    }

    public static Props props() {
        return new Props();
    }

    /** A variable byte integer (section 1.5.5). */
    public static byte[] vbi(int value) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(4);
        do {
            int digit = value & 0x7F;
            value >>>= 7;
            b.write(value > 0 ? digit | 0x80 : digit);
        } while (value > 0);
        return b.toByteArray();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    /** A packet: the first byte, the remaining length, the body. */
    public static byte[] packet(int first, byte[]... body) {
        byte[] b = concat(body);
        return concat(new byte[] {(byte) first}, vbi(b.length), b);
    }

    public static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    public static byte[] utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return concat(u16(b.length), b);
    }

    /** CONNACK (3.2): session present flag, reason code, properties. */
    public static byte[] connack(int sessionPresent, int reasonCode, Props props) {
        return packet(0x20, new byte[] {(byte) sessionPresent, (byte) reasonCode}, props.block());
    }

    /** CONNACK accepted, no session, no properties. */
    public static byte[] connack() {
        return connack(0, 0, props());
    }

    /** PUBLISH (3.3) with a topic (may be empty), packet id (QoS &gt; 0), properties, payload. */
    public static byte[] publish(String topic, int qos, int id, Props props, String payload) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        return packet(0x30 | qos << 1, concat(u16(t.length), t), qos > 0 ? u16(id) : new byte[0], props.block(),
                payload.getBytes(StandardCharsets.UTF_8));
    }

    /** PUBACK/PUBREC/PUBREL/PUBCOMP (3.4-3.7) with a reason code and properties (the full form). */
    public static byte[] ack(int type, int id, int reasonCode, Props props) {
        return packet(type << 4 | (type == 6 ? 2 : 0), u16(id), new byte[] {(byte) reasonCode}, props.block());
    }

    /** SUBACK (3.9) or UNSUBACK (3.11): id, properties, one reason code per filter. */
    public static byte[] subOrUnsubAck(int type, int id, Props props, int... codes) {
        byte[] c = new byte[codes.length];
        for (int i = 0; i < codes.length; i++) {
            c[i] = (byte) codes[i];
        }
        return packet(type << 4, u16(id), props.block(), c);
    }

    /** DISCONNECT (3.14) from the server: reason code and properties. */
    public static byte[] disconnect(int reasonCode, Props props) {
        return packet(0xE0, new byte[] {(byte) reasonCode}, props.block());
    }

    /** AUTH (3.15): reason code and properties. */
    public static byte[] auth(int reasonCode, Props props) {
        return packet(0xF0, new byte[] {(byte) reasonCode}, props.block());
    }

    /** The protocol level of a CONNECT packet (byte 7 of its variable header: after "MQTT"), or -1. */
    public static int protocolLevel(byte[] connect) {
        int i = 1;
        while ((connect[i] & 0x80) != 0) {
            i++;
        }
        int at = i + 1 + 6; // length 00 04, "MQTT"
        return at < connect.length ? connect[at] & 0xFF : -1;
    }

    /** The packet identifier of a SUBSCRIBE, UNSUBSCRIBE or QoS &gt; 0 PUBLISH the client sent. */
    public static int packetId(byte[] packet) {
        int i = 1;
        while ((packet[i] & 0x80) != 0) {
            i++;
        }
        int body = i + 1;
        if ((packet[0] & 0xF0) == 0x30) {
            int topicLength = (packet[body] & 0xFF) << 8 | (packet[body + 1] & 0xFF);
            body += 2 + topicLength;
        }
        return (packet[body] & 0xFF) << 8 | (packet[body + 1] & 0xFF);
    }

    /** The reason code of a DISCONNECT the client sent (0 when it has none: remaining length 0). */
    public static int disconnectReason(byte[] packet) {
        return packet.length > 2 ? packet[2] & 0xFF : 0;
    }
}
