package io.umqtt.simple;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;

/**
 * {@link Transport} over plain TCP on a non-blocking {@link SocketChannel} (Nagle off; the name
 * looked up by {@link HostResolver} within the connect timeout).
 * <p>
 * Why a channel: reading a {@code java.net.Socket} into a heap array makes the JDK take a
 * temporary direct buffer from a cache per thread whose array has 1024 slots (about 4 KiB of heap
 * for every thread that ever read a socket, and each connection has its own reader thread). This
 * transport reads into and writes from direct buffers taken for each system call from a pool
 * shared by all connections ({@link DirectBuffers}) and copies to and from the reader's and
 * writer's arrays, so no thread gets that cache and no connection holds a direct buffer. A read
 * tries the channel first and waits on the connection's own {@link Selector} only when nothing is
 * there (read, wait, read: as a socket's timed read does); a write that the channel does not take
 * at once waits on a second selector, made only the first time the broker stops reading. The
 * price: the selector's own heap (0.5 to 1 KB, less than the cache) and descriptors (an epoll
 * descriptor and an eventfd; on Java 11 to 16 a pipe, two), see docs/ARCHITECTURE.md "nio".
 * <p>
 * Threading as in {@link Transport}: one reader, one writer at a time (under {@link Outbound}'s
 * lock), {@link #close} from any thread: it closes the channel and the selectors, which wakes a
 * waiting reader or writer at once. An interrupt does not end a read or write and does not close
 * the channel (a {@code java.net.Socket} ignores it too; a blocking channel would close): a wait
 * woken by it waits on, and the interrupt flag is set again when the call returns.
 */
final class TcpTransport implements Transport {
    /**
     * The system property that chooses plain TCP's transport: {@code channel} (the default, this
     * class) or {@code socket} ({@link SocketTransport}, a {@code java.net.Socket}: one descriptor
     * per connection and no selector, but the per-thread cache; also what a
     * {@code SocketImplFactory} can stand in for, as the fuzzer's in-memory sockets do). Read at
     * each connect.
     */
    static final String PROPERTY = "io.umqtt.simple.tcp";
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());
    /** A selector's ready keys are not collected: nothing allocated per wake-up. */
    private static final Consumer<SelectionKey> IGNORE = k -> {
    };

    /** Guarded by this object, as the creation of the channel and the selectors. */
    private boolean closed;
    private volatile SocketChannel channel;
    /** The reader's selector: OP_CONNECT while connecting, then OP_READ. */
    private volatile Selector readSelector;
    /** The writer's selector (OP_WRITE), made the first time a write waits. */
    private volatile Selector writeSelector;
    /** The end of stream was read (reader only): {@link #readAvailable} returned 0 for it. */
    private boolean eof;

    /** A new plain TCP transport as {@link #PROPERTY} chooses. */
    static Transport plain() {
        return "socket".equals(System.getProperty(PROPERTY)) ? new SocketTransport() : new TcpTransport();
    }

    @Override
    public void open(String server, int port, int timeoutMillis, long deadline, TlsConnector.Deadline guard)
            throws IOException {
        guard.watch(new Closer(this));
        try {
            SocketChannel ch;
            Selector selector;
            synchronized (this) {
                if (closed) {
                    throw closedException(null);
                }
                channel = ch = SocketChannel.open();
                readSelector = selector = Selector.open();
            }
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            // the lookup of a name counts into the connect timeout too
            InetSocketAddress address = HostResolver.resolve(server, port, timeoutMillis, deadline);
            long connectDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, Math.min(
                    timeoutMillis, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            if (ch.connect(address)) {
                ch.register(selector, SelectionKey.OP_READ);
            } else {
                finishConnect(ch, selector, connectDeadline, server, port, timeoutMillis);
            }
        } catch (ClosedChannelException | ClosedSelectorException | CancelledKeyException e) {
            // closed meanwhile (a disconnect or close during the TCP connect): the key was cancelled
            close();
            throw closedException(e);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private static void finishConnect(SocketChannel ch, Selector selector, long connectDeadline, String server,
            int port, int timeoutMillis) throws IOException {
        SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
        boolean interrupted = false;
        try {
            while (!ch.finishConnect()) {
                long left = connectDeadline - System.nanoTime();
                if (left <= 0) {
                    throw new MqttException(Reason.TIMEOUT, "TCP connect to " + server + ":" + port
                            + " did not complete within " + timeoutMillis + " ms");
                }
                interrupted |= select(selector, toMillis(left));
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        key.interestOps(SelectionKey.OP_READ);
    }

    @Override
    public int readAvailable(byte[] b, int off, int len) throws IOException {
        int n = readNow(b, off, len);
        return Math.max(n, 0);
    }

    @Override
    public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
        int n = readNow(b, off, len);
        if (n != 0) {
            return n;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        boolean interrupted = false;
        try {
            while (true) {
                long waitMillis = 0; // no limit
                if (timeoutMillis > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return 0;
                    }
                    waitMillis = toMillis(left);
                }
                interrupted |= select(readSelector, waitMillis);
                n = readNow(b, off, len);
                if (n != 0) {
                    return n;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Reads what the channel has now into {@code b[off..off+len)}, through a pooled direct buffer;
     * -1 at the end of stream (also every time after it was seen).
     */
    private int readNow(byte[] b, int off, int len) throws IOException {
        if (eof) {
            return -1;
        }
        SocketChannel ch = channel;
        int total = 0;
        ByteBuffer buffer = DirectBuffers.take();
        try {
            while (total < len) {
                int limit = Math.min(len - total, buffer.capacity());
                buffer.clear().limit(limit);
                int n = ch.read(buffer);
                if (n < 0) {
                    eof = true;
                    return total > 0 ? total : -1;
                }
                buffer.flip();
                buffer.get(b, off + total, n);
                total += n;
                if (n < limit) {
                    break; // the channel had no more
                }
            }
        } catch (ClosedChannelException e) {
            throw closedException(e);
        } finally {
            DirectBuffers.give(buffer);
        }
        return total;
    }

    @Override
    public boolean pollsByReading() {
        return false;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        SocketChannel ch = channel;
        boolean interrupted = false;
        try {
            while (len > 0) {
                int n;
                ByteBuffer buffer = DirectBuffers.take();
                try {
                    buffer.put(b, off, Math.min(len, buffer.capacity())).flip();
                    n = ch.write(buffer);
                } finally {
                    DirectBuffers.give(buffer);
                }
                off += n;
                len -= n;
                if (n == 0) {
                    // the broker does not read: wait (no buffer held); the write watchdog bounds it by closing
                    interrupted |= select(writeSelector(ch), 0);
                }
            }
        } catch (ClosedChannelException e) {
            throw closedException(e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Selector writeSelector(SocketChannel ch) throws IOException {
        Selector s = writeSelector;
        if (s == null) {
            synchronized (this) {
                if (closed) {
                    throw closedException(null);
                }
                s = Selector.open();
                try {
                    ch.register(s, SelectionKey.OP_WRITE);
                } catch (IOException | RuntimeException e) {
                    closeQuietly(s);
                    throw e;
                }
                writeSelector = s;
            }
        }
        return s;
    }

    /**
     * Waits until {@code s} has a ready key, at most {@code millis} (0: until woken); returns
     * whether an interrupt woke it (the flag is cleared: the caller sets it again when it returns).
     */
    private static boolean select(Selector s, long millis) throws IOException {
        try {
            s.select(IGNORE, millis);
        } catch (ClosedSelectorException e) {
            throw closedException(e);
        }
        return Thread.interrupted();
    }

    private static long toMillis(long nanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
    }

    /** What a read or write of a closed connection throws (as a closed {@code java.net.Socket}). */
    private static SocketException closedException(Exception cause) {
        SocketException e = new SocketException("Socket closed");
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    @Override
    public void close() {
        SocketChannel ch;
        Selector r;
        Selector w;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            ch = channel;
            r = readSelector;
            w = writeSelector;
        }
        // the channel first, so that a woken reader or writer finds it closed; closing a selector
        // wakes its waiter and deregisters the channel, which closes the socket's descriptor
        closeQuietly(ch);
        closeQuietly(r);
        closeQuietly(w);
    }

    @Override
    public void abort() {
        close(); // no protocol layer to bypass
    }

    @Override
    public Socket tcp() {
        SocketChannel ch = channel;
        return ch == null ? null : ch.socket();
    }

    @Override
    public IOException explainFailure(String server, int port, IOException e) {
        return null;
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing socket channel or selector failed", e);
            }
        }
    }

    /**
     * What the connect deadline closes ({@link TlsConnector.Deadline} closes a {@link Socket}):
     * closes the whole transport, so that a reader waiting on the selector wakes at once. Only
     * {@link #close()} is used; made per connect, not kept.
     */
    private static final class Closer extends Socket {
        private final TcpTransport transport;

        Closer(TcpTransport transport) throws SocketException {
            super((SocketImpl) null);
            this.transport = transport;
        }

        @Override
        public void close() {
            transport.close();
        }

        @Override
        public boolean isClosed() {
            synchronized (transport) {
                return transport.closed;
            }
        }

        @Override
        public boolean isConnected() {
            SocketChannel ch = transport.channel;
            return ch != null && ch.isConnected();
        }

        @Override
        public String toString() {
            return "connect deadline of " + transport.channel;
        }
    }
}
