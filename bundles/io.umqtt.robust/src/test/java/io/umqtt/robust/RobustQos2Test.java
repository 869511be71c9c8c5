package io.umqtt.robust;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.simple.PublishToken;
import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;

/**
 * QoS 2 flows of the robust client across reconnects, byte by byte: resumed at the right step
 * in a kept session (PUBLISH with DUP before the PUBREC was read, PUBREL after), started again as
 * new messages without one; and the durable queue's step records, read back as after a crash.
 */
class RobustQos2Test {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private RobustMqttClient client;
    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        broker.close();
        pool.shutdownNow();
    }

    private static int packetId(byte[] publish) {
        int topicLength = ((publish[2] & 0xFF) << 8) | (publish[3] & 0xFF);
        int at = 4 + topicLength;
        return ((publish[at] & 0xFF) << 8) | (publish[at + 1] & 0xFF);
    }

    private static byte[] ack(int header, int id) {
        return bytes(header, 0x02, id >> 8, id & 0xFF);
    }

    /** A runForever client without clean session; returns once its first connection is up. */
    private Future<?> start(Path queueDir) throws Exception {
        client = new RobustMqttClient("robust-q2", "127.0.0.1", broker.port(), null, null, 0, null);
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        client.setCleanSession(false);
        if (queueDir != null) {
            client.setOfflineQueueDirectory(queueDir);
        }
        return pool.submit(() -> {
            client.runForever();
            return null;
        });
    }

    private Peer accept(int sessionPresent) throws IOException {
        Peer p = broker.accept();
        assertEquals(0x10, p.readPacket()[0] & 0xFF);
        p.write(ScriptedBroker.connack(sessionPresent, 0));
        return p;
    }

    @ParameterizedTest(name = "dropped after {0}, session present {1}")
    @CsvSource({"PUBLISH, true", "PUBLISH, false", "PUBREC, true", "PUBREC, false"})
    void anUnfinishedFlowResumesAtTheRightStepOrStartsAgain(String droppedAfter, boolean sessionPresent)
            throws Exception {
        Future<?> running = start(null);
        Peer first = accept(0);
        PublishToken token = client.publishAsync("t", "m", false, 2);
        byte[] original = first.readPacket();
        assertEquals(0x34, original[0] & 0xFF, "QoS 2, no DUP");
        int id = packetId(original);
        if (droppedAfter.equals("PUBREC")) {
            first.write(ack(0x50, id));
            assertArrayEquals(ack(0x62, id), first.readPacket());
        }
        first.close(); // before the PUBCOMP

        Peer second = accept(sessionPresent ? 1 : 0);
        byte[] next = second.readPacket();
        int nextId;
        if (sessionPresent && droppedAfter.equals("PUBREC")) {
            assertArrayEquals(ack(0x62, id), next, "the broker has the message: PUBREL again, never the PUBLISH");
            nextId = id;
        } else if (sessionPresent) {
            assertEquals(0x3C, next[0] & 0xFF, "DUP | QoS 2");
            assertEquals(id, packetId(next), "same packet id in the kept session");
            nextId = id;
            second.write(ack(0x50, id));
            assertArrayEquals(ack(0x62, id), second.readPacket());
        } else {
            assertEquals(0x34, next[0] & 0xFF, "a new message in a new session: QoS 2, no DUP");
            nextId = packetId(next);
            second.write(ack(0x50, nextId));
            assertArrayEquals(ack(0x62, nextId), second.readPacket());
        }
        assertFalse(token.isDone(), "complete only on PUBCOMP");
        second.write(ack(0x70, nextId));
        token.await();
        assertNull(token.failure());
        // nothing is sent again: the next packet is the probe's
        Future<?> probe = pool.submit(() -> {
            client.publish("t", "probe", false, 1);
            return null;
        });
        byte[] p = second.readPacket();
        assertEquals(0x32, p[0] & 0xFF, "the probe, not another resend");
        second.write(ack(0x40, packetId(p)));
        probe.get(10, TimeUnit.SECONDS);
        client.close();
        running.get(10, TimeUnit.SECONDS);
        assertEquals(0, client.queued());
    }

    /**
     * kill -9 after the PUBREC was read: the queue directory is copied while the client still runs
     * (what the operating system holds, nothing forced or closed), and a new client on the copy
     * resumes the flow at PUBREL in the kept session, so the broker never gets the PUBLISH twice.
     */
    @ParameterizedTest(name = "crash after {0}")
    @CsvSource({"PUBLISH", "PUBREC"})
    void aCrashedClientResumesItsQueuedQos2FlowFromTheQueueFiles(String crashAfter) throws Exception {
        Path live = dir.resolve("live");
        Future<?> running = start(live);
        Peer first = broker.accept();
        first.readPacket(); // CONNECT; not answered yet: the client is not connected, so the message is queued
        PublishToken queued = client.publishAsync("t", "m", false, 2);
        assertEquals(1, client.queued());
        first.write(ScriptedBroker.connack(0, 0));
        byte[] publish = first.readPacket(); // the STEP record with its packet id was written before it
        assertEquals(0x34, publish[0] & 0xFF);
        int id = packetId(publish);
        if (crashAfter.equals("PUBREC")) {
            first.write(ack(0x50, id));
            assertArrayEquals(ack(0x62, id), first.readPacket()); // the PUBREC's STEP record was written before it
        }
        Path crashed = dir.resolve("crashed");
        Files.createDirectories(crashed);
        try (Stream<Path> files = Files.list(live)) { // kill -9 now: what the OS has, nothing forced or closed
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, crashed.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        assertFalse(queued.isDone());
        client.close();
        first.close();
        running.get(10, TimeUnit.SECONDS);

        Future<?> again = start(crashed); // a new process on the files the crash left
        Peer second = accept(1);
        byte[] resumed = second.readPacket();
        if (crashAfter.equals("PUBREC")) {
            assertArrayEquals(ack(0x62, id), resumed, "resumed at PUBREL: the broker never gets the PUBLISH twice");
        } else {
            assertEquals(0x3C, resumed[0] & 0xFF, "PUBLISH again with DUP under the recorded packet id");
            assertEquals(id, packetId(resumed));
            second.write(ack(0x50, id));
            assertArrayEquals(ack(0x62, id), second.readPacket());
        }
        second.write(ack(0x70, id));
        Future<?> probe = pool.submit(() -> {
            client.publish("t", "probe", false, 1);
            return null;
        });
        byte[] p = second.readPacket();
        assertEquals(0x32, p[0] & 0xFF, "the probe: the QoS 2 message went out once");
        second.write(ack(0x40, packetId(p)));
        probe.get(10, TimeUnit.SECONDS);
        assertEquals(0, client.queued()); // taken from the queue; its DONE record may still be on its way
        client.close(); // returns once the queue's thread wrote the DONE record of the flow it saw complete
        again.get(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.list(crashed)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".log")),
                    "the completed flow left no segment behind");
        }
    }

    /**
     * close() while the queue's thread still waits for the second of two pipelined QoS 2 flows,
     * the first one complete (PUBCOMP read): close returns only after the first one's DONE record
     * was written, so that a new run on the same files (no session: everything starts again as
     * new) sends the second message only and never delivers the first one twice.
     */
    @Test
    void aFlowCompletedBeforeCloseIsNotSentAgainAfterARestart() throws Exception {
        Path live = dir.resolve("live");
        Future<?> running = start(live);
        Peer first = broker.accept();
        first.readPacket(); // CONNECT; not answered yet: both messages are queued and go out in one window
        client.publishAsync("t", "one", false, 2);
        client.publishAsync("t", "two", false, 2);
        first.write(ScriptedBroker.connack(0, 0));
        byte[] one = first.readPacket();
        byte[] two = first.readPacket();
        assertEquals("one", payload(one));
        assertEquals("two", payload(two));
        first.write(ack(0x50, packetId(one)));
        assertArrayEquals(ack(0x62, packetId(one)), first.readPacket());
        first.write(ack(0x70, packetId(one))); // PUBCOMP: the first flow is complete
        first.write(ack(0x50, packetId(two)));
        // read in order: the PUBREL of "two" was written after the PUBCOMP of "one" was read
        assertArrayEquals(ack(0x62, packetId(two)), first.readPacket());
        client.close();
        first.close();
        running.get(10, TimeUnit.SECONDS);

        Future<?> again = start(live); // a new run on the same files, in a new session
        Peer second = accept(0);
        byte[] resent = second.readPacket();
        assertEquals(0x34, resent[0] & 0xFF, "a new message in a new session: QoS 2, no DUP");
        assertEquals("two", payload(resent), "only the unfinished flow is sent again, never the completed one");
        second.write(ack(0x50, packetId(resent)));
        assertArrayEquals(ack(0x62, packetId(resent)), second.readPacket());
        second.write(ack(0x70, packetId(resent)));
        Future<?> probe = pool.submit(() -> {
            client.publish("t", "probe", false, 1);
            return null;
        });
        byte[] p = second.readPacket();
        assertEquals("probe", payload(p), "nothing else was queued");
        second.write(ack(0x40, packetId(p)));
        probe.get(10, TimeUnit.SECONDS);
        client.close();
        again.get(10, TimeUnit.SECONDS);
    }

    private static String payload(byte[] publish) {
        int topicLength = ((publish[2] & 0xFF) << 8) | (publish[3] & 0xFF);
        int at = 4 + topicLength + ((publish[0] & 0x06) != 0 ? 2 : 0);
        return new String(publish, at, publish.length - at, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The PUBREC's step cannot be written (here the hook fails once, as a full disk would): no
     * PUBREL, the connection is failed. The resume at PUBREL on the next connection first writes the
     * step, so that a crash after that PUBREL resumes at PUBREL again and never publishes twice.
     */
    @Test
    void aPubrecWhoseStepWasNotWrittenIsRecordedBeforeTheResumedPubrel() throws Exception {
        Path live = dir.resolve("live");
        java.util.concurrent.atomic.AtomicBoolean failOnce = new java.util.concurrent.atomic.AtomicBoolean(true);
        client = new RobustMqttClient("robust-q2", "127.0.0.1", broker.port(), null, null, 0, null) {
            @Override
            protected void beforePubrel(InFlight flow) throws IOException {
                if (failOnce.getAndSet(false)) {
                    throw new IOException("disk full (test)");
                }
                super.beforePubrel(flow);
            }
        };
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        client.setCleanSession(false);
        client.setOfflineQueueDirectory(live);
        Future<?> running = pool.submit(() -> {
            client.runForever();
            return null;
        });
        Peer first = broker.accept();
        first.readPacket();
        client.publishAsync("t", "m", false, 2); // queued: on disk
        first.write(ScriptedBroker.connack(0, 0));
        int id = packetId(first.readPacket());
        first.write(ack(0x50, id)); // PUBREC: its step cannot be written, the connection is failed, no PUBREL
        assertTrue(first.awaitClosed(10_000));

        Peer second = accept(1);
        assertArrayEquals(ack(0x62, id), second.readPacket(), "resumed at PUBREL");
        Path crashed = dir.resolve("crashed"); // kill -9 now, before the PUBCOMP
        Files.createDirectories(crashed);
        try (Stream<Path> files = Files.list(live)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, crashed.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        client.close();
        second.close();
        running.get(10, TimeUnit.SECONDS);

        Future<?> again = start(crashed);
        Peer third = accept(1);
        assertArrayEquals(ack(0x62, id), third.readPacket(), "PUBREL again, never the PUBLISH: it was released");
        third.write(ack(0x70, id));
        client.close();
        again.get(10, TimeUnit.SECONDS);
    }
}
