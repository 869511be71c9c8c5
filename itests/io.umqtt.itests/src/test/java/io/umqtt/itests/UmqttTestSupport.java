package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemPackage;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * Composes the runtime the umqtt bundles run in (Felix's or Kura 5's, see {@link #RUNTIME_PROPERTY}:
 * SCR, ConfigAdmin, Metatype, a Log service, the bundles this reactor built) and a mosquitto on a
 * free loopback port; offers the waits the tests share. Nothing here sleeps: every wait is a tracker, a latch or a join with a timeout.
 * <p>
 * With the native container the {@link Configuration} method runs in the driver (the JVM's own
 * class loader), the test methods and {@code @Before/@After(Class)} inside the framework (the
 * probe bundle's class loader): the broker is started and stopped by the driver (see
 * {@link #broker()}), and reaches the tests through the system properties
 * {@value #HOST_PROPERTY}, {@value #PORT_PROPERTY} and {@value #LOG_PROPERTY}.
 */
public abstract class UmqttTestSupport {
    public static final String HOST_PROPERTY = "umqtt.it.host";
    public static final String PORT_PROPERTY = "umqtt.it.port";
    /** mosquitto's log file ({@code log_type all}), for tests that check what the broker saw. */
    public static final String LOG_PROPERTY = "umqtt.it.broker.log";
    /**
     * The services runtime these tests run in, chosen by the system property {@value #RUNTIME_PROPERTY}
     * (the pom's two failsafe executions): {@code felix} (default; Felix framework, SCR 2.2,
     * ConfigAdmin, Metatype, Log) or {@code kura}, Eclipse Kura 5's (Equinox 3.16 on the class path
     * instead of Felix, SCR 2.1.16, Equinox ConfigAdmin and Metatype, the OSGi APIs of
     * {@code org.eclipse.osgi.services} and {@code org.eclipse.osgi.util}; Equinox's own Log).
     */
    public static final String RUNTIME_PROPERTY = "umqtt.it.runtime";
    /** Whether these tests run in Kura 5's runtime ({@value #RUNTIME_PROPERTY}=kura). */
    protected static final boolean KURA_RUNTIME = "kura".equals(System.getProperty(RUNTIME_PROPERTY));

    /** Factory PID of the simple connection component. */
    public static final String SIMPLE_PID = "io.umqtt.simple";
    /** Factory PID of the robust connection component. */
    public static final String ROBUST_PID = "io.umqtt.robust";
    protected static final long TIMEOUT_MILLIS = 10_000;

    /** The driver's broker; one per test class (Pax Exam PerClass). */
    private static final AtomicReference<MosquittoBroker> BROKER = new AtomicReference<>();
    private static final AtomicBoolean SHUTDOWN_HOOK = new AtomicBoolean();

    @Inject
    protected BundleContext context;

    @Inject
    protected ConfigurationAdmin configAdmin;

    /** Configurations a test created, deleted after it. */
    private final List<org.osgi.service.cm.Configuration> created = new ArrayList<>();

    @Configuration
    public Option[] configuration() throws IOException {
        return options(
                workingDirectory(KURA_RUNTIME ? "target/paxexam-kura" : "target/paxexam"),
                cleanCaches(true),
                runtime(),
                umqttBundles(),
                broker(),
                junitBundles());
    }

    /** The services runtime of the framework Pax Exam launched: Felix's or Kura's, see {@link #RUNTIME_PROPERTY}. */
    protected static Option runtime() {
        return KURA_RUNTIME ? kuraRuntime() : felixRuntime();
    }

    /**
     * Kura 5's services on Equinox (BUILD-RECIPE §11), versions from the pom (system properties
     * {@code kura.*.version}); EventAdmin only through {@link #eventAdmin()}, as with Felix.
     */
    protected static Option kuraRuntime() {
        return composite(
                mavenBundle("org.eclipse.platform", "org.eclipse.osgi.services", kuraVersion("osgi.services")),
                mavenBundle("org.eclipse.platform", "org.eclipse.osgi.util", kuraVersion("osgi.util")),
                mavenBundle("org.eclipse.platform", "org.eclipse.equinox.cm", kuraVersion("equinox.cm")),
                mavenBundle("org.eclipse.platform", "org.eclipse.equinox.metatype", kuraVersion("equinox.metatype")),
                mavenBundle("org.apache.felix", "org.apache.felix.scr", kuraVersion("scr")));
    }

    private static String kuraVersion(String what) {
        String key = "kura." + what + ".version";
        String version = System.getProperty(key);
        if (version == null) {
            throw new IllegalStateException(key + " is not set (the pom's kura-runtime failsafe execution sets it)");
        }
        return version;
    }

    /** SCR, ConfigAdmin, Metatype and the Felix Log they need (recipe P7). */
    protected static Option felixRuntime() {
        return composite(
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.log").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.metatype").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject());
    }

    /** The umqtt bundles of this reactor, by file URL (recipe P3). */
    protected static Option umqttBundles() {
        return composite(
                bundle(reactorBundle("umqtt.bundle.api")),
                bundle(reactorBundle("umqtt.bundle.simple")),
                bundle(reactorBundle("umqtt.bundle.robust")),
                bundle(reactorBundle("umqtt.bundle.whiteboard")));
    }

    /** EventAdmin (Felix's, or Equinox's in Kura's runtime), for tests of the events the robust connection posts. */
    protected static Option eventAdmin() {
        if (KURA_RUNTIME) {
            return mavenBundle("org.eclipse.platform", "org.eclipse.equinox.event", kuraVersion("equinox.event"));
        }
        return mavenBundle("org.apache.felix", "org.apache.felix.eventadmin").versionAsInProject();
    }

    /**
     * Makes the broker harness ({@code io.umqtt.simple.testing}, from the simple module's test-jar on
     * the driver's class path) loadable inside the framework, exported by the system bundle, so that
     * a test can start, kill and restart a broker of its own ({@link MosquittoBroker#kill()},
     * {@link MosquittoBroker#restart()}) where the driver's broker is out of reach.
     */
    protected static Option brokerHarness() {
        return systemPackage("io.umqtt.simple.testing");
    }

    /**
     * Starts mosquitto for the test class (driver side) and hands its address to the framework.
     * Pax Exam runs {@code @AfterClass} inside the container, where the driver's broker is out
     * of reach (its ProbeRunner leaves class-level methods to the probe invoker), so the driver
     * stops the broker itself: the previous class's broker when the next class configures, and
     * the last one in a JVM shutdown hook (failsafe forks one JVM for this module's ITs).
     */
    protected static Option broker() throws IOException {
        MosquittoBroker broker = MosquittoBroker.builder().start();
        MosquittoBroker previous = BROKER.getAndSet(broker);
        if (previous != null) {
            previous.close();
        }
        if (SHUTDOWN_HOOK.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                MosquittoBroker last = BROKER.getAndSet(null);
                if (last != null) {
                    last.close();
                }
            }, "umqtt-itests-broker-shutdown"));
        }
        return composite(
                systemProperty(HOST_PROPERTY).value(broker.host()),
                systemProperty(PORT_PROPERTY).value(Integer.toString(broker.port())),
                // MosquittoBroker keeps its log as mosquitto.log in its directory
                systemProperty(LOG_PROPERTY).value(broker.directory().resolve("mosquitto.log").toString()));
    }

    private static String reactorBundle(String key) {
        String path = System.getProperty(key);
        if (path == null || !new File(path).isFile()) {
            throw new IllegalStateException(key + " does not point to a bundle jar: " + path
                    + " (run the integration tests through 'mvn verify' so the bundles are packaged)");
        }
        return new File(path).toURI().toString();
    }

    // ------------------------------------------------------------------ in the framework

    protected String brokerHost() {
        String host = context.getProperty(HOST_PROPERTY);
        assertNotNull(HOST_PROPERTY + " not set", host);
        return host;
    }

    protected int brokerPort() {
        String port = context.getProperty(PORT_PROPERTY);
        assertNotNull(PORT_PROPERTY + " not set", port);
        return Integer.parseInt(port);
    }

    /**
     * Waits until the broker's log contains {@code fragment}: re-reads the file on every change
     * event of its directory (a {@link WatchService}), never sleeps.
     *
     * @return whether it appeared within {@link #TIMEOUT_MILLIS}
     */
    protected boolean awaitBrokerLog(String fragment) throws IOException, InterruptedException {
        String property = context.getProperty(LOG_PROPERTY);
        assertNotNull(LOG_PROPERTY + " not set", property);
        Path log = Paths.get(property);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        try (WatchService watcher = log.getFileSystem().newWatchService()) {
            log.getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
            while (true) {
                // registered before reading, so no later write goes unnoticed
                if (Files.exists(log) && new String(Files.readAllBytes(log), StandardCharsets.UTF_8)
                        .contains(fragment)) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                WatchKey key = watcher.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
    }

    /**
     * Creates (or updates) the factory configuration {@code io.umqtt.simple~<name>} with a name,
     * the test broker and the given extra properties ({@code key, value, ...}).
     */
    protected org.osgi.service.cm.Configuration configureSimple(String name, Object... keyValues)
            throws IOException {
        return configure(SIMPLE_PID, name, keyValues);
    }

    /**
     * Creates (or updates) the factory configuration {@code <factoryPid>~<name>} with a name, the
     * test broker and the given extra properties ({@code key, value, ...}), which may override the
     * broker's {@code server} and {@code port}.
     */
    protected org.osgi.service.cm.Configuration configure(String factoryPid, String name, Object... keyValues)
            throws IOException {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("name", name);
        props.put("server", brokerHost());
        props.put("port", brokerPort());
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put((String) keyValues[i], keyValues[i + 1]);
        }
        org.osgi.service.cm.Configuration config = configAdmin.getFactoryConfiguration(factoryPid, name, "?");
        config.update(props);
        created.add(config);
        return config;
    }

    /** Deletes a configuration made by {@link #configure} before the test ends. */
    protected void delete(org.osgi.service.cm.Configuration config) throws IOException {
        created.remove(config);
        config.delete();
    }

    /** Fails a test that runs in another framework or DS runtime than {@link #RUNTIME_PROPERTY} asks for. */
    @Before
    public void runsInTheChosenRuntime() {
        String framework = context.getBundle(0).getSymbolicName();
        Bundle scr = Arrays.stream(context.getBundles()).filter(b -> "org.apache.felix.scr".equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new AssertionError("no SCR bundle"));
        if (KURA_RUNTIME) {
            assertEquals("Equinox must run Kura's runtime", "org.eclipse.osgi", framework);
            assertEquals(System.getProperty("kura.scr.version"), scr.getVersion().toString());
        } else {
            assertEquals("org.apache.felix.framework", framework);
        }
    }

    @After
    public void deleteConfigurations() throws IOException {
        for (org.osgi.service.cm.Configuration c : created) {
            c.delete();
        }
        created.clear();
    }

    /**
     * Waits until ConfigurationAdmin has delivered every configuration event queued before this
     * call, so SCR has finished reacting to them (activating, or failing to). Felix ConfigAdmin
     * delivers events to listeners on one dispatcher thread in order, and SCR activates
     * components inside its listener call: once an event for a throw-away configuration updated
     * now reaches a listener of ours, every earlier event has been handled.
     */
    protected void awaitConfigurationEventsDelivered() throws IOException, InterruptedException {
        String pid = "io.umqtt.itests.barrier";
        CountDownLatch delivered = new CountDownLatch(1);
        ConfigurationListener listener = event -> {
            if (pid.equals(event.getPid()) && event.getType() == ConfigurationEvent.CM_UPDATED) {
                delivered.countDown();
            }
        };
        ServiceRegistration<ConfigurationListener> reg = context.registerService(ConfigurationListener.class,
                listener, null);
        try {
            org.osgi.service.cm.Configuration barrier = configAdmin.getConfiguration(pid, "?");
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("at", System.nanoTime());
            barrier.update(props);
            assertTrue("ConfigurationAdmin delivered no event within " + TIMEOUT_MILLIS + " ms",
                    delivered.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            barrier.delete();
        } finally {
            reg.unregister();
        }
    }

    /** A tracker of the MqttConnection services matching an LDAP filter over their properties. */
    protected ServiceTracker<MqttConnection, MqttConnection> track(String propertyFilter) {
        return track(propertyFilter, null);
    }

    /**
     * {@link #track(String)}, counting {@code removed} down for every tracked service that goes
     * away (null: nothing counted).
     */
    protected ServiceTracker<MqttConnection, MqttConnection> track(String propertyFilter, CountDownLatch removed) {
        ServiceTracker<MqttConnection, MqttConnection> tracker = new ServiceTracker<MqttConnection, MqttConnection>(
                context, filter("(&(" + org.osgi.framework.Constants.OBJECTCLASS + "=" + MqttConnection.class.getName()
                        + ")" + propertyFilter + ")"), null) {
            @Override
            public void removedService(ServiceReference<MqttConnection> reference, MqttConnection service) {
                super.removedService(reference, service);
                if (removed != null) {
                    removed.countDown();
                }
            }
        };
        tracker.open();
        return tracker;
    }

    /** Waits for the connection named {@code name} with {@code mqtt.connected=true}. */
    protected ServiceReference<MqttConnection> awaitConnected(String name) throws InterruptedException {
        ServiceTracker<MqttConnection, MqttConnection> tracker = track(
                "(" + MqttConstants.NAME + "=" + name + ")(" + MqttConstants.CONNECTED + "=true)");
        try {
            MqttConnection service = tracker.waitForService(TIMEOUT_MILLIS);
            assertNotNull("no connected MqttConnection '" + name + "' within " + TIMEOUT_MILLIS + " ms", service);
            ServiceReference<MqttConnection> ref = tracker.getServiceReference();
            assertTrue(service.isConnected());
            return ref;
        } finally {
            tracker.close();
        }
    }

    /** The live thread with this exact name, or null. */
    protected static Thread thread(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    protected Filter filter(String ldap) {
        try {
            return context.createFilter(ldap);
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException(ldap, e);
        }
    }
}
