package io.umqtt.fuzz;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The fuzzer's channel mode ({@code --transport channel}): serves the streams over real loopback
 * TCP, so that the client runs on its default plain TCP transport ({@code io.umqtt.simple.TcpTransport},
 * a non-blocking {@code SocketChannel} with a {@code Selector}), which the in-memory sockets of
 * {@link MemoryTransport} cannot stand in for.
 * <p>
 * One server per worker thread: a {@link ServerSocketChannel} on 127.0.0.1 (an ephemeral port) and
 * a thread {@code fuzz-server-N} that serves one connection at a time from its own selector and
 * never blocks. For each stream the worker {@link #serve}s the case, then the client connects; the
 * server accepts, writes the case's bytes in its segments (each segment in its own write, Nagle
 * off; before a <em>late</em> segment it waits {@link #LATE_NANOS}, so that the client's reads most
 * likely drain the socket and wait first), then half-closes (the end of stream; the client's
 * writes are still read), and reads everything the client writes until the client closes its
 * socket (end of stream or reset); then it closes its side. A write failure (the client closed
 * first) ends the writing. Over TCP the segments are a request, not a promise: the kernel may
 * merge them, and a late segment may still be read at once by a client that was busy.
 * <p>
 * Threading: {@link #serve} and the {@link Stream}'s {@link ServerLink} methods are called by the
 * worker; the connection's I/O runs on the server thread; a stream's shared state is guarded by its
 * monitor (its waits are bounded by {@link #CLOSE_WAIT_NANOS}).
 */
final class LoopbackServer implements AutoCloseable {
    /** The pause before a late segment. */
    static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** How long the driver waits for the server to see the client's close (or for the server to end). */
    static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * How long a {@code checkMsg()} reader may find nothing and see no progress before it is given
     * up: more than the client's end-of-stream probe interval (100 ms), with room for a loaded machine.
     */
    static final long CHECK_IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(2_000);
    /** The park between two {@code checkMsg()} polls that found nothing (the server needs the core). */
    static final long CHECK_PAUSE_NANOS = 50_000;

    private static final AtomicLong ACCEPTED = new AtomicLong();
    private static final AtomicLong CLIENT_CLOSED = new AtomicLong();
    private static final AtomicLong UNEXPECTED = new AtomicLong();

    private final ServerSocketChannel listener;
    private final Selector selector;
    private final int port;
    private final Thread thread;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
    private volatile boolean stopping;
    /** What the server thread failed with, if it did. */
    private volatile String failure;
    /** The stream the next accepted connection serves; guarded by this. */
    private Stream pending;
    /** The stream being served: server thread only. */
    private Stream active;

    LoopbackServer(String name) throws IOException {
        listener = ServerSocketChannel.open();
        Selector s = null;
        try {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            listener.configureBlocking(false);
            s = Selector.open();
            listener.register(s, SelectionKey.OP_ACCEPT);
        } catch (IOException | RuntimeException e) {
            listener.close();
            if (s != null) {
                s.close();
            }
            throw e;
        }
        selector = s;
        port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Connections accepted by all servers of this JVM. */
    static long accepted() {
        return ACCEPTED.get();
    }

    /** Accepted connections whose client closed its socket while the server waited for it. */
    static long clientClosedCount() {
        return CLIENT_CLOSED.get();
    }

    /** Connections that came when no stream was prepared (closed at once). */
    static long unexpected() {
        return UNEXPECTED.get();
    }

    int port() {
        return port;
    }

    /** What the server thread failed with, or null. */
    String failure() {
        return failure;
    }

    /** Prepares the stream the next connection gets; the caller connects the client next. */
    Stream serve(Case c) {
        Stream s = new Stream(c.data, c.ends, c.late);
        synchronized (this) {
            pending = s;
        }
        return s;
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        selector.wakeup();
        thread.join(TimeUnit.NANOSECONDS.toMillis(CLOSE_WAIT_NANOS));
    }

    private void run() {
        try {
            while (!stopping) {
                long timeoutMillis = 100;
                Stream a = active;
                if (a != null && !a.outputDone && a.nextWriteNanos != 0) {
                    long left = a.nextWriteNanos - System.nanoTime();
                    timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
                }
                selector.select(timeoutMillis);
                selector.selectedKeys().clear();
                accept();
                a = active;
                if (a != null) {
                    step(a);
                }
                dropAbandoned();
            }
        } catch (IOException | RuntimeException e) {
            failure = "loopback server on port " + port + " failed: " + e;
        } finally {
            if (active != null) {
                finish(active);
            }
            closeQuietly(listener);
            try {
                selector.close();
            } catch (IOException e) {
                failure = "closing the selector of the loopback server on port " + port + ": " + e;
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = listener.accept()) != null) {
            Stream s;
            synchronized (this) {
                s = pending;
                pending = null;
            }
            if (s == null || s.abandoned()) {
                UNEXPECTED.incrementAndGet();
                closeQuietly(ch);
                continue;
            }
            if (active != null) {
                finish(active); // its driver gave up waiting: a new stream begins
            }
            ACCEPTED.incrementAndGet();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            s.channel = ch;
            s.key = ch.register(selector, SelectionKey.OP_READ);
            active = s;
            s.accepted();
        }
    }

    private synchronized void dropAbandoned() {
        if (pending != null && pending.abandoned()) {
            pending.markDone();
            pending = null;
        }
    }

    /** Reads what the client wrote, then writes what is due; ends the connection once the client closed. */
    private void step(Stream s) {
        boolean closedByClient = false;
        try {
            while (true) {
                readBuffer.clear();
                int n = s.channel.read(readBuffer);
                if (n < 0) {
                    closedByClient = true;
                    break;
                }
                if (n == 0) {
                    break;
                }
                s.append(readBuffer.array(), n);
            }
        } catch (IOException e) {
            closedByClient = true; // reset: the client closed with bytes unread
        }
        if (closedByClient) {
            CLIENT_CLOSED.incrementAndGet();
            s.clientClosedSeen();
            finish(s);
            return;
        }
        if (s.abandoned()) {
            finish(s);
            return;
        }
        s.pump();
    }

    private void finish(Stream s) {
        if (s.key != null) {
            s.key.cancel();
        }
        closeQuietly(s.channel);
        try {
            selector.selectNow(); // completes the cancelled channel's close (its descriptor)
        } catch (IOException e) {
            failure = "loopback server on port " + port + ": " + e;
        }
        if (active == s) {
            active = null;
        }
        s.markDone();
    }

    private void closeQuietly(java.nio.channels.Channel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                failure = "closing a channel of the loopback server on port " + port + ": " + e;
            }
        }
    }

    /** One stream's connection: the server's bytes and segments, what the client wrote. */
    final class Stream implements ServerLink {
        private final byte[] data;
        private final int[] ends;
        private final boolean[] late;
        // server thread only
        SocketChannel channel;
        SelectionKey key;
        private int segment;
        /** When the next segment is due (a late one), 0: now. */
        volatile long nextWriteNanos;
        /** Every byte was written and the output shut, or a write failed. */
        volatile boolean outputDone;
        private volatile int sent;
        // guarded by this
        private boolean wasAccepted;
        private boolean closedSeen;
        private boolean done;
        private boolean abandoned;
        private byte[] written = new byte[64];
        private int writtenLength;
        private String writeFailure;

        Stream(byte[] data, int[] ends, boolean[] late) {
            this.data = data;
            this.ends = ends;
            this.late = late;
        }

        /** Writes the segments that are due, as far as the socket takes them (server thread). */
        void pump() {
            long now = System.nanoTime();
            while (!outputDone) {
                if (nextWriteNanos != 0 && now - nextWriteNanos < 0) {
                    return;
                }
                nextWriteNanos = 0;
                int end = ends[segment];
                try {
                    if (sent < end) {
                        int n = channel.write(ByteBuffer.wrap(data, sent, end - sent));
                        sent += n;
                        if (sent < end) {
                            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                            return;
                        }
                        key.interestOps(SelectionKey.OP_READ);
                    }
                    if (segment == ends.length - 1) {
                        channel.shutdownOutput(); // the end of stream; the client's writes are still read
                        outputDone = true;
                        return;
                    }
                } catch (IOException e) {
                    synchronized (this) {
                        writeFailure = e.toString();
                    }
                    outputDone = true; // the client closed (it will be seen by the next read)
                    return;
                }
                if (late[segment]) {
                    now = System.nanoTime();
                    nextWriteNanos = now + LATE_NANOS;
                }
                segment++;
            }
        }

        synchronized void append(byte[] b, int n) {
            if (writtenLength + n > written.length) {
                written = Arrays.copyOf(written, Math.max(written.length * 2, writtenLength + n));
            }
            System.arraycopy(b, 0, written, writtenLength, n);
            writtenLength += n;
        }

        synchronized void accepted() {
            wasAccepted = true;
            notifyAll();
        }

        synchronized void clientClosedSeen() {
            closedSeen = true;
            notifyAll();
        }

        synchronized void markDone() {
            done = true;
            notifyAll();
        }

        synchronized boolean abandoned() {
            return abandoned;
        }

        @Override
        public long progress() {
            return sent + (outputDone ? 1 : 0);
        }

        @Override
        public boolean givesUp(long idleSinceNanos) {
            return System.nanoTime() - idleSinceNanos >= CHECK_IDLE_NANOS;
        }

        @Override
        public void pause() {
            LockSupport.parkNanos(this, CHECK_PAUSE_NANOS);
        }

        @Override
        public String stallReason(int dataLength) {
            return outputDone && sent == dataLength
                    ? "all bytes read, end of stream never reported (the server sent every byte and half-closed "
                            + TimeUnit.NANOSECONDS.toMillis(CHECK_IDLE_NANOS) + " ms before)"
                    : "stopped reading with " + (dataLength - sent) + " bytes left (not taken by the client's socket)";
        }

        /**
         * Whether the server saw the client's close within {@link #CLOSE_WAIT_NANOS}; true at once when
         * the connection was never accepted (the client's connect failed: nothing of it is open here).
         */
        @Override
        public boolean clientClosed() {
            return clientClosedWithin(TimeUnit.NANOSECONDS.toMillis(CLOSE_WAIT_NANOS));
        }

        /** {@link #clientClosed()} with a wait of at most {@code millis}. */
        synchronized boolean clientClosedWithin(long millis) {
            awaitWhile(() -> wasAccepted && !closedSeen && !done, TimeUnit.MILLISECONDS.toNanos(millis));
            return !wasAccepted || closedSeen;
        }

        @Override
        public byte[] written() {
            awaitDone();
            synchronized (this) {
                return Arrays.copyOf(written, writtenLength);
            }
        }

        @Override
        public void end() {
            synchronized (this) {
                abandoned = true;
            }
            selector.wakeup();
            awaitDone();
        }

        private synchronized void awaitDone() {
            awaitWhile(() -> !done && (wasAccepted || abandoned), CLOSE_WAIT_NANOS);
        }

        /**
         * Waits (holding this monitor) while {@code condition} holds, at most {@code nanos}. An
         * interrupt (the watchdog's) does not end the wait, which is bounded anyway; it is set again after it.
         */
        private void awaitWhile(java.util.function.BooleanSupplier condition, long nanos) {
            long deadline = System.nanoTime() + nanos;
            boolean interrupted = false;
            while (condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** How the server's writing ended, for the report of a finding. */
        synchronized String writeFailure() {
            return writeFailure;
        }
    }
}
