package io.umqtt.robust;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;

/** What the robust client puts on the wire around a reconnect, byte by byte. */
class RobustScriptedTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private RobustMqttClient client;

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        broker.close();
        pool.shutdownNow();
    }

    private Future<?> runForever() {
        client = new RobustMqttClient("robust", "127.0.0.1", broker.port(), null, null, 0, null);
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        return pool.submit(() -> {
            client.runForever();
            return null;
        });
    }

    private static int packetId(byte[] publish) {
        int topicLength = ((publish[2] & 0xFF) << 8) | (publish[3] & 0xFF);
        int at = 4 + topicLength;
        return ((publish[at] & 0xFF) << 8) | (publish[at + 1] & 0xFF);
    }

    @ParameterizedTest(name = "session present {0}")
    @ValueSource(booleans = {true, false})
    void aPublishAsyncTokenFollowsItsMessageThroughTheResendAndCompletesOnce(boolean sessionPresent) throws Exception {
        client = new RobustMqttClient("robust", "127.0.0.1", broker.port(), null, null, 0, null);
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        client.setCleanSession(false);
        CountDownLatch up = new CountDownLatch(1);
        client.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sp) {
                up.countDown();
            }
        });
        Future<?> running = pool.submit(() -> {
            client.runForever();
            return null;
        });
        Peer first = broker.accept();
        first.acceptConnect();
        assertTrue(up.await(10, TimeUnit.SECONDS));

        io.umqtt.simple.PublishToken token = client.publishAsync("t", "m", false, 1);
        byte[] original = first.readPacket();
        assertEquals(0x32, original[0] & 0xFF, "QoS 1, no DUP");
        int id = packetId(original);
        first.close(); // dies before the PUBACK: the token must not fail

        Peer second = broker.accept();
        second.readPacket();
        second.write(ScriptedBroker.connack(sessionPresent ? 1 : 0, 0));
        byte[] resent = second.readPacket();
        if (sessionPresent) {
            assertEquals(0x3A, resent[0] & 0xFF, "DUP | QoS 1");
            assertEquals(id, packetId(resent), "same packet id in the surviving session");
        } else {
            assertEquals(0x32, resent[0] & 0xFF, "a new message in a new session: no DUP");
        }
        assertTrue(!token.isDone(), "not complete before its PUBACK: " + token);
        second.write(bytes(0x40, 0x02, packetId(resent) >> 8, packetId(resent) & 0xFF));
        token.await();
        assertTrue(token.isDone());
        assertEquals(null, token.failure());
        assertEquals(packetId(resent), token.packetId());
        // sent once more, not twice: the next packet after the resend is a probe's
        Future<?> probe = pool.submit(() -> {
            client.publish("t", "probe", false, 1);
            return null;
        });
        byte[] p = second.readPacket();
        assertEquals('p', p[p.length - 5], "the probe, not a second resend");
        second.write(bytes(0x40, 0x02, packetId(p) >> 8, packetId(p) & 0xFF));
        probe.get(10, TimeUnit.SECONDS);
        client.close();
        running.get(10, TimeUnit.SECONDS);
        assertEquals(1, client.resent());
        assertEquals(0, client.queued());
        assertEquals(null, token.failure(), "closing after completion does not fail it");
    }

    @Test
    void aFailedFirstConnectIsRetriedWithTheConfiguredCleanSession() throws Exception {
        Future<?> running = runForever();
        // the first connect fails at the broker's end: the client retries (umqtt.robust does not protect it)
        Peer refused = broker.accept();
        refused.close();
        Peer first = broker.accept();
        byte[] connect = first.readPacket();
        assertEquals(0x02, connect[9], "clean session as configured (default on)");
        first.write(ScriptedBroker.connack(0, 0));
        client.disconnect();
        running.get(10, TimeUnit.SECONDS);
        assertEquals(0, client.reconnects(), "a first connect that needed two attempts is not a reconnect");
        assertEquals(2, client.connectAttempts());
    }

    @ParameterizedTest(name = "session present {0}")
    @ValueSource(booleans = {true, false})
    void anUnackedQos1PublishIsResentAfterReconnect(boolean sessionPresent) throws Exception {
        client = new RobustMqttClient("robust", "127.0.0.1", broker.port(), null, null, 0, null);
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        client.setCleanSession(false);
        CountDownLatch up = new CountDownLatch(1);
        client.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sp) {
                up.countDown();
            }
        });
        Future<?> running = pool.submit(() -> {
            client.runForever();
            return null;
        });
        Peer second = broker.accept();
        assertEquals(0x00, second.readPacket()[9], "clean session off as configured");
        second.write(ScriptedBroker.connack(0, 0));
        assertTrue(up.await(10, TimeUnit.SECONDS));

        Future<?> publishing = pool.submit(() -> {
            client.publish("t", "m", false, 1);
            return null;
        });
        byte[] original = second.readPacket();
        assertEquals(0x32, original[0] & 0xFF, "QoS 1, no DUP");
        int id = packetId(original);
        second.close(); // dies before the PUBACK

        Peer third = broker.accept();
        assertEquals(0x00, third.readPacket()[9], "reconnect honours clean session off (umqtt.robust forces it)");
        third.write(ScriptedBroker.connack(sessionPresent ? 1 : 0, 0));
        byte[] resent = third.readPacket();
        if (sessionPresent) {
            assertEquals(0x3A, resent[0] & 0xFF, "DUP | QoS 1");
            assertEquals(id, packetId(resent), "same packet id in the surviving session");
        } else {
            assertEquals(0x32, resent[0] & 0xFF, "a new message in a new session: no DUP");
        }
        third.write(bytes(0x40, 0x02, packetId(resent) >> 8, packetId(resent) & 0xFF));
        publishing.get(10, TimeUnit.SECONDS);
        // a probe behind the resend's PUBACK in the stream: once it is acknowledged, so is the resend
        Future<?> probe = pool.submit(() -> {
            client.publish("t", "probe", false, 1);
            return null;
        });
        byte[] p = third.readPacket();
        third.write(bytes(0x40, 0x02, packetId(p) >> 8, packetId(p) & 0xFF));
        probe.get(10, TimeUnit.SECONDS);
        client.close();
        running.get(10, TimeUnit.SECONDS);
        assertEquals(1, client.resent());
        assertEquals(1, client.reconnects());
        assertEquals(0, client.queued());
    }

    @Test
    void subscriptionsAreRestoredOnlyWhenTheSessionIsGone() throws Exception {
        client = new RobustMqttClient("robust", "127.0.0.1", broker.port(), null, null, 0, null);
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        client.setCleanSession(false);
        Future<?> running = pool.submit(() -> {
            client.runForever();
            return null;
        });
        CountDownLatch up = new CountDownLatch(1);
        client.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                up.countDown();
            }
        });
        Peer first = broker.accept();
        first.acceptConnect();
        assertTrue(up.await(10, TimeUnit.SECONDS));
        Future<Integer> sub = pool.submit(() -> client.subscribe("a/+", 1));
        byte[] subscribe = first.readPacket();
        first.write(bytes(0x90, 0x03, subscribe[2], subscribe[3], 0x01));
        assertEquals(1, sub.get(10, TimeUnit.SECONDS));
        first.close();

        // no session: the remembered subscription is made again
        Peer second = broker.accept();
        second.readPacket();
        second.write(ScriptedBroker.connack(0, 0));
        byte[] again = second.readPacket();
        assertArrayEquals(bytes(0x82, 0x08, again[2], again[3], 0x00, 0x03, 'a', '/', '+', 0x01), again);
        second.write(bytes(0x90, 0x03, again[2], again[3], 0x01));
        second.close();

        // session present: the broker still has it, nothing is sent; the next packet is our PINGREQ
        Peer third = broker.accept();
        third.readPacket();
        third.write(ScriptedBroker.connack(1, 0));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!client.isConnected() && System.nanoTime() < until) {
            Thread.onSpinWait();
        }
        client.ping();
        assertArrayEquals(bytes(0xC0, 0x00), third.readPacket(), "no SUBSCRIBE in a surviving session");
        client.close();
        running.get(10, TimeUnit.SECONDS);
        assertEquals(2, client.reconnects());
        assertTrue(client.subscriptions().containsKey("a/+"));
    }
}
