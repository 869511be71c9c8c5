package io.umqtt.simple.internal.codec;

import java.util.Arrays;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.TopicFilter;

/**
 * Decodes a PUBLISH the server sends (MQTT 3.1.1 section 3.3) in place: a flyweight, one per
 * client and reused for every PUBLISH, that after {@link #decode} describes the packet by its
 * flags, its packet identifier, its topic and where its payload lies in the buffer. Decoding
 * allocates nothing but the topic's array (which the client delivers); the caller copies the
 * payload. Not thread-safe: only the thread holding the client's reader role uses it, and reads
 * what it needs before it decodes the next packet.
 * <p>
 * Validates: both QoS bits set (QoS 3) was refused when framing (MQTT-3.3.1-4); DUP is 0 at QoS 0
 * (MQTT-3.3.1-2); the remaining length holds the topic length, the topic and, at QoS 1 and 2, the
 * packet identifier (3.3.2); the topic name
 * is not empty (MQTT-4.7.3-1) and is a valid topic name: well-formed UTF-8 without U+0000
 * (MQTT-1.5.3-1, -2) and without wildcards (MQTT-3.3.2-2); the packet identifier at QoS 1 and 2 is
 * not 0 (MQTT-2.3.1-1).
 * <p>
 * MQTT 5 ({@link #mqtt5}): after the packet identifier the PUBLISH properties, read with a
 * {@link PropertyReader} (all its checks), into {@link #properties()}: {@link MqttProperties#EMPTY}
 * when the packet carries none but perhaps a Topic Alias, so that such a PUBLISH allocates no more
 * than under MQTT 3.1.1. Topic aliases (section 3.3.2.3.4): a Topic Alias with a topic name maps
 * it (replacing an earlier mapping); an empty topic name takes the topic of its alias. Refused with
 * reason code 0x94 (topic alias invalid): an alias above the Topic Alias Maximum the client sent
 * (MQTT-3.1.2-26), an alias without mapping; with 0x82: an empty topic without alias, a Response
 * Topic that is not a valid topic name (section 3.3.2.3.5). The alias table belongs to one network
 * connection (MQTT-3.3.2-7): {@link #mqtt5} starts an empty one.
 */
public final class PublishDecoder {
    private int qos;
    private boolean retain;
    private boolean dup;
    private int packetId;
    private byte[] topic;
    private int payloadOffset;
    private int payloadEnd;

    // MQTT 5
    private boolean v5;
    private byte[][] aliases;
    private PropertyReader reader;
    private MqttProperties properties = MqttProperties.EMPTY;
    private int topicAlias;

    /**
     * Decodes MQTT 5 PUBLISHes from now on, for a new network connection: an empty topic alias
     * table accepting aliases 1..{@code topicAliasMaximum} (0: none).
     */
    public void mqtt5(int topicAliasMaximum) {
        v5 = true;
        if (reader == null) {
            reader = new PropertyReader();
        }
        aliases = topicAliasMaximum == 0 ? null : new byte[topicAliasMaximum + 1][];
        properties = MqttProperties.EMPTY;
    }

    /** Decodes MQTT 3.1.1 PUBLISHes from now on. */
    public void mqtt311() {
        v5 = false;
        aliases = null;
        properties = MqttProperties.EMPTY;
    }

    /**
     * Decodes the framed PUBLISH at {@code b[off..off+len)}.
     *
     * @param server the broker's host, for messages
     * @param port the broker's port, for messages
     * @throws MqttException PROTOCOL_ERROR saying what is malformed
     */
    public void decode(byte[] b, int off, int len, String server, int port) throws MqttException {
        if (v5) {
            decode5(b, off, len, server, port);
            return;
        }
        int flags = b[off] & 0x0F;
        int body = FixedHeader.bodyOffset(b, off);
        int rem = off + len - body;
        int q = (flags & PublishEncoder.QOS_MASK) >>> PublishEncoder.QOS_SHIFT;
        if (q == 0 && (flags & PublishEncoder.FLAG_DUP) != 0) {
            throw Wire.protocol("PUBLISH from " + server + ":" + port + " at QoS 0 with the DUP flag set: DUP "
                    + "must be 0 at QoS 0 (MQTT-3.3.1-2)");
        }
        if (rem < 2) {
            throw Wire.protocol("PUBLISH remaining length " + rem + " cannot hold a topic length");
        }
        int topicLength = Wire.u16(b, body);
        int head = 2 + topicLength + (q > 0 ? 2 : 0);
        if (head > rem) {
            throw Wire.protocol("PUBLISH topic length " + topicLength + (q > 0 ? " plus packet id" : "")
                    + " does not fit in remaining length " + rem);
        }
        if (topicLength == 0) {
            throw Wire.protocol("PUBLISH with an empty topic name");
        }
        byte[] t = Arrays.copyOfRange(b, body + 2, body + 2 + topicLength);
        try {
            TopicFilter.validateTopicName(t);
        } catch (IllegalArgumentException e) {
            throw Wire.protocol("PUBLISH from " + server + ":" + port + " with an invalid topic name: "
                    + e.getMessage());
        }
        int id = q > 0 ? Wire.u16(b, body + 2 + topicLength) : 0;
        if (q > 0 && id == 0) {
            throw Wire.protocol("PUBLISH at QoS " + q + " with packet id 0 (MQTT-2.3.1-1)");
        }
        qos = q;
        retain = (flags & PublishEncoder.FLAG_RETAIN) != 0;
        dup = (flags & PublishEncoder.FLAG_DUP) != 0;
        packetId = id;
        topic = t;
        payloadOffset = body + head;
        payloadEnd = off + len;
    }

    private void decode5(byte[] b, int off, int len, String server, int port) throws MqttException {
        int flags = b[off] & 0x0F;
        int body = FixedHeader.bodyOffset(b, off);
        int end = off + len;
        int rem = end - body;
        int q = (flags & PublishEncoder.QOS_MASK) >>> PublishEncoder.QOS_SHIFT;
        if (q == 0 && (flags & PublishEncoder.FLAG_DUP) != 0) {
            throw Properties.malformed("PUBLISH from " + server + ":" + port + " at QoS 0 with the DUP flag set: DUP "
                    + "must be 0 at QoS 0 (MQTT-3.3.1-2)");
        }
        if (rem < 2) {
            throw Properties.malformed("PUBLISH remaining length " + rem + " cannot hold a topic length");
        }
        int topicLength = Wire.u16(b, body);
        int p = body + 2 + topicLength;
        if (p + (q > 0 ? 2 : 0) + 1 > end) {
            throw Properties.malformed("PUBLISH topic length " + topicLength + (q > 0 ? " plus packet id" : "")
                    + " plus property length does not fit in remaining length " + rem);
        }
        int id = 0;
        if (q > 0) {
            id = Wire.u16(b, p);
            p += 2;
            if (id == 0) {
                throw Properties.protocolError("PUBLISH at QoS " + q + " with packet id 0 (MQTT-2.2.1-3)");
            }
        }
        PropertyReader r = reader;
        int payload = r.start(Properties.PUBLISH, b, p, end);
        int alias = 0;
        MqttProperties.Builder props = null;
        int[] subscriptionIds = null;
        int idCount = 0;
        while (r.next()) {
            int pid = r.id();
            if (pid == Properties.TOPIC_ALIAS) {
                alias = (int) r.value();
                continue;
            }
            if (props == null) {
                props = MqttProperties.builder();
            }
            switch (pid) {
                case Properties.PAYLOAD_FORMAT_INDICATOR:
                    props.payloadFormat((int) r.value());
                    break;
                case Properties.MESSAGE_EXPIRY_INTERVAL:
                    props.messageExpiryInterval(r.value());
                    break;
                case Properties.CONTENT_TYPE:
                    props.contentType(r.string());
                    break;
                case Properties.RESPONSE_TOPIC:
                    String responseTopic = r.string();
                    try {
                        props.responseTopic(responseTopic);
                    } catch (IllegalArgumentException e) {
                        throw Properties.protocolError("PUBLISH from " + server + ":" + port + " with an invalid "
                                + "Response Topic (section 3.3.2.3.5): " + e.getMessage());
                    }
                    break;
                case Properties.CORRELATION_DATA:
                    props.correlationData(r.bytes());
                    break;
                case Properties.USER_PROPERTY:
                    props.userProperty(new String(b, r.nameOffset(), r.nameLength(), java.nio.charset.StandardCharsets.UTF_8),
                            r.string());
                    break;
                default: // SUBSCRIPTION_IDENTIFIER: nothing else is allowed in a PUBLISH
                    if (subscriptionIds == null) {
                        subscriptionIds = new int[2];
                    } else if (idCount == subscriptionIds.length) {
                        subscriptionIds = Arrays.copyOf(subscriptionIds, idCount * 2);
                    }
                    subscriptionIds[idCount++] = (int) r.value();
                    break;
            }
        }
        if (subscriptionIds != null) {
            props.subscriptionIdentifiers(Arrays.copyOf(subscriptionIds, idCount));
        }
        int maxAlias = aliases == null ? 0 : aliases.length - 1;
        if (alias > maxAlias) {
            throw new MqttException(MqttException.Reason.PROTOCOL_ERROR, 0x94, "PUBLISH from " + server + ":" + port
                    + " with Topic Alias " + alias + ", above the Topic Alias Maximum " + maxAlias
                    + " the client sent (MQTT-3.1.2-26)");
        }
        byte[] t;
        if (topicLength == 0) {
            if (alias == 0) {
                throw Properties.protocolError("PUBLISH from " + server + ":" + port + " with an empty topic name and "
                        + "no Topic Alias (section 3.3.2.1)");
            }
            byte[] mapped = aliases[alias];
            if (mapped == null) {
                throw new MqttException(MqttException.Reason.PROTOCOL_ERROR, 0x94, "PUBLISH from " + server + ":"
                        + port + " with an empty topic name and Topic Alias " + alias + ", which the server has not "
                        + "mapped to a topic on this connection (section 3.3.2.3.4)");
            }
            t = mapped.clone();
        } else {
            t = Arrays.copyOfRange(b, body + 2, body + 2 + topicLength);
            try {
                TopicFilter.validateTopicName(t);
            } catch (IllegalArgumentException e) {
                throw Properties.malformed("PUBLISH from " + server + ":" + port + " with an invalid topic name: "
                        + e.getMessage());
            }
            if (alias > 0) {
                aliases[alias] = t.clone();
            }
        }
        qos = q;
        retain = (flags & PublishEncoder.FLAG_RETAIN) != 0;
        dup = (flags & PublishEncoder.FLAG_DUP) != 0;
        packetId = id;
        topic = t;
        topicAlias = alias;
        properties = props == null ? MqttProperties.EMPTY : props.build();
        payloadOffset = payload;
        payloadEnd = end;
    }

    /** MQTT 5: the properties of the PUBLISH last decoded; {@link MqttProperties#EMPTY} when none (and on 3.1.1). */
    public MqttProperties properties() {
        return properties;
    }

    /** MQTT 5: the Topic Alias of the PUBLISH last decoded, 0 for none. */
    public int topicAlias() {
        return topicAlias;
    }

    /** 0, 1 or 2. */
    public int qos() {
        return qos;
    }

    public boolean retain() {
        return retain;
    }

    public boolean dup() {
        return dup;
    }

    /** The packet identifier at QoS 1 and 2, 0 at QoS 0. */
    public int packetId() {
        return packetId;
    }

    /** The topic name's bytes: a new array per PUBLISH, validated, the caller's to keep. */
    public byte[] topic() {
        return topic;
    }

    /** Where the payload starts in the decoded buffer. */
    public int payloadOffset() {
        return payloadOffset;
    }

    /** Where the payload ends (exclusive) in the decoded buffer: the end of the packet. */
    public int payloadEnd() {
        return payloadEnd;
    }
}
