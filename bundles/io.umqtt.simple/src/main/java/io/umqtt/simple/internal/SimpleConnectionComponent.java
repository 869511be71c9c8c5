package io.umqtt.simple.internal;

import io.umqtt.simple.connection.ClientConnection;
import io.umqtt.simple.connection.ConnectionSettings;
import io.umqtt.simple.connection.KuraConfigurable;
import io.umqtt.simple.connection.KuraCrypto;
import io.umqtt.simple.connection.ConnectionConfig;
import io.umqtt.simple.connection.ConnectionNames;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Dictionary;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.MqttClient;

/**
 * One umqtt.simple connection per factory configuration of {@value #PID}.
 * <p>
 * Activation validates the configuration ({@link ConnectionSettings}) and starts one thread,
 * {@code umqtt-simple-<name>}, that connects once and then runs {@link MqttClient#loop()}, which
 * also sends the keepalive pings. After the connect attempt the thread registers the
 * {@link MqttConnection} service; its properties say where it connects to and whether it is
 * connected. Like umqtt.simple this component never reconnects: when the connection is lost, or
 * the first connect fails, the cause is logged and the service stays registered with
 * {@code mqtt.state=LOST}, {@code mqtt.connected=false}. Deactivation unregisters the service,
 * sends DISCONNECT and waits for the thread to end.
 *
 * <h2>Configuration changes</h2>
 * A changed configuration is taken in place ({@link #modified}); the service object and its
 * registration (and Kura's marker) stay. When the effective settings are the same (Kura and
 * ConfigAdmin rewrite configurations with equal values, bookkeeping properties such as
 * {@code service.pid} do not count) nothing happens at all. When they differ, the service says
 * {@code CLOSED} (so that its users stop using the old client before it goes), the old client is
 * disconnected (DISCONNECT: no last will), its thread ends, and a new client connects once with
 * the new settings; meanwhile the service says {@code CONNECTING}. Before it says
 * {@code CONNECTED} again the thread subscribes the new client to every filter a listener of the
 * service is subscribed to ({@link ClientConnection#wantedSubscriptions()}), so subscriptions
 * made through the service survive a settings change (a failure of one is logged, its listener
 * stays).
 * <p>
 * An invalid configuration does not fail activation: the component is then out of service. The
 * error (naming the property and value) is logged once at ERROR with the connection's name, the
 * service is registered with {@code mqtt.state=CLOSED}, {@code mqtt.connected=false} and
 * {@link MqttConstants#ERROR}, its publish and subscribe throw an {@code IOException} naming the
 * error, and Kura's marker stays, so that the configuration stays visible and editable in Kura.
 * A fixed configuration starts the connection without a restart.
 * <p>
 * The connection is named after {@code name}, else Kura's {@code kura.service.pid}, else the
 * configuration's PID. Where Kura's CryptoService is present the passwords are decrypted first
 * ({@link KuraCrypto}).
 *
 * <h2>Threading</h2>
 * SCR calls {@link #activate}, {@link #modified} and {@link #deactivate}, one at a time; the
 * connection thread of the settings in force registers the service and updates its properties.
 * A settings change stops the old thread (outside the lock) before the new one starts; the old
 * thread's updates are ignored once it is stopped. {@link #lock} guards the registrations and
 * which run is in force, and is held while calling {@code registerService},
 * {@code setProperties} and {@code unregister}, so that the framework never modifies a service
 * that is being unregistered (Felix's log bundle fails on such events). Nothing else is done under
 * it: no client call, no wait, no other lock; a service listener that the framework calls
 * synchronously must not wait for this component's connection thread.
 */
@Component(configurationPid = SimpleConnectionComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = SimpleConnectionForm.class, factory = true)
public final class SimpleConnectionComponent {
    /** The factory PID of the configurations. */
    public static final String PID = "io.umqtt.simple";
    /** The value of {@link io.umqtt.api.MqttConstants#KIND}. */
    public static final String KIND = "simple";
    /** The connection thread is named this prefix plus the connection name. */
    public static final String THREAD_PREFIX = "umqtt-simple-";
    /** How long deactivation waits for the connection thread before interrupting it. */
    static final long STOP_WAIT_MILLIS = 5_000;

    private static final System.Logger LOG = System.getLogger(SimpleConnectionComponent.class.getName());

    private final Object lock = new Object();
    /** The registered service, or null; guarded by {@link #lock}. */
    private ServiceRegistration<MqttConnection> registration;
    /** The marker service that shows this configuration in Kura's UI; null outside Kura; guarded by {@link #lock}. */
    private ServiceRegistration<?> kura;
    /** Set once deactivation began; guarded by {@link #lock}. */
    private boolean stopped;
    /** The run of the settings in force, null while out of service; guarded by {@link #lock}. */
    private Run current;

    // written by SCR's calls only (one at a time); volatile for the tests' accessors
    private volatile BundleContext context;
    private volatile ClientConnection connection;
    /** The configuration error in force, null when none. */
    private volatile String error;
    /** Loads Kura's interfaces where they are; tests replace it. */
    volatile ClassLoader kuraLoader = SimpleConnectionComponent.class.getClassLoader();

    /** One client with its settings and thread. */
    private static final class Run {
        final ConnectionSettings settings;
        final MqttClient client;
        final Thread thread;
        /** Set (under the lock) when the run is stopped: its thread no longer touches the service. */
        boolean stopping;

        Run(ConnectionSettings settings, MqttClient client, Thread thread) {
            this.settings = settings;
            this.client = client;
            this.thread = thread;
        }
    }

    /**
     * Applies the configuration: starts the connection thread, or, when the configuration is
     * invalid, registers the service out of service (see the class comment). Registers Kura's
     * marker where Kura is.
     */
    @Activate
    void activate(BundleContext context, ConnectionConfig config, SimpleConnectionConfig own,
            Map<String, Object> properties) {
        this.context = context;
        apply(config, own, properties);
        ServiceRegistration<?> marker = null;
        synchronized (lock) {
            if (!stopped) {
                marker = KuraConfigurable.register(context, kuraLoader, properties);
                kura = marker;
            }
        }
    }

    /**
     * Takes a changed configuration in place: nothing happens when the effective settings are the
     * same; otherwise one reconnect with the new settings (see the class comment).
     */
    @Modified
    void modified(ConnectionConfig config, SimpleConnectionConfig own, Map<String, Object> properties) {
        apply(config, own, properties);
    }

    private void apply(ConnectionConfig config, SimpleConnectionConfig own, Map<String, Object> properties) {
        String pid = ConnectionNames.pid(properties, PID);
        String defaultName = ConnectionNames.defaultName(properties, pid);
        ConnectionSettings s = null;
        String failure = null;
        try (KuraCrypto crypto = KuraCrypto.open(context, kuraLoader)) {
            s = ConnectionSettings.of(pid, defaultName, config, own.connect_timeout(), crypto);
        } catch (IllegalArgumentException e) {
            failure = e.getMessage();
        }
        Run old;
        synchronized (lock) {
            old = current;
        }
        if (s != null && old != null && old.settings.sameAs(s)) {
            LOG.log(Level.DEBUG, () -> "MQTT connection " + defaultName + ": configuration rewritten with the same "
                    + "settings; nothing to do");
            return;
        }
        if (s == null && failure.equals(error)) {
            return; // the same error: logged already
        }
        if (old != null) {
            LOG.log(Level.INFO, () -> "MQTT connection " + old.settings.name() + ": configuration changed; "
                    + "disconnecting to apply it");
            // users (the whiteboard) hear that it is going down before it does: no SUBSCRIBE races the DISCONNECT
            synchronized (lock) {
                old.stopping = true;
                if (registration != null) {
                    publish(old, old.settings.serviceProperties(KIND, ConnectionState.CLOSED));
                }
            }
            stop(old);
        }
        if (s == null) {
            outOfService(ConnectionNames.nameOf(config, defaultName), failure);
            return;
        }
        start(s);
    }

    /**
     * Puts the service out of service with the configuration error {@code failure}, logged once.
     * The service shows the error before the line is logged: an operator who reads the line and
     * then lists the connections finds it.
     */
    private void outOfService(String name, String failure) {
        error = failure;
        ClientConnection c = connection;
        if (c == null) {
            c = new ClientConnection(name, failure);
            connection = c;
        } else {
            c.fail(name, failure);
        }
        synchronized (lock) {
            current = null;
            publish(null, ConnectionSettings.failedProperties(name, KIND, failure));
        }
        LOG.log(Level.ERROR, ConnectionSettings.outOfServiceMessage(name, failure));
    }

    private void start(ConnectionSettings s) {
        error = null;
        MqttClient client = s.newClient();
        ClientConnection c = connection;
        if (c == null) {
            c = new ClientConnection(s.name(), client);
            connection = c;
        } else {
            c.use(s.name(), client);
        }
        Run[] self = new Run[1];
        Thread t = new Thread(() -> run(self[0]), THREAD_PREFIX + s.name());
        t.setDaemon(true);
        Run r = new Run(s, client, t);
        self[0] = r;
        synchronized (lock) {
            if (stopped) {
                return;
            }
            current = r;
            if (registration != null) { // new settings, or a fixed configuration: the service stays
                publish(r, s.serviceProperties(KIND, ConnectionState.CONNECTING));
            }
        }
        LOG.log(Level.INFO, () -> "starting MQTT connection " + s);
        if (s.ackAfterProcessing()) {
            LOG.log(Level.WARNING, () -> "MQTT connection " + s.name() + " acknowledges after processing, but a "
                    + "simple connection does not reconnect: when a listener or handler fails, the connection is "
                    + "closed without the ack and stays closed until its configuration changes, and the broker "
                    + "redelivers the message only then; use a robust connection (factory PID io.umqtt.robust) to "
                    + "reconnect and get it again at once");
        }
        t.start();
    }

    /**
     * Unregisters the service, disconnects (DISCONNECT, so the broker does not publish the last
     * will) and waits for the connection thread to end. The service goes first so that its users
     * can still unsubscribe while they let go of it.
     */
    @Deactivate
    void deactivate() {
        Run r;
        synchronized (lock) {
            stopped = true;
            r = current;
            if (r != null) {
                r.stopping = true;
            }
            KuraConfigurable.unregister(kura);
            kura = null;
            KuraConfigurable.unregister(registration);
            registration = null;
        }
        if (r != null) {
            stop(r);
        }
        ClientConnection c = connection;
        if (c != null) {
            c.failPendingRequests("the connection was closed (its component was deactivated)");
        }
    }

    /** Stops a run: its thread no longer touches the service; DISCONNECT; waits for the thread. */
    private void stop(Run r) {
        synchronized (lock) {
            r.stopping = true;
        }
        String name = r.settings.name();
        try {
            r.client.disconnect();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "MQTT connection " + name + ": DISCONNECT could not be sent; the socket is "
                    + "closed anyway, so the broker may publish the last will", e);
        }
        Thread t = r.thread;
        try {
            t.join(STOP_WAIT_MILLIS);
            if (t.isAlive()) {
                t.interrupt();
                t.join(STOP_WAIT_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.log(Level.WARNING, "MQTT connection " + name + ": thread " + t.getName() + " did not end within "
                    + 2 * STOP_WAIT_MILLIS + " ms; it ends when its current connect attempt times out (at most "
                    + r.settings.connectTimeoutSeconds() + " s)");
        } else {
            LOG.log(Level.INFO, () -> "MQTT connection " + name + " stopped");
        }
    }

    /** The body of a connection thread: connect once, restore subscriptions, register, loop until closed or lost. */
    private void run(Run r) {
        ConnectionSettings s = r.settings;
        MqttClient client = r.client;
        try {
            boolean sessionPresent = client.connect(s.cleanSession());
            LOG.log(Level.INFO, () -> "MQTT connection " + s.name() + " connected to " + s.server() + ":"
                    + s.effectivePort() + " as " + s.clientId() + (sessionPresent ? " (session resumed)" : ""));
        } catch (IOException | RuntimeException e) {
            if (isStopping(r)) {
                LOG.log(Level.DEBUG, () -> "MQTT connection " + s.name() + " stopped while connecting: " + e);
                return;
            }
            LOG.log(Level.WARNING, "MQTT connection " + s.name() + ": connect to " + s.server() + ":"
                    + s.effectivePort() + " failed; the simple connection does not retry (use the robust one for "
                    + "that), its service is registered with state LOST: " + ConnectionSettings.describe(e), e);
            update(r, ConnectionState.LOST);
            return;
        }
        restoreSubscriptions(r);
        if (!update(r, ConnectionState.CONNECTED)) {
            return;
        }
        Exception failure = null;
        try {
            client.loop();
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        if (isStopping(r)) {
            Exception f = failure;
            LOG.log(Level.DEBUG, () -> "MQTT connection " + s.name() + " ended while stopping" + (f == null ? ""
                    : ": " + f));
            return;
        }
        if (client.state() == ConnectionState.CLOSED) {
            // closed through the client itself, not by this component (loop() throws when that
            // happened before it started)
            LOG.log(Level.WARNING, "MQTT connection " + s.name() + " was closed by its client");
            update(r, ConnectionState.CLOSED);
            return;
        }
        if (failure instanceof RuntimeException) {
            client.close();
        }
        String reason = ConnectionSettings.disconnectReason(failure);
        if (reason != null) {
            LOG.log(Level.WARNING, "MQTT connection " + s.name() + " to " + s.server() + ":" + s.effectivePort()
                    + " was ended by the server with DISCONNECT " + reason + "; the simple connection does not "
                    + "reconnect", failure);
        } else {
            LOG.log(Level.WARNING, "MQTT connection " + s.name() + " to " + s.server() + ":" + s.effectivePort()
                    + " lost; the simple connection does not reconnect: "
                    + (failure == null ? "loop ended in state " + client.state() : failure.getMessage()), failure);
        }
        connection.failPendingRequests("the connection was lost and a simple connection does not reconnect");
        update(r, ConnectionState.LOST, reason);
    }

    /**
     * After a settings change: subscribes the new client to what the service's listeners hold.
     * Runs on the connection thread before {@code loop()}, so the client reads the SUBACKs itself.
     */
    private void restoreSubscriptions(Run r) {
        Map<String, io.umqtt.api.SubscriptionOptions> wanted = connection.wantedSubscriptionOptions();
        for (Map.Entry<String, io.umqtt.api.SubscriptionOptions> w : wanted.entrySet()) {
            if (isStopping(r)) {
                return;
            }
            try {
                io.umqtt.api.SubscriptionOptions o = w.getValue();
                if (o.needsMqtt5() && r.client.protocolVersion() == MqttConstants.MQTT_5) {
                    r.client.subscribe(w.getKey(), o);
                } else {
                    r.client.subscribe(w.getKey(), o.maxQos()); // MQTT 3.1.1 now: only the QoS can be asked
                }
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "MQTT connection " + r.settings.name() + ": the subscription to '"
                        + w.getKey() + "' of its listeners could not be made again with the new settings: "
                        + e.getMessage());
            }
        }
        if (!wanted.isEmpty()) {
            LOG.log(Level.DEBUG, () -> "MQTT connection " + r.settings.name() + ": subscribed again to "
                    + wanted.keySet());
        }
    }

    private boolean isStopping(Run r) {
        synchronized (lock) {
            return stopped || r.stopping;
        }
    }

    /**
     * Registers the service in {@code state}, or updates its properties, unless the run was
     * stopped meanwhile. Returns whether the run is still in force.
     */
    private boolean update(Run r, ConnectionState state) {
        return update(r, state, null);
    }

    /**
     * {@link #update(Run, ConnectionState)}, with {@link io.umqtt.api.MqttConstants#DISCONNECT_REASON}
     * when an MQTT 5 server ended the connection ({@code disconnectReason} not null).
     */
    private boolean update(Run r, ConnectionState state, String disconnectReason) {
        synchronized (lock) {
            if (stopped || r.stopping || r != current) {
                return false;
            }
            Dictionary<String, Object> p = r.settings.serviceProperties(KIND, state);
            if (disconnectReason != null) {
                p.put(MqttConstants.DISCONNECT_REASON, disconnectReason);
            }
            publish(r, p);
            return true;
        }
    }

    /** Registers the service or sets its properties; call under the lock. */
    private void publish(Run r, Dictionary<String, Object> properties) {
        if (stopped) {
            return;
        }
        if (registration == null) {
            registration = context.registerService(MqttConnection.class, connection, properties);
            return;
        }
        try {
            registration.setProperties(properties);
        } catch (IllegalStateException e) {
            // the framework unregistered it: our bundle is stopping
            String name = r == null ? "" : r.settings.name();
            LOG.log(Level.DEBUG, () -> "MQTT connection " + name + ": service already unregistered: " + e);
        }
    }


    // ------------------------------------------------------------------ shared by both components

    // ------------------------------------------------------------------ tests

    /** The settings in force, null while out of service (tests). */
    ConnectionSettings settings() {
        synchronized (lock) {
            return current == null ? null : current.settings;
        }
    }

    /** The connection thread of the settings in force, null while out of service (tests). */
    Thread thread() {
        synchronized (lock) {
            return current == null ? null : current.thread;
        }
    }

    /** The service object (tests). */
    ClientConnection connection() {
        return connection;
    }

    /** The configuration error in force, or null (tests). */
    String error() {
        return error;
    }
}
