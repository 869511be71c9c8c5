package io.umqtt.simple;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The direct buffers {@link TcpTransport} reads into and writes from, shared by all connections:
 * a thread {@link #take takes} one for a single non-blocking read or write and the copy to or from
 * its array, then {@link #give gives} it back; no buffer is held while a connection waits. So a
 * connection costs no direct buffer of its own, and no thread gets the JDK's per-thread cache
 * (which reading or writing a heap buffer brings, about 4 KiB of heap per thread).
 * <p>
 * The pool has a fixed number of slots ({@value #MIN_SLOTS} or four per processor, at most
 * {@value #MAX_SLOTS}), filled on demand with buffers of {@value #SIZE} bytes. Taking from an
 * empty pool allocates a new buffer; giving to a full pool drops the buffer (the garbage collector
 * frees it). Taking and giving allocate nothing otherwise. Thread-safe without locks (a
 * compare-and-set per slot; each thread starts at its own slot, so it usually gets back the buffer
 * it gave).
 */
final class DirectBuffers {
    /** The size of each buffer: the most one read or write system call transfers. */
    static final int SIZE = 32 * 1024;
    private static final int MIN_SLOTS = 8;
    private static final int MAX_SLOTS = 64;
    private static final int SLOTS = Math.max(MIN_SLOTS,
            Math.min(MAX_SLOTS, 4 * Runtime.getRuntime().availableProcessors()));
    private static final AtomicReferenceArray<ByteBuffer> POOL = new AtomicReferenceArray<>(SLOTS);

    private DirectBuffers() {
    }

    /** A cleared direct buffer of {@link #SIZE} bytes, for the calling thread until it gives it back. */
    static ByteBuffer take() {
        int start = home();
        for (int i = 0; i < SLOTS; i++) {
            int slot = (start + i) % SLOTS;
            ByteBuffer b = POOL.get(slot);
            if (b != null && POOL.compareAndSet(slot, b, null)) {
                return b.clear();
            }
        }
        return ByteBuffer.allocateDirect(SIZE);
    }

    /** Returns {@code b} (taken by {@link #take}) to the pool; the caller no longer uses it. */
    static void give(ByteBuffer b) {
        int start = home();
        for (int i = 0; i < SLOTS; i++) {
            int slot = (start + i) % SLOTS;
            if (POOL.get(slot) == null && POOL.compareAndSet(slot, null, b)) {
                return;
            }
        }
        // the pool is full: b is dropped, and freed by the garbage collector
    }

    /** The calling thread's first slot. */
    private static int home() {
        return (System.identityHashCode(Thread.currentThread()) & Integer.MAX_VALUE) % SLOTS;
    }
}
