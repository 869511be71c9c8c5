package io.umqtt.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.umqtt.simple.testing.MosquittoBroker;

/**
 * mosquitto killed (SIGKILL) and restarted 20 times under a stream of QoS 1 publishes: the
 * subscription is back after every restart, and with persistent sessions every message published
 * reaches the subscriber at least once. The broker saves its state after every change. With clean
 * session on, every restart loses the sessions: the subscriber must resubscribe, and the publisher
 * waits (in umqtt.robust's {@code connect} hook) until the subscriber is back, so that what the
 * broker drops for lack of a subscriber does not count as the client's loss.
 */
class BrokerRestartTest {
    private static final int RESTARTS = 20;
    private static final String TOPIC = "robust/stream";

    /** Kill generation the subscriber has resubscribed in; guarded by itself. */
    private final int[] subscriberGeneration = {-1};
    private volatile int killGeneration;

    private final ConcurrentHashMap<Integer, AtomicInteger> received = new ConcurrentHashMap<>();
    private final Object progress = new Object();
    private volatile int highest = -1;

    @ParameterizedTest(name = "clean session {0}")
    @ValueSource(booleans = {true, false})
    void everyMessageArrivesAcrossTwentyBrokerKills(boolean cleanSession) throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool();
        Path store = Files.createTempDirectory("umqtt-restart-store");
        // the broker saves its state after every change, so what it acknowledged survives SIGKILL
        try (MosquittoBroker broker = MosquittoBroker.builder().config("persistence true")
                .config("persistence_location " + store.toAbsolutePath() + "/").config("autosave_on_changes true")
                .config("autosave_interval 1").config("max_inflight_messages 0").config("max_queued_messages 0")
                .start()) {
            RobustMqttClient subscriber = new RobustMqttClient("restart-sub-" + cleanSession, broker.host(),
                    broker.port(), null, null, 5, null) {
                @Override
                public boolean connect(boolean clean, int timeoutMillis) throws IOException {
                    boolean sp = super.connect(clean, timeoutMillis); // subscriptions restored inside
                    synchronized (subscriberGeneration) {
                        subscriberGeneration[0] = killGeneration;
                        subscriberGeneration.notifyAll();
                    }
                    return sp;
                }
            };
            RobustMqttClient publisher = new RobustMqttClient("restart-pub-" + cleanSession, broker.host(),
                    broker.port(), null, null, 5, null) {
                @Override
                public boolean connect(boolean clean, int timeoutMillis) throws IOException {
                    awaitSubscriber();
                    return super.connect(clean, timeoutMillis);
                }
            };
            for (RobustMqttClient c : List.of(subscriber, publisher)) {
                c.setCleanSession(cleanSession);
                c.setReconnectPolicy(new ReconnectPolicy(50, 400, 0.5, 0));
                c.setConnectTimeout(5_000);
            }
            subscriber.setCallback((topic, msg, retain, dup, qos) -> {
                int seq = ByteBuffer.wrap(msg).getInt();
                received.computeIfAbsent(seq, k -> new AtomicInteger()).incrementAndGet();
                synchronized (progress) {
                    if (seq > highest) {
                        highest = seq;
                    }
                    progress.notifyAll();
                }
            });
            // remembered before the first connect, made by it
            try {
                subscriber.subscribe(TOPIC, 1);
            } catch (IOException expectedWhileNotConnected) {
                assertTrue(subscriber.subscriptions().containsKey(TOPIC), expectedWhileNotConnected.toString());
            }
            Future<?> subLoop = pool.submit(() -> {
                subscriber.runForever();
                return null;
            });
            Future<?> pubLoop = pool.submit(() -> {
                publisher.runForever();
                return null;
            });
            AtomicBoolean publishing = new AtomicBoolean(true);
            AtomicInteger published = new AtomicInteger();
            Future<?> stream = pool.submit(() -> {
                while (publishing.get()) {
                    int seq = published.get();
                    synchronized (progress) { // at most 100 ahead of the subscriber: bounded backlog
                        while (publishing.get() && seq - highest > 100) {
                            progress.wait(100);
                        }
                    }
                    publisher.publish(TOPIC.getBytes(), ByteBuffer.allocate(4).putInt(seq).array(), false, 1);
                    published.incrementAndGet();
                }
                return null;
            });

            List<Long> recoveryMillis = new ArrayList<>();
            for (int i = 0; i < RESTARTS; i++) {
                int before = highest;
                awaitHighest(before + 20, "messages flowing before kill " + (i + 1));
                broker.kill();
                killGeneration = i + 1;
                int atKill = highest;
                broker.restart();
                long t0 = System.nanoTime();
                awaitHighest(atKill + 1, "messages flowing again after restart " + (i + 1));
                recoveryMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            }
            publishing.set(false);
            stream.get(30, TimeUnit.SECONDS);
            int total = published.get();
            awaitAll(total);

            List<Integer> missing = new ArrayList<>();
            int duplicates = 0;
            for (int seq = 0; seq < total; seq++) {
                AtomicInteger n = received.get(seq);
                if (n == null) {
                    missing.add(seq);
                } else {
                    duplicates += n.get() - 1;
                }
            }
            Collections.sort(recoveryMillis);
            System.out.printf("BrokerRestartTest clean=%s: %d restarts, %d published, %d lost, %d duplicates, "
                    + "recovery median %d ms (min %d, max %d), publisher reconnects %d, resent %d, queued %d%n",
                    cleanSession, RESTARTS, total, missing.size(), duplicates, recoveryMillis.get(RESTARTS / 2),
                    recoveryMillis.get(0), recoveryMillis.get(RESTARTS - 1), publisher.reconnects(),
                    publisher.resent(), publisher.queuedTotal());
            if (!cleanSession) {
                assertEquals(0, missing.size(), () -> "messages published and never received, first ones: "
                        + missing.subList(0, Math.min(20, missing.size())));
            }
            // with clean session on, what the broker held for the subscriber dies with the session
            // when the broker is killed (MQTT's definition); the count is reported above
            assertEquals(RESTARTS, subscriber.reconnects());
            assertEquals(RESTARTS, publisher.reconnects());
            assertEquals(0, publisher.dropped());

            subscriber.disconnect();
            publisher.disconnect();
            subLoop.get(10, TimeUnit.SECONDS);
            pubLoop.get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
            try (var files = Files.walk(store)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private void awaitSubscriber() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (subscriberGeneration) {
            while (subscriberGeneration[0] < killGeneration) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("test gate: the subscriber did not come back within 30 s");
                }
                try {
                    subscriberGeneration.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException();
                }
            }
        }
    }

    private void awaitHighest(int atLeast, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (progress) {
            while (highest < atLeast) {
                long left = deadline - System.nanoTime();
                assertTrue(left > 0, "timed out waiting for " + what + " (highest received " + highest + ")");
                progress.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private void awaitAll(int total) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        synchronized (progress) {
            while (received.size() < total && System.nanoTime() < deadline) {
                progress.wait(100);
            }
        }
    }
}
