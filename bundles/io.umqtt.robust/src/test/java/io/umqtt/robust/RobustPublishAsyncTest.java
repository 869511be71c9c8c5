package io.umqtt.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.testing.FreePort;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;

/**
 * {@link RobustMqttClient#publishAsync} against mosquitto: each outcome of its token (acknowledged
 * while connected, queued while disconnected and completed after the reconnect, resent after a
 * lost connection and completed once, dropped by the queue's policy, the client closed).
 */
class RobustPublishAsyncTest {
    private static MosquittoBroker broker;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final Semaphore connected = new Semaphore(0);

    @BeforeAll
    static void startBroker() throws IOException {
        broker = MosquittoBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <C extends RobustMqttClient> C robust(C c, int keepAlive) {
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        c.setAckTimeout(20_000); // each await() below waits at most this long
        c.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                connected.release();
            }
        });
        closeables.add(c);
        return c;
    }

    private ReceivingClient subscriber(String id, String filter) throws Exception {
        MqttClient c = new MqttClient(id, broker.host(), broker.port());
        ReceivingClient r = ReceivingClient.connect(c, true);
        c.subscribe(filter, 1);
        closeables.add(r);
        return r;
    }

    private void awaitConnected() throws InterruptedException {
        assertTrue(connected.tryAcquire(15, TimeUnit.SECONDS), "client did not connect within 15 s");
    }

    @Test
    void whileConnectedATokenCompletesOnItsPubackAtQos1AndWhenWrittenAtQos0() throws Exception {
        ReceivingClient sub = subscriber("async-up-sub", "async/up");
        RobustMqttClient c = robust(new RobustMqttClient("async-up", broker.host(), broker.port(), null, null, 5, null),
                5);
        c.start("async-up");
        awaitConnected();
        PublishToken one = c.publishAsync("async/up", "one", false, 1);
        PublishToken zero = c.publishAsync("async/up", "zero", false, 0);
        one.await();
        assertTrue(one.isDone());
        assertNull(one.failure());
        assertTrue(one.packetId() != 0);
        assertTrue(zero.isDone(), "QoS 0: complete once written");
        assertNull(zero.failure());
        assertEquals("one", sub.next().payloadString());
        assertEquals("zero", sub.next().payloadString());
        assertEquals(0, c.queued());
    }

    @Test
    void aMessageQueuedWhileDisconnectedCompletesItsTokenAfterTheReconnect() throws Exception {
        int port = FreePort.pick();
        CountDownLatch subscriberReady = new CountDownLatch(1);
        RobustMqttClient c = robust(new RobustFaultsTest.GatedClient("async-queued", port, subscriberReady), 5);
        c.start("async-queued");
        PublishToken one = c.publishAsync("async/q", "one", false, 1);
        PublishToken zero = c.publishAsync("async/q", "zero", false, 0);
        assertFalse(one.isDone(), "queued: " + one);
        assertFalse(zero.isDone(), "queued: " + zero);
        assertEquals(2, c.queued());
        try (MosquittoBroker late = MosquittoBroker.builder().port(port).start()) {
            MqttClient s = new MqttClient("async-queued-sub", late.host(), late.port());
            ReceivingClient sub = ReceivingClient.connect(s, true);
            s.subscribe("async/q", 1);
            subscriberReady.countDown();
            one.await();
            zero.await();
            assertNull(one.failure());
            assertNull(zero.failure());
            assertEquals("one", sub.next().payloadString());
            assertEquals("zero", sub.next().payloadString());
            assertEquals(0, c.queued());
            sub.close();
            c.close();
        }
    }

    @Test
    void whenTheCallerDrivesAwaitReconnectsAndSendsTheQueue() throws Exception {
        ReceivingClient sub = subscriber("async-caller-sub", "async/caller");
        RobustMqttClient c = robust(new RobustMqttClient("async-caller", broker.host(), broker.port(), null, null, 5,
                null), 5);
        PublishToken token = c.publishAsync("async/caller", "m", false, 1); // never connected: queued, no reconnect
        assertFalse(token.isDone());
        assertFalse(c.isConnected(), "publishAsync does not reconnect on the caller's thread");
        assertEquals(1, c.queued());
        token.await(); // caller-driven: reconnects, which sends the queue, then the PUBACK completes it
        assertNull(token.failure());
        assertTrue(c.isConnected());
        assertEquals("m", sub.next().payloadString());
    }

    @Test
    void aMessageLostWithItsConnectionIsResentAndItsTokenCompletesOnce() throws Exception {
        FaultProxy proxy = new FaultProxy(broker.host(), broker.port());
        closeables.add(proxy);
        ReceivingClient sub = subscriber("async-lost-sub", "async/lost");
        RobustMqttClient c = robust(new RobustMqttClient("async-lost", "127.0.0.1", proxy.port(), null, null, 1, null),
                1);
        c.start("async-lost");
        awaitConnected();
        proxy.inject(FaultProxy.Fault.STALL); // the PUBLISH never reaches the broker; keepalive declares it dead
        PublishToken token = c.publishAsync("async/lost", "m", false, 1);
        awaitConnected(); // the next connection, which resends it
        token.await();
        assertTrue(token.isDone());
        assertNull(token.failure());
        assertEquals(1, c.resent());
        c.publish("async/lost", "probe", false, 1);
        assertEquals("m", sub.next().payloadString());
        assertEquals("probe", sub.next().payloadString(), "the message once, then the probe");
    }

    @Test
    void aMessageDroppedByTheQueuePolicyFailsItsTokenNamingTheConnection() throws Exception {
        int nobody = FreePort.pick();
        RobustMqttClient oldest = robust(new RobustMqttClient("async-drop-oldest", "127.0.0.1", nobody, null, null, 5,
                null, OfflineQueueSettings.of(1, 1_000_000, OverflowPolicy.DROP_OLDEST)), 5);
        PublishToken first = oldest.publishAsync("async/d", "first", false, 1);
        PublishToken second = oldest.publishAsync("async/d", "second", false, 1);
        assertTrue(first.isDone(), "dropped to make room: " + first);
        IOException why = assertThrows(IOException.class, first::await);
        assertInstanceOf(OfflineQueueFullException.class, why);
        assertSame(why, first.failure());
        assertEquals("MQTT client async-drop-oldest: message to 'async/d' dropped as the oldest message of the full "
                + "offline queue (policy DROP_OLDEST)", why.getMessage());
        assertFalse(second.isDone());
        assertEquals(1, oldest.queued());
        assertEquals(1, oldest.dropped());

        RobustMqttClient newest = robust(new RobustMqttClient("async-reject", "127.0.0.1", nobody, null, null, 5,
                null, OfflineQueueSettings.of(1, 1_000_000, OverflowPolicy.REJECT_NEWEST)), 5);
        PublishToken kept = newest.publishAsync("async/r", "kept", false, 1);
        PublishToken refused = newest.publishAsync("async/r", "refused", false, 1);
        assertFalse(kept.isDone());
        assertTrue(refused.isDone());
        assertInstanceOf(OfflineQueueFullException.class, refused.failure());
        assertTrue(refused.failure().getMessage().startsWith("MQTT client async-reject: message to 'async/r' refused: "
                + "offline queue full (1/1 messages"), refused.failure().getMessage());
        assertEquals(1, newest.dropped());
    }

    @Test
    void closingFailsTheTokensOfMessagesNotYetDelivered() throws Exception {
        RobustMqttClient c = robust(new RobustMqttClient("async-closed", "127.0.0.1", FreePort.pick(), null, null, 5,
                null), 5);
        c.start("async-closed");
        PublishToken token = c.publishAsync("async/c", "m", false, 1);
        assertFalse(token.isDone());
        c.close();
        assertTrue(token.isDone());
        IOException why = assertThrows(IOException.class, token::await);
        assertTrue(why.getMessage().startsWith("MQTT client async-closed was closed before its message was delivered"),
                why.getMessage());
        assertEquals(1, c.queued(), "the message itself stays queued for the next connect");
        IOException after = assertThrows(IOException.class, () -> c.publishAsync("async/c", "late", false, 1));
        assertEquals("client async-closed is closed", after.getMessage());
    }
}
