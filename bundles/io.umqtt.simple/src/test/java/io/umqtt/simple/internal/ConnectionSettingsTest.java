package io.umqtt.simple.internal;

import io.umqtt.simple.connection.ConnectionSettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.UnaryOperator;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.MqttClient;

/** Validation of the configuration, through the same mapping the component uses. */
class ConnectionSettingsTest {
    private static final String PID = "io.umqtt.simple~t";
    private static final String SECRET = "s3cret-Pa55";

    @TempDir
    Path dir;

    private static ConnectionSettings settings(Object... keyValues) {
        TestConfigs.Simple c = TestConfigs.simple(keyValues);
        return ConnectionSettings.of(PID, PID, c, c.connect_timeout(), UnaryOperator.identity());
    }

    private static String failure(Object... keyValues) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(keyValues));
        assertTrue(e.getMessage().startsWith("invalid configuration of " + PID + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void defaults() {
        ConnectionSettings s = settings();
        assertEquals(PID, s.name(), "the name defaults to the PID");
        assertEquals("localhost", s.server());
        assertEquals(0, s.port());
        assertEquals(1883, s.effectivePort());
        assertTrue(s.clientIdGenerated());
        assertTrue(s.clientId().startsWith("umqtt-"), s.clientId());
        assertTrue(s.clientId().length() <= 23, "fits the 23 characters every broker must accept: " + s.clientId());
        assertNull(s.username());
        assertFalse(s.hasPassword());
        assertEquals(60, s.keepAliveSeconds());
        assertTrue(s.cleanSession());
        assertEquals(30, s.connectTimeoutSeconds());
        assertEquals(30, s.ackTimeoutSeconds());
        assertEquals(4 * 1024 * 1024, s.maxPacketSize());
        assertFalse(s.tls());
        assertNull(s.tlsSettings());
        assertNull(s.lwtTopic());
        assertNull(s.lwtMessage());
        assertFalse(s.ackAfterProcessing(), "acknowledge on receipt by default");
        assertFalse(s.newClient().ackAfterProcessing());
    }

    @Test
    void configuredValuesAreTakenAndTrimmed() {
        ConnectionSettings s = settings("name", " gw ", "server", " broker.example ", "port", 1884, "client.id", "c1",
                "username", "u", "password", SECRET, "keepalive", 0, "clean.session", false, "connect.timeout", 5,
                "ack.timeout", 7, "max.packet.size", 1024, "lwt.topic", "gw/status", "lwt.message", "gone",
                "lwt.qos", 1, "lwt.retain", true);
        assertEquals("gw", s.name());
        assertEquals("broker.example", s.server());
        assertEquals(1884, s.effectivePort());
        assertEquals("c1", s.clientId());
        assertFalse(s.clientIdGenerated());
        assertEquals("u", s.username());
        assertTrue(s.hasPassword());
        assertEquals(0, s.keepAliveSeconds());
        assertFalse(s.cleanSession());
        assertEquals(5, s.connectTimeoutSeconds());
        assertEquals(7, s.ackTimeoutSeconds());
        assertEquals(1024, s.maxPacketSize());
        assertEquals("gw/status", s.lwtTopic());
        assertEquals("gone", s.lwtMessage());
        assertEquals(1, s.lwtQos());
        assertTrue(s.lwtRetain());
    }

    @Test
    void generatedClientIdsDiffer() {
        assertNotEquals(settings().clientId(), settings().clientId());
    }

    @Test
    void tlsDefaultsToPort8883AndVerifiesHostnames() {
        ConnectionSettings s = settings("tls.enabled", true);
        assertTrue(s.tls());
        assertEquals(8883, s.effectivePort());
        assertTrue(s.tlsSettings().verifiesHostname());
        assertFalse(settings("tls.enabled", true, "tls.verify.hostname", false).tlsSettings().verifiesHostname());
    }

    @Test
    void tlsPropertiesAreIgnoredWhileTlsIsOff() {
        ConnectionSettings s = settings("tls.truststore", "/does/not/exist", "tls.store.type", "NOPE");
        assertFalse(s.tls());
        assertEquals(1883, s.effectivePort());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(new Object[] {"port", 70000}, "port=70000 is outside 0..65535"),
                Arguments.of(new Object[] {"port", -1}, "port=-1 is outside 0..65535"),
                Arguments.of(new Object[] {"server", ""}, "server is empty"),
                Arguments.of(new Object[] {"server", "   "}, "server is empty"),
                Arguments.of(new Object[] {"server", "tcp://broker:1883"},
                        "server=tcp://broker:1883 is a URI with the scheme 'tcp': only ws:// and wss://"),
                Arguments.of(new Object[] {"server", "bro ker"}, "server=bro ker contains white space"),
                Arguments.of(new Object[] {"name", "a\nb"}, "name=a?b contains control characters"),
                Arguments.of(new Object[] {"keepalive", -1}, "keepalive=-1 is outside 0..65535"),
                Arguments.of(new Object[] {"keepalive", 65536}, "keepalive=65536 is outside 0..65535"),
                Arguments.of(new Object[] {"connect.timeout", 0}, "connect.timeout=0 is outside 1..86400"),
                Arguments.of(new Object[] {"connect.timeout", 86401}, "connect.timeout=86401 is outside 1..86400"),
                Arguments.of(new Object[] {"ack.timeout", 0}, "ack.timeout=0 is outside 1..86400"),
                Arguments.of(new Object[] {"max.packet.size", 1}, "max.packet.size=1 is outside 2..268435455"),
                Arguments.of(new Object[] {"max.packet.size", 268435456},
                        "max.packet.size=268435456 is outside 2..268435455"),
                Arguments.of(new Object[] {"client.id", "a\u0000b"}, "client.id=a?b contains U+0000"),
                Arguments.of(new Object[] {"client.id", "x".repeat(65536)}, "client.id=xxx"),
                Arguments.of(new Object[] {"clean.session", false}, "clean.session=false needs a fixed client.id"),
                Arguments.of(new Object[] {"ack.after.processing", true},
                        "ack.after.processing=true needs clean.session=false: a message whose processing fails is not "
                                + "acknowledged"),
                Arguments.of(new Object[] {"client.id", "  ", "clean.session", false},
                        "clean.session=false needs a fixed client.id"),
                Arguments.of(new Object[] {"client.id", "id\uD800"},
                        "contains a lone surrogate U+D800 at index 2 (half of a UTF-16 pair without its other half), "
                                + "which UTF-8 cannot encode"),
                Arguments.of(new Object[] {"username", "\uDC00u"}, "contains a lone surrogate U+DC00 at index 0"),
                Arguments.of(new Object[] {"username", "u", "password", SECRET + "\uD83D"},
                        "password contains a lone surrogate U+D83D at index " + SECRET.length()),
                Arguments.of(new Object[] {"lwt.topic", "a/\uDBFF"}, "contains a lone surrogate U+DBFF at index 2"),
                Arguments.of(new Object[] {"lwt.topic", "a", "lwt.message", "\uDFFF"},
                        "contains a lone surrogate U+DFFF at index 0"),
                Arguments.of(new Object[] {"username", "u\u0000"}, "username=u? contains U+0000"),
                Arguments.of(new Object[] {"password", SECRET}, "password is set but username is empty"),
                Arguments.of(new Object[] {"lwt.topic", "a/#"}, "lwt.topic=a/# is not a valid topic name"),
                Arguments.of(new Object[] {"lwt.message", "bye"}, "lwt.message is set but lwt.topic is empty"),
                Arguments.of(new Object[] {"lwt.topic", "a", "lwt.qos", 3}, "lwt.qos=3 must be 0, 1 or 2"),
                Arguments.of(new Object[] {"lwt.topic", "a", "lwt.message", "m".repeat(65536)},
                        "lwt.message is 65536 bytes"),
                Arguments.of(new Object[] {"tls.enabled", true, "tls.store.type", "NOPE"},
                        "tls.store.type=NOPE is not a key store type"),
                Arguments.of(new Object[] {"tls.enabled", true, "tls.truststore", "/does/not/exist"},
                        "tls.truststore=/does/not/exist is not a readable file"),
                Arguments.of(new Object[] {"tls.enabled", true, "tls.keystore", "/does/not/exist"},
                        "tls.keystore=/does/not/exist is not a readable file"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badValues")
    void badValueFailsNamingPropertyAndValue(Object[] config, String expected) {
        String message = failure(config);
        assertTrue(message.contains(expected), () -> "expected '" + expected + "' in: " + message);
        assertFalse(message.contains(SECRET), "the password must not appear: " + message);
    }

    @Test
    void unreadableTrustStoreNamesTheProperty() throws IOException {
        Path junk = Files.writeString(dir.resolve("trust.p12"), "not a key store");
        String message = failure("tls.enabled", true, "tls.truststore", junk.toString(), "tls.truststore.password",
                SECRET);
        assertTrue(message.contains("tls.truststore=" + junk + " cannot be read as a PKCS12 key store"), message);
        assertFalse(message.contains(SECRET), message);
    }

    @Test
    void wrongKeyStorePasswordNamesTheStoreButNotThePassword() throws Exception {
        Path store = emptyPkcs12("right-password");
        String message = failure("tls.enabled", true, "tls.keystore", store.toString(), "tls.keystore.password",
                SECRET);
        assertTrue(message.contains("tls.keystore=" + store), message);
        assertFalse(message.contains(SECRET), message);
    }

    @Test
    void readableStoresAreAccepted() throws Exception {
        Path store = emptyPkcs12(SECRET);
        ConnectionSettings s = settings("tls.enabled", true, "tls.truststore", store.toString(),
                "tls.truststore.password", SECRET, "tls.keystore", store.toString(), "tls.keystore.password", SECRET,
                "tls.verify.hostname", false);
        assertTrue(s.tls());
        assertFalse(s.tlsSettings().verifiesHostname());
        assertFalse(s.toString().contains(SECRET), s.toString());
    }

    @Test
    void passwordIsNeitherInToStringNorInServiceProperties() {
        ConnectionSettings s = settings("name", "n", "server", "h", "port", 1884, "client.id", "c", "username", "u",
                "password", SECRET);
        assertFalse(s.toString().contains(SECRET), s.toString());
        assertTrue(s.toString().contains("password=***"), s.toString());
        Map<String, Object> props = s.serviceProperties("simple", ConnectionState.CONNECTED);
        for (Map.Entry<String, Object> e : props.entrySet()) {
            assertFalse(String.valueOf(e.getValue()).contains(SECRET), e.getKey());
            assertFalse(e.getKey().contains("password"), e.getKey());
        }
        assertEquals(Map.of(MqttConstants.NAME, "n", MqttConstants.KIND, "simple", MqttConstants.SERVER, "h",
                MqttConstants.PORT, 1884, MqttConstants.TLS, false, MqttConstants.CLIENT_ID, "c",
                MqttConstants.STATE, "CONNECTED", MqttConstants.CONNECTED, true, MqttConstants.PROTOCOL_VERSION, 4),
                props);
        Map<String, Object> lost = s.serviceProperties("simple", ConnectionState.LOST);
        assertEquals("LOST", lost.get(MqttConstants.STATE));
        assertEquals(false, lost.get(MqttConstants.CONNECTED));
    }

    @Test
    void newClientCarriesTheSettings() {
        ConnectionSettings s = settings("server", "h", "port", 1884, "client.id", "c", "keepalive", 15);
        var client = s.newClient();
        assertEquals("c", client.clientId());
        assertEquals("h", client.server());
        assertEquals(1884, client.port());
        assertEquals(15, client.keepAliveSeconds());
        assertFalse(client.isTls());
        assertEquals(ConnectionState.CLOSED, client.state());
    }

    @Test
    void ackAfterProcessingReachesTheClientWithAKeptSession() {
        ConnectionSettings s = settings("client.id", "c", "clean.session", false, "ack.after.processing", true);
        assertTrue(s.ackAfterProcessing());
        assertTrue(s.newClient().ackAfterProcessing());
        assertTrue(s.toString().contains("ack.after.processing=true"), s::toString);
        assertFalse(s.sameAs(settings("client.id", "c", "clean.session", false)), "a change of it is a change");
    }

    @Test
    void newClientWithAFactoryGetsTheConnectionParameters() {
        ConnectionSettings s = settings("server", "h", "port", 1884, "client.id", "c", "keepalive", 15,
                "username", "u", "password", "p");
        List<Object> seen = new ArrayList<>();
        MqttClient client = s.newClient((id, server, port, user, password, keepAlive, tls) -> {
            seen.addAll(Arrays.asList(id, server, port, user, password, keepAlive, tls));
            return new MqttClient(id, server, port, user, password, keepAlive, tls);
        });
        assertEquals(Arrays.asList("c", "h", 1884, "u", "p", 15, null), seen);
        assertEquals("c", client.clientId());
        assertEquals(ConnectionState.CLOSED, client.state());
    }

    private Path emptyPkcs12(String password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        Path file = dir.resolve("store-" + password.length() + ".p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
        return file;
    }
}
