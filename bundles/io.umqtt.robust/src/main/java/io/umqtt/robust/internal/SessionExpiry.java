package io.umqtt.robust.internal;

import java.util.concurrent.TimeUnit;

/**
 * On MQTT 5, the Clean Start flag of each connect of a robust client, from the session expiry
 * interval (MQTT 5 sections 3.1.2.4, 3.1.2.11.2), which replaces MQTT 3.1.1's clean session:
 * <ul>
 * <li>the first connect (the first after the client was built, or after the application
 * disconnected or closed it) uses the Clean Start the application configured;</li>
 * <li>every later connect (a reconnect after a loss) uses Clean Start 0 while the session should
 * still exist on the broker, that is while less than the session expiry interval has passed since
 * the connection ended (0xFFFFFFFF: it never expires), and Clean Start 1 once it expired (a
 * session expiry interval of 0 ends the session when the connection ends);</li>
 * <li>the interval is the one the broker announced in its CONNACK when it did (it may lower ours,
 * 3.2.2.3.2), else the one we sent.</li>
 * </ul>
 * Whatever Clean Start says, what is resent and resubscribed follows the broker's Session Present
 * flag, as on MQTT 3.1.1: a session the broker lost (restart without persistence, or it expired
 * there earlier than we thought) means new flows and subscriptions made again.
 * <p>
 * Thread-safe: every method synchronizes on this (a leaf monitor, held for no call out).
 */
final class SessionExpiry {
    /** The session expiry interval that means "never expires". */
    static final long NEVER = 0xFFFF_FFFFL;

    /** Whether a connection was accepted since the last first connect. */
    private boolean resumable;
    /** The session expiry interval in force on the last accepted connection, seconds. */
    private long intervalSeconds;
    /** When the last accepted connection ended (nanoTime); valid when {@link #ended}. */
    private long endedAtNanos;
    private boolean ended;

    /** The application connects (or closed the client): the next connect is a first connect again. */
    synchronized void firstConnect() {
        resumable = false;
        ended = false;
    }

    /** The broker accepted a connection whose session expiry interval is {@code seconds}. */
    synchronized void accepted(long seconds) {
        resumable = true;
        intervalSeconds = seconds;
        ended = false;
    }

    /** The accepted connection ended at {@code nowNanos} (once; a later call keeps the first time). */
    synchronized void connectionEnded(long nowNanos) {
        if (resumable && !ended) {
            ended = true;
            endedAtNanos = nowNanos;
        }
    }

    /**
     * The Clean Start flag of a connect at {@code nowNanos}.
     *
     * @param configured the Clean Start the application configured, for a first connect
     */
    synchronized boolean cleanStart(boolean configured, long nowNanos) {
        if (!resumable) {
            return configured;
        }
        return !sessionMayExist(nowNanos);
    }

    /** Whether the session of the last accepted connection should still exist on the broker at {@code nowNanos}. */
    synchronized boolean sessionMayExist(long nowNanos) {
        if (!resumable || intervalSeconds == 0) {
            return false;
        }
        if (intervalSeconds == NEVER || !ended) {
            return true;
        }
        return nowNanos - endedAtNanos < TimeUnit.SECONDS.toNanos(intervalSeconds);
    }

    /** The interval in force on the last accepted connection (0 before any). */
    synchronized long intervalSeconds() {
        return intervalSeconds;
    }
}
