package io.umqtt.robust;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.simple.PublishToken;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.PacketFaultProxy;
import io.umqtt.simple.testing.PacketFaultProxy.Direction;

/**
 * mosquitto restarted (SIGTERM, so that it saves its state; its periodic autosave would lose a
 * step made just before a SIGKILL, which no client can make up for) in the middle of a QoS 2
 * flow of the robust client: the connection is first dropped by a {@link PacketFaultProxy} at a
 * step (PUBREC lost, PUBREL lost, PUBCOMP lost), then the broker restarts, and the publisher
 * resumes in the kept session. The subscriber (its session kept too) gets the message once.
 */
@Timeout(value = 60, unit = SECONDS)
class RobustBrokerRestartQos2Test {

    @ParameterizedTest(name = "drop at {0} {1}, then a broker restart")
    @CsvSource({"FROM_BROKER, 5", "TO_BROKER, 6", "FROM_BROKER, 7"})
    void aQos2PublishArrivesOnceAcrossABrokerRestartInTheMiddleOfItsFlow(Direction direction, int type)
            throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        Path store = Files.createTempDirectory("umqtt-q2-restart-store");
        Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
        CountDownLatch end = new CountDownLatch(1);
        try (MosquittoBroker broker = MosquittoBroker.builder().config("persistence true")
                .config("persistence_location " + store.toAbsolutePath() + "/").config("autosave_on_changes true")
                .config("autosave_interval 1").start();
                PacketFaultProxy proxy = new PacketFaultProxy(broker.host(), broker.port())) {
            RobustMqttClient subscriber = new RobustMqttClient("q2r-sub-" + type, broker.host(), broker.port(), null,
                    null, 5, null);
            RobustMqttClient publisher = new RobustMqttClient("q2r-pub-" + type, "127.0.0.1", proxy.port(), null,
                    null, 5, null);
            CountDownLatch subUp = new CountDownLatch(1);
            CountDownLatch pubUp = new CountDownLatch(1);
            for (RobustMqttClient c : new RobustMqttClient[] {subscriber, publisher}) {
                c.setCleanSession(false);
                c.setReconnectPolicy(new ReconnectPolicy(50, 400, 0, 0));
                c.setConnectTimeout(5_000);
                CountDownLatch up = c == subscriber ? subUp : pubUp;
                c.setListener(new RobustListener() {
                    @Override
                    public void connected(String server, int port, boolean sessionPresent) {
                        up.countDown();
                    }
                });
            }
            subscriber.setCallback((topic, msg, retain, dup, qos) -> {
                String m = new String(msg, StandardCharsets.UTF_8);
                got.computeIfAbsent(m, k -> new AtomicInteger()).incrementAndGet();
                if (m.equals("end")) {
                    end.countDown();
                }
            });
            Future<?> sub = pool.submit(() -> {
                subscriber.runForever();
                return null;
            });
            Future<?> pub = pool.submit(() -> {
                publisher.runForever();
                return null;
            });
            try {
                assertTrue(subUp.await(20, SECONDS));
                assertEquals(2, subscriber.subscribe("q2r/t", 2));
                assertTrue(pubUp.await(20, SECONDS));
                proxy.dropAt(direction, type, type != 6);
                PublishToken token = publisher.publishAsync("q2r/t", "m1", false, 2);
                assertTrue(proxy.awaitDrop(20, SECONDS), "the connection was dropped");
                broker.restart(); // SIGTERM: mosquitto saves its state on the way out
                awaitDone(token);
                publisher.publishAsync("q2r/t", "end", false, 2);
                assertTrue(end.await(40, SECONDS), "the marker arrived");
                assertEquals(1, got.get("m1").get(), "m1 exactly once across the restart, got " + got);
            } finally {
                publisher.close();
                subscriber.close();
                pub.get(10, SECONDS);
                sub.get(10, SECONDS);
                pool.shutdownNow();
            }
        }
    }

    /** A robust token's await() returns TIMEOUT after the ack timeout while the flow goes on: waits again. */
    private static void awaitDone(PublishToken token) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + SECONDS.toNanos(40);
        while (!token.isDone() && System.nanoTime() < deadline) {
            try {
                token.await();
            } catch (io.umqtt.api.MqttException e) {
                // TIMEOUT: the message is still in flight or queued; wait again
            }
        }
        assertTrue(token.isDone(), "the QoS 2 flow completed after the restart: " + token);
        assertEquals(null, token.failure());
    }
}
