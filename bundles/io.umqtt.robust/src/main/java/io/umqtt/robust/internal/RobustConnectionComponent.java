package io.umqtt.robust.internal;

import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.robust.RobustConnection;
import io.umqtt.robust.RobustConstants;
import io.umqtt.robust.RobustListener;
import io.umqtt.robust.RobustMqttClient;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.internal.connection.ConnectionSettings;
import io.umqtt.simple.internal.connection.KuraConfigurable;
import io.umqtt.simple.internal.connection.SimpleConnectionConfig;

/**
 * One self-healing connection per factory configuration of {@value #PID}.
 * <p>
 * Activation validates the configuration (the simple component's {@link ConnectionSettings} plus
 * {@link RobustSettings}), starts one thread, {@code umqtt-robust-<name>}, that runs
 * {@link RobustMqttClient#runForever()} (connect, loop with keepalive pings, reconnect with backoff,
 * until stopped), and registers the {@link MqttConnection} / {@link RobustConnection} service at
 * once, in state {@code CONNECTING}: activation never waits for the network, and publishes made
 * before the first connect succeeds wait in the offline queue. Every state change the client
 * reports ({@link RobustListener}) refreshes the service properties ({@link MqttConstants} plus
 * {@link RobustConstants}) and is posted to EventAdmin when one is present
 * ({@link ConnectionEvents}; this class never touches the EventAdmin types, whose import is
 * optional). A configuration change deactivates and reactivates the component (there is no
 * modified method).
 * <p>
 * Deactivation stops the client from reconnecting, unregisters the service, disconnects (DISCONNECT,
 * so no last will) and waits for the thread to end: no thread or socket outlives it. Messages still
 * in the offline queue then are logged as not sent, or, with {@code queue.persistent}, as kept on
 * disk for the next start (the queue's files are closed and unlocked: no file handle outlives it
 * either).
 *
 * <h2>Threading</h2>
 * SCR calls {@link #activate} and {@link #deactivate}; the fields they set are volatile and written
 * before the connection thread starts. The client calls the listener on the connection thread
 * (connected, lost, attempt failed) and on publishing threads (message dropped). Property updates
 * from several threads are coalesced by {@link #refresh()} without a lock: no lock is held while
 * calling the framework or the client.
 */
@Component(configurationPid = RobustConnectionComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = RobustConnectionConfig.class, factory = true)
public final class RobustConnectionComponent {
    /** The factory PID of the configurations. */
    public static final String PID = "io.umqtt.robust";
    /** The connection thread is named this prefix plus the connection name. */
    public static final String THREAD_PREFIX = "umqtt-robust-";
    /** A durable offline queue without a configured directory lives here, plus the connection name, in the bundle's data area. */
    static final String QUEUE_AREA = "offline-queue/";
    /** How long deactivation waits for the connection thread before interrupting it. */
    static final long STOP_WAIT_MILLIS = 5_000;
    /** How long activation waits for the connection thread to start (a thread start, not the network). */
    static final long START_WAIT_MILLIS = 5_000;

    private static final System.Logger LOG = System.getLogger(RobustConnectionComponent.class.getName());
    private static final String[] SERVICE_CLASSES = {MqttConnection.class.getName(), RobustConnection.class.getName()};

    // set by activate before the thread starts; read by the thread, the listener and deactivate
    private volatile ConnectionSettings settings;
    private volatile RobustSettings robust;
    private volatile ManagedClient client;
    private volatile RobustConnectionService service;
    private volatile ConnectionEvents events;
    private volatile Thread thread;
    private volatile String[] servers;
    /** The registered service; null before registration and from the start of deactivation. */
    private volatile ServiceRegistration<?> registration;
    /** The marker service that shows this configuration in Kura's UI; null outside Kura. */
    private volatile ServiceRegistration<?> kura;

    // what the listener learnt, for the service properties
    private volatile int attempt;
    private volatile String lastFailure;
    /** Whether a drop was seen since the last state change (the first one refreshes the properties). */
    private final AtomicBoolean dropSeen = new AtomicBoolean();
    /** Pending property refreshes; see {@link #refresh()}. */
    private final AtomicInteger refreshRequests = new AtomicInteger();

    /**
     * Validates the configuration, starts the connection thread and registers the service.
     *
     * @throws IllegalArgumentException naming the bad property and value; SCR logs it and the
     *         component stays inactive, with no thread started
     */
    @Activate
    void activate(BundleContext context, RobustConnectionConfig config, SimpleConnectionConfig common,
            Map<String, Object> properties) {
        Object pidValue = properties.get(Constants.SERVICE_PID);
        String pid = pidValue instanceof String ? (String) pidValue : PID;
        ConnectionSettings s = ConnectionSettings.of(pid, common); // the connection properties, as the simple component
        RobustSettings r = RobustSettings.of(pid, config);

        ManagedClient c = s.newClient(ManagedClient::new);
        c.setCleanSession(s.cleanSession());
        c.setReconnectPolicy(r.policy());
        c.setOfflineQueue(r.queueMaxMessages(), r.queueMaxBytes(), r.overflow());
        List<String> all = new ArrayList<>();
        all.add(new RobustSettings.Server(s.server(), s.effectivePort()).toString());
        for (RobustSettings.Server f : r.failover()) {
            c.addFailoverServer(f.host, f.port);
            int defaultPort = s.tls() ? MqttClient.DEFAULT_TLS_PORT : MqttClient.DEFAULT_PORT;
            all.add(new RobustSettings.Server(f.host, f.port != 0 ? f.port : defaultPort).toString());
        }
        c.setListener(new Listener());
        this.settings = s;
        this.robust = r;
        this.client = c;
        this.servers = all.toArray(new String[0]);
        this.service = new RobustConnectionService(s.name(), c);
        this.events = new ConnectionEvents(context);
        if (r.queuePersistent()) {
            try {
                openQueueDirectory(context, pid, s.name(), r, c);
            } catch (RuntimeException e) {
                events.close();
                throw e;
            }
        }
        Thread t = new Thread(this::run, THREAD_PREFIX + s.name());
        t.setDaemon(true);
        this.thread = t;
        LOG.log(Level.INFO, () -> "starting robust MQTT connection " + s + "; " + r);
        Hashtable<String, Object> initial = properties(); // CONNECTING: nothing has happened yet
        t.start();
        try {
            // once the thread is inside runForever(), consumers' calls never reconnect on their threads
            if (!c.awaitRunning(START_WAIT_MILLIS)) {
                LOG.log(Level.WARNING, "MQTT connection " + s.name() + ": thread " + t.getName() + " made no connect "
                        + "attempt within " + START_WAIT_MILLIS + " ms; registering the service anyway");
            }
            registration = context.registerService(SERVICE_CLASSES, service, initial);
            kura = KuraConfigurable.register(context, RobustConnectionComponent.class.getClassLoader(), properties);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            shutdown();
            throw new IllegalStateException("interrupted while starting MQTT connection " + s.name(), e);
        } catch (RuntimeException e) {
            shutdown();
            throw e;
        }
        refresh(); // to the state the first attempt has reached meanwhile
    }

    /** The directory of a durable offline queue, in the bundle's data area unless configured. */
    private static void openQueueDirectory(BundleContext context, String pid, String name, RobustSettings r,
            ManagedClient c) {
        Path dir = r.queueDirectory();
        String property = RobustSettings.QUEUE_DIRECTORY;
        Object value = dir;
        if (dir == null) {
            property = RobustSettings.QUEUE_PERSISTENT;
            value = true;
            File data = context.getDataFile(QUEUE_AREA + safeFileName(name));
            if (data == null) {
                throw RobustSettings.invalid(pid, property, value, "needs " + RobustSettings.QUEUE_DIRECTORY + ": the "
                        + "framework gives this bundle no persistent storage area");
            }
            dir = data.toPath();
        }
        try {
            c.setOfflineQueueDirectory(dir);
        } catch (IOException e) {
            throw RobustSettings.invalid(pid, property, value, "cannot keep the offline queue: " + e.getMessage());
        }
    }

    /** {@code name} as one file name: only letters, digits, '.', '-' and '_', and never "." or "..". */
    static String safeFileName(String name) {
        String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() || safe.chars().allMatch(ch -> ch == '.') ? safe.replace('.', '_') + "_" : safe;
    }

    /** Stops reconnecting, unregisters the service, disconnects and waits for the thread to end. */
    @Deactivate
    void deactivate() {
        shutdown();
    }

    private void shutdown() {
        ManagedClient c = client;
        String name = settings.name();
        c.stop();
        KuraConfigurable.unregister(kura);
        kura = null;
        ServiceRegistration<?> reg = registration;
        registration = null;
        unregister(reg);
        try {
            c.disconnect();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "MQTT connection " + name + ": DISCONNECT could not be sent; the socket is closed "
                    + "anyway, so the broker may publish the last will", e);
        }
        Thread t = thread;
        try {
            t.join(STOP_WAIT_MILLIS);
            if (t.isAlive()) {
                t.interrupt();
                t.join(STOP_WAIT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        events.close();
        if (t.isAlive()) {
            LOG.log(Level.WARNING, "MQTT connection " + name + ": thread " + t.getName() + " did not end within "
                    + 2 * STOP_WAIT_MILLIS + " ms; it ends when its current connect attempt times out (at most "
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

    /** The body of the connection thread. */
    private void run() {
        ManagedClient c = client;
        String name = settings.name();
        try {
            c.runForever(); // returns once stopped
            LOG.log(Level.DEBUG, () -> "MQTT connection " + name + ": thread ends, the connection was stopped");
        } catch (IOException e) {
            if (c.isStopped()) {
                LOG.log(Level.DEBUG, () -> "MQTT connection " + name + " ended while stopping: " + e);
                return;
            }
            LOG.log(Level.ERROR, "MQTT connection " + name + " gave up after " + robust.policy().maxAttempts()
                    + " failed connect attempts (" + RobustSettings.RECONNECT_MAX_ATTEMPTS + "); it stays closed "
                    + "until its configuration changes: " + e.getMessage(), e);
            giveUp(e);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.ERROR, "MQTT connection " + name + ": its thread failed; the connection stays closed until "
                    + "its configuration changes", e);
            giveUp(e);
        }
    }

    private void giveUp(Throwable cause) {
        lastFailure = describe(cause);
        client.retire();
        refresh();
        Map<String, Object> p = eventProperties();
        p.put(RobustConstants.EVENT_CAUSE, lastFailure);
        p.put(RobustConstants.EVENT_CAUSE_CLASS, cause.getClass().getName());
        events.post(RobustConstants.TOPIC_GAVE_UP, p);
    }

    // ------------------------------------------------------------------ service properties

    /** The service properties now. No secret is among them. */
    Hashtable<String, Object> properties() {
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
        return p;
    }

    /**
     * Sets the service properties to {@link #properties()}. Calls from several threads are
     * coalesced without a lock: the first caller updates, and goes round again as long as others
     * asked meanwhile, so the last update always reflects the latest state; a caller that finds
     * an update running returns at once (also when the framework calls back into it).
     */
    private void refresh() {
        if (refreshRequests.getAndIncrement() != 0) {
            return;
        }
        int handled;
        do {
            handled = refreshRequests.get();
            ServiceRegistration<?> reg = registration;
            if (reg != null) {
                try {
                    reg.setProperties(properties());
                } catch (IllegalStateException e) {
                    // deactivate unregistered it between the two steps
                    LOG.log(Level.DEBUG, () -> "MQTT connection " + settings.name() + ": service already "
                            + "unregistered: " + e);
                }
            }
        } while (refreshRequests.addAndGet(-handled) != 0);
    }

    private void unregister(ServiceRegistration<?> reg) {
        if (reg == null) {
            return;
        }
        try {
            reg.unregister();
        } catch (IllegalStateException e) {
            // the framework already unregistered it (our bundle is stopping)
            LOG.log(Level.DEBUG, () -> "MQTT connection service already unregistered: " + e);
        }
    }

    // ------------------------------------------------------------------ events

    /** The properties every event carries. */
    private Map<String, Object> eventProperties() {
        ManagedClient c = client;
        Map<String, Object> p = new HashMap<>();
        p.put(MqttConstants.NAME, settings.name());
        p.put(MqttConstants.KIND, RobustConstants.KIND);
        p.put(MqttConstants.SERVER, c.server());
        p.put(MqttConstants.PORT, c.port());
        p.put(MqttConstants.CLIENT_ID, c.clientId());
        return p;
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    }

    /** Hears the client; runs on the connection thread, and on publishing threads for drops. */
    private final class Listener implements RobustListener {
        @Override
        public void connected(String server, int port, boolean sessionPresent) {
            if (stopping()) {
                return;
            }
            attempt = 0;
            dropSeen.set(false);
            LOG.log(Level.INFO, () -> "MQTT connection " + settings.name() + " connected to " + server + ":" + port
                    + " as " + client.clientId() + (sessionPresent ? " (session resumed)" : ""));
            refresh();
            Map<String, Object> p = eventProperties();
            p.put(RobustConstants.EVENT_SESSION_PRESENT, sessionPresent);
            events.post(RobustConstants.TOPIC_CONNECTED, p);
        }

        @Override
        public void connectionLost(IOException cause) {
            if (stopping()) {
                return;
            }
            lastFailure = describe(cause);
            dropSeen.set(false);
            refresh();
            events.post(RobustConstants.TOPIC_LOST, withCause(eventProperties(), cause));
        }

        @Override
        public void reconnectFailed(int failedAttempt, long delayMillis, IOException cause) {
            if (stopping()) {
                return;
            }
            attempt = failedAttempt;
            lastFailure = describe(cause);
            dropSeen.set(false);
            refresh();
            Map<String, Object> p = withCause(eventProperties(), cause);
            p.put(RobustConstants.EVENT_ATTEMPT, failedAttempt);
            p.put(RobustConstants.EVENT_DELAY, delayMillis);
            events.post(RobustConstants.TOPIC_RECONNECT_FAILED, p);
        }

        @Override
        public void messageDropped(byte[] topic, byte[] payload, int qos, String reason) {
            if (dropSeen.compareAndSet(false, true)) {
                refresh();
            }
            Map<String, Object> p = eventProperties();
            p.put(RobustConstants.EVENT_MESSAGE_TOPIC, new String(topic, StandardCharsets.UTF_8));
            p.put(RobustConstants.EVENT_MESSAGE_QOS, qos);
            p.put(RobustConstants.EVENT_MESSAGE_SIZE, payload.length);
            p.put(RobustConstants.EVENT_REASON, reason);
            events.post(RobustConstants.TOPIC_MESSAGE_DROPPED, p);
        }

        @Override
        public void subscriptionFailed(String filter, IOException cause) {
            Map<String, Object> p = withCause(eventProperties(), cause);
            p.put(RobustConstants.EVENT_FILTER, filter);
            events.post(RobustConstants.TOPIC_SUBSCRIPTION_FAILED, p);
        }

        /**
         * Whether the component is stopping: then the connection ends on purpose, and neither the
         * properties of a service being unregistered nor events of a loss are wanted.
         */
        private boolean stopping() {
            return client.isStopped();
        }

        private Map<String, Object> withCause(Map<String, Object> p, IOException cause) {
            p.put(RobustConstants.EVENT_CAUSE, describe(cause));
            if (cause != null) {
                p.put(RobustConstants.EVENT_CAUSE_CLASS, cause.getClass().getName());
            }
            return p;
        }
    }

    // ------------------------------------------------------------------ tests

    /** The settings in force (tests). */
    ConnectionSettings settings() {
        return settings;
    }

    /** The robust settings in force (tests). */
    RobustSettings robustSettings() {
        return robust;
    }

    /** The connection thread (tests). */
    Thread thread() {
        return thread;
    }

    /** The client (tests). */
    ManagedClient client() {
        return client;
    }

    /** The service object (tests). */
    RobustConnectionService connection() {
        return service;
    }
}
