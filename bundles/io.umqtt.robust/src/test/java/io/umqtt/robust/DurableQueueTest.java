package io.umqtt.robust;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;
import io.umqtt.simple.testing.FreePort;

/**
 * The durable offline queue end to end against mosquitto: messages queued while the broker is down
 * survive the client being closed (a restart) and are delivered, in order, by a new client on the
 * same directory; afterwards the directory holds nothing pending.
 */
@Timeout(60)
class DurableQueueTest {
    private static final int N = 500;
    private static final String TOPIC = "durable/queue";

    @TempDir
    Path dir;


    private static RobustMqttClient client(String id, int port, Path dir) throws IOException {
        RobustMqttClient c = new RobustMqttClient(id, MosquittoBroker.HOST, port);
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        c.setOfflineQueueDirectory(dir);
        return c;
    }

    @Test
    void queuedMessagesSurviveARestartAndAreSentInOrderByTheNextClient() throws Exception {
        int port = FreePort.pick(); // no broker there yet

        // 1. the broker is down: a client queues N messages at QoS 1, then is closed (the restart)
        RobustMqttClient first = client("durable-1", port, dir);
        Thread runner = first.start("durable-1"); // thread-driven: publishes never wait for the network
        for (int i = 0; i < N; i++) {
            first.publish(TOPIC.getBytes(UTF_8), ("m" + i).getBytes(UTF_8), false, 1);
        }
        assertEquals(N, first.queued());
        first.close();
        runner.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(false, runner.isAlive(), "the client thread ended on close");
        assertEquals(N, first.queued(), "close keeps the queue (in memory and on disk)");

        // 2. the broker comes up; a new client on the same directory sends what the first one queued
        try (MosquittoBroker broker = MosquittoBroker.builder().port(port).start()) {
            MqttClient sub = new MqttClient("durable-sub", broker.host(), broker.port());
            try (ReceivingClient receiver = ReceivingClient.connect(sub, true)) {
                sub.subscribe(TOPIC, 1);

                RobustMqttClient second = client("durable-2", port, dir);
                assertEquals(N, second.queued(), "loaded before the first connect");
                assertEquals(N, second.queuedTotal(), "loaded messages count as queued");
                second.connect(true); // caller-driven: returns once the queue is sent and acknowledged
                assertEquals(0, second.queued());
                List<String> got = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    ReceivingClient.Message m = receiver.next();
                    got.add(m.payloadString());
                }
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < N; i++) {
                    expected.add("m" + i);
                }
                assertEquals(expected, got, "all of them, in order");
                assertNull(receiver.poll(200, TimeUnit.MILLISECONDS), "and nothing more");
                second.disconnect();
            }
        }

        // 3. nothing is pending any more: no segment file is left, and a third client loads nothing
        assertEquals(List.of("queue.lock"), files(dir));
        RobustMqttClient third = client("durable-3", port, dir);
        assertEquals(0, third.queued());
        third.close();
    }

    @Test
    void aSecondClientOnTheSameDirectoryIsRefusedUntilTheFirstCloses() throws IOException {
        RobustMqttClient a = client("durable-a", 1, dir);
        RobustMqttClient b = new RobustMqttClient("durable-b", MosquittoBroker.HOST, 1);
        IOException e = assertThrows(IOException.class, () -> b.setOfflineQueueDirectory(dir));
        assertTrue(e.getMessage().contains("offline queue directory " + dir.toAbsolutePath().normalize()
                + " is in use by another client"), e.getMessage());
        assertNull(b.offlineQueueDirectory(), "b stays memory-only");
        a.close();
        b.setOfflineQueueDirectory(dir);
        assertEquals(dir.toAbsolutePath().normalize(), b.offlineQueueDirectory());
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> b.setOfflineQueueDirectory(dir.resolve("other")));
        assertTrue(twice.getMessage().contains("already kept in " + dir.toAbsolutePath().normalize()),
                twice.getMessage());
        b.close();
    }

    @Test
    void messagesQueuedInMemoryBeforeTheDirectoryIsSetGoToDiskAfterTheLoadedOnes() throws IOException {
        RobustMqttClient a = client("durable-order-a", 1, dir);
        a.start("durable-order-a");
        a.publish("t", "old", false, 1);
        a.close();
        RobustMqttClient b = new RobustMqttClient("durable-order-b", MosquittoBroker.HOST, 1);
        b.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        b.start("durable-order-b");
        b.publish("t", "new", false, 1); // in memory: no directory yet
        b.close();
        b.setOfflineQueueDirectory(dir);
        assertEquals(2, b.queued());
        assertEquals(2, b.queuedTotal(), "the loaded one, and the one queued before");
        RobustMqttClient c = new RobustMqttClient("durable-order-c", MosquittoBroker.HOST, 1);
        assertThrows(IOException.class, () -> c.setOfflineQueueDirectory(dir), "b holds it until closed");
        b.close();
        c.setOfflineQueueDirectory(dir);
        assertEquals(2, c.queued(), "both are on disk now");
        c.close();
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
