package io.umqtt.robust.internal;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.osgi.framework.BundleContext;
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
 * <h2>Parts and threading</h2>
 * This class applies configurations and owns the runs ({@link Run}: one client and its thread per
 * set of settings); {@link ServicePublisher} registers the service and Kura's marker and keeps the
 * service properties current; {@link RunListener} turns what a run's client reports into
 * property refreshes and EventAdmin events ({@link ConnectionEvents}).
 * <p>
 * SCR calls {@link #activate}, {@link #modified} and {@link #deactivate}, one at a time. The
 * client calls the listener on its connection thread (connected, lost, attempt failed) and on
 * publishing threads (message dropped); a listener of a run that was replaced or stopped is
 * ignored. A changed configuration waits (bounded) until an update running on another thread has
 * published the old client's {@code CLOSED} before it disconnects that client
 * ({@link ServicePublisher#refreshAndWait}). The only lock is the publisher's (see there): taken
 * after the client's locks, never the reverse, and never held while calling the client or
 * waiting; stopping a run (disconnect, join) happens outside it.
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
    /** Registers the service and Kura's marker and publishes the properties; its lock is described there. */
    private final ServicePublisher publisher = new ServicePublisher(this::properties);
    /** The run of the settings in force; null while out of service. Written by SCR's calls. */
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
        publisher.registerKuraMarker(context, kuraLoader, properties);
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
            publisher.refreshAndWait(old.name());
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
     * then lists the connections finds it. So the properties are set here
     * ({@link ServicePublisher#showFailure}) rather than by a refresh alone, which returns at once
     * while another thread's update runs.
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
        current = null;
        publisher.showFailure(context, c, ConnectionSettings.failedProperties(name, RobustConstants.KIND, failure));
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
        RunListener listener = new RunListener(run, () -> current, publisher, events);
        c.setListener(listener);
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
        Thread t = new Thread(() -> run(run, listener), THREAD_PREFIX + s.name());
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
        publisher.register(context, svc, initial);
        publisher.refresh(); // to the state the first attempt has reached meanwhile
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
        publisher.unregisterAll();
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
    private void run(Run run, RunListener listener) {
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
            listener.threadEnded(e);
        } catch (RuntimeException | LinkageError e) {
            LOG.log(Level.ERROR, "MQTT connection " + name + ": its thread failed; the connection stays closed until "
                    + "its configuration changes", e);
            listener.threadEnded(e);
        }
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
