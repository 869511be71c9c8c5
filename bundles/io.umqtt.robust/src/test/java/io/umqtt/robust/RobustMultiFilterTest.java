package io.umqtt.robust;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.internal.codec.SubscribeEncoder;
import io.umqtt.simple.internal.codec.UnsubscribeEncoder;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * The robust client's subscriptions in one packet: {@code subscribe(String[], int[])}, and the
 * restore after a reconnect (one SUBSCRIBE for every remembered filter, one UNSUBSCRIBE for every
 * pending unsubscribe), a refused filter reported on its own.
 */
class RobustMultiFilterTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final Semaphore connected = new Semaphore(0);
    private final Semaphore lost = new Semaphore(0);
    private final BlockingQueue<String> failedFilters = new LinkedBlockingQueue<>();
    private final BlockingQueue<IOException> failures = new LinkedBlockingQueue<>();
    private RobustMqttClient client;

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        pool.shutdownNow();
    }

    private RobustMqttClient listen(RobustMqttClient c) {
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
        c.setListener(new RobustListener() {
            @Override
            public void connected(String server, int port, boolean sessionPresent) {
                connected.release();
            }

            @Override
            public void connectionLost(IOException cause) {
                lost.release();
            }

            @Override
            public void subscriptionFailed(String filter, IOException cause) {
                failedFilters.add(filter);
                failures.add(cause);
            }
        });
        client = c;
        return c;
    }

    private static byte[][] utf8(String... f) {
        byte[][] out = new byte[f.length][];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    /** The packet with its packet id (bytes 2 and 3 of a short packet) set to 0, to compare. */
    private static byte[] withoutId(byte[] packet) {
        byte[] p = packet.clone();
        p[2] = 0;
        p[3] = 0;
        return p;
    }

    @Test
    void theRestoreIsOneSubscribeAndARefusedFilterIsReportedOnItsOwn() throws Exception {
        try (ScriptedBroker broker = new ScriptedBroker()) {
            RobustMqttClient c = listen(new RobustMqttClient("restore", "127.0.0.1", broker.port(), null, null, 0,
                    null));
            c.start("restore-runner");
            Peer first = broker.accept();
            first.acceptConnect();
            assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS));
            Future<int[]> sub = pool.submit(() -> c.subscribe(new String[] {"a/1", "b/#", "c/+"}, new int[] {1, 0, 1}));
            byte[] subscribe = first.readPacket();
            assertArrayEquals(withoutId(SubscribeEncoder.encode(0, utf8("a/1", "b/#", "c/+"), new int[] {1, 0, 1}, 0,
                    3)), withoutId(subscribe), "one SUBSCRIBE");
            first.write(bytes(0x90, 0x05, subscribe[2], subscribe[3], 0x01, 0x00, 0x01));
            assertArrayEquals(new int[] {1, 0, 1}, sub.get(10, TimeUnit.SECONDS));
            Future<Integer> single = pool.submit(() -> c.subscribe("d", 0));
            byte[] d = first.readPacket();
            first.write(bytes(0x90, 0x03, d[2], d[3], 0x00));
            assertEquals(0, single.get(10, TimeUnit.SECONDS));
            first.close();
            assertTrue(lost.tryAcquire(10, TimeUnit.SECONDS));

            Peer second = broker.accept();
            second.acceptConnect();
            byte[] restore = second.readPacket();
            assertArrayEquals(withoutId(SubscribeEncoder.encode(0, utf8("a/1", "b/#", "c/+", "d"),
                    new int[] {1, 0, 1, 0}, 0, 4)), withoutId(restore), "every remembered filter in one SUBSCRIBE");
            second.write(bytes(0x90, 0x06, restore[2], restore[3], 0x01, 0x80, 0x01, 0x00)); // b/# refused
            assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS), "connected once restored");
            assertEquals("b/#", failedFilters.poll(10, TimeUnit.SECONDS));
            IOException why = failures.poll();
            assertEquals(Reason.SUBSCRIPTION_REFUSED, ((MqttException) why).reason());
            assertTrue(why.getMessage().contains("refused the subscription to 'b/#' (SUBACK return code 0x80)"),
                    why.getMessage());
            assertEquals(List.of(), List.copyOf(failedFilters), "only b/# failed");
            // no further SUBSCRIBE: the next packet the broker sees is this PINGREQ
            c.ping();
            assertArrayEquals(bytes(0xC0, 0x00), second.readPacket());
            second.close();
        }
    }

    @Test
    void pendingUnsubscribesGoInOneUnsubscribeWhenTheSessionSurvived() throws Exception {
        try (ScriptedBroker broker = new ScriptedBroker()) {
            RobustMqttClient c = listen(new RobustMqttClient("session", "127.0.0.1", broker.port(), null, null, 0,
                    null));
            Future<Boolean> connecting = pool.submit(() -> c.connect(false));
            Peer first = broker.accept();
            first.acceptConnect();
            connecting.get(10, TimeUnit.SECONDS);
            Future<int[]> sub = pool.submit(() -> c.subscribe(new String[] {"x/1", "x/2", "x/3"}, new int[] {0, 0, 0}));
            byte[] subscribe = first.readPacket();
            first.write(bytes(0x90, 0x05, subscribe[2], subscribe[3], 0x00, 0x00, 0x00));
            sub.get(10, TimeUnit.SECONDS);
            c.start("session-runner");
            first.close();
            assertTrue(lost.tryAcquire(10, TimeUnit.SECONDS));
            // while disconnected (thread-driven: the call throws): forgotten now, unsubscribed on connect
            try {
                c.unsubscribe(new String[] {"x/1", "x/3"});
            } catch (IOException expected) {
                // the UNSUBSCRIBE could not be sent
            }
            assertEquals(Map.of("x/2", 0), c.subscriptions());
            Peer second = broker.accept();
            second.readPacket(); // CONNECT
            second.write(ScriptedBroker.connack(1, 0)); // the session survived: nothing to subscribe
            byte[] unsubscribe = second.readPacket();
            assertArrayEquals(withoutId(UnsubscribeEncoder.encode(0, utf8("x/1", "x/3"), 0, 2)), withoutId(unsubscribe),
                    "both pending unsubscribes in one UNSUBSCRIBE");
            second.write(bytes(0xB0, 0x02, unsubscribe[2], unsubscribe[3]));
            assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS));
            c.ping();
            assertArrayEquals(bytes(0xC0, 0x00), second.readPacket(), "no SUBSCRIBE: the session kept x/2");
            second.close();
        }
    }

    @Test
    void aBrokerRestartIsRestoredWithOneSubscribeAgainstMosquitto() throws Exception {
        try (MosquittoBroker broker = MosquittoBroker.builder().denySubscribe("denied/#").start()) {
            BlockingQueue<String> received = new LinkedBlockingQueue<>();
            RobustMqttClient c = listen(new RobustMqttClient("multi-robust", broker.host(), broker.port(), null, null,
                    0, null));
            c.setCallback((topic, msg, retain, dup, qos) -> received.add(new String(topic, StandardCharsets.UTF_8)));
            c.start("multi-robust-runner");
            assertTrue(connected.tryAcquire(10, TimeUnit.SECONDS));
            int[] granted = c.subscribe(new String[] {"m/1", "denied/x", "m/2", "later/x"}, new int[] {1, 1, 0, 0});
            assertArrayEquals(new int[] {1, MqttClient.SUBSCRIPTION_FAILURE, 0, 0}, granted);
            assertEquals(List.of("m/1", "m/2", "later/x"), List.copyOf(c.subscriptions().keySet()),
                    "the refused filter is forgotten");

            // the broker comes back without the session, and now refuses later/#
            Path acl = broker.directory().resolve("dynamic-security.json");
            Files.writeString(acl, Files.readString(acl).replace("\"acls\": [", "\"acls\": [{\"acltype\": "
                    + "\"subscribePattern\", \"topic\": \"later/#\", \"priority\": 0, \"allow\": false}, "));
            int before = broker.log().length();
            broker.restart();
            assertTrue(lost.tryAcquire(10, TimeUnit.SECONDS));
            assertTrue(connected.tryAcquire(20, TimeUnit.SECONDS), "reconnected and restored");
            assertEquals("later/x", failedFilters.poll(10, TimeUnit.SECONDS));

            MqttClient pub = new MqttClient("multi-robust-pub", broker.host(), broker.port());
            pub.connect(true);
            pub.publish("m/2", "x", false, 1);
            assertEquals("m/2", received.poll(10, TimeUnit.SECONDS));
            pub.disconnect();
            String after = broker.log().substring(before);
            assertEquals(1, count(after, "Received SUBSCRIBE from multi-robust\n"), after);
            assertTrue(after.contains("\tm/1 (QoS 1)") && after.contains("\tm/2 (QoS 0)")
                    && after.contains("\tlater/x (QoS 0)"), after);
        }
    }

    private static int count(String text, String fragment) {
        Matcher m = Pattern.compile(Pattern.quote(fragment)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
