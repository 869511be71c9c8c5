package io.umqtt.simple.connection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MatchingListener;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttMessage;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.internal.LogCapture;

/**
 * Dispatch of {@link ClientConnection} with every byte from the broker written by the test, so
 * that one PUBLISH is exactly one message (a real broker may send one copy per overlapping
 * subscription).
 */
@Timeout(30)
class ClientConnectionTest {
    private ServerSocket server;
    private Socket peer;
    private InputStream in;
    private OutputStream out;
    private MqttClient client;
    private ClientConnection conn;
    private Thread loop;
    private LogCapture log;

    @BeforeEach
    void connect() throws Exception {
        log = new LogCapture();
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        server.setSoTimeout(10_000);
        client = ConnectionSettings.builder("io.umqtt.simple~dispatch").server("127.0.0.1").port(server.getLocalPort())
                .clientId("dispatch").build().newClient();
        conn = new ClientConnection("dispatch", client);
        CountDownLatch connected = new CountDownLatch(1);
        loop = new Thread(() -> {
            try {
                client.connect(true);
                connected.countDown();
                client.loop();
            } catch (IOException e) {
                if (client.state() != ConnectionState.CLOSED) { // closed by close() below: expected
                    throw new IllegalStateException(e);
                }
            }
        }, "dispatch-loop");
        loop.start();
        peer = server.accept();
        peer.setSoTimeout(10_000);
        in = peer.getInputStream();
        out = peer.getOutputStream();
        assertEquals(0x10, readPacket()[0] & 0xFF, "CONNECT");
        out.write(new byte[] {0x20, 0x02, 0x00, 0x00}); // CONNACK, accepted
        assertTrue(connected.await(10, TimeUnit.SECONDS));
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        loop.join(10_000);
        peer.close();
        server.close();
        log.close();
    }

    /** Subscribes on another thread while the test plays the broker's SUBACK. */
    private void subscribe(String filter, MessageListener listener) throws Exception {
        subscribe(filter, 1, listener);
    }

    /** Subscribes at {@code qos}; returns the QoS the SUBSCRIBE asked the broker for (granted as asked). */
    private int subscribe(String filter, int qos, MessageListener listener) throws Exception {
        CompletableFuture<Integer> granted = CompletableFuture.supplyAsync(() -> {
            try {
                return conn.subscribe(filter, qos, listener);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] subscribe = readPacket();
        assertEquals(0x82, subscribe[0] & 0xFF, "SUBSCRIBE");
        byte asked = subscribe[subscribe.length - 1];
        out.write(new byte[] {(byte) 0x90, 0x03, subscribe[2], subscribe[3], asked}); // SUBACK, as asked
        assertEquals(asked, granted.get(10, TimeUnit.SECONDS));
        return asked;
    }

    /** Drops one listener on another thread; plays the UNSUBACK when an UNSUBSCRIBE comes. */
    private boolean unsubscribeLast(String filter, MessageListener listener) throws Exception {
        CompletableFuture<Boolean> last = CompletableFuture.supplyAsync(() -> {
            try {
                return conn.unsubscribe(filter, listener);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] unsubscribe = readPacket();
        assertEquals(0xA2, unsubscribe[0] & 0xFF, "UNSUBSCRIBE");
        assertEquals(filter, new String(unsubscribe, 6, unsubscribe.length - 6, StandardCharsets.UTF_8));
        out.write(new byte[] {(byte) 0xB0, 0x02, unsubscribe[2], unsubscribe[3]}); // UNSUBACK
        return last.get(10, TimeUnit.SECONDS);
    }

    /** Sends a QoS 0 PUBLISH. */
    private void publish(String topic, String payload) throws IOException {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x30);
        b.write(2 + t.length + p.length); // short test packets: one length byte
        b.write(t.length >> 8);
        b.write(t.length);
        b.write(t);
        b.write(p);
        out.write(b.toByteArray());
    }

    @Test
    void eachMatchingListenerOnceEvenWithOverlappingFilters() throws Exception {
        List<MqttMessage> overlapping = new CopyOnWriteArrayList<>();
        List<MqttMessage> exact = new CopyOnWriteArrayList<>();
        List<MqttMessage> unrelated = new CopyOnWriteArrayList<>();
        CountDownLatch end = new CountDownLatch(1);
        MessageListener twice = overlapping::add;
        subscribe("d/+/x", twice);
        subscribe("d/#", twice);
        subscribe("d/a/x", exact::add);
        subscribe("other/#", unrelated::add);
        subscribe("end", m -> end.countDown());

        publish("d/a/x", "one");
        publish("end", "");
        assertTrue(end.await(10, TimeUnit.SECONDS));

        assertEquals(1, overlapping.size(), "one call although two of its filters match");
        assertEquals(1, exact.size());
        assertEquals(0, unrelated.size());
        MqttMessage a = overlapping.get(0);
        MqttMessage b = exact.get(0);
        assertEquals("d/a/x", a.topicString());
        assertArrayEquals("one".getBytes(StandardCharsets.UTF_8), b.payload());
        assertEquals(0, a.qos());
        assertSame(conn, a.connection());
        assertNotSame(a.payload(), b.payload(), "listeners get their own arrays");
        assertNotSame(a.topic(), b.topic());
    }

    @Test
    void throwingListenerIsLoggedAndIsolated() throws Exception {
        List<MqttMessage> good = new CopyOnWriteArrayList<>();
        CountDownLatch end = new CountDownLatch(1);
        subscribe("t", m -> {
            throw new IllegalStateException("listener failure on purpose");
        });
        subscribe("t", good::add);
        subscribe("end", m -> end.countDown());
        publish("t", "x");
        publish("end", "");
        assertTrue(end.await(10, TimeUnit.SECONDS));
        assertEquals(1, good.size(), "the listener after the throwing one still runs");
        assertEquals(1, conn.listenerFailures());
        assertTrue(log.text().contains("WARNING connection dispatch: listener")
                && log.text().contains("listener failure on purpose"), log.text());
        assertTrue(conn.isConnected(), "the connection goes on");
    }

    @Test
    void unmatchedMessageIsCounted() throws Exception {
        CountDownLatch end = new CountDownLatch(1);
        subscribe("end", m -> end.countDown());
        publish("nobody/listens", "x");
        publish("end", "");
        assertTrue(end.await(10, TimeUnit.SECONDS));
        assertEquals(1, conn.unmatchedMessages());
    }

    @Test
    void failedSubscribeLeavesNoListenerBehind() throws Exception {
        List<MqttMessage> got = new CopyOnWriteArrayList<>();
        CountDownLatch end = new CountDownLatch(1);
        CompletableFuture<Integer> refused = CompletableFuture.supplyAsync(() -> {
            try {
                return conn.subscribe("f", 1, got::add);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] subscribe = readPacket();
        out.write(new byte[] {(byte) 0x90, 0x03, subscribe[2], subscribe[3], (byte) 0x80}); // SUBACK, refused
        Exception e = assertThrows(Exception.class, () -> refused.get(10, TimeUnit.SECONDS));
        assertTrue(String.valueOf(e.getCause()).contains("refused the subscription to 'f'"), String.valueOf(e));
        subscribe("end", m -> end.countDown());
        publish("f", "x");
        publish("end", "");
        assertTrue(end.await(10, TimeUnit.SECONDS));
        assertTrue(got.isEmpty(), "the refused subscription's listener must not be called");
    }

    @Test
    void listenerStaysWhenTheClientKeepsTheSubscription() throws Exception {
        // as the robust connection does: its client makes the subscription once it is connected
        MqttClient offline = ConnectionSettings.builder("io.umqtt.simple~offline").server("127.0.0.1")
                .port(server.getLocalPort()).clientId("offline").build().newClient();
        ClientConnection keeping = new ClientConnection("offline", offline) {
            @Override
            protected boolean keepsSubscription(String filter) {
                return true;
            }
        };
        List<MqttMessage> got = new CopyOnWriteArrayList<>();
        MessageListener listener = got::add;
        IOException e = assertThrows(IOException.class, () -> keeping.subscribe("kept/+", 1, listener));
        assertTrue(e.getMessage().contains("not connected"), e.getMessage());
        assertThrows(IOException.class, () -> keeping.subscribe("kept/+", 1, listener)); // recorded once
        keeping.deliver("kept/1".getBytes(StandardCharsets.UTF_8), new byte[] {7}, false, false, 1);
        assertEquals(1, got.size(), "the kept listener receives, once");
        assertEquals("kept/1", got.get(0).topicString());
        assertSame(keeping, got.get(0).connection());
        // drops the listener although the client cannot tell the broker (and says so)
        assertThrows(IOException.class, () -> keeping.unsubscribe("kept/+"));
        keeping.deliver("kept/2".getBytes(StandardCharsets.UTF_8), new byte[0], false, false, 0);
        assertEquals(1, got.size());
        assertEquals(1, keeping.unmatchedMessages());
    }

    @Test
    void aMatchingListenerIsOfferedEachMessageOnceAndMatchesItItself() throws Exception {
        ClientConnection keeping = keepingOffline("matching");
        List<MqttMessage> offered = new CopyOnWriteArrayList<>();
        List<MqttMessage> plain = new CopyOnWriteArrayList<>();
        MatchingListener router = new MatchingListener() {
            @Override
            public boolean route(MqttMessage m) {
                offered.add(m);
                return m.topicString().startsWith("w/");
            }

            @Override
            public void messageArrived(MqttMessage m) {
                throw new AssertionError("a connection that knows MatchingListener never calls messageArrived");
            }
        };
        MessageListener other = plain::add;
        assertThrows(IOException.class, () -> keeping.subscribe("w/a", 0, router)); // offline, kept
        assertThrows(IOException.class, () -> keeping.subscribe("w/#", 1, router));
        assertThrows(IOException.class, () -> keeping.subscribe("p/+", 0, other));
        assertThrows(IOException.class, () -> keeping.subscribe("w/a", 0, other));

        keeping.deliver(bytes("w/a"), new byte[] {1}, false, false, 0);
        assertEquals(1, offered.size(), "offered once although two of its filters match");
        assertEquals(1, plain.size());
        assertNotSame(offered.get(0).payload(), plain.get(0).payload(), "the second taker gets a copy");

        keeping.deliver(bytes("p/x"), new byte[] {2}, false, false, 0);
        assertEquals(2, offered.size(), "offered a message none of its filters match: it matches itself");
        assertEquals(2, plain.size());
        assertSame(offered.get(1).payload(), plain.get(1).payload(), "declined, so handed on as it was");

        keeping.deliver(bytes("q"), new byte[] {3}, false, false, 0);
        assertEquals(3, offered.size());
        assertEquals(1, keeping.unmatchedMessages(), "declined by the matching listener, matched by no other");

        keeping.unsubscribe("w/a", router);
        keeping.deliver(bytes("w/b"), new byte[] {4}, false, false, 0);
        assertEquals(4, offered.size(), "still subscribed to w/#");
        // the last listener of w/#: the offline client cannot tell the broker, the listener goes all the same
        assertThrows(IOException.class, () -> keeping.unsubscribe("w/#", router));
        keeping.deliver(bytes("w/c"), new byte[] {5}, false, false, 0);
        assertEquals(4, offered.size(), "no subscription left: offered nothing");
        assertEquals(2, keeping.unmatchedMessages());
    }

    @Test
    void aMatchingListenerThatThrowsTookTheMessage() throws Exception {
        ClientConnection keeping = keepingOffline("throwing");
        MatchingListener router = new MatchingListener() {
            @Override
            public boolean route(MqttMessage m) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void messageArrived(MqttMessage m) {
                throw new AssertionError("never called");
            }
        };
        assertThrows(IOException.class, () -> keeping.subscribe("#", 0, router));
        keeping.deliver(bytes("t"), new byte[0], false, false, 0);
        assertEquals(1, keeping.listenerFailures());
        assertEquals(0, keeping.unmatchedMessages());
    }

    /** A connection whose client is offline but keeps every subscription (as the robust one does). */
    private ClientConnection keepingOffline(String name) throws Exception {
        MqttClient offline = ConnectionSettings.builder("io.umqtt.simple~" + name).server("127.0.0.1")
                .port(server.getLocalPort()).clientId(name).build().newClient();
        return new ClientConnection(name, offline) {
            @Override
            protected boolean keepsSubscription(String filter) {
                return true;
            }
        };
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void listenersOfOneFilterLeaveOneByOneAndNeverLowerEachOthersQos() throws Exception {
        List<MqttMessage> a = new CopyOnWriteArrayList<>();
        List<MqttMessage> b = new CopyOnWriteArrayList<>();
        MessageListener first = a::add;
        MessageListener second = b::add;
        assertEquals(1, subscribe("s/#", 1, first));
        assertEquals(1, subscribe("s/#", 0, second), "QoS 0 asked by the second must not lower the first's QoS 1");

        // the first leaves: nothing is sent (an UNSUBSCRIBE would stall this call until the ack timeout)
        assertEquals(false, conn.unsubscribe("s/#", first));
        assertEquals(false, conn.unsubscribe("s/#", first), "an unknown pair is ignored");
        CountDownLatch end = new CountDownLatch(1);
        subscribe("end", m -> end.countDown());
        publish("s/x", "one");
        publish("end", "");
        assertTrue(end.await(10, TimeUnit.SECONDS));
        assertEquals(0, a.size(), "the listener that left gets nothing");
        assertEquals(1, b.size(), "the one that stayed still receives");

        // the last leaves: now the broker is told (the next packet is that UNSUBSCRIBE, not an earlier one)
        assertTrue(unsubscribeLast("s/#", second));
        CountDownLatch end2 = new CountDownLatch(1);
        subscribe("end2", m -> end2.countDown());
        publish("s/y", "two");
        publish("end2", "");
        assertTrue(end2.await(10, TimeUnit.SECONDS));
        assertEquals(1, b.size());
        assertEquals(1, conn.unmatchedMessages());
        assertThrows(IllegalArgumentException.class, () -> conn.unsubscribe("s/#", null));
        assertThrows(IllegalArgumentException.class, () -> conn.unsubscribe("s/#/x", second));
    }

    @Test
    void badQosLeavesTheFilterAsItWas() throws Exception {
        List<MqttMessage> got = new CopyOnWriteArrayList<>();
        MessageListener listener = got::add;
        subscribe("q", 1, listener);
        IllegalArgumentException three = assertThrows(IllegalArgumentException.class, () -> conn.subscribe("q", 3, listener));
        assertTrue(three.getMessage().contains("qos must be 0, 1 or 2, found 3"), three.getMessage());
        IllegalArgumentException minus = assertThrows(IllegalArgumentException.class, () -> conn.subscribe("q", -1, m -> { }));
        assertTrue(minus.getMessage().contains("found -1"), minus.getMessage());
        CountDownLatch end = new CountDownLatch(1);
        subscribe("end", m -> end.countDown());
        publish("q", "x");
        publish("end", "");
        assertTrue(end.await(10, TimeUnit.SECONDS));
        assertEquals(1, got.size(), "the listener's QoS 1 registration is still there, once");
    }

    /** Reads one whole packet, fixed header included. */
    private byte[] readPacket() throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        int first = in.read();
        if (first < 0) {
            throw new IOException("client closed the connection");
        }
        packet.write(first);
        int rem = 0;
        int shift = 0;
        int digit;
        do {
            digit = in.read();
            packet.write(digit);
            rem |= (digit & 0x7F) << shift;
            shift += 7;
        } while ((digit & 0x80) != 0);
        byte[] body = in.readNBytes(rem);
        packet.write(body);
        return packet.toByteArray();
    }
}
