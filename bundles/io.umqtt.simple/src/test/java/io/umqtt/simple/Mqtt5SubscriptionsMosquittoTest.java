package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * MQTT 5 subscriptions against mosquitto: refusals with reason codes, no local, retain as
 * published, retain handling, subscription identifiers on messages, shared subscriptions, and
 * request/response between two clients. Absence is proven without waiting: after the message that
 * must not come, a marker is published, and the marker must be the next message.
 */
class Mqtt5SubscriptionsMosquittoTest {
    private static MosquittoBroker broker;
    private final Deque<AutoCloseable> closers = new ArrayDeque<>();

    @BeforeAll
    static void startBroker() throws IOException {
        broker = MosquittoBroker.builder().denySubscribe("secret/#").denyUnsubscribe("pinned/#").start();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @AfterEach
    void closeClients() throws Exception {
        while (!closers.isEmpty()) {
            closers.pop().close();
        }
    }

    /** A received message with its properties. */
    static final class Got {
        final String topic;
        final String payload;
        final boolean retain;
        final MqttProperties properties;

        Got(byte[] topic, byte[] payload, boolean retain, MqttProperties properties) {
            this.topic = new String(topic, StandardCharsets.UTF_8);
            this.payload = new String(payload, StandardCharsets.UTF_8);
            this.retain = retain;
            this.properties = properties;
        }

        @Override
        public String toString() {
            return topic + "=" + payload + (retain ? " retained" : "") + " " + properties;
        }
    }

    /** An MQTT 5 client with a loop thread that queues what it receives. */
    final class Client5 implements AutoCloseable {
        final MqttClient client;
        final BlockingQueue<Got> received = new LinkedBlockingQueue<>();
        private Thread loop;

        Client5(String id) throws IOException {
            client = new MqttClient(id, MosquittoBroker.HOST, broker.port());
            client.setProtocolVersion(5);
            client.setCallback(new MessageCallback() {
                @Override
                public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos) {
                    throw new AssertionError("the client calls the six-argument form");
                }

                @Override
                public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos,
                        MqttProperties properties) {
                    received.add(new Got(topic, msg, retain, properties));
                }
            });
            client.connect(true);
            closers.push(this);
        }

        Client5 looping() {
            loop = new Thread(() -> {
                try {
                    client.loop();
                } catch (IOException e) {
                    received.add(new Got("loop failed".getBytes(StandardCharsets.UTF_8),
                            String.valueOf(e).getBytes(StandardCharsets.UTF_8), false, MqttProperties.EMPTY));
                }
            }, "loop-" + client.clientId());
            loop.setDaemon(true);
            loop.start();
            return this;
        }

        Got next() throws InterruptedException {
            Got g = received.poll(10, TimeUnit.SECONDS);
            assertNotNull(g, "no message for " + client.clientId() + " within 10 s");
            return g;
        }

        @Override
        public void close() throws Exception {
            if (client.isConnected()) {
                client.disconnect();
            } else {
                client.close();
            }
            if (loop != null) {
                loop.join(10_000);
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRefusedSubscriptionCarriesMosquittosReasonCode() throws Exception {
        Client5 c = new Client5("sub5-refused");
        int[] codes = c.client.subscribe(new String[] {"open/a", "secret/b"},
                new SubscriptionOptions[] {SubscriptionOptions.qos(1), SubscriptionOptions.qos(1)}, null);
        assertEquals(1, codes[0]);
        assertEquals(0x87, codes[1], "mosquitto's dynamic security answers a denied filter with 0x87 not authorized");
        MqttException e = assertThrows(MqttException.class, () -> c.client.subscribe("secret/c", 0));
        assertEquals(Reason.SUBSCRIPTION_REFUSED, e.reason());
        assertEquals(0x87, e.returnCode());
        assertTrue(c.client.isConnected());
    }

    @Test
    void unsubscribeReasonCodes() throws Exception {
        Client5 c = new Client5("sub5-unsub");
        c.client.subscribe(new String[] {"u/a", "pinned/a"}, new SubscriptionOptions[] {SubscriptionOptions.qos(0),
            SubscriptionOptions.qos(0)}, null);
        int[] codes = c.client.unsubscribeWithCodes(new String[] {"u/a", "u/never", "pinned/a"});
        assertArrayEquals(new int[] {0x00, 0x11, 0x87}, codes);
        MqttException e = assertThrows(MqttException.class, () -> c.client.unsubscribe("pinned/a"));
        assertEquals(Reason.UNSUBSCRIBE_REFUSED, e.reason());
        assertEquals(0x87, e.returnCode());
    }

    @Test
    void noLocalKeepsTheClientsOwnMessagesAway() throws Exception {
        Client5 a = new Client5("sub5-nolocal-a").looping();
        Client5 b = new Client5("sub5-nolocal-b");
        a.client.subscribe("nl/t", SubscriptionOptions.qos(1).withNoLocal(true));
        a.client.publish(utf8("nl/t"), utf8("own"), false, 1);
        b.client.publish(utf8("nl/t"), utf8("marker"), false, 1);
        assertEquals("marker", a.next().payload, "its own message must not come back");
    }

    @Test
    void withoutNoLocalTheOwnMessageComesBack() throws Exception {
        Client5 a = new Client5("sub5-local").looping();
        a.client.subscribe("l/t", SubscriptionOptions.qos(1));
        a.client.publish(utf8("l/t"), utf8("own"), false, 1);
        assertEquals("own", a.next().payload);
    }

    @Test
    void retainAsPublishedKeepsTheRetainFlagOfForwardedMessages() throws Exception {
        Client5 rap = new Client5("sub5-rap").looping();
        Client5 plain = new Client5("sub5-norap").looping();
        Client5 pub = new Client5("sub5-rap-pub");
        rap.client.subscribe("rap/t", SubscriptionOptions.qos(1).withRetainAsPublished(true));
        plain.client.subscribe("rap/t", SubscriptionOptions.qos(1));
        pub.client.publish(utf8("rap/t"), utf8("r"), true, 1);
        assertTrue(rap.next().retain, "retain as published: the flag as the publisher set it");
        assertFalse(plain.next().retain, "a live message is forwarded with retain 0 otherwise (MQTT-3.3.1-12)");
        pub.client.publish(utf8("rap/t"), new byte[0], true, 1); // clear the retained message
    }

    @Test
    void retainHandlingDecidesWhetherRetainedMessagesComeAtSubscribe() throws Exception {
        Client5 pub = new Client5("sub5-rh-pub");
        pub.client.publish(utf8("rh/t"), utf8("kept"), true, 1);
        try {
            Client5 c = new Client5("sub5-rh").looping();
            // 0: at every subscribe
            c.client.subscribe("rh/t", SubscriptionOptions.qos(1));
            assertEquals("kept", c.next().payload);
            c.client.subscribe("rh/t", SubscriptionOptions.qos(1));
            assertEquals("kept", c.next().payload);
            // 1: only when the subscription is new
            c.client.subscribe("rh/+", SubscriptionOptions.qos(1).withRetainHandling(1));
            Got first = c.next();
            assertEquals("kept", first.payload);
            assertTrue(first.retain);
            c.client.subscribe("rh/+", SubscriptionOptions.qos(1).withRetainHandling(1));
            // 2: never
            c.client.subscribe("rh/#", SubscriptionOptions.qos(1).withRetainHandling(2));
            pub.client.publish(utf8("rh/marker"), utf8("marker"), false, 1);
            Got next = c.next();
            assertEquals("marker", next.payload, "no retained message for an existing rh/+ or for rh/#: " + next);
        } finally {
            pub.client.publish(utf8("rh/t"), new byte[0], true, 1);
        }
    }

    @Test
    void subscriptionIdentifiersArriveWithTheMessages() throws Exception {
        Client5 c = new Client5("sub5-ids").looping();
        Client5 pub = new Client5("sub5-ids-pub");
        int[] codes = c.client.subscribe(new String[] {"id/a", "id/b", "id/+"},
                new SubscriptionOptions[] {SubscriptionOptions.qos(1).withSubscriptionIdentifier(5),
                    SubscriptionOptions.qos(1).withSubscriptionIdentifier(6),
                    SubscriptionOptions.qos(1).withSubscriptionIdentifier(70_000)}, null);
        assertArrayEquals(new int[] {1, 1, 1}, codes);
        pub.client.publish(utf8("id/a"), utf8("a"), false, 1);
        Set<Integer> ids = new HashSet<>();
        Got g = c.next();
        assertEquals("a", g.payload);
        for (int id : g.properties.subscriptionIdentifiers()) {
            ids.add(id);
        }
        if (ids.size() < 2) { // one copy per matching subscription
            for (int id : c.next().properties.subscriptionIdentifiers()) {
                ids.add(id);
            }
        }
        assertEquals(Set.of(5, 70_000), ids);
        pub.client.publish(utf8("id/b"), utf8("b"), false, 1);
        Set<Integer> forB = new HashSet<>();
        while (forB.size() < 2) {
            Got b = c.next();
            assertEquals("b", b.payload);
            Arrays.stream(b.properties.subscriptionIdentifiers()).forEach(forB::add);
        }
        assertEquals(Set.of(6, 70_000), forB);
    }

    @Test
    void aSharedSubscriptionSpreadsTheMessagesOverItsMembers() throws Exception {
        Client5 one = new Client5("sub5-share-1").looping();
        Client5 two = new Client5("sub5-share-2").looping();
        Client5 pub = new Client5("sub5-share-pub");
        assertEquals(1, one.client.subscribe("$share/workers/jobs/#", SubscriptionOptions.qos(1)));
        assertEquals(1, two.client.subscribe("$share/workers/jobs/#", SubscriptionOptions.qos(1)));
        int n = 10;
        for (int i = 0; i < n; i++) {
            pub.client.publish(utf8("jobs/" + i), utf8(Integer.toString(i)), false, 1);
        }
        List<String> all = new ArrayList<>();
        int fromOne = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (all.size() < n) {
            assertTrue(System.nanoTime() < deadline, "messages missing after 10 s: got " + all);
            Got g = one.received.poll(10, TimeUnit.MILLISECONDS);
            if (g != null) {
                all.add(g.payload);
                fromOne++;
            }
            Got h = two.received.poll(10, TimeUnit.MILLISECONDS);
            if (h != null) {
                all.add(h.payload);
            }
        }
        assertEquals(n, new HashSet<>(all).size(), "each message once: " + all);
        assertTrue(fromOne > 0 && fromOne < n, "both members get messages (mosquitto: round robin): " + fromOne
                + " of " + n + " to the first");
    }

    @Test
    void aSharedSubscriptionWorksOnMqtt311TooWithMosquitto() throws Exception {
        List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());
        int[] perClient = new int[2];
        List<io.umqtt.simple.testing.ReceivingClient> members = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            MqttClient m = new MqttClient("sub5-share311-" + i, MosquittoBroker.HOST, broker.port());
            io.umqtt.simple.testing.ReceivingClient r = io.umqtt.simple.testing.ReceivingClient.connect(m, true);
            closers.push(r);
            members.add(r);
            assertEquals(1, m.subscribe("$share/old/work/#", 1));
        }
        Client5 pub = new Client5("sub5-share311-pub");
        int n = 6;
        for (int i = 0; i < n; i++) {
            pub.client.publish(utf8("work/" + i), utf8(Integer.toString(i)), false, 1);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (all.size() < n) {
            assertTrue(System.nanoTime() < deadline, "messages missing after 10 s: got " + all);
            for (int i = 0; i < 2; i++) {
                io.umqtt.simple.testing.ReceivingClient.Message m = members.get(i).poll(10, TimeUnit.MILLISECONDS);
                if (m != null) {
                    all.add(m.payloadString());
                    perClient[i]++;
                }
            }
        }
        assertEquals(n, new HashSet<>(all).size(), "each message once: " + all);
        assertTrue(perClient[0] > 0 && perClient[1] > 0, "both members: " + Arrays.toString(perClient));
    }

    @Test
    void requestAndResponseBetweenTwoClients() throws Exception {
        Client5 responder = new Client5("sub5-responder");
        responder.client.setCallback(new MessageCallback() {
            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos) {
                throw new AssertionError("the client calls the six-argument form");
            }

            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos,
                    MqttProperties properties) {
                try {
                    responder.client.publish(utf8(properties.responseTopic()),
                            ("echo " + new String(msg, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8), false,
                            1, MqttProperties.builder().correlationData(properties.correlationData())
                                    .userProperty("answered-by", "responder").build());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        });
        responder.client.subscribe("svc/echo", 1);
        responder.looping();

        Client5 requester = new Client5("sub5-requester"); // no loop: request reads itself
        Response r = requester.client.request("svc/echo", utf8("one"), 1, MqttProperties.EMPTY, 10_000);
        assertEquals("echo one", new String(r.payload(), StandardCharsets.UTF_8));
        assertEquals("responder", r.properties().userProperty("answered-by"));
        assertTrue(r.topicString().startsWith("umqtt/response/"), r.topicString());
        Response again = requester.client.request("svc/echo", utf8("two"), 0, MqttProperties.EMPTY, 10_000);
        assertEquals("echo two", new String(again.payload(), StandardCharsets.UTF_8));
        assertEquals(r.topicString(), again.topicString(), "one response topic per client");
        assertFalse(Arrays.equals(r.properties().correlationData(), again.properties().correlationData()));

        // while another thread runs the loop, the request waits for the loop to hand its response over
        requester.looping();
        Response third = requester.client.request("svc/echo", utf8("three"), 1, MqttProperties.EMPTY, 10_000);
        assertEquals("echo three", new String(third.payload(), StandardCharsets.UTF_8));
        assertTrue(requester.received.isEmpty(), "responses do not reach the callback: " + requester.received);
    }

    /** A client that answers every request on {@code topic} with "echo " and the payload. */
    private Client5 echoResponder(String id, String topic) throws Exception {
        Client5 responder = new Client5(id);
        responder.client.setCallback(new MessageCallback() {
            @Override
            public void message(byte[] t, byte[] msg, boolean retain, boolean dup, int qos) {
                throw new AssertionError("the client calls the six-argument form");
            }

            @Override
            public void message(byte[] t, byte[] msg, boolean retain, boolean dup, int qos, MqttProperties p) {
                try {
                    responder.client.publish(utf8(p.responseTopic()), ("echo " + new String(msg,
                            StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8), false, 1,
                            MqttProperties.builder().correlationData(p.correlationData()).build());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        });
        responder.client.subscribe(topic, 1);
        return responder.looping();
    }

    @Test
    void aRequestFromTheCallbackGetsItsResponse() throws Exception {
        echoResponder("sub5-responder-2", "svc/echo2");
        BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        Client5 a = new Client5("sub5-in-callback");
        a.client.setCallback(new MessageCallback() {
            @Override
            public void message(byte[] t, byte[] msg, boolean retain, boolean dup, int qos) {
                throw new AssertionError("the client calls the six-argument form");
            }

            @Override
            public void message(byte[] t, byte[] msg, boolean retain, boolean dup, int qos, MqttProperties p) {
                try {
                    Response r = a.client.request("svc/echo2", msg, 1, MqttProperties.EMPTY, 10_000);
                    answers.add(new String(r.payload(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    answers.add("failed: " + e);
                }
            }
        });
        a.client.subscribe("trigger/t", 1);
        a.looping();
        Client5 pub = new Client5("sub5-trigger");
        pub.client.publish(utf8("trigger/t"), utf8("from callback"), false, 1);
        assertEquals("echo from callback", answers.poll(10, TimeUnit.SECONDS));
    }

    @Test
    void aRequestNobodyAnswersTimesOut() throws Exception {
        Client5 requester = new Client5("sub5-unanswered");
        MqttException e = assertThrows(MqttException.class,
                () -> requester.client.request("svc/nobody", utf8("x"), 1, MqttProperties.EMPTY, 300));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("no response") && e.getMessage().contains("'svc/nobody'"), e.getMessage());
        assertTrue(requester.client.isConnected());
    }

    @Test
    void aRequestOnMqtt311IsRefused() throws Exception {
        MqttClient old = new MqttClient("sub5-old", MosquittoBroker.HOST, broker.port());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> old.request("svc/echo", utf8("x"), 1, MqttProperties.EMPTY, 1000));
        assertTrue(e.getMessage().contains("setProtocolVersion(5)"), e.getMessage());
    }
}
