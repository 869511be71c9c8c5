package io.umqtt.robust.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import io.umqtt.robust.OverflowPolicy;

/**
 * The bounded queue of publishes waiting for a connection, in order. New messages respect the
 * bounds (messages and bytes) by the overflow policy; messages that were already in flight when
 * the connection died go back to the front regardless, since they were accepted earlier.
 * Thread-safe.
 */
public final class OfflineQueue {
    /** A queued publish. {@code packetId} is non-zero when it was sent once at QoS 1 and not acked. */
    public static final class Entry {
        public final byte[] topic;
        public final byte[] payload;
        public final int qos;
        public final boolean retain;
        public final int packetId;

        public Entry(byte[] topic, byte[] payload, int qos, boolean retain, int packetId) {
            this.topic = topic;
            this.payload = payload;
            this.qos = qos;
            this.retain = retain;
            this.packetId = packetId;
        }

        public Entry withPacketId(int id) {
            return new Entry(topic, payload, qos, retain, id);
        }

        long bytes() {
            return (long) topic.length + payload.length;
        }
    }

    private final int maxMessages;
    private final long maxBytes;
    private final OverflowPolicy policy;
    /** Guarded by this. */
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    /** Guarded by this. */
    private long bytes;

    public OfflineQueue(int maxMessages, long maxBytes, OverflowPolicy policy) {
        if (maxMessages < 0) {
            throw new IllegalArgumentException("offline queue capacity must be >= 0 messages, found " + maxMessages);
        }
        if (maxBytes < 0) {
            throw new IllegalArgumentException("offline queue capacity must be >= 0 bytes, found " + maxBytes);
        }
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.policy = policy;
    }

    /**
     * Adds a new message at the end.
     *
     * @param dropped receives the entries dropped to make room (DROP_OLDEST)
     * @return false when refused (REJECT_NEWEST, or a message larger than the whole queue)
     */
    public synchronized boolean offer(Entry e, List<Entry> dropped) {
        if (e.bytes() > maxBytes || maxMessages == 0) {
            return false;
        }
        while (entries.size() >= maxMessages || bytes + e.bytes() > maxBytes) {
            if (policy == OverflowPolicy.REJECT_NEWEST) {
                return false;
            }
            Entry oldest = entries.pollFirst();
            bytes -= oldest.bytes();
            dropped.add(oldest);
        }
        entries.addLast(e);
        bytes += e.bytes();
        return true;
    }

    /** Puts messages taken with {@link #take} back at the front, in their order. */
    public synchronized void requeue(List<Entry> front) {
        for (int i = front.size() - 1; i >= 0; i--) {
            Entry e = front.get(i);
            entries.addFirst(e);
            bytes += e.bytes();
        }
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
