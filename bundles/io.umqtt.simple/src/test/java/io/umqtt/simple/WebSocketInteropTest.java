package io.umqtt.simple;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.simple.testing.Closer;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;
import io.umqtt.simple.testing.ReceivingClient.Message;
import io.umqtt.simple.testing.TestPki;
import io.umqtt.simple.testing.Waits;
import io.umqtt.simple.testing.WebSocketBridge;

/**
 * {@link MqttClient} over WebSocket ({@code ws://}, {@code wss://}) against mosquitto behind
 * {@link WebSocketBridge} (the mosquitto here has no WebSocket listener): round trips at QoS 0 and
 * 1, MQTT packets split across frames, packed into frames and fragmented into continuation
 * frames, TLS with the test CA (host name verification on and off, client certificates), refused
 * handshakes, timeouts, a broker dying mid-connection, keepalive and dead-connection detection,
 * and the threads the connections cost.
 */
@Timeout(value = 30, unit = SECONDS)
class WebSocketInteropTest {
    private static final String RUN = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
    private static final AtomicInteger SEQ = new AtomicInteger();

    private static TestPki pki;
    private static MosquittoBroker broker;
    private final Closer toClose = new Closer();

    @BeforeAll
    static void start() throws IOException {
        pki = TestPki.create();
        broker = MosquittoBroker.start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
        if (pki != null) {
            pki.close();
        }
    }

    @AfterEach
    void closeAll() {
        toClose.close();
    }

    private <T extends AutoCloseable> T closing(T c) {
        return toClose.add(c);
    }

    private WebSocketBridge bridge(WebSocketBridge.Builder b) throws IOException {
        return closing(b.start());
    }

    private static String id(String what) {
        return "ws-" + what + "-" + RUN + "-" + SEQ.incrementAndGet();
    }

    private static String topic(String what) {
        return "umqtt/ws/" + RUN + "/" + what + "/" + SEQ.incrementAndGet();
    }

    /** Subscribes over {@code ws}, publishes over TCP and over {@code ws}, at QoS 0 and 1; checks every payload. */
    private void roundTrip(MqttClient ws, int messages, int payloadBytes) throws Exception {
        ReceivingClient r = closing(ReceivingClient.connect(ws, true));
        String topic = topic("rt");
        assertEquals(1, ws.subscribe(topic, 1));
        MqttClient tcp = closing(new MqttClient(id("tcp"), broker.host(), broker.port()));
        tcp.connect(true);
        for (int i = 0; i < messages; i++) {
            byte[] payload = payload(i, payloadBytes);
            (i % 2 == 0 ? tcp : ws).publish(topic.getBytes(StandardCharsets.UTF_8), payload, false, i % 3 == 0 ? 0 : 1);
        }
        // each publisher's messages arrive in its order; the two publishers' interleave
        int[] next = { 0, 1 };
        for (int k = 0; k < messages; k++) {
            byte[] got = r.next().payload();
            int i = got.length >= 4 ? ((got[0] & 0xFF) << 24) | ((got[1] & 0xFF) << 16) | ((got[2] & 0xFF) << 8)
                    | (got[3] & 0xFF) : next[0];
            assertEquals(next[i % 2], i, "publisher " + (i % 2) + "'s messages in order");
            next[i % 2] += 2;
            assertArrayEquals(payload(i, payloadBytes), got, "message " + i);
        }
        assertTrue(ws.isConnected());
    }

    private static byte[] payload(int i, int bytes) {
        byte[] b = new byte[bytes];
        for (int j = 0; j < bytes; j++) {
            b[j] = (byte) (i * 31 + j);
        }
        if (bytes >= 4) {
            b[0] = (byte) (i >>> 24);
            b[1] = (byte) (i >>> 16);
            b[2] = (byte) (i >>> 8);
            b[3] = (byte) i;
        }
        return b;
    }

    @Test
    void roundTripOverWs() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()));
        MqttClient ws = new MqttClient(id("rt"), bridge.uri(), 0, null, (String) null, 30, null);
        assertEquals("/mqtt", ws.webSocketPath());
        assertFalse(ws.isTls());

        roundTrip(ws, 50, 100);
        assertEquals("mqtt", bridge.offeredProtocols, "subprotocol mqtt asked for");
        assertEquals(1, bridge.handshakes.get());
    }

    @Test
    void packetsSplitAcrossFrames() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).maxFrame(3));
        roundTrip(new MqttClient(id("split"), bridge.uri(), 0, null, (String) null, 30, null), 20, 1000);
        assertTrue(bridge.framesToClient.get() > 20 * 1000 / 3, "frames of 3 bytes: " + bridge.framesToClient);
    }

    @Test
    void packetsSplitAcrossContinuationFrames() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).maxFrame(7)
                .fragment(true));
        roundTrip(new MqttClient(id("frag"), bridge.uri(), 0, null, (String) null, 30, null), 20, 300);
    }

    @Test
    void largePayloadsBeyondTheReceiveBuffer() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()));
        roundTrip(new MqttClient(id("large"), bridge.uri(), 0, null, (String) null, 30, null), 4,
                3 * WebSocketTransport.MAX_BUFFER + 5);
    }

    @Test
    void packetsPackedIntoFrames() throws Exception {
        String base = topic("packed");
        MqttClient tcp = closing(new MqttClient(id("tcp"), broker.host(), broker.port()));
        tcp.connect(true);
        int retained = 100;
        for (int i = 0; i < retained; i++) {
            tcp.publish((base + "/" + i).getBytes(StandardCharsets.UTF_8), payload(i, 20), true, 1);
        }
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).pack(64 * 1024));
        MqttClient ws = new MqttClient(id("packed"), bridge.uri(), 0, null, (String) null, 30, null);
        ReceivingClient r = closing(ReceivingClient.connect(ws, true));
        long framesBefore = bridge.framesToClient.get();
        ws.subscribe(base + "/#", 1); // SUBACK and the retained messages come in one burst
        boolean[] seen = new boolean[retained];
        for (int i = 0; i < retained; i++) {
            Message m = r.next();
            int n = Integer.parseInt(m.topicString().substring(m.topicString().lastIndexOf('/') + 1));
            assertArrayEquals(payload(n, 20), m.payload());
            assertFalse(seen[n]);
            seen[n] = true;
        }
        long frames = bridge.framesToClient.get() - framesBefore;
        assertTrue(frames < retained, "several packets per frame: " + frames + " frames for " + (retained + 1)
                + " packets");
        for (int i = 0; i < retained; i++) {
            tcp.publish((base + "/" + i).getBytes(StandardCharsets.UTF_8), new byte[0], true, 1); // clear
        }
    }

    @Test
    void aFloodOfQos0ReachesAWebSocketSubscriberWhole() throws Exception {
        try (MosquittoBroker unlimited = MosquittoBroker.builder().config("max_queued_messages 0")
                .config("max_queued_bytes 0").start()) {
            WebSocketBridge bridge = bridge(WebSocketBridge.builder(unlimited.host(), unlimited.port()));
            MqttClient ws = new MqttClient(id("flood"), bridge.uri(), 0, null, (String) null, 30, null);
            ReceivingClient r = closing(ReceivingClient.connect(ws, true));
            String topic = topic("flood");
            ws.subscribe(topic, 0);
            MqttClient tcp = closing(new MqttClient(id("tcp"), unlimited.host(), unlimited.port()));
            tcp.connect(true);
            int n = 20_000;
            byte[] t = topic.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < n; i++) {
                tcp.publish(t, payload(i, 64), false, 0);
            }
            for (int i = 0; i < n; i++) {
                assertArrayEquals(payload(i, 64), r.next().payload(), "message " + i);
            }
        }
    }

    @Test
    void roundTripOverWssWithTheTestCa() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).tls(pki));
        TlsSettings tls = TlsSettings.fromStores(pki.trustStore(), pki.storePassword(), null, null, null);
        MqttClient ws = new MqttClient(id("wss"), bridge.uri(), 0, null, (String) null, 30, tls);
        assertTrue(ws.isTls());
        roundTrip(ws, 20, 200);
    }

    @Test
    void wssRefusesACertificateForAnotherHost() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).tls(pki)
                .wrongHost(true));
        TlsSettings tls = TlsSettings.fromStores(pki.trustStore(), pki.storePassword(), null, null, null);
        MqttClient ws = closing(new MqttClient(id("wrong"), bridge.uri(), 0, null, (String) null, 30, tls));
        IOException e = assertThrows(IOException.class, () -> ws.connect(true));
        assertTrue(e.getMessage().contains("does not accept the broker's certificate")
                && e.getMessage().contains("localhost"), e.getMessage());
        assertEquals(ConnectionState.LOST, ws.state());
    }

    @Test
    void wssWithoutHostNameVerificationAcceptsIt() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).tls(pki)
                .wrongHost(true));
        TlsSettings tls = TlsSettings.fromStores(pki.trustStore(), pki.storePassword(), null, null, null)
                .withHostnameVerification(false);
        roundTrip(new MqttClient(id("nohost"), bridge.uri(), 0, null, (String) null, 30, tls), 4, 10);
    }

    @Test
    void wssRefusesAnUnknownCa() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).tls(pki));
        MqttClient ws = closing(new MqttClient(id("unknownca"), bridge.uri(), 0, null, (String) null, 30, null));
        IOException e = assertThrows(IOException.class, () -> ws.connect(true));
        assertTrue(e.getMessage().contains("does not accept the broker's certificate"), e.getMessage());
    }

    @Test
    void wssWithAClientCertificate() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).tls(pki)
                .requireClientCertificate(true));
        TlsSettings withCert = TlsSettings.fromStores(pki.trustStore(), pki.storePassword(), pki.clientKeyStore(),
                pki.storePassword(), null);
        roundTrip(new MqttClient(id("cert"), bridge.uri(), 0, null, (String) null, 30, withCert), 4, 10);

        TlsSettings without = TlsSettings.fromStores(pki.trustStore(), pki.storePassword(), null, null, null);
        MqttClient refused = closing(new MqttClient(id("nocert"), bridge.uri(), 0, null, (String) null, 30, without));
        IOException e = assertThrows(IOException.class, () -> refused.connect(true));
        assertTrue(e.getMessage().contains(bridge.uri().replace("wss://", "").replace("/mqtt", ""))
                || e.getMessage().contains("localhost"), e.getMessage());
    }

    @Test
    void aWrongPathIsRefusedWithHttp404Named() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()));
        String wrong = bridge.uri().replace("/mqtt", "/other");
        MqttClient ws = closing(new MqttClient(id("404"), wrong, 0, null, (String) null, 30, null));
        IOException e = assertThrows(IOException.class, () -> ws.connect(true));
        assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains("/other")
                && e.getMessage().contains("websocket.path"), e.getMessage());
        assertEquals(1, bridge.refused.get());
        assertEquals(ConnectionState.LOST, ws.state());
    }

    @Test
    void aHandshakeWithoutAnswerTimesOut() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()).hangHandshake(true));
        MqttClient ws = closing(new MqttClient(id("hang"), bridge.uri(), 0, null, (String) null, 30, null));
        MqttException e = assertThrows(MqttException.class, () -> ws.connect(true, 1000));
        assertEquals(MqttException.Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("within 1000 ms") && e.getMessage().contains(bridge.uri()),
                e.getMessage());
    }

    @Test
    void nothingListeningIsAConnectFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        MqttClient ws = closing(new MqttClient(id("refused"), "ws://127.0.0.1:" + port + "/mqtt", 0, null,
                (String) null, 30, null));
        IOException e = assertThrows(IOException.class, () -> ws.connect(true, 5000));
        assertTrue(e instanceof ConnectException && e.getMessage().contains("ws://127.0.0.1:" + port),
                e + "");
    }

    @Test
    void brokerDyingMidConnectionIsNoticed() throws Exception {
        try (MosquittoBroker own = MosquittoBroker.start()) {
            WebSocketBridge bridge = bridge(WebSocketBridge.builder(own.host(), own.port()));
            MqttClient ws = new MqttClient(id("dies"), bridge.uri(), 0, null, (String) null, 30, null);
            ReceivingClient r = closing(ReceivingClient.connect(ws, true));
            ws.subscribe(topic("dies"), 1);
            own.kill();
            assertTrue(r.awaitLoopEnd(10, SECONDS), "the loop ends when the connection is lost");
            assertNotNull(r.loopFailure());
            assertEquals(ConnectionState.LOST, ws.state());
            IOException e = assertThrows(IOException.class, () -> ws.publish(topic("x"), "m", false, 0));
            assertTrue(e.getMessage().contains("not connected"), e.getMessage());
        }
    }

    /**
     * Keepalive over WebSocket: PINGREQs go out and their PINGRESPs come back (two PINGREQs while
     * connected prove the first PINGRESP was read: without a packet received the client declares the
     * connection dead at 1.5 x keepalive, before its second PINGREQ is due), then a path that dies
     * silently is detected. The keepalive is 2 s, not 1 s: the client's margin for sending a PINGREQ
     * and reading its PINGRESP through the bridge is half a keepalive, and 0.5 s was too little on a
     * loaded 2-core CI machine. The waits end on the events, bounded generously.
     * <p>
     * The bounds must stay well above two keepalives: the second PINGREQ is due two keepalives after
     * the SUBSCRIBE was written (each PINGREQ a keepalive after the previous write ended), so it
     * reaches the bridge a few ms <em>after</em> 2 x keepalive counted from here (measured 1-4 ms on an
     * idle machine, more under load). A wait of exactly 2 x keepalive (10 s with a 5 s keepalive)
     * fails on that race alone, with the client connected and pinging correctly.
     */
    @Test
    @Timeout(value = 120, unit = SECONDS)
    void keepAlivePingsOverWebSocketAndADeadPathIsDetected() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()));
        int keepAlive = 2;
        long bound = Math.max(60, 4 * keepAlive); // seconds; see above: never near 2 x keepalive
        MqttClient ws = new MqttClient(id("keepalive"), bridge.uri(), 0, null, (String) null, keepAlive, null);
        ReceivingClient r = closing(ReceivingClient.connect(ws, true));
        String topic = topic("ka");
        ws.subscribe(topic, 0);
        // the bridge counts the PINGREQs it forwards; it offers no event, so poll the count (bounded)
        Waits.until(() -> bridge.pingReqsFromClient.get() >= 2 || !ws.isConnected(), bound, SECONDS,
                "two PINGREQs through the bridge");
        assertTrue(ws.isConnected(), "PINGRESPs came back over WebSocket: " + r.loopFailure());
        ws.publish(topic, "still there", false, 0);
        assertEquals("still there", new String(r.next().payload(), StandardCharsets.UTF_8));

        bridge.freeze(); // the path dies silently: no FIN, no RST
        assertTrue(r.awaitLoopEnd(bound, SECONDS), "declared dead after 1.5 x keepalive without a packet");
        assertEquals(ConnectionState.LOST, ws.state());
        assertTrue(String.valueOf(r.loopFailure()).contains("keepalive"), String.valueOf(r.loopFailure()));
    }

    @Test
    void connectionsShareTheHttpClientsThreads() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()));
        MqttClient first = closing(new MqttClient(id("threads"), bridge.uri(), 0, null, (String) null, 30, null));
        first.connect(true); // the shared client and its threads exist from now on
        int before = Thread.activeCount();
        int n = 20;
        for (int i = 0; i < n; i++) {
            MqttClient c = closing(new MqttClient(id("threads"), bridge.uri(), 0, null, (String) null, 30, null));
            c.connect(true);
            c.publish(topic("threads"), "x", false, 1);
        }
        int grown = Thread.activeCount() - before;
        // the bridge itself runs two threads per connection (test code)
        assertTrue(grown - 2 * n <= WebSocketClients.EXECUTOR_THREADS + 1, "threads grown by " + grown + " for " + n
                + " connections, " + 2 * n + " of them the bridge's");
    }

    @Test
    void closeEndsAWaitMsgOnAnotherThread() throws Exception {
        WebSocketBridge bridge = bridge(WebSocketBridge.builder(broker.host(), broker.port()));
        MqttClient ws = new MqttClient(id("close"), bridge.uri(), 0, null, (String) null, 30, null);
        ReceivingClient r = closing(ReceivingClient.connect(ws, true));
        ws.close();
        assertTrue(r.awaitLoopEnd(5, SECONDS));
        assertEquals(ConnectionState.CLOSED, ws.state());
    }

    @Test
    void serverUrisAreValidated() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new MqttClient("x", "mqtt://host:1883"));
        assertTrue(e.getMessage().contains("only ws:// and wss://"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new MqttClient("x", "ws://host:80/mqtt", 81, null, (String) null, 0, null));
        assertTrue(e.getMessage().contains("names port 80 but port 81"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new MqttClient("x", "ws://host/mqtt", 0, null, (String) null, 0, TlsSettings.defaults()));
        assertTrue(e.getMessage().contains("wss://"), e.getMessage());
        MqttClient wss = new MqttClient("x", "wss://[::1]/", 0, null, (String) null, 0, null);
        assertEquals("::1", wss.server());
        assertEquals(MqttClient.DEFAULT_WSS_PORT, wss.port());
        assertEquals("/", wss.webSocketPath());
        assertTrue(wss.isTls());
        MqttClient ws = new MqttClient("x", "ws://host?token=a", 0, null, (String) null, 0, null);
        assertEquals(MqttClient.DEFAULT_WS_PORT, ws.port());
        assertEquals("/mqtt?token=a", ws.webSocketPath());
        assertTrue(ws.toString().contains("ws://host:80/mqtt?token=a"), ws.toString());
        assertNull(new MqttClient("x", "host").webSocketPath());
    }

}
