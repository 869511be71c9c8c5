package io.umqtt.robust;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;
import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.Waits;

/**
 * How the robust client recovers from brokers and networks that fail in awkward ways: a SUBACK
 * that never comes while subscriptions are restored (the runner must survive, the connection must
 * not stay CONNECTED), brokers that accept and then break every session at once (backoff must
 * follow how long connections lived; every accepted connection's loss is reported), and a network
 * blackhole (recovery after the network returns is bounded by the attempt's connect timeout).
 */
class RobustRecoveryTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private final Semaphore connected = new Semaphore(0);
    private final Semaphore lost = new Semaphore(0);

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        broker.close();
        pool.shutdownNow();
    }

    private <C extends RobustMqttClient> C listen(C c) {
        c.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                events.add("connected");
                connected.release();
            }

            @Override
            public void connectionLost(IOException cause) {
                events.add("lost " + cause.getMessage());
                lost.release();
            }

            @Override
            public void reconnectFailed(int attempt, long delayMillis, IOException cause) {
                events.add("failed " + attempt + " " + cause.getMessage());
            }
        });
        closeables.add(c);
        return c;
    }

    private RobustMqttClient scripted(ReconnectPolicy policy) {
        RobustMqttClient c = new RobustMqttClient("recovery", "127.0.0.1", broker.port(), null, null, 0, null);
        c.setReconnectPolicy(policy);
        return listen(c);
    }

    private static void subAck(Peer peer, byte[] subscribe) throws IOException {
        assertEquals(0x82, subscribe[0] & 0xFF, "SUBSCRIBE expected");
        peer.write(bytes(0x90, 0x03, subscribe[2], subscribe[3], 0x01));
    }

    // ------------------------------------------------------------------ defect 2: zombie runner

    @Test
    void aSubackThatNeverComesWhileRestoringLeavesNoZombieAndTheRunnerReconnects() throws Exception {
        RobustMqttClient c = scripted(new ReconnectPolicy(20, 200, 0, 0));
        c.setAckTimeout(300);
        Thread runner = c.start("zombie-runner");
        Peer first = broker.accept();
        first.acceptConnect();
        assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS));
        Future<Integer> sub = pool.submit(() -> c.subscribe("z/+", 1));
        subAck(first, first.readPacket());
        assertEquals(1, sub.get(10, TimeUnit.SECONDS));
        first.close();
        assertTrue(lost.tryAcquire(10, TimeUnit.SECONDS), "the first loss is reported");

        // the broker accepts the reconnect, but never answers the restored SUBSCRIBE
        Peer second = broker.accept();
        second.acceptConnect();
        assertEquals(0x82, second.readPacket()[0] & 0xFF, "the subscription is restored");
        assertTrue(lost.tryAcquire(10, TimeUnit.SECONDS), "a connection lost while restoring is reported as lost");
        assertNotEquals(ConnectionState.CONNECTED, c.state(), "nobody serves that connection: not CONNECTED");
        assertTrue(second.awaitClosed(5_000), "the client closed the connection it could not restore");
        assertTrue(runner.isAlive(), "the runner survives");

        // the broker behaves again: the runner reconnects and restores
        Peer third = broker.accept();
        third.acceptConnect();
        subAck(third, third.readPacket());
        assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS), "reconnected after the failed restore");
        assertEquals(ConnectionState.CONNECTED, c.state());
        assertTrue(runner.isAlive());
        c.close();
        runner.join(10_000);
        assertFalse(runner.isAlive());
    }

    @Test
    void callerDrivenSubscribeRetriesARestoreThatTimedOutAndThrowsNoIllegalState() throws Exception {
        RobustMqttClient c = scripted(new ReconnectPolicy(20, 200, 0, 0));
        c.setAckTimeout(300);
        Future<?> connecting = pool.submit(() -> c.connect(true));
        Peer first = broker.accept();
        first.acceptConnect();
        connecting.get(10, TimeUnit.SECONDS);

        Future<Integer> sub = pool.submit(() -> c.subscribe("z/+", 1));
        assertEquals(0x82, first.readPacket()[0] & 0xFF); // never answered: the subscribe times out
        Peer second = broker.accept(); // the caller reconnects
        second.acceptConnect();
        assertEquals(0x82, second.readPacket()[0] & 0xFF, "restoring the remembered subscription");
        // never answered either: the restore times out; the caller must try again, not fail
        Peer third = broker.accept();
        third.acceptConnect();
        subAck(third, third.readPacket()); // the restore
        subAck(third, third.readPacket()); // the caller's subscribe, asked again for its granted QoS
        assertEquals(1, sub.get(10, TimeUnit.SECONDS));
        assertEquals(ConnectionState.CONNECTED, c.state());
    }

    // ------------------------------------------------------------------ defect 3: storm and lifetimes

    /**
     * Accepts every connection, answers CONNACK and then garbage, recording when each was accepted
     * and counting it down on {@code accepts}.
     */
    private Future<?> garbageBroker(List<Long> acceptedAt, CountDownLatch accepts) {
        return pool.submit(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                Peer p = broker.accept();
                acceptedAt.add(System.nanoTime());
                accepts.countDown();
                p.acceptConnect();
                p.write(bytes(0x00, 0x00)); // packet type 0 is reserved: a protocol error
                closeables.add(p);
            }
            return null;
        });
    }

    /**
     * Every connection lives a few ms, so the attempts back off 200, 400, 800 and 1600 ms, each
     * counted from the start of the attempt before.
     * <p>
     * What is timed: the backoff is counted from the client's start of attempt k, which the
     * broker sees only one accept latency later (the connect, then the broker's accept thread
     * being scheduled; tens of ms on a loaded machine). So the gap between two accepts at the
     * broker is at least the delay minus the accept latency of the earlier attempt (a late accept k
     * shortens gap k by as much as it lengthens gap k-1; the latency of the later attempt only
     * lengthens the gap). Rather than guess that latency as a fixed slack, the test measures it:
     * from a moment on the client before it started attempt k (before {@code start} for the first,
     * else when the backoff wait before it ended) to the broker's accept of it. The bound checked,
     * accept(k+1) - clientReady(k) >= delay(k), then needs no slack and holds under any load; a
     * client that started an attempt too early breaks it unless it was itself held up as long.
     */
    @Test
    void aBrokerThatBreaksEverySessionAtOnceIsRetriedWithGrowingDelays() throws Exception {
        List<Long> acceptedAt = new CopyOnWriteArrayList<>();
        BackoffRecordingClient c = new BackoffRecordingClient(broker.port());
        c.setReconnectPolicy(new ReconnectPolicy(200, 60_000, 0, 0));
        listen(c);
        CountDownLatch fiveAccepted = new CountDownLatch(5);
        garbageBroker(acceptedAt, fiveAccepted);
        long beforeStart = System.nanoTime();
        c.start("storm-runner");
        assertTrue(fiveAccepted.await(20, TimeUnit.SECONDS), "5 connects within 20 s: " + acceptedAt.size());
        c.close();
        // the delays the client asked for grow: 200, 400, 800, 1600 ms (no jitter)
        assertTrue(c.asked.size() >= 4, "a backoff after each of the first 4 connections: " + c.asked);
        assertEquals(List.of(200L, 400L, 800L, 1600L), c.asked.subList(0, 4), "the backoff delays asked for");
        assertTrue(c.waited.size() >= 4, "a backoff wait before attempts 2..5: " + c.waited.size());
        long[] gaps = new long[4];
        long[] latencies = new long[4];
        for (int i = 0; i < 4; i++) {
            long clientReady = i == 0 ? beforeStart : c.waited.get(i - 1); // before attempt i+1 started
            gaps[i] = TimeUnit.NANOSECONDS.toMillis(acceptedAt.get(i + 1) - acceptedAt.get(i));
            latencies[i] = TimeUnit.NANOSECONDS.toMillis(acceptedAt.get(i) - clientReady);
            long sinceReady = acceptedAt.get(i + 1) - clientReady;
            long delay = 200L << i;
            assertTrue(sinceReady >= TimeUnit.MILLISECONDS.toNanos(delay), "attempt " + (i + 2) + " reached the "
                    + "broker " + TimeUnit.NANOSECONDS.toMicros(sinceReady) + " us after the client was ready to "
                    + "start attempt " + (i + 1) + ", before its delay of " + delay + " ms (gaps at the broker "
                    + Arrays.toString(gaps) + " ms, accept latencies " + Arrays.toString(latencies) + " ms)");
        }
        System.out.println("storm: gaps between accepted connects " + Arrays.toString(gaps) + " ms, accept latencies "
                + Arrays.toString(latencies) + " ms");
        assertTrue(lost.availablePermits() >= 4, "every accepted connection's loss is reported: " + events);
    }

    /** Records the backoff delays it asks for, and when each backoff wait ended (before the attempt it held back). */
    static final class BackoffRecordingClient extends RobustMqttClient {
        final List<Long> asked = new CopyOnWriteArrayList<>();
        final List<Long> waited = new CopyOnWriteArrayList<>();

        BackoffRecordingClient(int port) {
            super("recovery", "127.0.0.1", port, null, null, 0, null);
        }

        @Override
        protected long backoffMillis(int attempt) {
            long d = super.backoffMillis(attempt);
            asked.add(d);
            return d;
        }

        @Override
        protected void delay(int attempt) throws java.io.InterruptedIOException {
            super.delay(attempt);
            waited.add(System.nanoTime());
        }
    }

    @Test
    void twoClientsWithOneClientIdKickingEachOtherOffBackOff() throws Exception {
        try (MosquittoBroker mosquitto = MosquittoBroker.start()) {
            RobustMqttClient a = new RobustMqttClient("twin", mosquitto.host(), mosquitto.port(), null, null, 0, null);
            RobustMqttClient b = new RobustMqttClient("twin", mosquitto.host(), mosquitto.port(), null, null, 0, null);
            closeables.add(a);
            closeables.add(b);
            for (RobustMqttClient c : List.of(a, b)) {
                c.setReconnectPolicy(new ReconnectPolicy(200, 60_000, 0, 0));
            }
            long window = 5_000;
            a.start("twin-a");
            b.start("twin-b");
            Waits.pace(window); // the observation window: the attempts made in it are what is counted
            long attempts = a.connectAttempts() + b.connectAttempts();
            a.close();
            b.close();
            // every connection is short, so each client's attempts start at least 200, 400, 800, 1600,
            // 3200 ms apart: at most 5 in 5 s each (the former client made hundreds)
            System.out.println("twins: " + attempts + " connect attempts in " + window + " ms");
            assertTrue(attempts <= 12, "connect attempts of both clients in " + window + " ms: " + attempts);
            assertTrue(a.reconnects() + b.reconnects() >= 1, "they did kick each other off");
        }
    }

    /** A client that records the backoff waits it makes. */
    static final class RecordingClient extends RobustMqttClient {
        final List<Integer> delays = new CopyOnWriteArrayList<>();
        final List<Integer> attemptTimeouts = new CopyOnWriteArrayList<>();

        RecordingClient(String id, int port, int keepAlive) {
            super(id, "127.0.0.1", port, null, null, keepAlive, null);
        }

        @Override
        protected void delay(int attempt) throws java.io.InterruptedIOException {
            delays.add(attempt);
            super.delay(attempt);
        }

        @Override
        public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
            attemptTimeouts.add(timeoutMillis);
            return super.connect(cleanSession, timeoutMillis);
        }
    }

    @Test
    void connectionsThatLivedLongEnoughAreReconnectedAtOnceAndEachLossIsReported() throws Exception {
        RecordingClient c = listen(new RecordingClient("lifetimes", broker.port(), 0));
        c.setReconnectPolicy(new ReconnectPolicy(200, 60_000, 0, 0).withStableAfter(300));
        c.start("lifetimes-runner");
        Peer first = broker.accept();
        first.acceptConnect();
        assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS));
        Future<Integer> sub = pool.submit(() -> c.subscribe("l/+", 1));
        subAck(first, first.readPacket());
        assertEquals(1, sub.get(10, TimeUnit.SECONDS));
        Waits.pace(400); // the scenario: this connection lives longer than stableAfter (300 ms)
        first.close();
        // four connections the broker accepts and breaks while the subscription is restored, each
        // after it lived longer than stableAfter: never a failed attempt, never a growing delay
        for (int i = 0; i < 4; i++) {
            Peer p = broker.accept();
            p.acceptConnect();
            assertEquals(0x82, p.readPacket()[0] & 0xFF);
            Waits.pace(400); // the scenario: the connection lives 400 ms > stableAfter 300 ms
            p.close();
        }
        Peer last = broker.accept();
        last.acceptConnect();
        subAck(last, last.readPacket());
        assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS));
        assertEquals(5, lost.availablePermits(), "the loss of each of the 5 accepted connections is reported: "
                + events);
        assertTrue(c.delays.isEmpty(), "no backoff after connections that stayed up: " + c.delays);
        assertFalse(events.stream().anyMatch(e -> e.startsWith("failed")), "no failed attempt: " + events);
    }

    // ------------------------------------------------------------------ defect 14: blackhole

    @Test
    void afterANetworkBlackholeTheClientRecoversWithinTheAttemptTimeout() throws Exception {
        long outageMillis = Long.getLong("blackhole.outage.millis", 8_000);
        try (MosquittoBroker mosquitto = MosquittoBroker.start();
                FaultProxy proxy = new FaultProxy(mosquitto.host(), mosquitto.port())) {
            RecordingClient c = listen(new RecordingClient("blackhole", proxy.port(), 2));
            c.setReconnectPolicy(new ReconnectPolicy(1_000, 60_000, 0, 0)); // the default, without jitter
            c.start("blackhole-runner");
            assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS));
            proxy.blackhole(true);
            long start = System.nanoTime();
            assertTrue(lost.tryAcquire(10, TimeUnit.SECONDS), "keepalive declares the connection dead");
            long detected = System.nanoTime();
            // the scenario: the network stays black for the rest of the outage
            Waits.pace(Math.max(0, outageMillis - TimeUnit.NANOSECONDS.toMillis(detected - start)));
            proxy.blackhole(false);
            long back = System.nanoTime();
            // a generous bound: the attempt in flight when the network returns ends within its 10 s
            // connect timeout; with the former 30 s timeout it took more than 25 s
            assertTrue(connected.tryAcquire(20, TimeUnit.SECONDS), "recovered within 20 s after the network returned");
            long recovered = System.nanoTime();
            System.out.printf("blackhole: outage %d ms, detected after %d ms, recovered %d ms after the network "
                    + "returned (%d ms after the outage began); attempt timeouts %s%n", outageMillis,
                    TimeUnit.NANOSECONDS.toMillis(detected - start), TimeUnit.NANOSECONDS.toMillis(recovered - back),
                    TimeUnit.NANOSECONDS.toMillis(recovered - start), c.attemptTimeouts);
            assertEquals(RobustMqttClient.DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS, c.attemptTimeouts.get(1),
                    "a reconnect attempt's connect timeout");
            c.close();
        }
    }

    @Test
    void theAttemptTimeoutFollowsThePolicyThenTheClientSetting() throws Exception {
        RecordingClient c = listen(new RecordingClient("timeouts", broker.port(), 0));
        Future<?> connecting = pool.submit(() -> c.connect(true));
        broker.accept().acceptConnect();
        connecting.get(10, TimeUnit.SECONDS);
        c.setConnectTimeout(25_000);
        c.close();
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0).withConnectTimeout(3_000));
        connecting = pool.submit(() -> c.connect(true));
        broker.accept().acceptConnect();
        connecting.get(10, TimeUnit.SECONDS);
        c.close();
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        connecting = pool.submit(() -> c.connect(true));
        broker.accept().acceptConnect();
        connecting.get(10, TimeUnit.SECONDS);
        assertEquals(List.of(RobustMqttClient.DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS, 3_000, 25_000), c.attemptTimeouts);
        assertNotNull(c.reconnectPolicy());
    }
}
