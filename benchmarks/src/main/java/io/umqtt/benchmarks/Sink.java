package io.umqtt.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts what a subscriber really received. Every library's message callback calls
 * {@link #received(int)} with the payload length; it takes the time of each receipt and wakes
 * the waiting thread when the expected count is reached.
 */
final class Sink {
    private final AtomicLong count = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private volatile long target = Long.MAX_VALUE;
    private volatile long lastNanos;
    private volatile Thread waiter;

    /** Called by the library's receiving thread for each message. */
    void received(int payloadLength) {
        lastNanos = System.nanoTime();
        bytes.addAndGet(payloadLength);
        if (count.incrementAndGet() >= target) {
            Thread w = waiter;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
    }

    /** Starts counting towards {@code expected} more messages; returns the count before. */
    long expect(long expected) {
        long now = count.get();
        target = now + expected;
        return now;
    }

    long count() {
        return count.get();
    }

    long bytes() {
        return bytes.get();
    }

    /** When the last message arrived ({@link System#nanoTime()}). */
    long lastNanos() {
        return lastNanos;
    }

    /**
     * Waits until the target set by {@link #expect} is reached, or until no message arrived for
     * {@code stallMillis}. Returns whether the target was reached.
     */
    boolean await(long stallMillis) {
        waiter = Thread.currentThread();
        try {
            long seen = count.get();
            long lastProgress = System.nanoTime();
            while (count.get() < target) {
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(50));
                long c = count.get();
                long now = System.nanoTime();
                if (c != seen) {
                    seen = c;
                    lastProgress = now;
                } else if (now - lastProgress > TimeUnit.MILLISECONDS.toNanos(stallMillis)) {
                    return count.get() >= target;
                }
            }
            return true;
        } finally {
            waiter = null;
        }
    }

    /**
     * Waits for one more message than {@code before} (the count {@code expect(1)} returned), for
     * at most the timeout (latency runs).
     */
    boolean awaitOne(long before, long timeoutNanos) {
        waiter = Thread.currentThread();
        try {
            long deadline = System.nanoTime() + timeoutNanos;
            while (count.get() <= before) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
            return true;
        } finally {
            waiter = null;
        }
    }
}
