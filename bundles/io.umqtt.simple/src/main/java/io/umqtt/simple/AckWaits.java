package io.umqtt.simple;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How a thread waits for an entry of the {@link AckTable} (an ack, or a wait without a packet id,
 * {@link UnnumberedWaits}): it reads itself while no other thread holds the reader role
 * ({@link Inbound#readUntilDone}), else parks until the reader completes its entry (unparking
 * exactly the threads waiting for it) or hands it the role. Gives the entry up at the deadline or,
 * when asked to, at an interrupt; turns a done entry into its result or its failure.
 * <p>
 * Threading: any thread. No state of its own: it takes the client's lock (the ack table's, shared
 * with {@link ReaderRole}) only to look at the entry and the reader role, and parks, reads and
 * flushes held writes with no lock held.
 */
final class AckWaits {
    private final MqttClient client;
    private final AckTable acks;
    private final Object lock;

    AckWaits(MqttClient client, AckTable acks, Object lock) {
        this.client = client;
        this.acks = acks;
        this.lock = lock;
    }

    /** The deadline of an ack wait starting now: the ack timeout from now. */
    long ackDeadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(client.settings.ackTimeoutMillis);
    }

    /** Waits for the ack of {@code p} (at most the ack timeout) and returns its code. */
    int awaitAck(Pending p) throws IOException {
        awaitDone(p, ackDeadline(), true);
        return result(p);
    }

    /** {@link PublishToken#await()}: waits at most the ack timeout, gives the publish up after it. */
    void awaitToken(Pending p) throws IOException {
        if (!p.done) {
            awaitDone(p, ackDeadline(), false);
        }
        result(p);
    }

    /**
     * Returns when {@code p} is done. Reads from the connection while no other thread does; else
     * parks until the reader completes {@code p} or hands it the reader role. At the deadline
     * {@code p} is given up (done, timed out). An interrupt gives it up too when {@code abandon}.
     */
    void awaitDone(Pending p, long deadline, boolean abandon) throws IOException {
        ReaderRole readers = client.readers;
        Thread me = Thread.currentThread();
        boolean owner = false;
        ReaderRole.Waiter w = null;
        try {
            while (!p.done) {
                boolean read;
                synchronized (lock) {
                    if (p.done) {
                        break;
                    }
                    read = readers.reader == me;
                    if (readers.reader == null) {
                        readers.reader = me;
                        owner = true;
                        read = true;
                    } else if (!read && w == null) {
                        w = readers.enqueue(me, p);
                    }
                }
                if (read) {
                    client.inbound.readUntilDone(p, deadline, abandon);
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    acks.timeOut(p, "");
                    break;
                }
                if (!client.outbound.mayWaitHolding(p)) {
                    client.outbound.flushHeld();
                }
                LockSupport.parkNanos(client, left);
                if (Thread.interrupted()) {
                    throw interrupted(p, abandon);
                }
            }
        } finally {
            if (w != null) {
                readers.leave(w);
            }
            readers.release(owner);
        }
    }

    /**
     * The reader, while reading is paused, parks until {@code p} is done (the connection is lost)
     * or {@code nanos} pass.
     */
    void pauseReading(Pending p, long nanos, boolean abandon) throws IOException {
        ReaderRole.Waiter w;
        synchronized (lock) {
            if (p.done) {
                return;
            }
            w = client.readers.waitFor(Thread.currentThread(), p);
        }
        try {
            client.outbound.flushHeld();
            LockSupport.parkNanos(client, nanos);
        } finally {
            client.readers.leave(w);
        }
        if (Thread.interrupted()) {
            throw interrupted(p, abandon);
        }
    }

    /** The interrupt of a wait for {@code p}, which is given up when {@code abandon}; sets the flag again. */
    private InterruptedIOException interrupted(Pending p, boolean abandon) {
        Thread.currentThread().interrupt();
        InterruptedIOException e = new InterruptedIOException("interrupted while waiting for the " + p.ackType
                + " of packet id " + p.id);
        if (abandon) {
            acks.giveUp(p, e);
        }
        return e;
    }

    /** The ack's code, or the failure of {@code p} as an exception. */
    int result(Pending p) throws IOException {
        IOException e = p.error;
        if (e == null) {
            return p.code;
        }
        if (!p.lost) {
            throw e; // given up: a timeout, or an interrupt
        }
        throw new IOException("connection to " + client.settings.broker() + " lost while waiting for the "
                + p.ackType + " of packet id " + p.id + ": " + e.getMessage(), e);
    }
}
