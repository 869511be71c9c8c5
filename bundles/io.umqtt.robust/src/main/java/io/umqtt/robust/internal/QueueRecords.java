package io.umqtt.robust.internal;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.zip.CRC32;

import io.umqtt.api.MqttProperties;
import io.umqtt.robust.internal.OfflineQueue.Entry;

/**
 * The record format of the durable offline queue's segment files ({@link QueueLog}): encoding
 * the records into a buffer, sealed with their CRC, and decoding the message records.
 *
 * <h2>Format</h2>
 * A segment starts with the 4-byte magic {@code UMQ1}, then records, big-endian:
 * {@code [int length][int crc32 of the body][body of length bytes]}. A body is either
 * <ul>
 * <li>ADD: {@code [1][long seq][byte flags: qos in bits 0-1, retain in bit 2][int topic length][topic][payload]}
 * (a message without MQTT 5 properties: every message of an MQTT 3.1.1 client, so that its files
 * stay as they were before MQTT 5), or</li>
 * <li>ADD5: {@code [4][long seq][byte flags][int topic length][topic][long queued at: epoch milliseconds]
 * [int properties length][properties][payload]}: a message with MQTT 5 properties, kept as
 * {@link StoredProperties} writes them (with their own version byte), and the time it was
 * published, from which what remains of its message expiry interval is computed (also after a
 * restart). Files of earlier versions hold no ADD5 and load as before; an earlier version that
 * meets an ADD5 skips it with a warning (it does not know the type).</li>
 * <li>DONE: {@code [2][long seq]}: the message {@code seq} was sent (QoS 0), acknowledged (QoS 1),
 * its QoS 2 flow completed (PUBCOMP), or it was dropped; it is not loaded again.</li>
 * <li>STEP: {@code [3][long seq][unsigned short packet id][byte 0: PUBLISH written | 1: PUBREC read]}:
 * the step a QoS 2 message reached, written <em>before</em> the packet it leads to (its PUBLISH
 * under that packet id, its PUBREL); the last STEP of a message wins. Loading gives the message its
 * packet id and step, so that after a crash it is resumed in the broker's kept session (PUBLISH
 * with DUP, or PUBREL) instead of being published as a new message.</li>
 * </ul>
 * Sequence numbers grow by one per message; loading ({@link QueueRecovery}) replays every segment
 * in order, and the messages added and not done are the queue, in sequence order.
 * <p>
 * Stateless; thread-safe. The decoders log a damaged record (at WARNING, naming the file and the
 * offset, under the {@link QueueLog} logger) and return null.
 */
final class QueueRecords {
    /** The logger of the durable queue's parts: {@link QueueLog}'s name, as before they were split out of it. */
    static final System.Logger LOG = System.getLogger(QueueLog.class.getName());

    static final int MAGIC = 0x554D5131; // "UMQ1"
    static final int MAGIC_BYTES = 4;
    /** Length and CRC in front of every body. */
    static final int RECORD_HEADER_BYTES = 8;
    static final byte TYPE_ADD = 1;
    static final byte TYPE_DONE = 2;
    static final byte TYPE_STEP = 3;
    static final byte TYPE_ADD5 = 4;
    /** Type, seq, packet id, step. */
    static final int STEP_BODY_BYTES = 1 + 8 + 2 + 1;
    /** Type, seq, flags, topic length. */
    static final int ADD_FIXED_BYTES = 1 + 8 + 1 + 4;
    /** Type, seq, flags, topic length, queued at, properties length. */
    static final int ADD5_FIXED_BYTES = ADD_FIXED_BYTES + 8 + 4;
    static final int DONE_BODY_BYTES = 1 + 8;
    private static final int FLAG_QOS_MASK = 0x03;
    private static final int FLAG_RETAIN = 0x04;
    /** The largest body: an MQTT topic (65535 bytes) and the largest MQTT payload. */
    static final int MAX_BODY_BYTES = ADD5_FIXED_BYTES + 65_535 + 268_435_455;

    private QueueRecords() {
    }

    // ------------------------------------------------------------------ encoding

    /** The bytes of the ADD (ADD5 with properties) record of {@code e}, header included. */
    static int addRecordBytes(Entry e) {
        int fixed = e.storedProperties.length == 0 ? ADD_FIXED_BYTES : ADD5_FIXED_BYTES + e.storedProperties.length;
        return RECORD_HEADER_BYTES + fixed + e.topic.length + e.payload.length;
    }

    /**
     * Puts the ADD record of {@code e} under {@code seq}, sealed with its length and CRC: ADD5 when
     * it has MQTT 5 properties, else ADD as before MQTT 5.
     */
    static void putAdd(ByteBuffer buf, Entry e, long seq, CRC32 crc) {
        int length = addRecordBytes(e) - RECORD_HEADER_BYTES;
        int start = buf.position();
        boolean v5 = e.storedProperties.length > 0;
        buf.putInt(length).putInt(0).put(v5 ? TYPE_ADD5 : TYPE_ADD).putLong(seq)
                .put((byte) ((e.qos & FLAG_QOS_MASK) | (e.retain ? FLAG_RETAIN : 0)))
                .putInt(e.topic.length).put(e.topic);
        if (v5) {
            buf.putLong(e.queuedAtMillis).putInt(e.storedProperties.length).put(e.storedProperties);
        }
        buf.put(e.payload);
        seal(buf, start, length, crc);
    }

    /** Puts the STEP record of the QoS 2 message {@code seq}, sealed. */
    static void putStep(ByteBuffer buf, long seq, int packetId, boolean pubrec, CRC32 crc) {
        int start = buf.position();
        buf.putInt(STEP_BODY_BYTES).putInt(0).put(TYPE_STEP).putLong(seq).putShort((short) packetId)
                .put((byte) (pubrec ? 1 : 0));
        seal(buf, start, STEP_BODY_BYTES, crc);
    }

    /** Puts the DONE record of the message {@code seq}, sealed. */
    static void putDone(ByteBuffer buf, long seq, CRC32 crc) {
        int start = buf.position();
        buf.putInt(DONE_BODY_BYTES).putInt(0).put(TYPE_DONE).putLong(seq);
        seal(buf, start, DONE_BODY_BYTES, crc);
    }

    /** Fills in the CRC of the record written at {@code start}. */
    private static void seal(ByteBuffer buf, int start, int length, CRC32 crc) {
        crc.reset();
        crc.update(buf.array(), start + RECORD_HEADER_BYTES, length);
        buf.putInt(start + 4, (int) crc.getValue());
    }

    // ------------------------------------------------------------------ decoding

    /**
     * The message of an ADD record of {@code length} bytes whose type and seq were read from
     * {@code b}; null (logged) when it is damaged.
     */
    static Entry readAdd(ByteBuffer b, long seq, int length, Path file, int at) {
        int flags = b.get();
        int topicLength = b.getInt();
        if (topicLength < 0 || topicLength > length - ADD_FIXED_BYTES) {
            LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                    + " has a topic length of " + topicLength + " in " + length + " bytes; skipped");
            return null;
        }
        byte[] topic = new byte[topicLength];
        b.get(topic);
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new Entry(topic, payload, flags & FLAG_QOS_MASK, (flags & FLAG_RETAIN) != 0, 0, seq);
    }

    /** The message of an ADD5 record whose type and seq were read from {@code b}; null (logged) when it is damaged. */
    static Entry readAdd5(ByteBuffer b, long seq, int length, Path file, int at) {
        int flags = b.get();
        int topicLength = b.getInt();
        if (topicLength < 0 || topicLength > length - ADD5_FIXED_BYTES) {
            LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                    + " has a topic length of " + topicLength + " in " + length + " bytes; skipped");
            return null;
        }
        byte[] topic = new byte[topicLength];
        b.get(topic);
        long queuedAt = b.getLong();
        int propertiesLength = b.getInt();
        if (propertiesLength < 0 || propertiesLength > b.remaining()) {
            LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                    + " has a properties length of " + propertiesLength + " with " + b.remaining()
                    + " bytes left in it; skipped");
            return null;
        }
        MqttProperties properties;
        try {
            properties = StoredProperties.decode(b.array(), b.arrayOffset() + b.position(), propertiesLength);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                    + " holds properties this version cannot read (" + e.getMessage() + "); skipped");
            return null;
        }
        b.position(b.position() + propertiesLength);
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new Entry(topic, payload, flags & FLAG_QOS_MASK, (flags & FLAG_RETAIN) != 0, 0, seq, null, false,
                properties, queuedAt);
    }
}
