package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.internal.codec.SubscribeEncoder;
import io.umqtt.simple.internal.codec.UnsubscribeEncoder;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;

/** {@link MqttClient#subscribe(String[], int[])} and {@link MqttClient#unsubscribe(String[])}. */
class MultiFilterSubscribeTest {

    private static byte[][] utf8(String... f) {
        byte[][] out = new byte[f.length][];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    /** Against a broker whose every byte the test writes. */
    @Nested
    class OnTheWire {
        private final ExecutorService pool = Executors.newCachedThreadPool();
        private ScriptedBroker broker;
        private ScriptedBroker.Peer peer;
        private MqttClient client;

        @BeforeEach
        void connect() throws Exception {
            broker = new ScriptedBroker();
            client = new MqttClient("multi", "127.0.0.1", broker.port());
            Future<Boolean> connected = pool.submit(() -> client.connect(true));
            peer = broker.accept();
            peer.acceptConnect();
            assertFalse(connected.get(10, TimeUnit.SECONDS));
        }

        @AfterEach
        void close() throws Exception {
            client.close();
            peer.close();
            broker.close();
            pool.shutdownNow();
        }

        private <T> T within(Future<T> f) throws Exception {
            try {
                return f.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw (Exception) e.getCause();
            }
        }

        @Test
        void allFiltersGoInOneSubscribeAndEachGetsItsReturnCode() throws Exception {
            Future<int[]> subscribing = pool.submit(() -> client.subscribe(new String[] {"a/#", "b", "c/+"},
                    new int[] {1, 0, 1}));
            byte[] packet = peer.readPacket();
            assertArrayEquals(SubscribeEncoder.encode(1, utf8("a/#", "b", "c/+"), new int[] {1, 0, 1}, 0, 3), packet);
            peer.write(0x90, 0x05, 0x00, 0x01, 0x01, 0x80, 0x00); // b refused, c/+ granted lower
            assertArrayEquals(new int[] {1, MqttClient.SUBSCRIPTION_FAILURE, 0}, within(subscribing));
            assertTrue(client.isConnected(), "a partial refusal is no failure of the connection");
            assertEquals(List.of(), client.acks.pendingIds());
        }

        @Test
        void aSubackWithFewerCodesThanFiltersIsAProtocolErrorThatClosesTheConnection() throws Exception {
            Future<int[]> subscribing = pool.submit(() -> client.subscribe(new String[] {"a", "b", "c"},
                    new int[] {0, 0, 0}));
            peer.readPacket();
            peer.write(0x90, 0x04, 0x00, 0x01, 0x00, 0x00);
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> within(subscribing));
            assertTrue(e.getMessage().contains("SUBACK for packet id 1 carries 2 return codes, but its SUBSCRIBE had "
                    + "3 filters"), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
            assertEquals(Reason.PROTOCOL_ERROR, ((MqttException) client.failure()).reason());
            assertTrue(peer.awaitClosed(10_000));
        }

        @Test
        void aSingleFilterSubscribeAnsweredWithTwoCodesIsAProtocolError() throws Exception {
            Future<Integer> subscribing = pool.submit(() -> client.subscribe("a/b", 1));
            peer.readPacket();
            peer.write(0x90, 0x04, 0x00, 0x01, 0x01, 0x01);
            assertThrows(java.io.IOException.class, () -> within(subscribing));
            assertTrue(client.failure().getMessage().contains("carries 2 return codes, but its SUBSCRIBE had 1 filter"),
                    client.failure().getMessage());
            assertTrue(peer.awaitClosed(10_000));
        }

        @Test
        void filtersThatDoNotFitOnePacketAreSplitOverAsFewAsHoldThem() throws Exception {
            client.subscriber.maxSubscribeRemaining = 2 + 2 * (2 + 3 + 1); // two filters of 3 bytes per SUBSCRIBE
            String[] filters = {"t/1", "t/2", "t/3", "t/4", "t/5"};
            Future<int[]> subscribing = pool.submit(() -> client.subscribe(filters, new int[] {0, 1, 0, 1, 0}));
            byte[][] f = utf8(filters);
            int[] qos = {0, 1, 0, 1, 0};
            assertArrayEquals(SubscribeEncoder.encode(1, f, qos, 0, 2), peer.readPacket());
            assertArrayEquals(SubscribeEncoder.encode(2, f, qos, 2, 4), peer.readPacket());
            assertArrayEquals(SubscribeEncoder.encode(3, f, qos, 4, 5), peer.readPacket());
            // answered out of order: each SUBACK goes to its packet id
            peer.write(bytes(0x90, 0x03, 0x00, 0x03, 0x00), bytes(0x90, 0x04, 0x00, 0x01, 0x00, 0x80),
                    bytes(0x90, 0x04, 0x00, 0x02, 0x00, 0x01));
            assertArrayEquals(new int[] {0, 0x80, 0, 1, 0}, within(subscribing));

            client.subscriber.maxSubscribeRemaining = 2 + 3 * (2 + 3); // three filters per UNSUBSCRIBE
            Future<?> unsubscribing = pool.submit(() -> {
                client.unsubscribe(filters);
                return null;
            });
            assertArrayEquals(UnsubscribeEncoder.encode(4, f, 0, 3), peer.readPacket());
            assertArrayEquals(UnsubscribeEncoder.encode(5, f, 3, 5), peer.readPacket());
            peer.write(bytes(0xB0, 0x02, 0x00, 0x04), bytes(0xB0, 0x02, 0x00, 0x05));
            within(unsubscribing);
            assertEquals(List.of(), client.acks.pendingIds());
        }

        @Test
        void severalFiltersGoInOneUnsubscribe() throws Exception {
            Future<?> unsubscribing = pool.submit(() -> {
                client.unsubscribe(new String[] {"a/b", "c/#"});
                return null;
            });
            byte[] expected = bytes(0xA2, 0x0C, 0x00, 0x01, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x03, 'c', '/', '#');
            assertArrayEquals(expected, peer.readPacket());
            peer.write(0xB0, 0x02, 0x00, 0x01);
            assertNull(within(unsubscribing));
        }

        @Test
        void whenOneSubackDoesNotComeNoWaitIsLeftBehind() throws Exception {
            client.setAckTimeout(300);
            client.subscriber.maxSubscribeRemaining = 2 + (2 + 3 + 1);
            Future<int[]> subscribing = pool.submit(() -> client.subscribe(new String[] {"t/1", "t/2", "t/3"},
                    new int[] {0, 0, 0}));
            peer.readPacket();
            peer.readPacket();
            peer.readPacket();
            peer.write(0x90, 0x03, 0x00, 0x02, 0x00); // only the second packet is answered
            MqttException e = assertThrows(MqttException.class, () -> within(subscribing));
            assertEquals(Reason.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("no SUBACK for packet id 1 ('t/1')"), e.getMessage());
            assertEquals(List.of(), client.acks.pendingIds(), "packet id 3 is given up too");
            assertTrue(client.isConnected());
        }

        @Test
        void everyFilterAndQosIsCheckedBeforeAnythingIsSent() throws Exception {
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> client.subscribe(new String[] {"ok/1", "a/#/b", "ok/2"}, new int[] {0, 0, 0}));
            assertTrue(bad.getMessage().startsWith("filter 2 of 3 ('a/#/b') for client 'multi' at 127.0.0.1:"
                    + broker.port() + " is not a valid topic filter: "), bad.getMessage());
            IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                    () -> client.unsubscribe(new String[] {"ok", null}));
            assertTrue(nul.getMessage().startsWith("filter 2 of 2 ('null') for client 'multi' at 127.0.0.1:"),
                    nul.getMessage());
            assertTrue(nul.getMessage().endsWith("is not a valid topic filter: it is null"), nul.getMessage());
            IllegalArgumentException qos = assertThrows(IllegalArgumentException.class,
                    () -> client.subscribe(new String[] {"ok/1", "ok/2"}, new int[] {0, 3}));
            assertTrue(qos.getMessage().startsWith("filter 2 of 2 ('ok/2') for client 'multi' at 127.0.0.1:"),
                    qos.getMessage());
            assertTrue(qos.getMessage().contains("found 3"), qos.getMessage());
            IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                    () -> client.subscribe(new String[] {"ok/1", "ok/2"}, new int[] {0}));
            assertTrue(count.getMessage().contains("one QoS per filter for client 'multi'"), count.getMessage());
            assertTrue(count.getMessage().endsWith("2 filters, 1 QoS values"), count.getMessage());
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> client.subscribe(new String[0], new int[0]));
            assertTrue(none.getMessage().startsWith("no topic filters given for client 'multi'"), none.getMessage());
            // nothing went out: the next packet the broker sees is this PINGREQ
            client.ping();
            assertArrayEquals(bytes(0xC0, 0x00), peer.readPacket());
            assertTrue(client.isConnected());
        }
    }

    /** Against mosquitto, which refuses the filters under {@code denied/} (dynamic security plugin). */
    @Nested
    class AgainstMosquitto {
        private MosquittoBroker broker;

        @BeforeEach
        void start() throws Exception {
            broker = MosquittoBroker.builder().denySubscribe("denied/#").start();
        }

        @AfterEach
        void stop() {
            broker.close();
        }

        @Test
        void aRefusedFilterIsReportedAndTheOthersAreSubscribed() throws Exception {
            MqttClient sub = new MqttClient("multi-sub", broker.host(), broker.port());
            MqttClient pub = new MqttClient("multi-pub", broker.host(), broker.port());
            try (ReceivingClient r = ReceivingClient.connect(sub, true)) {
                pub.connect(true);
                int[] granted = sub.subscribe(new String[] {"ok/a", "denied/x", "ok/+/c"}, new int[] {1, 1, 0});
                assertArrayEquals(new int[] {1, MqttClient.SUBSCRIPTION_FAILURE, 0}, granted);
                pub.publish("denied/x", "no", false, 1);
                pub.publish("ok/a", "one", false, 1);
                pub.publish("ok/b/c", "two", false, 1);
                Set<String> got = new HashSet<>();
                for (int i = 0; i < 2; i++) {
                    ReceivingClient.Message m = r.next();
                    got.add(m.topicString() + " q" + m.qos());
                }
                assertEquals(Set.of("ok/a q1", "ok/b/c q0"), got);

                sub.unsubscribe(new String[] {"ok/a", "ok/+/c", "denied/x"});
                assertTrue(broker.awaitLog("Received UNSUBSCRIBE from multi-sub", 10, TimeUnit.SECONDS));
                pub.publish("ok/a", "gone", false, 1);
                pub.publish("ok/b/c", "gone", false, 1);
                sub.subscribe("marker", 0);
                pub.publish("marker", "m", false, 1);
                assertEquals("marker", r.next().topicString(), "nothing of the unsubscribed filters came first");
                pub.disconnect();
            }
        }
    }
}
