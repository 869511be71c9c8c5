package io.umqtt.simple;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import javax.net.ssl.SSLSocket;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.internal.MqttStrings;
import io.umqtt.simple.internal.PacketIds;
import io.umqtt.simple.internal.WriteWatchdog;
import io.umqtt.simple.internal.codec.ConnackDecoder;
import io.umqtt.simple.internal.codec.ConnectEncoder;
import io.umqtt.simple.internal.codec.DisconnectEncoder;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.PingreqEncoder;
import io.umqtt.simple.internal.codec.PingrespDecoder;
import io.umqtt.simple.internal.codec.PubackDecoder;
import io.umqtt.simple.internal.codec.PubackEncoder;
import io.umqtt.simple.internal.codec.PublishDecoder;
import io.umqtt.simple.internal.codec.PublishEncoder;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.SubscribeEncoder;
import io.umqtt.simple.internal.codec.UnsubackDecoder;
import io.umqtt.simple.internal.codec.UnsubscribeEncoder;
import io.umqtt.simple.internal.codec.Wire;

/**
 * umqtt.simple in Java: an MQTT 3.1.1 client driven by its caller.
 * <p>
 * Like umqtt, it has one object for publishing and subscribing, topics and payloads are bytes,
 * received messages go to a {@link MessageCallback}, and the caller runs the loop with
 * {@link #waitMsg()} (blocking) or {@link #checkMsg()} (non-blocking), or hands a thread to
 * {@link #loop()}. Unlike umqtt it sends PINGREQs by itself while a loop step waits, declares a
 * connection dead after 1.5 &times; keepalive without a packet, times out every wait, reads every
 * packet whole, and may be used from many threads.
 *
 * <h2>Threading</h2>
 * Any thread may publish, subscribe and unsubscribe. Writes are serialised by a write lock.
 * Reading is done by one thread at a time, the <em>reader</em>: the thread in {@code waitMsg},
 * {@code checkMsg} or {@code loop}, or else a thread whose QoS 1 operation waits for its ack.
 * The reader completes every thread's acks by packet id and unparks only the threads waiting
 * for that ack; a thread that waits while another reads is parked until its ack is read or the
 * reader role is handed to it (first come, first served) when the reader leaves.
 * The callback runs on the reader; a QoS 1 operation it makes reads on until its own ack arrives,
 * and PUBLISHes read meanwhile are queued and delivered after the callback returns, so callbacks
 * never nest and recursion stays bounded. The queue is bounded
 * ({@value #MAX_QUEUED_WHILE_CALLBACK_WAITS} messages or 16 MiB): when it is full the reader stops
 * reading (TCP holds the broker back) and the operation times out unless its ack was already read.
 * <p>
 * Every write is bounded: a write that makes no progress for the {@link #setWriteTimeout write
 * timeout} is seen by one daemon thread shared by all clients, {@code umqtt-watchdog} (running
 * while any client is connected), which closes the socket: the connection is declared dead even
 * when the reader itself is the thread blocked in the write.
 * <p>
 * {@link #publishAsync} returns once the PUBLISH is written and keeps at most
 * {@link #setMaxInflight(int) maxInflight} of them unacknowledged; their PUBACKs are read by
 * whichever thread reads.
 */
public class MqttClient implements Closeable {
    /** The MQTT port without TLS. */
    public static final int DEFAULT_PORT = 1883;
    /** The MQTT port with TLS. */
    public static final int DEFAULT_TLS_PORT = 8883;
    /** Default for {@link #setConnectTimeout(int)}: 30 s. */
    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setAckTimeout(int)}: 30 s. */
    public static final int DEFAULT_ACK_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setReadTimeout(int)}: 30 s. */
    public static final int DEFAULT_READ_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setMaxPacketSize(int)}: 4 MiB. */
    public static final int DEFAULT_MAX_PACKET_SIZE = 4 * 1024 * 1024;
    /**
     * Default for {@link #setMaxInflight(int)}: 1,000 unacknowledged {@link #publishAsync} publishes.
     *
     * @since 1.1
     */
    public static final int DEFAULT_MAX_INFLIGHT = 1_000;

    /**
     * Default for {@link #setWriteTimeout(int)}: 30 s.
     *
     * @since 1.2
     */
    public static final int DEFAULT_WRITE_TIMEOUT_MILLIS = 30_000;
    /**
     * How many PUBLISHes read while a callback waits for an ack are queued for delivery after it
     * returns (see the class documentation); beyond it, or beyond 16 MiB of them, reading pauses.
     *
     * @since 1.2
     */
    public static final int MAX_QUEUED_WHILE_CALLBACK_WAITS = 1_000;

    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());

    private static final int INITIAL_READ_BUFFER = 512;
    private static final int INITIAL_WRITE_BUFFER = 256;
    /** Payloads up to this size are copied into the write buffer so a PUBLISH is one write. */
    private static final int MAX_INLINE_PAYLOAD = 16 * 1024;
    /** How long {@link #checkMsg()} lets a TLS socket look for a record (TLS hides what is buffered). */
    private static final int TLS_POLL_MILLIS = 1;
    /**
     * How often {@link #checkMsg()} on a plain socket with nothing available reads for 1 ms to see
     * the end of stream ({@code available()} is 0 both when nothing arrived and at the end); it also
     * reads once as soon as nothing is available after bytes arrived, so a close right after the
     * last packet is seen by the next poll.
     */
    private static final long EOF_PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Writes are watched in chunks: a large write fails when one chunk makes no progress in time. */
    private static final int WRITE_CHUNK = 64 * 1024;
    /** The bytes of PUBLISHes queued while a callback waits, beyond which reading pauses. */
    private static final long MAX_QUEUED_BYTES_WHILE_CALLBACK_WAITS = 16L * 1024 * 1024;

    private static final int WAIT = 0;
    private static final int POLL = 1;
    private static final int CONNACK = 2;

    // ---- configuration, fixed at construction ----
    private final String clientId;
    /** The broker; changed only between connections ({@link #setServer}). */
    private volatile String server;
    private volatile int port;
    private final byte[] user;
    private final byte[] password;
    private final int keepAliveSeconds;
    private final TlsSettings tls;

    // ---- settings, read at each use ----
    private volatile int connectTimeoutMillis = DEFAULT_CONNECT_TIMEOUT_MILLIS;
    private volatile int ackTimeoutMillis = DEFAULT_ACK_TIMEOUT_MILLIS;
    private volatile int readTimeoutMillis = DEFAULT_READ_TIMEOUT_MILLIS;
    private volatile int maxPacketSize = DEFAULT_MAX_PACKET_SIZE;
    private volatile int writeTimeoutMillis = DEFAULT_WRITE_TIMEOUT_MILLIS;
    private volatile int maxInflight = DEFAULT_MAX_INFLIGHT;
    private volatile MessageCallback callback;
    /** The last will; guarded by {@link #lock}. */
    private byte[] willTopic;
    private byte[] willMessage;
    private int willQos;
    private boolean willRetain;

    /** Guards the connection state, the reader role, the pending acks and the parked threads. */
    private final Object lock = new Object();
    /** Guarded by {@link #lock}; read without it for fast checks. */
    private volatile ConnectionState state = ConnectionState.CLOSED;
    /** Why the connection was lost; guarded by {@link #lock}. */
    private IOException failure;
    /** The thread that reads from the socket, or null; guarded by {@link #lock}. */
    private Thread reader;
    /** Packet id to the operation awaiting its ack; guarded by {@link #lock}. */
    private final Map<Integer, Pending> pending = new HashMap<>();
    /** Threads parked until the reader role is free, first come first served; guarded by {@link #lock}. */
    private final ArrayDeque<Waiter> readerWanted = new ArrayDeque<>(2);
    /** The unacknowledged {@link #publishAsync} publishes, oldest first; guarded by {@link #lock}. */
    private Pending asyncHead;
    private Pending asyncTail;
    private int asyncCount;
    /** Guarded by {@link #lock}. */
    private final PacketIds packetIds = new PacketIds();
    /** The current connection's socket and streams; replaced under {@link #lock} on connect. */
    private volatile Socket socket;
    private volatile InputStream in;
    private volatile OutputStream out;
    private volatile boolean secure;
    /** The TCP socket under TLS (or the socket itself); closed first when a write stalls. */
    private volatile Socket transport;
    /** The current connection's writes, as the shared {@link WriteWatchdog} sees them. */
    private volatile WriteWatchdog.Watch watch;
    /** Why the current connection was declared dead by a stalled write, or null. */
    private volatile MqttException stall;
    /** The socket whose CONNECT has been written; guarded by {@link #writeLock}. */
    private Socket connectWrittenOn;
    /** The socket a {@link #disconnect()} is sending DISCONNECT on, which {@link #close()} leaves to it. */
    private volatile Socket disconnectingOn;

    // ---- owned by the reader ----
    private byte[] rbuf = new byte[INITIAL_READ_BUFFER];
    private int rpos;
    private int rlen;
    private long partialSinceNanos;
    /** Whether {@code partialSinceNanos} runs: from when the reader began waiting for the packet's rest. */
    private boolean stallClockRunning;
    private long lastEofProbeNanos;
    /** The SO_TIMEOUT last set on the socket, -1 when unknown; set only when it changes (it boxes). */
    private int soTimeout = -1;
    private int callbackDepth;
    /** The PUBLISH last decoded (a flyweight over {@code rbuf}). */
    private final PublishDecoder publishDecoder = new PublishDecoder();
    private ArrayDeque<Received> deferred;
    private long deferredBytes;

    // ---- guarded by writeLock ----
    private final Object writeLock = new Object();
    private byte[] wbuf = new byte[INITIAL_WRITE_BUFFER];

    private volatile long lastSentNanos;
    private volatile long lastReceivedNanos;
    private volatile boolean pingOutstanding;
    private volatile long strayAcks;

    /**
     * A client for a broker without TLS, user or keepalive (umqtt's defaults). No I/O happens until
     * {@link #connect(boolean)}.
     */
    public MqttClient(String clientId, String server) {
        this(clientId, server, 0, null, (byte[]) null, 0, null);
    }

    /** A client for a broker on the given port, without TLS, user or keepalive. */
    public MqttClient(String clientId, String server, int port) {
        this(clientId, server, port, null, (byte[]) null, 0, null);
    }

    /**
     * A client; no I/O happens until {@link #connect(boolean)}.
     *
     * @param clientId the MQTT client identifier (may be empty, then only for a clean session)
     * @param server host name or address of the broker
     * @param port the broker's port; 0 means {@value #DEFAULT_PORT}, or {@value #DEFAULT_TLS_PORT} with TLS
     * @param user the user name, or {@code null}
     * @param password the password, or {@code null}; requires a user
     * @param keepAliveSeconds the MQTT keepalive, 0..65535; 0 turns keepalive off
     * @param tls TLS settings, or {@code null} for plain TCP
     * @throws IllegalArgumentException naming the bad argument: a client id or user with a lone
     *         surrogate or U+0000, a password with a lone surrogate, a string above 65,535 bytes
     */
    public MqttClient(String clientId, String server, int port, String user, String password, int keepAliveSeconds,
            TlsSettings tls) {
        this(clientId, server, port, user, password == null ? null : MqttStrings.utf8("password", password),
                keepAliveSeconds, tls);
    }

    /** As the other constructor, with the password as bytes (MQTT passwords are binary data). */
    public MqttClient(String clientId, String server, int port, String user, byte[] password, int keepAliveSeconds,
            TlsSettings tls) {
        MqttStrings.connectString("clientId", clientId);
        if (server == null || server.trim().isEmpty()) {
            throw new IllegalArgumentException("server must be a host name or address, found '" + server + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535 (0 = default), found " + port);
        }
        if (keepAliveSeconds < 0 || keepAliveSeconds > 65_535) {
            throw new IllegalArgumentException("keepAliveSeconds must be 0..65535, found " + keepAliveSeconds);
        }
        if (password != null && user == null) {
            throw new IllegalArgumentException("password requires a user: MQTT 3.1.1 has no password without user name");
        }
        this.clientId = clientId;
        this.server = server.trim();
        this.port = port != 0 ? port : tls != null ? DEFAULT_TLS_PORT : DEFAULT_PORT;
        this.user = user == null ? null : MqttStrings.connectString("user", user);
        if (password != null) {
            MqttStrings.checkConnectField("password", password);
        }
        this.password = password == null ? null : password.clone();
        this.keepAliveSeconds = keepAliveSeconds;
        this.tls = tls;
    }

    // ------------------------------------------------------------------ settings

    /** The client identifier. */
    public String clientId() {
        return clientId;
    }

    /** The broker's host. */
    public String server() {
        return server;
    }

    /** The broker's port (the default resolved). */
    public int port() {
        return port;
    }

    /** The keepalive in seconds; 0 = off. */
    public int keepAliveSeconds() {
        return keepAliveSeconds;
    }

    /** Whether TLS is used. */
    public boolean isTls() {
        return tls != null;
    }

    /**
     * Points the client at another broker for the next {@link #connect(boolean)} (failover).
     *
     * @param port 0 for the default port
     * @throws IllegalStateException while connected or connecting
     */
    protected final void setServer(String server, int port) {
        if (server == null || server.trim().isEmpty()) {
            throw new IllegalArgumentException("server must be a host name or address, found '" + server + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535 (0 = default), found " + port);
        }
        synchronized (lock) {
            if (state == ConnectionState.CONNECTED || state == ConnectionState.CONNECTING) {
                throw new IllegalStateException("cannot change the server while " + state);
            }
            this.server = server.trim();
            this.port = port != 0 ? port : tls != null ? DEFAULT_TLS_PORT : DEFAULT_PORT;
        }
    }

    /** Timeout for TCP connect, TLS handshake and CONNACK together; default 30 s. */
    public void setConnectTimeout(int millis) {
        connectTimeoutMillis = positive("connectTimeout", millis);
    }

    /** How long a QoS 1 publish, subscribe or unsubscribe waits for its ack; default 30 s. */
    public void setAckTimeout(int millis) {
        ackTimeoutMillis = positive("ackTimeout", millis);
    }

    /** How long the rest of a packet may take once its first byte arrived; default 30 s. */
    public void setReadTimeout(int millis) {
        readTimeoutMillis = positive("readTimeout", millis);
    }

    /**
     * How long one write to the socket may make no progress before the connection is declared
     * dead (the broker stopped reading) and closed; default 30 s. Writes are watched by one shared
     * daemon thread ({@code umqtt-watchdog}), since socket writes have no timeout of their own.
     *
     * @since 1.2
     */
    public void setWriteTimeout(int millis) {
        writeTimeoutMillis = positive("writeTimeout", millis);
    }

    /** The largest remaining length accepted from the broker; larger packets are a protocol error. */
    public void setMaxPacketSize(int bytes) {
        if (bytes < 2 || bytes > MqttConstants.MAX_REMAINING_LENGTH) {
            throw new IllegalArgumentException("maxPacketSize must be 2.." + MqttConstants.MAX_REMAINING_LENGTH
                    + ", found " + bytes);
        }
        maxPacketSize = bytes;
    }

    /**
     * How many QoS 1 {@link #publishAsync} publishes may await their PUBACK at once; a further
     * one waits until the oldest is acknowledged. Default {@value #DEFAULT_MAX_INFLIGHT}.
     * Lowering it lets the publishes already in flight complete.
     *
     * @throws IllegalArgumentException unless 1..65535
     * @since 1.1
     */
    public void setMaxInflight(int max) {
        if (max < 1 || max > PacketIds.MAX) {
            throw new IllegalArgumentException("maxInflight must be 1.." + PacketIds.MAX + ", found " + max);
        }
        maxInflight = max;
    }

    /**
     * The limit set with {@link #setMaxInflight(int)}.
     *
     * @since 1.1
     */
    public int maxInflight() {
        return maxInflight;
    }

    private static int positive(String name, int millis) {
        if (millis <= 0) {
            throw new IllegalArgumentException(name + " must be > 0 ms, found " + millis);
        }
        return millis;
    }

    /** Sets the receiver of PUBLISH packets (umqtt's {@code set_callback}). */
    public void setCallback(MessageCallback callback) {
        this.callback = callback;
    }

    /**
     * Sets the last will, sent with the next {@link #connect(boolean)} (umqtt's {@code set_last_will}).
     *
     * @throws IllegalArgumentException for a bad topic, a null message or QoS other than 0 and 1
     */
    public void setLastWill(byte[] topic, byte[] msg, boolean retain, int qos) {
        TopicFilter.validateTopicName(topic);
        if (msg == null) {
            throw new IllegalArgumentException("last will message must not be null (use an empty array)");
        }
        if (msg.length > MqttConstants.MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("last will message is " + msg.length + " bytes, the maximum is 65535");
        }
        checkQos(qos);
        synchronized (lock) {
            willTopic = topic.clone();
            willMessage = msg.clone();
            willRetain = retain;
            willQos = qos;
        }
    }

    /**
     * {@link #setLastWill(byte[], byte[], boolean, int)} with UTF-8 strings; a lone surrogate in
     * either is refused ({@code IllegalArgumentException}), never sent as '?'.
     */
    public void setLastWill(String topic, String msg, boolean retain, int qos) {
        setLastWill(utf8("topic", topic), utf8("msg", msg), retain, qos);
    }

    /** Removes the last will. */
    public void clearLastWill() {
        synchronized (lock) {
            willTopic = null;
            willMessage = null;
        }
    }

    // ------------------------------------------------------------------ state

    /** The connection state; {@link ConnectionState#CLOSED} before the first connect. */
    public ConnectionState state() {
        return state;
    }

    /** Whether CONNACK accepted the connection and it has not been lost or closed since. */
    public boolean isConnected() {
        return state == ConnectionState.CONNECTED;
    }

    /** Why the connection was lost, or {@code null}. */
    public IOException failure() {
        synchronized (lock) {
            return failure;
        }
    }

    /** How many acks arrived for packet ids nobody waited for (e.g. after an ack timeout). */
    public long strayAcks() {
        return strayAcks;
    }

    // ------------------------------------------------------------------ connect / disconnect

    /** Connects with the configured connect timeout; returns the CONNACK's Session Present flag. */
    public boolean connect(boolean cleanSession) throws IOException {
        return connect(cleanSession, connectTimeoutMillis);
    }

    /**
     * Opens the socket (and TLS), sends CONNECT and waits for CONNACK, all within
     * {@code timeoutMillis}.
     *
     * @return the Session Present flag
     * @throws MqttException CONNECTION_REFUSED with the CONNACK return code when the broker refuses;
     *         TIMEOUT when it does not answer in time; PROTOCOL_ERROR for a bad answer
     * @throws IOException when the socket or TLS fails
     * @throws IllegalStateException when already connected
     * @throws IllegalArgumentException for {@code cleanSession} false with an empty client id,
     *         which MQTT 3.1.1 forbids (MQTT-3.1.3-7): nothing is sent
     */
    public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        positive("timeout", timeoutMillis);
        if (!cleanSession && clientId.isEmpty()) {
            throw new IllegalArgumentException("cannot connect to " + server + ":" + port + " without clean session: "
                    + "the client id is empty, and MQTT 3.1.1 allows an empty client id only with clean session "
                    + "(MQTT-3.1.3-7); give the client an id to keep a session");
        }
        byte[] connect = takeReaderToConnect(cleanSession, timeoutMillis);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        TlsConnector.Deadline guard = TlsConnector.Deadline.at(deadline); // closes the socket when time is up
        Socket s = null;
        try {
            s = openSocket(timeoutMillis, deadline, guard);
            resetReader();
            synchronized (lock) {
                if (state != ConnectionState.CONNECTING) {
                    throw new IOException("connect to " + server + ":" + port + " aborted: the client was closed");
                }
                socket = s;
                in = s.getInputStream();
                out = s.getOutputStream();
                secure = tls != null;
                stall = null;
                Socket connection = s;
                Socket raw = transport;
                watch = WriteWatchdog.register(w -> writeStalled(w, connection, raw));
            }
            long now = System.nanoTime();
            lastReceivedNanos = now;
            pingOutstanding = false;
            synchronized (writeLock) {
                synchronized (lock) {
                    if (state != ConnectionState.CONNECTING) {
                        throw new IOException("connect to " + server + ":" + port
                                + " aborted before CONNECT was sent: the client was disconnected or closed");
                    }
                }
                long left = Math.max(deadline - now, TimeUnit.MILLISECONDS.toNanos(1));
                sendWithin(connect, 0, connect.length,
                        Math.min(left, TimeUnit.MILLISECONDS.toNanos(writeTimeoutMillis)));
                connectWrittenOn = s; // from now on a disconnect() sends DISCONNECT: the will must not fire
            }
            int total = readPacket(CONNACK, deadline, false);
            if (total == 0) {
                throw new MqttException(Reason.TIMEOUT, "no CONNACK from " + server + ":" + port + " within "
                        + timeoutMillis + " ms");
            }
            boolean sessionPresent = readConnack(total, cleanSession);
            if (!guard.disarm()) {
                throw new SocketException("connect deadline passed");
            }
            synchronized (lock) {
                if (state != ConnectionState.CONNECTING) {
                    throw new IOException("connection to " + server + ":" + port + " was closed while connecting");
                }
                state = ConnectionState.CONNECTED;
            }
            return sessionPresent;
        } catch (IOException | RuntimeException e) {
            IOException explained = guard.expired() && !(e instanceof MqttException)
                    ? guard.timeout(server, port, timeoutMillis, socket, s, e)
                    : e instanceof IOException ? explainTlsRefusal(s, (IOException) e) : null;
            IOException cause = explained != null ? explained : e instanceof IOException ? (IOException) e
                    : new IOException("connect to " + server + ":" + port + " failed: " + e, e);
            if (explained != null) {
                synchronized (lock) {
                    if (failure == e) { // the failed write or read recorded it already: tell the cause there too
                        failure = explained;
                    }
                }
            }
            fail(cause);
            boolean closer;
            synchronized (lock) {
                // disconnect() or close() came meanwhile: it closes this socket (after its DISCONNECT)
                closer = state == ConnectionState.CLOSED && socket == s && s != null;
            }
            if (!closer) {
                closeQuietly(s);
                unwatch();
            }
            if (explained != null) {
                throw explained;
            }
            throw e;
        } finally {
            guard.disarm();
            releaseReader(true);
        }
    }

    /**
     * Waits until the previous connection's reader, if any, has left (it leaves as soon as it sees
     * the closed socket), then takes the reader role, moves to CONNECTING and encodes CONNECT.
     */
    private byte[] takeReaderToConnect(boolean cleanSession, int timeoutMillis) throws IOException {
        Thread me = Thread.currentThread();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Waiter w = null;
        try {
            while (true) {
                String previous;
                synchronized (lock) {
                    if (state == ConnectionState.CONNECTED || state == ConnectionState.CONNECTING) {
                        throw new IllegalStateException("already " + state.name().toLowerCase() + " to " + server + ":"
                                + port);
                    }
                    if (reader == null) {
                        state = ConnectionState.CONNECTING;
                        failure = null;
                        reader = me;
                        return ConnectEncoder.encode(clientId.getBytes(StandardCharsets.UTF_8), cleanSession, keepAliveSeconds,
                                willTopic, willMessage, willQos, willRetain, user, password);
                    }
                    previous = reader.getName();
                    if (w == null) {
                        w = new Waiter(me, null);
                        readerWanted.addLast(w);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("a loop step of the previous connection is still running in "
                            + previous);
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while the previous connection's reader finishes");
                }
            }
        } finally {
            if (w != null) {
                leave(w);
            }
        }
    }

    private Socket openSocket(int timeoutMillis, long deadline, TlsConnector.Deadline guard) throws IOException {
        Socket plain = new Socket();
        synchronized (lock) {
            if (state != ConnectionState.CONNECTING) {
                throw new IOException("connect to " + server + ":" + port + " aborted: the client was closed");
            }
            socket = plain; // so that close() and disconnect() can abort the TCP connect and the handshake
            transport = plain;
        }
        guard.watch(plain);
        try {
            plain.setTcpNoDelay(true);
            try {
                // the lookup of a name counts into the connect timeout too
                InetSocketAddress address = HostResolver.resolve(server, port, timeoutMillis, deadline);
                plain.connect(address, (int) Math.max(1, Math.min(timeoutMillis,
                        TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
            } catch (SocketTimeoutException e) {
                throw new MqttException(Reason.TIMEOUT, "TCP connect to " + server + ":" + port + " did not complete within "
                        + timeoutMillis + " ms", e);
            }
            if (tls == null) {
                return plain;
            }
            return TlsConnector.handshake(plain, server, port, tls, timeoutMillis, deadline);
        } catch (IOException | RuntimeException e) {
            closeQuietly(plain);
            throw e;
        }
    }

    /** A TLS connection that failed after the handshake and before CONNACK, explained; else null. */
    private IOException explainTlsRefusal(Socket s, IOException e) {
        return s instanceof SSLSocket ? TlsConnector.explainAfterHandshake(server, port, (SSLSocket) s, e) : null;
    }

    private boolean readConnack(int total, boolean cleanSession) throws IOException {
        try {
            return ConnackDecoder.decode(rbuf, rpos, total, cleanSession, server, port);
        } catch (MqttException e) {
            throw fail(e);
        } finally {
            consume(total);
        }
    }

    /**
     * Sends DISCONNECT and closes the socket (umqtt's {@code disconnect}); the last will is not
     * published. Also while connecting: once the CONNECT is written, DISCONNECT follows it at once
     * (MQTT 3.1.1 lets a client send packets before CONNACK), so a stop never fires the will; the
     * {@code connect} under way then fails. Takes at most the {@link #setWriteTimeout write timeout}
     * (a write of another thread that is stalled is failed by then).
     */
    public void disconnect() throws IOException {
        IOException writeFailure = null;
        boolean connected;
        boolean connecting;
        synchronized (lock) {
            // CLOSED before DISCONNECT goes out: the broker then closing the socket is no loss
            connected = state == ConnectionState.CONNECTED;
            connecting = state == ConnectionState.CONNECTING;
            if (connected || connecting) {
                state = ConnectionState.CLOSED;
            }
        }
        Socket s = socket;
        if (connected || connecting) {
            disconnectingOn = s;
            byte[] packet = DisconnectEncoder.encode();
            try {
                synchronized (writeLock) {
                    // while connecting: only after CONNECT, which connect() writes under this lock
                    if (connected || (connectWrittenOn != null && connectWrittenOn == socket)) {
                        send(packet, 0, packet.length);
                    }
                }
            } catch (IOException e) {
                writeFailure = e;
            }
        }
        closeConnection(new IOException("client disconnected from " + server + ":" + port), true);
        disconnectingOn = null;
        if (writeFailure != null) {
            throw new IOException("DISCONNECT could not be sent to " + server + ":" + port + ": " + writeFailure.getMessage(),
                    writeFailure);
        }
    }

    /**
     * Closes the socket without DISCONNECT: the broker publishes the last will. Never throws.
     * During a {@link #disconnect()} it leaves the socket to it: its DISCONNECT goes out first, and
     * it closes the socket right after (within the write timeout).
     */
    @Override
    public void close() {
        closeConnection(new IOException("client closed the connection to " + server + ":" + port), false);
    }

    private void closeConnection(IOException reason, boolean disconnecting) {
        Socket s;
        synchronized (lock) {
            state = ConnectionState.CLOSED;
            s = socket;
            failPending(reason);
            wakeAll();
        }
        if (!disconnecting && s != null && disconnectingOn == s) {
            return; // the disconnect() under way closes it after its DISCONNECT
        }
        WriteWatchdog.Watch w = watch;
        if (w != null && w.writing()) {
            closeQuietly(transport); // a write is blocked: closing TLS first would try to write close_notify
        }
        closeQuietly(s);
        unwatch();
    }

    /** Stops watching the current connection's writes (it is closed). */
    private void unwatch() {
        WriteWatchdog.Watch w = watch;
        if (w != null) {
            w.unregister();
        }
    }

    /**
     * Called by the {@link WriteWatchdog} when a write of the connection on {@code s} outlasted
     * the write timeout: the broker stopped reading. Closes the socket (which fails the blocked
     * write) and declares the connection dead.
     */
    private void writeStalled(WriteWatchdog.Watch w, Socket s, Socket raw) {
        w.unregister();
        if (watch != w) {
            return; // an earlier connection's
        }
        MqttException e = new MqttException(Reason.TIMEOUT, "write to " + server + ":" + port + " made no progress for "
                + w.timeoutMillis() + " ms (write timeout): the broker stopped reading; connection declared dead");
        stall = e;
        LOG.log(Level.WARNING, () -> "MQTT client " + clientId + ": " + e.getMessage());
        closeQuietly(raw); // first the TCP socket: closing TLS would try to write close_notify
        fail(e);
        closeQuietly(s);
    }

    /**
     * The exception for an I/O failure of the connection: the write stall that closed it, if that
     * was the cause; {@code e} itself after a close by this client; else {@code e} with the broker named.
     */
    private IOException connectionError(String action, IOException e) {
        MqttException stalled = stall;
        if (stalled != null) {
            return new MqttException(Reason.TIMEOUT, stalled.getMessage(), e);
        }
        if (state == ConnectionState.CLOSED) {
            return e;
        }
        return new IOException(action + " " + server + ":" + port + " failed: " + e.getMessage(), e);
    }

    // ------------------------------------------------------------------ operations

    /** Sends PINGREQ ({@code C0 00}); the PINGRESP is consumed by the loop. */
    public void ping() throws IOException {
        checkConnected();
        byte[] packet = PingreqEncoder.encode();
        synchronized (writeLock) {
            send(packet, 0, packet.length);
        }
        pingOutstanding = true;
    }

    /** {@link #publish(byte[], byte[], boolean, int)} at QoS 0 without retain. */
    public void publish(byte[] topic, byte[] msg) throws IOException {
        publish(topic, msg, false, 0);
    }

    /**
     * {@link #publish(byte[], byte[], boolean, int)} with the topic and message encoded as UTF-8;
     * a lone surrogate in either is refused ({@code IllegalArgumentException}), never sent as '?'.
     */
    public void publish(String topic, String msg, boolean retain, int qos) throws IOException {
        publish(utf8("topic", topic), utf8("msg", msg), retain, qos);
    }

    /**
     * {@link #publish(byte[], byte[], boolean, int)} with the topic encoded as UTF-8; a lone
     * surrogate is refused ({@code IllegalArgumentException}), never sent as '?'.
     */
    public void publish(String topic, byte[] msg, boolean retain, int qos) throws IOException {
        publish(utf8("topic", topic), msg, retain, qos);
    }

    /**
     * Publishes a message. QoS 0 returns once written; QoS 1 returns when the PUBACK with this
     * publish's packet id arrived, delivering PUBLISHes read meanwhile to the callback.
     *
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws MqttException TIMEOUT when no PUBACK arrives within the ack timeout
     * @throws IOException when not connected or the connection fails
     */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        checkPublishArguments(topic, msg, qos);
        checkConnected();
        if (qos == 0) {
            writePublish(topic, msg, 0, retain, false, 0);
            return;
        }
        Pending p = register(PacketType.PUBACK, topic, 0);
        writePublish(topic, msg, qos, retain, false, p.id);
        awaitAck(p);
    }

    /**
     * Publishes a message without waiting for its PUBACK: returns once the PUBLISH is written,
     * with a token that completes when the PUBACK arrives. While {@link #setMaxInflight(int)
     * maxInflight} QoS 1 publishes of this method are unacknowledged, it first waits for the
     * oldest of them (reading from the socket when no other thread does); one not acknowledged
     * within the ack timeout of that wait is given up, its token failing with TIMEOUT.
     * <p>
     * PUBACKs are read by whichever thread reads: a thread in {@link #loop()}, {@link #waitMsg()}
     * or {@link #checkMsg()}, one waiting in {@link PublishToken#await()}, or this method when the
     * window is full. When the connection is lost, every token of it fails.
     *
     * @return at QoS 0 a token that is already complete (the message was written)
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws MqttException TIMEOUT when the window was full and the oldest publish was not
     *         acknowledged within the ack timeout: nothing was sent
     * @throws IOException when not connected or the connection fails: nothing was sent, or the
     *         write failed
     * @since 1.1
     */
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        checkPublishArguments(topic, msg, qos);
        checkConnected();
        if (qos == 0) {
            writePublish(topic, msg, 0, retain, false, 0);
            return Pending.WRITTEN;
        }
        Pending p = registerAsync(topic);
        writePublish(topic, msg, qos, retain, false, p.id);
        return p;
    }

    /**
     * {@link #publishAsync(byte[], byte[], boolean, int)} with the topic and message encoded as UTF-8;
     * a lone surrogate in either is refused ({@code IllegalArgumentException}), never sent as '?'.
     *
     * @since 1.1
     */
    public PublishToken publishAsync(String topic, String msg, boolean retain, int qos) throws IOException {
        return publishAsync(utf8("topic", topic), utf8("msg", msg), retain, qos);
    }

    /**
     * For subclasses that resend (umqtt.robust): writes a PUBLISH whose arguments the caller has
     * validated, without waiting. At QoS 1 it first registers the PUBACK wait under
     * {@code packetId} when that id is free (a resend with DUP in a surviving session), or under a
     * new id otherwise. Returns the handle to {@link #awaitPuback(InFlight) wait} with, or
     * {@code null} at QoS 0.
     */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, int qos, boolean dup, int packetId)
            throws IOException {
        checkConnected();
        if (qos == 0) {
            writePublish(topic, msg, 0, retain, false, 0);
            return null;
        }
        Pending p = register(PacketType.PUBACK, topic, packetId);
        writePublish(topic, msg, qos, retain, dup, p.id);
        return p;
    }

    /**
     * Waits for the PUBACK of a publish sent with {@link #sendPublish}; reads from the socket when
     * no other thread does.
     *
     * @throws IOException when the connection is lost first (the publish may or may not have
     *         reached the broker), or the ack timeout passes
     */
    protected final void awaitPuback(InFlight publish) throws IOException {
        awaitAck((Pending) publish);
    }

    /** {@link PublishToken#await()}: waits at most the ack timeout, gives the publish up after it. */
    private void awaitToken(Pending p) throws IOException {
        if (!p.done) {
            awaitDone(p, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ackTimeoutMillis), false);
        }
        result(p);
    }

    /** Writes one PUBLISH packet; does not wait. Zero allocation for payloads that fit the write buffer. */
    private void writePublish(byte[] topic, byte[] msg, int qos, boolean retain, boolean dup, int packetId)
            throws IOException {
        int inline = msg.length <= MAX_INLINE_PAYLOAD ? msg.length : 0;
        synchronized (writeLock) {
            int need = 5 + 2 + topic.length + 2 + inline;
            byte[] b = wbuf;
            if (b.length < need) {
                b = new byte[Math.max(need, b.length * 2)];
                wbuf = b;
            }
            int p = PublishEncoder.head(b, topic, msg.length, qos, retain, dup, packetId);
            if (inline == msg.length) {
                System.arraycopy(msg, 0, b, p, msg.length);
                send(b, 0, p + msg.length);
            } else {
                send(b, 0, p);
                send(msg, 0, msg.length);
            }
        }
    }

    /** {@link #subscribe(String, int)} at QoS 0. */
    public int subscribe(String filter) throws IOException {
        return subscribe(filter, 0);
    }

    /**
     * {@link #subscribe(String, int)} with the filter as UTF-8 bytes.
     *
     * @throws IllegalArgumentException also when the bytes are not well-formed UTF-8
     */
    public int subscribe(byte[] filter, int qos) throws IOException {
        return subscribe(MqttStrings.decode("filter", filter), qos);
    }

    /**
     * Subscribes to a topic filter and waits for the SUBACK; returns the granted QoS.
     *
     * @throws IllegalArgumentException for a bad filter or an unsupported QoS
     * @throws MqttException SUBSCRIPTION_REFUSED (return code 0x80) when the broker refuses;
     *         TIMEOUT when no SUBACK arrives in time
     */
    public int subscribe(String filter, int qos) throws IOException {
        TopicFilter.parse(filter);
        checkQos(qos);
        checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = register(PacketType.SUBACK, f, 0);
        byte[] packet = SubscribeEncoder.encode(p.id, f, qos);
        synchronized (writeLock) {
            send(packet, 0, packet.length);
        }
        int granted = awaitAck(p);
        if (granted == SubackDecoder.FAILURE) {
            throw new MqttException(Reason.SUBSCRIPTION_REFUSED, granted, "broker " + server + ":" + port
                    + " refused the subscription to '" + filter + "' (SUBACK return code 0x80)");
        }
        return granted;
    }

    /** Unsubscribes a topic filter and waits for the UNSUBACK. */
    public void unsubscribe(String filter) throws IOException {
        TopicFilter.parse(filter);
        checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = register(PacketType.UNSUBACK, f, 0);
        byte[] packet = UnsubscribeEncoder.encode(p.id, f);
        synchronized (writeLock) {
            send(packet, 0, packet.length);
        }
        awaitAck(p);
    }

    /**
     * {@link #unsubscribe(String)} with the filter as UTF-8 bytes.
     *
     * @throws IllegalArgumentException also when the bytes are not well-formed UTF-8
     */
    public void unsubscribe(byte[] filter) throws IOException {
        unsubscribe(MqttStrings.decode("filter", filter));
    }

    /**
     * Validates PUBLISH arguments as {@link #publish(byte[], byte[], boolean, int)} does.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    protected static void checkPublishArguments(byte[] topic, byte[] msg, int qos) {
        TopicFilter.validateTopicName(topic);
        if (msg == null) {
            throw new IllegalArgumentException("msg must not be null (use an empty array)");
        }
        checkQos(qos);
        PublishEncoder.remainingLength(topic.length, msg.length, qos);
    }

    /** Validates a QoS: 0 or 1 ({@code IllegalArgumentException} otherwise, with QoS 2 named). */
    protected static void checkQos(int qos) {
        if (qos == 2) {
            throw new IllegalArgumentException("QoS 2 is not supported by this client (umqtt supports QoS 0 and 1)");
        }
        if (qos != 0 && qos != 1) {
            throw new IllegalArgumentException("qos must be 0 or 1, found " + qos);
        }
    }

    /** {@code s} as UTF-8; a lone surrogate is refused rather than sent as '?'. */
    private static byte[] utf8(String name, String s) {
        return MqttStrings.utf8(name, s);
    }

    private void checkConnected() throws IOException {
        if (state != ConnectionState.CONNECTED) {
            throw notConnected();
        }
    }

    private IOException notConnected() {
        synchronized (lock) {
            if (failure != null && state == ConnectionState.LOST) {
                return new IOException("not connected to " + server + ":" + port + ": connection lost: "
                        + failure.getMessage(), failure);
            }
            return new IOException("not connected to " + server + ":" + port + " (state " + state + ")");
        }
    }

    // ------------------------------------------------------------------ loop

    /**
     * Waits for one packet from the broker and processes it; a PUBLISH goes to the callback
     * (umqtt's {@code wait_msg}). While it waits it keeps the connection alive: PINGREQ after a
     * keepalive without traffic; the connection is declared dead after 1.5 &times; keepalive
     * without any packet received.
     *
     * @return the type of the packet processed
     */
    public PacketType waitMsg() throws IOException {
        boolean owner = acquireReader(true) == OWNER;
        try {
            return step(WAIT);
        } finally {
            releaseReader(owner);
        }
    }

    /**
     * Processes a packet if one is pending, without blocking, also not for the rest of a packet
     * that has only partly arrived (umqtt's {@code check_msg}). Sends a due PINGREQ.
     *
     * @return the type processed, or {@link PacketType#NONE} when nothing complete was pending
     */
    public PacketType checkMsg() throws IOException {
        int role = acquireReader(false);
        if (role == BUSY) {
            return PacketType.NONE; // another thread is reading and will process what comes
        }
        boolean owner = role == OWNER;
        try {
            return step(POLL);
        } finally {
            releaseReader(owner);
        }
    }

    /**
     * Runs {@link #waitMsg()} on the calling thread until the connection is closed or lost. While
     * it runs, only this thread reads and calls the callback. An exception thrown by the callback
     * is logged and the loop goes on.
     *
     * @throws IOException why the connection was lost; returns normally after
     *         {@link #disconnect()} or {@link #close()}
     */
    public void loop() throws IOException {
        boolean owner = false;
        try {
            owner = acquireReader(true) == OWNER;
            while (true) {
                try {
                    step(WAIT);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "message callback of MQTT client " + clientId + " threw; continuing", e);
                }
            }
        } catch (IOException e) {
            if (state == ConnectionState.CLOSED) {
                return;
            }
            throw e;
        } finally {
            releaseReader(owner);
        }
    }

    private PacketType step(int mode) throws IOException {
        if (callbackDepth == 0 && deferred != null && !deferred.isEmpty()) {
            drainDeferred();
            return PacketType.PUBLISH;
        }
        if (state != ConnectionState.CONNECTED) {
            // lost while a callback ran (its own publish read on): the messages read before the loss
            // were delivered above; nothing buffered after the loss is framed, delivered or acked
            throw notConnected();
        }
        if (queueFull()) { // waitMsg or checkMsg called by a callback: no more PUBLISHes are read
            PacketType head = rlen > rpos ? PacketType.of((rbuf[rpos] & 0xFF) >>> 4) : PacketType.NONE;
            return processBufferedAck() ? head : PacketType.NONE;
        }
        int total = readPacket(mode, 0, true);
        if (total == 0) {
            return PacketType.NONE;
        }
        return process(total);
    }

    /** {@link #acquireReader} results. */
    private static final int BUSY = 0;
    private static final int OWNER = 1;
    private static final int REENTRANT = 2;

    /**
     * Takes the reader role: OWNER if this call took it (and must release it), REENTRANT when the
     * current thread already holds it, BUSY when another thread does and {@code wait} is false.
     */
    private int acquireReader(boolean wait) throws IOException {
        Thread me = Thread.currentThread();
        Waiter w = null;
        try {
            while (true) {
                synchronized (lock) {
                    if (state != ConnectionState.CONNECTED) {
                        if (state == ConnectionState.LOST && reader == null && deferred != null && !deferred.isEmpty()) {
                            // messages read before the loss, queued while a callback ran (and then threw):
                            // step() delivers them before it reports the loss
                            reader = me;
                            return OWNER;
                        }
                        throw notConnected();
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
                        w = new Waiter(me, null);
                        readerWanted.addLast(w);
                    }
                }
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting to read from " + server + ":" + port);
                }
            }
        } finally {
            if (w != null) {
                leave(w);
            }
        }
    }

    /** Gives the reader role up (when {@code owner}) and unparks the first thread that wants it. */
    private void releaseReader(boolean owner) {
        if (owner) {
            Waiter next;
            synchronized (lock) {
                reader = null;
                next = nextReader();
            }
            if (next != null) {
                LockSupport.unpark(next.thread);
            }
        }
    }

    /** The first parked thread that still wants the reader role, or null; caller holds {@link #lock}. */
    private Waiter nextReader() {
        for (Waiter w : readerWanted) {
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
    private void leave(Waiter w) {
        Waiter next = null;
        synchronized (lock) {
            readerWanted.remove(w);
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
                next = nextReader();
            }
        }
        if (next != null) {
            LockSupport.unpark(next.thread);
        }
    }

    /** Unparks every parked thread, to see a state change; caller holds {@link #lock}. */
    private void wakeAll() {
        for (Waiter w : readerWanted) {
            LockSupport.unpark(w.thread);
        }
    }

    // ------------------------------------------------------------------ acks

    private Pending register(PacketType ackType, byte[] subject, int wantedId) throws IOException {
        synchronized (lock) {
            if (state != ConnectionState.CONNECTED) {
                throw notConnected();
            }
            int id = wantedId > 0 && wantedId <= PacketIds.MAX && !pending.containsKey(wantedId) ? wantedId
                    : packetIds.next(pending::containsKey);
            Pending p = new Pending(this, id, ackType, subject);
            pending.put(id, p);
            return p;
        }
    }

    /** Registers a {@link #publishAsync} PUBACK wait, first waiting for the oldest while the window is full. */
    private Pending registerAsync(byte[] topic) throws IOException {
        while (true) {
            Pending oldest;
            synchronized (lock) {
                if (state != ConnectionState.CONNECTED) {
                    throw notConnected();
                }
                if (asyncCount < maxInflight) {
                    Pending p = new Pending(this, packetIds.next(pending::containsKey), PacketType.PUBACK, topic);
                    pending.put(p.id, p);
                    p.async = true;
                    p.previous = asyncTail;
                    if (asyncTail == null) {
                        asyncHead = p;
                    } else {
                        asyncTail.next = p;
                    }
                    asyncTail = p;
                    asyncCount++;
                    return p;
                }
                oldest = asyncHead;
            }
            // a broker acks QoS 1 in order (MQTT-4.6.0-2): the oldest is the next to free a slot
            awaitDone(oldest, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ackTimeoutMillis), false);
            if (oldest.error != null && !oldest.lost) {
                throw new MqttException(Reason.TIMEOUT, "publish not sent: " + maxInflight
                        + " publishAsync publishes (maxInflight) awaited their PUBACK and the oldest was given up: "
                        + oldest.error.getMessage());
            }
        }
    }

    /** Waits for the ack of {@code p} (at most the ack timeout) and returns its code. */
    private int awaitAck(Pending p) throws IOException {
        awaitDone(p, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ackTimeoutMillis), true);
        return result(p);
    }

    /**
     * Returns when {@code p} is done. Reads from the socket while no other thread does; else
     * parks until the reader completes {@code p} or hands it the reader role. At the deadline
     * {@code p} is given up (done, timed out). An interrupt gives it up too when {@code abandon}.
     */
    private void awaitDone(Pending p, long deadline, boolean abandon) throws IOException {
        Thread me = Thread.currentThread();
        boolean owner = false;
        Waiter w = null;
        try {
            while (!p.done) {
                boolean read;
                synchronized (lock) {
                    if (p.done) {
                        break;
                    }
                    read = reader == me;
                    if (reader == null) {
                        reader = me;
                        owner = true;
                        read = true;
                    } else if (!read && w == null) {
                        w = new Waiter(me, p);
                        w.next = p.waiters;
                        p.waiters = w;
                        readerWanted.addLast(w);
                    }
                }
                if (read) {
                    boolean paused = false;
                    while (!p.done) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            timeOut(p, paused);
                            break;
                        }
                        if (queueFull()) {
                            // back-pressure: read no more PUBLISHes until the callback returns
                            paused = true;
                            if (!processBufferedAck()) {
                                pauseReading(p, left, abandon);
                            }
                            continue;
                        }
                        int total = readPacket(WAIT, deadline, false);
                        if (total > 0) {
                            process(total);
                        }
                    }
                    break;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    timeOut(p);
                    break;
                }
                LockSupport.parkNanos(this, left);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    InterruptedIOException e = new InterruptedIOException("interrupted while waiting for the "
                            + p.ackType + " of packet id " + p.id);
                    if (abandon) {
                        giveUp(p, e);
                    }
                    throw e;
                }
            }
        } finally {
            if (w != null) {
                leave(w);
            }
            releaseReader(owner);
        }
    }

    /**
     * Whether the PUBLISHes queued while a callback runs reached their bound (reader only): then the
     * reader reads no more until the callback returns, and the broker is held back by TCP.
     */
    private boolean queueFull() {
        return callbackDepth > 0 && deferred != null && (deferred.size() >= MAX_QUEUED_WHILE_CALLBACK_WAITS
                || deferredBytes >= MAX_QUEUED_BYTES_WHILE_CALLBACK_WAITS);
    }

    /**
     * While reading is paused: processes the packet at the head of the buffer if it is whole and
     * not a PUBLISH (an ack may be there already). Returns whether it did.
     */
    private boolean processBufferedAck() throws IOException {
        long framed;
        try {
            framed = FixedHeader.frame(rbuf, rpos, rlen - rpos, maxPacketSize);
        } catch (MqttException e) {
            throw fail(e);
        }
        if (framed < 0 || PacketType.of((rbuf[rpos] & 0xFF) >>> 4) == PacketType.PUBLISH) {
            return false;
        }
        process((int) framed);
        return true;
    }

    /**
     * The reader, while reading is paused, parks until {@code p} is done (the connection is lost)
     * or {@code nanos} pass.
     */
    private void pauseReading(Pending p, long nanos, boolean abandon) throws IOException {
        Waiter w = new Waiter(Thread.currentThread(), p);
        synchronized (lock) {
            if (p.done) {
                return;
            }
            w.next = p.waiters;
            p.waiters = w;
        }
        try {
            LockSupport.parkNanos(this, nanos);
        } finally {
            leave(w);
        }
        if (Thread.interrupted()) {
            Thread.currentThread().interrupt();
            InterruptedIOException e = new InterruptedIOException("interrupted while waiting for the " + p.ackType
                    + " of packet id " + p.id);
            if (abandon) {
                giveUp(p, e);
            }
            throw e;
        }
    }

    /** The ack's code, or the failure of {@code p} as an exception. */
    private int result(Pending p) throws IOException {
        IOException e = p.error;
        if (e == null) {
            return p.code;
        }
        if (!p.lost) {
            throw e; // given up: a timeout, or an interrupt
        }
        throw new IOException("connection to " + server + ":" + port + " lost while waiting for the " + p.ackType
                + " of packet id " + p.id + ": " + e.getMessage(), e);
    }

    /** Gives {@code p} up as timed out, unless its ack arrived meanwhile. */
    private void timeOut(Pending p) {
        timeOut(p, false);
    }

    /** {@link #timeOut(Pending)}, saying when reading was paused because the callback's queue was full. */
    private void timeOut(Pending p, boolean paused) {
        String why = !paused ? ""
                : ": reading paused while the " + deferred.size() + " messages (" + deferredBytes
                        + " bytes) received meanwhile wait for the running callback to return (at most "
                        + MAX_QUEUED_WHILE_CALLBACK_WAITS + " messages or " + MAX_QUEUED_BYTES_WHILE_CALLBACK_WAITS
                        + " bytes are queued); the ack may be behind them";
        giveUp(p, new MqttException(Reason.TIMEOUT, "no " + p.ackType + " for packet id " + p.id + " ('"
                + new String(p.subject, StandardCharsets.UTF_8) + "') from " + server + ":" + port + " within "
                + ackTimeoutMillis + " ms" + why));
    }

    /**
     * Stops awaiting the ack of {@code p}, unless it arrived meanwhile: the operation fails with
     * {@code why}, and a late ack counts as stray.
     */
    private void giveUp(Pending p, IOException why) {
        Waiter woken;
        synchronized (lock) {
            if (!pending.remove(p.id, p)) {
                return;
            }
            unlinkAsync(p);
            p.error = why;
            woken = p.finish();
        }
        unparkAll(woken);
    }

    private void complete(int id, PacketType type, int code) throws IOException {
        Waiter woken;
        synchronized (lock) {
            Pending p = pending.get(id);
            if (p == null) {
                strayAcks++;
                LOG.log(Level.DEBUG, () -> "ignoring " + type + " for packet id " + id + ", which nothing awaits");
                return;
            }
            if (p.ackType != type) {
                throw fail(Wire.protocol("received " + type + " for packet id " + id + ", which awaits a " + p.ackType));
            }
            pending.remove(id);
            unlinkAsync(p);
            p.code = code;
            woken = p.finish();
        }
        unparkAll(woken);
    }

    private static void unparkAll(Waiter w) {
        for (; w != null; w = w.next) {
            LockSupport.unpark(w.thread);
        }
    }

    /** Takes a {@link #publishAsync} publish out of the window; caller holds {@link #lock}. */
    private void unlinkAsync(Pending p) {
        if (!p.async) {
            return;
        }
        p.async = false;
        if (p.previous == null) {
            asyncHead = p.next;
        } else {
            p.previous.next = p.next;
        }
        if (p.next == null) {
            asyncTail = p.previous;
        } else {
            p.next.previous = p.previous;
        }
        p.previous = null;
        p.next = null;
        asyncCount--;
    }

    /** Fails every pending operation and unparks their threads; caller holds {@link #lock}. */
    private void failPending(IOException cause) {
        if (pending.isEmpty()) {
            return;
        }
        for (Pending p : pending.values()) {
            p.error = cause;
            p.lost = true;
            p.async = false;
            p.previous = null;
            p.next = null;
            unparkAll(p.finish());
        }
        pending.clear();
        asyncHead = null;
        asyncTail = null;
        asyncCount = 0;
    }

    /**
     * Marks the connection lost (unless it was closed on purpose), closes the socket and fails
     * every pending operation. Returns {@code e} for throwing.
     */
    protected final IOException fail(IOException e) {
        Socket s = null;
        synchronized (lock) {
            if (state == ConnectionState.CONNECTED || state == ConnectionState.CONNECTING) {
                state = ConnectionState.LOST;
                failure = e;
                s = socket;
                failPending(e);
                wakeAll();
            }
        }
        if (s != null) {
            WriteWatchdog.Watch w = watch;
            if (w != null && w.writing()) {
                closeQuietly(transport); // a write is blocked: closing TLS first would try to write close_notify
            }
            closeQuietly(s);
            unwatch();
        }
        return e;
    }

    // ------------------------------------------------------------------ reading

    private void resetReader() {
        soTimeout = -1;
        rpos = 0;
        rlen = 0;
        stallClockRunning = false;
        lastEofProbeNanos = System.nanoTime() - EOF_PROBE_NANOS;
        deferredBytes = 0;
        if (rbuf.length > INITIAL_READ_BUFFER * 16) {
            rbuf = new byte[INITIAL_READ_BUFFER];
        }
        callbackDepth = 0;
        if (deferred != null) {
            deferred.clear();
        }
    }

    /**
     * Reads until a whole packet is buffered at {@code rbuf[rpos]}; returns its total length, or 0
     * when none is complete: in POLL mode when no more bytes are available, otherwise when the
     * deadline (if not {@code forever}) passed; a packet begun stays buffered for the next call.
     * <p>
     * A packet begun must be complete within the read timeout, counted from when the reader began
     * waiting for its rest (not from when its first bytes arrived: the reader may have been busy in
     * a callback meanwhile); bytes that arrived meanwhile are read before a stall is declared.
     */
    private int readPacket(int mode, long deadline, boolean forever) throws IOException {
        while (true) {
            long framed;
            try {
                framed = FixedHeader.frame(rbuf, rpos, rlen - rpos, maxPacketSize);
            } catch (MqttException e) {
                throw fail(e);
            }
            if (framed >= 0) {
                return (int) framed;
            }
            long now = System.nanoTime();
            long waitNanos;
            if (rlen > rpos) {
                if (!stallClockRunning) {
                    stallClockRunning = true;
                    partialSinceNanos = now;
                }
                long stallDeadline = partialSinceNanos + TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis);
                waitNanos = stallDeadline - now;
                if (waitNanos <= 0) {
                    if (fill(-1) > 0) {
                        continue; // the rest may have arrived while the reader was busy
                    }
                    throw fail(new MqttException(Reason.TIMEOUT, "read from " + server + ":" + port
                            + " stalled in the middle of a packet: " + (rlen - rpos) + " bytes of a "
                            + PacketType.of((rbuf[rpos] & 0xFF) >>> 4) + " packet arrived, the rest did not within "
                            + TimeUnit.NANOSECONDS.toMillis(now - partialSinceNanos) + " ms"));
                }
                if (!forever && mode != POLL) {
                    long left = deadline - now;
                    if (left <= 0) {
                        return 0; // this wait's own deadline; the packet's rest is read by the next wait
                    }
                    waitNanos = Math.min(waitNanos, left);
                }
            } else {
                waitNanos = forever ? Long.MAX_VALUE : deadline - now;
                if (waitNanos <= 0 && mode != POLL) {
                    return 0;
                }
                if (mode != CONNACK) {
                    waitNanos = Math.min(waitNanos, keepAlive(now));
                }
            }
            if (fill(mode == POLL ? -1 : waitNanos) == 0 && mode == POLL) {
                return 0;
            }
        }
    }

    /**
     * Does what keepalive needs now: declares the connection dead, or sends a PINGREQ. Returns
     * the nanoseconds until it next needs to act (Long.MAX_VALUE when keepalive is off).
     */
    private long keepAlive(long now) throws IOException {
        if (keepAliveSeconds == 0) {
            return Long.MAX_VALUE;
        }
        long ka = TimeUnit.SECONDS.toNanos(keepAliveSeconds);
        long dead = ka + ka / 2;
        long sinceReceived = now - lastReceivedNanos;
        if (sinceReceived >= dead) {
            throw fail(new MqttException(Reason.TIMEOUT, "no packet from " + server + ":" + port + " for "
                    + TimeUnit.NANOSECONDS.toMillis(sinceReceived) + " ms (1.5 x keepalive of " + keepAliveSeconds
                    + " s): connection declared dead"));
        }
        long sinceSent = now - lastSentNanos;
        if (sinceSent >= ka || (sinceReceived >= ka && !pingOutstanding)) {
            ping();
            sinceSent = 0;
        }
        long next = dead - sinceReceived;
        next = Math.min(next, ka - sinceSent);
        if (!pingOutstanding) {
            next = Math.min(next, ka - sinceReceived);
        }
        return Math.max(next, TimeUnit.MILLISECONDS.toNanos(1));
    }

    /**
     * Reads what the socket has into the buffer. {@code waitNanos < 0} polls without blocking.
     * Returns the number of bytes read, 0 on timeout or when polling found nothing.
     */
    private int fill(long waitNanos) throws IOException {
        InputStream input = in;
        Socket s = socket;
        if (input == null || s == null) {
            throw notConnected();
        }
        makeRoom();
        int n;
        try {
            if (waitNanos < 0) {
                int available = input.available();
                long now = System.nanoTime();
                if (available > 0) {
                    n = input.read(rbuf, rlen, Math.min(available, rbuf.length - rlen));
                } else if (secure || rlen > rpos || lastReceivedNanos - lastEofProbeNanos > 0
                        || now - lastEofProbeNanos >= EOF_PROBE_NANOS) {
                    // TLS hides what is buffered; a plain socket's available() is 0 also at the end of
                    // stream, which only a read sees: read for 1 ms (every time in a packet's middle,
                    // the first time nothing is available after bytes arrived, else every 100 ms)
                    lastEofProbeNanos = now;
                    setSoTimeout(s, TLS_POLL_MILLIS);
                    n = input.read(rbuf, rlen, rbuf.length - rlen);
                } else {
                    return 0;
                }
            } else {
                setSoTimeout(s, toTimeoutMillis(waitNanos));
                n = input.read(rbuf, rlen, rbuf.length - rlen);
            }
        } catch (SocketTimeoutException e) {
            return 0;
        } catch (IOException e) {
            throw fail(connectionError("connection to", e));
        }
        if (n < 0) {
            throw fail(new EOFException("connection closed by " + server + ":" + port
                    + (rlen > rpos ? " in the middle of a packet (" + (rlen - rpos) + " bytes of it had arrived)" : "")));
        }
        long now = System.nanoTime();
        if (rlen == rpos) {
            partialSinceNanos = now; // a packet's first bytes arrived while the reader reads
            stallClockRunning = true;
        }
        rlen += n;
        lastReceivedNanos = now;
        return n;
    }

    private void setSoTimeout(Socket s, int millis) throws IOException {
        if (millis != soTimeout) {
            s.setSoTimeout(millis);
            soTimeout = millis;
        }
    }

    private static int toTimeoutMillis(long nanos) {
        if (nanos >= TimeUnit.DAYS.toNanos(1)) {
            return 0; // no timeout: blocks until data or close
        }
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
    }

    /**
     * Makes space after {@code rlen}: compacts when little is left, and grows a full buffer that
     * holds part of one packet by doubling, up to the packet's size: a packet is never allocated
     * before its bytes arrive, whatever size its header announces.
     */
    private void makeRoom() {
        if (rpos == rlen) {
            rpos = 0;
            rlen = 0;
        }
        if (rpos > 0 && rbuf.length - rlen < rbuf.length / 4) {
            System.arraycopy(rbuf, rpos, rbuf, 0, rlen - rpos);
            rlen -= rpos;
            rpos = 0;
        }
        if (rlen == rbuf.length) {
            int need = packetSizeHint(); // > rbuf.length, or the packet would be complete
            int grown = (int) Math.min(Math.max(need, rbuf.length + 1L), rbuf.length * 2L);
            rbuf = Arrays.copyOf(rbuf, grown);
        }
    }

    /** The total size of the packet at rpos if its remaining length is complete, else 0. */
    private int packetSizeHint() {
        int value = 0;
        for (int i = 1; i <= 4 && rpos + i < rlen; i++) {
            int digit = rbuf[rpos + i] & 0xFF;
            value |= (digit & 0x7F) << (7 * (i - 1));
            if ((digit & 0x80) == 0) {
                return i + 1 + value;
            }
        }
        return 0;
    }

    private void consume(int total) {
        rpos += total;
        stallClockRunning = false; // the next packet's clock starts when the reader waits for it
        if (rpos >= rlen) {
            rpos = 0;
            rlen = 0;
            if (rbuf.length > INITIAL_READ_BUFFER * 128) {
                rbuf = new byte[INITIAL_READ_BUFFER]; // give a large message's buffer back
            }
        }
    }

    // ------------------------------------------------------------------ processing

    private PacketType process(int total) throws IOException {
        PacketType type = FixedHeader.type(rbuf, rpos);
        int id = 0;
        int code = 0;
        try {
            switch (type) {
                case PUBLISH:
                    publishDecoder.decode(rbuf, rpos, total, server, port);
                    break;
                case PUBACK:
                    id = PubackDecoder.decode(rbuf, rpos, total);
                    break;
                case UNSUBACK:
                    id = UnsubackDecoder.decode(rbuf, rpos, total);
                    break;
                case SUBACK:
                    id = SubackDecoder.decode(rbuf, rpos, total);
                    code = SubackDecoder.returnCode(rbuf, rpos, total);
                    break;
                case PINGRESP:
                    PingrespDecoder.decode(rbuf, rpos, total);
                    break;
                case CONNACK:
                    throw Wire.protocol("unexpected CONNACK on an established connection");
                default: // PUBREC, PUBREL, PUBCOMP; client-only types were refused when framing
                    throw Wire.protocol("unexpected " + type + ": this client never uses QoS 2");
            }
        } catch (MqttException e) {
            throw fail(e);
        }
        if (type == PacketType.PUBLISH) {
            processPublish(total);
            return type;
        }
        consume(total);
        if (type == PacketType.PINGRESP) {
            pingOutstanding = false;
        } else {
            complete(id, type, code);
        }
        return type;
    }

    /** Delivers (or queues, while a callback runs) the PUBLISH {@link #publishDecoder} decoded. */
    private void processPublish(int total) throws IOException {
        byte[] topic = publishDecoder.topic();
        byte[] payload = Arrays.copyOfRange(rbuf, publishDecoder.payloadOffset(), publishDecoder.payloadEnd());
        int qos = publishDecoder.qos();
        int id = publishDecoder.packetId();
        boolean retain = publishDecoder.retain();
        boolean dup = publishDecoder.dup();
        consume(total);
        if (callbackDepth > 0) {
            if (deferred == null) {
                deferred = new ArrayDeque<>();
            }
            deferred.add(new Received(topic, payload, retain, dup, qos, id));
            deferredBytes += topic.length + payload.length;
            return;
        }
        dispatch(topic, payload, retain, dup, qos, id);
        drainDeferred();
    }

    private void drainDeferred() throws IOException {
        while (deferred != null && !deferred.isEmpty()) {
            Received r = deferred.poll();
            deferredBytes -= r.topic.length + r.payload.length;
            dispatch(r.topic, r.payload, r.retain, r.dup, r.qos, r.id);
        }
    }

    private void dispatch(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id)
            throws IOException {
        MessageCallback cb = callback;
        callbackDepth++;
        try {
            if (cb != null) {
                cb.message(topic, payload, retain, dup, qos);
            } else {
                LOG.log(Level.WARNING, () -> "MQTT client " + clientId + " has no callback: message on '"
                        + new String(topic, StandardCharsets.UTF_8) + "' (" + payload.length + " bytes) not delivered");
            }
        } finally {
            callbackDepth--;
            // once the connection is lost (say while the callback's own publish read on) there is
            // nothing to ack on: the messages read before the loss are still delivered, then the
            // loss is reported, and an operation whose ack was read before the loss still succeeds
            if (qos == 1 && state == ConnectionState.CONNECTED) {
                sendPuback(id);
            }
        }
    }

    private void sendPuback(int id) throws IOException {
        synchronized (writeLock) {
            PubackEncoder.encode(wbuf, 0, id);
            send(wbuf, 0, PubackEncoder.LENGTH);
        }
    }

    // ------------------------------------------------------------------ writing

    /** Writes bytes within the write timeout; caller holds {@link #writeLock}. */
    private void send(byte[] b, int off, int len) throws IOException {
        sendWithin(b, off, len, TimeUnit.MILLISECONDS.toNanos(writeTimeoutMillis));
    }

    /**
     * Writes bytes, each chunk of {@value #WRITE_CHUNK} bytes within {@code timeoutNanos}: a chunk
     * that takes longer makes the {@link WriteWatchdog} close the socket. Caller holds {@link #writeLock}.
     */
    private void sendWithin(byte[] b, int off, int len, long timeoutNanos) throws IOException {
        OutputStream o = out;
        WriteWatchdog.Watch w = watch;
        if (o == null || w == null) {
            throw notConnected();
        }
        int done = 0;
        try {
            do {
                int n = Math.min(len - done, WRITE_CHUNK);
                w.begin(timeoutNanos);
                try {
                    o.write(b, off + done, n);
                } finally {
                    w.end();
                }
                done += n;
            } while (done < len);
        } catch (IOException e) {
            throw fail(connectionError("write to", e));
        }
        lastSentNanos = System.nanoTime();
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "closing socket failed", e);
            }
        }
    }

    /** For tests: makes {@code id} the last packet id handed out. */
    void setLastPacketId(int id) {
        synchronized (lock) {
            packetIds.setLast(id);
        }
    }

    /** The read buffer's capacity (tests: a huge announced packet is not allocated up front). */
    int readBufferCapacity() {
        return rbuf.length;
    }

    /** How many PUBLISHes wait for the running callback to return; call on the reader (tests). */
    int deferredCount() {
        return deferred == null ? 0 : deferred.size();
    }

    /** The packet ids currently awaiting acks (tests). */
    List<Integer> pendingPacketIds() {
        synchronized (lock) {
            return new ArrayList<>(pending.keySet());
        }
    }

    @Override
    public String toString() {
        return "MqttClient[" + clientId + "@" + server + ":" + port + (tls != null ? " tls" : "") + ", " + state + "]";
    }

    /**
     * A QoS 1 PUBLISH sent with {@link MqttClient#sendPublish} and not yet acknowledged; also a
     * {@link PublishToken} (since 1.1).
     */
    protected abstract static class InFlight extends PublishToken {
        InFlight() {
        }

        /** Its packet identifier. */
        @Override
        public abstract int packetId();
    }

    /**
     * An operation awaiting its ack, and the token {@link #publishAsync} returns. The fields after
     * {@code subject} are guarded by {@link MqttClient#lock}; {@code done}, {@code code} and
     * {@code error} are read without it once {@code done} is seen.
     */
    private static final class Pending extends InFlight {
        /** The token of a QoS 0 publish: complete once written. */
        static final Pending WRITTEN = new Pending(null, 0, PacketType.PUBACK, new byte[0]);

        static {
            WRITTEN.done = true;
        }

        final MqttClient client;
        final int id;
        final PacketType ackType;
        final byte[] subject;
        volatile boolean done;
        int code;
        IOException error;
        /** Whether {@code error} is the connection's failure (else the operation was given up). */
        boolean lost;
        /** The threads parked for this ack, linked through {@link Waiter#next}. */
        Waiter waiters;
        /** Whether in the {@link #publishAsync} window, linked oldest first. */
        boolean async;
        Pending previous;
        Pending next;

        Pending(MqttClient client, int id, PacketType ackType, byte[] subject) {
            this.client = client;
            this.id = id;
            this.ackType = ackType;
            this.subject = subject;
        }

        /** Marks it done and returns the waiters to unpark; caller holds the client's lock. */
        Waiter finish() {
            done = true;
            Waiter w = waiters;
            waiters = null;
            return w;
        }

        @Override
        public int packetId() {
            return id;
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public void await() throws IOException {
            if (client != null) {
                client.awaitToken(this);
            }
        }

        @Override
        public IOException failure() {
            return done ? error : null;
        }

        @Override
        public String toString() {
            if (client == null) {
                return "PublishToken[QoS 0, written]";
            }
            return "PublishToken[packet id " + id + (!done ? ", awaiting " + ackType
                    : error == null ? ", acknowledged" : ", failed: " + error.getMessage()) + "]";
        }
    }

    /** A thread parked in the client, for the ack of {@code awaited} or (null) for the reader role. */
    private static final class Waiter {
        final Thread thread;
        final Pending awaited;
        /** The next thread parked for the same ack; guarded by {@link MqttClient#lock}. */
        Waiter next;

        Waiter(Thread thread, Pending awaited) {
            this.thread = thread;
            this.awaited = awaited;
        }
    }

    /** A PUBLISH read while a callback ran, delivered after it. */
    private static final class Received {
        final byte[] topic;
        final byte[] payload;
        final boolean retain;
        final boolean dup;
        final int qos;
        final int id;

        Received(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id) {
            this.topic = topic;
            this.payload = payload;
            this.retain = retain;
            this.dup = dup;
            this.qos = qos;
            this.id = id;
        }
    }
}
