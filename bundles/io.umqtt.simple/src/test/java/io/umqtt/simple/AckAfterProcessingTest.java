package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.AckHold;
import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.testing.Closer;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * {@link MqttClient#setAckAfterProcessing(boolean)}: the wire order of PUBACKs against a scripted
 * broker, redelivery and the in-flight window against mosquitto. Every wait is bounded; "not
 * sent" is shown by a later packet arriving first on the same ordered stream.
 */
@Timeout(value = 30, unit = SECONDS)
class AckAfterProcessingTest {
    private static final String RUN = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final Closer toClose = new Closer();

    @AfterEach
    void closeAll() {
        toClose.close();
    }

    private <T extends AutoCloseable> T track(T c) {
        return toClose.add(c);
    }

    private static byte[] publishQos1(String topic, int id, String payload) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        int rem = 2 + t.length + 2 + p.length;
        byte[] b = new byte[2 + rem];
        b[0] = 0x32;
        b[1] = (byte) rem;
        b[2] = (byte) (t.length >> 8);
        b[3] = (byte) t.length;
        System.arraycopy(t, 0, b, 4, t.length);
        b[4 + t.length] = (byte) (id >> 8);
        b[5 + t.length] = (byte) id;
        System.arraycopy(p, 0, b, 6 + t.length, p.length);
        return b;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** Runs the client's loop on a thread; returns how it ended. */
    private static CompletableFuture<Throwable> loopOnThread(MqttClient c) {
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

    // ------------------------------------------------------------------ wire order (scripted broker)

    @Test
    void acksReleasedOutOfOrderAreWrittenInReceiveOrder() throws Exception {
        ScriptedBroker broker = track(new ScriptedBroker());
        MqttClient c = track(new MqttClient("ordered", "127.0.0.1", broker.port()));
        c.setAckAfterProcessing(true);
        BlockingQueue<AckHold> holds = new LinkedBlockingQueue<>();
        c.setCallback((topic, msg, retain, dup, qos) -> holds.add(c.holdAck())); // handed on, as to a pool
        CompletableFuture<Boolean> connected = CompletableFuture.supplyAsync(() -> {
            try {
                return c.connect(true);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Peer peer = track(broker.accept());
        peer.acceptConnect();
        connected.get(10, SECONDS);
        CompletableFuture<Throwable> loop = loopOnThread(c);

        peer.write(publishQos1("t", 1, "a"), publishQos1("t", 2, "b"), publishQos1("t", 3, "c"));
        AckHold first = holds.poll(10, SECONDS);
        AckHold second = holds.poll(10, SECONDS);
        AckHold third = holds.poll(10, SECONDS);
        assertNotNull(third, "three messages delivered");

        third.release(); // "async handlers" finishing out of order: 3, then 2
        second.release();
        c.ping(); // a packet written after those releases: it must come before any PUBACK
        assertEquals("c000", hex(peer.readPacket()), "no PUBACK may precede the one of packet id 1");

        first.release();
        assertEquals("40020001", hex(peer.readPacket()));
        assertEquals("40020002", hex(peer.readPacket()));
        assertEquals("40020003", hex(peer.readPacket()));
        assertFalse(loop.isDone(), () -> "the loop still runs: " + loop.getNow(null));
    }

    @Test
    void callbackReturningNormallyIsAcknowledgedAtOnceAndTwoHoldsBothCount() throws Exception {
        ScriptedBroker broker = track(new ScriptedBroker());
        MqttClient c = track(new MqttClient("two-holds", "127.0.0.1", broker.port()));
        c.setAckAfterProcessing(true);
        BlockingQueue<AckHold> holds = new LinkedBlockingQueue<>();
        c.setCallback((topic, msg, retain, dup, qos) -> {
            if (msg[0] == 'h') { // two handlers on other threads
                holds.add(c.holdAck());
                holds.add(c.holdAck());
            }
        });
        CompletableFuture<Boolean> connected = CompletableFuture.supplyAsync(() -> {
            try {
                return c.connect(true);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Peer peer = track(broker.accept());
        peer.acceptConnect();
        connected.get(10, SECONDS);
        loopOnThread(c);

        peer.write(publishQos1("t", 7, "plain"));
        assertEquals("40020007", hex(peer.readPacket()), "returned normally, no hold: acknowledged");

        peer.write(publishQos1("t", 8, "held"));
        AckHold a = holds.poll(10, SECONDS);
        AckHold b = holds.poll(10, SECONDS);
        a.release();
        a.release(); // settled once: the second release does not count for b
        c.ping();
        assertEquals("c000", hex(peer.readPacket()), "one of two holds released: no PUBACK yet");
        b.release();
        assertEquals("40020008", hex(peer.readPacket()));
    }

    @Test
    void callbackThrowingClosesTheConnectionWithoutAck() throws Exception {
        ScriptedBroker broker = track(new ScriptedBroker());
        MqttClient c = track(new MqttClient("throws", "127.0.0.1", broker.port()));
        c.setAckAfterProcessing(true);
        c.setCallback((topic, msg, retain, dup, qos) -> {
            throw new IllegalStateException("handler broke");
        });
        CompletableFuture<Boolean> connected = CompletableFuture.supplyAsync(() -> {
            try {
                return c.connect(false);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Peer peer = track(broker.accept());
        peer.acceptConnect();
        connected.get(10, SECONDS);
        CompletableFuture<Throwable> loop = loopOnThread(c);

        peer.write(publishQos1("t", 5, "x"));

        Throwable ended = loop.get(10, SECONDS);
        assertTrue(ended instanceof IOException, () -> "the loop ends with the connection's failure: " + ended);
        assertTrue(ended.getMessage().contains("packet id 5 is not acknowledged"), ended::getMessage);
        assertTrue(ended.getCause() instanceof IllegalStateException, "the callback's exception is the cause");
        assertSame(ended, c.failure());
        assertTrue(peer.awaitClosed(10_000), "connection closed");
        assertFalse(c.isConnected());
    }

    @Test
    void defaultModeAcknowledgesAThrowingCallbackAsBeforeAndRefusesHolds() throws Exception {
        ScriptedBroker broker = track(new ScriptedBroker());
        MqttClient c = track(new MqttClient("default", "127.0.0.1", broker.port()));
        assertFalse(c.ackAfterProcessing());
        List<Throwable> holdRefused = new ArrayList<>();
        c.setCallback((topic, msg, retain, dup, qos) -> {
            try {
                c.holdAck();
            } catch (IllegalStateException e) {
                holdRefused.add(e);
            }
            throw new IllegalStateException("handler broke");
        });
        CompletableFuture<Boolean> connected = CompletableFuture.supplyAsync(() -> {
            try {
                return c.connect(true);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Peer peer = track(broker.accept());
        peer.acceptConnect();
        connected.get(10, SECONDS);
        loopOnThread(c);

        peer.write(publishQos1("t", 9, "x"));
        assertEquals("40020009", hex(peer.readPacket()), "acknowledged although the callback threw");
        assertTrue(c.isConnected());
        assertEquals(1, holdRefused.size());
        assertTrue(holdRefused.get(0).getMessage().contains("setAckAfterProcessing(true)"),
                holdRefused.get(0).getMessage());
    }

    @Test
    void holdAckOutsideTheCallbackIsRefused() {
        MqttClient c = new MqttClient("outside", "127.0.0.1", 1);
        c.setAckAfterProcessing(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, c::holdAck);
        assertTrue(e.getMessage().contains("outside the message callback"), e.getMessage());
    }

    // ------------------------------------------------------------------ against mosquitto

    private static String id(String what) {
        return "ackproc-" + what + "-" + RUN + "-" + SEQ.incrementAndGet();
    }

    /** A QoS 2 PUBLISH ({@code dup}: resent), built like {@link #publishQos1}. */
    private static byte[] publishQos2(String topic, int id, String payload, boolean dup) {
        byte[] b = publishQos1(topic, id, payload);
        b[0] = (byte) (dup ? 0x3C : 0x34);
        return b;
    }

    @Test
    void pubrecsFollowTheSameOrderAndADuplicateWaitsBehindItsOriginal() throws Exception {
        ScriptedBroker broker = track(new ScriptedBroker());
        MqttClient c = track(new MqttClient("ordered2", "127.0.0.1", broker.port()));
        c.setAckAfterProcessing(true);
        BlockingQueue<AckHold> holds = new LinkedBlockingQueue<>();
        List<String> delivered = java.util.Collections.synchronizedList(new ArrayList<>());
        c.setCallback((topic, msg, retain, dup, qos) -> {
            delivered.add(new String(msg, StandardCharsets.UTF_8) + " qos" + qos);
            holds.add(c.holdAck());
        });
        CompletableFuture<Boolean> connected = CompletableFuture.supplyAsync(() -> {
            try {
                return c.connect(true);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Peer peer = track(broker.accept());
        peer.acceptConnect();
        connected.get(10, SECONDS);
        CompletableFuture<Throwable> loop = loopOnThread(c);

        // QoS 1 id 1, QoS 2 id 2, then id 2 again (DUP) before any ack: delivered twice in all
        peer.write(publishQos1("t", 1, "a"), publishQos2("t", 2, "b", false), publishQos2("t", 2, "b", true));
        AckHold first = holds.poll(10, SECONDS);
        AckHold second = holds.poll(10, SECONDS);
        assertNotNull(second, "two messages delivered");

        second.release(); // the QoS 2 message is done, the QoS 1 before it is not
        c.ping();
        assertEquals("c000", hex(peer.readPacket()), "no PUBREC (nor the duplicate's) before the PUBACK of id 1");

        first.release();
        assertEquals("40020001", hex(peer.readPacket()), "PUBACK of id 1");
        assertEquals("50020002", hex(peer.readPacket()), "PUBREC of id 2 after processing");
        assertEquals("50020002", hex(peer.readPacket()), "the duplicate's PUBREC, in its place");
        assertEquals(List.of("a qos1", "b qos2"), delivered, "the duplicate is not delivered again");
        assertFalse(loop.isDone(), () -> "the loop still runs: " + loop.getNow(null));
    }

    @Test
    void failedQos2CallbackMessageIsDeliveredAgainAfterReconnectNotTakenForADuplicate() throws Exception {
        MosquittoBroker broker = track(MosquittoBroker.start());
        String topic = "ackproc/" + RUN + "/redeliver2";
        MqttClient sub = track(new MqttClient(id("sub2"), broker.host(), broker.port()));
        sub.setAckAfterProcessing(true);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        AtomicBoolean fail = new AtomicBoolean(true);
        sub.setCallback((t, msg, retain, dup, qos) -> {
            seen.add(new String(msg, StandardCharsets.UTF_8) + (dup ? " dup" : "") + " qos" + qos);
            if (fail.get()) {
                throw new IllegalStateException("processing failed");
            }
        });
        assertFalse(sub.connect(false));
        assertEquals(2, sub.subscribe(new String[] {topic}, new int[] {2})[0]);
        CompletableFuture<Throwable> loop = loopOnThread(sub);

        MqttClient pub = track(new MqttClient(id("pub2"), broker.host(), broker.port()));
        pub.connect(true);
        pub.publish(topic, "m2", false, 2);

        assertEquals("m2 qos2", seen.poll(10, SECONDS));
        Throwable ended = loop.get(10, SECONDS);
        assertTrue(ended instanceof IOException && ended.getCause() instanceof IllegalStateException,
                () -> "the failing callback closed the connection without PUBREC: " + ended);

        fail.set(false);
        assertTrue(sub.connect(false), "the session was kept");
        loopOnThread(sub);
        assertEquals("m2 dup qos2", seen.poll(10, SECONDS),
                "the broker's resend is delivered: its PUBREC was never written, so it is no duplicate");
        pub.publish(topic, "marker", false, 0);
        assertEquals("marker qos0", seen.poll(10, SECONDS), "nothing else in between");
    }

    @Test
    void failedCallbackMessageIsRedeliveredAfterReconnectWithSession() throws Exception {
        MosquittoBroker broker = track(MosquittoBroker.start());
        String topic = "ackproc/" + RUN + "/redeliver";
        MqttClient sub = track(new MqttClient(id("sub"), broker.host(), broker.port()));
        sub.setAckAfterProcessing(true);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        AtomicBoolean fail = new AtomicBoolean(true);
        sub.setCallback((t, msg, retain, dup, qos) -> {
            seen.add(new String(msg, StandardCharsets.UTF_8) + (dup ? " dup" : "") + " qos" + qos);
            if (fail.get()) {
                throw new IllegalStateException("processing failed");
            }
        });
        assertFalse(sub.connect(false));
        sub.subscribe(topic, 1);
        CompletableFuture<Throwable> loop = loopOnThread(sub);

        MqttClient pub = track(new MqttClient(id("pub"), broker.host(), broker.port()));
        pub.connect(true);
        pub.publish(topic, "m1", false, 1);

        assertEquals("m1 qos1", seen.poll(10, SECONDS));
        Throwable ended = loop.get(10, SECONDS);
        assertTrue(ended instanceof IOException && ended.getCause() instanceof IllegalStateException,
                () -> "the failing callback closed the connection: " + ended);

        fail.set(false);
        assertTrue(sub.connect(false), "the session was kept");
        loop = loopOnThread(sub);
        assertEquals("m1 dup qos1", seen.poll(10, SECONDS), "redelivered after the reconnect");
        // its callback returned: acknowledged (before the next message's callback, or with DISCONNECT
        // at the latest); a further reconnect brings nothing again, shown by markers sent later
        pub.publish(topic, "marker", false, 0);
        assertEquals("marker qos0", seen.poll(10, SECONDS));
        sub.disconnect();
        assertTrue(loop.get(10, SECONDS) == null);
        assertTrue(sub.connect(false));
        loopOnThread(sub);
        pub.publish(topic, "marker2", false, 0);
        assertEquals("marker2 qos0", seen.poll(10, SECONDS), "m1 was acknowledged the second time");
    }

    @Test
    void defaultModeDoesNotRedeliverAfterAThrowingCallback() throws Exception {
        MosquittoBroker broker = track(MosquittoBroker.start());
        String topic = "ackproc/" + RUN + "/default";
        MqttClient sub = track(new MqttClient(id("sub"), broker.host(), broker.port()));
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        sub.setCallback((t, msg, retain, dup, qos) -> {
            seen.add(new String(msg, StandardCharsets.UTF_8));
            throw new IllegalStateException("processing failed");
        });
        sub.connect(false);
        sub.subscribe(topic, 1);
        MqttClient pub = track(new MqttClient(id("pub"), broker.host(), broker.port()));
        pub.connect(true);
        pub.publish(topic, "m1", false, 1);
        assertThrows(IllegalStateException.class, sub::waitMsg, "the callback's exception reaches the loop step");
        assertEquals("m1", seen.poll());
        assertTrue(sub.isConnected(), "the connection stays");
        sub.close();

        assertTrue(sub.connect(false));
        sub.setCallback((t, msg, retain, dup, qos) -> seen.add(new String(msg, StandardCharsets.UTF_8)));
        pub.publish(topic, "marker", false, 1);
        loopOnThread(sub);
        assertEquals("marker", seen.poll(10, SECONDS), "m1 was acknowledged: not redelivered");
    }

    @Test
    void heldAcksFillTheBrokersInflightWindowUntilReleased() throws Exception {
        MosquittoBroker broker = track(MosquittoBroker.builder().config("max_inflight_messages 2").start());
        String topic = "ackproc/" + RUN + "/window";
        MqttClient sub = track(new MqttClient(id("sub"), broker.host(), broker.port()));
        sub.setAckAfterProcessing(true);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        List<AckHold> holds = new ArrayList<>();
        CountDownLatch twoHeld = new CountDownLatch(2);
        sub.setCallback((t, msg, retain, dup, qos) -> {
            seen.add(new String(msg, StandardCharsets.UTF_8));
            if (qos == 1) {
                synchronized (holds) {
                    holds.add(sub.holdAck()); // a slow handler: not done yet
                }
                twoHeld.countDown();
            }
        });
        sub.connect(false);
        sub.subscribe(topic, 1);
        loopOnThread(sub);

        MqttClient pub = track(new MqttClient(id("pub"), broker.host(), broker.port()));
        pub.connect(true);
        for (int i = 1; i <= 5; i++) {
            pub.publish(topic, "q1-" + i, false, 1);
        }
        assertTrue(twoHeld.await(10, TimeUnit.SECONDS));
        pub.publish(topic, "q0-marker", false, 0); // QoS 0 is not held by the window
        assertEquals("q1-1", seen.poll(10, SECONDS));
        assertEquals("q1-2", seen.poll(10, SECONDS));
        assertEquals("q0-marker", seen.poll(10, SECONDS),
                "the broker sent no third QoS 1 message while two awaited their ack");

        List<AckHold> first;
        synchronized (holds) {
            first = new ArrayList<>(holds);
        }
        first.forEach(AckHold::release); // the slow handler is done with both: the window opens
        assertEquals("q1-3", seen.poll(10, SECONDS));
        assertEquals("q1-4", seen.poll(10, SECONDS));
        assertTrue(sub.isConnected());
    }
}
