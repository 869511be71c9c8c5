package io.umqtt.robust;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.TopicFilter;
import io.umqtt.robust.internal.OfflineQueue;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.robust.internal.QueueLog;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.TlsSettings;

/**
 * umqtt.robust in Java: an {@link MqttClient} whose {@code publish}, {@code waitMsg} and
 * {@code checkMsg} survive network errors by reconnecting, done properly:
 * <ul>
 * <li>capped exponential backoff with jitter ({@link ReconnectPolicy}), also for the first
 * connect ({@link #reconnect()}, {@link #runForever()}); a broker refusal waits the maximum delay;</li>
 * <li>the configured clean session on every reconnect;</li>
 * <li>subscriptions remembered and restored whenever the broker reports no session;</li>
 * <li>QoS 1 publishes that were not acknowledged resent after reconnect, with DUP and the same
 * packet id when the session survived, as new messages when it did not;</li>
 * <li>a bounded offline queue for publishes made while disconnected ({@link OverflowPolicy});
 * what it drops or refuses is reported; optionally kept on disk, so that it survives a restart
 * or a crash of the JVM ({@link #setOfflineQueueDirectory(Path)});</li>
 * <li>several servers for failover, tried in order, then round again.</li>
 * </ul>
 * <h2>Two ways to drive it</h2>
 * <b>Caller-driven</b>, like umqtt.robust: when {@code publish}, {@code waitMsg} or
 * {@code checkMsg} meet a dead connection, the calling thread reconnects (blocking, with
 * backoff) and goes on. <b>With a thread</b>: {@link #runForever()} connects, reconnects and
 * runs the loop until {@link #close()}; publishing threads then never block on the network:
 * while disconnected their messages wait in the offline queue.
 * <p>
 * {@code publish} returns when a QoS 1 message was acknowledged or, if the connection is down or
 * fails meanwhile, when it was queued for sending after the reconnect.
 * The hooks {@link #delay(int)}, {@link #log(boolean, Throwable)} and
 * {@link #connect(boolean, int)} are umqtt.robust's and may be overridden.
 * <h2>Backoff and losses</h2>
 * The backoff follows how long connections lived, not how often {@link #reconnect()} was called:
 * unsuccessful attempts in a row (failed ones, and connections the broker accepted but that were
 * lost before they stayed up {@code max(keepalive, 10 s)}, see
 * {@link ReconnectPolicy#withStableAfter(long)}) make the next attempt wait longer; only a stable
 * connection resets the count. Every connection the broker accepted has its end reported once
 * ({@link RobustListener#connectionLost}), also when it broke while subscriptions were restored or
 * the offline queue was sent. Each attempt is bounded by {@link #connectAttemptTimeoutMillis()}
 * (10 s by default), so that after a network outage the connection is back within about
 * {@code max(connect timeout, backoff delay reached)}.
 * <h2>Threading and locks</h2>
 * Publishing, subscribing and the loop are the simple client's (see {@link MqttClient}); this
 * class adds the locks below. Lock order: {@code queueSwap} before the offline queue's own
 * lock; {@code flushLock} before the simple client's {@code lock} and write lock; every other
 * one is never held while another is taken (no nesting, so no order to break):
 * <ul>
 * <li>{@code reconnectLock}: hands the reconnect role to one thread at a time (the flag
 * {@code reconnecting}); held only to take or give back the role, never while connecting or
 * waiting the backoff: another thread wanting to reconnect waits for the role, not for I/O;</li>
 * <li>{@code queueSwap}: replacing the offline queue (settings);</li>
 * <li>{@code flushLock}: one thread sends the offline queue at a time; held across the simple
 * client's writes and ack waits;</li>
 * <li>{@code subscriptions}: the remembered subscriptions; never held while calling anything;</li>
 * <li>{@code sleeper}: the backoff wait, woken by {@link #close()};</li>
 * <li>{@code backoff}: the backoff state (unsuccessful attempts in a row, when the last attempt
 * started, when the current connection was accepted and whether its end was reported); held
 * only to read or write those fields: the {@link #backoffMillis(int)} hook, the listener and
 * the log are called without it.</li>
 * </ul>
 * The thread holding the reconnect role, or the one running {@link #runForever()}, reports a
 * connection's end; the {@code backoff} lock makes that happen once. The listener is called
 * without any of these locks; what it throws is logged and does not affect the connection.
 * {@link #runForever()} survives every exception: what nobody handles is logged, the connection
 * is closed (never left {@code CONNECTED} with nobody reading) and reconnected with backoff.
 */
public class RobustMqttClient extends MqttClient {
    private static final System.Logger LOG = System.getLogger(RobustMqttClient.class.getName());

    /** Default offline queue: 10,000 messages, 10 MiB, dropping the oldest. */
    public static final int DEFAULT_QUEUE_MESSAGES = 10_000;
    public static final long DEFAULT_QUEUE_BYTES = 10L * 1024 * 1024;
    /**
     * The robust client's connect timeout unless {@link #setConnectTimeout(int)} sets another:
     * 10 s (the simple client's is 30 s), so that an attempt lost in a network blackhole is
     * retried soon. See {@link ReconnectPolicy} for the trade-off.
     *
     * @since 1.3
     */
    public static final int DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS = 10_000;
    /**
     * A connection counts as stable, resetting the backoff, once it stayed up
     * {@code max(keepalive, 10 s)}, unless {@link ReconnectPolicy#withStableAfter(long)} says otherwise.
     *
     * @since 1.3
     */
    public static final long DEFAULT_STABLE_AFTER_MILLIS = 10_000;
    /** How many queued QoS 1 messages are in flight at once while the queue is flushed. */
    private static final int FLUSH_WINDOW = 256;
    /** A durable queue forces its file to the device at most this often while messages are queued. */
    private static final long QUEUE_SYNC_MILLIS = 1_000;
    /** Smallest and largest segment file of a durable queue; between them, an eighth of the byte bound. */
    private static final long MIN_SEGMENT_BYTES = 64 * 1024;
    private static final long MAX_SEGMENT_BYTES = 8L * 1024 * 1024;

    private volatile ReconnectPolicy policy = ReconnectPolicy.DEFAULT;
    /** Replaced only under {@link #queueSwap}. */
    private volatile OfflineQueue queue = new OfflineQueue(DEFAULT_QUEUE_MESSAGES, DEFAULT_QUEUE_BYTES,
            OverflowPolicy.DROP_OLDEST);
    private final Object queueSwap = new Object();
    private volatile RobustListener listener = new RobustListener() {
    };
    private final List<String[]> servers = new CopyOnWriteArrayList<>();
    private volatile boolean cleanSession = true;
    private volatile boolean lastSessionPresent;
    private volatile boolean everConnected;
    /** Set by close/disconnect: stop reconnecting. */
    private volatile boolean closed;
    private volatile Thread runner;

    /** Filter to requested QoS; guarded by itself. */
    private final Map<String, Integer> subscriptions = new LinkedHashMap<>();
    /** Filters subscribed on the broker in the current session; guarded by {@link #subscriptions}. */
    private final Set<String> confirmed = new LinkedHashSet<>();
    /** Filters to unsubscribe when the session comes back; guarded by {@link #subscriptions}. */
    private final Set<String> unsubscribeLater = new LinkedHashSet<>();

    private final Object reconnectLock = new Object();
    /** Written under reconnectLock. */
    private volatile boolean reconnecting;
    private final ReentrantLock flushLock = new ReentrantLock();
    private final Object sleeper = new Object();
    private volatile boolean lastAttemptRefused;
    private volatile int connectTimeoutMillis = DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS;

    /** Guards the backoff state below; a leaf: nothing is called while it is held. */
    private final Object backoff = new Object();
    /** Unsuccessful attempts in a row: failed, or their connection lost before it was stable. */
    private int unsuccessful;
    /** When the last attempt started; the backoff counts from there. */
    private long attemptStartNanos;
    /** The next attempt starts no earlier. */
    private long notBeforeNanos;
    /** When the broker accepted the current (or last) connection. */
    private long connectedAtNanos;
    /** Whether a connection the broker accepted has not had its end reported yet. */
    private boolean unreportedConnection;
    /** Connections the broker accepted so far. */
    private long acceptedConnections;

    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong connectAttempts = new AtomicLong();
    private final AtomicLong queuedTotal = new AtomicLong();
    private final AtomicLong resent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /** As {@link MqttClient#MqttClient(String, String, int, String, String, int, TlsSettings)}. */
    public RobustMqttClient(String clientId, String server, int port, String user, String password,
            int keepAliveSeconds, TlsSettings tls) {
        super(clientId, server, port, user, password, keepAliveSeconds, tls);
        super.setConnectTimeout(DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS);
        servers.add(new String[] {server(), Integer.toString(port())});
    }

    /** A client for a broker without TLS or user; keepalive 60 s. */
    public RobustMqttClient(String clientId, String server, int port) {
        this(clientId, server, port, null, null, 60, null);
    }

    // ------------------------------------------------------------------ settings

    /** Sets the backoff; takes effect at the next unsuccessful attempt, its connect timeout at the next attempt. */
    public void setReconnectPolicy(ReconnectPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        this.policy = policy;
    }

    public ReconnectPolicy reconnectPolicy() {
        return policy;
    }

    /**
     * Sets the offline queue's bounds and overflow policy; queued messages are kept when they fit.
     *
     * @param maxMessages 0 disables queueing (publishes while disconnected are refused)
     */
    public void setOfflineQueue(int maxMessages, long maxBytes, OverflowPolicy overflow) {
        if (overflow == null) {
            throw new IllegalArgumentException("overflow policy must not be null");
        }
        synchronized (queueSwap) {
            OfflineQueue old = queue;
            OfflineQueue fresh = new OfflineQueue(maxMessages, maxBytes, overflow, old.log());
            queue = fresh; // first, so that no publish goes to the old queue after it was emptied
            move(old.take(Integer.MAX_VALUE), fresh, "it did not fit the resized offline queue");
        }
    }

    /**
     * Keeps the offline queue on disk in {@code directory} (created if needed), so that messages
     * queued while disconnected survive a restart or a crash of the JVM. Call it before connecting.
     * <p>
     * What the directory holds from an earlier run is loaded first, in order, and sent after the
     * connect, before what is queued now; it counts as queued ({@link #queued()},
     * {@link #queuedTotal()}), and the queue's bounds and overflow policy apply to it. Every
     * message the queue accepts is written to the file before {@code publish} returns (to the
     * operating system: it survives the JVM being killed), and removed once sent at QoS 0 or
     * acknowledged at QoS 1; messages dropped by the overflow policy are removed too. The file is
     * forced to the device (fsync) when a segment file is full, at most once a second while
     * messages are queued, and on {@link #close()} / {@link #disconnect()}: a power loss can lose
     * the messages of the last second. A record torn by a crash or failing its CRC is skipped with
     * a warning naming the file; the ones before it are loaded. Disk use stays near the queue's
     * byte bound plus one segment (at most 8 MiB); with nothing queued the directory holds only
     * its lock file.
     * <p>
     * One client at a time may use a directory: it is locked until {@link #close()} or
     * {@link #disconnect()}, which release it (and every file handle); a later {@code connect} or
     * {@link #start(String)} locks it again. A message sent but not yet acknowledged when the
     * process ends is sent again by the next run: at least once.
     *
     * @param directory null keeps the queue in memory only (the default)
     * @throws IOException naming the directory when it cannot be created, is not a writable
     *         directory, or another client uses it
     * @throws IllegalStateException when a directory is already set
     * @since 1.2
     */
    public void setOfflineQueueDirectory(Path directory) throws IOException {
        synchronized (queueSwap) {
            OfflineQueue old = queue;
            if (old.log() != null) {
                if (directory != null && old.log().directory().equals(directory.toAbsolutePath().normalize())) {
                    return;
                }
                throw new IllegalStateException("the offline queue of " + clientId() + " is already kept in "
                        + old.log().directory() + "; set the directory once, before connecting");
            }
            if (directory == null) {
                return;
            }
            long segment = Math.max(MIN_SEGMENT_BYTES, Math.min(MAX_SEGMENT_BYTES, old.maxBytes() / 8));
            QueueLog log = QueueLog.open(directory, segment, QUEUE_SYNC_MILLIS);
            OfflineQueue fresh = new OfflineQueue(old.maxMessages(), old.maxBytes(), old.policy(), log);
            List<Entry> loaded = log.recovered();
            queue = fresh; // first, so that no publish goes to the old queue after it was emptied
            // those loaded count as queued; those queued in memory were counted when they came
            queuedTotal.addAndGet(move(loaded, fresh, "it did not fit the offline queue it was loaded into"));
            move(old.take(Integer.MAX_VALUE), fresh, "it did not fit the offline queue");
            if (!loaded.isEmpty()) {
                LOG.log(Level.INFO, () -> "MQTT client " + clientId() + ": loaded " + loaded.size() + " message(s) "
                        + "from the offline queue in " + log.directory() + "; they are sent after connecting");
            }
        }
    }

    /**
     * The directory the offline queue is kept in, or null when it is in memory only.
     *
     * @since 1.2
     */
    public Path offlineQueueDirectory() {
        QueueLog log = queue.log();
        return log == null ? null : log.directory();
    }

    /**
     * Offers {@code entries} to {@code target} in order; reports (and removes from disk) what does
     * not fit, and what could not be written to disk.
     *
     * @return how many were taken
     */
    private int move(List<Entry> entries, OfflineQueue target, String why) {
        List<Entry> lost = new ArrayList<>();
        List<Entry> unwritten = new ArrayList<>();
        IOException failure = null;
        for (Entry e : entries) {
            try {
                if (!target.offer(e, lost)) {
                    lost.add(e);
                }
            } catch (IOException io) {
                unwritten.add(e);
                failure = io;
            }
        }
        markSent(target, lost);
        for (Entry e : lost) {
            reportDropped(e, why);
        }
        for (Entry e : unwritten) {
            reportDropped(e, "the offline queue on disk could not be written: " + failure.getMessage());
        }
        return entries.size() - lost.size() - unwritten.size();
    }

    /**
     * The clean session flag for {@link #reconnect()} and {@link #runForever()} (default on);
     * {@link #connect(boolean)} sets it too.
     *
     * @throws IllegalArgumentException for {@code false} when the client id is empty (MQTT-3.1.3-7):
     *         every connect would be refused, so it is refused here, once
     */
    public void setCleanSession(boolean cleanSession) {
        requireIdForSession(cleanSession);
        this.cleanSession = cleanSession;
    }

    /**
     * Refuses clean session off with an empty client id, which MQTT 3.1.1 forbids: a
     * configuration error that no reconnect could fix, so it never reaches the reconnect loop.
     */
    private void requireIdForSession(boolean cleanSession) {
        if (!cleanSession && clientId().isEmpty()) {
            throw new IllegalArgumentException("MQTT client to " + server() + ":" + port() + " cannot keep a session "
                    + "(clean session false) with an empty client id: MQTT 3.1.1 allows an empty client id only with "
                    + "clean session (MQTT-3.1.3-7); give the client an id");
        }
    }

    /** Receives connection events and drops. */
    public void setListener(RobustListener listener) {
        this.listener = listener == null ? new RobustListener() {
        } : listener;
    }

    /**
     * Adds a failover server, tried after the primary one and those added before, in order.
     *
     * @param port 0 for the default port
     */
    public void addFailoverServer(String server, int port) {
        if (server == null || server.trim().isEmpty()) {
            throw new IllegalArgumentException("failover server must be a host name or address, found '" + server + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("failover port must be 0..65535, found " + port);
        }
        servers.add(new String[] {server.trim(), Integer.toString(port)});
    }

    // ------------------------------------------------------------------ counters

    /** Successful reconnects after a loss. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Connect attempts made, successful or not. */
    public long connectAttempts() {
        return connectAttempts.get();
    }

    /** Messages put in the offline queue so far. */
    public long queuedTotal() {
        return queuedTotal.get();
    }

    /** Messages in the offline queue now. */
    public int queued() {
        return queue.size();
    }

    /** QoS 1 messages sent again after a reconnect because their PUBACK had not arrived. */
    public long resent() {
        return resent.get();
    }

    /** Messages dropped or refused by the offline queue. */
    public long dropped() {
        return dropped.get();
    }

    /** The Session Present flag of the last successful connect. */
    public boolean sessionPresent() {
        return lastSessionPresent;
    }

    // ------------------------------------------------------------------ connecting

    /**
     * Connects once (no retry, like umqtt) within {@link #connectAttemptTimeoutMillis()}; see
     * {@link #connect(boolean, int)}.
     */
    @Override
    public boolean connect(boolean cleanSession) throws IOException {
        return connect(cleanSession, connectAttemptTimeoutMillis());
    }

    /**
     * Connects once (no retry, like umqtt), remembers {@code cleanSession} for reconnects, then
     * restores subscriptions and sends the offline queue. This is the {@code connect} hook the
     * reconnect loop calls.
     * <p>
     * Once the broker accepted the connection, a failure to restore the subscriptions or to send
     * the queue (an ack that never comes, a broken socket, anything thrown) closes the connection
     * (state {@code LOST}, never a {@code CONNECTED} connection nobody serves), reports its loss
     * ({@link RobustListener#connectionLost}) and is thrown.
     *
     * @throws IllegalArgumentException for {@code cleanSession} false with an empty client id
     *         (MQTT-3.1.3-7): nothing is sent, and the flag for reconnects stays as it was
     */
    @Override
    public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        requireIdForSession(cleanSession); // before it is remembered for the reconnects
        this.cleanSession = cleanSession;
        if (!reconnecting) {
            closed = false; // a connect by the user; the reconnect loop must not undo a close()
            reopenQueueLog();
            synchronized (backoff) {
                attemptStartNanos = System.nanoTime();
            }
        }
        connectAttempts.incrementAndGet();
        boolean sessionPresent = super.connect(cleanSession, timeoutMillis);
        synchronized (backoff) {
            connectedAtNanos = System.nanoTime();
            unreportedConnection = true;
            acceptedConnections++;
        }
        if (everConnected) {
            reconnects.incrementAndGet();
        }
        everConnected = true;
        lastSessionPresent = sessionPresent;
        try {
            restoreSubscriptions(sessionPresent);
            tell("connected", l -> l.connected(server(), port(), sessionPresent));
            flushQueue();
        } catch (IOException | RuntimeException e) {
            IOException cause = e instanceof IOException ? (IOException) e
                    : new IOException("MQTT client " + clientId() + " to " + server() + ":" + port() + ": failed after "
                            + "the broker accepted the connection: " + e, e);
            fail(cause); // nobody would serve it: closed, LOST
            connectionEnded(cause);
            throw e;
        }
        return sessionPresent;
    }

    /**
     * The connect timeout of every attempt of this client: the reconnect policy's
     * ({@link ReconnectPolicy#withConnectTimeout(int)}) when it has one, else the client's
     * ({@link #setConnectTimeout(int)}, default {@value #DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS} ms).
     *
     * @since 1.3
     */
    public int connectAttemptTimeoutMillis() {
        int p = policy.connectTimeoutMillis();
        return p > 0 ? p : connectTimeoutMillis;
    }

    /**
     * Timeout for TCP connect, TLS handshake and CONNACK together; for the robust client
     * {@value #DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS} ms unless set (the simple client's default is
     * 30 s). A reconnect policy with its own connect timeout takes precedence
     * ({@link #connectAttemptTimeoutMillis()}).
     */
    @Override
    public void setConnectTimeout(int millis) {
        super.setConnectTimeout(millis);
        connectTimeoutMillis = millis;
    }

    /**
     * Connects, retrying with backoff until it succeeds, the policy's attempts are used up, or the
     * client is closed. Returns at once when connected. Several threads may call it: one
     * connects, the others wait for it.
     * <p>
     * A connection the broker had accepted and that was lost since is reported first
     * ({@link RobustListener#connectionLost}) unless that was done already. The first attempt
     * after the loss of a connection that stayed up long enough ({@link ReconnectPolicy}) starts at
     * once; otherwise every attempt waits the backoff ({@link #delay(int)}), counted from the
     * start of the unsuccessful attempt before it. Nothing but {@code IOException} leaves it: an
     * unexpected exception of an attempt is logged and counts as a failed attempt, its connection
     * closed.
     *
     * @throws IOException when the client was closed or the attempts are used up
     */
    public void reconnect() throws IOException {
        synchronized (reconnectLock) {
            while (reconnecting) {
                try {
                    reconnectLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while another thread reconnects");
                }
            }
            if (isConnected()) {
                return;
            }
            reconnecting = true;
        }
        try {
            connectionEnded(lossCause()); // a loss the caller met, unless reported already
            int next = 0;
            while (true) {
                int level = backoffLevel();
                if (level > 0 && !closed) {
                    delay(level);
                }
                if (closed) {
                    throw new IOException("client " + clientId() + " was closed; not reconnecting");
                }
                if (isConnected()) {
                    return; // another thread connected meanwhile (a connect by the user)
                }
                String[] target = servers.get(next % servers.size());
                long acceptedBefore;
                synchronized (backoff) {
                    attemptStartNanos = System.nanoTime();
                    acceptedBefore = acceptedConnections;
                }
                IOException failed;
                try {
                    setServer(target[0], Integer.parseInt(target[1]));
                    connect(cleanSession);
                    if (closed) { // close() came while this attempt was under way
                        super.close();
                        throw new IOException("client " + clientId() + " was closed while connecting");
                    }
                    lastAttemptRefused = false;
                    return;
                } catch (IOException e) {
                    if (closed) {
                        throw e;
                    }
                    failed = e;
                } catch (RuntimeException e) {
                    failed = new IOException("connect attempt of " + clientId() + " to " + target[0] + ":" + target[1]
                            + " failed unexpectedly: " + e, e);
                    LOG.log(Level.ERROR, failed.getMessage() + "; closing it and retrying", e);
                    if (closed) {
                        throw failed;
                    }
                }
                ConnectionState s = state();
                if (s == ConnectionState.CONNECTED || s == ConnectionState.CONNECTING) {
                    fail(failed); // an overridden connect hook failed after connecting: nobody serves it
                }
                boolean accepted;
                synchronized (backoff) {
                    accepted = acceptedConnections != acceptedBefore;
                }
                if (accepted) {
                    connectionEnded(failed); // a loss, not a failed attempt; backoff by how long it lived
                } else {
                    lastAttemptRefused = failed instanceof MqttException
                            && ((MqttException) failed).reason() == Reason.CONNECTION_REFUSED;
                    log(true, failed);
                    long wait = unsuccessful();
                    int attempt = backoffLevel();
                    IOException cause = failed;
                    tell("reconnectFailed", l -> l.reconnectFailed(attempt, wait, cause));
                }
                ReconnectPolicy p = policy;
                int tried = backoffLevel();
                if (p.maxAttempts() > 0 && tried >= p.maxAttempts()) {
                    synchronized (backoff) {
                        unsuccessful = 0; // a later reconnect() has the policy's attempts again
                    }
                    throw new IOException("gave up connecting " + clientId() + " after " + tried + " attempts (in a "
                            + "row, none successful); last: " + failed.getMessage(), failed);
                }
                next++;
            }
        } finally {
            synchronized (reconnectLock) {
                reconnecting = false;
                reconnectLock.notifyAll();
            }
        }
    }

    /** Why the connection was lost, for reporting a loss the caller met. */
    private IOException lossCause() {
        IOException f = failure();
        return f != null ? f : new IOException("connection of " + clientId() + " to " + server() + ":" + port() + " lost");
    }

    /** Unsuccessful attempts in a row (failed, or a connection lost before it was stable): the backoff level. */
    private int backoffLevel() {
        synchronized (backoff) {
            return unsuccessful;
        }
    }

    /**
     * Counts one more unsuccessful attempt and sets when the next may start: the backoff after
     * the start of this one.
     *
     * @return milliseconds from now until then
     */
    private long unsuccessful() {
        int level;
        long start;
        synchronized (backoff) {
            level = ++unsuccessful;
            start = attemptStartNanos;
        }
        long notBefore = start + TimeUnit.MILLISECONDS.toNanos(backoffMillis(level)); // a hook: called without the lock
        synchronized (backoff) {
            notBeforeNanos = notBefore;
        }
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(notBefore - System.nanoTime()));
    }

    /** How long a connection must stay up to reset the backoff. */
    private long stableAfterMillis() {
        long p = policy.stableAfterMillis();
        return p > 0 ? p : Math.max(keepAliveSeconds() * 1000L, DEFAULT_STABLE_AFTER_MILLIS);
    }

    /**
     * The end of a connection the broker had accepted, once: reports it (unless the client was
     * closed on purpose) and sets the backoff by how long it lived: after a stable one the next
     * attempt starts at once, after a short one it waits as after a failed attempt.
     *
     * @return whether this call reported it (false: reported already, or none was up)
     */
    private boolean connectionEnded(IOException cause) {
        long lived;
        synchronized (backoff) {
            if (!unreportedConnection) {
                return false;
            }
            unreportedConnection = false;
            lived = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connectedAtNanos);
        }
        long stableAfter = stableAfterMillis();
        if (lived >= stableAfter) {
            synchronized (backoff) {
                unsuccessful = 0;
            }
            lastAttemptRefused = false;
        } else {
            lastAttemptRefused = false;
            long wait = unsuccessful();
            LOG.log(Level.INFO, () -> "MQTT client " + clientId() + ": the connection to " + server() + ":" + port()
                    + " lived " + lived + " ms, less than the " + stableAfter + " ms that make it stable; next attempt"
                    + " in " + wait + " ms");
        }
        if (closed) {
            return true;
        }
        log(false, cause);
        tell("connectionLost", l -> l.connectionLost(cause));
        return true;
    }

    /** Calls the listener; what it throws is logged, it never breaks the connection or the reconnect loop. */
    private void tell(String event, java.util.function.Consumer<RobustListener> call) {
        try {
            call.accept(listener);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "MQTT client " + clientId() + ": the listener's " + event + " threw; ignored", e);
        }
    }

    /**
     * The delay the reconnect loop waits after unsuccessful attempt {@code attempt} (1-based: how
     * many in a row), with jitter, counted from the start of that attempt.
     */
    protected long backoffMillis(int attempt) {
        return policy.delayMillis(attempt, lastAttemptRefused, ThreadLocalRandom.current().nextDouble());
    }

    /**
     * umqtt.robust's {@code delay(i)} hook, called before an attempt that follows {@code attempt}
     * unsuccessful ones in a row: waits until {@link #backoffMillis(int)} after the start of the
     * last of them; returns early when the client is closed.
     */
    protected void delay(int attempt) throws InterruptedIOException {
        long deadline;
        synchronized (backoff) {
            deadline = notBeforeNanos;
        }
        synchronized (sleeper) {
            long left;
            while (!closed && (left = deadline - System.nanoTime()) > 0) {
                try {
                    sleeper.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting to reconnect");
                }
            }
        }
    }

    /**
     * umqtt.robust's {@code log(in_reconnect, e)} hook. Refusals are logged as errors: they need a
     * person (credentials, authorisation), retrying alone will not fix them.
     */
    protected void log(boolean inReconnect, Throwable e) {
        boolean refused = e instanceof MqttException && ((MqttException) e).reason() == Reason.CONNECTION_REFUSED;
        LOG.log(refused ? Level.ERROR : Level.WARNING, () -> "MQTT client " + clientId() + " to " + server() + ":"
                + port() + (inReconnect ? ": connect attempt failed: " : ": connection failed: ") + e.getMessage()
                + (refused ? " (retrying only every " + policy.maxDelayMillis() + " ms)" : ""));
    }

    /**
     * Connects and runs the loop on the calling thread until {@link #close()} or
     * {@link #disconnect()}: reconnects after every loss, also when the first connect fails. When
     * the policy's attempts are used up it tells {@link RobustListener#gaveUp} and throws; the
     * client is then caller-driven again (a publish reconnects on its caller's thread) unless it
     * is closed.
     * <p>
     * Whatever else fails on this thread (an exception of a hook, a listener, the loop) is logged,
     * the connection is closed and reconnected with backoff: the thread ends only when the client
     * is closed or the attempts are used up, or, after closing the connection, for a
     * {@link VirtualMachineError}.
     *
     * @throws IOException when the reconnect policy's attempts are used up
     */
    public void runForever() throws IOException {
        runner = Thread.currentThread();
        try {
            while (!closed) {
                try {
                    reconnect();
                } catch (IOException e) {
                    if (closed) {
                        return;
                    }
                    tell("gaveUp", l -> l.gaveUp(e));
                    throw e;
                } catch (RuntimeException | Error e) {
                    unexpected(e);
                    continue;
                }
                try {
                    flushQueue();
                    loop();
                } catch (IOException e) {
                    if (closed) {
                        return;
                    }
                    connectionEnded(e);
                } catch (RuntimeException | Error e) {
                    unexpected(e);
                }
            }
        } finally {
            runner = null;
        }
    }

    /**
     * What {@link #runForever()} does with an exception nobody handles: logs it, closes the
     * connection (never left CONNECTED with nobody reading), reports the loss or counts an
     * unsuccessful attempt, so that the next attempt waits the backoff.
     */
    private void unexpected(Throwable e) {
        IOException cause = new IOException("MQTT client " + clientId() + ": unexpected failure on its connection "
                + "thread: " + e, e);
        LOG.log(Level.ERROR, cause.getMessage() + "; closing the connection and reconnecting", e);
        fail(cause);
        if (!closed && !connectionEnded(cause)) {
            unsuccessful();
        }
        if (e instanceof VirtualMachineError) {
            throw (VirtualMachineError) e;
        }
    }

    /**
     * Starts a thread named {@code name} that runs {@link #runForever()}; when this returns, the
     * client already counts as thread-driven (publishes never reconnect on the caller's thread).
     * A failure that ends the thread (attempts used up) is logged.
     */
    public Thread start(String name) {
        Thread t = new Thread(() -> {
            try {
                runForever();
            } catch (IOException e) {
                LOG.log(Level.ERROR, "MQTT client " + clientId() + " stopped: " + e.getMessage(), e);
            } catch (RuntimeException | Error e) { // runForever lets only a VirtualMachineError out
                LOG.log(Level.ERROR, "MQTT client " + clientId() + " stopped; its connection was closed", e);
                throw e;
            }
        }, name);
        closed = false;
        try {
            reopenQueueLog();
        } catch (IOException e) {
            throw new IllegalStateException("MQTT client " + clientId() + " cannot start: " + e.getMessage(), e);
        }
        runner = t;
        t.start();
        return t;
    }

    /**
     * Stops reconnecting, sends DISCONNECT if connected, closes. Queued messages stay queued; a
     * durable queue's files are forced to the device, closed and unlocked.
     */
    @Override
    public void disconnect() throws IOException {
        stop();
        try {
            super.disconnect();
        } finally {
            closeQueueLog();
        }
    }

    /**
     * Stops reconnecting and closes without DISCONNECT (the last will is published). Queued
     * messages stay queued; a durable queue's files are forced to the device, closed and unlocked.
     */
    @Override
    public void close() {
        stop();
        super.close();
        closeQueueLog();
    }

    private void closeQueueLog() {
        QueueLog log = queue.log();
        if (log != null) {
            log.close();
        }
    }

    private void reopenQueueLog() throws IOException {
        QueueLog log = queue.log();
        if (log != null) {
            log.reopen();
        }
    }

    private void stop() {
        closed = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    /** Whether no thread runs {@link #runForever()}: then callers reconnect, as in umqtt.robust. */
    private boolean callerDriven() {
        return runner == null;
    }

    // ------------------------------------------------------------------ publishing

    @Override
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        checkPublishArguments(topic, msg, qos);
        if (closed && state() == ConnectionState.CLOSED) {
            throw new IOException("client " + clientId() + " is closed");
        }
        Entry entry = new Entry(topic, msg, qos, retain, 0);
        if (!isConnected() || !queue.isEmpty()) {
            enqueue(entry);
            afterQueueing();
            return;
        }
        int id = 0;
        try {
            InFlight sent = sendPublish(topic, msg, retain, qos, false, 0);
            if (sent != null) {
                id = sent.packetId();
                awaitPuback(sent);
            }
        } catch (IOException e) {
            if (closed) {
                throw e;
            }
            if (e instanceof MqttException && ((MqttException) e).reason() == Reason.TIMEOUT) {
                fail(e); // an ack that never comes: treat the connection as broken, resend on a new one
            }
            try {
                requeue(List.of(entry.withPacketId(id)));
            } catch (IOException notKept) {
                notKept.addSuppressed(e);
                throw notKept;
            }
            log(false, e);
            afterQueueing();
        }
    }

    /**
     * Not supported: its tokens could not follow a message through the offline queue and the
     * resend after a reconnect. Use {@link #publish(byte[], byte[], boolean, int)}.
     *
     * @throws UnsupportedOperationException always
     * @since 1.1
     */
    @Override
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos) {
        throw new UnsupportedOperationException("publishAsync is not supported by RobustMqttClient (" + clientId()
                + "): use publish, which queues while disconnected and resends after a reconnect");
    }

    /**
     * Sends what waits in the queue when connected, or reconnects when the caller drives. A
     * failure here does not fail the publish: its message is queued, and goes out after the
     * reconnect.
     */
    private void afterQueueing() throws IOException {
        while (!closed) {
            try {
                if (isConnected()) {
                    flushQueue();
                    return;
                }
                if (callerDriven()) {
                    reconnect(); // flushes the queue once connected
                }
                return;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                log(false, e);
                if (!callerDriven()) {
                    return; // the runForever thread reconnects and sends the queue
                }
            }
        }
    }

    private void enqueue(Entry e) throws IOException {
        List<Entry> lost = new ArrayList<>(0);
        OfflineQueue q = queue;
        if (!q.offer(e, lost)) {
            dropped.incrementAndGet();
            String why = "offline queue full (" + q.size() + "/" + q.maxMessages() + " messages, " + q.bytes() + "/"
                    + q.maxBytes() + " bytes, policy " + q.policy() + ")";
            listener.messageDropped(e.topic, e.payload, e.qos, why);
            throw new OfflineQueueFullException("message to '" + new String(e.topic, StandardCharsets.UTF_8)
                    + "' refused: " + why);
        }
        queuedTotal.incrementAndGet();
        for (Entry d : lost) {
            reportDropped(d, "dropped as the oldest message of the full offline queue (policy DROP_OLDEST)");
        }
    }

    private void requeue(List<Entry> entries) throws IOException {
        queue.requeue(entries);
    }

    /**
     * Tells the queue that messages it held were sent (QoS 0), acknowledged (QoS 1) or dropped,
     * so that a durable queue does not load them again. A failure to note it means that the next
     * run sends them once more (at least once), so it is logged, not thrown.
     */
    private void markSent(OfflineQueue q, List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        try {
            q.done(entries);
        } catch (IOException e) {
            LOG.log(Level.WARNING, () -> "MQTT client " + clientId() + ": " + entries.size() + " message(s) sent "
                    + "or dropped could not be removed from the offline queue on disk; a restart would send them "
                    + "again: "
                    + e.getMessage());
        }
    }

    private void reportDropped(Entry e, String why) {
        dropped.incrementAndGet();
        LOG.log(Level.WARNING, () -> "MQTT client " + clientId() + ": message to '"
                + new String(e.topic, StandardCharsets.UTF_8) + "' (" + e.payload.length + " bytes, QoS " + e.qos + ") "
                + why);
        listener.messageDropped(e.topic, e.payload, e.qos, why);
    }

    /**
     * Sends the offline queue in order, QoS 1 messages pipelined in windows. On failure, what was
     * not acknowledged goes back to the front of the queue (with packet ids, for DUP resends).
     */
    private void flushQueue() throws IOException {
        flushLock.lock();
        try {
            OfflineQueue q = queue;
            while (isConnected() && !q.isEmpty()) {
                List<Entry> batch = q.take(FLUSH_WINDOW);
                InFlight[] sent = new InFlight[batch.size()];
                int written = 0;
                int acked = 0;
                try {
                    boolean session = lastSessionPresent;
                    for (; written < batch.size(); written++) {
                        Entry e = batch.get(written);
                        boolean dup = session && e.packetId != 0;
                        if (e.packetId != 0) {
                            resent.incrementAndGet();
                        }
                        sent[written] = sendPublish(e.topic, e.payload, e.retain, e.qos, dup, dup ? e.packetId : 0);
                    }
                    for (; acked < batch.size(); acked++) {
                        if (sent[acked] != null) {
                            awaitPuback(sent[acked]);
                        }
                    }
                    markSent(q, batch);
                } catch (IOException e) {
                    List<Entry> back = new ArrayList<>(batch.size() - acked);
                    List<Entry> gone = new ArrayList<>(batch.subList(0, acked));
                    for (int i = acked; i < batch.size(); i++) {
                        Entry en = batch.get(i);
                        if (en.qos == 0 && i < written) {
                            gone.add(en);
                            continue; // written at QoS 0: at most once, not sent again
                        }
                        // written at QoS 1: keep its packet id for a DUP resend; not written yet: as it was
                        back.add(sent[i] != null ? en.withPacketId(sent[i].packetId()) : en);
                    }
                    markSent(q, gone);
                    requeue(back); // all of them are on disk already when the queue is durable
                    if (!closed && e instanceof MqttException && ((MqttException) e).reason() == Reason.TIMEOUT) {
                        fail(e);
                    }
                    throw e;
                }
            }
        } finally {
            flushLock.unlock();
        }
    }

    // ------------------------------------------------------------------ subscriptions

    /**
     * Subscribes and remembers the subscription, to restore it after reconnects that lost the
     * session. When not connected, the subscription is remembered and made on connect; the call
     * then reconnects first (caller-driven) or throws (with {@link #runForever()}).
     */
    @Override
    public int subscribe(String filter, int qos) throws IOException {
        TopicFilter.parse(filter);
        checkQos(qos);
        synchronized (subscriptions) {
            subscriptions.put(filter, qos);
            confirmed.remove(filter);
            unsubscribeLater.remove(filter);
        }
        while (true) {
            try {
                int granted = super.subscribe(filter, qos);
                synchronized (subscriptions) {
                    if (subscriptions.containsKey(filter)) {
                        confirmed.add(filter);
                    }
                }
                return granted;
            } catch (MqttException e) {
                if (e.reason() == Reason.SUBSCRIPTION_REFUSED) {
                    synchronized (subscriptions) {
                        subscriptions.remove(filter);
                    }
                }
                if (e.reason() != Reason.TIMEOUT || !callerDriven() || closed) {
                    throw e;
                }
                fail(e);
                reconnect();
            } catch (IOException e) {
                if (!callerDriven() || closed) {
                    throw new IOException(e.getMessage() + "; the subscription to '" + filter
                            + "' is remembered and made when the connection is back", e);
                }
                reconnect(); // restores the remembered subscription, then we ask again for the granted QoS
            }
        }
    }

    /** Forgets the subscription and unsubscribes; when disconnected, it is removed on the next connect. */
    @Override
    public void unsubscribe(String filter) throws IOException {
        TopicFilter.parse(filter);
        synchronized (subscriptions) {
            subscriptions.remove(filter);
            confirmed.remove(filter);
            unsubscribeLater.add(filter);
        }
        try {
            super.unsubscribe(filter);
            synchronized (subscriptions) {
                unsubscribeLater.remove(filter);
            }
        } catch (IOException e) {
            if (closed || !callerDriven()) {
                throw e;
            }
            reconnect(); // unsubscribes on connect when the session survived
        }
    }

    /** The remembered subscriptions, filter to requested QoS. */
    public Map<String, Integer> subscriptions() {
        synchronized (subscriptions) {
            return new LinkedHashMap<>(subscriptions);
        }
    }

    private void restoreSubscriptions(boolean sessionPresent) throws IOException {
        Map<String, Integer> wanted;
        List<String> drop;
        synchronized (subscriptions) {
            if (!sessionPresent) {
                confirmed.clear();
                unsubscribeLater.clear();
            }
            wanted = new LinkedHashMap<>(subscriptions);
            wanted.keySet().removeAll(confirmed);
            drop = new ArrayList<>(unsubscribeLater);
        }
        for (String filter : drop) {
            super.unsubscribe(filter);
            synchronized (subscriptions) {
                unsubscribeLater.remove(filter);
            }
        }
        for (Map.Entry<String, Integer> s : wanted.entrySet()) {
            try {
                super.subscribe(s.getKey(), s.getValue());
                synchronized (subscriptions) {
                    if (subscriptions.containsKey(s.getKey())) {
                        confirmed.add(s.getKey());
                    }
                }
            } catch (MqttException e) {
                if (e.reason() != Reason.SUBSCRIPTION_REFUSED) {
                    throw e;
                }
                LOG.log(Level.ERROR, () -> "MQTT client " + clientId() + ": the broker refused to restore the "
                        + "subscription to '" + s.getKey() + "': " + e.getMessage());
                listener.subscriptionFailed(s.getKey(), e);
            }
        }
    }

    // ------------------------------------------------------------------ loop steps

    /** umqtt.robust's {@code wait_msg}: on a network error, reconnects (caller-driven) and waits again. */
    @Override
    public PacketType waitMsg() throws IOException {
        while (true) {
            try {
                return super.waitMsg();
            } catch (IOException e) {
                if (closed || !callerDriven()) {
                    throw e;
                }
                if (!connectionEnded(e)) {
                    log(false, e);
                }
                reconnect();
            }
        }
    }

    /**
     * umqtt.robust's {@code check_msg}: on a network error, reconnects (caller-driven) and checks
     * once more.
     */
    @Override
    public PacketType checkMsg() throws IOException {
        try {
            return super.checkMsg();
        } catch (IOException e) {
            if (closed || !callerDriven()) {
                throw e;
            }
            if (!connectionEnded(e)) {
                log(false, e);
            }
            reconnect();
            return super.checkMsg();
        }
    }
}
