package io.umqtt.simple;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.simple.testing.HttpConnectProxy;
import io.umqtt.simple.testing.Closer;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;
import io.umqtt.simple.testing.TestPki;
import io.umqtt.simple.testing.WebSocketBridge;

/**
 * WebSocket connections through an HTTP proxy ({@link MqttClient#setWebSocketProxy}): the JDK's
 * client tunnels with {@code CONNECT} through {@link HttpConnectProxy} to mosquitto behind
 * {@link WebSocketBridge}, for {@code ws://} and {@code wss://} (test CA); a proxy that refuses or
 * is not there; the setting's validation; and the shared HTTP clients being keyed by the proxy.
 */
@Timeout(value = 30, unit = SECONDS)
class WebSocketProxyTest {
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

    private static String id(String what) {
        return "wsproxy-" + what + "-" + RUN + "-" + SEQ.incrementAndGet();
    }

    /** Subscribes over {@code ws}, publishes over TCP at QoS 0 and 1 and over {@code ws}; checks each arrives. */
    private void messagesFlow(MqttClient ws) throws Exception {
        ReceivingClient r = closing(ReceivingClient.connect(ws, true));
        String topic = "umqtt/wsproxy/" + RUN + "/" + SEQ.incrementAndGet();
        assertEquals(1, ws.subscribe(topic, 1));
        MqttClient tcp = closing(new MqttClient(id("tcp"), broker.host(), broker.port()));
        tcp.connect(true);
        for (int i = 0; i < 6; i++) {
            (i % 2 == 0 ? tcp : ws).publish(topic.getBytes(StandardCharsets.UTF_8),
                    ("m" + i).getBytes(StandardCharsets.UTF_8), false, i % 3 == 0 ? 0 : 1);
        }
        int[] seen = new int[6];
        for (int k = 0; k < 6; k++) {
            String got = new String(r.next().payload(), StandardCharsets.UTF_8);
            seen[Integer.parseInt(got.substring(1))]++;
        }
        for (int i = 0; i < 6; i++) {
            assertEquals(1, seen[i], "message m" + i);
        }
        assertTrue(ws.isConnected());
    }

    @Test
    void wsThroughTheProxy() throws Exception {
        WebSocketBridge bridge = closing(WebSocketBridge.builder(broker.host(), broker.port()).start());
        HttpConnectProxy proxy = closing(HttpConnectProxy.start());
        MqttClient ws = new MqttClient(id("ws"), bridge.uri(), 0, null, (String) null, 30, null);
        ws.setWebSocketProxy(proxy.host(), proxy.port());
        assertEquals(proxy.host() + ":" + proxy.port(), ws.webSocketProxy());
        messagesFlow(ws);
        assertEquals(1, proxy.tunnels.get(), "one CONNECT tunnel");
        assertEquals("127.0.0.1:" + bridge.port(), proxy.targets.get(0));
        assertEquals(1, bridge.handshakes.get(), "the WebSocket handshake came through the tunnel");
    }

    @Test
    void wssThroughTheProxyWithTheTestCa() throws Exception {
        WebSocketBridge bridge = closing(WebSocketBridge.builder(broker.host(), broker.port()).tls(pki).start());
        HttpConnectProxy proxy = closing(HttpConnectProxy.start());
        TlsSettings tls = TlsSettings.fromStores(pki.trustStore(), pki.storePassword(), null, null, null);
        MqttClient ws = new MqttClient(id("wss"), bridge.uri(), 0, null, (String) null, 30, tls);
        ws.setWebSocketProxy(proxy.host(), proxy.port());
        messagesFlow(ws);
        assertEquals(1, proxy.tunnels.get(), "one CONNECT tunnel");
        assertEquals("localhost:" + bridge.port(), proxy.targets.get(0), "host name verified end to end");
        assertEquals(1, bridge.handshakes.get());
    }

    @Test
    void aProxyAskingForAuthenticationIsNamed() throws Exception {
        WebSocketBridge bridge = closing(WebSocketBridge.builder(broker.host(), broker.port()).start());
        HttpConnectProxy proxy = closing(HttpConnectProxy.start()).refuseWith(407);
        MqttClient ws = closing(new MqttClient(id("407"), bridge.uri(), 0, null, (String) null, 30, null));
        ws.setWebSocketProxy(proxy.host(), proxy.port());
        IOException e = assertThrows(IOException.class, () -> ws.connect(true, 5000));
        String m = e.getMessage();
        assertTrue(m.contains("407") && m.contains(proxy.host() + ":" + proxy.port()) && m.contains(bridge.uri())
                && m.contains("authentication"), m);
        assertEquals(1, proxy.refused.get());
        assertEquals(0, bridge.handshakes.get());
        assertEquals(ConnectionState.LOST, ws.state());
    }

    @Test
    void aProxyRefusingTheTunnelIsNamed() throws Exception {
        WebSocketBridge bridge = closing(WebSocketBridge.builder(broker.host(), broker.port()).start());
        HttpConnectProxy proxy = closing(HttpConnectProxy.start()).refuseWith(403);
        MqttClient ws = closing(new MqttClient(id("403"), bridge.uri(), 0, null, (String) null, 30, null));
        ws.setWebSocketProxy(proxy.host(), proxy.port());
        IOException e = assertThrows(IOException.class, () -> ws.connect(true, 5000));
        String m = e.getMessage();
        assertTrue(m.contains(proxy.host() + ":" + proxy.port()) && m.contains(bridge.uri())
                && m.contains("refused the tunnel") && m.contains("403"), m);
        assertEquals(1, proxy.refused.get());
    }

    @Test
    void aProxyNotListeningIsAConnectFailureNamingIt() throws Exception {
        WebSocketBridge bridge = closing(WebSocketBridge.builder(broker.host(), broker.port()).start());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        MqttClient ws = closing(new MqttClient(id("noproxy"), bridge.uri(), 0, null, (String) null, 30, null));
        ws.setWebSocketProxy("127.0.0.1", port);
        IOException e = assertThrows(java.net.ConnectException.class, () -> ws.connect(true, 5000));
        assertTrue(e.getMessage().contains("HTTP proxy 127.0.0.1:" + port) && e.getMessage().contains(bridge.uri())
                && e.getMessage().contains("the proxy refused the connection"), e.getMessage());
        assertEquals(0, bridge.handshakes.get());
        assertEquals(ConnectionState.LOST, ws.state());
    }

    @Test
    void aProxyThatNeverAnswersTimesOutWithinTheConnectTimeout() throws Exception {
        WebSocketBridge bridge = closing(WebSocketBridge.builder(broker.host(), broker.port()).start());
        try (ServerSocket silent = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            // accepted by the backlog, never answered
            MqttClient ws = closing(new MqttClient(id("silent"), bridge.uri(), 0, null, (String) null, 30, null));
            ws.setWebSocketProxy("127.0.0.1", silent.getLocalPort());
            io.umqtt.api.MqttException e = assertThrows(io.umqtt.api.MqttException.class, () -> ws.connect(true, 1000));
            assertEquals(io.umqtt.api.MqttException.Reason.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("within 1000 ms") && e.getMessage().contains(bridge.uri())
                    && e.getMessage().contains("HTTP proxy 127.0.0.1:" + silent.getLocalPort()), e.getMessage());
            assertEquals(0, bridge.handshakes.get());
        }
    }

    @Test
    void noProxySetGoesDirect() throws Exception {
        WebSocketBridge bridge = closing(WebSocketBridge.builder(broker.host(), broker.port()).start());
        HttpConnectProxy proxy = closing(HttpConnectProxy.start());
        MqttClient ws = new MqttClient(id("direct"), bridge.uri(), 0, null, (String) null, 30, null);
        ws.setWebSocketProxy(proxy.host(), proxy.port());
        ws.setWebSocketProxy(null, 0); // back to the JVM's default selector: no proxy for 127.0.0.1
        assertNull(ws.webSocketProxy());
        messagesFlow(ws);
        assertEquals(0, proxy.tunnels.get());
        assertEquals(1, bridge.handshakes.get());
    }

    @Test
    void theProxySettingIsValidated() {
        MqttClient c = new MqttClient("named-client", "ws://broker.example/mqtt", 0, null, (String) null, 30, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setWebSocketProxy(" ", 8080));
        assertTrue(e.getMessage().contains("named-client") && e.getMessage().contains("proxy host"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setWebSocketProxy("http://proxy", 8080));
        assertTrue(e.getMessage().contains("named-client") && e.getMessage().contains("http://proxy"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setWebSocketProxy("proxy", 0));
        assertTrue(e.getMessage().contains("named-client") && e.getMessage().contains("1..65535")
                && e.getMessage().contains("found 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> c.setWebSocketProxy("proxy", 65_536));
        assertTrue(e.getMessage().contains("65536"), e.getMessage());
        c.setWebSocketProxy("[::1]", 3128);
        assertEquals("[::1]:3128", c.webSocketProxy());
        c.setWebSocketProxy("proxy.example", 3128);
        assertEquals("proxy.example:3128", c.webSocketProxy());
    }

    @Test
    void theSharedHttpClientsAreKeyedByTheProxy() throws IOException {
        InetSocketAddress a = InetSocketAddress.createUnresolved("proxy-a.example", 3128);
        HttpClient viaA = WebSocketClients.get(null, a, "ws://x");
        assertSame(viaA, WebSocketClients.get(null, InetSocketAddress.createUnresolved("proxy-a.example", 3128), "ws://x"));
        assertNotSame(viaA, WebSocketClients.get(null, InetSocketAddress.createUnresolved("proxy-b.example", 3128),
                "ws://x"));
        assertNotSame(viaA, WebSocketClients.get(null, null, "ws://x"));
        assertTrue(viaA.proxy().isPresent());
    }
}
