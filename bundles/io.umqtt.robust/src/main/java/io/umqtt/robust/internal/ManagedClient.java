package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.umqtt.api.ConnectionState;
import io.umqtt.robust.OfflineQueueSettings;
import io.umqtt.robust.RobustMqttClient;
import io.umqtt.simple.TlsSettings;

/**
 * The {@link RobustMqttClient} a {@link RobustConnectionComponent} owns and drives with
 * {@link #runForever()} on its thread. Through the {@code connect} hook it adds what the component
 * needs and the library client does not offer:
 * <ul>
 * <li>{@link #awaitRunning(long)}: the thread has entered {@code runForever()}, so that the client
 * is thread-driven and a publish or subscribe from a service consumer never reconnects on the
 * consumer's thread;</li>
 * <li>{@link #stop()}: once called, no connect attempt begins any more. It closes the race
 * between the component stopping the client and the runner thread being between two steps of a
 * reconnect (where {@code RobustMqttClient.connect} would otherwise reopen a client that was just
 * closed). A connection that is up, or completes meanwhile, stays up until the component
 * {@linkplain #release() releases} the client, which it does once its service is unregistered or
 * says {@code CLOSED}: the runner thread never closes the socket under a service that its users
 * still see connected (a SUBSCRIBE of theirs in flight would fail, and be logged as a fault);</li>
 * <li>{@link #release()}: the component's DISCONNECT after {@link #stop()}; a connect attempt
 * that completes after it is undone with a DISCONNECT by the connecting thread;</li>
 * <li>{@link #serviceState()}: the state the connection service reports.</li>
 * </ul>
 */
final class ManagedClient extends RobustMqttClient {
    private static final System.Logger LOG = System.getLogger(ManagedClient.class.getName());

    private final CountDownLatch running = new CountDownLatch(1);
    private volatile boolean stopped;
    /** Set by {@link #release()}, before its DISCONNECT: a connection completing afterwards is undone. */
    private volatile boolean released;
    /** Set when the reconnect attempts were used up: the client stays closed. */
    private volatile boolean retired;
    /** See {@link #carrySubscriptions}. */
    private volatile Map<String, Integer> carried = Map.of();
    /**
     * Set while a connect attempt runs until the subscriptions are restored and the carried ones
     * made: the service then says {@code CONNECTING} although the broker accepted already.
     */
    private volatile boolean restoring;

    ManagedClient(String clientId, String server, int port, String user, String password, int keepAliveSeconds,
            TlsSettings tls, OfflineQueueSettings queue) throws IOException {
        super(clientId, server, port, user, password, keepAliveSeconds, tls, queue);
    }

    /**
     * The hook of every connect attempt. Refuses to begin once stopped, and undoes a connection that
     * completed while the component was stopping.
     */
    @Override
    public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        running.countDown();
        refuseIfStopped();
        restoring = true;
        try {
            boolean sessionPresent = super.connect(cleanSession, timeoutMillis);
            // stopped meanwhile: the component releases the client once its service is gone; undone here only
            // when that DISCONNECT came before this connection was up (it then found nothing to close)
            refuseIfReleased();
            return sessionPresent;
        } finally {
            restoring = false;
        }
    }

    /**
     * Subscribes the carried filters ({@link #carrySubscriptions}) before the connection is
     * reported connected: whoever publishes once the service says {@code CONNECTED} after a
     * settings change reaches the service's listeners (the SUBSCRIBE went first, on the same
     * connection).
     */
    @Override
    protected void subscriptionsRestored(boolean sessionPresent) throws IOException {
        subscribeCarried();
        restoring = false; // the listener hears 'connected' next: the service says CONNECTED from now on
    }

    /**
     * Subscriptions this client takes over from the client of the previous settings (the
     * listeners of the service stay); made after its first successful connect, before the
     * connection is reported connected, from then on remembered and restored like every other.
     */
    void carrySubscriptions(Map<String, Integer> wanted) {
        carried = Map.copyOf(wanted);
    }

    private void subscribeCarried() throws IOException {
        Map<String, Integer> wanted = carried;
        if (wanted.isEmpty()) {
            return;
        }
        carried = Map.of();
        Map<String, Integer> have = subscriptions();
        List<String> filters = new ArrayList<>();
        for (String f : wanted.keySet()) {
            if (!have.containsKey(f)) {
                filters.add(f);
            }
        }
        if (filters.isEmpty()) {
            return;
        }
        String[] f = filters.toArray(new String[0]);
        int[] qos = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            qos[i] = wanted.get(f[i]);
        }
        // one SUBSCRIBE; remembered first: restored on the next connect if this fails
        int[] granted = subscribe(f, qos);
        for (int i = 0; i < f.length; i++) {
            if (granted[i] == SUBSCRIPTION_FAILURE) {
                String filter = f[i];
                LOG.log(Level.ERROR, () -> "MQTT client " + clientId() + ": the broker refused the subscription to '"
                        + filter + "' carried over from the previous settings (SUBACK return code 0x80)");
            }
        }
    }

    private void refuseIfStopped() throws IOException {
        if (stopped) {
            refuse();
        }
    }

    private void refuseIfReleased() throws IOException {
        if (released) {
            refuse();
        }
    }

    /** Disconnects (a DISCONNECT when connected) and throws: the component is stopping this client. */
    private void refuse() throws IOException {
        try {
            disconnect(); // also sets the client's closed flag, so the reconnect loop ends
        } catch (IOException e) {
            LOG.log(Level.WARNING, "MQTT client " + clientId() + ": DISCONNECT could not be sent while stopping; the "
                    + "socket is closed anyway, so the broker may publish the last will", e);
        }
        throw new IOException("MQTT client " + clientId() + " is stopping; not connecting");
    }

    /** Waits until the runner thread made its first connect attempt (it is then inside {@code runForever}). */
    boolean awaitRunning(long millis) throws InterruptedException {
        return running.await(millis, TimeUnit.MILLISECONDS);
    }

    /**
     * No connect attempt begins after this, and the service says {@code CLOSED}; a connection that is
     * up, or completes meanwhile, stays up until {@link #release()}. The caller unregisters the service
     * or publishes its {@code CLOSED} state, then releases the client.
     */
    void stop() {
        stopped = true;
    }

    /**
     * After {@link #stop()}: sends DISCONNECT and closes the connection; a connect attempt still
     * under way is undone by its thread (with a DISCONNECT) once it completes.
     *
     * @throws IOException when the DISCONNECT could not be sent (the socket is closed anyway)
     */
    void release() throws IOException {
        released = true;
        disconnect();
    }

    /** Whether {@link #stop()} was called. */
    boolean isStopped() {
        return stopped;
    }

    /** The reconnect attempts are used up: closes the client for good. */
    void retire() {
        retired = true;
        close();
    }

    /**
     * The state of the connection service: the client's, except that a client that has not begun its
     * first attempt is already {@code CONNECTING}, one whose connection the broker accepted is
     * {@code CONNECTING} until its subscriptions are restored (also those carried over from the
     * previous settings), and a stopped or retired one is {@code CLOSED}. So a service that says
     * {@code CONNECTED} has its subscriptions on the broker.
     */
    ConnectionState serviceState() {
        if (stopped || retired) {
            return ConnectionState.CLOSED;
        }
        ConnectionState s = state();
        if (s == ConnectionState.CLOSED || (s == ConnectionState.CONNECTED && restoring)) {
            return ConnectionState.CONNECTING;
        }
        return s;
    }
}
