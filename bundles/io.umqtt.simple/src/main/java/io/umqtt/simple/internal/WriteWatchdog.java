package io.umqtt.simple.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Bounds socket writes, and connects, in time. {@code java.net.Socket} writes have no timeout: a
 * write to a peer that stopped reading blocks for ever once the socket buffers are full. Each
 * connection registers a {@link Watch}, marks every write with {@link Watch#begin(long)} and
 * {@link Watch#end()}, and the watchdog calls the watch's stall action (which closes the socket,
 * so the blocked write fails) when a write outlasts its timeout. The client's connect deadline
 * ({@code TlsConnector.Deadline}) is watched the same way, as an operation that must end in time:
 * one shared timer thread for both.
 * <p>
 * Threading: one daemon thread, {@value #THREAD_NAME}, for all connections of the JVM (not one
 * per connection). It runs only while at least one watch is registered: started by the first
 * {@link #register}, it ends as soon as the last one {@link Watch#unregister() unregisters}. It
 * checks the writes in progress every {@value #TICK_MILLIS} ms, so a stalled write fails between
 * its timeout and its timeout plus one tick. The stall action runs on that thread and must not
 * block. Marking a write costs two volatile writes; the registry is guarded by the class's lock.
 */
public final class WriteWatchdog {
    /** The name of the watchdog thread. */
    public static final String THREAD_NAME = "umqtt-watchdog";
    /** How often the watchdog looks at the writes in progress. */
    public static final long TICK_MILLIS = 50;

    private static final Object LOCK = new Object();
    /** Guarded by {@link #LOCK}. */
    private static final List<Watch> WATCHES = new ArrayList<>();
    /** The running watchdog, or null; guarded by {@link #LOCK}. */
    private static Thread thread;

    private WriteWatchdog() {
    }

    /** Starts watching a connection's writes; {@code onStall} runs (once) when one outlasts its timeout. */
    public static Watch register(Consumer<Watch> onStall) {
        Watch w = new Watch(onStall);
        synchronized (LOCK) {
            WATCHES.add(w);
            if (thread == null) {
                start();
            }
        }
        return w;
    }

    /** How many connections are watched (tests). */
    public static int watched() {
        synchronized (LOCK) {
            return WATCHES.size();
        }
    }

    private static void run() {
        List<Watch> due = new ArrayList<>();
        while (true) {
            synchronized (LOCK) {
                if (WATCHES.isEmpty()) {
                    thread = null;
                    return;
                }
                long now = System.nanoTime();
                for (Watch w : WATCHES) {
                    if (w.writing && now - w.deadlineNanos >= 0 && !w.fired) {
                        w.fired = true;
                        due.add(w);
                    }
                }
            }
            for (Watch w : due) {
                try {
                    w.onStall.accept(w);
                } catch (RuntimeException e) {
                    System.getLogger(WriteWatchdog.class.getName()).log(System.Logger.Level.ERROR,
                            "closing a connection whose write stalled failed", e);
                }
            }
            due.clear();
            synchronized (LOCK) {
                if (WATCHES.isEmpty()) {
                    thread = null;
                    return;
                }
                try {
                    LOCK.wait(TICK_MILLIS); // the tick; woken early only when the last watch leaves
                } catch (InterruptedException e) {
                    // nobody but this class should interrupt it: the watches still need a watchdog
                    thread = null;
                    start();
                    return;
                }
            }
        }
    }

    /** Starts a watchdog thread; caller holds {@link #LOCK}. */
    private static void start() {
        Thread t = new Thread(WriteWatchdog::run, THREAD_NAME);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** One connection's writes, as the watchdog sees them. */
    public static final class Watch {
        private final Consumer<Watch> onStall;
        private volatile boolean writing;
        private volatile long deadlineNanos;
        private volatile long timeoutNanos;
        private volatile boolean fired;

        Watch(Consumer<Watch> onStall) {
            this.onStall = onStall;
        }

        /** A write begins that must end within {@code timeoutNanos}. */
        public void begin(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
            deadlineNanos = System.nanoTime() + timeoutNanos;
            writing = true;
        }

        /** The write ended (normally or not). */
        public void end() {
            writing = false;
        }

        /** Whether the watchdog declared a write of this connection stalled. */
        public boolean fired() {
            return fired;
        }

        /** Whether a write is in progress. */
        public boolean writing() {
            return writing;
        }

        /** Stops watching; the watchdog thread ends when nothing is watched any more. */
        public void unregister() {
            synchronized (LOCK) {
                if (WATCHES.remove(this) && WATCHES.isEmpty()) {
                    LOCK.notifyAll(); // the watchdog ends now rather than at its next tick
                }
            }
        }

        /** The timeout of the last write begun, in milliseconds (for messages). */
        public long timeoutMillis() {
            return timeoutNanos / 1_000_000;
        }
    }
}
