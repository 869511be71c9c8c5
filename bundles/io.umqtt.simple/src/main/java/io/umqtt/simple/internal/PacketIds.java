package io.umqtt.simple.internal;

import java.util.function.IntPredicate;

/**
 * Packet identifier allocation: 1..65535, wrapping after 65535, never 0, skipping identifiers
 * still awaiting an ack. Not thread-safe: the owner guards it.
 */
public final class PacketIds {
    public static final int MAX = 65_535;

    private int last;

    /** The next id for which {@code inUse} is false. */
    public int next(IntPredicate inUse) {
        for (int tries = 0; tries < MAX; tries++) {
            last = last == MAX ? 1 : last + 1;
            if (!inUse.test(last)) {
                return last;
            }
        }
        throw new IllegalStateException("all " + MAX + " packet identifiers are awaiting acknowledgements");
    }

    /** Makes {@code id} the last one handed out, so that the next is {@code id + 1} (tests). */
    public void setLast(int id) {
        if (id < 0 || id > MAX) {
            throw new IllegalArgumentException("packet id " + id + " outside 0.." + MAX);
        }
        last = id;
    }
}
