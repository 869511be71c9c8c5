package io.umqtt.simple.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A bounded poll for a condition that has no event to wait on: a thread's state (the JDK signals no
 * "now blocked"), a counter another thread raises without a latch, a clock passing a point. Tests
 * wait on latches or futures where the code gives one; this is for the rest, and it always ends: it
 * returns as soon as the condition holds, or throws an {@link AssertionError} naming what did not
 * happen once the timeout has passed. Stateless; callable from any thread.
 */
public final class Waits {
    /** How often the condition is evaluated. */
    public static final long POLL_MILLIS = 5;

    private Waits() {
    }

    /**
     * Waits until {@code condition} holds, for at most {@code timeout}.
     *
     * @param what what the condition means, for the failure message ("the reader thread blocks")
     * @throws AssertionError when the condition still did not hold after the timeout
     */
    public static void until(BooleanSupplier condition, long timeout, TimeUnit unit, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + unit.toMillis(timeout) + " ms: " + what);
            }
            Thread.sleep(POLL_MILLIS); // the poll interval, not a wait for a result
        }
    }

    /**
     * A deliberate delay that is the scenario itself, not a wait for a result: a callback slower than
     * the read timeout, a peer that trickles bytes, a user polling {@code checkMsg()} on an interval.
     * Nothing is awaited, so there is no condition to wait on instead.
     */
    public static void pace(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }
}
