package io.umqtt.robust;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.MqttException;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;
import io.umqtt.simple.testing.FreePort;

/**
 * Faults injected between the robust client and mosquitto: each is detected (keepalive, read
 * timeout, end of stream) and recovered from; plus a broker that is down at first, a full offline
 * queue and refused credentials.
 */
class RobustFaultsTest {
    private static MosquittoBroker broker;
    private ExecutorService pool;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    /** Events of the client under test, as text. */
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final Semaphore connected = new Semaphore(0);

    @BeforeAll
    static void startBroker() throws IOException {
        broker = MosquittoBroker.builder().user("gw", "right").start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @BeforeEach
    void setUp() {
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        pool.shutdownNow();
    }

    private RobustMqttClient client(String id, int port, int keepAlive) {
        RobustMqttClient c = new RobustMqttClient(id, "127.0.0.1", port, "gw", "right", keepAlive, null);
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        c.setListener(new RobustListener() {
            @Override
            public void connected(String server, int p, boolean sessionPresent) {
                events.add("connected sp=" + sessionPresent);
                connected.release();
            }

            @Override
            public void connectionLost(IOException cause) {
                events.add("lost " + cause.getMessage());
            }

            @Override
            public void reconnectFailed(int attempt, long delayMillis, IOException cause) {
                events.add("failed " + attempt);
            }

            @Override
            public void messageDropped(byte[] topic, byte[] payload, int qos, String reason) {
                events.add("dropped " + new String(payload, UTF_8) + ": " + reason);
            }
        });
        closeables.add(c);
        return c;
    }

    private Thread run(RobustMqttClient c) {
        return c.start("robust-" + c.clientId());
    }

    private ReceivingClient subscriber(String id, String filter) throws Exception {
        MqttClient c = new MqttClient(id, broker.host(), broker.port(), "gw", "right", 10, null);
        ReceivingClient r = ReceivingClient.connect(c, true);
        c.subscribe(filter, 1);
        closeables.add(r);
        return r;
    }

    private MqttClient plain(String id) throws IOException {
        MqttClient c = new MqttClient(id, broker.host(), broker.port(), "gw", "right", 0, null);
        c.connect(true);
        closeables.add(c::close);
        return c;
    }

    private String nextEvent(String prefix) throws InterruptedException {
        while (true) {
            String e = events.poll(15, TimeUnit.SECONDS);
            assertNotNull(e, "no '" + prefix + "' event within 15 s");
            if (e.startsWith(prefix)) {
                return e;
            }
        }
    }

    private void awaitConnected() throws InterruptedException {
        assertTrue(connected.tryAcquire(15, TimeUnit.SECONDS), "client did not connect within 15 s");
    }

    /**
     * Connects only once the test's subscriber is subscribed (umqtt.robust's connect hook): the
     * broker keeps no messages for nobody.
     */
    static final class GatedClient extends RobustMqttClient {
        private final CountDownLatch gate;

        GatedClient(String id, int port, CountDownLatch gate) {
            super(id, "127.0.0.1", port, null, null, 5, null);
            this.gate = gate;
            setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        }

        @Override
        public boolean connect(boolean clean, int timeoutMillis) throws IOException {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted at the test's gate");
            }
            return super.connect(clean, timeoutMillis);
        }
    }


    @Test
    void aConnectionThatStallsWithoutClosingIsDeclaredDeadByKeepalive() throws Exception {
        FaultProxy proxy = new FaultProxy(broker.host(), broker.port());
        closeables.add(proxy);
        ReceivingClient sub = subscriber("stall-sub", "faults/stall");
        RobustMqttClient c = client("stall", proxy.port(), 1);
        run(c);
        awaitConnected();
        proxy.inject(FaultProxy.Fault.STALL);
        String lost = nextEvent("lost");
        assertTrue(lost.contains("connection declared dead"), lost);
        awaitConnected();
        c.publish("faults/stall", "after", false, 1);
        assertEquals("after", sub.next().payloadString());
    }

    @Test
    void aReadThatStallsMidPacketTimesOutAndTheMessageComesAgain() throws Exception {
        FaultProxy proxy = new FaultProxy(broker.host(), broker.port());
        closeables.add(proxy);
        RobustMqttClient c = client("midstall", proxy.port(), 0);
        c.setReadTimeout(500);
        c.setCleanSession(false);
        BlockingQueue<byte[]> got = new LinkedBlockingQueue<>();
        c.setCallback((topic, msg, retain, dup, qos) -> got.add(msg));
        run(c);
        awaitConnected();
        c.subscribe("faults/midstall", 1);
        proxy.inject(FaultProxy.Fault.STALL_MID_PACKET);
        byte[] big = new byte[20_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        plain("midstall-pub").publish("faults/midstall".getBytes(UTF_8), big, false, 1);
        String lost = nextEvent("lost");
        assertTrue(lost.contains("stalled in the middle of a packet"), lost);
        assertEquals("connected sp=true", nextEvent("connected"));
        byte[] msg = got.poll(15, TimeUnit.SECONDS);
        assertArrayEquals(big, msg, "redelivered whole in the surviving session");
    }

    @Test
    void aConnectionCutMidPacketIsRecoveredAndSubscriptionsStayActive() throws Exception {
        FaultProxy proxy = new FaultProxy(broker.host(), broker.port());
        closeables.add(proxy);
        RobustMqttClient c = client("midcut", proxy.port(), 5);
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        c.setCallback((topic, msg, retain, dup, qos) -> got.add(msg.length > 100 ? "big" : new String(msg, UTF_8)));
        run(c);
        awaitConnected();
        c.subscribe("faults/cut", 1);
        proxy.inject(FaultProxy.Fault.DROP_MID_PACKET);
        MqttClient pub = plain("midcut-pub");
        pub.publish("faults/cut".getBytes(UTF_8), new byte[20_000], false, 1);
        nextEvent("lost");
        assertEquals("connected sp=false", nextEvent("connected"), "clean session: a new session");
        // the subscription was restored by the client itself
        pub.publish("faults/cut", "after", false, 1);
        String m;
        do {
            m = got.poll(15, TimeUnit.SECONDS);
            assertNotNull(m, "no message after the reconnect");
        } while (!m.equals("after"));
    }

    @Test
    void refusedConnectionsAreRetriedUntilTheyAreAccepted() throws Exception {
        FaultProxy proxy = new FaultProxy(broker.host(), broker.port());
        closeables.add(proxy);
        proxy.refuse(true);
        RobustMqttClient c = client("refused", proxy.port(), 5);
        run(c);
        nextEvent("failed 1");
        nextEvent("failed 2");
        nextEvent("failed 3");
        proxy.refuse(false);
        awaitConnected();
        assertTrue(c.connectAttempts() >= 4, "attempts " + c.connectAttempts());
        assertTrue(proxy.accepted() >= 4);
    }

    @Test
    void theFirstConnectToABrokerThatIsDownDoesNotBlockAndPublishesQueue() throws Exception {
        int port = FreePort.pick();
        CountDownLatch subscriberReady = new CountDownLatch(1);
        RobustMqttClient c = new GatedClient("early", port, subscriberReady);
        closeables.add(c);
        run(c);
        c.publish("early/t", "queued while down", false, 1); // returns: the message waits in the queue
        assertEquals(1, c.queued());
        assertFalse(c.isConnected());
        try (MosquittoBroker late = MosquittoBroker.builder().port(port).start()) {
            MqttClient s = new MqttClient("early-sub", late.host(), late.port());
            ReceivingClient sub = ReceivingClient.connect(s, true);
            s.subscribe("early/t", 1);
            subscriberReady.countDown();
            assertEquals("queued while down", sub.next().payloadString());
            sub.close();
            c.close();
        }
        assertEquals(0, c.dropped());
    }

    @Test
    void afterTheMaximumAttemptsItGivesUpAndSaysSo() throws Exception {
        RobustMqttClient c = new RobustMqttClient("give-up", "127.0.0.1", FreePort.pick(), null, null, 5, null);
        closeables.add(c);
        c.setReconnectPolicy(new ReconnectPolicy(5, 20, 0, 3));
        java.util.concurrent.CompletableFuture<IOException> gaveUp = new java.util.concurrent.CompletableFuture<>();
        c.setListener(new RobustListener() {
            @Override
            public void gaveUp(IOException cause) {
                gaveUp.complete(cause);
            }
        });
        IOException thrown = assertThrows(IOException.class, c::runForever);
        assertTrue(thrown.getMessage().contains("gave up connecting give-up after 3 attempts"), thrown.getMessage());
        assertEquals(thrown, gaveUp.get(10, TimeUnit.SECONDS));
        assertEquals(3, c.connectAttempts());
    }

    @Test
    void aFullQueueRejectingTheNewestSaysSo() throws Exception {
        RobustMqttClient c = client("full-reject", FreePort.pick(), 5);
        c.setOfflineQueue(3, 1_000_000, OverflowPolicy.REJECT_NEWEST);
        run(c);
        for (int i = 0; i < 3; i++) {
            c.publish("q/t", "m" + i, false, 1);
        }
        OfflineQueueFullException e = assertThrows(OfflineQueueFullException.class,
                () -> c.publish("q/t", "m3", false, 1));
        assertTrue(e.getMessage().contains("offline queue full (3/3 messages") && e.getMessage().contains("REJECT_NEWEST"),
                e.getMessage());
        assertEquals(1, c.dropped());
        assertTrue(nextEvent("dropped").startsWith("dropped m3: offline queue full"));
        assertEquals(3, c.queued());
    }

    @Test
    void aFullQueueDroppingTheOldestReportsEachDropAndDeliversTheRest() throws Exception {
        int port = FreePort.pick();
        CountDownLatch subscriberReady = new CountDownLatch(1);
        RobustMqttClient c = new GatedClient("full-drop", port, subscriberReady);
        closeables.add(c);
        List<String> dropped = new ArrayList<>();
        c.setListener(new RobustListener() {
            @Override
            public void messageDropped(byte[] topic, byte[] payload, int qos, String reason) {
                dropped.add(new String(payload, UTF_8));
            }
        });
        c.setOfflineQueue(3, 1_000_000, OverflowPolicy.DROP_OLDEST);
        run(c);
        for (int i = 0; i < 5; i++) {
            c.publish("q/d", "m" + i, false, 1);
        }
        assertEquals(List.of("m0", "m1"), dropped);
        assertEquals(2, c.dropped());
        try (MosquittoBroker late = MosquittoBroker.builder().port(port).start()) {
            MqttClient s = new MqttClient("drop-sub", late.host(), late.port());
            ReceivingClient sub = ReceivingClient.connect(s, true);
            s.subscribe("q/d", 1);
            subscriberReady.countDown();
            assertEquals("m2", sub.next().payloadString());
            assertEquals("m3", sub.next().payloadString());
            assertEquals("m4", sub.next().payloadString());
            sub.close();
            c.close();
        }
    }

    @Test
    void badCredentialsAreReportedAndRetriedOnlyAtTheMaximumDelay() throws Exception {
        RobustMqttClient c = new RobustMqttClient("bad-creds", broker.host(), broker.port(), "gw", "wrong", 5, null);
        closeables.add(c);
        // 1 ms doubling to 1 s: without the refusal rule that is ~11 attempts in 2 s
        c.setReconnectPolicy(new ReconnectPolicy(1, 1_000, 0, 0));
        List<IOException> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch never = new CountDownLatch(1);
        c.setListener(new RobustListener() {
            @Override
            public void reconnectFailed(int attempt, long delayMillis, IOException cause) {
                failures.add(cause);
            }

            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                never.countDown();
            }
        });
        run(c);
        assertFalse(never.await(2, TimeUnit.SECONDS), "connected with a wrong password");
        long attempts = c.connectAttempts();
        assertTrue(attempts >= 1 && attempts <= 4, "attempts in 2 s: " + attempts);
        IOException first = failures.get(0);
        MqttException refusal = assertInstanceOf(MqttException.class, first);
        assertEquals(MqttException.Reason.CONNECTION_REFUSED, refusal.reason());
        assertEquals(5, refusal.returnCode());
        assertTrue(first.getMessage().contains("not authorized (CONNACK return code 5)"), first.getMessage());
    }
}
