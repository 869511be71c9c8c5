package io.umqtt.simple;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;
import io.umqtt.simple.testing.ReceivingClient.Message;

/**
 * The write path against mosquitto: packets written close together leave combined
 * (internal/WriteCombiner), and nothing is delayed for ever, lost or reordered by it. A burst of QoS 0
 * publishes is corked after its first message, so its last messages are written by the shared
 * flusher, a following write, a blocking wait, or disconnect/close; a subscriber's PUBACKs are
 * held while more PUBLISHes are buffered.
 */
class WritePathTest {
    private static final int BURST = 5_000;
    private static MosquittoBroker broker;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private String name;

    @BeforeAll
    static void startBroker() throws IOException {
        // mosquitto queues at most max_queued_messages (default 1000) QoS 1 messages per subscriber
        // beyond the in-flight ones and drops newer ones: a receiver slowed by a loaded machine would
        // then miss messages of a 5000-message burst, which is the broker's policy, not the write path's
        broker = MosquittoBroker.builder().config("max_queued_messages 0").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void closeClients() {
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                // the test's outcome is what matters
            }
        }
    }

    private String topic(TestInfo info) {
        name = info.getTestMethod().get().getName();
        return "wp/" + name;
    }

    private MqttClient connected(String id) throws IOException {
        MqttClient c = new MqttClient(id + "-" + name, broker.host(), broker.port(), null, (String) null, 0, null);
        toClose.push(c);
        c.connect(true);
        return c;
    }

    private ReceivingClient receiver(String t, int qos) throws IOException {
        MqttClient c = new MqttClient("rx-" + name, broker.host(), broker.port(), null, (String) null, 0, null);
        ReceivingClient r = ReceivingClient.connect(c, true);
        toClose.push(r);
        assertEquals(qos, c.subscribe(t, qos));
        return r;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Receives {@code n} messages and checks they are 0..n-1 in order. */
    private static void expectInOrder(ReceivingClient r, int n) throws InterruptedException {
        for (int i = 0; i < n; i++) {
            Message m = r.poll(10, SECONDS);
            assertNotNull(m, "message " + i + " of " + n + " did not arrive within 10 s");
            assertEquals(Integer.toString(i), m.payloadString(), () -> "order of the messages" + dropped());
        }
    }

    /** mosquitto's log lines saying it dropped messages for a client (none expected: no queue limit). */
    private static String dropped() {
        StringBuilder b = new StringBuilder();
        for (String line : broker.log().split("\n")) {
            if (line.contains("dropped")) {
                b.append("\n").append(line);
            }
        }
        return b.length() == 0 ? "" : "; mosquitto dropped messages:" + b;
    }

    @Test
    void lastQos0MessageOfABurstArrivesWithNothingWrittenAfterIt(TestInfo info) throws Exception {
        String t = topic(info);
        ReceivingClient r = receiver(t, 0);
        MqttClient publisher = connected("tx"); // no loop, no other thread: only the flusher can write the tail
        byte[] topic = bytes(t);

        for (int i = 0; i < BURST; i++) {
            publisher.publish(topic, bytes(Integer.toString(i)), false, 0);
        }

        expectInOrder(r, BURST); // the tail left within the flush delay, with nothing written after it
        assertTrue(publisher.isConnected());
    }

    @Test
    void singleQos0MessageAfterABurstArrives(TestInfo info) throws Exception {
        String t = topic(info);
        ReceivingClient r = receiver(t, 0);
        MqttClient publisher = connected("tx");
        byte[] topic = bytes(t);
        for (int i = 0; i < BURST; i++) {
            publisher.publish(topic, bytes(Integer.toString(i)), false, 0);
        }
        expectInOrder(r, BURST);

        publisher.publish(topic, bytes("alone"), false, 0); // after a pause: written at once

        Message m = r.poll(10, SECONDS);
        assertNotNull(m, "a single QoS 0 message after a pause did not arrive");
        assertEquals("alone", m.payloadString());
    }

    @Test
    void orderIsKeptAcrossCombinedWritesOfQos0AndQos1(TestInfo info) throws Exception {
        String t = topic(info);
        ReceivingClient r = receiver(t, 1);
        MqttClient publisher = connected("tx");
        byte[] topic = bytes(t);
        List<PublishToken> tokens = new ArrayList<>();

        for (int i = 0; i < BURST; i++) {
            byte[] payload = bytes(Integer.toString(i));
            if (i % 3 == 0) {
                tokens.add(publisher.publishAsync(topic, payload, false, 1));
            } else {
                publisher.publish(topic, payload, false, 0);
            }
        }

        // MQTT keeps the order per topic and QoS (MQTT-4.6.0-6): mosquitto may send a QoS 0 message
        // ahead of a QoS 1 message still queued behind its in-flight limit, never one of the same QoS
        int[] last = {-1, -1};
        for (int n = 0; n < BURST; n++) {
            Message m = r.poll(10, SECONDS);
            assertNotNull(m, "message " + n + " of " + BURST + " did not arrive within 10 s");
            int i = Integer.parseInt(m.payloadString());
            assertEquals(i % 3 == 0 ? 1 : 0, m.qos(), "QoS of message " + i);
            assertTrue(i > last[m.qos()], "QoS " + m.qos() + " message " + i + " after " + last[m.qos()]);
            last[m.qos()] = i;
        }
        for (PublishToken token : tokens) {
            token.await(); // every PUBACK came back: nothing the broker waited for stayed held
        }
        assertTrue(publisher.acks.pendingIds().isEmpty());
    }

    @Test
    void disconnectWritesEverythingBeforeItsDisconnect(TestInfo info) throws Exception {
        String t = topic(info);
        ReceivingClient r = receiver(t, 0);
        MqttClient publisher = connected("tx");
        byte[] topic = bytes(t);

        for (int i = 0; i < BURST; i++) {
            publisher.publish(topic, bytes(Integer.toString(i)), false, 0);
        }
        publisher.disconnect(); // at once: the tail is still corked

        expectInOrder(r, BURST);
        assertTrue(broker.awaitLog("Received DISCONNECT from " + publisher.clientId(), 10, SECONDS),
                () -> "mosquitto did not log a clean DISCONNECT of the publisher\n" + broker.log());
    }

    @Test
    void closeWritesWhatWasPublishedBeforeIt(TestInfo info) throws Exception {
        String t = topic(info);
        ReceivingClient r = receiver(t, 0);
        MqttClient publisher = connected("tx");
        byte[] topic = bytes(t);

        for (int i = 0; i < BURST; i++) {
            publisher.publish(topic, bytes(Integer.toString(i)), false, 0);
        }
        publisher.close(); // no DISCONNECT, but what publish() accepted still goes out

        expectInOrder(r, BURST);
    }

    @Test
    void heldPubacksReachABrokerWithItsDefaultInflightLimit(TestInfo info) throws Exception {
        // mosquitto's default max_inflight_messages is 20: it sends a subscriber no more until
        // PUBACKs come back, so a PUBACK held for ever would stall the stream
        String t = topic(info);
        ReceivingClient r = receiver(t, 1);
        MqttClient publisher = connected("tx");
        byte[] topic = bytes(t);
        List<PublishToken> tokens = new ArrayList<>();

        for (int i = 0; i < BURST; i++) {
            tokens.add(publisher.publishAsync(topic, bytes(Integer.toString(i)), false, 1));
        }

        expectInOrder(r, BURST);
        for (PublishToken token : tokens) {
            token.await();
        }
        assertTrue(broker.awaitLog("Received PUBACK from " + r.client().clientId(), 5, SECONDS));
    }
}
