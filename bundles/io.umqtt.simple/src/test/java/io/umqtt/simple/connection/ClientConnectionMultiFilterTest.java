package io.umqtt.simple.connection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * {@link ClientConnection}'s several-filter subscribe and unsubscribe against mosquitto, which
 * refuses {@code denied/#} (dynamic security plugin) and logs every packet: one SUBSCRIBE and one
 * UNSUBSCRIBE per call, listeners dropped from refused filters only.
 */
@Timeout(60)
class ClientConnectionMultiFilterTest {
    private MosquittoBroker broker;
    private MqttClient client;
    private ClientConnection conn;
    private Thread loop;
    private MqttClient pub;

    @BeforeEach
    void start() throws Exception {
        broker = MosquittoBroker.builder().denySubscribe("denied/#").start();
        client = new MqttClient("cc-multi", broker.host(), broker.port());
        conn = new ClientConnection("cc-multi", client);
        client.connect(true);
        loop = new Thread(() -> {
            try {
                client.loop();
            } catch (IOException e) {
                // the connection ended: the test's assertions say whether that was expected
            }
        }, "cc-multi-loop");
        loop.start();
        pub = new MqttClient("cc-multi-pub", broker.host(), broker.port());
        pub.connect(true);
    }

    @AfterEach
    void stop() throws Exception {
        pub.close();
        client.close();
        loop.join(10_000);
        broker.close();
    }

    private static MessageListener into(BlockingQueue<String> q) {
        return m -> q.add(m.topicString());
    }

    private int count(String fragment) {
        Matcher m = Pattern.compile(Pattern.quote(fragment)).matcher(broker.log());
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void oneSubscribeAndOneUnsubscribeForSeveralFiltersWithARefusal() throws Exception {
        BlockingQueue<String> a = new LinkedBlockingQueue<>();
        BlockingQueue<String> b = new LinkedBlockingQueue<>();
        MessageListener la = into(a);
        MessageListener lb = into(b);
        int[] granted = conn.subscribe(new String[] {"m/a", "denied/x", "m/b"}, new int[] {1, 1, 0}, la);
        assertArrayEquals(new int[] {1, MqttConnection.SUBSCRIPTION_FAILURE, 0}, granted);
        assertEquals(1, count("Received SUBSCRIBE from cc-multi\n"), broker.log());
        assertEquals(Map.of("m/a", 1, "m/b", 0), conn.wantedSubscriptions(), "dropped from the refused filter only");
        assertEquals(1, conn.subscribe("m/b", 1, lb)); // another listener raises m/b to QoS 1

        pub.publish("m/a", "1", false, 1);
        pub.publish("m/b", "2", false, 1);
        assertEquals("m/a", a.poll(10, TimeUnit.SECONDS));
        assertEquals("m/b", a.poll(10, TimeUnit.SECONDS));
        assertEquals("m/b", b.poll(10, TimeUnit.SECONDS));

        boolean[] unsubscribed = conn.unsubscribe(new String[] {"m/a", "m/b"}, la);
        assertArrayEquals(new boolean[] {true, false}, unsubscribed, "m/b keeps its other listener");
        assertTrue(broker.awaitLog("Received UNSUBSCRIBE from cc-multi", 10, TimeUnit.SECONDS));
        assertEquals(1, count("Received UNSUBSCRIBE from cc-multi\n"), broker.log());
        pub.publish("m/a", "3", false, 1);
        pub.publish("m/b", "4", false, 1);
        assertEquals("m/b", b.poll(10, TimeUnit.SECONDS), "m/b is still subscribed at the broker");
        // one reader thread delivers in order: m/a, published first, would have reached la by now
        assertTrue(a.isEmpty(), "la left both filters: " + a);
        assertEquals(Map.of("m/b", 1), conn.wantedSubscriptions());
    }

    @Test
    void everyFilterIsCheckedBeforeAnythingChanges() {
        MessageListener l = m -> { };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> conn.subscribe(new String[] {"ok", "bad/#/x"}, new int[] {0, 0}, l));
        assertTrue(e.getMessage().startsWith("MQTT connection cc-multi: filter 2 of 2 ('bad/#/x') is not a valid "
                + "topic filter"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> conn.subscribe(new String[] {"ok"}, new int[] {0}, null));
        assertThrows(IllegalArgumentException.class, () -> conn.unsubscribe(new String[0], l));
        assertEquals(Map.of(), conn.wantedSubscriptions());
    }
}
