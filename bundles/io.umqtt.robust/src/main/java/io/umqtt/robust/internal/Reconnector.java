package io.umqtt.robust.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.robust.ReconnectPolicy;
import io.umqtt.robust.RobustListener;
import io.umqtt.simple.MqttClient;

/**
 * The reconnect logic of a robust client, driving it through a {@link ClientPort}: the attempt
 * loop over the servers (which server each attempt goes to: {@link ServerChoice}), the backoff of
 * its {@link ReconnectPolicy} counted by how long connections lived, the report of each accepted
 * connection's end (once), and {@link #runForever} (connect, serve, reconnect until closed). What a new connection needs
 * (subscriptions, the offline queue) is done by the step given to {@link #accepted}.
 * <p>
 * One monitor, {@link #lock}, guards the reconnect role ({@code reconnecting}, waited for with
 * {@code wait}), the backoff state and the backoff sleep (woken by {@link #stop()}). It is never
 * held while calling the client, a hook, the listener or the log, and nothing else is taken
 * while it is held: a leaf.
 */
public final class Reconnector {
    private static final System.Logger LOG = System.getLogger(Outbox.LOGGER); // the client's logger, as before the split
    /** See {@code RobustMqttClient.DEFAULT_STABLE_AFTER_MILLIS}. */
    private static final long DEFAULT_STABLE_AFTER_MILLIS = 10_000;

    private final MqttClient client;
    private final ClientPort port;
    private final int keepAliveSeconds;
    private final ServerChoice servers;
    private volatile ReconnectPolicy policy = ReconnectPolicy.DEFAULT;
    private volatile RobustListener listener = new RobustListener() {
    };
    /** Set by close/disconnect: stop reconnecting. */
    private volatile boolean closed;
    private volatile Thread runner;
    private volatile boolean lastAttemptRefused;
    private volatile boolean lastSessionPresent;
    private volatile boolean everConnected;
    /** The note the log of the last server DISCONNECT gets: where the client goes next. */
    private volatile String redirectNote = "";
    /** MQTT 5: whether the session should still exist, for the Clean Start of reconnects. */
    private final SessionExpiry session = new SessionExpiry();

    private final Object lock = new Object();
    /** Whether a thread holds the reconnect role; guarded by {@link #lock}. */
    private boolean reconnecting;
    /** Unsuccessful attempts in a row: failed, or their connection lost before it was stable. Guarded by lock. */
    private int unsuccessful;
    /** When the last attempt started; the backoff counts from there. Guarded by lock. */
    private long attemptStartNanos;
    /** The next attempt starts no earlier. Guarded by lock. */
    private long notBeforeNanos;
    /** When the broker accepted the current (or last) connection. Guarded by lock. */
    private long connectedAtNanos;
    /** Whether a connection the broker accepted has not had its end reported yet. Guarded by lock. */
    private boolean unreportedConnection;
    /** Connections the broker accepted so far. Guarded by lock. */
    private long acceptedConnections;

    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong connectAttempts = new AtomicLong();

    public Reconnector(MqttClient client, ClientPort port, int keepAliveSeconds) {
        this.client = client;
        this.port = port;
        this.keepAliveSeconds = keepAliveSeconds;
        this.servers = new ServerChoice(client);
    }

    // ------------------------------------------------------------------ settings and state

    public void setPolicy(ReconnectPolicy policy) {
        this.policy = policy;
    }

    public ReconnectPolicy policy() {
        return policy;
    }

    /** @param listener null: none */
    public void setListener(RobustListener listener) {
        this.listener = listener == null ? new RobustListener() {
        } : listener;
    }

    /** The listener of connection events and drops; never null. */
    public RobustListener listener() {
        return listener;
    }

    public void addServer(String server, int port) {
        servers.add(server, port);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Whether no thread runs {@link #runForever}: then callers reconnect, as in umqtt.robust. */
    public boolean callerDriven() {
        return runner == null;
    }

    public boolean lastAttemptRefused() {
        return lastAttemptRefused;
    }

    public boolean sessionPresent() {
        return lastSessionPresent;
    }

    public long reconnects() {
        return reconnects.get();
    }

    public long connectAttempts() {
        return connectAttempts.get();
    }

    /**
     * The Clean Start flag of a connect attempt of the reconnect loop: on MQTT 3.1.1 the
     * configured clean session, on MQTT 5 the configured one for a first connect and, on a
     * reconnect, whether the session expired ({@link SessionExpiry}). This holds for an empty
     * client id too: the server assigned one on the accepted connection (MQTT-3.2.2-16), and the
     * client's reconnects go with it, so its session can be resumed.
     */
    public boolean cleanStart(boolean configured) {
        if (port.protocolVersion() < 5) {
            return configured;
        }
        return session.cleanStart(configured, System.nanoTime());
    }

    /** Stops reconnecting and wakes a backoff wait; the next connect is a first connect (MQTT 5 Clean Start). */
    public void stop() {
        session.firstConnect();
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    // ------------------------------------------------------------------ one connect

    /**
     * Before a connect through the hook: a connect by the user (not by the attempt loop) reopens a
     * closed client ({@code reopen}: the durable queue) and starts the backoff clock. Counts the
     * attempt.
     */
    public void beforeConnect(Step reopen) throws IOException {
        boolean byUser;
        synchronized (lock) {
            byUser = !reconnecting;
        }
        if (byUser) {
            session.firstConnect();
            closed = false; // a connect by the user; the reconnect loop must not undo a close()
            reopen.run();
            synchronized (lock) {
                attemptStartNanos = System.nanoTime();
            }
        }
        connectAttempts.incrementAndGet();
    }

    /** What to do on a connection the broker accepted, before it counts as served. */
    @FunctionalInterface
    public interface Serving {
        void start(boolean sessionPresent) throws IOException;
    }

    /**
     * The broker accepted a connection: counts it, then runs {@code serving} (restore the
     * subscriptions, send the queue). When that fails, the connection is closed ({@code LOST},
     * never one nobody serves), its loss reported, and the failure thrown.
     */
    public void accepted(boolean sessionPresent, Serving serving) throws IOException {
        synchronized (lock) {
            connectedAtNanos = System.nanoTime();
            unreportedConnection = true;
            acceptedConnections++;
        }
        if (everConnected) {
            reconnects.incrementAndGet();
        }
        everConnected = true;
        lastSessionPresent = sessionPresent;
        if (port.protocolVersion() >= 5) {
            session.accepted(port.sessionExpiryInterval());
        }
        try {
            serving.start(sessionPresent);
        } catch (IOException | RuntimeException e) {
            IOException cause = e instanceof IOException ? (IOException) e
                    : new IOException("MQTT client " + client.clientId() + " to " + client.server() + ":"
                            + client.port() + ": failed after the broker accepted the connection: " + e, e);
            port.fail(cause); // nobody would serve it: closed, LOST
            connectionEnded(cause);
            throw e;
        }
    }

    // ------------------------------------------------------------------ the attempt loop

    /** See {@code RobustMqttClient.reconnect()}. */
    public void reconnect() throws IOException {
        synchronized (lock) {
            while (reconnecting) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while another thread reconnects");
                }
            }
            reconnecting = true;
        }
        try {
            if (client.isConnected()) {
                return; // another thread reconnected while this one waited for the role
            }
            connectionEnded(lossCause()); // a loss the caller met, unless reported already
            attempts();
        } finally {
            synchronized (lock) {
                reconnecting = false;
                lock.notifyAll();
            }
        }
    }

    private void attempts() throws IOException {
        List<String[]> order = null;
        for (int next = 0;; next++) {
            int level = backoffLevel();
            if (level > 0 && !closed) {
                port.delay(level);
            }
            if (closed) {
                throw new IOException("client " + client.clientId() + " was closed; not reconnecting");
            }
            if (client.isConnected()) {
                return; // another thread connected meanwhile (a connect by the user)
            }
            if (next == 0) {
                order = servers.attemptOrder();
            }
            String[] target = order.get(next % order.size());
            long acceptedBefore;
            synchronized (lock) {
                attemptStartNanos = System.nanoTime();
                acceptedBefore = acceptedConnections;
            }
            IOException failed;
            try {
                port.connectAttempt(target[0], Integer.parseInt(target[1]));
                if (closed) { // close() came while this attempt was under way
                    port.closeConnection();
                    throw new IOException("client " + client.clientId() + " was closed while connecting");
                }
                lastAttemptRefused = false;
                return;
            } catch (IOException e) {
                if (closed) {
                    throw e;
                }
                failed = e;
            } catch (RuntimeException e) {
                failed = new IOException("connect attempt of " + client.clientId() + " to " + target[0] + ":" + target[1]
                        + " failed unexpectedly: " + e, e);
                LOG.log(Level.ERROR, failed.getMessage() + "; closing it and retrying", e);
                if (closed) {
                    throw failed;
                }
            }
            attemptFailed(failed, acceptedBefore);
        }
    }

    /** After a failed attempt: closes what it left open, counts it, gives up when the attempts are used up. */
    private void attemptFailed(IOException failed, long acceptedBefore) throws IOException {
        ConnectionState s = client.state();
        if (s == ConnectionState.CONNECTED || s == ConnectionState.CONNECTING) {
            port.fail(failed); // an overridden connect hook failed after connecting: nobody serves it
        }
        boolean accepted;
        synchronized (lock) {
            accepted = acceptedConnections != acceptedBefore;
        }
        if (accepted) {
            connectionEnded(failed); // a loss, not a failed attempt; backoff by how long it lived
        } else {
            lastAttemptRefused = failed instanceof MqttException
                    && ((MqttException) failed).reason() == Reason.CONNECTION_REFUSED;
            port.log(true, failed);
            long wait = unsuccessful();
            int attempt = backoffLevel();
            tell("reconnectFailed", l -> l.reconnectFailed(attempt, wait, failed));
        }
        ReconnectPolicy p = policy;
        int tried = backoffLevel();
        if (p.maxAttempts() > 0 && tried >= p.maxAttempts()) {
            synchronized (lock) {
                unsuccessful = 0; // a later reconnect() has the policy's attempts again
            }
            throw new IOException("gave up connecting " + client.clientId() + " after " + tried + " attempts (in a "
                    + "row, none successful); last: " + failed.getMessage(), failed);
        }
    }

    /** Why the connection was lost, for reporting a loss the caller met. */
    private IOException lossCause() {
        IOException f = client.failure();
        return f != null ? f
                : new IOException("connection of " + client.clientId() + " to " + client.server() + ":" + client.port()
                        + " lost");
    }

    private int backoffLevel() {
        synchronized (lock) {
            return unsuccessful;
        }
    }

    /**
     * Counts one more unsuccessful attempt and sets when the next may start: the backoff after
     * the start of this one.
     *
     * @return milliseconds from now until then
     */
    public long unsuccessful() {
        int level;
        long start;
        synchronized (lock) {
            level = ++unsuccessful;
            start = attemptStartNanos;
        }
        long notBefore = start + TimeUnit.MILLISECONDS.toNanos(port.backoffMillis(level)); // a hook: no lock held
        synchronized (lock) {
            notBeforeNanos = notBefore;
        }
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(notBefore - System.nanoTime()));
    }

    /** The default backoff: the policy's delay, with jitter. */
    public long backoffMillis(int attempt) {
        return policy.delayMillis(attempt, lastAttemptRefused, ThreadLocalRandom.current().nextDouble());
    }

    /** The body of the default {@code delay} hook: waits until the backoff set last; returns early on close. */
    public void awaitBackoff() throws InterruptedIOException {
        synchronized (lock) {
            long left;
            while (!closed && (left = notBeforeNanos - System.nanoTime()) > 0) {
                try {
                    lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting to reconnect");
                }
            }
        }
    }

    private long stableAfterMillis() {
        long p = policy.stableAfterMillis();
        return p > 0 ? p : Math.max(keepAliveSeconds * 1000L, DEFAULT_STABLE_AFTER_MILLIS);
    }

    /**
     * The body of the default {@code log} hook: refusals are errors, other failures warnings; an
     * MQTT 5 DISCONNECT of the server is logged as such (not as a lost socket), with where the
     * client goes next.
     */
    public void logFailure(boolean inReconnect, Throwable e) {
        if (!inReconnect && e instanceof MqttException && ((MqttException) e).reason() == Reason.DISCONNECTED_BY_SERVER) {
            MqttException d = (MqttException) e;
            String note = redirectNote;
            LOG.log(Level.WARNING, () -> "MQTT client " + client.clientId() + " to " + client.server() + ":"
                    + client.port() + ": disconnected by the server with reason code 0x"
                    + String.format("%02X", d.returnCode()) + " (" + MqttException.reasonCodeName(d.returnCode()) + ")"
                    + (d.reasonString() == null ? "" : ", reason string '" + d.reasonString() + "'") + ": "
                    + d.getMessage() + note);
            return;
        }
        boolean refused = e instanceof MqttException && ((MqttException) e).reason() == Reason.CONNECTION_REFUSED;
        LOG.log(refused ? Level.ERROR : Level.WARNING, () -> "MQTT client " + client.clientId() + " to "
                + client.server() + ":" + client.port() + (inReconnect ? ": connect attempt failed: "
                        : ": connection failed: ") + e.getMessage()
                + (refused ? " (retrying only every " + policy.maxDelayMillis() + " ms)" : ""));
    }

    /**
     * The end of a connection the broker had accepted, once: reports it (unless the client was
     * closed on purpose) and sets the backoff by how long it lived.
     *
     * @return whether this call reported it (false: reported already, or none was up)
     */
    public boolean connectionEnded(IOException cause) {
        long lived;
        synchronized (lock) {
            if (!unreportedConnection) {
                return false;
            }
            unreportedConnection = false;
            lived = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - connectedAtNanos);
        }
        session.connectionEnded(System.nanoTime());
        long stableAfter = stableAfterMillis();
        lastAttemptRefused = false;
        if (lived >= stableAfter) {
            synchronized (lock) {
                unsuccessful = 0;
            }
        } else {
            long wait = unsuccessful();
            LOG.log(Level.INFO, () -> "MQTT client " + client.clientId() + ": the connection to " + client.server() + ":"
                    + client.port() + " lived " + lived + " ms, less than the " + stableAfter + " ms that make it "
                    + "stable; next attempt in " + wait + " ms");
        }
        if (closed) {
            return true;
        }
        redirectNote = servers.serverDisconnect(cause, port);
        port.log(false, cause);
        tell("connectionLost", l -> l.connectionLost(cause));
        return true;
    }

    /** Calls the listener; what it throws is logged, it never breaks the connection or the reconnect loop. */
    public void tell(String event, Consumer<RobustListener> call) {
        try {
            call.accept(listener);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "MQTT client " + client.clientId() + ": the listener's " + event + " threw; ignored", e);
        }
    }

    // ------------------------------------------------------------------ thread-driven

    /** A step of {@link #runForever} or of a connect. */
    @FunctionalInterface
    public interface Step {
        void run() throws IOException;
    }

    /**
     * See {@code RobustMqttClient.runForever()}; on each connection, {@code beforeLoop} sends the
     * offline queue, then {@code loop} serves it until it ends.
     */
    public void runForever(Step beforeLoop, Step loop) throws IOException {
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
                    beforeLoop.run();
                    loop.run();
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
     * After {@code e} in a caller's loop step ({@code waitMsg}, {@code checkMsg}): rethrows it
     * unless the caller drives, else reports the loss (or logs {@code e}) and runs {@code reconnect}
     * (the client's overridable {@code reconnect()}).
     */
    public void afterLoopError(IOException e, Step reconnect) throws IOException {
        if (closed || !callerDriven()) {
            throw e;
        }
        if (!connectionEnded(e)) {
            port.log(false, e);
        }
        reconnect.run();
    }

    /**
     * {@code RobustMqttClient.start}: a thread named {@code name} running {@code runForever};
     * when this returns, the client counts as thread-driven. {@code reopen} opens a durable queue
     * again.
     */
    public Thread start(String name, Step reopen, Step runForever) {
        Thread t = new Thread(() -> {
            try {
                runForever.run();
            } catch (IOException e) {
                LOG.log(Level.ERROR, "MQTT client " + client.clientId() + " stopped: " + e.getMessage(), e);
            } catch (RuntimeException | Error e) { // runForever lets only a VirtualMachineError out
                LOG.log(Level.ERROR, "MQTT client " + client.clientId() + " stopped; its connection was closed", e);
                throw e;
            }
        }, name);
        closed = false;
        try {
            reopen.run();
        } catch (IOException e) {
            throw new IllegalStateException("MQTT client " + client.clientId() + " cannot start: " + e.getMessage(), e);
        }
        runner = t;
        t.start();
        return t;
    }

    /**
     * What {@link #runForever} does with an exception nobody handles: logs it, closes the
     * connection, reports the loss or counts an unsuccessful attempt.
     */
    private void unexpected(Throwable e) {
        IOException cause = new IOException("MQTT client " + client.clientId() + ": unexpected failure on its "
                + "connection thread: " + e, e);
        LOG.log(Level.ERROR, cause.getMessage() + "; closing the connection and reconnecting", e);
        port.fail(cause);
        if (!closed && !connectionEnded(cause)) {
            unsuccessful();
        }
        if (e instanceof VirtualMachineError) {
            throw (VirtualMachineError) e;
        }
    }
}
