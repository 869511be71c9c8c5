package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.connection.ConnectionSettings;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * The connection components' validation of the CONNECT rules MQTT 5 relaxed: a password without
 * user name, and an empty client id with clean session off (the broker assigns the identifier),
 * both accepted with {@code protocol.version=5} and refused, naming the connection's PID and the
 * properties, on MQTT 3.1.1; the client made from such settings connects to mosquitto 2.0.
 */
@Timeout(60)
class Mqtt5ConnectSettingsTest {
    private static final String PID = "io.umqtt.simple~rules";
    private static final String SECRET = "s3cret-Pa55";

    private static MosquittoBroker broker;

    @BeforeAll
    static void start() throws IOException {
        broker = MosquittoBroker.start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static ConnectionSettings settings(Object... keyValues) {
        TestConfigs.Simple c = TestConfigs.simple(keyValues);
        return ConnectionSettings.of(PID, PID, c, c.connect_timeout(), UnaryOperator.identity());
    }

    private static String failure(Object... keyValues) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(keyValues));
        assertTrue(e.getMessage().startsWith("invalid configuration of " + PID + ": "), e.getMessage());
        assertFalse(e.getMessage().contains(SECRET), e.getMessage());
        return e.getMessage();
    }

    @Test
    void aPasswordWithoutUserNameIsAcceptedOnMqtt5AndTheClientConnects() throws Exception {
        ConnectionSettings s = settings("protocol.version", 5, "password", SECRET, "server", broker.host(), "port",
                broker.port());
        assertNull(s.username());
        assertTrue(s.hasPassword());
        assertFalse(s.toString().contains(SECRET), s.toString());
        MqttClient c = s.newClient();
        try {
            assertEquals(5, c.protocolVersion());
            assertFalse(c.connect(true), "mosquitto takes it as an anonymous client (allow_anonymous true)");
            assertEquals(ConnectionState.CONNECTED, c.state());
            c.disconnect();
        } finally {
            c.close();
        }
    }

    @Test
    void aPasswordWithoutUserNameIsStillRefusedOnMqtt311() {
        String message = failure("password", SECRET);
        assertTrue(message.contains("password is set but username is empty"), message);
        assertTrue(message.contains("protocol.version=5"), "names the way out: " + message);
    }

    @Test
    void anEmptyClientIdWithoutCleanSessionIsLeftToTheBrokerOnMqtt5AndItsSessionResumes() throws Exception {
        ConnectionSettings s = settings("protocol.version", 5, "clean.session", false, "session.expiry.interval", 60L,
                "server", broker.host(), "port", broker.port());
        assertEquals("", s.clientId(), "sent empty: the broker assigns the identifier");
        assertFalse(s.clientIdGenerated());
        assertTrue(s.toString().contains("client.id=(assigned by the broker)"), s.toString());
        MqttClient c = s.newClient();
        try {
            assertFalse(c.connect(s.cleanSession()), "a new session");
            assertNotNull(c.serverSettings().assignedClientIdentifier());
            c.disconnect();
            assertTrue(c.connect(s.cleanSession()), "resumed under the assigned identifier");
            c.disconnect();
        } finally {
            c.close();
        }
    }

    @Test
    void anEmptyClientIdWithCleanSessionStillGetsAGeneratedOneOnMqtt5() {
        ConnectionSettings s = settings("protocol.version", 5);
        assertTrue(s.clientIdGenerated());
        assertTrue(s.clientId().startsWith("umqtt-"), s.clientId());
    }

    @Test
    void anEmptyClientIdWithoutCleanSessionIsStillRefusedOnMqtt311() {
        String message = failure("clean.session", false);
        assertTrue(message.contains("clean.session=false needs a fixed client.id"), message);
        assertTrue(message.contains("protocol.version=5"), "names the way out: " + message);
    }
}
