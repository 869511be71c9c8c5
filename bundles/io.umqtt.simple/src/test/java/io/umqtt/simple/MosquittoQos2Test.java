package io.umqtt.simple;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.PacketFaultProxy;
import io.umqtt.simple.testing.PacketFaultProxy.Direction;

/**
 * QoS 2 from mosquitto to the simple client, with the connection dropped by a
 * {@link PacketFaultProxy} at each step of the flow (after the PUBLISH reached the client, with
 * its PUBREC lost, after the PUBREL reached the client, with its PUBCOMP lost), reconnecting with
 * the session kept and without. Strict: the callback fails the test when it sees a message twice
 * in one session; with the session kept every message arrives exactly once.
 */
@Timeout(value = 30, unit = SECONDS)
class MosquittoQos2Test {
    private static MosquittoBroker broker;
    private PacketFaultProxy proxy;
    private ExecutorService pool;
    private MqttClient receiver;
    private MqttClient sender;
    /** Payloads delivered in the current session; a second delivery fails the test. */
    private final Set<String> session = ConcurrentHashMap.newKeySet();
    private final List<String> all = new CopyOnWriteArrayList<>();
    private final List<String> duplicates = new CopyOnWriteArrayList<>();
    private volatile CountDownLatch endSeen;

    @BeforeAll
    static void startBroker() throws IOException {
        broker = MosquittoBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @BeforeEach
    void setUp(org.junit.jupiter.api.TestInfo info) throws IOException {
        proxy = new PacketFaultProxy(broker.host(), broker.port());
        pool = Executors.newCachedThreadPool();
        String id = "q2r-" + info.getDisplayName().replaceAll("[^A-Za-z0-9]", "") + System.nanoTime();
        receiver = new MqttClient(id, "127.0.0.1", proxy.port());
        receiver.setAckTimeout(10_000);
        receiver.setCallback((topic, msg, retain, dup, qos) -> {
            String m = new String(msg, StandardCharsets.UTF_8);
            assertEquals(2, qos);
            all.add(m);
            if (!session.add(m)) {
                duplicates.add(m);
            }
            if (m.equals("end") && endSeen != null) {
                endSeen.countDown();
            }
        });
        sender = new MqttClient(id + "-s", broker.host(), broker.port());
        sender.connect(true);
    }

    @AfterEach
    void tearDown() {
        receiver.close();
        sender.close();
        proxy.close();
        pool.shutdownNow();
    }

    private Future<?> loop() {
        return pool.submit(() -> {
            receiver.loop();
            return null;
        });
    }

    @ParameterizedTest(name = "drop at {0} {1} (forwarded {2}), session kept {3}")
    @CsvSource({
        "FROM_BROKER, 3, true, true", "FROM_BROKER, 3, true, false", // PUBLISH delivered, PUBREC not sent
        "TO_BROKER, 5, false, true", "TO_BROKER, 5, false, false", // PUBREC lost
        "FROM_BROKER, 6, true, true", "FROM_BROKER, 6, true, false", // PUBREL received, PUBCOMP not sent
        "TO_BROKER, 7, false, true", "TO_BROKER, 7, false, false"}) // PUBCOMP lost
    void aReceivedQos2MessageIsDeliveredOncePerSessionWhateverStepTheConnectionDropsAt(Direction direction,
            int type, boolean forward, boolean keepSession) throws Exception {
        receiver.connect(false);
        assertEquals(2, receiver.subscribe("q2/t", 2));
        Future<?> first = loop();
        proxy.dropAt(direction, type, forward);
        sender.publish("q2/t", "m1", false, 2);
        assertTrue(proxy.awaitDrop(10, SECONDS), "the drop happened");
        try {
            first.get(10, SECONDS);
            fail("the loop ends with the connection");
        } catch (java.util.concurrent.ExecutionException expected) {
            assertTrue(expected.getCause() instanceof IOException, String.valueOf(expected.getCause()));
        }
        boolean sessionPresent = receiver.connect(!keepSession);
        assertEquals(keepSession, sessionPresent);
        if (!keepSession) {
            session.clear(); // a new session: at most once per session
            receiver.subscribe("q2/t", 2);
        }
        endSeen = new CountDownLatch(1);
        Future<?> second = loop();
        sender.publish("q2/t", "end", false, 2); // after m1's flow, in order
        assertTrue(endSeen.await(10, SECONDS), "the marker arrived");
        assertEquals(List.of(), duplicates, "never twice in one session");
        if (keepSession) {
            assertEquals(List.of("m1", "end"), all, "exactly once with the session kept");
        }
        receiver.disconnect();
        second.get(10, SECONDS);
        assertEquals(0, proxy.accepted() - 2, "two connections through the proxy");
    }

    @Test
    void ourQos2PublishCompletesThroughMosquittoAndArrivesOnce() throws Exception {
        receiver.connect(true);
        receiver.subscribe("q2/t", 2);
        endSeen = new CountDownLatch(1);
        Future<?> l = loop();
        MqttClient pub = new MqttClient("q2p-" + System.nanoTime(), "127.0.0.1", proxy.port());
        try {
            pub.connect(true);
            pub.publish("q2/t", "m1", false, 2);
            PublishToken t = pub.publishAsync("q2/t", "end", false, 2);
            Future<?> pubLoop = pool.submit(() -> {
                t.await();
                return null;
            });
            pubLoop.get(10, SECONDS);
            assertEquals(null, t.failure());
        } finally {
            pub.close();
        }
        assertTrue(endSeen.await(10, TimeUnit.SECONDS));
        assertEquals(List.of("m1", "end"), all);
        receiver.disconnect();
        l.get(10, SECONDS);
    }
}
