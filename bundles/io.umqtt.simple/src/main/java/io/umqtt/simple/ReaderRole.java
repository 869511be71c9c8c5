package io.umqtt.simple;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

import io.umqtt.api.ConnectionState;

/**
 * Who reads: one thread at a time holds the reader role, the thread in {@code waitMsg},
 * {@code checkMsg} or {@code loop}, the thread connecting, or else a thread whose QoS 1 operation
 * waits for its ack ({@link AckWaits#awaitDone}). A thread that wants the role while another holds
 * it parks as a {@link Waiter}; when the reader leaves, the role goes to the first parked thread
 * that still wants it (first come, first served; a thread whose ack was read meanwhile no longer
 * does).
 * <p>
 * Threading: {@link #reader} and the parked threads are guarded by the client's lock (which is
 * also the {@link AckTable}'s); threads are unparked after the lock is released.
 */
final class ReaderRole {
    /** {@link #acquire} results. */
    static final int BUSY = 0;
    static final int OWNER = 1;
    static final int REENTRANT = 2;

    private final MqttClient client;
    private final Object lock;
    /** The thread that reads from the connection, or null; guarded by {@link #lock}. */
    Thread reader;
    /**
     * Threads parked until the reader role is free, first come first served; guarded by {@link #lock};
     * made by the first ({@link #enqueue}: a connection whose loop alone reads has none).
     */
    private ArrayDeque<Waiter> wanted;
    /**
     * Whether any thread is parked for the role or an ack; written under {@link #lock}, read
     * without it by the reader as a hint ({@link PacketReader} coalesces reads only while nobody
     * waits).
     */
    volatile boolean threadsWaiting;

    ReaderRole(MqttClient client, Object lock) {
        this.client = client;
        this.lock = lock;
    }

    /**
     * Takes the reader role: OWNER if this call took it (and must release it), REENTRANT when the
     * current thread already holds it, BUSY when another thread does and {@code wait} is false.
     */
    int acquire(boolean wait) throws IOException {
        Thread me = Thread.currentThread();
        Waiter w = null;
        try {
            while (true) {
                synchronized (lock) {
                    ConnectionState state = client.state;
                    if (state != ConnectionState.CONNECTED) {
                        if (state == ConnectionState.LOST && reader == null && !client.inbound.deferred.isEmpty()) {
                            // messages read before the loss, queued while a callback ran (and then threw):
                            // step() delivers them before it reports the loss
                            reader = me;
                            return OWNER;
                        }
                        throw client.lifecycle.notConnected();
                    }
                    if (reader == me) {
                        return REENTRANT;
                    }
                    if (reader == null) {
                        reader = me;
                        return OWNER;
                    }
                    if (!wait) {
                        return BUSY;
                    }
                    if (w == null) {
                        w = enqueue(me, null);
                    }
                }
                client.outbound.flushHeld();
                LockSupport.park(client);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException(
                            "interrupted while waiting to read from " + client.settings.broker());
                }
            }
        } finally {
            if (w != null) {
                leave(w);
            }
        }
    }

    /** Gives the reader role up (when {@code owner}) and unparks the first thread that wants it. */
    void release(boolean owner) {
        if (owner) {
            client.outbound.flushHeldAcksQuietly(); // PUBACKs held while more packets were buffered
            Waiter next;
            synchronized (lock) {
                reader = null;
                next = next();
            }
            if (next != null) {
                LockSupport.unpark(next.thread);
            }
        }
    }

    /**
     * Parks {@code thread} in line for the role, and among the waiters for the ack of
     * {@code awaited} when not null; caller holds {@link #lock}. It must {@link #leave} afterwards.
     */
    Waiter enqueue(Thread thread, Pending awaited) {
        Waiter w = awaited == null ? new Waiter(thread, null) : waitFor(thread, awaited);
        if (wanted == null) {
            wanted = new ArrayDeque<>(2);
        }
        wanted.addLast(w);
        threadsWaiting = true;
        return w;
    }

    /** Registers {@code thread} as waiting for the ack of {@code p}; caller holds {@link #lock}. */
    Waiter waitFor(Thread thread, Pending p) {
        Waiter w = new Waiter(thread, p);
        w.next = p.waiters;
        p.waiters = w;
        return w;
    }

    /** The first parked thread that still wants the reader role, or null; caller holds {@link #lock}. */
    private Waiter next() {
        if (wanted == null) {
            return null;
        }
        for (Waiter w : wanted) {
            if (w.awaited == null || !w.awaited.done) {
                return w;
            }
        }
        return null;
    }

    /**
     * Unregisters a parked thread that stops waiting. When the reader role is free, the next thread
     * that wants it is unparked: the wake-up this thread may have received passes on.
     */
    void leave(Waiter w) {
        Waiter next = null;
        synchronized (lock) {
            if (wanted != null) { // made when w was enqueued (a waiter for an ack alone may find none)
                wanted.remove(w);
                threadsWaiting = !wanted.isEmpty();
            }
            Pending p = w.awaited;
            if (p != null) {
                if (p.waiters == w) {
                    p.waiters = w.next;
                } else {
                    for (Waiter x = p.waiters; x != null; x = x.next) {
                        if (x.next == w) {
                            x.next = w.next;
                            break;
                        }
                    }
                }
            }
            if (reader == null) {
                next = next();
            }
        }
        if (next != null) {
            LockSupport.unpark(next.thread);
        }
    }

    /** Unparks every thread parked for the role, to see a state change; caller holds {@link #lock}. */
    void wakeAll() {
        if (wanted == null) {
            return;
        }
        for (Waiter w : wanted) {
            LockSupport.unpark(w.thread);
        }
    }

    /** Unparks {@code w} and the threads linked after it. */
    static void unparkAll(Waiter w) {
        for (; w != null; w = w.next) {
            LockSupport.unpark(w.thread);
        }
    }

    /** A thread parked in the client, for the ack of {@code awaited} or (null) for the reader role. */
    static final class Waiter {
        final Thread thread;
        final Pending awaited;
        /** The next thread parked for the same ack; guarded by the client's lock. */
        Waiter next;

        Waiter(Thread thread, Pending awaited) {
            this.thread = thread;
            this.awaited = awaited;
        }
    }
}
