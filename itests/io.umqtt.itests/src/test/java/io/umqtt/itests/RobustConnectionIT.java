package io.umqtt.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.robust.OfflineQueueFullException;
import io.umqtt.robust.RobustConnection;
import io.umqtt.robust.RobustConstants;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.FreePort;

/**
 * The robust connection component in Felix with EventAdmin: a factory configuration in, a
 * connection service out at once, which survives its broker being down at activation, killed
 * (SIGKILL) and restarted, and leaves nothing behind when its configuration is deleted.
 * <p>
 * The brokers a test kills are its own, started inside the framework (the harness package is
 * exported by the system bundle, {@link #brokerHarness()}); reconnect delays are 50..200 ms. Every
 * wait is a tracker, a listener queue or a join with a timeout.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RobustConnectionIT extends UmqttTestSupport {
    private static final String COMPONENT = "io.umqtt.robust.internal.RobustConnectionComponent";
    private static final String THREAD_PREFIX = "umqtt-robust-";
    private static final Object[] FAST = {"reconnect.initial.delay", 50L, "reconnect.max.delay", 200L};

    @Inject
    private MetaTypeService metaType;

    @Inject
    private ServiceComponentRuntime scr;

    @Inject
    private LogReaderService logReader;

    private final List<MosquittoBroker> brokers = new ArrayList<>();
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final List<ServiceListener> listeners = new ArrayList<>();

    @Override
    @Configuration
    public Option[] configuration() throws IOException {
        return OptionUtils.combine(super.configuration(), eventAdmin(), brokerHarness());
    }

    @After
    public void stopOwnBrokersAndListeners() throws IOException {
        deleteConfigurations(); // before the brokers go, so that no connection sees its broker vanish
        for (ServiceRegistration<?> r : registrations) {
            r.unregister();
        }
        for (ServiceListener l : listeners) {
            context.removeServiceListener(l);
        }
        for (MosquittoBroker b : brokers) {
            b.close();
        }
    }

    // ------------------------------------------------------------------ tests

    @Test
    public void serviceIsRegisteredWhileTheBrokerIsDownAndConnectsWhenItStarts() throws Exception {
        int port = FreePort.pick();
        BlockingQueue<Event> events = events("r-late");
        configureRobust("r-late", "port", port);

        ServiceReference<MqttConnection> ref = awaitService("r-late", "");
        assertEquals("robust", ref.getProperty(MqttConstants.KIND));
        assertEquals(Boolean.FALSE, ref.getProperty(MqttConstants.CONNECTED));
        assertEquals(port, ref.getProperty(MqttConstants.PORT));
        assertEquals("io.umqtt.robust", ref.getBundle().getSymbolicName());
        assertTrue(Arrays.asList((String[]) ref.getProperty(org.osgi.framework.Constants.OBJECTCLASS))
                .contains(RobustConnection.class.getName()));
        assertNotNull("the connection thread runs", thread(THREAD_PREFIX + "r-late"));

        Event failed = awaitEvent(events, RobustConstants.TOPIC_RECONNECT_FAILED);
        assertEquals("r-late", failed.getProperty(MqttConstants.NAME));
        assertEquals(brokerHost(), failed.getProperty(MqttConstants.SERVER));
        assertEquals(port, failed.getProperty(MqttConstants.PORT));
        assertEquals(1, failed.getProperty(RobustConstants.EVENT_ATTEMPT));
        assertNotNull(failed.getProperty(RobustConstants.EVENT_CAUSE));
        assertTrue(failed.getProperty(RobustConstants.EVENT_DELAY) instanceof Long);

        RobustConnection conn = (RobustConnection) context.getService(ref);
        try {
            BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
            try {
                conn.subscribe("it/late/#", 1, received::add);
                fail("subscribe while the broker is down must say so");
            } catch (IOException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("remembered"));
            }
            conn.publish("it/late/queued", "q".getBytes(StandardCharsets.UTF_8), 1, false);
            assertEquals(1, conn.queued());

            broker(MosquittoBroker.builder().port(port));
            ServiceReference<MqttConnection> connected = awaitConnected("r-late");
            assertEquals(Boolean.FALSE, connected.getProperty(RobustConstants.SESSION_PRESENT));
            Event up = awaitEvent(events, RobustConstants.TOPIC_CONNECTED);
            assertEquals(Boolean.FALSE, up.getProperty(RobustConstants.EVENT_SESSION_PRESENT));

            MqttMessage m = received.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            assertNotNull("the publish queued while the broker was down never arrived", m);
            assertEquals("it/late/queued", m.topicString());
            assertArrayEquals("q".getBytes(StandardCharsets.UTF_8), m.payload());
            assertSame(conn, m.connection());
            assertEquals(0, conn.queued());
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void brokerKilledAndRestartedUnderTheServiceWhichStaysAndRecovers() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        BlockingQueue<ServiceEvent> changes = serviceEvents("r-kill");
        BlockingQueue<Event> events = events("r-kill");
        configureRobust("r-kill", "port", b.port());
        ServiceReference<MqttConnection> ref = awaitConnected("r-kill");
        RobustConnection conn = (RobustConnection) context.getService(ref);
        try {
            BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
            assertEquals(1, conn.subscribe("it/kill/#", 1, received::add));
            conn.publish("it/kill/1", bytes("before"), 1, false);
            assertEquals("it/kill/1=before", next(received));

            b.kill();
            awaitState(changes, "LOST");
            Event lost = awaitEvent(events, RobustConstants.TOPIC_LOST);
            assertNotNull(lost.getProperty(RobustConstants.EVENT_CAUSE));
            assertFalse(conn.isConnected());
            conn.publish("it/kill/2", bytes("while-down"), 1, false); // queued

            b.restart();
            ServiceEvent back = awaitState(changes, "CONNECTED");
            assertEquals(1L, back.getServiceReference().getProperty(RobustConstants.RECONNECTS));
            assertEquals(Boolean.FALSE, back.getServiceReference().getProperty(RobustConstants.SESSION_PRESENT));
            // clean session: the broker forgot the subscription; the client restored it by itself
            assertEquals("it/kill/2=while-down", next(received));
            conn.publish("it/kill/3", bytes("after"), 1, false);
            assertEquals("it/kill/3=after", next(received));
            assertEquals(1L, conn.reconnects());
            assertNull("no duplicates", received.poll());
            assertEquals("still the same service", ref.getProperty(org.osgi.framework.Constants.SERVICE_ID),
                    awaitConnected("r-kill").getProperty(org.osgi.framework.Constants.SERVICE_ID));
        } finally {
            context.ungetService(ref);
        }
        for (ServiceEvent e = changes.poll(); e != null; e = changes.poll()) {
            assertEquals("the service stays registered", ServiceEvent.MODIFIED, e.getType());
        }
    }

    @Test
    public void fullOfflineQueueIsReportedAsAnEvent() throws Exception {
        int port = FreePort.pick();
        BlockingQueue<Event> events = events("r-full");
        configureRobust("r-full", "port", port, "queue.max.messages", 1, "queue.overflow", "REJECT_NEWEST");
        ServiceReference<MqttConnection> ref = awaitService("r-full", "");
        RobustConnection conn = (RobustConnection) context.getService(ref);
        try {
            conn.publish("it/full/1", bytes("kept"), 1, false);
            try {
                conn.publish("it/full/2", bytes("refused"), 1, false);
                fail("the second publish must be refused");
            } catch (OfflineQueueFullException expected) {
                assertTrue(expected.getMessage(), expected.getMessage().contains("offline queue full"));
            }
            Event dropped = awaitEvent(events, RobustConstants.TOPIC_MESSAGE_DROPPED);
            assertEquals("it/full/2", dropped.getProperty(RobustConstants.EVENT_MESSAGE_TOPIC));
            assertEquals(1, dropped.getProperty(RobustConstants.EVENT_MESSAGE_QOS));
            assertEquals(7, dropped.getProperty(RobustConstants.EVENT_MESSAGE_SIZE));
            assertTrue((String) dropped.getProperty(RobustConstants.EVENT_REASON),
                    ((String) dropped.getProperty(RobustConstants.EVENT_REASON)).contains("REJECT_NEWEST"));
            assertEquals(1L, conn.dropped());
            assertNotNull("the dropped count reaches the service properties",
                    awaitService("r-full", "(" + RobustConstants.DROPPED + "=1)"));
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void persistentOfflineQueueLivesInTheBundleDataArea() throws Exception {
        configureRobust("r-disk", "port", FreePort.pick(), "queue.persistent", true);
        if (KURA_RUNTIME) {
            // Kura's framework starts clean (osgi.clean=true) and wipes the data area: the default
            // location is refused there, visibly, until queue.directory is set
            ServiceReference<MqttConnection> out = awaitService("r-disk", "(" + MqttConstants.ERROR + "=*)");
            String error = (String) out.getProperty(MqttConstants.ERROR);
            assertTrue(error, error.contains("queue.persistent=true needs queue.directory under Kura"));
            assertEquals(Boolean.FALSE, out.getProperty(MqttConstants.CONNECTED));
            return;
        }
        ServiceReference<MqttConnection> ref = awaitService("r-disk", "");
        RobustConnection conn = (RobustConnection) context.getService(ref);
        try {
            conn.publish("it/disk", bytes("kept"), 1, false); // the broker is down: queued, on disk
            assertEquals(1, conn.queued());
        } finally {
            context.ungetService(ref);
        }
        Path dir = robustBundle().getDataFile("offline-queue/r-disk").toPath();
        assertTrue(dir + " holds the lock", Files.exists(dir.resolve("queue.lock")));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals("one segment file with the message", 1,
                    files.filter(f -> f.getFileName().toString().startsWith("segment-")).count());
        }
    }

    @Test
    public void deletedConfigurationLeavesNoThreadAndNoSocketBehind() throws Exception {
        MosquittoBroker b = broker(MosquittoBroker.builder());
        org.osgi.service.cm.Configuration up = configureRobust("r-del", "port", b.port(), "lwt.topic", "it/will",
                "lwt.message", "died");
        org.osgi.service.cm.Configuration down = configureRobust("r-del-down", "port", FreePort.pick());
        String clientId = (String) awaitConnected("r-del").getProperty(MqttConstants.CLIENT_ID);
        awaitService("r-del-down", "(" + RobustConstants.RECONNECT_ATTEMPT + ">=1)");
        Thread upThread = thread(THREAD_PREFIX + "r-del");
        Thread downThread = thread(THREAD_PREFIX + "r-del-down");
        assertNotNull(upThread);
        assertNotNull(downThread);
        assertEquals("one socket to the broker", 1, socketsTo(b.port()));

        CountDownLatch removed = new CountDownLatch(2);
        ServiceTracker<MqttConnection, MqttConnection> tracker = track("(|(" + MqttConstants.NAME + "=r-del)("
                + MqttConstants.NAME + "=r-del-down))", removed);
        try {
            assertEquals(2, tracker.size());
            delete(up);
            delete(down);
            assertTrue("services still registered " + TIMEOUT_MILLIS + " ms after their configurations were deleted",
                    removed.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            upThread.join(TIMEOUT_MILLIS);
            downThread.join(TIMEOUT_MILLIS);
            assertFalse(upThread.getName() + " still alive", upThread.isAlive());
            assertFalse(downThread.getName() + " still alive", downThread.isAlive());
        } finally {
            tracker.close();
        }
        assertEquals("the socket to the broker was not closed", 0, socketsTo(b.port()));
        // a DISCONNECT, so no last will: mosquitto logs "disconnected." for it, "closed its connection." otherwise
        assertTrue("mosquitto saw no DISCONNECT from " + clientId,
                b.awaitLog("Client " + clientId + " disconnected.", TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        assertNull(thread(THREAD_PREFIX + "r-del"));
        assertNull(thread(THREAD_PREFIX + "r-del-down"));
    }

    @Test
    public void noRobustThreadOutlivesItsConfiguration() throws Exception {
        org.osgi.service.cm.Configuration c = configureRobust("r-any", "port", FreePort.pick());
        awaitService("r-any", "");
        delete(c);
        // every configuration of this class is deleted by now or at the end of its test
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith(THREAD_PREFIX)) {
                t.join(TIMEOUT_MILLIS);
                assertFalse(t.getName() + " outlived its configuration", t.isAlive());
            }
        }
    }

    @Test
    public void metatypeDescribesTheRobustConfiguration() {
        ObjectClassDefinition ocd = metaType.getMetaTypeInformation(robustBundle())
                .getObjectClassDefinition(ROBUST_PID, null);
        assertEquals("umqtt robust MQTT connection", ocd.getName());
        AttributeDefinition[] ads = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        assertEquals(AttributeDefinition.PASSWORD, ad(ads, "password").getType());
        assertEquals(AttributeDefinition.PASSWORD, ad(ads, "tls.keystore.password").getType());
        assertEquals(AttributeDefinition.PASSWORD, ad(ads, "tls.truststore.password").getType());
        assertEquals("localhost", ad(ads, "server").getDefaultValue()[0]);
        assertEquals(AttributeDefinition.LONG, ad(ads, "reconnect.initial.delay").getType());
        assertArrayEquals(new String[] {"1000"}, ad(ads, "reconnect.initial.delay").getDefaultValue());
        assertArrayEquals(new String[] {"60000"}, ad(ads, "reconnect.max.delay").getDefaultValue());
        assertEquals(AttributeDefinition.DOUBLE, ad(ads, "reconnect.jitter").getType());
        assertArrayEquals(new String[] {"0"}, ad(ads, "reconnect.max.attempts").getDefaultValue());
        assertArrayEquals(new String[] {"10000"}, ad(ads, "queue.max.messages").getDefaultValue());
        assertArrayEquals(new String[] {"10485760"}, ad(ads, "queue.max.bytes").getDefaultValue());
        AttributeDefinition overflow = ad(ads, "queue.overflow");
        assertArrayEquals(new String[] {"DROP_OLDEST", "REJECT_NEWEST"}, overflow.getOptionValues());
        assertArrayEquals(new String[] {"DROP_OLDEST"}, overflow.getDefaultValue());
        assertEquals(AttributeDefinition.BOOLEAN, ad(ads, "queue.persistent").getType());
        assertArrayEquals(new String[] {"false"}, ad(ads, "queue.persistent").getDefaultValue());
        assertEquals(AttributeDefinition.STRING, ad(ads, "queue.directory").getType());
        AttributeDefinition failover = ad(ads, "failover.servers");
        assertEquals(AttributeDefinition.STRING, failover.getType());
        assertEquals(Integer.MAX_VALUE, failover.getCardinality());
    }

    @Test
    public void robustBundleRegistersOnlyItsOwnComponent() {
        List<String> names = scr.getComponentDescriptionDTOs(robustBundle()).stream().map(d -> d.name)
                .collect(Collectors.toList());
        assertEquals("the copied simple component must not be registered by the robust bundle", List.of(COMPONENT),
                names);
        assertEquals("OSGI-INF/" + COMPONENT + ".xml", robustBundle().getHeaders().get("Service-Component"));
    }

    @Test
    public void badConfigurationStaysVisibleWithItsErrorAndAFixRecoversIt() throws Exception {
        org.osgi.service.cm.Configuration config = configureRobust("r-bad", "reconnect.jitter", 1.5);
        ServiceTracker<MqttConnection, MqttConnection> tracker = track("(" + MqttConstants.NAME + "=r-bad)("
                + MqttConstants.ERROR + "=*)");
        try {
            MqttConnection failed = tracker.waitForService(TIMEOUT_MILLIS);
            assertNotNull("no MqttConnection r-bad with " + MqttConstants.ERROR, failed);
            ServiceReference<MqttConnection> ref = tracker.getServiceReference();
            assertEquals("invalid configuration of io.umqtt.robust~r-bad: reconnect.jitter=1.5 is outside 0..1",
                    ref.getProperty(MqttConstants.ERROR));
            assertEquals("CLOSED", ref.getProperty(MqttConstants.STATE));
            assertNull("no thread for a bad configuration", thread(THREAD_PREFIX + "r-bad"));
            ComponentDescriptionDTO description = scr.getComponentDescriptionDTOs(robustBundle()).iterator().next();
            ComponentConfigurationDTO dto = scr.getComponentConfigurationDTOs(description).stream()
                    .filter(c -> "r-bad".equals(c.properties.get("name"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no component configuration for r-bad"));
            // SCR may not have recorded the end of activate yet (the service is registered inside it)
            assertNotEquals("activation did not fail", ComponentConfigurationDTO.FAILED_ACTIVATION, dto.state);

            Object id = ref.getProperty(org.osgi.framework.Constants.SERVICE_ID);
            java.util.Dictionary<String, Object> props = config.getProperties();
            props.put("reconnect.jitter", 0.5);
            config.update(props);
            ServiceReference<MqttConnection> fixed = awaitConnected("r-bad");
            assertEquals(id, fixed.getProperty(org.osgi.framework.Constants.SERVICE_ID));
            assertNull(fixed.getProperty(MqttConstants.ERROR));
        } finally {
            tracker.close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private org.osgi.service.cm.Configuration configureRobust(String name, Object... keyValues) throws IOException {
        return configure(ROBUST_PID, name, Stream.concat(Arrays.stream(FAST), Arrays.stream(keyValues)).toArray());
    }

    private MosquittoBroker broker(MosquittoBroker.Builder builder) throws IOException {
        MosquittoBroker b = builder.start();
        brokers.add(b);
        return b;
    }

    private Bundle robustBundle() {
        return Arrays.stream(context.getBundles()).filter(b -> "io.umqtt.robust".equals(b.getSymbolicName()))
                .findFirst().orElseThrow();
    }

    /** Waits for the connection named {@code name} whose properties also match {@code filter} (may be empty). */
    private ServiceReference<MqttConnection> awaitService(String name, String filter) throws InterruptedException {
        ServiceTracker<MqttConnection, MqttConnection> tracker = track("(" + MqttConstants.NAME + "=" + name + ")"
                + filter);
        try {
            assertNotNull("no MqttConnection '" + name + "' " + filter + " within " + TIMEOUT_MILLIS + " ms",
                    tracker.waitForService(TIMEOUT_MILLIS));
            return tracker.getServiceReference();
        } finally {
            tracker.close();
        }
    }

    /** Records the registration events of the connection named {@code name}, from now on. */
    private BlockingQueue<ServiceEvent> serviceEvents(String name) {
        BlockingQueue<ServiceEvent> queue = new LinkedBlockingQueue<>();
        ServiceListener listener = queue::add;
        try {
            context.addServiceListener(listener, "(&(" + org.osgi.framework.Constants.OBJECTCLASS + "="
                    + MqttConnection.class.getName() + ")(" + MqttConstants.NAME + "=" + name + "))");
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalArgumentException(e);
        }
        listeners.add(listener);
        return queue;
    }

    /** Takes registration events until one shows {@code state}; fails after the timeout. */
    private static ServiceEvent awaitState(BlockingQueue<ServiceEvent> changes, String state)
            throws InterruptedException {
        return awaitIn(changes, "service state " + state,
                e -> state.equals(e.getServiceReference().getProperty(MqttConstants.STATE)));
    }

    /** Records the EventAdmin events of the connection named {@code name}, from now on. */
    private BlockingQueue<Event> events(String name) {
        BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EventConstants.EVENT_TOPIC, RobustConstants.TOPIC_PREFIX + "*");
        props.put(EventConstants.EVENT_FILTER, "(" + MqttConstants.NAME + "=" + name + ")");
        registrations.add(context.registerService(EventHandler.class, queue::add, props));
        return queue;
    }

    private static Event awaitEvent(BlockingQueue<Event> events, String topic) throws InterruptedException {
        return awaitIn(events, "event " + topic, e -> topic.equals(e.getTopic()));
    }

    private static <T> T awaitIn(BlockingQueue<T> queue, String what, Predicate<T> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        List<String> seen = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            T item = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
            if (item == null) {
                throw new AssertionError("no " + what + " within " + TIMEOUT_MILLIS + " ms; saw " + seen);
            }
            if (condition.test(item)) {
                return item;
            }
            seen.add(describe(item));
        }
    }

    private static String describe(Object item) {
        if (item instanceof ServiceEvent) {
            ServiceEvent e = (ServiceEvent) item;
            return e.getType() + ":" + e.getServiceReference().getProperty(MqttConstants.STATE);
        }
        return item instanceof Event ? ((Event) item).getTopic() : String.valueOf(item);
    }

    private static String next(BlockingQueue<MqttMessage> received) throws InterruptedException {
        MqttMessage m = received.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull("no message within " + TIMEOUT_MILLIS + " ms", m);
        return m.topicString() + "=" + new String(m.payload(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }


    /**
     * How many open TCP sockets of this JVM (the framework runs in it) are connected to the
     * loopback {@code port}: its socket file descriptors ({@code /proc/self/fd}) matched by inode
     * with the kernel's connection tables ({@code /proc/net/tcp}, {@code tcp6}). Linux only.
     */
    private static int socketsTo(int port) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // the descriptor was closed while listing (e.g. the one of this very listing)
                    if (Files.exists(fd)) {
                        throw e;
                    }
                }
            }
        }
        String remotePort = String.format(":%04X", port);
        int count = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Paths.get(table));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                if (f[2].endsWith(remotePort) && inodes.contains(f[9])) {
                    count++;
                }
            }
        }
        return count;
    }

    private static AttributeDefinition ad(AttributeDefinition[] ads, String id) {
        return Arrays.stream(ads).filter(a -> a.getID().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no attribute " + id));
    }

    private static String text(LogEntry entry) {
        StringBuilder s = new StringBuilder(String.valueOf(entry.getMessage()));
        for (Throwable t = entry.getException(); t != null; t = t.getCause()) {
            s.append(" | ").append(t);
        }
        return s.toString();
    }
}
