package io.umqtt.robust;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

import io.umqtt.api.MqttProperties;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.internal.LogCapture;
import io.umqtt.simple.testing.Mqtt5Packets;
import io.umqtt.simple.testing.Waits;

/**
 * The robust client's MQTT 5 decisions on the wire, byte by byte: the Clean Start flag of
 * reconnects from the session expiry interval; a server DISCONNECT logged with its reason and
 * followed to the server its Server Reference names; a queued QoS 2 message with properties
 * resumed from the durable queue's files after a crash, properties and all.
 */
class RobustMqtt5ScriptedTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private RobustMqttClient client;
    private LogCapture log;
    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
        log = new LogCapture();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        broker.close();
        pool.shutdownNow();
        log.close();
    }

    private static byte[] connack5(int sessionPresent) {
        return bytes(0x20, 0x03, sessionPresent, 0x00, 0x00);
    }

    /** The CONNECT flags byte of an MQTT 5 CONNECT (after the protocol name and level). */
    private static int connectFlags(byte[] connect) {
        int at = 1;
        while ((connect[at] & 0x80) != 0) {
            at++;
        }
        at++; // past the remaining length
        assertEquals(5, connect[at + 6], "protocol level 5");
        return connect[at + 7] & 0xFF;
    }

    private RobustMqttClient v5(String id, int port, long sessionExpiry, boolean clean, Path queue) throws IOException {
        RobustMqttClient c = new RobustMqttClient(id, "127.0.0.1", port, null, null, 0, null,
                queue == null ? OfflineQueueSettings.DEFAULT : OfflineQueueSettings.DEFAULT.withDirectory(queue));
        c.setProtocolVersion(5);
        c.setSessionExpiryInterval(sessionExpiry);
        c.setCleanSession(clean);
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        return c;
    }

    private Future<?> run(RobustMqttClient c) {
        return pool.submit(() -> {
            c.runForever();
            return null;
        });
    }

    /**
     * A publishAsync that has to queue (here behind the broker's Receive Maximum of 1) returns at
     * once: the queue is sent by another thread. Before, the caller sent the queue itself and
     * waited, here for the first message's PUBACK, up to the ack timeout (the flake of
     * RobustQos2Test, where a publishAsync queued while connecting waited for the PUBREC the test
     * thread was to write).
     */
    @Test
    void aPublishAsyncThatQueuesNeverWaitsForAnAckOnTheCallersThread() throws Exception {
        client = v5("r5-window", broker.port(), 0, true, null);
        Future<?> running = run(client);
        Peer p = broker.accept();
        assertEquals(0x10, p.readPacket()[0] & 0xFF);
        p.write(Mqtt5Packets.connack(0, 0, Mqtt5Packets.props().twoByte(0x21, 1))); // Receive Maximum 1
        Waits.until(client::isConnected, 10, TimeUnit.SECONDS, "connected");
        PublishToken first = client.publishAsync("w/1", "one", false, 1);
        byte[] one = p.readPacket();
        assertEquals(0x32, one[0] & 0xFF);
        Future<PublishToken> second = pool.submit(() -> client.publishAsync("w/2", "two", false, 1));
        PublishToken token = second.get(10, TimeUnit.SECONDS); // the ack timeout is 30 s
        assertFalse(token.isDone(), "queued behind the first, which is not acknowledged yet");
        int id = ((one[7] & 0xFF) << 8) | (one[8] & 0xFF); // after the fixed header (2), the topic's length (2) and "w/1"
        p.write(bytes(0x40, 0x02, id >> 8, id & 0xFF));
        first.await();
        byte[] two = p.readPacket();
        assertEquals(0x32, two[0] & 0xFF, "the second goes out once the window has room");
        int id2 = ((two[7] & 0xFF) << 8) | (two[8] & 0xFF);
        p.write(bytes(0x40, 0x02, id2 >> 8, id2 & 0xFF));
        token.await();
        assertTrue(token.isDone());
        client.close();
        running.get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "session expiry {0}: reconnect with Clean Start {1}")
    @CsvSource({"300, false", "0, true"})
    void aReconnectResumesTheSessionOnlyWhileItShouldExist(long expiry, boolean cleanOnReconnect) throws Exception {
        client = v5("r5-clean", broker.port(), expiry, true, null);
        Future<?> running = run(client);
        Peer first = broker.accept();
        assertTrue((connectFlags(first.readPacket()) & 0x02) != 0, "the first connect: Clean Start as configured");
        first.write(connack5(0));
        first.close(); // lost

        Peer second = broker.accept();
        assertEquals(cleanOnReconnect, (connectFlags(second.readPacket()) & 0x02) != 0);
        second.write(connack5(cleanOnReconnect ? 0 : 1));
        client.close();
        running.get(10, TimeUnit.SECONDS);
        assertTrue(client.connectAttempts() >= 2);
    }

    private static byte[] disconnect(int reason, String reference, String reasonString) {
        byte[] ref = reference.getBytes(StandardCharsets.UTF_8);
        byte[] why = reasonString.getBytes(StandardCharsets.UTF_8);
        int props = (ref.length == 0 ? 0 : 3 + ref.length) + 3 + why.length;
        byte[] out = new byte[2 + 2 + props];
        int i = 0;
        out[i++] = (byte) 0xE0;
        out[i++] = (byte) (2 + props);
        out[i++] = (byte) reason;
        out[i++] = (byte) props;
        if (ref.length > 0) {
            out[i++] = 0x1C;
            out[i++] = 0;
            out[i++] = (byte) ref.length;
            System.arraycopy(ref, 0, out, i, ref.length);
            i += ref.length;
        }
        out[i++] = 0x1F;
        out[i++] = 0;
        out[i++] = (byte) why.length;
        System.arraycopy(why, 0, out, i, why.length);
        return out;
    }

    @Test
    void useAnotherServerSendsTheNextAttemptToTheReferencedServerAndIsLoggedAsSuch() throws Exception {
        try (ScriptedBroker other = new ScriptedBroker()) {
            client = v5("r5-moved", broker.port(), 0, true, null);
            Future<?> running = run(client);
            Peer first = broker.accept();
            first.readPacket();
            first.write(connack5(0));
            first.write(disconnect(0x9C, "127.0.0.1:" + other.port() + " 10.0.0.1:1883", "maintenance"));

            Peer there = other.accept(); // the next attempt goes to the reference
            assertEquals(0x10, there.readPacket()[0] & 0xFF);
            there.write(connack5(0));
            String text = log.text();
            assertTrue(text.contains("MQTT client r5-moved to 127.0.0.1:" + broker.port() + ": disconnected by the server "
                    + "with reason code 0x9C (use another server), reason string 'maintenance'"), text);
            assertTrue(text.contains("next attempt to 127.0.0.1:" + other.port()), text);
            assertFalse(text.contains("Socket closed"), "reported as the server's DISCONNECT, not as a lost socket");
            client.close();
            running.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void serverShuttingDownIsLoggedWithItsReasonAndReconnected() throws Exception {
        client = v5("r5-shutdown", broker.port(), 0, true, null);
        Future<?> running = run(client);
        Peer first = broker.accept();
        first.readPacket();
        first.write(connack5(0));
        first.write(disconnect(0x8B, "", "going down"));
        Peer again = broker.accept();
        assertEquals(0x10, again.readPacket()[0] & 0xFF);
        again.write(connack5(0));
        assertTrue(log.text().contains("disconnected by the server with reason code 0x8B (server shutting down), "
                + "reason string 'going down'"), log.text());
        client.close();
        running.get(10, TimeUnit.SECONDS);
    }

    /** The packet id of an MQTT 5 PUBLISH at QoS 1 or 2. */
    private static int packetId(byte[] publish) {
        int at = 1;
        while ((publish[at] & 0x80) != 0) {
            at++;
        }
        at++;
        int topicLength = ((publish[at] & 0xFF) << 8) | (publish[at + 1] & 0xFF);
        at += 2 + topicLength;
        return ((publish[at] & 0xFF) << 8) | (publish[at + 1] & 0xFF);
    }

    private static boolean contains(byte[] packet, String s) {
        return new String(packet, StandardCharsets.ISO_8859_1).contains(s);
    }

    /**
     * kill -9 after the PUBLISH of a queued QoS 2 message with properties was written: a new client
     * on the files the crash left resumes it with DUP under the same packet id, with its properties.
     */
    @Test
    void aCrashedClientResumesItsQueuedQos2MessageWithItsProperties() throws Exception {
        Path live = dir.resolve("live");
        client = v5("r5-crash", broker.port(), 300, false, live);
        Future<?> running = run(client);
        Peer first = broker.accept();
        first.readPacket(); // not answered yet: the message is queued
        MqttProperties props = MqttProperties.builder().contentType("text/x-crash").userProperty("k", "v").build();
        PublishToken queued = client.publishAsync("t/crash", "m".getBytes(StandardCharsets.UTF_8), false, 2, props);
        assertEquals(1, client.queued());
        first.write(connack5(0));
        byte[] publish = first.readPacket();
        assertEquals(0x34, publish[0] & 0xFF);
        assertTrue(contains(publish, "text/x-crash"), "sent with its properties");
        int id = packetId(publish);
        Path crashed = dir.resolve("crashed");
        Files.createDirectories(crashed);
        try (Stream<Path> files = Files.list(live)) { // kill -9 now
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, crashed.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        assertFalse(queued.isDone());
        client.close();
        first.close();
        running.get(10, TimeUnit.SECONDS);

        client = v5("r5-crash", broker.port(), 300, false, crashed);
        assertEquals(1, client.queued(), "loaded from the files");
        Future<?> again = run(client);
        Peer second = broker.accept();
        assertEquals(0, connectFlags(second.readPacket()) & 0x02, "a first connect with the configured Clean Start 0");
        second.write(connack5(1));
        byte[] resumed = second.readPacket();
        assertEquals(0x3C, resumed[0] & 0xFF, "DUP | QoS 2");
        assertEquals(id, packetId(resumed), "under the recorded packet id");
        assertTrue(contains(resumed, "text/x-crash") && contains(resumed, "k") && contains(resumed, "v"),
                "its properties came back from the queue files");
        second.write(bytes(0x50, 0x02, id >> 8, id & 0xFF));
        assertArrayEquals(bytes(0x62, 0x02, id >> 8, id & 0xFF), second.readPacket());
        second.write(bytes(0x70, 0x02, id >> 8, id & 0xFF));
        Future<?> probe = pool.submit(() -> { // read after the PUBCOMP: the flow has ended then
            client.publish("t/probe", "p".getBytes(StandardCharsets.UTF_8), false, 1);
            return null;
        });
        byte[] p = second.readPacket();
        assertEquals(0x32, p[0] & 0xFF, "the probe: the QoS 2 message went out once");
        int probeId = packetId(p);
        second.write(bytes(0x40, 0x02, probeId >> 8, probeId & 0xFF));
        probe.get(10, TimeUnit.SECONDS);
        client.close();
        again.get(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.list(crashed)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".log")), "the flow ended: no segment");
        }
    }
}
