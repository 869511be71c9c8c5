package io.umqtt.whiteboard.internal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

import io.umqtt.api.TopicFilter;

/**
 * An index of MQTT topic filters, each carrying a value, that finds the values of every filter
 * matching a received topic in time proportional to the topic's levels (and the matches), not
 * to the number of filters. Public so that benchmarks can call it from plain Java; it is not
 * exported to other bundles.
 * <p>
 * A trie keyed on level bytes: each node has a table of exact next levels, a {@code +} child,
 * the values of filters that end at the node and the values of filters that end at the node
 * with {@code /#}. Matching walks the topic's levels once with the set of nodes still alive
 * (more than one only where {@code +} branches). It follows {@link TopicFilter}'s rules:
 * {@code #} matches the parent level too ({@code a/#} matches {@code a}); wildcards in the
 * first level skip topics starting with {@code $}; empty levels are levels; a shared
 * subscription {@code $share/g/f} is indexed as {@code f}.
 *
 * <h2>Threading</h2>
 * {@link #match} takes no lock and allocates little: it reads volatile, copy-on-write fields.
 * {@link #add} and {@link #remove} are serialised by the trie's monitor; a match running
 * meanwhile sees each node either before or after a change.
 *
 * @param <V> the values; matched by identity
 */
public final class TopicTrie<V> {
    private static final Object[] NONE = new Object[0];
    private static final byte SEPARATOR = '/';

    private final Node root = new Node(null, null);
    /** Number of (filter, value) entries; guarded by this. */
    private int size;

    /** Adds {@code value} under {@code filter} (its {@link TopicFilter#filter()} part). */
    public synchronized void add(TopicFilter filter, V value) {
        if (value == null) {
            throw new IllegalArgumentException("value must not be null");
        }
        String[] levels = filter.filter().split("/", -1);
        Node node = root;
        int last = levels.length - 1;
        boolean multi = levels[last].equals("#");
        int end = multi ? last : levels.length;
        for (int i = 0; i < end; i++) {
            node = node.child(levels[i]);
        }
        if (multi) {
            node.multi = with(node.multi, value);
        } else {
            node.exact = with(node.exact, value);
        }
        size++;
    }

    /** Removes {@code value} from under {@code filter}; returns whether it was there. */
    public synchronized boolean remove(TopicFilter filter, V value) {
        String[] levels = filter.filter().split("/", -1);
        Node node = root;
        int last = levels.length - 1;
        boolean multi = levels[last].equals("#");
        int end = multi ? last : levels.length;
        for (int i = 0; i < end && node != null; i++) {
            node = node.find(levels[i]);
        }
        if (node == null) {
            return false;
        }
        Object[] before = multi ? node.multi : node.exact;
        Object[] after = without(before, value);
        if (after == before) {
            return false;
        }
        if (multi) {
            node.multi = after;
        } else {
            node.exact = after;
        }
        size--;
        node.prune();
        return true;
    }

    /** How many (filter, value) entries the trie holds. */
    public synchronized int size() {
        return size;
    }

    /**
     * Hands {@code sink} the value of every filter matching {@code topic} (a valid topic name in
     * UTF-8), once per (filter, value) entry, in no particular order.
     *
     * @return how many values it handed over
     */
    public int match(byte[] topic, Consumer<? super V> sink) {
        int n = topic.length;
        boolean dollar = n > 0 && topic[0] == '$';
        // the walk keeps the set of live nodes; while it is a single node (no '+' branch taken)
        // it needs no array, which is the common case
        Node single = root;
        Node[] current = null;
        int currentCount = 0;
        Node[] next = null;
        int found = 0;
        int pos = 0;
        boolean first = true;
        while (true) {
            int end = pos;
            while (end < n && topic[end] != SEPARATOR) {
                end++;
            }
            int hash = LevelTable.hash(topic, pos, end);
            boolean wildcards = !(first && dollar);
            if (single != null) {
                Node child = single.get(topic, pos, end, hash);
                Node plus = null;
                if (wildcards) {
                    // a '#' after this node matches this level and everything after it
                    found += emit(single.multi, sink);
                    plus = single.plus;
                }
                if (plus == null) {
                    single = child;
                } else if (child == null) {
                    single = plus;
                } else {
                    single = null;
                    current = new Node[] {child, plus};
                    currentCount = 2;
                    next = new Node[4];
                }
                if (single == null && current == null) {
                    return found;
                }
            } else {
                int nextCount = 0;
                for (int i = 0; i < currentCount; i++) {
                    Node node = current[i];
                    if (wildcards) {
                        found += emit(node.multi, sink);
                        Node plus = node.plus;
                        if (plus != null) {
                            if (nextCount == next.length) {
                                next = Arrays.copyOf(next, nextCount * 2);
                            }
                            next[nextCount++] = plus;
                        }
                    }
                    Node child = node.get(topic, pos, end, hash);
                    if (child != null) {
                        if (nextCount == next.length) {
                            next = Arrays.copyOf(next, nextCount * 2);
                        }
                        next[nextCount++] = child;
                    }
                }
                if (nextCount == 0) {
                    return found;
                }
                Node[] swap = current;
                current = next;
                currentCount = nextCount;
                next = swap.length >= current.length ? swap : new Node[current.length];
            }
            if (end == n) {
                break;
            }
            pos = end + 1;
            first = false;
        }
        if (single != null) {
            // 'a/#' matches 'a': the filters ending here with '/#' match too
            return found + emit(single.exact, sink) + emit(single.multi, sink);
        }
        for (int i = 0; i < currentCount; i++) {
            found += emit(current[i].exact, sink) + emit(current[i].multi, sink);
        }
        return found;
    }

    @SuppressWarnings("unchecked")
    private static <V> int emit(Object[] values, Consumer<? super V> sink) {
        for (Object v : values) {
            sink.accept((V) v);
        }
        return values.length;
    }

    private static Object[] with(Object[] values, Object value) {
        Object[] copy = Arrays.copyOf(values, values.length + 1);
        copy[values.length] = value;
        return copy;
    }

    /** {@code values} without {@code value} (by identity), or {@code values} itself when absent. */
    private static Object[] without(Object[] values, Object value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                if (values.length == 1) {
                    return NONE;
                }
                Object[] copy = new Object[values.length - 1];
                System.arraycopy(values, 0, copy, 0, i);
                System.arraycopy(values, i + 1, copy, i, values.length - i - 1);
                return copy;
            }
        }
        return values;
    }

    /** One level of the trie. Fields written under the trie's monitor, read without it. */
    private static final class Node {
        final Node parent;
        /** The level leading here from the parent; {@code null} for the root and for '+' nodes. */
        final byte[] level;
        /** The exact next levels, or null when there are none. */
        volatile LevelTable children;
        volatile Node plus;
        /** Values of filters ending here. */
        volatile Object[] exact = NONE;
        /** Values of filters ending here followed by '/#' (or '#' alone at the root). */
        volatile Object[] multi = NONE;

        Node(Node parent, byte[] level) {
            this.parent = parent;
            this.level = level;
        }

        Node get(byte[] topic, int from, int to, int hash) {
            LevelTable t = children;
            return t == null ? null : t.get(topic, from, to, hash);
        }

        /** The child for {@code level}, created when missing. */
        Node child(String level) {
            if (level.equals("+")) {
                Node p = plus;
                if (p == null) {
                    p = new Node(this, null);
                    plus = p;
                }
                return p;
            }
            byte[] bytes = level.getBytes(StandardCharsets.UTF_8);
            int hash = LevelTable.hash(bytes, 0, bytes.length);
            Node c = get(bytes, 0, bytes.length, hash);
            if (c == null) {
                c = new Node(this, bytes);
                LevelTable t = children;
                if (t == null || !t.put(bytes, hash, c)) {
                    t = t == null ? new LevelTable(LevelTable.MIN_CAPACITY) : t.grown();
                    t.put(bytes, hash, c);
                    children = t; // publishes the filled table
                }
            }
            return c;
        }

        /** The child for {@code level}, or null. */
        Node find(String level) {
            if (level.equals("+")) {
                return plus;
            }
            byte[] bytes = level.getBytes(StandardCharsets.UTF_8);
            return get(bytes, 0, bytes.length, LevelTable.hash(bytes, 0, bytes.length));
        }

        boolean isEmpty() {
            LevelTable t = children;
            return exact.length == 0 && multi.length == 0 && plus == null && (t == null || t.live == 0);
        }

        /** Unlinks this node and its emptied ancestors from the trie. */
        void prune() {
            Node node = this;
            while (node.parent != null && node.isEmpty()) {
                Node p = node.parent;
                if (node.level == null) {
                    p.plus = null;
                } else {
                    LevelTable t = p.children;
                    t.remove(node.level, LevelTable.hash(node.level, 0, node.level.length));
                    if (t.live == 0) {
                        p.children = null;
                    }
                }
                node = p;
            }
        }
    }

    /**
     * An open-addressing hash table from level bytes to nodes, looked up by a range of the
     * topic without copying it or allocating. Lock-free reads while one writer (holding the
     * trie's monitor) changes it: a slot's hash and node are written before its key (a volatile
     * write), and a reader that sees the key sees them. Removal leaves the key as a tombstone
     * with a null node (read as absent), so a probe sequence never breaks under a reader; the
     * writer replaces the table by a compacted copy once keys fill half of it. Adding and
     * removing cost O(1) amortised.
     */
    private static final class LevelTable {
        static final int MIN_CAPACITY = 4;

        private final AtomicReferenceArray<byte[]> keys;
        private final AtomicReferenceArray<Node> nodes;
        private final int[] hashes;
        private final int mask;
        /** Slots holding a key, live or tombstone; writer only. */
        private int used;
        /** Slots holding a node; writer only (read by {@link Node#isEmpty()} under the monitor). */
        int live;

        LevelTable(int capacity) {
            keys = new AtomicReferenceArray<>(capacity);
            nodes = new AtomicReferenceArray<>(capacity);
            hashes = new int[capacity];
            mask = capacity - 1;
        }

        static int hash(byte[] bytes, int from, int to) {
            int h = 1;
            for (int i = from; i < to; i++) {
                h = 31 * h + bytes[i];
            }
            // spread (MurmurHash3's finaliser): levels like 1, 2, 3... would otherwise fill
            // neighbouring slots and make linear probing scan long runs
            h ^= h >>> 16;
            h *= 0x85ebca6b;
            h ^= h >>> 13;
            h *= 0xc2b2ae35;
            return h ^ (h >>> 16);
        }

        Node get(byte[] bytes, int from, int to, int hash) {
            int len = to - from;
            for (int i = hash & mask;; i = (i + 1) & mask) {
                byte[] key = keys.get(i);
                if (key == null) {
                    return null;
                }
                if (hashes[i] == hash && key.length == len && Arrays.equals(key, 0, len, bytes, from, to)) {
                    return nodes.get(i); // null for a tombstone
                }
            }
        }

        /**
         * Adds {@code key}, which has no live node here.
         *
         * @return false when the table is too full: put it into {@link #grown()} instead
         */
        boolean put(byte[] key, int hash, Node node) {
            int i = hash & mask;
            for (byte[] k; (k = keys.get(i)) != null; i = (i + 1) & mask) {
                if (hashes[i] == hash && Arrays.equals(k, key)) {
                    nodes.set(i, node); // revive the tombstone
                    live++;
                    return true;
                }
            }
            if ((used + 1) * 2 > hashes.length) {
                return false;
            }
            hashes[i] = hash;
            nodes.set(i, node);
            keys.set(i, key); // last: publishes the slot
            used++;
            live++;
            return true;
        }

        void remove(byte[] key, int hash) {
            for (int i = hash & mask;; i = (i + 1) & mask) {
                byte[] k = keys.get(i);
                if (k == null) {
                    return;
                }
                if (hashes[i] == hash && Arrays.equals(k, key)) {
                    if (nodes.get(i) != null) {
                        nodes.set(i, null);
                        live--;
                    }
                    return;
                }
            }
        }

        /** A copy without tombstones, with room for as many live keys again. */
        LevelTable grown() {
            int capacity = MIN_CAPACITY;
            while (capacity < (live + 1) * 4) {
                capacity *= 2;
            }
            LevelTable t = new LevelTable(capacity);
            for (int i = 0; i <= mask; i++) {
                Node n = nodes.get(i);
                if (n != null) {
                    t.put(keys.get(i), hashes[i], n);
                }
            }
            return t;
        }
    }
}
