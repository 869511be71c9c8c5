package io.umqtt.robust.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.UserProperty;

/**
 * The MQTT 5 PUBLISH properties of a queued message as the durable queue ({@link QueueLog})
 * keeps them: what the application set, never a topic alias (aliases belong to one connection)
 * nor subscription identifiers (a client never sends them, MQTT-3.3.4-6).
 *
 * <h2>Format (version 1)</h2>
 * {@code [byte version = 1]} then, in this order, each property that is set, as
 * {@code [byte id][value]} with the MQTT 5 property id (section 2.2.2.2) and big-endian values:
 * <ul>
 * <li>{@code 0x01} payload format indicator: one byte;</li>
 * <li>{@code 0x02} message expiry interval: four bytes, unsigned (the interval the application
 * gave; what remains is computed from the time the message was queued, kept in its record);</li>
 * <li>{@code 0x03} content type, {@code 0x08} response topic: {@code [unsigned short length][UTF-8]};</li>
 * <li>{@code 0x09} correlation data: {@code [unsigned short length][bytes]};</li>
 * <li>{@code 0x26} user property, once per property in order: two such strings, name and value.</li>
 * </ul>
 * A reader of a later version refuses what it does not know ({@link IllegalArgumentException}
 * naming it), so that a record is never half understood. Stateless; thread-safe.
 */
final class StoredProperties {
    static final int VERSION = 1;
    static final int PAYLOAD_FORMAT = 0x01;
    static final int MESSAGE_EXPIRY = 0x02;
    static final int CONTENT_TYPE = 0x03;
    static final int RESPONSE_TOPIC = 0x08;
    static final int CORRELATION_DATA = 0x09;
    static final int USER_PROPERTY = 0x26;
    private static final byte[] NONE = new byte[0];

    private StoredProperties() {
    }

    /** The bytes of {@code p}; an empty array for {@link MqttProperties#isEmpty() empty} properties. */
    static byte[] encode(MqttProperties p) {
        if (p.isEmpty()) {
            return NONE;
        }
        byte[] contentType = utf8(p.contentType());
        byte[] responseTopic = utf8(p.responseTopic());
        byte[] correlation = p.correlationData();
        int size = 1;
        if (p.payloadFormat() != MqttProperties.FORMAT_UNSPECIFIED) {
            size += 2;
        }
        if (p.messageExpiryInterval() != MqttProperties.NO_EXPIRY) {
            size += 5;
        }
        size += field(contentType) + field(responseTopic) + field(correlation);
        byte[][] user = new byte[p.userProperties().size() * 2][];
        int i = 0;
        for (UserProperty u : p.userProperties()) {
            user[i] = utf8(u.name());
            user[i + 1] = utf8(u.value());
            size += 1 + 2 + user[i].length + 2 + user[i + 1].length;
            i += 2;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) VERSION);
        if (p.payloadFormat() != MqttProperties.FORMAT_UNSPECIFIED) {
            b.put((byte) PAYLOAD_FORMAT).put((byte) p.payloadFormat());
        }
        if (p.messageExpiryInterval() != MqttProperties.NO_EXPIRY) {
            b.put((byte) MESSAGE_EXPIRY).putInt((int) p.messageExpiryInterval());
        }
        put(b, CONTENT_TYPE, contentType);
        put(b, RESPONSE_TOPIC, responseTopic);
        put(b, CORRELATION_DATA, correlation);
        for (int j = 0; j < user.length; j += 2) {
            b.put((byte) USER_PROPERTY);
            b.putShort((short) user[j].length).put(user[j]);
            b.putShort((short) user[j + 1].length).put(user[j + 1]);
        }
        return b.array();
    }

    /**
     * Reads what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException naming what is wrong: an unknown version or property id, a
     *         length past the end, a value the API refuses
     */
    static MqttProperties decode(byte[] data, int offset, int length) {
        if (length == 0) {
            return MqttProperties.EMPTY;
        }
        ByteBuffer b = ByteBuffer.wrap(data, offset, length);
        try {
            int version = b.get() & 0xFF;
            if (version != VERSION) {
                throw new IllegalArgumentException("stored properties have version " + version
                        + ", this version reads only " + VERSION);
            }
            MqttProperties.Builder p = MqttProperties.builder();
            while (b.hasRemaining()) {
                int id = b.get() & 0xFF;
                switch (id) {
                    case PAYLOAD_FORMAT:
                        p.payloadFormat(b.get());
                        break;
                    case MESSAGE_EXPIRY:
                        p.messageExpiryInterval(b.getInt() & 0xFFFF_FFFFL);
                        break;
                    case CONTENT_TYPE:
                        p.contentType(string(b));
                        break;
                    case RESPONSE_TOPIC:
                        p.responseTopic(string(b));
                        break;
                    case CORRELATION_DATA:
                        p.correlationData(binary(b));
                        break;
                    case USER_PROPERTY:
                        p.userProperty(string(b), string(b));
                        break;
                    default:
                        throw new IllegalArgumentException("stored properties hold unknown property id 0x"
                                + Integer.toHexString(id) + " at offset " + (b.position() - 1 - offset));
                }
            }
            return p.build();
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("stored properties end in the middle of a property (" + length
                    + " bytes)", e);
        }
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static int field(byte[] value) {
        return value == null ? 0 : 1 + 2 + value.length;
    }

    private static void put(ByteBuffer b, int id, byte[] value) {
        if (value != null) {
            b.put((byte) id).putShort((short) value.length).put(value);
        }
    }

    private static byte[] binary(ByteBuffer b) {
        byte[] v = new byte[b.getShort() & 0xFFFF];
        b.get(v);
        return v;
    }

    private static String string(ByteBuffer b) {
        return new String(binary(b), StandardCharsets.UTF_8);
    }
}
