package io.umqtt.simple;

import java.util.Arrays;

/**
 * The outbound topic aliases of one MQTT 5 connection (MQTT 5 section 3.3.2.3.4): the first
 * {@code max} distinct topics published on the connection get the aliases 1..max; the first
 * PUBLISH of such a topic carries the topic name and the alias (mapping it at the broker), every
 * later one the alias with an empty topic name. Topics beyond them go out in full. Looking a topic
 * up allocates nothing (an open-addressing table keyed by the topic's bytes); mapping one copies it.
 * <p>
 * Threading: guarded by the write lock of {@link Outbound}: the decision and the write of the
 * PUBLISH happen under it, so the mapping PUBLISH always precedes those that use it.
 */
final class TopicAliases {
    private int max;
    private int used;
    /** By alias (index 0 unused): the topic, and its hash. */
    private byte[][] topics = new byte[1][];
    /** Open-addressing slots holding aliases (0 = empty); its length a power of two above 2 * max. */
    private int[] slots = new int[0];
    private int[] hashes = new int[1];

    /** A new connection: no alias mapped, at most {@code max} (0 turns aliases off). */
    void reset(int max) {
        this.max = max;
        used = 0;
        if (max == 0) {
            return;
        }
        if (topics.length < max + 1) {
            topics = new byte[max + 1][];
            hashes = new int[max + 1];
            slots = new int[Integer.highestOneBit(max * 2 + 1) << 1];
        } else {
            Arrays.fill(topics, null);
            Arrays.fill(slots, 0);
        }
    }

    /**
     * The alias for {@code topic}: positive when it is mapped already (send an empty topic name),
     * negative (minus the alias) when this call mapped it (send the topic and the alias), 0 when
     * it has none (send the topic alone).
     */
    int lookup(byte[] topic) {
        if (max == 0) {
            return 0;
        }
        int h = Arrays.hashCode(topic);
        int mask = slots.length - 1;
        int i = mix(h) & mask;
        while (true) {
            int alias = slots[i];
            if (alias == 0) {
                break;
            }
            if (hashes[alias] == h && Arrays.equals(topics[alias], topic)) {
                return alias;
            }
            i = (i + 1) & mask;
        }
        if (used == max) {
            return 0;
        }
        int alias = ++used;
        topics[alias] = topic.clone();
        hashes[alias] = h;
        slots[i] = alias;
        return -alias;
    }

    /** How many aliases are mapped (tests). */
    int used() {
        return used;
    }

    private static int mix(int h) {
        return h ^ (h >>> 16) * 0x45d9f3b;
    }
}
