package io.umqtt.whiteboard.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the daemon threads of a whiteboard's pools, named {@code prefix + N}, and remembers
 * which whiteboard they belong to ({@link #runsOn}), so that a whiteboard closed from inside a
 * handler does not wait for its own call. Thread-safe.
 */
final class PoolThreads implements ThreadFactory {
    private final Object owner;
    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();

    PoolThreads(Object owner, String prefix) {
        this.owner = owner;
        this.prefix = prefix;
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new PoolThread(owner, r, prefix + count.incrementAndGet());
        t.setDaemon(true);
        return t;
    }

    /** Whether the calling thread is a pool thread of {@code owner}. */
    static boolean runsOn(Object owner) {
        Thread t = Thread.currentThread();
        return t instanceof PoolThread && ((PoolThread) t).owner == owner;
    }

    private static final class PoolThread extends Thread {
        final Object owner;

        PoolThread(Object owner, Runnable r, String name) {
            super(r, name);
            this.owner = owner;
        }
    }
}
