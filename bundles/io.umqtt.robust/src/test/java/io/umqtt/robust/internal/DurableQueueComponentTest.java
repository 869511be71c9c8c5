package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

import io.umqtt.api.MqttConstants;
import io.umqtt.robust.RobustConnection;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.internal.LogCapture;
import io.umqtt.simple.testing.FakeBundleContext;
import io.umqtt.simple.testing.FakeBundleContext.Kind;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.FreePort;

/**
 * {@code queue.persistent} and {@code queue.directory} of the robust component: the queue lives in
 * the bundle's data area unless a directory is configured, survives a deactivation (a restart)
 * into the next activation, and every bad value fails activation naming the property and value.
 */
@Timeout(60)
class DurableQueueComponentTest {

    @TempDir
    Path tmp;
    private final List<RobustConnectionComponent> active = new ArrayList<>();
    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = new LogCapture();
    }

    @AfterEach
    void cleanUp() {
        for (RobustConnectionComponent c : active) {
            c.deactivate();
        }
        log.close();
    }

    /** {@code fake}'s context, plus {@code getDataFile} in {@code data} (null: no storage area). */
    private static BundleContext withDataArea(FakeBundleContext fake, Path data) {
        return (BundleContext) Proxy.newProxyInstance(DurableQueueComponentTest.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (p, m, args) -> {
                    if (m.getName().equals("getDataFile")) {
                        return data == null ? null : new File(data.toFile(), (String) args[0]);
                    }
                    try {
                        return m.invoke(fake.context, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private RobustConnectionComponent activate(BundleContext context, String name, Object... config) {
        RobustConnectionComponent c = RobustConfigs.activate(context, name, config);
        active.add(c);
        return c;
    }

    private void deactivate(RobustConnectionComponent c) {
        active.remove(c);
        c.deactivate();
    }


    /** Waits (on file system events, at most 10 s) until {@code dir} holds no segment file. */
    private static void awaitNoSegments(Path dir) throws IOException, InterruptedException {
        try (WatchService watcher = dir.getFileSystem().newWatchService()) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_DELETE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (files(dir).stream().anyMatch(f -> f.startsWith(QueueLog.SEGMENT_PREFIX))) {
                long left = deadline - System.nanoTime();
                WatchKey key = left > 0 ? watcher.poll(left, TimeUnit.NANOSECONDS) : null;
                assertNotNull(key, "segments still in " + dir + " after 10 s: " + files(dir));
                key.pollEvents();
                key.reset();
            }
        }
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void theQueueLivesInTheDataAreaAndSurvivesARestartOfTheComponent() throws Exception {
        int port = FreePort.pick(); // the broker is down at first
        Path data = tmp.resolve("bundle-data");
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent first = activate(withDataArea(fake, data), "plant/1", "server",
                MosquittoBroker.HOST, "port", port, "queue.persistent", true);
        Path dir = data.resolve("offline-queue").resolve("plant_1");
        assertEquals(dir, first.client().offlineQueueDirectory());
        RobustConnection conn = (RobustConnection) fake.next().service;
        for (int i = 0; i < 20; i++) {
            conn.publish("plant/t", ("m" + i).getBytes(StandardCharsets.UTF_8), 1, false);
        }
        assertEquals(20, conn.queued());
        deactivate(first);
        assertTrue(log.text().contains("stopped with 20 message(s) in its offline queue; they stay in " + dir),
                log.text());

        try (MosquittoBroker b = MosquittoBroker.builder().port(port).start();
                MqttClient watcher = new MqttClient("durable-watcher", b.host(), b.port())) {
            // A separate subscriber, there before the component connects: the queue is sent
            // right after the connect, so a subscription of the component's own could come late.
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            watcher.setCallback((topic, payload, retain, dup, qos) ->
                    received.add(new String(payload, StandardCharsets.UTF_8)));
            watcher.connect(true);
            watcher.subscribe("plant/#", 1);
            Thread loop = new Thread(() -> {
                try {
                    watcher.loop();
                } catch (IOException closed) {
                    // the watcher is closed at the end of the try block
                }
            }, "durable-watcher-loop");
            loop.setDaemon(true);
            loop.start();
            FakeBundleContext again = new FakeBundleContext();
            RobustConnectionComponent second = activate(withDataArea(again, data), "plant/1", "server", b.host(),
                    "port", b.port(), "queue.persistent", true);
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String m = received.poll(10, TimeUnit.SECONDS);
                assertNotNull(m, "message " + i + " of 20 within 10 s; got " + got);
                got.add(m);
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                expected.add("m" + i);
            }
            assertEquals(expected, got);
            awaitNoSegments(dir); // all acknowledged: the segment is deleted
            deactivate(second);
        }
        assertEquals(List.of(QueueLog.LOCK_FILE), files(dir));
        RobustConnection third = activate(withDataArea(new FakeBundleContext(), data), "plant/1", "server",
                MosquittoBroker.HOST, "port", port, "queue.persistent", true).connection();
        assertEquals(0, third.queued(), files(dir).toString());
    }

    @Test
    void aConfiguredDirectoryIsUsedAndTheDataAreaIsNot() throws Exception {
        Path dir = tmp.resolve("queues").resolve("a");
        RobustConnectionComponent c = activate(withDataArea(new FakeBundleContext(), null), "a", "port", 1,
                "queue.persistent", true, "queue.directory", " " + dir + " ");
        assertEquals(dir, c.client().offlineQueueDirectory());
        assertEquals(dir, c.robustSettings().queueDirectory());
        assertTrue(Files.isDirectory(dir));
        assertTrue(c.robustSettings().toString().contains("on disk in " + dir), c.robustSettings().toString());
    }

    @Test
    void withoutQueuePersistentNothingTouchesTheDisk() {
        FakeBundleContext fake = new FakeBundleContext(); // its getDataFile throws
        RobustConnectionComponent c = activate(fake.context, "mem", "port", 1, "queue.directory", "relative/ignored");
        assertNull(c.client().offlineQueueDirectory());
        assertFalse(c.robustSettings().queuePersistent());
    }

    @Test
    void aDirectoryThatIsAFileIsOutOfServiceNamingPropertyAndValue() throws Exception {
        Path file = tmp.resolve("not-a-dir");
        Files.write(file, new byte[] {1});
        FakeBundleContext fake = new FakeBundleContext();
        String e = outOfService(fake, activate(fake.context,
                "file", "port", 1, "queue.persistent", true, "queue.directory", file.toString()));
        assertTrue(e.startsWith("invalid configuration of io.umqtt.robust~file: queue.directory=" + file
                + " cannot keep the offline queue: offline queue directory " + file + " "), e);
        assertNoThreadAndNoService(fake, "file");
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsOutOfServiceNamingPropertyAndValue() throws Exception {
        Path file = tmp.resolve("plain");
        Files.write(file, new byte[] {1});
        Path below = file.resolve("queue");
        FakeBundleContext fake = new FakeBundleContext();
        String e = outOfService(fake, activate(fake.context,
                "below", "port", 1, "queue.persistent", true, "queue.directory", below.toString()));
        assertTrue(e.startsWith("invalid configuration of io.umqtt.robust~below: queue.directory=" + below
                + " cannot keep the offline queue: offline queue directory " + below + " cannot be created"),
                e);
        assertNoThreadAndNoService(fake, "below");
    }

    @Test
    void aDirectoryInUseByAnotherConnectionIsOutOfServiceNamingIt() throws Exception {
        Path dir = tmp.resolve("shared");
        activate(new FakeBundleContext().context, "one", "port", 1, "queue.persistent", true, "queue.directory",
                dir.toString());
        FakeBundleContext fake = new FakeBundleContext();
        String e = outOfService(fake, activate(fake.context,
                "two", "port", 1, "queue.persistent", true, "queue.directory", dir.toString()));
        assertEquals("invalid configuration of io.umqtt.robust~two: queue.directory=" + dir + " cannot keep the "
                + "offline queue: offline queue directory " + dir + " is in use by another client (lock "
                + dir.resolve("queue.lock") + " is held); give each client its own directory", e);
        assertNoThreadAndNoService(fake, "two");
    }

    @Test
    void noStorageAreaAndNoDirectoryIsOutOfServiceNamingQueuePersistent() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        String e = outOfService(fake, activate(withDataArea(fake, null), "nodata", "port", 1, "queue.persistent", true));
        assertEquals("invalid configuration of io.umqtt.robust~nodata: queue.persistent=true needs queue.directory: "
                + "the framework gives this bundle no persistent storage area", e);
        assertNoThreadAndNoService(fake, "nodata");
    }

    @Test
    void namesBecomeOneSafeFileName() {
        assertEquals("plant_1", RobustConnectionComponent.safeFileName("plant/1"));
        assertEquals("io.umqtt.robust_abc", RobustConnectionComponent.safeFileName("io.umqtt.robust~abc"));
        assertEquals("___", RobustConnectionComponent.safeFileName(".."));
        assertEquals("__", RobustConnectionComponent.safeFileName("."));
        assertEquals("_", RobustConnectionComponent.safeFileName(""));
    }

    /**
     * Asserts that {@code c} is out of service (an invalid configuration): no thread, its service
     * registered with state CLOSED and the error; returns the error.
     */
    private static String outOfService(FakeBundleContext fake, RobustConnectionComponent c) throws InterruptedException {
        assertNull(c.thread(), "no connection thread for an invalid configuration");
        FakeBundleContext.Event ev = fake.next();
        assertEquals(Kind.REGISTERED, ev.kind);
        assertEquals("CLOSED", ev.get(MqttConstants.STATE));
        assertEquals(false, ev.get(MqttConstants.CONNECTED));
        String error = (String) ev.get(MqttConstants.ERROR);
        assertNotNull(error, ev.toString());
        assertEquals(error, c.error());
        return error;
    }

    private void assertNoThreadAndNoService(FakeBundleContext fake, String name) {
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals(RobustConnectionComponent.THREAD_PREFIX + name) && t.isAlive()));
        for (FakeBundleContext.Event ev = fake.poll(); ev != null; ev = fake.poll()) {
            assertTrue(ev.kind != Kind.REGISTERED, "registered a second time: " + ev);
        }
        assertFalse(log.text().contains(MqttConstants.STATE + "=CONNECTED"));
    }
}
