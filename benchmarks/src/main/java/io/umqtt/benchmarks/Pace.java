package io.umqtt.benchmarks;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A fixed-rate schedule for a publishing loop (the paced scenarios): message {@code i} is due
 * {@code i / rate} seconds after the first one ({@link #dueNanos}), every due time counted from
 * the start, so a late send never shifts the ones after it (no drift: a publisher that fell
 * behind sends at once until it has caught up). {@link #await} parks the publishing thread until
 * the message's due time with {@link LockSupport#parkNanos}. {@link #NONE} never waits (the
 * flat-out scenarios).
 * <p>
 * Used by one publishing thread at a time (not thread-safe); it records how late the sends were.
 */
final class Pace {
    /** No schedule: every message is due at once. */
    static final Pace NONE = new Pace(0);

    private final int rate;
    private final LongSupplier clock;
    private final LongConsumer park;
    private long start;
    private boolean started;
    private long maxLateNanos;
    private long lateSends;

    private Pace(int rate) {
        this(rate, System::nanoTime, LockSupport::parkNanos);
    }

    /** A schedule on the given clock (nanoseconds) and way to park for some nanoseconds (tests). */
    Pace(int rate, LongSupplier clock, LongConsumer park) {
        this.rate = rate;
        this.clock = clock;
        this.park = park;
    }

    /** A schedule of {@code rate} messages per second ({@code 0}: {@link #NONE}). */
    static Pace of(int rate) {
        if (rate < 0) {
            throw new IllegalArgumentException("a rate must be 0 (flat out) or positive, found " + rate);
        }
        return rate == 0 ? NONE : new Pace(rate);
    }

    /**
     * When message {@code index} (0 for the first) is due: {@code start + index * 1e9 / rate}
     * nanoseconds, in integer arithmetic from the start (no accumulated rounding).
     */
    static long dueNanos(long startNanos, long index, int rate) {
        if (rate <= 0 || index < 0) {
            throw new IllegalArgumentException("rate and index must be positive, found rate " + rate + ", index " + index);
        }
        return startNanos + index * 1_000_000_000L / rate;
    }

    /** Whether this schedule waits at all. */
    boolean paced() {
        return rate > 0;
    }

    int rate() {
        return rate;
    }

    /**
     * Waits until message {@code index} is due; the first call starts the schedule. Returns at
     * once when the message is due already (the publisher is behind).
     */
    void await(long index) {
        if (rate == 0) {
            return;
        }
        long now = clock.getAsLong();
        if (!started) {
            start = now - dueNanos(0, index, rate); // the schedule starts with this message
            started = true;
        }
        long due = dueNanos(start, index, rate);
        while (now < due) {
            park.accept(due - now);
            now = clock.getAsLong();
        }
        long late = now - due;
        if (late > maxLateNanos) {
            maxLateNanos = late;
        }
        if (late > 1_000_000_000L / rate) {
            lateSends++; // more than one period behind its time
        }
    }

    /** The largest delay of a send after its due time so far, nanoseconds. */
    long maxLateNanos() {
        return maxLateNanos;
    }

    /** How many sends came more than one period after their due time. */
    long lateSends() {
        return lateSends;
    }
}
