package io.umqtt.simple.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * The connection service over an MQTT 5 client against mosquitto: properties both ways, subscription
 * options, request/response (also from a listener on the I/O thread), and the refusals on MQTT 3.1.1.
 */
@Timeout(60)
class ClientConnectionMqtt5Test {
    private static final long WAIT = 10;
    private static MosquittoBroker broker;
    private final List<Runnable> cleanup = new ArrayList<>();

    @BeforeAll
    static void startBroker() throws IOException {
        broker = MosquittoBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @AfterEach
    void close() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    /** A connected service over a new client with these settings, its loop on a thread of its own. */
    private ClientConnection connect(String id, int version) throws Exception {
        MqttClient client = ConnectionSettings.builder("io.umqtt.simple~" + id).server(broker.host())
                .port(broker.port()).clientId(id).protocolVersion(version).build().newClient();
        ClientConnection conn = new ClientConnection(id, client);
        client.connect(true);
        Thread loop = new Thread(() -> {
            try {
                client.loop();
            } catch (IOException e) {
                // closed by the test
            }
        }, "loop-" + id);
        loop.setDaemon(true);
        loop.start();
        cleanup.add(() -> {
            conn.failPendingRequests("the test ended");
            client.close();
            try {
                loop.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return conn;
    }

    private static MqttMessage next(BlockingQueue<MqttMessage> q) throws InterruptedException {
        MqttMessage m = q.poll(WAIT, TimeUnit.SECONDS);
        assertNotNull(m, "no message within " + WAIT + " s");
        return m;
    }

    @Test
    void propertiesGoOutWithAPublishAndComeBackOnTheReceivedMessage() throws Exception {
        ClientConnection conn = connect("c5-props", MqttConstants.MQTT_5);
        assertEquals(5, conn.protocolVersion());
        BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
        conn.subscribe("c5/props", 1, got::add);
        MqttProperties props = MqttProperties.builder().contentType("application/json").userProperty("site", "north")
                .payloadFormat(MqttProperties.FORMAT_UTF8).build();
        conn.publish("c5/props", "{}".getBytes(StandardCharsets.UTF_8), 1, false, props);
        MqttMessage m = next(got);
        assertEquals("application/json", m.properties().contentType());
        assertEquals("north", m.properties().userProperty("site"));
        assertEquals(MqttProperties.FORMAT_UTF8, m.properties().payloadFormat());
        conn.publish("c5/props", new byte[] {1}, 1, false);
        assertTrue(next(got).properties().isEmpty(), "a message without properties has none");
    }

    @Test
    void noLocalKeepsTheConnectionsOwnMessagesAwayFromThatListenerOnly() throws Exception {
        ClientConnection conn = connect("c5-nolocal", MqttConstants.MQTT_5);
        ClientConnection other = connect("c5-other", MqttConstants.MQTT_5);
        BlockingQueue<MqttMessage> got = new LinkedBlockingQueue<>();
        assertEquals(1, conn.subscribe("c5/nl", SubscriptionOptions.qos(1).withNoLocal(true), got::add));
        conn.publish("c5/nl", "mine".getBytes(StandardCharsets.UTF_8), 1, false);
        other.publish("c5/nl", "theirs".getBytes(StandardCharsets.UTF_8), 1, false);
        assertEquals("theirs", new String(next(got).payload(), StandardCharsets.UTF_8));
        assertNull(got.poll(300, TimeUnit.MILLISECONDS), "its own message did not come back");
    }

    @Test
    void severalFiltersWithOptionsGoInOneCallAndReportEachGrantedQos() throws Exception {
        ClientConnection conn = connect("c5-multi", MqttConstants.MQTT_5);
        int[] granted = conn.subscribe(new String[] {"c5/m/a", "c5/m/b"}, new SubscriptionOptions[] {
            SubscriptionOptions.qos(1).withRetainHandling(SubscriptionOptions.DO_NOT_SEND_RETAINED),
            SubscriptionOptions.qos(0)}, m -> { });
        assertEquals(1, granted[0]);
        assertEquals(0, granted[1]);
        assertEquals(SubscriptionOptions.qos(1).withRetainHandling(2), conn.wantedSubscriptionOptions().get("c5/m/a"));
    }

    @Test
    void aRequestGetsTheResponseWithItsCorrelationDataThroughTheBroker() throws Exception {
        ClientConnection requester = connect("c5-req", MqttConstants.MQTT_5);
        ClientConnection responder = connect("c5-resp", MqttConstants.MQTT_5);
        responder.subscribe("c5/svc/echo", 1, m -> {
            MqttProperties p = m.properties();
            // QoS 0 from the listener: the I/O thread does not wait
            responder.publish(p.responseTopic(), ("echo:" + new String(m.payload(), StandardCharsets.UTF_8))
                    .getBytes(StandardCharsets.UTF_8), 0, false, MqttProperties.builder()
                            .correlationData(p.correlationData()).contentType("text/plain").build());
        });
        CompletableFuture<MqttMessage> a = requester.request("c5/svc/echo", "one".getBytes(StandardCharsets.UTF_8), 1,
                MqttProperties.builder().userProperty("k", "v").build(), 10_000);
        CompletableFuture<MqttMessage> b = requester.request("c5/svc/echo", "two".getBytes(StandardCharsets.UTF_8), 1,
                MqttProperties.EMPTY, 10_000);
        MqttMessage ra = a.get(WAIT, TimeUnit.SECONDS);
        assertEquals("echo:one", new String(ra.payload(), StandardCharsets.UTF_8));
        assertEquals("text/plain", ra.properties().contentType());
        assertEquals("umqtt/response/c5-req", ra.topicString());
        assertEquals("echo:two", new String(b.get(WAIT, TimeUnit.SECONDS).payload(), StandardCharsets.UTF_8));
        assertEquals(0, requester.pendingRequests());
    }

    @Test
    void connectionsWithoutClientIdEachGetTheirOwnResponseTopicNamedByTheBroker() throws Exception {
        ClientConnection responder = connect("c5-resp-anon", MqttConstants.MQTT_5);
        responder.subscribe("c5/svc/anon", 1, m -> responder.publish(m.properties().responseTopic(), m.payload(), 0,
                false, MqttProperties.builder().correlationData(m.properties().correlationData()).build()));
        List<String> topics = new ArrayList<>();
        for (String name : new String[] {"anon-a", "anon-b"}) {
            MqttClient client = new MqttClient("", broker.host(), broker.port());
            client.setProtocolVersion(MqttConstants.MQTT_5);
            ClientConnection conn = new ClientConnection(name, client);
            client.connect(true);
            Thread loop = new Thread(() -> {
                try {
                    client.loop();
                } catch (IOException e) {
                    // closed by the test
                }
            }, "loop-" + name);
            loop.setDaemon(true);
            loop.start();
            cleanup.add(() -> {
                conn.failPendingRequests("the test ended");
                client.close();
            });
            String assigned = client.serverSettings().assignedClientIdentifier();
            assertNotNull(assigned, "mosquitto assigns an id to an MQTT 5 client without one");
            MqttMessage r = conn.request("c5/svc/anon", name.getBytes(StandardCharsets.UTF_8), 1, MqttProperties.EMPTY,
                    10_000).get(WAIT, TimeUnit.SECONDS);
            assertEquals(name, new String(r.payload(), StandardCharsets.UTF_8));
            assertEquals(ClientConnection.responseTopicOf(null, assigned), r.topicString());
            topics.add(r.topicString());
        }
        assertNotEquals(topics.get(0), topics.get(1), "two connections without client id share no response topic");
    }

    @Test
    void aListenerMayRequestWithoutBlockingTheIoThread() throws Exception {
        ClientConnection conn = connect("c5-chain", MqttConstants.MQTT_5);
        conn.subscribe("c5/svc/time", 1, m -> conn.publish(m.properties().responseTopic(),
                "12:00".getBytes(StandardCharsets.UTF_8), 0, false,
                MqttProperties.builder().correlationData(m.properties().correlationData()).build()));
        BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        conn.subscribe("c5/trigger", 0, m -> m.connection().request("c5/svc/time", new byte[0], 1,
                MqttProperties.EMPTY, 10_000).thenAccept(r -> answers.add(new String(r.payload(),
                        StandardCharsets.UTF_8))));
        conn.publish("c5/trigger", new byte[0], 0, false);
        assertEquals("12:00", answers.poll(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void aRequestNobodyAnswersTimesOutAndPendingRequestsFailWhenTheConnectionGoes() throws Exception {
        ClientConnection conn = connect("c5-lonely", MqttConstants.MQTT_5);
        CompletableFuture<MqttMessage> f = conn.request("c5/nobody", new byte[0], 1, MqttProperties.EMPTY, 200);
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT, TimeUnit.SECONDS));
        assertEquals(MqttException.Reason.TIMEOUT, assertInstanceOf(MqttException.class, e.getCause()).reason());
        assertTrue(e.getCause().getMessage().contains("c5-lonely") && e.getCause().getMessage()
                .contains("'c5/nobody'"), e.getCause().getMessage());

        CompletableFuture<MqttMessage> g = conn.request("c5/nobody", new byte[0], 1, MqttProperties.EMPTY, 60_000);
        CountDownLatch failed = new CountDownLatch(1);
        g.whenComplete((r, x) -> failed.countDown());
        conn.failPendingRequests("the component was deactivated");
        assertTrue(failed.await(WAIT, TimeUnit.SECONDS));
        ExecutionException x = assertThrows(ExecutionException.class, g::get);
        assertTrue(x.getCause().getMessage().contains("the component was deactivated"), x.getCause().getMessage());
    }

    @Test
    void aRequestsArgumentsAreCheckedAtOnce() throws Exception {
        ClientConnection conn = connect("c5-args", MqttConstants.MQTT_5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conn.request("a/#",
                new byte[0], 0, MqttProperties.EMPTY, 1000));
        assertTrue(e.getMessage().contains("c5-args") && e.getMessage().contains("'a/#'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conn.request("a", new byte[0], 0,
                MqttProperties.builder().responseTopic("mine").build(), 1000));
        assertTrue(e.getMessage().contains("set by the connection"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conn.request("a", new byte[0], 0, null, 0));
        assertTrue(e.getMessage().contains("timeout"), e.getMessage());
    }

    @Test
    void onMqtt311TheMqtt5CallsAreRefusedNamingTheConnection() throws Exception {
        ClientConnection conn = connect("c5-old", MqttConstants.MQTT_3_1_1);
        assertEquals(4, conn.protocolVersion());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conn.publish("a",
                new byte[0], 0, false, MqttProperties.builder().contentType("x").build()));
        assertTrue(e.getMessage().contains("c5-old") && e.getMessage().contains("protocol.version=5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> conn.subscribe("a", SubscriptionOptions.qos(0)
                .withNoLocal(true), m -> { }));
        assertTrue(e.getMessage().contains("c5-old") && e.getMessage().contains("protocol.version=5"), e.getMessage());
        ExecutionException x = assertThrows(ExecutionException.class, () -> conn.request("a", new byte[0], 0,
                MqttProperties.EMPTY, 1000).get());
        assertInstanceOf(UnsupportedOperationException.class, x.getCause());
        conn.publish("a", new byte[0], 0, false, MqttProperties.EMPTY); // empty properties: a plain publish
        assertEquals(ConnectionState.CONNECTED, conn.state());
    }
}
