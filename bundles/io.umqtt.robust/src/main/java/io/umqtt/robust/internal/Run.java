package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.robust.RobustConstants;
import io.umqtt.simple.connection.ConnectionSettings;

/**
 * One run of a {@link RobustConnectionComponent}: the client made for one set of settings, its
 * connection thread and what the client's listener learnt (failed attempts, the last failure).
 * A changed configuration stops the run and starts a new one. It says what the connection's service
 * properties and events carry while it is in force, and stops itself.
 * <p>
 * The component creates it and sets {@link #thread} before the thread starts; {@link #attempt},
 * {@link #lastFailure} and {@link #dropSeen} are written by the client's listener (the connection
 * thread, publishing threads for drops) and read by whoever refreshes the service properties.
 * {@link #stop()} is called by SCR's thread, outside the component's lock. Logs go to the
 * component's logger.
 */
final class Run {
    private static final System.Logger LOG = System.getLogger(RobustConnectionComponent.class.getName());

    final ConnectionSettings settings;
    final RobustSettings robust;
    final ManagedClient client;
    final String[] servers;
    Thread thread;
    volatile int attempt;
    volatile String lastFailure;
    /**
     * The {@link MqttConstants#DISCONNECT_REASON} of the last loss, when an MQTT 5 server ended
     * the connection with DISCONNECT; null when the last loss was something else. Written like
     * {@link #lastFailure}.
     */
    volatile String disconnectReason;
    /** Whether a drop was seen since the last state change (the first one refreshes the properties). */
    final AtomicBoolean dropSeen = new AtomicBoolean();

    Run(ConnectionSettings settings, RobustSettings robust, ManagedClient client, String[] servers) {
        this.settings = settings;
        this.robust = robust;
        this.client = client;
        this.servers = servers;
    }

    String name() {
        return settings.name();
    }

    /** The service properties while this run is in force. No secret is among them. */
    Hashtable<String, Object> serviceProperties() {
        ManagedClient c = client;
        ConnectionState state = c.serviceState();
        boolean connected = state == ConnectionState.CONNECTED;
        Hashtable<String, Object> p = settings.serviceProperties(RobustConstants.KIND, state);
        p.put(MqttConstants.SERVER, c.server()); // the server connected to or tried last (failover)
        p.put(MqttConstants.PORT, c.port());
        p.put(RobustConstants.SERVERS, servers.clone());
        p.put(RobustConstants.SESSION_PRESENT, connected && c.sessionPresent());
        p.put(RobustConstants.RECONNECT_ATTEMPT, connected ? 0 : attempt);
        p.put(RobustConstants.RECONNECTS, c.reconnects());
        p.put(RobustConstants.DROPPED, c.dropped());
        p.put(RobustConstants.QUEUED, c.queued());
        String failure = lastFailure;
        if (failure != null) {
            p.put(RobustConstants.LAST_FAILURE, failure);
        }
        String reason = disconnectReason;
        if (reason != null) {
            p.put(MqttConstants.DISCONNECT_REASON, reason);
        }
        return p;
    }

    /** The properties every event carries. */
    Map<String, Object> eventProperties() {
        ManagedClient c = client;
        Map<String, Object> p = new HashMap<>();
        p.put(MqttConstants.NAME, name());
        p.put(MqttConstants.KIND, RobustConstants.KIND);
        p.put(MqttConstants.SERVER, c.server());
        p.put(MqttConstants.PORT, c.port());
        p.put(MqttConstants.CLIENT_ID, c.clientId());
        return p;
    }

    /**
     * Stops this run: no more reconnects, DISCONNECT, waits for its thread (interrupting it after
     * {@link RobustConnectionComponent#STOP_WAIT_MILLIS}), reports what is left in the offline queue.
     */
    void stop() {
        ManagedClient c = client;
        String name = name();
        c.stop();
        try {
            c.release();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "MQTT connection " + name + ": DISCONNECT could not be sent; the socket is closed "
                    + "anyway, so the broker may publish the last will", e);
        }
        Thread t = thread;
        long wait = RobustConnectionComponent.STOP_WAIT_MILLIS;
        try {
            t.join(wait);
            if (t.isAlive()) {
                t.interrupt();
                t.join(wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.log(Level.WARNING, "MQTT connection " + name + ": thread " + t.getName() + " did not end within "
                    + 2 * wait + " ms; it ends when its current connect attempt times out (at most "
                    + settings.connectTimeoutSeconds() + " s)");
        }
        int left = c.queued();
        Path dir = c.offlineQueueDirectory();
        if (left > 0 && dir != null) {
            LOG.log(Level.INFO, () -> "MQTT connection " + name + " stopped with " + left + " message(s) in its offline "
                    + "queue; they stay in " + dir + " and are sent after the next start");
        } else if (left > 0) {
            LOG.log(Level.WARNING, "MQTT connection " + name + " stopped with " + left + " message(s) in its offline "
                    + "queue; they were not sent and are discarded");
        } else {
            LOG.log(Level.INFO, () -> "MQTT connection " + name + " stopped");
        }
    }
}
