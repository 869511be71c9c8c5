package io.umqtt.robust.internal;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import io.umqtt.api.MqttProperties;
import io.umqtt.robust.OverflowPolicy;

/**
 * The bounded queue of publishes waiting for a connection, in order. New messages respect the
 * bounds (messages and bytes) by the overflow policy; messages that were already in flight when
 * the connection died go back to the front regardless, since they were accepted earlier.
 * Thread-safe.
 */
public final class OfflineQueue {
    /**
     * A queued publish. {@code packetId} is non-zero when it was sent once at QoS 1 or 2 and its
     * flow did not end; {@code released} when, at QoS 2, the broker's PUBREC was read (the flow
     * resumes at PUBREL in a kept session).
     */
    public static final class Entry {
        public final byte[] topic;
        public final byte[] payload;
        public final int qos;
        public final boolean retain;
        public final int packetId;
        /** Its number in the {@link QueueLog}; 0 when it is not on disk. */
        public final long seq;
        /** The token of a {@code publishAsync} that follows this message; null for {@code publish}. Not on disk. */
        public final RobustToken token;
        /** QoS 2: the PUBREC was read; the message must not be published again in this session. */
        public final boolean released;
        /**
         * The MQTT 5 PUBLISH properties the application gave ({@link MqttProperties#EMPTY} on
         * MQTT 3.1.1); never a topic alias. Its message expiry interval is the one given: what
         * remains is computed from {@link #queuedAtMillis} when it is sent.
         */
        public final MqttProperties properties;
        /**
         * When the application published it (wall clock, epoch milliseconds), for its message
         * expiry; 0 when it has no message expiry interval.
         */
        public final long queuedAtMillis;
        /** {@link #properties} as the durable queue stores them (empty when there are none). */
        final byte[] storedProperties;

        public Entry(byte[] topic, byte[] payload, int qos, boolean retain, int packetId) {
            this(topic, payload, qos, retain, packetId, 0, null);
        }

        public Entry(byte[] topic, byte[] payload, int qos, boolean retain, int packetId, long seq) {
            this(topic, payload, qos, retain, packetId, seq, null);
        }

        public Entry(byte[] topic, byte[] payload, int qos, boolean retain, int packetId, long seq, RobustToken token) {
            this(topic, payload, qos, retain, packetId, seq, token, false);
        }

        public Entry(byte[] topic, byte[] payload, int qos, boolean retain, int packetId, long seq, RobustToken token,
                boolean released) {
            this(topic, payload, qos, retain, packetId, seq, token, released, MqttProperties.EMPTY, 0);
        }

        /**
         * A message with MQTT 5 properties.
         *
         * @param queuedAtMillis when it was published (epoch milliseconds), for its message expiry
         */
        public Entry(byte[] topic, byte[] payload, int qos, boolean retain, int packetId, long seq, RobustToken token,
                boolean released, MqttProperties properties, long queuedAtMillis) {
            this(topic, payload, qos, retain, packetId, seq, token, released, properties, queuedAtMillis,
                    StoredProperties.encode(properties));
        }

        private Entry(byte[] topic, byte[] payload, int qos, boolean retain, int packetId, long seq, RobustToken token,
                boolean released, MqttProperties properties, long queuedAtMillis, byte[] storedProperties) {
            this.released = released;
            this.topic = topic;
            this.payload = payload;
            this.qos = qos;
            this.retain = retain;
            this.packetId = packetId;
            this.seq = seq;
            this.token = token;
            this.properties = properties;
            this.queuedAtMillis = queuedAtMillis;
            this.storedProperties = storedProperties;
        }

        public Entry withPacketId(int id) {
            return new Entry(topic, payload, qos, retain, id, seq, token, false, properties, queuedAtMillis,
                    storedProperties);
        }

        /** Sent under {@code id}; at QoS 2 {@code pubrec} says whether its PUBREC was read. */
        public Entry withStep(int id, boolean pubrec) {
            return new Entry(topic, payload, qos, retain, id, seq, token, pubrec, properties, queuedAtMillis,
                    storedProperties);
        }

        public Entry withSeq(long s) {
            return new Entry(topic, payload, qos, retain, packetId, s, token, released, properties, queuedAtMillis,
                    storedProperties);
        }

        /** Whether it has a message expiry interval. */
        public boolean expires() {
            return properties.messageExpiryInterval() != MqttProperties.NO_EXPIRY;
        }

        /** Topic, payload and stored properties: what counts against the queue's byte bound. */
        long bytes() {
            return (long) topic.length + payload.length + storedProperties.length;
        }
    }

    private final int maxMessages;
    private final long maxBytes;
    private final OverflowPolicy policy;
    /** Null: memory only. */
    private final QueueLog log;
    /** Guarded by this. */
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    /** Guarded by this. */
    private long bytes;

    public OfflineQueue(int maxMessages, long maxBytes, OverflowPolicy policy) {
        this(maxMessages, maxBytes, policy, null);
    }

    /** @param log where the messages are kept on disk; null: memory only */
    public OfflineQueue(int maxMessages, long maxBytes, OverflowPolicy policy, QueueLog log) {
        if (maxMessages < 0) {
            throw new IllegalArgumentException("offline queue capacity must be >= 0 messages, found " + maxMessages);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("offline queue capacity must be >= 0 bytes, found " + maxBytes);
        }
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.policy = policy;
        this.log = log;
    }

    /**
     * Adds a new message at the end; with a log, writes it (and marks what it drops done) first.
     * A message that is already in the log ({@code seq != 0}) is not written again.
     *
     * @param dropped receives the entries dropped to make room (DROP_OLDEST)
     * @return false when refused (REJECT_NEWEST, or a message larger than the whole queue)
     * @throws IOException when the log cannot be written; the queue is then unchanged
     */
    public synchronized boolean offer(Entry e, List<Entry> dropped) throws IOException {
        if (e.bytes() > maxBytes || maxMessages == 0) {
            return false;
        }
        int drop = 0;
        long freed = 0;
        Iterator<Entry> oldest = entries.iterator();
        while (entries.size() - drop >= maxMessages || bytes - freed + e.bytes() > maxBytes) {
            if (policy == OverflowPolicy.REJECT_NEWEST) {
                return false;
            }
            freed += oldest.next().bytes();
            drop++;
        }
        List<Entry> out = new ArrayList<>(drop);
        oldest = entries.iterator();
        for (int i = 0; i < drop; i++) {
            out.add(oldest.next());
        }
        Entry added = e;
        if (log != null) {
            Entry written = log.append(e.seq == 0 ? e : null, out);
            if (written != null) {
                added = written;
            }
        }
        for (int i = 0; i < drop; i++) {
            entries.pollFirst();
        }
        bytes -= freed;
        dropped.addAll(out);
        entries.addLast(added);
        bytes += added.bytes();
        return true;
    }

    /**
     * Puts messages taken with {@link #take} back at the front, in their order. With a log, those
     * not yet in it (a publish that failed before it was ever queued) are written first.
     *
     * @throws IOException when the log cannot be written; the queue is then unchanged
     */
    public synchronized void requeue(List<Entry> front) throws IOException {
        List<Entry> all = log == null ? front : log.appendAll(front);
        for (int i = all.size() - 1; i >= 0; i--) {
            Entry e = all.get(i);
            entries.addFirst(e);
            bytes += e.bytes();
        }
    }

    /**
     * Marks messages taken with {@link #take} as sent (QoS 0) or acknowledged (QoS 1), or drops
     * them: with a log, they are not loaded again. Without a log, nothing to do.
     */
    public void done(List<Entry> sent) throws IOException {
        if (log != null && !sent.isEmpty()) {
            log.done(sent);
        }
    }

    /** The log keeping this queue on disk, or null. */
    public QueueLog log() {
        return log;
    }

    /** Takes up to {@code max} messages from the front. */
    public synchronized List<Entry> take(int max) {
        List<Entry> out = new ArrayList<>(Math.min(max, entries.size()));
        while (out.size() < max && !entries.isEmpty()) {
            Entry e = entries.pollFirst();
            bytes -= e.bytes();
            out.add(e);
        }
        return out;
    }

    public synchronized boolean isEmpty() {
        return entries.isEmpty();
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized long bytes() {
        return bytes;
    }

    public int maxMessages() {
        return maxMessages;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public OverflowPolicy policy() {
        return policy;
    }
}
