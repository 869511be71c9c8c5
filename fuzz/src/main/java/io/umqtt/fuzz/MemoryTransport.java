package io.umqtt.fuzz;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOptions;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory stand-in for TCP, so that a stream costs microseconds instead of a loopback
 * connection. {@link #install()} has {@code MqttClient} open its plain TCP with {@code new Socket()}
 * (system property {@code io.umqtt.simple.tcp=socket}; by default it uses a {@code SocketChannel})
 * and makes every such socket of this JVM a {@link MemorySocket} through
 * {@link Socket#setSocketImplFactory}, so the client's reading and writing logic is driven unchanged
 * (the channel transport is fuzzed over real loopback TCP by {@link LoopbackServer}). A socket connects to the
 * {@link Connection} that the connecting thread {@link #prepare prepared}; with none it refuses
 * (this JVM opens no real client sockets once installed).
 * <p>
 * A {@link Connection} serves fixed server bytes in segments and then ends the stream (the server
 * closes its side, half-close: the client's writes keep succeeding and are recorded). Nothing ever
 * blocks: every byte has "arrived" by the time it is read, except that a <em>late</em> segment
 * boundary makes one {@code available()} call report 0 first, as a poll that comes just before the
 * next TCP segment. Thread-safe: a watchdog may close a socket while the driver uses it.
 */
final class MemoryTransport {
    private MemoryTransport() {
    }

    /** The client's system property that chooses its plain TCP transport: {@code socket} or {@code channel}. */
    static final String TCP_PROPERTY = "io.umqtt.simple.tcp";
    private static final ThreadLocal<Connection> PREPARED = new ThreadLocal<>();
    private static final AtomicLong OPENED = new AtomicLong();
    private static final AtomicLong CLOSED = new AtomicLong();
    private static boolean installed;

    /** Makes every client socket of this JVM an in-memory one; idempotent. */
    @SuppressWarnings("deprecation") // setSocketImplFactory: the only way to hand MqttClient a socket without a hook
    static synchronized void install() {
        // plain TCP on a java.net.Socket (by default the client uses a SocketChannel, which a
        // SocketImplFactory cannot stand in for); the client reads the property at each connect
        // (set at every install: the channel mode of a run before, in the same JVM, sets "channel")
        System.setProperty(TCP_PROPERTY, "socket");
        if (installed) {
            return;
        }
        try {
            Socket.setSocketImplFactory(MemorySocket::new);
        } catch (IOException e) {
            throw new IllegalStateException("cannot install the in-memory socket factory (another factory is set): " + e,
                    e);
        }
        installed = true;
    }

    /** The connection the next socket connected by the current thread gets. */
    static void prepare(Connection c) {
        PREPARED.set(c);
    }

    /** Sockets connected so far. */
    static long opened() {
        return OPENED.get();
    }

    /** Sockets closed so far. */
    static long closed() {
        return CLOSED.get();
    }

    /** One server connection: the bytes the server sends, in segments, and what the client wrote. */
    static final class Connection implements ServerLink {
        private final byte[] data;
        /** End offsets of the segments, ascending, the last == data.length. */
        private final int[] ends;
        private final boolean[] late;
        private int pos;
        private int segment;
        private boolean lateServed;
        private boolean connected;
        private boolean closed;
        private boolean eofRead;
        private long reads;
        private byte[] written = new byte[64];
        private int writtenLength;

        Connection(byte[] data, int[] ends, boolean[] late) {
            this.data = data;
            this.ends = ends;
            this.late = late;
        }

        synchronized void connect() {
            connected = true;
            OPENED.incrementAndGet();
        }

        synchronized int read(byte[] b, int off, int len) throws IOException {
            checkOpen();
            reads++;
            if (len == 0) {
                return 0;
            }
            if (pos == data.length) {
                eofRead = true;
                return -1;
            }
            if (pos == ends[segment]) {
                segment++; // the next segment arrives
                lateServed = false;
            }
            int n = Math.min(len, ends[segment] - pos);
            System.arraycopy(data, pos, b, off, n);
            pos += n;
            return n;
        }

        synchronized int available() throws IOException {
            checkOpen();
            reads++;
            if (pos < data.length && pos == ends[segment]) {
                if (late[segment] && !lateServed) {
                    lateServed = true;
                    return 0;
                }
                segment++;
                lateServed = false;
            }
            return pos == data.length ? 0 : ends[segment] - pos;
        }

        synchronized void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new SocketException("Socket closed");
            }
            if (writtenLength + len > written.length) {
                written = Arrays.copyOf(written, Math.max(written.length * 2, writtenLength + len));
            }
            System.arraycopy(b, off, written, writtenLength, len);
            writtenLength += len;
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                if (connected) {
                    CLOSED.incrementAndGet();
                }
            }
        }

        private void checkOpen() throws SocketException {
            if (closed) {
                throw new SocketException("Socket closed");
            }
        }

        synchronized boolean isClosed() {
            return closed;
        }

        synchronized boolean isConnected() {
            return connected;
        }

        /** Whether the client read all server bytes. */
        synchronized boolean allRead() {
            return pos == data.length;
        }

        /** Whether the client read the end of the stream (-1). */
        synchronized boolean eofRead() {
            return eofRead;
        }

        /** Reads and {@code available()} calls so far: progress of a polling client. */
        synchronized long reads() {
            return reads;
        }

        /** Server bytes read by the client so far. */
        synchronized int position() {
            return pos;
        }

        @Override
        public synchronized byte[] written() {
            return Arrays.copyOf(written, writtenLength);
        }

        @Override
        public long progress() {
            return position();
        }

        /** Every byte has arrived: a poll that finds nothing will find nothing later either. */
        @Override
        public boolean givesUp(long idleSinceNanos) {
            return true;
        }

        @Override
        public void pause() {
            // nothing to wait for
        }

        @Override
        public String stallReason(int dataLength) {
            return allRead() ? "all bytes read, end of stream never reported"
                    : "stopped reading with " + (dataLength - position()) + " bytes left";
        }

        @Override
        public boolean clientClosed() {
            return isClosed();
        }

        @Override
        public void end() {
            // nothing held
        }
    }

    /** The socket implementation behind {@code new Socket()} once installed. */
    static final class MemorySocket extends SocketImpl {
        private Connection connection;
        private int soTimeout;
        private final InputStream input = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return connection().read(b, off, len);
            }

            @Override
            public int available() throws IOException {
                return connection().available();
            }

            @Override
            public void close() {
                MemorySocket.this.close();
            }
        };
        private final OutputStream output = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                connection().write(b, off, len);
            }

            @Override
            public void close() {
                MemorySocket.this.close();
            }
        };

        private synchronized Connection connection() throws SocketException {
            if (connection == null) {
                throw new SocketException("not connected");
            }
            return connection;
        }

        @Override
        protected void create(boolean stream) {
            // nothing to create
        }

        private synchronized void attach(InetAddress to, int toPort) throws IOException {
            Connection c = PREPARED.get();
            if (c == null) {
                throw new ConnectException("in-memory transport: no connection prepared for thread "
                        + Thread.currentThread().getName() + " (this JVM has no real client sockets)");
            }
            PREPARED.remove();
            connection = c;
            address = to;
            port = toPort;
            localport = 50_000;
            c.connect();
        }

        @Override
        protected void connect(String host, int port) throws IOException {
            attach(InetAddress.getByName(host), port);
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            attach(address, port);
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            InetSocketAddress a = (InetSocketAddress) address;
            attach(a.getAddress(), a.getPort());
        }

        /** Half-closes mean nothing to a stream whose server bytes are fixed: accepted and ignored. */
        @Override
        protected void shutdownInput() {
            // nothing to do
        }

        @Override
        protected void shutdownOutput() {
            // nothing to do
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw new SocketException("in-memory transport: bind is not supported");
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw new SocketException("in-memory transport: listen is not supported");
        }

        @Override
        protected void accept(SocketImpl s) throws IOException {
            throw new SocketException("in-memory transport: accept is not supported");
        }

        @Override
        protected InputStream getInputStream() {
            return input;
        }

        @Override
        protected OutputStream getOutputStream() {
            return output;
        }

        @Override
        protected int available() throws IOException {
            return connection().available();
        }

        @Override
        protected void close() {
            Connection c;
            synchronized (this) {
                c = connection;
            }
            if (c != null) {
                c.close();
            }
        }

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw new SocketException("in-memory transport: urgent data is not supported");
        }

        @Override
        public void setOption(int optID, Object value) throws SocketException {
            if (optID == SocketOptions.SO_TIMEOUT) {
                soTimeout = (Integer) value;
            }
            // TCP_NODELAY and the rest mean nothing in memory
        }

        @Override
        public Object getOption(int optID) throws SocketException {
            switch (optID) {
                case SocketOptions.SO_TIMEOUT:
                    return soTimeout;
                case SocketOptions.TCP_NODELAY:
                case SocketOptions.SO_KEEPALIVE:
                case SocketOptions.SO_OOBINLINE:
                    return Boolean.FALSE;
                case SocketOptions.SO_LINGER:
                    return -1;
                case SocketOptions.SO_RCVBUF:
                case SocketOptions.SO_SNDBUF:
                    return 65_536;
                default:
                    return null;
            }
        }
    }
}
