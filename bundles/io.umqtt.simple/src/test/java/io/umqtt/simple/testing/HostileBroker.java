package io.umqtt.simple.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A scriptable fake MQTT broker that misbehaves on purpose: the harness of the hostile-broker
 * tests (and of any test that needs a broker doing what no real broker does).
 * <p>
 * It listens on a loopback port. Each client connection is played by a {@link Script}, a piece of
 * test code that reads and writes raw bytes through a {@link Conn}, on a broker thread of its own
 * (named {@code hostile-broker-N}). A script is plain Java, so any behaviour can be written; the
 * {@link Conn} methods and the packet builders make the usual ones one line each:
 *
 * <pre>
 * try (HostileBroker broker = new HostileBroker()) {
 *     HostileBroker.Session s = broker.play(c -&gt; {
 *         c.acceptConnect();                                   // read CONNECT, answer CONNACK 0
 *         c.flood(i -&gt; HostileBroker.publish("t", "x", 1, i % 65535 + 1), 1_000_000); // and never read
 *     });
 *     MqttClient client = new MqttClient("id", HostileBroker.HOST, broker.port());
 *     client.connect(true);
 *     ...
 *     assertTrue(s.conn().awaitClientClose(5_000), "the client closed the socket");
 *     s.awaitEnd(5_000);                                       // rethrows what the script threw
 * }
 * </pre>
 *
 * Behaviours ready to use on a {@link Conn}:
 * <ul>
 * <li>{@link Conn#acceptConnect()}, {@link Conn#readPacket()}, {@link Conn#expect(int)}: play the
 * protocol; every packet read is kept in {@link Conn#packetsRead()};</li>
 * <li>{@link Conn#write(byte[]...)}: any bytes: half packets, garbage ({@link #garbage(long, int)}),
 * headers announcing huge packets ({@link #header(int, int)});</li>
 * <li>{@link Conn#trickle(byte[], long)}: one byte at a time with a pause between;</li>
 * <li>{@link Conn#flood(IntFunction, int)}: writes packets without reading (a broker that stops
 * reading: with a small {@link #receiveBufferSize(int) receive buffer} the client's writes block
 * soon);</li>
 * <li>{@link Conn#silence(long)}: never answers (reads and discards) until the client closes;
 * {@link Conn#stopReading(long)}: neither reads nor writes for a while;</li>
 * <li>{@link Conn#close()}: closes at that point (after half a packet: a truncated stream).</li>
 * </ul>
 * A later connection of the same client (a reconnect) is played by the next {@link #play(Script)}
 * call, or {@link #playEvery(Script)} plays every connection with one script (reconnect storms).
 * <p>
 * What a test asserts with it: the outcome the client reports (exception type and message), that
 * it came before a generous deadline (never a tight timing), and that nothing was left behind:
 * {@link Conn#awaitClientClose(long)} checks that the client closed its socket, and
 * {@link ThreadCheck} that the client's threads ended.
 * <p>
 * Threading: scripts run on the broker's threads; {@link Conn} is used by its script (and may be
 * read by the test thread after {@link Session#awaitEnd(long)}). {@link #close()} closes the
 * server socket and every accepted connection, which ends every script blocked in I/O.
 */
public final class HostileBroker implements AutoCloseable {
    /** The loopback address it listens on. */
    public static final String HOST = "127.0.0.1";

    /** One broker connection's behaviour. */
    @FunctionalInterface
    public interface Script {
        void play(Conn c) throws Exception;
    }

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ServerSocket server;
    private final List<Conn> conns = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public HostileBroker() throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new java.net.InetSocketAddress(InetAddress.getByName(HOST), 0), 50);
    }

    /**
     * Sets the receive buffer of connections accepted from now on: a small one (e.g. 4096) makes a
     * client that writes to a broker that does not read block after a few kilobytes.
     */
    public HostileBroker receiveBufferSize(int bytes) throws IOException {
        server.setReceiveBufferSize(bytes);
        return this;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Accepts the next connection (at most 10 s) for the test to drive itself. */
    public Conn accept() throws IOException {
        server.setSoTimeout(10_000);
        Socket s = server.accept();
        Conn c = new Conn(s);
        conns.add(c);
        return c;
    }

    /** Accepts the next connection on a broker thread and plays {@code script} on it. */
    public Session play(Script script) {
        Session session = new Session();
        Thread t = new Thread(() -> {
            try {
                Conn c = accept();
                session.conn = c;
                session.accepted.countDown();
                script.play(c);
            } catch (Throwable e) {
                if (!closed) {
                    session.failure = e;
                }
            } finally {
                session.accepted.countDown();
                session.ended.countDown();
            }
        }, "hostile-broker-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return session;
    }

    /**
     * Plays {@code script} on every connection until {@link #close()}; returns how many
     * connections were accepted so far (a live counter).
     */
    public AtomicInteger playEvery(Script script) {
        AtomicInteger accepted = new AtomicInteger();
        Thread t = new Thread(() -> {
            while (!closed) {
                try {
                    server.setSoTimeout(0);
                    Socket s = server.accept();
                    accepted.incrementAndGet();
                    Conn c = new Conn(s);
                    conns.add(c);
                    try {
                        script.play(c);
                    } catch (Exception e) {
                        // the next connection gets its own chance; the client's side is what is tested
                    }
                } catch (IOException e) {
                    return; // closed
                }
            }
        }, "hostile-broker-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return accepted;
    }

    /** Closes the server socket and every connection, and waits (5 s at most) for the broker's threads. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Conn c : conns) {
            c.close();
        }
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The handle of one played connection. */
    public static final class Session {
        private final CountDownLatch accepted = new CountDownLatch(1);
        private final CountDownLatch ended = new CountDownLatch(1);
        private volatile Conn conn;
        private volatile Throwable failure;

        /** The connection, once accepted (waits at most 10 s). */
        public Conn conn() throws InterruptedException {
            if (!accepted.await(10, TimeUnit.SECONDS) || conn == null) {
                throw new AssertionError("the client did not connect to the hostile broker within 10 s");
            }
            return conn;
        }

        /** Waits for the script to end; rethrows what it threw. Returns false when still running. */
        public boolean awaitEnd(long millis) throws Exception {
            if (!ended.await(millis, TimeUnit.MILLISECONDS)) {
                return false;
            }
            Throwable f = failure;
            if (f instanceof Exception) {
                throw (Exception) f;
            }
            if (f instanceof Error) {
                throw (Error) f;
            }
            return true;
        }
    }

    /** A client connection, seen from the broker. */
    public static final class Conn implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final List<byte[]> packetsRead = new CopyOnWriteArrayList<>();
        private volatile boolean clientClosed;
        private volatile long written;
        private final CountDownLatch closedLatch = new CountDownLatch(1);
        /**
         * Set while {@link #relayHoldingFirstAnswer} relays: its thread alone reads from the client, and
         * counts this down once the client's end of stream (or reset) is relayed.
         */
        private volatile CountDownLatch relayedClientClose;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** Reads one whole packet (10 s at most); keeps it in {@link #packetsRead()}. */
        public byte[] readPacket() throws IOException {
            ByteArrayOutputStream packet = new ByteArrayOutputStream();
            int first = readByte();
            packet.write(first);
            int rem = 0;
            int shift = 0;
            int digit;
            do {
                digit = readByte();
                packet.write(digit);
                rem |= (digit & 0x7F) << shift;
                shift += 7;
            } while ((digit & 0x80) != 0 && shift < 28);
            byte[] body = in.readNBytes(rem);
            if (body.length != rem) {
                clientClosed = true;
                throw new EOFException("client closed in the middle of a packet");
            }
            packet.write(body);
            byte[] p = packet.toByteArray();
            packetsRead.add(p);
            return p;
        }

        /** Reads one packet and checks its type (the high nibble of its first byte). */
        public byte[] expect(int type) throws IOException {
            byte[] p = readPacket();
            if ((p[0] & 0xFF) >>> 4 != type) {
                throw new IOException("expected packet type " + type + ", got " + HexFormat.of().formatHex(p));
            }
            return p;
        }

        /** Reads CONNECT and answers CONNACK (accepted, no session); returns the CONNECT. */
        public byte[] acceptConnect() throws IOException {
            byte[] connect = expect(1);
            write(connack(0, 0));
            return connect;
        }

        private int readByte() throws IOException {
            int b = in.read();
            if (b < 0) {
                clientClosed = true;
                throw new EOFException("client closed the connection");
            }
            return b;
        }

        /** Every packet {@link #readPacket()} has read, in order. */
        public List<byte[]> packetsRead() {
            return packetsRead;
        }

        public void write(byte[]... chunks) throws IOException {
            for (byte[] c : chunks) {
                out.write(c);
                written += c.length;
            }
            out.flush();
        }

        /** Writes one byte at a time, pausing {@code pauseMillis} between them. */
        public void trickle(byte[] bytes, long pauseMillis) throws IOException, InterruptedException {
            for (int i = 0; i < bytes.length; i++) {
                if (i > 0) {
                    Thread.sleep(pauseMillis); // the script's own pacing, not a wait for a result
                }
                out.write(bytes[i]);
                out.flush();
                written++;
            }
        }

        /**
         * Writes {@code count} packets ({@code packet.apply(i)}) without reading anything; stops early
         * (returning how many were written whole) when the client closes or resets the connection.
         */
        public int flood(IntFunction<byte[]> packet, int count) {
            for (int i = 0; i < count; i++) {
                try {
                    write(packet.apply(i));
                } catch (IOException e) {
                    clientClosed = true;
                    return i;
                }
            }
            return count;
        }

        /** How many bytes this connection has written to the client. */
        public long written() {
            return written;
        }

        /**
         * Neither reads nor writes for {@code millis} (a broker that stopped reading and answering);
         * returns early when the broker is closed.
         */
        public void stopReading(long millis) throws InterruptedException {
            closedLatch.await(millis, TimeUnit.MILLISECONDS);
        }

        /** Never answers: reads and discards until the client closes or {@code millis} pass. */
        public boolean silence(long millis) throws IOException {
            return drainUntilClose(millis);
        }

        /**
         * Reads and discards everything until the client closes the connection (end of stream or
         * reset) or {@code millis} pass; returns whether it closed. The bytes read are kept as
         * packets in {@link #packetsRead()} as far as they are whole.
         */
        public boolean drainUntilClose(long millis) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            try {
                while (true) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        return false;
                    }
                    socket.setSoTimeout((int) left);
                    readPacket();
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (IOException e) {
                clientClosed = true;
                return true;
            } finally {
                if (!socket.isClosed()) {
                    socket.setSoTimeout(10_000);
                }
            }
        }

        /**
         * Whether the client closed the connection within {@code millis}: reads (and discards)
         * until end of stream or a reset.
         */
        public boolean awaitClientClose(long millis) throws IOException {
            if (clientClosed) {
                return true;
            }
            CountDownLatch relayed = relayedClientClose;
            if (relayed != null) {
                // reading here would take bytes (a DISCONNECT) from the relay before it passed them on
                try {
                    return relayed.await(millis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the relayed client close");
                }
            }
            return drainUntilClose(millis);
        }

        /**
         * Relays this connection to a real broker at {@code host:port}: what the client sends goes
         * on at once; the broker's first packet (its CONNACK) is held back: {@code held} counts down
         * once it is read, and it goes to the client only when {@code release} opens. Then relays both
         * ways until either side closes, and closes the other. Returns when both directions ended.
         * Meanwhile {@link #awaitClientClose(long)} waits until the client's close is relayed (it does
         * not read from the client itself: everything the client sent reaches the broker).
         */
        public void relayHoldingFirstAnswer(String host, int port, CountDownLatch held, CountDownLatch release)
                throws IOException, InterruptedException {
            try (Socket up = new Socket(host, port)) {
                up.setTcpNoDelay(true);
                CountDownLatch relayed = new CountDownLatch(1);
                relayedClientClose = relayed;
                Thread toBroker = new Thread(() -> {
                    try {
                        in.transferTo(up.getOutputStream());
                    } catch (IOException e) {
                        // the client reset or the broker closed: close both below
                    }
                    clientClosed = true;
                    relayed.countDown();
                    try {
                        up.close();
                    } catch (IOException e) {
                        // closing
                    }
                }, "hostile-broker-relay-" + THREADS.incrementAndGet());
                toBroker.setDaemon(true);
                toBroker.start();
                InputStream fromBroker = up.getInputStream();
                byte[] first = new byte[4]; // CONNACK
                int n = fromBroker.readNBytes(first, 0, first.length);
                held.countDown();
                release.await(30, TimeUnit.SECONDS);
                try {
                    out.write(first, 0, n);
                    fromBroker.transferTo(out);
                } catch (IOException e) {
                    // either side closed
                }
                close();
                toBroker.join(10_000);
            }
        }

        /** Whether an earlier read or write saw the client close the connection. */
        public boolean clientClosed() {
            return clientClosed;
        }

        @Override
        public void close() {
            closedLatch.countDown();
            try {
                socket.close();
            } catch (IOException e) {
                throw new IllegalStateException("closing the broker's socket failed", e);
            }
        }
    }

    // ------------------------------------------------------------------ packets

    /** CONNACK with the session present flag and return code. */
    public static byte[] connack(int sessionPresent, int code) {
        return bytes(0x20, 0x02, sessionPresent, code);
    }

    public static byte[] puback(int id) {
        return bytes(0x40, 0x02, id >>> 8, id & 0xFF);
    }

    public static byte[] suback(int id, int code) {
        return bytes(0x90, 0x03, id >>> 8, id & 0xFF, code);
    }

    public static byte[] unsuback(int id) {
        return bytes(0xB0, 0x02, id >>> 8, id & 0xFF);
    }

    public static byte[] pingresp() {
        return bytes(0xD0, 0x00);
    }

    /** A PUBLISH (no DUP, no RETAIN) with a UTF-8 topic and payload; {@code id} is ignored at QoS 0. */
    public static byte[] publish(String topic, String payload, int qos, int id) {
        return publish(topic.getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8), qos, id);
    }

    /** A PUBLISH with the given bytes; {@code id} is ignored at QoS 0. */
    public static byte[] publish(byte[] topic, byte[] payload, int qos, int id) {
        int rem = 2 + topic.length + (qos > 0 ? 2 : 0) + payload.length;
        ByteArrayOutputStream b = new ByteArrayOutputStream(rem + 5);
        b.writeBytes(header(0x30 | qos << 1, rem));
        b.write(topic.length >>> 8);
        b.write(topic.length & 0xFF);
        b.writeBytes(topic);
        if (qos > 0) {
            b.write(id >>> 8);
            b.write(id & 0xFF);
        }
        b.writeBytes(payload);
        return b.toByteArray();
    }

    /** A fixed header only: the first byte and {@code remaining} as a variable byte integer. */
    public static byte[] header(int first, int remaining) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(5);
        b.write(first);
        int v = remaining;
        do {
            int digit = v & 0x7F;
            v >>>= 7;
            b.write(v > 0 ? digit | 0x80 : digit);
        } while (v > 0);
        return b.toByteArray();
    }

    /** {@code n} reproducible random bytes. */
    public static byte[] garbage(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** The first {@code n} bytes of a packet: half a packet. */
    public static byte[] prefix(byte[] packet, int n) {
        byte[] b = new byte[n];
        System.arraycopy(packet, 0, b, 0, n);
        return b;
    }

    /** Hex of a packet for messages. */
    public static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** Threads of the client library started since {@link ThreadCheck#start()}. */
    public static final class ThreadCheck {
        /** The shared watchdog of the simple client: one for all clients, not a per-client thread. */
        public static final String SHARED_WATCHDOG = "umqtt-watchdog";
        /** The shared flusher of corked writes: one for all clients, ending a second after its last flush. */
        public static final String SHARED_FLUSHER = "umqtt-flush";
        private final List<Long> before = new ArrayList<>();

        private ThreadCheck() {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                before.add(t.getId());
            }
        }

        public static ThreadCheck start() {
            return new ThreadCheck();
        }

        /**
         * Asserts that every thread started since {@link #start()} whose name begins with
         * {@code umqtt-} or {@code hostile-broker-} (except the shared watchdog and flusher) ends within
         * {@code millis}.
         */
        public void assertNoneLeft(long millis) throws InterruptedException {
            long start = System.nanoTime();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                String name = t.getName();
                if (before.contains(t.getId()) || name.equals(SHARED_WATCHDOG) || name.equals(SHARED_FLUSHER)
                        || !(name.startsWith("umqtt-") || name.startsWith("hostile-broker-"))) {
                    continue;
                }
                long allowed = millis;
                long deadline = start + TimeUnit.MILLISECONDS.toNanos(allowed);
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                if (t.isAlive()) {
                    throw new AssertionError("thread " + name + " is still running " + allowed + " ms later");
                }
            }
        }
    }
}
