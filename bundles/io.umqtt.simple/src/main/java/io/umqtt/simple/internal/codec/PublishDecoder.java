package io.umqtt.simple.internal.codec;

import java.util.Arrays;

import io.umqtt.api.MqttException;
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
 */
public final class PublishDecoder {
    private int qos;
    private boolean retain;
    private boolean dup;
    private int packetId;
    private byte[] topic;
    private int payloadOffset;
    private int payloadEnd;

    /**
     * Decodes the framed PUBLISH at {@code b[off..off+len)}.
     *
     * @param server the broker's host, for messages
     * @param port the broker's port, for messages
     * @throws MqttException PROTOCOL_ERROR saying what is malformed
     */
    public void decode(byte[] b, int off, int len, String server, int port) throws MqttException {
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
