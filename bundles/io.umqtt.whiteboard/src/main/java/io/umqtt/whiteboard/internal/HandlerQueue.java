package io.umqtt.whiteboard.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

import io.umqtt.api.AckHold;
import io.umqtt.api.HandlerConstants;
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
 * <h2>Acknowledge after processing</h2>
 * A handler registered with {@link HandlerConstants#ACK_AFTER_PROCESSING} holds the ack of each
 * QoS 1 message it is offered ({@link MqttMessage#holdAck()}, taken in {@link #offer} on the
 * connection's I/O thread while the message is being delivered): the hold is released when
 * {@code handle} returns normally, and failed (the connection closes without the ack, the broker
 * redelivers) when it throws or when the message is discarded unprocessed ({@link #close}). A
 * held message is never dropped by an overflow: the oldest message without a hold goes instead,
 * and when only held messages are queued the queue grows beyond its capacity; the broker's
 * in-flight window for the client (e.g. mosquitto's {@code max_inflight_messages}, 20) bounds
 * how many held messages there can be. On a connection that acknowledges on receipt
 * ({@code holdAck} returns null) the property has no effect; that is logged once.
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

    /** {@link MqttMessage}s, and {@link Held} ones for a handler that acknowledges after processing; guarded by this. */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** {@link HandlerConstants#ACK_AFTER_PROCESSING}; set by the whiteboard with each registration's properties. */
    volatile boolean ackAfterProcessing;
    /** Whether "this connection acknowledges on receipt" was logged for this handler. */
    private volatile boolean warnedNoHold;
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
        AckHold hold = ackAfterProcessing && message.qos() > 0 ? hold(message) : null;
        boolean wasClosed;
        synchronized (this) {
            wasClosed = closed;
            if (!closed) {
                while (queue.size() >= limit && dropOldestUnheld()) {
                    dropped++;
                    if (droppedInOverflow++ == 0) {
                        overflowBegins = true;
                    }
                }
                queue.addLast(hold == null ? message : new Held(message, hold));
            }
            schedule = !closed && !scheduled;
            scheduled |= schedule;
        }
        if (wasClosed) {
            if (hold != null) {
                hold.fail(new IllegalStateException(name + " was unregistered before it processed " + message));
            }
            return false;
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

    /**
     * Drops the oldest queued message that holds no ack; false when every queued message holds
     * one (held messages are not dropped). Caller holds this.
     */
    private boolean dropOldestUnheld() {
        for (Iterator<Object> it = queue.iterator(); it.hasNext();) {
            if (!(it.next() instanceof Held)) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    /** The message's ack hold, or null (the connection acknowledges on receipt: logged once). */
    private AckHold hold(MqttMessage message) {
        AckHold hold;
        try {
            hold = message.holdAck();
        } catch (IllegalStateException e) {
            LOG.log(Level.WARNING, name + ": cannot hold the acknowledgement of " + message + " (" + e.getMessage()
                    + "); it is acknowledged without waiting for the handler", e);
            return null;
        }
        if (hold == null) {
            if (!warnedNoHold) {
                warnedNoHold = true;
                LOG.log(Level.WARNING, () -> name + " has " + HandlerConstants.ACK_AFTER_PROCESSING + "=true, but "
                        + "connection " + message.connection().name() + " acknowledges messages on receipt: its "
                        + "processing does not hold the acknowledgement there (configure the connection with "
                        + "ack.after.processing=true and clean.session=false); logged once per handler");
            }
            return null;
        }
        return hold == AckHold.NONE ? null : hold;
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
            Object message;
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
            if (message instanceof Held) {
                Held h = (Held) message;
                Throwable t = call(h.message);
                if (t == null) {
                    h.hold.release(); // processed: the ack may go (in order, with the other holds)
                } else {
                    h.hold.fail(t); // not processed: no ack, the connection closes, the broker redelivers
                }
            } else {
                call((MqttMessage) message);
            }
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

    /** Calls the handler; returns what it threw, or null. */
    private Throwable call(MqttMessage message) {
        try {
            handler.handle(message);
            delivered.incrementAndGet();
            return null;
        } catch (Throwable t) { // a handler must not take a pool thread or the other handlers down
            long n = failed.incrementAndGet();
            // every failure is counted; the log gets the 1st, 2nd, 4th, 8th... so a handler that
            // always throws cannot flood it
            if (Long.bitCount(n) == 1) {
                LOG.log(Level.WARNING, name + " threw on " + message + " (failure number " + n + "; further "
                        + "failures are logged at the counts 2, 4, 8, ...); the other handlers and the connection "
                        + "go on", t);
            }
            return t;
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
        Discarded d;
        Object[] discarded;
        synchronized (this) {
            if (closed) {
                return Discarded.NOTHING;
            }
            closed = true;
            int n = queue.size();
            discarded = queue.toArray();
            queue.clear();
            long inOverflow = droppedInOverflow;
            droppedInOverflow = 0;
            d = n == 0 && inOverflow == 0 ? Discarded.NOTHING : new Discarded(n, inOverflow, dropped);
        }
        for (Object o : discarded) { // unprocessed: not acknowledged (the connection closes, the broker redelivers)
            if (o instanceof Held) {
                Held h = (Held) o;
                h.hold.fail(new IllegalStateException(name + " was unregistered before it processed " + h.message));
            }
        }
        return d;
    }

    /** A queued message whose ack waits for this handler. */
    private static final class Held {
        final MqttMessage message;
        final AckHold hold;

        Held(MqttMessage message, AckHold hold) {
            this.message = message;
            this.hold = hold;
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
