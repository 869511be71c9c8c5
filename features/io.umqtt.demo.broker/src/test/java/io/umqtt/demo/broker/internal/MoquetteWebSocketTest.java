package io.umqtt.demo.broker.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.moquette.BrokerConstants;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.umqtt.robust.ReconnectPolicy;
import io.umqtt.robust.RobustMqttClient;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.testing.FreePort;

/**
 * The umqtt clients over WebSocket against a real broker's WebSocket listener: Moquette 0.17 (the
 * demo broker's), its {@code websocket_port} on; the mosquitto of the other tests has no WebSocket
 * support. Robust clients, for Moquette's habit of dropping a connection whose SUBSCRIBE follows
 * its CONNACK too closely (see {@link DemoBrokerTest}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MoquetteWebSocketTest {
    /**
     * Generous: no test here is about the connect timeout, and the first WebSocket connect (Netty's
     * pipeline, the HTTP upgrade, class loading on both sides) took over 5 s on a loaded 2-core CI
     * machine. A healthy connect returns as soon as CONNACK arrives.
     */
    private static final int CONNECT_TIMEOUT_MILLIS = 30_000;
    private static Server server;
    private static int wsPort;

    @BeforeAll
    static void start() throws IOException {
        wsPort = FreePort.pick();
        Properties p = new Properties();
        p.setProperty(BrokerConstants.HOST_PROPERTY_NAME, "127.0.0.1");
        p.setProperty(BrokerConstants.PORT_PROPERTY_NAME, Integer.toString(FreePort.pick()));
        p.setProperty(BrokerConstants.WEB_SOCKET_PORT_PROPERTY_NAME, Integer.toString(wsPort));
        p.setProperty(BrokerConstants.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
        p.setProperty(BrokerConstants.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
        p.setProperty(BrokerConstants.NETTY_EPOLL_PROPERTY_NAME, "false");
        p.setProperty(BrokerConstants.ENABLE_TELEMETRY_NAME, "false");
        server = new Server();
        server.startServer(new MemoryConfig(p));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stopServer();
        }
    }

    private static RobustMqttClient client(String id, List<String> received) {
        RobustMqttClient c = new RobustMqttClient(id, "ws://127.0.0.1:" + wsPort + "/mqtt", 0);
        c.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 10));
        c.setCallback((topic, msg, retain, dup, qos) -> received.add(new String(topic, UTF_8) + "="
                + (msg.length > 100 ? msg.length + " bytes" : new String(msg, UTF_8)) + "@" + qos));
        return c;
    }

    @Test
    void publishAndReceiveAtQos0And1OverWs() throws Exception {
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        RobustMqttClient c = client("moquette-ws-rt", received);
        c.connect(true, CONNECT_TIMEOUT_MILLIS);
        try {
            assertEquals("/mqtt", c.webSocketPath());
            assertEquals(1, c.subscribe("ws/#", 1));
            c.publish("ws/a", "zero", false, 0);
            c.publish("ws/b", "one", false, 1);
            byte[] large = new byte[6_000]; // Moquette 0.17 answered no PUBACK for 200 kB over WebSocket
            for (int i = 0; i < large.length; i++) {
                large[i] = (byte) i;
            }
            c.publish("ws/c".getBytes(UTF_8), large, false, 1);
            while (received.size() < 3) {
                assertEquals(PacketType.PUBLISH, c.waitMsg());
            }
            assertEquals(List.of("ws/a=zero@0", "ws/b=one@1", "ws/c=6000 bytes@1"), received);
        } finally {
            c.disconnect();
        }
    }

    @Test
    void manyMessagesFromASecondClient() throws Exception {
        List<String> received = Collections.synchronizedList(new ArrayList<>());
        RobustMqttClient sub = client("moquette-ws-sub", received);
        sub.connect(true, CONNECT_TIMEOUT_MILLIS);
        MqttClient pub = new MqttClient("moquette-ws-pub", "ws://127.0.0.1:" + wsPort + "/mqtt");
        try {
            assertEquals(1, sub.subscribe("many/#", 1));
            pub.connect(true, CONNECT_TIMEOUT_MILLIS);
            int n = 500;
            for (int i = 0; i < n; i++) {
                pub.publish("many/t", "m" + i, false, i % 2);
            }
            while (received.size() < n) { // bounded by the test's timeout
                sub.waitMsg();
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                expected.add("many/t=m" + i + "@" + (i % 2));
            }
            List<String> got = new ArrayList<>(received);
            Collections.sort(expected);
            Collections.sort(got);
            assertEquals(expected, got);
        } finally {
            pub.close();
            sub.disconnect();
        }
    }

    @Test
    void aWrongPathIsRefusedByTheBroker() {
        MqttClient c = new MqttClient("moquette-ws-404", "ws://127.0.0.1:" + wsPort + "/nothing-here");
        IOException e = assertThrows(IOException.class, () -> c.connect(true, CONNECT_TIMEOUT_MILLIS));
        // Moquette closes the connection without an HTTP answer
        assertTrue(e.getMessage().contains("WebSocket connect to ws://127.0.0.1:" + wsPort + "/nothing-here failed: "
                + "the server closed the connection without answering") && e.getMessage().contains("websocket.path"),
                e.getMessage());
        c.close();
    }
}
