package io.umqtt.whiteboard.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What one {@link FilterEntry.Attachment} had of retained messages (RETAIN=1), by topic: for
 * a filter subscribed with Retain As Published also what it had last of each topic (a 64-bit
 * fingerprint and the length of the payload, no copy) and the number of the filter's last
 * SUBSCRIBE sent at that time, so that a retained message a later SUBSCRIBE sends again can be
 * told from a new value (see {@link FilterEntry}, "Retained messages").
 * <p>
 * Confined to the connection's I/O thread (the connection calls its listener one message at a
 * time).
 */
final class RetainedTopics {
    /** What was had last of one topic. */
    private static final class Had {
        /** The payload's fingerprint and length. */
        long fingerprint;
        int length;
        /**
         * Had as a retained message of a filter without Retain As Published: any other retained
         * message of the topic is a copy (only a SUBSCRIBE sends one).
         */
        boolean anyPayload;
        /** The filter's last SUBSCRIBE sent when it was had. */
        int sent;
    }

    /** Null while empty. */
    private Map<Key, Had> topics;

    /**
     * Whether a retained message of the topic with this payload is a copy of what was had: the
     * same payload, or any payload when the topic was had as a retained message and
     * {@code mayBeLive} is false (no Retain As Published: every retained message is a SUBSCRIBE's).
     */
    boolean had(Key topic, long fingerprint, int length, boolean mayBeLive) {
        Had h = topics == null ? null : topics.get(topic);
        return h != null && ((h.anyPayload && !mayBeLive) || (h.length == length && h.fingerprint == fingerprint));
    }

    /**
     * Remembers what was had of the topic: the payload's fingerprint and length, {@code anyPayload}
     * for a retained message of a filter without Retain As Published; {@code sent} is the number of
     * the filter's last SUBSCRIBE sent.
     */
    void add(Key topic, long fingerprint, int length, boolean anyPayload, int sent) {
        if (topics == null) {
            topics = new HashMap<>();
        }
        Had h = topics.get(topic);
        if (h == null) {
            h = new Had();
            topics.put(topic.owned(), h);
        }
        h.fingerprint = fingerprint;
        h.length = length;
        h.anyPayload |= anyPayload; // once had as a SUBSCRIBE's retained message, any copy is one
        h.sent = sent;
    }

    /**
     * A served attachment of a Retain As Published filter and a message with RETAIN=1: whether it
     * is a SUBSCRIBE's copy of what was had last (same payload, and a SUBSCRIBE of the filter was
     * sent since: {@code sent} is the last one's number), which it does not take; that uses the
     * copy up, the next message with the same payload is taken. Otherwise the message is new and
     * is remembered as had last.
     */
    boolean isResent(Key topic, long fingerprint, int length, int sent) {
        Had h = topics == null ? null : topics.get(topic);
        if (h == null) {
            add(topic, fingerprint, length, false, sent);
            return false;
        }
        boolean resent = h.length == length && h.fingerprint == fingerprint && h.sent < sent;
        h.fingerprint = fingerprint; // the same values when resent
        h.length = length;
        h.sent = sent;
        return resent;
    }

    void forget() {
        topics = null;
    }

    /** A 64-bit fingerprint of a payload (FNV-1a); allocates nothing. */
    static long fingerprint(byte[] payload) {
        long h = 0xcbf29ce484222325L;
        for (byte b : payload) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /**
     * A topic as a map key. The look-up key ({@link #probe()}, one per connection, I/O thread only)
     * wraps the message's array; the map keeps only {@linkplain #owned() copies} (the message's
     * array belongs to its handler).
     */
    static final class Key {
        private byte[] bytes;
        private int hash;
        private final boolean owned;

        private Key(byte[] topic, int hash, boolean owned) {
            this.bytes = topic;
            this.hash = hash;
            this.owned = owned;
        }

        /** A look-up key, to be {@linkplain #set} to each message's topic. */
        static Key probe() {
            return new Key(new byte[0], 1, false);
        }

        /** Points this look-up key at {@code topic} (not copied); returns it. */
        Key set(byte[] topic) {
            if (owned) {
                throw new IllegalStateException("a kept key does not change");
            }
            bytes = topic;
            hash = Arrays.hashCode(topic);
            return this;
        }

        /** This key with a private copy of the bytes, to be kept. */
        Key owned() {
            return owned ? this : new Key(bytes.clone(), hash, true);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key && ((Key) o).hash == hash && Arrays.equals(((Key) o).bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
