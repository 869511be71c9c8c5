package io.umqtt.simple.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.LongSupplier;

/**
 * The write path of one client: every byte for the socket goes through here, and small packets
 * written close together leave in one {@code write} system call (so in few TCP segments) instead
 * of one each. No thread per connection:
 * <ul>
 * <li>{@link #write} writes at once, with whatever is held before it (order is kept);
 * <li>{@link #hold} keeps a PUBACK back while more received PUBLISHes are already buffered: the
 * reader writes them together before it blocks;
 * <li>{@link #cork} keeps a PUBLISH back while packets stream: when it comes less than
 * {@link #STREAM_WINDOW_NANOS} after the previous packet (see below), or when the caller says it
 * is pipelined (earlier publishes await their acks). The first packet after a pause goes out at
 * once (no latency on an idle link); the packets that follow it are combined.
 * </ul>
 * When a packet "follows" the previous one: after a write of packets given alone (the first
 * PUBLISH after a pause, a PUBACK, CONNECT; with held PUBACKs at most), the window counts from
 * when that write <em>began</em>; after a write that carried corked packets (a stream going on),
 * from when it ended; after a packet was corked, from then. On loopback or a busy machine one
 * write may last longer than a whole round trip (the writing thread is descheduled inside the
 * system call while the broker and the subscriber run): counted from its end, the next
 * one-at-a-time publish came within the window, was corked and waited for the flusher (the 1.2 ms
 * QoS 0 latency p99 of docs/benchmarks.md, "QoS 0 latency p99").
 * What is held leaves when {@link #LIMIT} bytes are held, with the next {@link #write}, when the
 * client {@link #flush flushes} before a thread waits for anything that may depend on it (the
 * client may let a thread wait for the ack of a PUBLISH already written while only corked
 * PUBLISHes are held: see {@link #holdingOnlyCorked()} and {@link #written(long)}), on disconnect,
 * close and failure; corked packets at the latest {@link #FLUSH_DELAY_NANOS} after the first of
 * them by the shared flusher thread ({@value #FLUSHER_NAME}, one for all clients, running only
 * while something is corked; see below for when a second one serves while the first waits). Held PUBACKs are the reader's own: it also writes them when it gives
 * up the reader role and before it runs a callback once they are older than
 * {@link #FLUSH_DELAY_NANOS} (see {@link #heldSince()}), so a write failure is the reader's to see. Every write is bounded by the {@link WriteWatchdog} (the caller's write timeout), also
 * the flusher's. What is held is lost only with the connection (a failed write, a closed socket).
 * <p>
 * Threading: the caller holds the client's write lock (the object given to the constructor) for
 * every method but {@link #holding()}, {@link #holdingOnlyCorked()} and {@link #written(long)},
 * which read volatile fields; the flusher takes the same lock, but never waits for it while a
 * write runs: a sink write is marked {@code WRITING} in an atomic state and the flusher, before it
 * takes the lock, marks itself {@code ENTERING} only if no write runs (else it leaves the client
 * alone: nothing is held while a write runs, and what is corked after it is scheduled anew). A
 * writer that starts a write while the flusher is {@code ENTERING} (it holds the lock the flusher
 * is about to wait for) starts a new flusher thread for the other clients; the old one flushes this
 * client once it gets the lock and ends. So one connection whose broker stopped reading delays no
 * other connection's timed flush. Lock order: the write lock, then the flusher's.
 */
public final class WriteCombiner {
    /** Writes of up to this many bytes are combined; beyond it what is held is written. */
    public static final int LIMIT = 16 * 1024;
    /** A packet written less than this after the previous write is corked. */
    public static final long STREAM_WINDOW_NANOS = 20_000L;
    /** What {@link #cork} holds is written at the latest this long after the first of it. */
    public static final long FLUSH_DELAY_NANOS = 1_000_000L;
    /** The name of the shared flusher thread. */
    public static final String FLUSHER_NAME = "umqtt-flush";
    /** Writes are watched in chunks: a large write fails when one chunk makes no progress in time. */
    private static final int WRITE_CHUNK = 64 * 1024;

    /** Where the bytes go: the connection's socket (its output stream, or a transport). */
    public interface Sink {
        /** Writes all of {@code b[off, off + len)}, blocking while the socket buffer is full. */
        void write(byte[] b, int off, int len) throws IOException;
    }

    /** How the client turns a failed write into its connection's failure (and closes it). */
    public interface Failure {
        /**
         * Returns the exception to throw for {@code e}, a write failure of the connection watched
         * by {@code watch} (maybe an earlier one than the client's current); called with the write
         * lock held.
         */
        IOException failed(IOException e, WriteWatchdog.Watch watch);
    }

    private final Object writeLock;
    private final Failure failure;
    private Sink out;
    private WriteWatchdog.Watch watch;
    private long timeoutNanos;
    private byte[] buf;
    private int len;
    /** {@code len > 0}, readable without the lock. */
    private volatile boolean holding;
    /** Whether all that is held came through {@link #cork} (no PUBACK is held). */
    private volatile boolean onlyCorked;
    /** Bytes given to this so far, and of them written (all but the held ones when no write runs). */
    private long accepted;
    private volatile long written;
    /**
     * From when the stream window of the next {@link #cork} counts: the begin of the last write of
     * packets given alone, the end of the last write that carried corked packets, or the last cork.
     */
    private long lastWriteNanos;
    /** Whether the flusher will look at this one, and when (guarded by the flusher's lock). */
    private boolean queued;
    private long due;
    /** When the first packet of what is held was corked, and whether the flusher is due for it. */
    private long corkedSince;
    private boolean timed;
    /** When the first packet of what is held was given. */
    private long heldSince;
    /**
     * {@link #WRITING} while a sink write runs (nothing is held then), plus {@link #ENTERING} for
     * each flusher thread committed to take the write lock that has not got it yet; changed atomically.
     */
    private volatile int state;
    private static final int WRITING = 1;
    private static final int ENTERING = 2;
    private static final AtomicIntegerFieldUpdater<WriteCombiner> STATE =
            AtomicIntegerFieldUpdater.newUpdater(WriteCombiner.class, "state");

    private final int limit;
    private final long windowNanos;
    private final long delayNanos;
    /** The time the stream decision reads (tests); null: {@code System.nanoTime()}. */
    private final LongSupplier clock;

    /** The write path of a client whose writes are serialised by {@code writeLock}. */
    public WriteCombiner(Object writeLock, Failure failure) {
        this(writeLock, failure, LIMIT, STREAM_WINDOW_NANOS, FLUSH_DELAY_NANOS);
    }

    /** With other bounds (tests). */
    WriteCombiner(Object writeLock, Failure failure, int limit, long windowNanos, long delayNanos) {
        this(writeLock, failure, limit, windowNanos, delayNanos, null);
    }

    /**
     * With other bounds and a clock (tests: a clock near {@code System.nanoTime()}, as the shared
     * flusher schedules by it).
     */
    WriteCombiner(Object writeLock, Failure failure, int limit, long windowNanos, long delayNanos, LongSupplier clock) {
        this.writeLock = writeLock;
        this.failure = failure;
        this.limit = limit;
        this.windowNanos = windowNanos;
        this.delayNanos = delayNanos;
        this.clock = clock;
    }

    private long now() {
        LongSupplier c = clock;
        return c == null ? System.nanoTime() : c.getAsLong();
    }

    /** A new connection's stream: what an earlier connection held is dropped, its buffer given back. */
    public void connected(Sink o, WriteWatchdog.Watch w) {
        out = o;
        watch = w;
        len = 0;
        buf = null;
        holding = false;
        onlyCorked = false;
        timed = false;
        written = accepted;
        lastWriteNanos = now() - windowNanos;
    }

    /** Whether packets are held back; without the lock (a hint for {@link #flush}). */
    public boolean holding() {
        return holding;
    }

    /** Whether what is held are only corked packets (no PUBACK); without the lock. */
    public boolean holdingOnlyCorked() {
        return onlyCorked;
    }

    /** The position after the last byte given to this (caller holds the lock). */
    public long mark() {
        return accepted;
    }

    /** Whether the bytes up to {@code mark} were written; without the lock. */
    public boolean written(long mark) {
        return written - mark >= 0;
    }

    /** Writes what is held, then {@code b}, within {@code timeoutNanos} per chunk. */
    public void write(byte[] b, int off, int n, long timeoutNanos) throws IOException {
        this.timeoutNanos = timeoutNanos;
        if (len > 0) {
            if (len + n <= limit) {
                append(b, off, n);
                writeHeld();
                return;
            }
            writeHeld();
        }
        writeOut(b, off, n);
    }

    /**
     * Keeps {@code b} back until the next write or {@link #flush} (the caller flushes before it
     * blocks), at the latest for {@link #FLUSH_DELAY_NANOS}.
     */
    public void hold(byte[] b, int off, int n, long timeoutNanos) throws IOException {
        this.timeoutNanos = timeoutNanos;
        if (len + n > limit) {
            writeHeld();
        }
        if (n > limit) {
            writeOut(b, off, n);
            return;
        }
        if (len == 0) {
            heldSince = now();
        }
        append(b, off, n);
        onlyCorked = false;
    }

    /**
     * Since when packets are held (valid while {@link #holding()}): the reader writes held PUBACKs
     * before it runs a callback once they are older than {@link #FLUSH_DELAY_NANOS}.
     */
    public long heldSince() {
        return heldSince;
    }

    /**
     * Writes {@code b} at once after a pause, else keeps it back for at most
     * {@link #FLUSH_DELAY_NANOS} (see the class comment). {@code pipelined}: the caller knows more
     * of a stream follows (earlier publishes await their acks), so it is kept back also after a pause.
     */
    public void cork(byte[] b, int off, int n, long timeoutNanos, boolean pipelined) throws IOException {
        long now = now();
        if ((!pipelined && now - lastWriteNanos - windowNanos >= 0) || n > limit) {
            write(b, off, n, timeoutNanos);
            return;
        }
        this.timeoutNanos = timeoutNanos;
        if (len + n > limit) {
            writeHeld();
        }
        if (len == 0) {
            heldSince = now;
            onlyCorked = true;
        }
        append(b, off, n);
        if (now - lastWriteNanos > 0) {
            lastWriteNanos = now; // a stream goes on corking while its packets keep coming
        } // else a write of what was corked ended after now: the stream counts from its end
        if (!timed) {
            timed = true;
            corkedSince = now;
            Flusher.schedule(this, now + delayNanos);
        }
    }

    /** Writes what is held, if anything. */
    public void flush() throws IOException {
        if (len > 0) {
            writeHeld();
        }
    }

    private void append(byte[] b, int off, int n) {
        byte[] a = buf;
        if (a == null || a.length < len + n) {
            byte[] grown = new byte[Math.min(limit, Math.max(len + n, a == null ? 256 : a.length * 2))];
            if (a != null) {
                System.arraycopy(a, 0, grown, 0, len);
            }
            buf = a = grown;
        }
        System.arraycopy(b, off, a, len, n);
        len += n;
        accepted += n;
        holding = true;
    }

    private void writeHeld() throws IOException {
        int n = len;
        boolean stream = timed; // a corked packet is among what is held
        len = 0;
        holding = false;
        onlyCorked = false;
        timed = false;
        writeOut(buf, 0, n, stream);
    }

    private void writeOut(byte[] b, int off, int n) throws IOException {
        writeOut(b, off, n, false);
    }

    /** Writes {@code b[off, off + n)}; {@code stream}: it carries corked packets (a stream goes on). */
    private void writeOut(byte[] b, int off, int n, boolean stream) throws IOException {
        if (b != buf) {
            accepted += n; // a direct write (what is held was written before it)
        }
        Sink o = out;
        WriteWatchdog.Watch w = watch;
        if (o == null || w == null) {
            throw new IOException("not connected");
        }
        int done = 0;
        long begun = now();
        if (STATE.getAndAdd(this, WRITING) >= ENTERING) {
            // a flusher waits for this write lock: another flusher serves the other clients meanwhile
            Flusher.replace(this);
        }
        try {
            do {
                int chunk = Math.min(n - done, WRITE_CHUNK);
                w.begin(timeoutNanos);
                try {
                    o.write(b, off + done, chunk);
                } finally {
                    w.end();
                }
                done += chunk;
            } while (done < n);
        } catch (IOException e) {
            // what is still held stays: its own write fails too, for the thread that makes it
            throw failure.failed(e, w);
        } finally {
            STATE.getAndAdd(this, -WRITING);
        }
        written = accepted - len;
        // a packet given alone (with held PUBACKs at most) starts no stream by itself: the next one
        // is corked only if it comes within the window of this write's begin, not of its end,
        // which may be a whole round trip later (see the class comment)
        lastWriteNanos = stream ? now() : begun;
    }

    /**
     * Called by the flusher when this one's due time passed: writes what is held if it was held
     * for {@link #FLUSH_DELAY_NANOS}; what was corked later is scheduled anew.
     */
    private void timedFlush() {
        int s;
        do {
            s = state;
            if ((s & WRITING) != 0) {
                return; // its writer took what is held along (nothing is held while a write runs)
            }
        } while (!STATE.compareAndSet(this, s, s + ENTERING));
        synchronized (writeLock) {
            STATE.getAndAdd(this, -ENTERING);
            if (len == 0 || !timed) {
                return; // written meanwhile (held PUBACKs alone are the reader's to write)
            }
            long due = corkedSince + delayNanos;
            if (due - now() > 0) {
                Flusher.schedule(this, due); // corked anew after a write
                return;
            }
            try {
                writeHeld();
            } catch (IOException e) {
                // the failure is recorded as the connection's, which its users see
            }
        }
    }

    /**
     * The one thread for all clients that writes what was corked or held once its delay passed.
     * It runs while something is scheduled and ends when nothing was for a second. It takes the
     * write lock of the client it flushes, but not while that client's write runs (see the class
     * comment); a writer that took the lock first while the flusher was about to wait for it hands
     * the flusher role to a new thread ({@link #replace}), so another client's blocked write
     * (bounded by the watchdog) delays no one else's timed flush. Its own write to a client whose
     * socket buffer is full still blocks it, bounded by the write timeout. Scheduling allocates nothing once the list has grown; finding the next due is a scan of the
     * clients that hold something.
     */
    private static final class Flusher {
        private static final Object LOCK = new Object();
        /** Guarded by LOCK, as are the {@code queued} and {@code due} fields of its elements. */
        private static final ArrayList<WriteCombiner> SCHEDULED = new ArrayList<>();
        private static Thread thread;
        /** The client whose timed flush the current thread makes (guarded by LOCK). */
        private static WriteCombiner entering;

        static void schedule(WriteCombiner o, long due) {
            synchronized (LOCK) {
                if (o.queued) {
                    return; // its entry sees the new cork when it comes due, and reschedules
                }
                o.queued = true;
                o.due = due;
                SCHEDULED.add(o);
                if (thread == null) {
                    start();
                } else {
                    LOCK.notifyAll(); // it may wait for a later due
                }
            }
        }

        /**
         * Called by a writer of {@code o} that holds the write lock a flusher is committed to take:
         * if that is the current flusher, it leaves the role once it got the lock and flushed, and a
         * new thread serves the other clients meanwhile.
         */
        static void replace(WriteCombiner o) {
            synchronized (LOCK) {
                if (entering == o) {
                    entering = null;
                    start();
                }
            }
        }

        /** Starts a flusher thread; caller holds LOCK. */
        private static void start() {
            Thread t = new Thread(Flusher::run, FLUSHER_NAME);
            t.setDaemon(true);
            thread = t;
            t.start();
        }

        private static void run() {
            long idleSince = System.nanoTime();
            while (true) {
                WriteCombiner o = null;
                synchronized (LOCK) {
                    if (thread != Thread.currentThread()) {
                        return; // replaced while it waited for a client's write lock
                    }
                    entering = null;
                    long now = System.nanoTime();
                    if (SCHEDULED.isEmpty()) {
                        long left = 1_000_000_000L - (now - idleSince);
                        if (left <= 0) {
                            thread = null;
                            return;
                        }
                        if (!await(left)) {
                            return;
                        }
                        continue;
                    }
                    int next = 0;
                    for (int i = 1; i < SCHEDULED.size(); i++) {
                        if (SCHEDULED.get(i).due - SCHEDULED.get(next).due < 0) {
                            next = i;
                        }
                    }
                    long wait = SCHEDULED.get(next).due - now;
                    if (wait > 0) {
                        if (!await(wait)) {
                            return;
                        }
                        continue;
                    }
                    o = SCHEDULED.get(next);
                    SCHEDULED.set(next, SCHEDULED.get(SCHEDULED.size() - 1));
                    SCHEDULED.remove(SCHEDULED.size() - 1);
                    o.queued = false;
                    entering = o;
                }
                o.timedFlush();
                idleSince = System.nanoTime();
            }
        }

        /** Waits on LOCK (held) for up to {@code nanos}; false when interrupted (a new flusher took over). */
        private static boolean await(long nanos) {
            try {
                LOCK.wait(nanos / 1_000_000, (int) (nanos % 1_000_000));
                return true;
            } catch (InterruptedException e) {
                // nobody but this class should interrupt it: what is scheduled still needs a flusher
                start();
                return false;
            }
        }
    }
}
