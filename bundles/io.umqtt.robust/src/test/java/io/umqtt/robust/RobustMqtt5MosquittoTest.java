package io.umqtt.robust;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.simple.MessageCallback;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * The robust client on MQTT 5 against mosquitto: PUBLISH properties through the offline queue, a
 * restart of the JVM (the durable queue) and a broker restart; session expiry across a reconnect
 * (session kept: resumed, no resubscribe needed; expired: started clean and resubscribed with its
 * options); message expiry of a queued message; the queue drained into a broker whose Receive
 * Maximum is small.
 */
@Timeout(value = 60, unit = SECONDS)
class RobustMqtt5MosquittoTest {
    private static final MqttProperties PROPS = MqttProperties.builder().payloadFormat(MqttProperties.FORMAT_UTF8)
            .contentType("application/json").responseTopic("r5/reply").correlationData(new byte[] {1, 2, 3})
            .userProperty("site", "north").userProperty("site", "süd").messageExpiryInterval(600).build();

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private ExecutorService pool;

    /** A received message. */
    static final class Got {
        final String topic;
        final String payload;
        final MqttProperties properties;

        Got(byte[] topic, byte[] payload, MqttProperties properties) {
            this.topic = new String(topic, StandardCharsets.UTF_8);
            this.payload = new String(payload, StandardCharsets.UTF_8);
            this.properties = properties;
        }
    }

    @BeforeEach
    void setUp() {
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
        pool.shutdownNow();
    }

    private MosquittoBroker broker(String... config) throws IOException {
        MosquittoBroker.Builder b = MosquittoBroker.builder();
        for (String c : config) {
            b.config(c);
        }
        MosquittoBroker broker = b.start();
        closeAfter.add(broker);
        return broker;
    }

    private static MessageCallback into(BlockingQueue<Got> q) {
        return new MessageCallback() {
            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos) {
                throw new AssertionError("the client calls the 6-argument callback");
            }

            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos,
                    MqttProperties properties) {
                q.add(new Got(topic, msg, properties));
            }
        };
    }

    /** A plain MQTT 5 subscriber with its loop on the pool. */
    private BlockingQueue<Got> subscriber(MosquittoBroker broker, String filter) throws IOException {
        BlockingQueue<Got> q = new LinkedBlockingQueue<>();
        MqttClient s = new MqttClient("r5-sub-" + System.nanoTime(), broker.host(), broker.port());
        s.setProtocolVersion(5);
        s.setCallback(into(q));
        s.connect(true);
        s.subscribe(filter, 1);
        closeAfter.add(s::close);
        pool.submit(() -> {
            s.loop();
            return null;
        });
        return q;
    }

    private RobustMqttClient robust(String id, MosquittoBroker broker, OfflineQueueSettings queue) throws IOException {
        RobustMqttClient c = new RobustMqttClient(id, broker.host(), broker.port(), null, null, 0, null, queue);
        c.setProtocolVersion(5);
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        closeAfter.add(c::close);
        return c;
    }

    private static Got next(BlockingQueue<Got> q) throws InterruptedException {
        Got g = q.poll(20, SECONDS);
        assertNotNull(g, "no message within 20 s");
        return g;
    }

    private static void assertProperties(MqttProperties got, long maxExpiry) {
        assertEquals(MqttProperties.FORMAT_UTF8, got.payloadFormat());
        assertEquals("application/json", got.contentType());
        assertEquals("r5/reply", got.responseTopic());
        assertArrayEquals(new byte[] {1, 2, 3}, got.correlationData());
        assertEquals(PROPS.userProperties(), got.userProperties());
        assertTrue(got.messageExpiryInterval() > 0 && got.messageExpiryInterval() <= maxExpiry,
                "expiry " + got.messageExpiryInterval());
    }

    @Test
    void propertiesSurviveTheOfflineQueueARestartOfTheClientAndOfTheBroker() throws Exception {
        Path store = Files.createDirectories(dir.resolve("store"));
        MosquittoBroker broker = broker("persistence true", "persistence_location " + store.toAbsolutePath() + "/",
                "autosave_on_changes true", "autosave_interval 1");
        // a subscriber whose session outlives the broker's restart (persistence) and who reconnects
        BlockingQueue<Got> got = new LinkedBlockingQueue<>();
        RobustMqttClient sub = robust("r5-props-sub", broker, OfflineQueueSettings.DEFAULT);
        sub.setSessionExpiryInterval(3600);
        sub.setCleanSession(false);
        sub.setCallback(into(got));
        sub.subscribe("r5/props/#", 1); // caller-driven: connects, subscribes
        sub.start("r5-props-sub");
        OfflineQueueSettings durable = OfflineQueueSettings.DEFAULT.withDirectory(dir.resolve("queue"));

        RobustMqttClient first = robust("r5-props", broker, durable);
        first.start("r5-props-first");
        awaitConnected(first, 0);
        first.publish("r5/props/live", "live".getBytes(StandardCharsets.UTF_8), false, 1, PROPS);
        Got live = next(got);
        assertEquals("live", live.payload);
        assertProperties(live.properties, 600);

        broker.kill(); // the broker goes away; the subscriber's session is on disk
        long deadline = System.nanoTime() + SECONDS.toNanos(20);
        while (first.isConnected()) { // the runner thread meets the end of the connection
            assertTrue(System.nanoTime() < deadline, "the loss was not noticed within 20 s");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        PublishToken queued = first.publishAsync("r5/props/queued", "queued".getBytes(StandardCharsets.UTF_8),
                false, 1, PROPS);
        assertFalse(queued.isDone());
        assertEquals(1, first.queued(), "queued: the connection is gone");
        first.close(); // the JVM ends: the message stays in the queue files, properties and all

        broker.restart();
        RobustMqttClient second = robust("r5-props", broker, durable);
        assertEquals(1, second.queued(), "loaded from the queue files");
        second.start("r5-props-runner");
        Got later = next(got);
        while (later.payload.equals("live")) { // a resend of the first one is allowed (at least once)
            later = next(got);
        }
        assertEquals("queued", later.payload);
        assertEquals("r5/props/queued", later.topic);
        assertProperties(later.properties, 600);
        assertEquals(0, second.expired());
    }

    /**
     * A robust client that can cut its connection, and whose reconnect after a loss waits for the
     * test (a permit per loss): the {@code log} hook of the loss, before any attempt, holds it.
     */
    private static final class Gated extends RobustMqttClient {
        final Semaphore reconnects = new Semaphore(0);
        /** One permit per connection reported to the listener: after its subscriptions were restored. */
        final Semaphore reported = new Semaphore(0);

        Gated(String id, MosquittoBroker broker) {
            super(id, broker.host(), broker.port(), null, null, 0, null);
            setListener(new RobustListener() {
                @Override
                public void connected(String server, int port, boolean sessionPresent) {
                    reported.release();
                }
            });
        }

        @Override
        protected void log(boolean inReconnect, Throwable e) {
            super.log(inReconnect, e);
            if (inReconnect) {
                return;
            }
            try {
                if (!reconnects.tryAcquire(30, SECONDS)) {
                    throw new AssertionError("test gate closed for 30 s");
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }

        void cut() {
            fail(new IOException("test: connection cut"));
        }
    }

    private Gated gated(MosquittoBroker broker, String id, long sessionExpiry, BlockingQueue<Got> q)
            throws Exception {
        Gated c = new Gated(id, broker);
        c.setProtocolVersion(5);
        c.setSessionExpiryInterval(sessionExpiry);
        c.setCleanSession(true); // the first connect starts clean; reconnects follow the session expiry
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        c.setCallback(into(q));
        closeAfter.add(c::close);
        c.subscribe(new String[] {"r5/s/plain", "r5/s/opt"},
                new SubscriptionOptions[] {SubscriptionOptions.qos(1),
                    SubscriptionOptions.qos(1).withNoLocal(true).withSubscriptionIdentifier(42)});
        return c;
    }

    private void runForever(RobustMqttClient c) {
        pool.submit(() -> {
            c.runForever();
            return null;
        });
    }

    private static void awaitConnected(RobustMqttClient c, long reconnects) throws InterruptedException {
        long deadline = System.nanoTime() + SECONDS.toNanos(20);
        while (!(c.isConnected() && c.reconnects() >= reconnects)) {
            assertTrue(System.nanoTime() < deadline, "not connected within 20 s");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** A connected MQTT 5 publisher, closed after the test. */
    private MqttClient publisher5(MosquittoBroker broker, String id) throws IOException {
        MqttClient p = new MqttClient(id, broker.host(), broker.port());
        p.setProtocolVersion(5);
        p.connect(true);
        closeAfter.add(p::close);
        return p;
    }

    @Test
    void aReconnectWithinTheSessionExpiryResumesTheSessionAndGetsWhatWasPublishedMeanwhile() throws Exception {
        MosquittoBroker broker = broker();
        BlockingQueue<Got> q = new LinkedBlockingQueue<>();
        Gated s = gated(broker, "r5-kept", 300, q);
        runForever(s);
        awaitConnected(s, 0);
        assertFalse(s.sessionPresent());
        MqttClient p = publisher5(broker, "r5-kept-pub");

        s.cut();
        p.publish("r5/s/opt", "meanwhile".getBytes(StandardCharsets.UTF_8), false, 1, MqttProperties.EMPTY);
        s.reconnects.release();
        awaitConnected(s, 1);
        assertTrue(s.sessionPresent(), "Clean Start 0 within the session expiry: the broker kept the session");
        Got g = next(q);
        assertEquals("meanwhile", g.payload, "queued by the broker for the kept session");
        assertArrayEquals(new int[] {42}, g.properties.subscriptionIdentifiers(), "the subscription with its options");
    }

    /**
     * An empty client id: the broker assigns one on the first connect (Clean Start 1 as
     * configured); a reconnect within the session expiry goes with the assigned identifier and
     * Clean Start 0, so the session is resumed as for a client id of its own.
     */
    @Test
    void aReconnectOfAnEmptyClientIdResumesTheSessionUnderTheAssignedIdentifier() throws Exception {
        MosquittoBroker broker = broker();
        BlockingQueue<Got> q = new LinkedBlockingQueue<>();
        Gated s = gated(broker, "", 300, q);
        runForever(s);
        awaitConnected(s, 0);
        assertFalse(s.sessionPresent());
        assertNotNull(s.serverSettings().assignedClientIdentifier(), "mosquitto assigned an identifier");
        MqttClient p = publisher5(broker, "r5-assigned-pub");

        s.cut();
        p.publish("r5/s/plain", "meanwhile".getBytes(StandardCharsets.UTF_8), false, 1, MqttProperties.EMPTY);
        s.reconnects.release();
        awaitConnected(s, 1);
        assertTrue(s.sessionPresent(), "Clean Start 0 with the assigned identifier: the broker kept the session");
        assertEquals("meanwhile", next(q).payload, "queued by the broker for the kept session");
        assertEquals("", s.clientId(), "the configured id stays empty");
    }

    /**
     * On MQTT 5 an empty client id may keep a session (Clean Start 0): the broker assigns the
     * identifier and the client's next connect uses it, resuming the session with what was queued.
     */
    @Test
    void anEmptyClientIdWithoutCleanStartIsAllowedOnMqtt5AndItsNextConnectResumesTheSession() throws Exception {
        MosquittoBroker broker = broker();
        BlockingQueue<Got> q = new LinkedBlockingQueue<>();
        RobustMqttClient s = robust("", broker, OfflineQueueSettings.DEFAULT);
        s.setSessionExpiryInterval(300);
        s.setCleanSession(false);
        s.setCallback(into(q));
        assertFalse(s.connect(false), "a new session");
        assertNotNull(s.serverSettings().assignedClientIdentifier());
        s.subscribe("r5/e/#", 1);
        s.disconnect();
        MqttClient p = publisher5(broker, "r5-empty-pub");
        p.publish("r5/e/a", "while away".getBytes(StandardCharsets.UTF_8), false, 1, MqttProperties.EMPTY);

        assertTrue(s.connect(false), "Session Present: resumed under the assigned identifier");
        pool.submit(() -> {
            s.loop();
            return null;
        });
        assertEquals("while away", next(q).payload);
    }

    @Test
    void aReconnectAfterTheSessionExpiredStartsCleanAndResubscribesWithTheOptions() throws Exception {
        MosquittoBroker broker = broker();
        BlockingQueue<Got> q = new LinkedBlockingQueue<>();
        Gated s = gated(broker, "r5-expired", 1, q);
        runForever(s);
        awaitConnected(s, 0);
        MqttClient p = publisher5(broker, "r5-expired-pub");

        long cutAt = System.nanoTime();
        s.cut();
        p.publish("r5/s/plain", "lost".getBytes(StandardCharsets.UTF_8), false, 1, MqttProperties.EMPTY);
        while (System.nanoTime() - cutAt < TimeUnit.MILLISECONDS.toNanos(1_500)) { // the session expiry of 1 s passes
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        s.reconnects.release();
        awaitConnected(s, 1);
        assertFalse(s.sessionPresent(), "the session expired: Clean Start 1, a new session");
        // reconnects() counts the connection before it resubscribes; the listener hears of it after the SUBACK
        assertTrue(s.reported.tryAcquire(2, 20, SECONDS), "the first connection and the reconnect were reported");
        p.publish("r5/s/opt", "after".getBytes(StandardCharsets.UTF_8), false, 1, MqttProperties.EMPTY);
        p.publish("r5/s/plain", "after-plain".getBytes(StandardCharsets.UTF_8), false, 1, MqttProperties.EMPTY);
        Got g = next(q);
        assertEquals("after", g.payload, "resubscribed; what was published while the session was gone is lost");
        assertArrayEquals(new int[] {42}, g.properties.subscriptionIdentifiers(), "resubscribed with its options");
        assertEquals(SubscriptionOptions.qos(1).withNoLocal(true).withSubscriptionIdentifier(42),
                s.subscriptionOptions().get("r5/s/opt"));
        assertEquals("after-plain", next(q).payload);
    }

    @Test
    void aQueuedMessageWhoseExpiryPassedIsDroppedAndTheOtherGoesOutWithWhatRemains() throws Exception {
        MosquittoBroker broker = broker();
        BlockingQueue<Got> got = subscriber(broker, "r5/exp/#");
        Gated c = new Gated("r5-exp", broker);
        c.setProtocolVersion(5);
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        closeAfter.add(c::close);
        runForever(c);
        awaitConnected(c, 0);
        c.cut(); // offline until the gate opens

        long queuedAt = System.nanoTime();
        PublishToken shortLived = c.publishAsync("r5/exp/short", "short".getBytes(StandardCharsets.UTF_8), false, 1,
                MqttProperties.builder().messageExpiryInterval(1).build());
        PublishToken longLived = c.publishAsync("r5/exp/long", "long".getBytes(StandardCharsets.UTF_8), false, 1,
                MqttProperties.builder().messageExpiryInterval(60).build());
        assertEquals(2, c.queued());
        while (System.nanoTime() - queuedAt < TimeUnit.MILLISECONDS.toNanos(2_100)) { // 2 s of waiting in the queue
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        c.reconnects.release();
        longLived.await();
        assertNull(longLived.failure());
        Got g = next(got);
        assertEquals("long", g.payload);
        long left = g.properties.messageExpiryInterval();
        assertTrue(left >= 1 && left <= 58, "60 s less the 2 s it waited, found " + left);
        assertTrue(shortLived.isDone());
        assertInstanceOf(MessageExpiredException.class, shortLived.failure());
        assertEquals(1, c.expired());
        assertNull(got.poll(200, TimeUnit.MILLISECONDS), "the expired message was not sent");
    }

    @Test
    void theQueueDrainsIntoABrokerWithASmallReceiveMaximum() throws Exception {
        MosquittoBroker broker = broker("max_inflight_messages 2");
        BlockingQueue<Got> got = subscriber(broker, "r5/rm/#");
        Gated c = new Gated("r5-rm", broker);
        c.setProtocolVersion(5);
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        closeAfter.add(c::close);
        runForever(c);
        awaitConnected(c, 0);
        assertEquals(2, c.serverSettings().receiveMaximum(), "mosquitto announces max_inflight_messages");
        c.cut();
        int n = 300;
        List<PublishToken> tokens = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tokens.add(c.publishAsync("r5/rm/" + i, Integer.toString(i).getBytes(StandardCharsets.UTF_8), false,
                    1 + i % 2, MqttProperties.EMPTY));
        }
        c.reconnects.release();
        for (int i = 0; i < n; i++) { // and publishAsync while connected, through the simple client's window
            tokens.add(c.publishAsync("r5/rm/x" + i, "x".getBytes(StandardCharsets.UTF_8), false, 1,
                    MqttProperties.EMPTY));
        }
        for (PublishToken t : tokens) {
            t.await();
            assertNull(t.failure());
        }
        for (int i = 0; i < 2 * n; i++) {
            next(got);
        }
        assertEquals(1, c.reconnects(), "never disconnected for exceeding the Receive Maximum (0x93)");
    }
}
