package io.umqtt.robust.internal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.robust.OfflineQueueSettings;
import io.umqtt.robust.RobustConnection;
import io.umqtt.robust.RobustConstants;
import io.umqtt.robust.RobustListener;
import io.umqtt.robust.RobustMqttClient;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.connection.ConnectionConfig;
import io.umqtt.simple.connection.ConnectionNames;
import io.umqtt.simple.connection.ConnectionSettings;
import io.umqtt.simple.connection.KuraConfigurable;
import io.umqtt.simple.connection.KuraCrypto;

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
 * optional).
 *
 * <h2>Configuration changes</h2>
 * A changed configuration is taken in place ({@link #modified}): the service object, its
 * registration and Kura's marker stay. When the effective settings are the same (Kura and
 * ConfigAdmin rewrite configurations with equal values; bookkeeping properties such as
 * {@code service.pid} do not count) nothing happens at all. When they differ, the service says
 * {@code CLOSED} (so that its users stop using the old client before it goes), the old client is
 * stopped and disconnected (DISCONNECT: no last will) and its thread ends; its offline queue, in
 * memory, is discarded with a warning (a durable one stays on disk and is loaded by the new client
 * when the directory is the same); then a new client with the new settings connects, and takes
 * over the subscriptions of the service's listeners ({@link ManagedClient#carrySubscriptions})
 * before it reports {@code CONNECTED}.
 * <p>
 * An invalid configuration does not fail activation: the component is then out of service. The
 * error (naming the property and value) is logged once at ERROR with the connection's name, the
 * service is registered with {@code mqtt.state=CLOSED}, {@code mqtt.connected=false} and
 * {@link MqttConstants#ERROR}, its publish and subscribe throw an {@code IOException} naming the
 * error, and Kura's marker stays, so that the configuration stays visible and editable in Kura.
 * A fixed configuration starts the connection without a restart.
 * <p>
 * The connection is named after {@code name}, else Kura's {@code kura.service.pid}, else the PID.
 * Where Kura's CryptoService is present the passwords are decrypted first ({@link KuraCrypto}).
 * A durable offline queue without {@code queue.directory} lives in the bundle's data area, which
 * does not survive a framework started with {@code osgi.clean=true} (Kura does so on every boot):
 * there, and whenever the configuration comes from Kura, the configuration is refused (out of
 * service) with a message asking for an explicit {@code queue.directory}.
 * <p>
 * Deactivation stops the client from reconnecting, unregisters the service, disconnects (DISCONNECT,
 * so no last will) and waits for the thread to end: no thread or socket outlives it. Messages still
 * in the offline queue then are logged as not sent, or, with {@code queue.persistent}, as kept on
 * disk for the next start (the queue's files are closed and unlocked: no file handle outlives it
 * either).
 *
 * <h2>Threading</h2>
 * SCR calls {@link #activate}, {@link #modified} and {@link #deactivate}, one at a time. The
 * client calls the listener on its connection thread (connected, lost, attempt failed) and on
 * publishing threads (message dropped); a listener of a run that was replaced or stopped is
 * ignored. Property updates from several threads are coalesced by {@link #refresh()}; a changed
 * configuration waits (bounded) until an update running on another thread has published the old
 * client's {@code CLOSED} before it disconnects that client ({@link #refreshAndWait}).
 * {@link #lock} guards the registrations and which run is in force, and is held while calling
 * {@code registerService}, {@code setProperties} and {@code unregister}, so that the framework
 * never modifies a service that is being unregistered (Felix's log bundle fails on such events).
 * Nothing else is done under it: no client call (the client calls the listener while holding its
 * own locks, so the order is client locks, then this lock, never the reverse), no wait; stopping a
 * run (disconnect, join) happens outside it.
 */
@Component(configurationPid = RobustConnectionComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = RobustConnectionForm.class, factory = true)
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

    private final Object lock = new Object();
    /** The registered service; guarded by {@link #lock}. */
    private ServiceRegistration<?> registration;
    /** The marker service that shows this configuration in Kura's UI; null outside Kura; guarded by {@link #lock}. */
    private ServiceRegistration<?> kura;
    /** Set once deactivation began; guarded by {@link #lock}. */
    private boolean stopped;
    /** The run of the settings in force; null while out of service. Written under {@link #lock}. */
    private volatile Run current;

    // written by SCR's calls only (one at a time)
    private volatile BundleContext context;
    private volatile RobustConnectionService service;
    private volatile ConnectionEvents events;
    /** The configuration error in force and the name it is reported under; null when none. */
    private volatile String error;
    private volatile String errorName;
    /** Loads Kura's interfaces where they are; tests replace it. */
    volatile ClassLoader kuraLoader = RobustConnectionComponent.class.getClassLoader();

    /** Pending property refreshes; see {@link #refresh()}. */
    private final AtomicInteger refreshRequests = new AtomicInteger();
    /** Notified, with {@link #refreshIdleRounds} counted up, whenever a {@link #refresh()} loop has handled every request. */
    private final Object refreshIdle = new Object();
    /** Guarded by {@link #refreshIdle}: how often a refresh loop ended with no request left. */
    private long refreshIdleRounds;
    /** The thread running the refresh loop, or null. */
    private volatile Thread refresher;

    /**
     * Applies the configuration: starts the connection thread and registers the service, or, when
     * the configuration is invalid, registers the service out of service (see the class comment).
     * Registers Kura's marker where Kura is.
     */
    @Activate
    void activate(BundleContext context, RobustConnectionConfig config, ConnectionConfig common,
            Map<String, Object> properties) {
        this.context = context;
        this.events = new ConnectionEvents(context);
        apply(config, common, properties);
        synchronized (lock) {
            if (!stopped) {
                kura = KuraConfigurable.register(context, kuraLoader, properties);
            }
        }
    }

    /**
     * Takes a changed configuration in place: nothing happens when the effective settings are the
     * same; otherwise one reconnect with the new settings (see the class comment).
     */
    @Modified
    void modified(RobustConnectionConfig config, ConnectionConfig common, Map<String, Object> properties) {
        apply(config, common, properties);
    }

    private void apply(RobustConnectionConfig config, ConnectionConfig common, Map<String, Object> properties) {
        String pid = ConnectionNames.pid(properties, PID);
        String defaultName = ConnectionNames.defaultName(properties, pid);
        ConnectionSettings s = null;
        RobustSettings r = null;
        String failure = null;
        try (KuraCrypto crypto = KuraCrypto.open(context, kuraLoader)) {
            s = ConnectionSettings.of(pid, defaultName, common, config.connect_timeout(), crypto); // as the simple component
            r = RobustSettings.of(pid, config);
            if (r.queuePersistent() && r.queueDirectory() == null && dataAreaIsWiped(properties)) {
                throw RobustSettings.invalid(pid, RobustSettings.QUEUE_PERSISTENT, true, "needs "
                        + RobustSettings.QUEUE_DIRECTORY + " under Kura: the bundle's data area, the default, is "
                        + "wiped on every start (osgi.clean=true), so the queue would not survive a restart; set "
                        + RobustSettings.QUEUE_DIRECTORY + " to an absolute path outside the OSGi storage area");
            }
        } catch (IllegalArgumentException e) {
            failure = e.getMessage();
        }
        Run old = current;
        if (failure == null && old != null && old.settings.sameAs(s) && old.robust.sameAs(r)) {
            LOG.log(Level.DEBUG, () -> "MQTT connection " + defaultName + ": configuration rewritten with the same "
                    + "settings; nothing to do");
            return;
        }
        String name = failure == null ? s.name() : ConnectionNames.nameOf(common, defaultName);
        if (failure != null && failure.equals(error) && name.equals(errorName)) {
            return; // the same error: logged already
        }
        if (old != null) {
            LOG.log(Level.INFO, () -> "MQTT connection " + old.name() + ": configuration changed; disconnecting to "
                    + "apply it");
            // users (the whiteboard) hear that it is going down (CLOSED) before it does: no SUBSCRIBE races the DISCONNECT
            old.client.stop();
            // and not only asked for: an update of another thread may be publishing the old CONNECTED meanwhile
            refreshAndWait(old.name());
            old.stop();
        }
        if (failure == null) {
            try {
                start(pid, s, r);
                return;
            } catch (IllegalArgumentException e) { // the durable queue's directory cannot be used
                failure = e.getMessage();
            }
        }
        outOfService(name, failure);
    }

    /** Whether the bundle's data area does not survive a restart: under Kura, or with osgi.clean=true. */
    private boolean dataAreaIsWiped(Map<String, Object> properties) {
        if (properties.get(KuraConfigurable.KURA_SERVICE_PID) != null) {
            return true;
        }
        String clean = context.getProperty("osgi.clean");
        if ("true".equalsIgnoreCase(clean == null ? null : clean.strip())) {
            return true;
        }
        try {
            kuraLoader.loadClass(KuraConfigurable.INTERFACE);
            return true;
        } catch (ClassNotFoundException | LinkageError notKura) {
            return false;
        }
    }

    /**
     * Puts the service out of service with the configuration error {@code failure}, logged once.
     * The service shows the error before the line is logged: an operator who reads the line and
     * then lists the connections finds it. So the properties are set here, under the lock, rather
     * than by {@link #refresh()} alone, which returns at once while another thread's update runs.
     */
    private void outOfService(String name, String failure) {
        error = failure;
        errorName = name;
        RobustConnectionService c = service;
        if (c == null) {
            c = new RobustConnectionService(name, failure);
            service = c;
        } else {
            c.fail(name, failure);
        }
        Hashtable<String, Object> failed = ConnectionSettings.failedProperties(name, RobustConstants.KIND, failure);
        boolean updated = false;
        synchronized (lock) {
            current = null;
            if (!stopped && registration == null) {
                registration = context.registerService(SERVICE_CLASSES, c, failed);
            } else if (!stopped) {
                try {
                    registration.setProperties(failed);
                    updated = true;
                } catch (IllegalStateException e) {
                    // the framework unregistered it: our bundle is stopping
                    LOG.log(Level.DEBUG, () -> "MQTT connection service already unregistered: " + e);
                }
            }
        }
        if (updated && refreshRequests.get() != 0) {
            refresh(); // an update running meanwhile goes round again: it ends with these properties too
        }
        LOG.log(Level.ERROR, ConnectionSettings.outOfServiceMessage(name, failure));
    }

    /** Makes the client of new settings, starts its thread and registers (or updates) the service. */
    private void start(String pid, ConnectionSettings s, RobustSettings r) {
        OfflineQueueSettings queue = OfflineQueueSettings.of(r.queueMaxMessages(), r.queueMaxBytes(), r.overflow());
        if (r.queuePersistent()) {
            queue = queue.withDirectory(queueDirectory(context, pid, r, s.name()));
        }
        ManagedClient c = newClient(pid, s, r, queue); // the queue is built once, here
        c.setCleanSession(s.cleanSession());
        c.setReconnectPolicy(r.policy());
        List<String> all = new ArrayList<>();
        all.add(new RobustSettings.Server(s.server(), s.effectivePort()).toString());
        for (RobustSettings.Server f : r.failover()) {
            c.addFailoverServer(f.host, f.port);
            int defaultPort = s.tls() ? MqttClient.DEFAULT_TLS_PORT : MqttClient.DEFAULT_PORT;
            all.add(new RobustSettings.Server(f.host, f.port != 0 ? f.port : defaultPort).toString());
        }
        Run run = new Run(s, r, c, all.toArray(new String[0]));
        c.setListener(new Listener(run));
        RobustConnectionService svc = service;
        if (svc == null) {
            svc = new RobustConnectionService(s.name(), c);
            service = svc;
        } else {
            c.carrySubscriptionOptions(svc.wantedSubscriptionOptions());
            svc.use(s.name(), c);
        }
        error = null;
        errorName = null;
        Thread t = new Thread(() -> run(run), THREAD_PREFIX + s.name());
        t.setDaemon(true);
        run.thread = t;
        current = run;
        LOG.log(Level.INFO, () -> "starting robust MQTT connection " + s + "; " + r);
        Hashtable<String, Object> initial = properties(); // CONNECTING: nothing has happened yet
        t.start();
        try {
            // once the thread is inside runForever(), consumers' calls never reconnect on their threads
            if (!c.awaitRunning(START_WAIT_MILLIS)) {
                LOG.log(Level.WARNING, "MQTT connection " + s.name() + ": thread " + t.getName() + " made no connect "
                        + "attempt within " + START_WAIT_MILLIS + " ms; registering the service anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.log(Level.WARNING, "MQTT connection " + s.name() + ": interrupted while waiting for its thread; "
                    + "registering the service anyway");
        }
        synchronized (lock) {
            if (!stopped && registration == null) {
                registration = context.registerService(SERVICE_CLASSES, svc, initial);
            }
        }
        refresh(); // to the state the first attempt has reached meanwhile
    }

    /** The directory of a durable offline queue, in the bundle's data area unless configured. */
    private static Path queueDirectory(BundleContext context, String pid, RobustSettings r, String name) {
        Path dir = r.queueDirectory();
        if (dir != null) {
            return dir;
        }
        File data = context.getDataFile(QUEUE_AREA + safeFileName(name));
        if (data == null) {
            throw RobustSettings.invalid(pid, RobustSettings.QUEUE_PERSISTENT, true, "needs "
                    + RobustSettings.QUEUE_DIRECTORY + ": the framework gives this bundle no persistent storage area");
        }
        return data.toPath();
    }

    /**
     * The client of these settings with its offline queue; a durable queue's directory is opened
     * here.
     *
     * @throws IllegalArgumentException naming the property when the directory cannot be used
     */
    private static ManagedClient newClient(String pid, ConnectionSettings s, RobustSettings r,
            OfflineQueueSettings queue) {
        try {
            return s.newClient((id, host, port, user, password, keepAlive, tls) -> {
                try {
                    return new ManagedClient(id, host, port, user, password, keepAlive, tls, queue);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            boolean configured = r.queueDirectory() != null;
            throw RobustSettings.invalid(pid, configured ? RobustSettings.QUEUE_DIRECTORY : RobustSettings.QUEUE_PERSISTENT,
                    configured ? r.queueDirectory() : (Object) true, "cannot keep the offline queue: "
                            + e.getCause().getMessage());
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
        Run r = current;
        if (r != null) {
            r.client.stop();
        }
        synchronized (lock) {
            stopped = true;
            KuraConfigurable.unregister(kura);
            kura = null;
            unregister(registration);
            registration = null;
        }
        if (r != null) {
            r.stop();
        }
        RobustConnectionService svc = service;
        if (svc != null) {
            svc.failPendingRequests("the connection was closed (its component was deactivated)");
        }
        events.close();
    }

    /** The body of a connection thread. */
    private void run(Run run) {
        ManagedClient c = run.client;
        String name = run.name();
        try {
            c.runForever(); // returns once stopped
            LOG.log(Level.DEBUG, () -> "MQTT connection " + name + ": thread ends, the connection was stopped");
        } catch (IOException e) {
            if (c.isStopped()) {
                LOG.log(Level.DEBUG, () -> "MQTT connection " + name + " ended while stopping: " + e);
                return;
            }
            LOG.log(Level.ERROR, "MQTT connection " + name + " gave up after " + run.robust.policy().maxAttempts()
                    + " failed connect attempts (" + RobustSettings.RECONNECT_MAX_ATTEMPTS + "); it stays closed "
                    + "until its configuration changes: " + e.getMessage(), e);
            giveUp(run, e);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.ERROR, "MQTT connection " + name + ": its thread failed; the connection stays closed until "
                    + "its configuration changes", e);
            giveUp(run, e);
        }
    }

    private void giveUp(Run run, Throwable cause) {
        run.lastFailure = describe(cause);
        run.client.retire();
        if (run != current) {
            return;
        }
        refresh();
        Map<String, Object> p = run.eventProperties();
        p.put(RobustConstants.EVENT_CAUSE, run.lastFailure);
        p.put(RobustConstants.EVENT_CAUSE_CLASS, cause.getClass().getName());
        events.post(RobustConstants.TOPIC_GAVE_UP, p);
    }

    // ------------------------------------------------------------------ service properties

    /** The service properties now. No secret is among them. */
    Hashtable<String, Object> properties() {
        Run run = current;
        if (run == null) {
            String e = error;
            String n = errorName;
            return ConnectionSettings.failedProperties(n == null ? "" : n, RobustConstants.KIND, e == null ? "" : e);
        }
        return run.serviceProperties();
    }

    /**
     * Sets the service properties to {@link #properties()}. Calls from several threads are
     * coalesced: the first caller updates, and goes round again as long as others asked
     * meanwhile, so the last update always reflects the latest state; a caller that finds an
     * update running returns at once (also when the framework calls back into it). The properties
     * are read from the client outside {@link #lock} (the client may call the listener, and so
     * this method, while holding its own locks); only {@code setProperties} is made under it, and
     * never once deactivation began.
     */
    private void refresh() {
        if (refreshRequests.getAndIncrement() != 0) {
            return;
        }
        updateProperties();
    }

    /**
     * {@link #refresh()}, and when another thread's update is running, waits (at most
     * {@link #STOP_WAIT_MILLIS}) until it has gone round again and published the state as it is now.
     * Not when called back on the updating thread itself (that would wait for itself).
     */
    private void refreshAndWait(String name) {
        long rounds;
        synchronized (refreshIdle) {
            rounds = refreshIdleRounds;
        }
        if (refreshRequests.getAndIncrement() == 0) {
            updateProperties();
            return;
        }
        if (refresher == Thread.currentThread()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MILLIS);
        synchronized (refreshIdle) {
            // the loop running now handles this request before it ends: its end counts the rounds up
            while (refreshIdleRounds == rounds) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.log(Level.WARNING, "MQTT connection " + name + ": the service properties were not updated "
                            + "within " + STOP_WAIT_MILLIS + " ms (a service listener still running on "
                            + refresher + "?); disconnecting anyway");
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(refreshIdle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The loop of {@link #refresh()}: the caller took the first request. */
    private void updateProperties() {
        refresher = Thread.currentThread();
        int handled;
        do {
            handled = refreshRequests.get();
            Hashtable<String, Object> now = properties(); // outside the lock: it asks the client
            synchronized (lock) {
                if (!stopped && registration != null) {
                    try {
                        registration.setProperties(now);
                    } catch (IllegalStateException e) {
                        // the framework unregistered it: our bundle is stopping
                        LOG.log(Level.DEBUG, () -> "MQTT connection service already unregistered: " + e);
                    }
                }
            }
        } while (!doneUpdating(handled));
    }

    /** Counts {@code handled} requests as done; true (and waiters told) when none is left. */
    private boolean doneUpdating(int handled) {
        synchronized (refreshIdle) {
            refresher = null; // before the count reaches 0: the next caller may start a loop at once
            if (refreshRequests.addAndGet(-handled) != 0) {
                refresher = Thread.currentThread();
                return false;
            }
            refreshIdleRounds++;
            refreshIdle.notifyAll();
            return true;
        }
    }

    private static void unregister(ServiceRegistration<?> reg) {
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

    private static String describe(Throwable t) {
        return ConnectionSettings.describe(t); // names an unknown host as such
    }

    /** Hears one run's client; runs on its connection thread, and on publishing threads for drops. */
    private final class Listener implements RobustListener {
        private final Run run;

        Listener(Run run) {
            this.run = run;
        }

        @Override
        public void connected(String server, int port, boolean sessionPresent) {
            if (stopping()) {
                return;
            }
            run.attempt = 0;
            run.dropSeen.set(false);
            LOG.log(Level.INFO, () -> "MQTT connection " + run.name() + " connected to " + server + ":" + port
                    + " as " + run.client.clientId() + (sessionPresent ? " (session resumed)" : ""));
            refresh();
            Map<String, Object> p = run.eventProperties();
            p.put(RobustConstants.EVENT_SESSION_PRESENT, sessionPresent);
            events.post(RobustConstants.TOPIC_CONNECTED, p);
        }

        @Override
        public void connectionLost(IOException cause) {
            if (stopping()) {
                return;
            }
            run.lastFailure = describe(cause);
            run.disconnectReason = ConnectionSettings.disconnectReason(cause);
            run.dropSeen.set(false);
            refresh();
            events.post(RobustConstants.TOPIC_LOST, withCause(run.eventProperties(), cause));
        }

        @Override
        public void reconnectFailed(int failedAttempt, long delayMillis, IOException cause) {
            if (stopping()) {
                return;
            }
            run.attempt = failedAttempt;
            run.lastFailure = describe(cause);
            run.dropSeen.set(false);
            refresh();
            Map<String, Object> p = withCause(run.eventProperties(), cause);
            p.put(RobustConstants.EVENT_ATTEMPT, failedAttempt);
            p.put(RobustConstants.EVENT_DELAY, delayMillis);
            events.post(RobustConstants.TOPIC_RECONNECT_FAILED, p);
        }

        @Override
        public void messageDropped(byte[] topic, byte[] payload, int qos, String reason) {
            if (run != current) {
                return;
            }
            if (run.dropSeen.compareAndSet(false, true)) {
                refresh();
            }
            Map<String, Object> p = run.eventProperties();
            p.put(RobustConstants.EVENT_MESSAGE_TOPIC, new String(topic, StandardCharsets.UTF_8));
            p.put(RobustConstants.EVENT_MESSAGE_QOS, qos);
            p.put(RobustConstants.EVENT_MESSAGE_SIZE, payload.length);
            p.put(RobustConstants.EVENT_REASON, reason);
            events.post(RobustConstants.TOPIC_MESSAGE_DROPPED, p);
        }

        @Override
        public void subscriptionFailed(String filter, IOException cause) {
            Map<String, Object> p = withCause(run.eventProperties(), cause);
            p.put(RobustConstants.EVENT_FILTER, filter);
            events.post(RobustConstants.TOPIC_SUBSCRIPTION_FAILED, p);
        }

        /**
         * Whether this run is stopping or replaced: then the connection ends on purpose, and
         * neither the properties of a service being unregistered nor events of a loss are wanted.
         */
        private boolean stopping() {
            return run.client.isStopped() || run != current;
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

    /** The settings in force, null while out of service (tests). */
    ConnectionSettings settings() {
        Run r = current;
        return r == null ? null : r.settings;
    }

    /** The robust settings in force (tests). */
    RobustSettings robustSettings() {
        Run r = current;
        return r == null ? null : r.robust;
    }

    /** The connection thread (tests). */
    Thread thread() {
        Run r = current;
        return r == null ? null : r.thread;
    }

    /** The client (tests). */
    ManagedClient client() {
        Run r = current;
        return r == null ? null : r.client;
    }

    /** The service object (tests). */
    RobustConnectionService connection() {
        return service;
    }

    /** The configuration error in force, or null (tests). */
    String error() {
        return error;
    }
}
