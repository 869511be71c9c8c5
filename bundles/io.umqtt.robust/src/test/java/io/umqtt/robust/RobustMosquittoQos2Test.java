package io.umqtt.robust;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.PacketFaultProxy;
import io.umqtt.simple.testing.PacketFaultProxy.Direction;

/**
 * The robust client's QoS 2 publishes through mosquitto with the connection dropped by a
 * {@link PacketFaultProxy} at each step of the flow: after its PUBLISH reached the broker, with
 * the PUBREC lost, after the PUBREL reached the broker, with the PUBREL lost, with the PUBCOMP
 * lost. With the session kept (clean session off) the subscriber gets the message exactly once;
 * with clean session on the flow starts again as a new message (at least once).
 */
@Timeout(value = 40, unit = SECONDS)
class RobustMosquittoQos2Test {
    private static MosquittoBroker broker;
    private PacketFaultProxy proxy;
    private ExecutorService pool;
    private MqttClient subscriber;
    private RobustMqttClient publisher;
    private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();
    private final CountDownLatch endSeen = new CountDownLatch(1);

    @BeforeAll
    static void startBroker() throws IOException {
        broker = MosquittoBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @BeforeEach
    void setUp() throws IOException {
        proxy = new PacketFaultProxy(broker.host(), broker.port());
        pool = Executors.newCachedThreadPool();
        subscriber = new MqttClient("rq2-sub-" + System.nanoTime(), broker.host(), broker.port());
        subscriber.setCallback((topic, msg, retain, dup, qos) -> {
            String m = new String(msg, StandardCharsets.UTF_8);
            received.computeIfAbsent(m, k -> new AtomicInteger()).incrementAndGet();
            if (m.equals("end")) {
                endSeen.countDown();
            }
        });
        subscriber.connect(true);
        subscriber.subscribe("rq2/t", 2);
        pool.submit(() -> {
            subscriber.loop();
            return null;
        });
    }

    @AfterEach
    void tearDown() {
        if (publisher != null) {
            publisher.close();
        }
        subscriber.close();
        proxy.close();
        pool.shutdownNow();
    }

    @ParameterizedTest(name = "drop at {0} {1} (forwarded {2}), clean session {3}")
    @CsvSource({
        "TO_BROKER, 3, true, false", "TO_BROKER, 3, true, true", // PUBLISH reached the broker
        "FROM_BROKER, 5, false, false", "FROM_BROKER, 5, false, true", // PUBREC lost
        "TO_BROKER, 6, true, false", "TO_BROKER, 6, true, true", // PUBREL reached the broker
        "TO_BROKER, 6, false, false", "TO_BROKER, 6, false, true", // PUBREL lost
        "FROM_BROKER, 7, false, false", "FROM_BROKER, 7, false, true"}) // PUBCOMP lost
    void aQos2PublishArrivesOnceWithTheSessionKeptWhateverStepTheConnectionDropsAt(Direction direction, int type,
            boolean forward, boolean cleanSession) throws Exception {
        publisher = new RobustMqttClient("rq2-pub-" + System.nanoTime(), "127.0.0.1", proxy.port(), null, null, 0,
                null);
        publisher.setCleanSession(cleanSession);
        publisher.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        CountDownLatch up = new CountDownLatch(1);
        publisher.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                up.countDown();
            }
        });
        Future<?> running = pool.submit(() -> {
            publisher.runForever();
            return null;
        });
        assertTrue(up.await(10, SECONDS));
        proxy.dropAt(direction, type, forward);
        PublishToken token = publisher.publishAsync("rq2/t", "m1", false, 2);
        assertTrue(proxy.awaitDrop(10, SECONDS), "the connection was dropped");
        token.await(); // resumed or resent on the next connection, complete on its PUBCOMP
        assertNull(token.failure());
        publisher.publishAsync("rq2/t", "end", false, 2).await();
        assertTrue(endSeen.await(10, SECONDS));
        int m1 = received.get("m1") == null ? 0 : received.get("m1").get();
        if (cleanSession) {
            assertTrue(m1 >= 1, "at least once without a session, got " + m1);
        } else {
            assertEquals(1, m1, "exactly once in the kept session");
        }
        assertTrue(proxy.accepted() >= 2, "reconnected through the proxy");
        publisher.close();
        running.get(10, SECONDS);
    }

    /**
     * A robust subscriber through the proxy, the connection dropped after mosquitto's PUBLISH
     * reached it or with its PUBREC lost: after the reconnect in the kept session mosquitto resends
     * the PUBLISH (DUP), and the callback still sees the message once.
     */
    @ParameterizedTest(name = "drop at {0} {1} (forwarded {2})")
    @CsvSource({"FROM_BROKER, 3, true", "TO_BROKER, 5, false", "FROM_BROKER, 6, true", "TO_BROKER, 7, false"})
    void aRobustSubscriberGetsAQos2MessageOnceAcrossTheReconnect(Direction direction, int type, boolean forward)
            throws Exception {
        Map<String, AtomicInteger> got = new ConcurrentHashMap<>();
        CountDownLatch end = new CountDownLatch(1);
        CountDownLatch subscribed = new CountDownLatch(1);
        RobustMqttClient sub = new RobustMqttClient("rq2-rsub-" + System.nanoTime(), "127.0.0.1", proxy.port(), null,
                null, 0, null);
        sub.setCleanSession(false);
        sub.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        sub.setCallback((topic, msg, retain, dup, qos) -> {
            String m = new String(msg, StandardCharsets.UTF_8);
            got.computeIfAbsent(m, k -> new AtomicInteger()).incrementAndGet();
            if (m.equals("end")) {
                end.countDown();
            }
        });
        publisher = sub; // closed by tearDown
        sub.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                subscribed.countDown();
            }
        });
        Future<?> running = pool.submit(() -> {
            sub.runForever();
            return null;
        });
        assertTrue(subscribed.await(10, SECONDS));
        assertEquals(2, sub.subscribe("rq2/in", 2)); // remembered, and kept by the broker's session
        proxy.dropAt(direction, type, forward);
        MqttClient pub = new MqttClient("rq2-ipub-" + System.nanoTime(), broker.host(), broker.port());
        try {
            pub.connect(true);
            pub.publish("rq2/in", "m1", false, 2);
            assertTrue(proxy.awaitDrop(10, SECONDS), "the connection was dropped");
            pub.publish("rq2/in", "end", false, 2);
        } finally {
            pub.close();
        }
        assertTrue(end.await(10, SECONDS), "the marker arrived after the reconnect");
        assertEquals(1, got.get("m1").get(), "exactly once in the kept session");
        sub.close();
        running.get(10, SECONDS);
    }
}
