package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.Constants;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.connection.ClientConnection;
import io.umqtt.simple.connection.ConnectionSettings;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * Retain As Published against mosquitto (MQTT 5) on a filter whose traffic is only retained
 * publishes, as state topics often are: every message then comes with RETAIN=1, no live RETAIN=0
 * message ever closes a SUBSCRIBE's retained messages, and a second handler joining makes the
 * whiteboard subscribe again, which brings the retained messages once more. Every handler must
 * get every value once: the first its retained one and each update, the second the retained
 * value when it joins and each update; no copy of the second SUBSCRIBE's retained message to the
 * first (FilterEntry, "Retained messages").
 */
@Timeout(60)
class WhiteboardRetainAsPublishedMosquittoTest {
    private static final long WAIT_SECONDS = 10;
    private static MosquittoBroker broker;

    private final List<Runnable> cleanup = new ArrayList<>();
    private RuntimeWatch runtime;
    private final AtomicLong nextServiceId = new AtomicLong(950);
    private Whiteboard whiteboard;

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

    @BeforeEach
    void start() {
        whiteboard = new Whiteboard(Settings.of(2, 1000));
        runtime = new RuntimeWatch(whiteboard, WAIT_SECONDS);
    }

    @AfterEach
    void close() {
        whiteboard.close();
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    /** A connected MQTT 5 connection over a new client, its loop on a thread of its own. */
    private ClientConnection connect(String id) throws Exception {
        MqttClient client = ConnectionSettings.builder("io.umqtt.simple~" + id).server(broker.host())
                .port(broker.port()).clientId(id).protocolVersion(MqttConstants.MQTT_5).build().newClient();
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
            client.close();
            try {
                loop.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return conn;
    }

    @Test
    void retainedOnlyTrafficReachesEveryHandlerOnceEachAlsoWhenASecondHandlerJoins() throws Exception {
        ClientConnection publisher = connect("wb-rap-pub");
        publish(publisher, "state/a", "v0"); // QoS 1: stored by the broker once this returns
        ClientConnection conn = connect("wb-rap-sub");
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, 1L);
        p.put(MqttConstants.NAME, "wb-rap-sub");
        p.put(MqttConstants.CONNECTED, true);
        p.put(MqttConstants.STATE, ConnectionState.CONNECTED.name());
        p.put(MqttConstants.PROTOCOL_VERSION, 5);
        whiteboard.addConnection(p, conn);

        Recorder first = new Recorder();
        register(first);
        assertEquals("state/a v0 retained", first.next(), "the retained message");
        publish(publisher, "state/a", "v1");
        assertEquals("state/a v1 retained", first.next(), "an update: no live RETAIN=0 message ever closed "
                + "the first SUBSCRIBE's retained messages, yet the handler that had 'v0' gets 'v1'");

        Recorder second = new Recorder();
        register(second);
        assertEquals("state/a v1 retained", second.next(), "the retained message, for the joining handler");
        publish(publisher, "state/a", "v2");
        assertEquals("state/a v2 retained", first.next(), "no copy of 'v1' from the second handler's SUBSCRIBE");
        assertEquals("state/a v2 retained", second.next());
        publish(publisher, "state/b", "b0");
        assertEquals("state/b b0 retained", first.next(), "a new topic");
        assertEquals("state/b b0 retained", second.next());

        // the same value again once the second SUBSCRIBE's SUBACK is recorded (before, it would be
        // taken for that SUBSCRIBE's copy: FilterEntry, "what this guarantees")
        runtime.await(dto -> Arrays.stream(dto.connections[0].subscriptions).anyMatch(s -> s.filter.equals("state/#")
                && SubscriptionDTO.SUBSCRIBED.equals(s.status) && s.handlerServiceIds.length == 2),
                "state/# subscribed for both");
        publish(publisher, "state/a", "v2");
        assertEquals("state/a v2 retained", first.next(), "the same value published again is a message of its own");
        assertEquals("state/a v2 retained", second.next());

        // a marker behind everything on the one connection: any extra copy would come before it
        publish(publisher, "state/end", "x");
        assertEquals("state/end x retained", first.next());
        assertEquals("state/end x retained", second.next());
        assertTrue(first.received.isEmpty() && second.received.isEmpty(), "nothing more: " + first.received + " "
                + second.received);
    }

    private static void publish(ClientConnection publisher, String topic, String payload) throws IOException {
        publisher.publish(topic, payload.getBytes(StandardCharsets.UTF_8), MqttConstants.QOS_AT_LEAST_ONCE, true);
    }

    private void register(MessageHandler handler) {
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, nextServiceId.incrementAndGet());
        p.put(Constants.SERVICE_BUNDLEID, 9L);
        p.put(HandlerConstants.TOPIC, "state/#");
        p.put(HandlerConstants.QOS, 1);
        p.put(HandlerConstants.RETAIN_AS_PUBLISHED, true);
        whiteboard.addHandler(p, "com.example.state [9]", handler);
    }


    private static final class Recorder implements MessageHandler {
        final BlockingQueue<String> received = new LinkedBlockingQueue<>();

        @Override
        public void handle(MqttMessage message) {
            received.add(message.topicString() + " " + new String(message.payload(), StandardCharsets.UTF_8)
                    + (message.retain() ? " retained" : ""));
        }

        String next() throws InterruptedException {
            String m = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(m, "no message within " + WAIT_SECONDS + " s");
            return m;
        }
    }
}
