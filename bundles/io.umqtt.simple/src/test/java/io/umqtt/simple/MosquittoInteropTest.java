package io.umqtt.simple;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;
import io.umqtt.simple.testing.ReceivingClient.Message;

/**
 * {@link MqttClient} against a real mosquitto 2 (one broker for the class, with a password file),
 * started by {@link MosquittoBroker}. Receivers are second clients whose loop runs on a thread
 * and whose callback queues messages; every wait is bounded, nothing sleeps. "Did not arrive"
 * is shown with a marker message sent after the one that must not arrive, on a path that keeps
 * order (same publisher, same subscriber, QoS 1), so that the marker coming first proves it.
 */
@Timeout(value = 25, unit = SECONDS)
class MosquittoInteropTest {
    private static final String USER = "umqtt-it";
    /** Non-ASCII on purpose: MQTT passwords are bytes, the client sends UTF-8. */
    private static final String PASSWORD = "s3cret-pässwörd";
    private static final String RUN = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    private static final AtomicInteger SEQ = new AtomicInteger();

    private static MosquittoBroker broker;

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private String testName;

    @BeforeAll
    static void startBroker() throws IOException {
        // no queue limit: mosquitto drops QoS 1 messages beyond max_queued_messages (default 1000) for a
        // subscriber that falls behind, which a loaded machine made publishAsyncKeeps... see as "lost"
        broker = MosquittoBroker.builder().user(USER, PASSWORD).config("max_queued_messages 0").start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @BeforeEach
    void name(TestInfo info) {
        testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
    }

    @AfterEach
    void closeClients() {
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                // the test's outcome is what matters; a failing close shows in the test itself
            }
        }
    }

    // ------------------------------------------------------------------ authentication

    @Test
    void userAndPasswordAreAccepted() throws Exception {
        MqttClient c = client("auth-ok");

        assertFalse(c.connect(true), "clean session: session present must be false");
        assertTrue(c.isConnected());
        c.publish(topic("auth"), "authenticated", false, 1); // a full round trip on the connection
        c.disconnect();

        assertEquals(ConnectionState.CLOSED, c.state());
        assertTrue(broker.log().contains("as " + c.clientId() + " (p2, c1, k0, u'" + USER + "')"),
                () -> "mosquitto should log the user name of " + c.clientId() + "\n" + broker.log());
    }

    @Test
    void wrongPasswordIsRefusedWithReturnCode5() {
        MqttClient c = track(new MqttClient(id("auth-bad"), broker.host(), broker.port(), USER, "wrong", 0, null));

        MqttException e = assertThrows(MqttException.class, () -> c.connect(true));

        // MQTT 3.1.1 has 4 "bad user name or password", but mosquitto 2.0.11 answers a wrong password
        // with CONNACK return code 5 "not authorized" (its log: "Sending CONNACK to ... (0, 5)").
        assertEquals(MqttException.Reason.CONNECTION_REFUSED, e.reason(), e.toString());
        assertEquals(5, e.returnCode(), e.toString());
        assertTrue(e.getMessage().contains("not authorized"), e.getMessage());
        assertFalse(c.isConnected());
    }

    @Test
    void anonymousClientIsRefusedWhenUsersAreConfigured() {
        MqttClient anonymous = track(new MqttClient(id("anonymous"), broker.host(), broker.port(), null,
                (String) null, 0, null));

        MqttException e = assertThrows(MqttException.class, () -> anonymous.connect(true));

        // mosquitto 2.0.11 again sends 5 "not authorized"
        assertEquals(MqttException.Reason.CONNECTION_REFUSED, e.reason(), e.toString());
        assertEquals(5, e.returnCode(), e.toString());
    }

    // ------------------------------------------------------------------ last will

    @Test
    void lastWillIsPublishedAfterAbruptClose() throws Exception {
        String will = topic("will");
        ReceivingClient watcher = receiver("will-watcher");
        assertEquals(1, watcher.client().subscribe(will, 1));
        MqttClient dying = client("dying");
        dying.setLastWill(will, "gone", false, 1);
        dying.connect(true);

        dying.close(); // socket closed without DISCONNECT

        Message m = watcher.next();
        assertEquals(will, m.topicString());
        assertEquals("gone", m.payloadString());
        assertFalse(m.retain());
        assertEquals(1, m.qos());
    }

    @Test
    void lastWillIsNotPublishedAfterDisconnect() throws Exception {
        String will = topic("will");
        ReceivingClient watcher = receiver("will-watcher");
        watcher.client().subscribe(will, 1);
        MqttClient leaving = client("leaving");
        leaving.setLastWill(will, "gone", false, 1);
        leaving.connect(true);

        leaving.disconnect();

        // The DISCONNECT (or, were it missing, the closed socket that would trigger the will) reached
        // the broker before the marker client even opened its socket, so a will would be queued for
        // the watcher ahead of the marker.
        MqttClient marker = client("marker");
        marker.connect(true);
        marker.publish(will, "marker", false, 1);
        Message first = watcher.next();
        assertEquals("marker", first.payloadString(), "the last will was published after DISCONNECT: " + first);
        assertTrue(broker.awaitLog("Received DISCONNECT from " + leaving.clientId(), 5, SECONDS),
                () -> "mosquitto should have received a DISCONNECT from " + leaving.clientId() + "\n" + broker.log());
    }

    // ------------------------------------------------------------------ retain

    @Test
    void retainedMessageReachesLaterSubscriberWithRetainFlag() throws Exception {
        String t = topic("retained");
        MqttClient publisher = connected("publisher");
        publisher.publish(t, "kept", true, 1);

        ReceivingClient late = receiver("late-subscriber");
        late.client().subscribe(t, 1);

        Message m = late.next();
        assertEquals(t, m.topicString());
        assertEquals("kept", m.payloadString());
        assertTrue(m.retain(), "a retained message sent on subscribe must carry RETAIN: " + m);
        assertEquals(1, m.qos());

        // delivered live to an existing subscription, a retained publish carries RETAIN 0 (3.1.1, 3.3.1.3)
        publisher.publish(t, "live", true, 1);
        Message live = late.next();
        assertEquals("live", live.payloadString());
        assertFalse(live.retain(), "live delivery must not carry RETAIN: " + live);

        // a retained empty payload clears it: a new subscriber gets only the marker
        publisher.publish(t.getBytes(StandardCharsets.UTF_8), new byte[0], true, 1);
        String markerTopic = topic("marker");
        ReceivingClient fresh = receiver("fresh-subscriber");
        fresh.client().subscribe(t, 1);
        fresh.client().subscribe(markerTopic, 1);
        publisher.publish(markerTopic, "marker", false, 1);
        Message first = fresh.next();
        assertEquals(markerTopic, first.topicString(), "the cleared retained message was still delivered: " + first);
    }

    // ------------------------------------------------------------------ QoS

    @Test
    void qos0PublishIsDeliveredAtQos0() throws Exception {
        String t = topic("q0");
        ReceivingClient receiver = receiver("q0-receiver");
        assertEquals(0, receiver.client().subscribe(t, 0), "granted QoS");
        MqttClient publisher = connected("q0-publisher");

        publisher.publish(t, "at most once", false, 0);

        Message m = receiver.next();
        assertEquals("at most once", m.payloadString());
        assertEquals(0, m.qos());
        assertFalse(m.dup());
    }

    @Test
    void qos1PublishIsAcknowledgedAndDeliveredAtQos1() throws Exception {
        String t = topic("q1");
        ReceivingClient receiver = receiver("q1-receiver");
        assertEquals(1, receiver.client().subscribe(t, 1), "granted QoS");
        MqttClient publisher = connected("q1-publisher");

        publisher.publish(t, "at least once", false, 1); // returns once the PUBACK arrived

        assertTrue(publisher.acks.pendingIds().isEmpty(), "nothing may await an ack after publish returned");
        assertEquals(0, publisher.strayAcks());
        Message m = receiver.next();
        assertEquals("at least once", m.payloadString());
        assertEquals(1, m.qos());
        assertFalse(m.dup());

        // receiving direction: the receiver's loop acknowledges once the callback has returned
        assertTrue(broker.awaitLog("Received PUBACK from " + receiver.client().clientId(), 5, SECONDS),
                () -> "mosquitto never received the receiver's PUBACK\n" + broker.log());
        assertTrue(broker.log().contains("Sending PUBACK to " + publisher.clientId()),
                () -> "mosquitto never acknowledged the publisher's QoS 1 PUBLISH\n" + broker.log());
    }

    @Test
    void publishAsyncKeepsItsWindowAndEveryTokenCompletes() throws Exception {
        String t = topic("async");
        ReceivingClient receiver = receiver("async-receiver");
        assertEquals(1, receiver.client().subscribe(t, 1), "granted QoS");
        MqttClient publisher = connected("async-publisher");
        publisher.setMaxInflight(50);
        int n = 2_000;
        List<PublishToken> tokens = new ArrayList<>(n);

        for (int i = 0; i < n; i++) {
            tokens.add(publisher.publishAsync(t, "m" + i, false, 1)); // no loop thread: the window reads PUBACKs
            assertTrue(publisher.acks.pendingIds().size() <= 50, "at most maxInflight await their PUBACK");
        }
        for (PublishToken token : tokens) {
            token.await();
        }

        assertTrue(publisher.acks.pendingIds().isEmpty());
        assertEquals(0, publisher.strayAcks());
        for (int i = 0; i < n; i++) {
            Message m = receiver.next();
            assertEquals("m" + i, m.payloadString(), "in order, none lost");
            assertEquals(1, m.qos());
        }
    }

    @Test
    void deliveredQosIsTheLowerOfPublishAndSubscription() throws Exception {
        String low = topic("sub-q0");
        String high = topic("sub-q1");
        ReceivingClient receiver = receiver("qos-mix");
        assertEquals(0, receiver.client().subscribe(low, 0));
        assertEquals(1, receiver.client().subscribe(high, 1));
        MqttClient publisher = connected("qos-mix-publisher");

        publisher.publish(low, "q1 to q0 subscription", false, 1);
        publisher.publish(high, "q0 to q1 subscription", false, 0);

        Message first = receiver.next();
        Message second = receiver.next();
        assertEquals(low, first.topicString());
        assertEquals(0, first.qos(), "QoS 1 publish to a QoS 0 subscription is delivered at QoS 0");
        assertEquals(high, second.topicString());
        assertEquals(0, second.qos(), "QoS 0 publish to a QoS 1 subscription is delivered at QoS 0");
    }

    @Test
    void qos1PublishFromInsideTheCallbackCompletes() throws Exception {
        String in = topic("in");
        String out = topic("out");
        ReceivingClient downstream = receiver("downstream");
        downstream.client().subscribe(out, 1);
        MqttClient relay = connected("relay");
        BlockingQueue<Throwable> relayErrors = new LinkedBlockingQueue<>();
        java.util.concurrent.CountDownLatch relayed = new java.util.concurrent.CountDownLatch(5);
        relay.setCallback((topic, msg, retain, dup, qos) -> {
            try {
                relay.publish(out.getBytes(StandardCharsets.UTF_8), msg, false, 1); // waits for its PUBACK
                relayed.countDown();
            } catch (IOException | RuntimeException e) {
                relayErrors.add(e);
            }
        });
        relay.subscribe(in, 1);
        Thread loop = new Thread(() -> {
            try {
                relay.loop();
            } catch (IOException e) {
                relayErrors.add(e);
            }
        }, "loop-" + relay.clientId());
        loop.setDaemon(true);
        loop.start();
        MqttClient publisher = connected("relay-publisher");

        for (int i = 0; i < 5; i++) {
            publisher.publish(in, "m" + i, false, 1);
        }

        for (int i = 0; i < 5; i++) {
            Message m = downstream.next();
            assertEquals("m" + i, m.payloadString(), "relayed in order");
        }
        assertNull(relayErrors.poll(), "the relay's callback or loop failed");
        // downstream may see m4 before the relay has read m4's PUBACK: let the last callback finish
        assertTrue(relayed.await(10, java.util.concurrent.TimeUnit.SECONDS), "every relayed publish acknowledged");
        relay.disconnect();
        loop.join(5_000);
        assertFalse(loop.isAlive(), "loop() did not return after disconnect()");
        assertNull(relayErrors.poll(), "the relay's loop failed");
    }

    // ------------------------------------------------------------------ unsubscribe

    @Test
    void unsubscribedTopicIsNoLongerDelivered() throws Exception {
        String gone = topic("gone");
        String kept = topic("kept");
        ReceivingClient receiver = receiver("unsubscriber");
        receiver.client().subscribe(gone, 1);
        receiver.client().subscribe(kept, 1);
        MqttClient publisher = connected("unsub-publisher");
        publisher.publish(gone, "before", false, 1);
        assertEquals("before", receiver.next().payloadString());

        receiver.client().unsubscribe(gone);
        publisher.publish(gone, "after", false, 1);
        publisher.publish(kept, "marker", false, 1);

        // same publisher, same subscriber, QoS 1: had "after" been delivered, it would come first
        Message first = receiver.next();
        assertEquals(kept, first.topicString(), "a message on the unsubscribed topic was delivered: " + first);
        assertEquals("marker", first.payloadString());
    }

    // ------------------------------------------------------------------ keepalive

    @Test
    void idleClientWithKeepaliveOfOneSecondStaysConnected() throws Exception {
        MqttClient c = track(new MqttClient(id("keepalive"), broker.host(), broker.port(), USER, PASSWORD, 1, null));
        ReceivingClient looping = track(ReceivingClient.connect(c, true));

        // mosquitto drops a client silent for 1.5 x keepalive; 3 s is two of those windows
        assertFalse(looping.awaitLoopEnd(3, SECONDS), () -> "the loop ended: " + looping.loopFailure() + "\n"
                + broker.log());
        assertTrue(c.isConnected(), c::toString);
        c.publish(topic("alive"), "still here", false, 1);

        String log = broker.log();
        int pings = count(log, "Received PINGREQ from " + c.clientId());
        assertTrue(pings >= 2, "expected a PINGREQ about every second, mosquitto logged " + pings + "\n" + log);
        assertTrue(log.contains("Sending PINGRESP to " + c.clientId()), log);
        assertTrue(log.contains("(p2, c1, k1, u'" + USER + "')"), "CONNECT must carry keepalive 1\n" + log);
    }

    // ------------------------------------------------------------------ sessions

    @Test
    void sessionPresentIsReportedOnlyForAStoredSession() throws Exception {
        MqttClient c = client("session");

        assertFalse(c.connect(false), "a new client id has no stored session");
        c.subscribe(topic("session"), 1);
        c.disconnect();

        assertTrue(c.connect(false), "cleanSession=false after a persistent session: session present");
        c.disconnect();

        assertFalse(c.connect(true), "cleanSession=true: session present must be false");
        c.disconnect();

        assertFalse(c.connect(false), "the clean session discarded the stored one");
        c.disconnect();
        c.connect(true); // leave nothing behind in the broker
        c.disconnect();
    }

    @Test
    void qos1MessageQueuedWhileOfflineIsDeliveredWhenTheSessionResumes() throws Exception {
        String t = topic("offline");
        MqttClient sleeper = client("sleeper");
        sleeper.connect(false);
        sleeper.subscribe(t, 1);
        sleeper.disconnect();
        MqttClient publisher = connected("offline-publisher");
        publisher.publish(t, "while you were away", false, 1);

        assertTrue(sleeper.connect(false));
        // mosquitto sends the queued PUBLISH right behind the CONNACK, so it may already sit in
        // the client's read buffer when connect returns: the loop must deliver it from there.
        ReceivingClient resumed = track(ReceivingClient.start(sleeper));

        Message m = resumed.next();
        assertEquals(t, m.topicString());
        assertEquals("while you were away", m.payloadString());
        assertEquals(1, m.qos());
        assertTrue(broker.awaitLog("Received PUBACK from " + sleeper.clientId(), 5, SECONDS),
                () -> "the resumed client never acknowledged the queued message\n" + broker.log());
        sleeper.disconnect();
        // MqttClient.connect refuses (IllegalStateException) while the previous connection's loop
        // thread still holds the reader role, and disconnect() does not wait for it to leave
        assertTrue(resumed.awaitLoopEnd(5, SECONDS), "loop() did not return after disconnect()");
        assertNull(resumed.loopFailure(), "loop() must return normally after disconnect()");
        sleeper.connect(true); // discard the session
        sleeper.disconnect();
    }

    @Test
    void loopReturnsNormallyAfterDisconnectAlthoughTheBrokerClosesTheSocketAtOnce() throws Exception {
        // mosquitto closes the socket as soon as it reads DISCONNECT; the loop thread may see that
        // EOF before disconnect() has returned. It must still count as a disconnect, not a loss.
        // (Before disconnect() marked the client CLOSED ahead of sending DISCONNECT, loop() threw
        // "EOFException: connection closed by ..." within the first rounds of every run.)
        for (int round = 0; round < 50; round++) {
            String t = topic("round");
            MqttClient c = client("round-" + round);
            ReceivingClient r = track(ReceivingClient.connect(c, true));
            c.subscribe(t, 1);
            // QoS 0: this thread does not read, so only the loop thread can deliver the echo
            c.publish(t, "loop is running", false, 0);
            r.next();

            c.disconnect();

            assertTrue(r.awaitLoopEnd(5, SECONDS), "round " + round + ": loop() did not return");
            assertNull(r.loopFailure(), "round " + round + ": loop() threw after disconnect()");
            assertEquals(ConnectionState.CLOSED, c.state(), "round " + round);
            assertNull(c.failure(), "round " + round + ": a disconnect is not a failure");
        }
    }

    // ------------------------------------------------------------------ broker failure

    @Test
    void killedBrokerIsALostConnectionAndTheRestartedOneAcceptsTheClientAgain() throws Exception {
        int port;
        try (MosquittoBroker own = MosquittoBroker.builder().start()) {
            port = own.port();
            long pid = own.pid();
            MqttClient c = track(new MqttClient(id("orphan"), own.host(), port, null, (String) null, 0, null));
            ReceivingClient looping = track(ReceivingClient.connect(c, true));

            own.kill(); // SIGKILL: the kernel closes the broker's sockets, no DISCONNECT, no goodbye

            assertTrue(looping.awaitLoopEnd(5, SECONDS), "loop() did not notice that the broker died");
            assertNotNull(looping.loopFailure(), "loop() must throw when the connection is lost");
            assertEquals(ConnectionState.LOST, c.state());
            assertThrows(IOException.class, () -> c.publish("t", "x", false, 0));

            own.restart();

            assertEquals(port, own.port());
            assertNotEquals(pid, own.pid());
            assertFalse(c.connect(true));
            c.publish(topic("after-restart"), "back", false, 1);
            c.disconnect();
        }
        // a new broker can be pinned to the port the old one used
        try (MosquittoBroker again = MosquittoBroker.builder().port(port).start()) {
            assertEquals(port, again.port());
            MqttClient c = track(new MqttClient(id("pinned"), again.host(), port, null, (String) null, 0, null));
            assertFalse(c.connect(true));
            c.disconnect();
        }
    }

    // ------------------------------------------------------------------ topics and payloads

    @Test
    void emptyPayloadIsDelivered() throws Exception {
        String t = topic("empty");
        ReceivingClient receiver = receiver("empty-receiver");
        receiver.client().subscribe(t, 1);
        MqttClient publisher = connected("empty-publisher");

        publisher.publish(t, new byte[0], false, 1);
        publisher.publish(t, new byte[0], false, 0);

        Message q1 = receiver.next();
        Message q0 = receiver.next();
        assertEquals(0, q1.payload().length);
        assertEquals(1, q1.qos());
        assertEquals(0, q0.payload().length);
        assertEquals(0, q0.qos());
    }

    @Test
    void emptyTopicIsRejectedBeforeAnythingIsSent() throws Exception {
        MqttClient c = connected("empty-topic");

        assertThrows(IllegalArgumentException.class, () -> c.publish(new byte[0], new byte[] {1}, false, 0));
        assertThrows(IllegalArgumentException.class, () -> c.publish("", "x", false, 1));

        // nothing reached the wire: the connection is intact and works
        assertTrue(c.isConnected());
        c.publish(topic("after-empty"), "ok", false, 1);
        assertTrue(c.acks.pendingIds().isEmpty());
    }

    @Test
    void topicAndPayloadsLongerThan127BytesArriveByteIdentical() throws Exception {
        // > 127 bytes of UTF-8 with multi-byte characters: remaining lengths need 2 and 3 bytes
        String t = topic("long/" + "äöü-€-".repeat(20));
        byte[] topicBytes = t.getBytes(StandardCharsets.UTF_8);
        assertTrue(topicBytes.length > 127, "topic length " + topicBytes.length);
        ReceivingClient receiver = receiver("long-receiver");
        receiver.client().subscribe(t, 1);
        MqttClient publisher = connected("long-publisher");
        Random random = new Random(42);
        // around the variable-length boundaries 127/128 and 16383/16384, and the client's 16 KiB inline limit
        int[] sizes = {127, 128, 129, 300, 16_383, 16_384, 16_385, 70_000};

        for (int size : sizes) {
            byte[] payload = new byte[size];
            random.nextBytes(payload);
            publisher.publish(topicBytes, payload, false, 1);
            Message m = receiver.next();
            assertArrayEquals(topicBytes, m.topic(), "topic of the " + size + " byte message");
            assertArrayEquals(payload, m.payload(), "payload of " + size + " bytes");
        }
    }

    @Test
    void oneMegabytePayloadArrivesByteIdentical() throws Exception {
        String t = topic("megabyte");
        ReceivingClient receiver = receiver("mb-receiver");
        receiver.client().subscribe(t, 1);
        MqttClient publisher = connected("mb-publisher");
        byte[] payload = new byte[1024 * 1024];
        new Random(7).nextBytes(payload);

        publisher.publish(t, payload, false, 1);
        publisher.publish(t, payload, false, 0);

        Message q1 = receiver.next();
        Message q0 = receiver.next();
        assertEquals(1, q1.qos());
        assertArrayEquals(payload, q1.payload(), "QoS 1 megabyte");
        assertEquals(0, q0.qos());
        assertArrayEquals(payload, q0.payload(), "QoS 0 megabyte");
    }

    // ------------------------------------------------------------------ helpers

    /** A unique client id naming the test. */
    private String id(String role) {
        return "it-" + RUN + "-" + SEQ.incrementAndGet() + "-" + role;
    }

    /** A topic unique to this test run and method. */
    private String topic(String leaf) {
        return "umqtt-it/" + RUN + "/" + testName + "/" + SEQ.incrementAndGet() + "/" + leaf;
    }

    /** An unconnected client with the broker's credentials, closed after the test. */
    private MqttClient client(String role) {
        return track(new MqttClient(id(role), broker.host(), broker.port(), USER, PASSWORD, 0, null));
    }

    private MqttClient connected(String role) throws IOException {
        MqttClient c = client(role);
        c.connect(true);
        return c;
    }

    private ReceivingClient receiver(String role) throws IOException {
        return track(ReceivingClient.connect(client(role), true));
    }

    private <T extends AutoCloseable> T track(T closeable) {
        toClose.push(closeable);
        return closeable;
    }

    private static int count(String text, String fragment) {
        int n = 0;
        for (int i = text.indexOf(fragment); i >= 0; i = text.indexOf(fragment, i + fragment.length())) {
            n++;
        }
        return n;
    }
}
