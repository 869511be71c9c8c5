package io.umqtt.simple.internal;

import io.umqtt.simple.internal.connection.ConnectionSettings;
import io.umqtt.simple.internal.connection.SimpleConnectionConfig;
import io.umqtt.simple.internal.connection.ClientConnection;
import io.umqtt.simple.internal.connection.KuraConfigurable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Map;

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
 * {@code mqtt.state=LOST}, {@code mqtt.connected=false}. A configuration change deactivates and
 * reactivates the component (there is no modified method), which opens a new connection.
 * Deactivation unregisters the service, sends DISCONNECT and waits for the thread to end.
 *
 * <h2>Threading</h2>
 * SCR calls {@link #activate} and {@link #deactivate}; the connection thread registers the
 * service and updates its properties. {@link #lock} guards the hand-over of the registration
 * between the two; no lock is held while calling the framework or the client.
 */
@Component(configurationPid = SimpleConnectionComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = SimpleConnectionConfig.class, factory = true)
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
    /** Set once deactivation began; guarded by {@link #lock}. */
    private boolean stopped;

    // set by activate before the thread starts, read by the thread and by deactivate
    private volatile BundleContext context;
    private volatile ConnectionSettings settings;
    private volatile ClientConnection connection;
    private volatile Thread thread;
    /** The marker service that shows this configuration in Kura's UI; null outside Kura. */
    private volatile ServiceRegistration<?> kura;

    /**
     * Validates the configuration and starts the connection thread.
     *
     * @throws IllegalArgumentException naming the bad property and value; SCR logs it and the
     *         component stays inactive
     */
    @Activate
    void activate(BundleContext context, SimpleConnectionConfig config, Map<String, Object> properties) {
        Object pid = properties.get(Constants.SERVICE_PID);
        ConnectionSettings s = ConnectionSettings.of(pid instanceof String ? (String) pid : PID, config);
        this.context = context;
        this.settings = s;
        this.connection = new ClientConnection(s.name(), s.newClient());
        Thread t = new Thread(this::run, THREAD_PREFIX + s.name());
        t.setDaemon(true);
        this.thread = t;
        LOG.log(Level.INFO, () -> "starting MQTT connection " + s);
        t.start();
        kura = KuraConfigurable.register(context, SimpleConnectionComponent.class.getClassLoader(), properties);
    }

    /**
     * Unregisters the service, disconnects (DISCONNECT, so the broker does not publish the last
     * will) and waits for the connection thread to end. The service goes first so that its users
     * can still unsubscribe while they let go of it.
     */
    @Deactivate
    void deactivate() {
        ServiceRegistration<MqttConnection> reg;
        synchronized (lock) {
            stopped = true;
            reg = registration;
            registration = null;
        }
        KuraConfigurable.unregister(kura);
        kura = null;
        unregister(reg);
        ClientConnection c = connection;
        try {
            c.client().disconnect();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "MQTT connection " + c.name() + ": DISCONNECT could not be sent; the socket is "
                    + "closed anyway, so the broker may publish the last will", e);
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
        if (t.isAlive()) {
            LOG.log(Level.WARNING, "MQTT connection " + c.name() + ": thread " + t.getName() + " did not end within "
                    + 2 * STOP_WAIT_MILLIS + " ms; it ends when its current connect attempt times out (at most "
                    + settings.connectTimeoutSeconds() + " s)");
        } else {
            LOG.log(Level.INFO, () -> "MQTT connection " + c.name() + " stopped");
        }
    }

    /** The body of the connection thread: connect once, register, loop until closed or lost. */
    private void run() {
        ConnectionSettings s = settings;
        MqttClient client = connection.client();
        try {
            boolean sessionPresent = client.connect(s.cleanSession());
            LOG.log(Level.INFO, () -> "MQTT connection " + s.name() + " connected to " + s.server() + ":"
                    + s.effectivePort() + " as " + s.clientId() + (sessionPresent ? " (session resumed)" : ""));
        } catch (IOException | RuntimeException e) {
            if (isStopped()) {
                LOG.log(Level.DEBUG, () -> "MQTT connection " + s.name() + " stopped while connecting: " + e);
                return;
            }
            LOG.log(Level.WARNING, "MQTT connection " + s.name() + ": connect to " + s.server() + ":"
                    + s.effectivePort() + " failed; the simple connection does not retry (use the robust one for "
                    + "that), its service is registered with state LOST: " + e.getMessage(), e);
            register(ConnectionState.LOST);
            return;
        }
        if (!register(ConnectionState.CONNECTED)) {
            return;
        }
        Exception failure = null;
        try {
            client.loop();
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        if (isStopped()) {
            Exception f = failure;
            LOG.log(Level.DEBUG, () -> "MQTT connection " + s.name() + " ended while stopping" + (f == null ? ""
                    : ": " + f));
            return;
        }
        if (client.state() == ConnectionState.CLOSED) {
            // closed through the client itself, not by this component (loop() throws when that
            // happened before it started)
            LOG.log(Level.WARNING, "MQTT connection " + s.name() + " was closed by its client");
            update(ConnectionState.CLOSED);
            return;
        }
        if (failure instanceof RuntimeException) {
            client.close();
        }
        LOG.log(Level.WARNING, "MQTT connection " + s.name() + " to " + s.server() + ":" + s.effectivePort()
                + " lost; the simple connection does not reconnect: "
                + (failure == null ? "loop ended in state " + client.state() : failure.getMessage()), failure);
        update(ConnectionState.LOST);
    }

    private boolean isStopped() {
        synchronized (lock) {
            return stopped;
        }
    }

    /**
     * Registers the service in {@code state}, unless deactivation began (then it unregisters it
     * again at once). Returns whether it stays registered.
     */
    private boolean register(ConnectionState state) {
        if (isStopped()) {
            return false;
        }
        ServiceRegistration<MqttConnection> reg = context.registerService(MqttConnection.class, connection,
                settings.serviceProperties(KIND, state));
        synchronized (lock) {
            if (!stopped) {
                registration = reg;
                return true;
            }
        }
        unregister(reg);
        return false;
    }

    /** Replaces the service properties with those of {@code state}. */
    private void update(ConnectionState state) {
        ServiceRegistration<MqttConnection> reg;
        synchronized (lock) {
            reg = stopped ? null : registration;
        }
        if (reg == null) {
            return;
        }
        try {
            reg.setProperties(settings.serviceProperties(KIND, state));
        } catch (IllegalStateException e) {
            // deactivate unregistered it between the two steps
            LOG.log(Level.DEBUG, () -> "MQTT connection " + settings.name() + ": service already unregistered: " + e);
        }
    }

    private void unregister(ServiceRegistration<MqttConnection> reg) {
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

    /** The settings in force (tests). */
    ConnectionSettings settings() {
        return settings;
    }

    /** The connection thread (tests). */
    Thread thread() {
        return thread;
    }

    /** The service object (tests). */
    ClientConnection connection() {
        return connection;
    }
}
