package io.umqtt.simple.connection;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.AckHold;
import io.umqtt.api.MatchingListener;
import io.umqtt.api.MqttMessage;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.testing.Closer;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * {@code ack.after.processing} in the connection service: listeners hold the ack through
 * {@link MqttMessage#holdAck()} (as the whiteboard does), a listener that throws closes the
 * connection without the ack, and the default hands out no hold.
 */
@Timeout(value = 30, unit = SECONDS)
class AckAfterProcessingConnectionTest {
    private static final String RUN = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    private final Closer toClose = new Closer();

    @AfterEach
    void closeAll() {
        toClose.close();
    }

    private <T extends AutoCloseable> T track(T c) {
        return toClose.add(c);
    }

    private static MqttClient client(String id, int port, boolean ackAfterProcessing) {
        return ConnectionSettings.builder("io.umqtt.simple~" + id).server("127.0.0.1").port(port).clientId(id)
                .cleanSession(!ackAfterProcessing).ackAfterProcessing(ackAfterProcessing).build().newClient();
    }

    private static CompletableFuture<Throwable> loop(MqttClient c) {
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                c.loop();
                ended.complete(null);
            } catch (Throwable e) {
                ended.complete(e);
            }
        }, "loop-" + c.clientId());
        t.setDaemon(true);
        t.start();
        return ended;
    }

    /** A listener that holds the ack of each message and hands the hold to the test (a handler queue). */
    private static final class Holding implements MatchingListener {
        final BlockingQueue<AckHold> holds = new LinkedBlockingQueue<>();
        final BlockingQueue<MqttMessage> messages = new LinkedBlockingQueue<>();

        @Override
        public void messageArrived(MqttMessage message) {
            route(message);
        }

        @Override
        public boolean route(MqttMessage message) {
            messages.add(message);
            holds.add(message.holdAck());
            return true;
        }
    }

    @Test
    void listenersHoldTheAckAndAcksLeaveInReceiveOrder() throws Exception {
        ScriptedBroker broker = track(new ScriptedBroker());
        MqttClient c = track(client("held", broker.port(), true));
        ClientConnection conn = new ClientConnection("held", c);
        Holding holding = new Holding();
        CompletableFuture<Boolean> connected = CompletableFuture.supplyAsync(() -> {
            try {
                return c.connect(false);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Peer peer = track(broker.accept());
        peer.acceptConnect();
        connected.get(10, SECONDS);
        CompletableFuture<Integer> subscribed = CompletableFuture.supplyAsync(() -> {
            try {
                return conn.subscribe("t/#", 1, holding);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] subscribe = peer.readPacket();
        peer.write(new byte[] {(byte) 0x90, 0x03, subscribe[2], subscribe[3], 1});
        assertEquals(1, subscribed.get(10, SECONDS)); // that subscribe read the SUBACK itself
        CompletableFuture<Throwable> ended = loop(c);

        peer.write(publish(1, "a"), publish(2, "b"));
        AckHold first = holding.holds.poll(10, SECONDS);
        AckHold second = holding.holds.poll(10, SECONDS);
        assertNotNull(second);
        second.release();
        c.ping();
        assertEquals("c000", HexFormat.of().formatHex(peer.readPacket()), "the second waits for the first");
        first.release();
        assertEquals("40020001", HexFormat.of().formatHex(peer.readPacket()));
        assertEquals("40020002", HexFormat.of().formatHex(peer.readPacket()));
        assertEquals(2, holding.messages.size());
        assertFalse(ended.isDone());
    }

    private static byte[] publish(int id, String payload) {
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[2 + 2 + 3 + 2 + p.length];
        b[0] = 0x32;
        b[1] = (byte) (b.length - 2);
        b[3] = 3;
        b[4] = 't';
        b[5] = '/';
        b[6] = 'x';
        b[7] = (byte) (id >> 8);
        b[8] = (byte) id;
        System.arraycopy(p, 0, b, 9, p.length);
        return b;
    }

    @Test
    void aListenerThatThrowsGetsTheMessageAgainAfterTheReconnect() throws Exception {
        MosquittoBroker broker = track(MosquittoBroker.start());
        String topic = "ackproc/" + RUN + "/conn";
        MqttClient c = track(client("ackproc-conn-" + RUN, broker.port(), true));
        ClientConnection conn = new ClientConnection("conn", c);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        BlockingQueue<String> others = new LinkedBlockingQueue<>();
        AtomicBoolean fail = new AtomicBoolean(true);
        assertFalse(c.connect(false));
        conn.subscribe(topic, 1, m -> {
            seen.add(new String(m.payload(), StandardCharsets.UTF_8) + (m.dup() ? " dup" : ""));
            if (fail.get()) {
                throw new IllegalStateException("listener broke");
            }
        });
        conn.subscribe(topic, 1, m -> others.add(new String(m.payload(), StandardCharsets.UTF_8)));
        CompletableFuture<Throwable> ended = loop(c);
        MqttClient pub = track(new MqttClient("ackproc-connpub-" + RUN, broker.host(), broker.port()));
        pub.connect(true);
        pub.publish(topic, "m1", false, 1);

        assertEquals("m1", seen.poll(10, SECONDS));
        assertEquals("m1", others.poll(10, SECONDS), "the other listener still got it");
        Throwable e = ended.get(10, SECONDS);
        assertTrue(e instanceof IOException, () -> "connection closed: " + e);
        assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getCause().getMessage()
                .equals("listener broke"), () -> "names the listener's failure: " + e.getCause());
        assertEquals(1, conn.listenerFailures());

        fail.set(false);
        assertTrue(c.connect(false), "session kept");
        loop(c);
        assertEquals("m1 dup", seen.poll(10, SECONDS), "redelivered");
        assertEquals("m1", others.poll(10, SECONDS), "to every listener again: at least once");
    }

    @Test
    void theDefaultHandsOutNoHoldAndKeepsTheConnectionWhenAListenerThrows() throws Exception {
        MosquittoBroker broker = track(MosquittoBroker.start());
        String topic = "ackproc/" + RUN + "/default";
        MqttClient c = track(client("ackproc-default-" + RUN, broker.port(), false));
        ClientConnection conn = new ClientConnection("default", c);
        BlockingQueue<Object> holds = new LinkedBlockingQueue<>();
        c.connect(true);
        conn.subscribe(topic, 1, m -> {
            AckHold h = m.holdAck();
            holds.add(h == null ? "none" : h);
            throw new IllegalStateException("listener broke");
        });
        CompletableFuture<Throwable> ended = loop(c);
        MqttClient pub = track(new MqttClient("ackproc-defpub-" + RUN, broker.host(), broker.port()));
        pub.connect(true);
        pub.publish(topic, "m1", false, 1);
        pub.publish(topic, "m2", false, 1);
        assertEquals("none", holds.poll(10, SECONDS));
        assertEquals("none", holds.poll(10, SECONDS), "the connection went on");
        assertTrue(c.isConnected());
        assertFalse(ended.isDone());
        assertNull(c.failure());
        assertSame(c, conn.client());
    }
}
