package io.umqtt.robust;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.simple.testing.HostileBroker;
import io.umqtt.simple.testing.HostileBroker.ThreadCheck;

/**
 * Issue 11, defect 1, robust side: a broker that floods and stops reading used to freeze the
 * runner in a PUBACK write for ever, so it never reconnected. Now the stalled write fails at the
 * write timeout and the runner reconnects.
 */
class RobustStalledBrokerTest {
    private HostileBroker broker;
    private ThreadCheck threads;
    private ExecutorService pool;
    private RobustMqttClient client;

    @BeforeEach
    void setUp() throws Exception {
        threads = ThreadCheck.start();
        broker = new HostileBroker().receiveBufferSize(4096);
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        broker.close();
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        threads.assertNoneLeft(10_000);
    }

    @Test
    void theRunnerReconnectsAfterABrokerStoppedReading() throws Exception {
        AtomicInteger connection = new AtomicInteger();
        broker.playEvery(c -> {
            c.acceptConnect();
            if (connection.incrementAndGet() == 1) {
                c.flood(i -> HostileBroker.publish("flood", "x", 1, i % 65_535 + 1), 10_000_000); // never reads
            } else {
                c.silence(60_000); // a healthy, quiet broker
            }
        });
        client = new RobustMqttClient("robust", HostileBroker.HOST, broker.port(), null, null, 0, null);
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        client.setWriteTimeout(500);
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(2);
        client.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                first.countDown();
                second.countDown();
            }
        });
        Future<?> running = pool.submit(() -> {
            client.runForever();
            return null;
        });
        assertTrue(first.await(10, TimeUnit.SECONDS), "connected");
        // a large publish fills the pipe, so the runner's PUBACKs cannot be written either
        pool.submit(() -> {
            client.publish("big", new byte[32 * 1024 * 1024], false, 0);
            return null;
        });
        assertTrue(second.await(15, TimeUnit.SECONDS), "the runner reconnected after the stalled write");
        client.close();
        running.get(10, TimeUnit.SECONDS);
    }
}
