package io.umqtt.whiteboard.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttMessage;

/**
 * One handler's bounded message queue, drained in order by at most one thread of the shared
 * delivery pool at a time.
 *
 * <h2>Overflow policy: drop the oldest</h2>
 * When a message arrives and the queue already holds {@code capacity} messages, the oldest
 * queued message is dropped to make room: a handler that falls behind sees the newest state,
 * which is what telemetry consumers want, and the connection's I/O thread never waits for a
 * handler (waiting would stall every handler and the keepalive). Every drop is counted
 * ({@link #dropped()}); the first drop of an overflow logs a warning and the end of the
 * overflow (the queue ran empty again) logs how many were dropped in it.
 *
 * <h2>Threading</h2>
 * {@link #offer} is called by connection I/O threads, {@link #run} by the pool, {@link #close}
 * by the whiteboard. The queue, {@link #scheduled}, {@link #closed} and the drop counters are
 * guarded by this object's monitor, which is never held while calling the handler, the
 * executor or the logger. The drain task handles at most {@value #BATCH} messages and then
 * queues itself again behind the other handlers' tasks, so a busy handler cannot keep a pool
 * thread from the others.
 */
final class HandlerQueue implements Runnable {
    /** Messages handled per turn on a pool thread. */
    static final int BATCH = 64;

    private static final System.Logger LOG = System.getLogger(HandlerQueue.class.getName());

    private final long serviceId;
    private final String name;
    private final MessageHandler handler;
    private final Executor executor;
    private final IntSupplier capacity;

    /** Guarded by this. */
    private final ArrayDeque<MqttMessage> queue = new ArrayDeque<>();
    /** A drain task is queued or running; guarded by this. */
    private boolean scheduled;
    /** Unregistered: nothing is queued or called any more; guarded by this. */
    private boolean closed;
    /** All drops; guarded by this. */
    private long dropped;
    /** Drops since the queue was last empty; guarded by this. */
    private long droppedInOverflow;

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    /**
     * @param name names the handler in log messages
     * @param capacity read at each offer, so a configuration change applies at once
     */
    HandlerQueue(long serviceId, String name, MessageHandler handler, Executor executor, IntSupplier capacity) {
        this.serviceId = serviceId;
        this.name = name;
        this.handler = handler;
        this.executor = executor;
        this.capacity = capacity;
    }

    long serviceId() {
        return serviceId;
    }

    /**
     * Queues a message for the handler, dropping the oldest when full, and makes sure a drain
     * task runs. Never blocks.
     *
     * @return false when the handler is closed (the message is not queued)
     */
    boolean offer(MqttMessage message) {
        boolean schedule;
        boolean overflowBegins = false;
        int limit = capacity.getAsInt();
        synchronized (this) {
            if (closed) {
                return false;
            }
            while (queue.size() >= limit) {
                queue.pollFirst();
                dropped++;
                if (droppedInOverflow++ == 0) {
                    overflowBegins = true;
                }
            }
            queue.addLast(message);
            schedule = !scheduled;
            scheduled = true;
        }
        if (overflowBegins) {
            LOG.log(Level.WARNING, () -> name + " is too slow: its queue of " + limit + " messages is full, so the "
                    + "oldest queued messages are dropped (policy: drop oldest); the end of this overflow will be "
                    + "logged with the number dropped");
        }
        if (schedule) {
            submit();
        }
        return true;
    }

    private void submit() {
        try {
            executor.execute(this);
        } catch (RejectedExecutionException e) {
            // only once the whiteboard is shutting down its pool
            Discarded discarded = close();
            LOG.log(Level.WARNING, () -> name + ": the delivery pool is shut down; " + discarded.queued
                    + " queued messages were discarded" + discarded.overflowNote() + ": " + e);
        }
    }

    /** Delivers up to {@value #BATCH} queued messages, then yields the pool thread. */
    @Override
    public void run() {
        for (int i = 0; i < BATCH; i++) {
            MqttMessage message;
            long overflowDrops = 0;
            synchronized (this) {
                message = closed ? null : queue.pollFirst();
                if (message == null) {
                    scheduled = false;
                    if (!closed) {
                        overflowDrops = droppedInOverflow;
                        droppedInOverflow = 0;
                    }
                }
            }
            if (message == null) {
                if (overflowDrops > 0) {
                    long n = overflowDrops;
                    LOG.log(Level.INFO, () -> name + " caught up: its queue ran empty after an overflow that dropped "
                            + n + " messages");
                }
                return;
            }
            call(message);
        }
        boolean more;
        synchronized (this) {
            more = !closed && !queue.isEmpty();
            scheduled = more;
        }
        if (more) {
            submit();
        }
    }

    private void call(MqttMessage message) {
        try {
            handler.handle(message);
            delivered.incrementAndGet();
        } catch (Throwable t) { // a handler must not take a pool thread or the other handlers down
            long n = failed.incrementAndGet();
            // every failure is counted; the log gets the 1st, 2nd, 4th, 8th... so a handler that
            // always throws cannot flood it
            if (Long.bitCount(n) == 1) {
                LOG.log(Level.WARNING, name + " threw on " + message + " (failure number " + n + "; further "
                        + "failures are logged at the counts 2, 4, 8, ...); the other handlers and the connection "
                        + "go on", t);
            }
        } finally {
            // an interrupt left behind by the handler must not hit its next call; shutdown
            // does not rely on it (it closes the queue first)
            Thread.interrupted();
        }
    }

    /**
     * Stops delivery: nothing is queued or started afterwards (a call in progress finishes).
     *
     * @return what was discarded, and the drops of an overflow still going on (its end, which
     *         would have logged them, never comes)
     */
    Discarded close() {
        synchronized (this) {
            if (closed) {
                return Discarded.NOTHING;
            }
            closed = true;
            int n = queue.size();
            queue.clear();
            long inOverflow = droppedInOverflow;
            droppedInOverflow = 0;
            return n == 0 && inOverflow == 0 ? Discarded.NOTHING : new Discarded(n, inOverflow, dropped);
        }
    }

    /** What {@link #close()} threw away; immutable. */
    static final class Discarded {
        static final Discarded NOTHING = new Discarded(0, 0, 0);

        /** Messages still queued. */
        final int queued;
        /** Messages dropped in the overflow the queue was in, not logged yet; 0 when none. */
        final long overflowDropped;
        /** All drops of the handler. */
        final long totalDropped;

        Discarded(int queued, long overflowDropped, long totalDropped) {
            this.queued = queued;
            this.overflowDropped = overflowDropped;
            this.totalDropped = totalDropped;
        }

        boolean isEmpty() {
            return queued == 0 && overflowDropped == 0;
        }

        /** "; N messages were dropped in the overflow it was in (M in all)", or "" when it was in none. */
        String overflowNote() {
            return overflowDropped == 0 ? "" : "; " + overflowDropped + " messages were dropped in the overflow it was "
                    + "in (" + totalDropped + " in all; policy: drop oldest)";
        }
    }

    long delivered() {
        return delivered.get();
    }

    long failed() {
        return failed.get();
    }

    synchronized long dropped() {
        return dropped;
    }

    synchronized int queued() {
        return queue.size();
    }

    @Override
    public String toString() {
        return name;
    }
}
