package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.umqtt.simple.MqttClient;
import io.umqtt.simple.connection.ConnectionSettings;

/**
 * The WebSocket part of a connection's configuration ({@code transport}, {@code websocket.path},
 * a {@code ws://} or {@code wss://} URI as {@code server}), through the mapping both components
 * use, down to the client it makes.
 */
class WebSocketSettingsTest {
    private static final String PID = "io.umqtt.simple~ws";

    private static ConnectionSettings settings(Object... keyValues) {
        TestConfigs.Simple c = TestConfigs.simple(keyValues);
        return ConnectionSettings.of(PID, PID, c, c.connect_timeout(), UnaryOperator.identity());
    }

    @Test
    void tcpByDefault() {
        ConnectionSettings s = settings();
        assertEquals("tcp", s.transport());
        assertNull(s.webSocketPath());
        assertNull(s.newClient().webSocketPath());
    }

    @Test
    void transportWebsocketWithThePath() {
        ConnectionSettings s = settings("server", "broker.example", "transport", "websocket");
        assertEquals("websocket", s.transport());
        assertEquals("/mqtt", s.webSocketPath());
        assertEquals(80, s.effectivePort());
        MqttClient c = s.newClient();
        assertEquals("broker.example", c.server());
        assertEquals(80, c.port());
        assertEquals("/mqtt", c.webSocketPath());

        s = settings("server", "broker.example", "transport", "websocket", "websocket.path", "/ws?x=1",
                "port", 8080, "tls.enabled", true);
        assertEquals(8080, s.effectivePort());
        MqttClient tls = s.newClient();
        assertTrue(tls.isTls());
        assertEquals("/ws?x=1", tls.webSocketPath());
        assertEquals(8080, tls.port());
        assertEquals(443, settings("transport", "websocket", "tls.enabled", true).effectivePort());
    }

    @Test
    void aWsUriAsServerMeansWebSocket() {
        ConnectionSettings s = settings("server", "ws://broker.example:9001/path");
        assertEquals("websocket", s.transport());
        assertEquals("broker.example", s.server(), "the service property mqtt.server stays the host");
        assertEquals(9001, s.effectivePort());
        assertEquals("/path", s.webSocketPath());
        assertFalse(s.tls());
        MqttClient c = s.newClient();
        assertEquals("/path", c.webSocketPath());
        assertEquals(9001, c.port());
    }

    @Test
    void aWssUriTurnsTlsOnAndTakesTheDefaultPath() {
        ConnectionSettings s = settings("server", "wss://[::1]");
        assertTrue(s.tls());
        assertEquals("::1", s.server());
        assertEquals(443, s.effectivePort());
        assertEquals("/mqtt", s.webSocketPath());
        MqttClient c = s.newClient();
        assertTrue(c.isTls());
        assertEquals("::1", c.server());
        assertEquals(443, c.port());
    }

    @Test
    void theUriAndThePortOrPathMayAgree() {
        assertEquals(9001, settings("server", "ws://b:9001/p", "port", 9001, "websocket.path", "/p").effectivePort());
    }

    @Test
    void changingTheTransportIsAChange() {
        assertFalse(settings("server", "b").sameAs(settings("server", "b", "transport", "websocket")));
        assertFalse(settings("server", "b", "transport", "websocket").sameAs(
                settings("server", "b", "transport", "websocket", "websocket.path", "/other")));
    }

    @Test
    void theWebSocketProxyReachesTheClient() {
        assertNull(settings("transport", "websocket").webSocketProxy(), "empty: the JVM's default proxy selector");
        assertNull(settings("transport", "websocket").newClient().webSocketProxy());
        ConnectionSettings s = settings("server", "wss://broker.example/mqtt", "websocket.proxy", " proxy.example:3128 ");
        assertEquals("proxy.example:3128", s.webSocketProxy());
        assertEquals("proxy.example:3128", s.newClient().webSocketProxy());
        assertTrue(s.toString().contains("websocket.proxy=proxy.example:3128"), s.toString());
        assertEquals("[::1]:8080", settings("transport", "websocket", "websocket.proxy", "[::1]:8080").newClient()
                .webSocketProxy());
        assertFalse(settings("transport", "websocket").sameAs(s = settings("transport", "websocket",
                "websocket.proxy", "p:1")));
        assertTrue(s.sameAs(settings("transport", "websocket", "websocket.proxy", "p:1")));
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(new Object[] {"transport", "udp"}, "transport=udp must be tcp or websocket"),
                Arguments.of(new Object[] {"transport", "websocket", "websocket.path", "mqtt"},
                        "websocket.path=mqtt must start with /"),
                Arguments.of(new Object[] {"websocket.path", "/a b"}, "websocket.path=/a b must start with /"),
                Arguments.of(new Object[] {"server", "mqtt://b"}, "server=mqtt://b is a URI with the scheme 'mqtt'"),
                Arguments.of(new Object[] {"server", "ws://b:9001/p", "port", 9002},
                        "server=ws://b:9001/p names port 9001 but port=9002"),
                Arguments.of(new Object[] {"server", "ws://b/p", "websocket.path", "/q"},
                        "server=ws://b/p has the path /p but websocket.path=/q"),
                Arguments.of(new Object[] {"server", "ws://b/p", "tls.enabled", true},
                        "server=ws://b/p is WebSocket without TLS, but tls.enabled=true: use a wss:// URI"),
                Arguments.of(new Object[] {"server", "ws://u:p@b/"}, "has a user or fragment part"),
                Arguments.of(new Object[] {"transport", "websocket", "websocket.proxy", "proxy"},
                        "websocket.proxy=proxy must be host:port"),
                Arguments.of(new Object[] {"transport", "websocket", "websocket.proxy", "proxy:0"},
                        "websocket.proxy=proxy:0 must end in a port 1..65535"),
                Arguments.of(new Object[] {"transport", "websocket", "websocket.proxy", "proxy:http"},
                        "websocket.proxy=proxy:http must end in a port"),
                Arguments.of(new Object[] {"transport", "websocket", "websocket.proxy", "http://proxy:3128"},
                        "websocket.proxy=http://proxy:3128 must be host:port, without a scheme"),
                Arguments.of(new Object[] {"transport", "websocket", "websocket.proxy", "::1:3128"},
                        "websocket.proxy=::1:3128 must be host:port; write an IPv6 address in brackets"),
                Arguments.of(new Object[] {"server", "b", "websocket.proxy", "proxy:3128"},
                        "websocket.proxy=proxy:3128 is set but transport=tcp"),
                Arguments.of(new Object[] {"server", "ws://"}, "server=ws://"),
                Arguments.of(new Object[] {"server", "wss://b", "tls.truststore", "/does/not/exist"},
                        "tls.truststore=/does/not/exist is not a readable file"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badValues")
    void badValueFailsNamingPropertyAndValue(Object[] config, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(config));
        assertTrue(e.getMessage().startsWith("invalid configuration of " + PID + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), () -> "expected '" + expected + "' in: " + e.getMessage());
    }
}
