package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.ScriptedBroker.Peer;

/**
 * The CONNECT rules MQTT 5 relaxed: a password without a user name (5.0 section 3.1.2.9; 3.1.1
 * forbids it, MQTT-3.1.2-22) and an empty client identifier without Clean Start (the server
 * assigns one, 5.0 section 3.1.3.1; 3.1.1 needs clean session, MQTT-3.1.3-7). The bytes against a
 * scripted broker, what mosquitto 2.0 does with them, and that MQTT 3.1.1 still refuses both
 * before anything is sent, naming the connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Mqtt5ConnectRulesTest {
    /** CONNECT flags (3.1.2.3): User Name, Password, Clean Start. */
    private static final int USER_NAME_FLAG = 0x80;
    private static final int PASSWORD_FLAG = 0x40;
    private static final int CLEAN_START_FLAG = 0x02;
    /** Fixed header (2) + protocol name (6) + level (1): the flags byte of a short CONNECT. */
    private static final int FLAGS_OFFSET = 9;

    private static MosquittoBroker anonymous;
    /** With a password file: anonymous clients are refused. */
    private static MosquittoBroker withUsers;

    private final List<MqttClient> clients = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() throws IOException {
        anonymous = MosquittoBroker.start();
        withUsers = MosquittoBroker.builder().user("alice", "secret").start();
    }

    @AfterAll
    static void stop() {
        anonymous.close();
        withUsers.close();
    }

    @AfterEach
    void tearDown() {
        clients.forEach(MqttClient::close);
        pool.shutdownNow();
    }

    private MqttClient client(String id, int port, String user, String password, int version) {
        MqttClient c = new MqttClient(id, "127.0.0.1", port, user, password, 30, null);
        c.setProtocolVersion(version);
        c.setAckTimeout(10_000);
        clients.add(c);
        return c;
    }

    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    private static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(b);
    }

    // ------------------------------------------------------------------ password without user name

    @Test
    void mqtt5SendsAPasswordWithoutUserNameFlagPasswordLast() throws Exception {
        try (ScriptedBroker broker = new ScriptedBroker()) {
            MqttClient c = client("pw5", broker.port(), null, "secret", 5);
            Future<Boolean> connected = pool.submit(() -> c.connect(true));
            try (Peer peer = broker.accept()) {
                byte[] connect = peer.readPacket();
                peer.write(HexFormat.of().parseHex("2003000000"));
                assertFalse(within(connected));
                int flags = connect[FLAGS_OFFSET] & 0xFF;
                assertEquals(PASSWORD_FLAG | CLEAN_START_FLAG, flags, "password flag set, user name flag clear: "
                        + hex(connect));
                assertTrue(hex(connect).endsWith("00 03 70 77 35 00 06 73 65 63 72 65 74"),
                        "client id 'pw5', then the password, no user name: " + hex(connect));
            }
        }
    }

    @Test
    void mqtt311RefusesAPasswordWithoutUserNameAtConnectNamingTheConnection() throws Exception {
        try (ScriptedBroker broker = new ScriptedBroker()) {
            MqttClient c = client("pw4", broker.port(), null, "secret", 4);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.connect(true));
            assertTrue(e.getMessage().contains("password requires a user"), e.getMessage());
            assertTrue(e.getMessage().contains("127.0.0.1:" + broker.port()), e.getMessage());
            assertTrue(e.getMessage().contains("setProtocolVersion(5)"), e.getMessage());
            assertEquals(io.umqtt.api.ConnectionState.CLOSED, c.state(), "nothing was sent: still as before the first connect");
            c.setProtocolVersion(5);
            Future<Boolean> connected = pool.submit(() -> c.connect(true));
            try (Peer peer = broker.accept()) {
                assertEquals(PASSWORD_FLAG | CLEAN_START_FLAG, peer.readPacket()[FLAGS_OFFSET] & 0xFF);
                peer.write(HexFormat.of().parseHex("2003000000"));
                assertFalse(within(connected), "the same client connects once it speaks MQTT 5");
            }
        }
    }

    /**
     * mosquitto 2.0 takes an MQTT 5 password without user name as an anonymous client: accepted
     * with {@code allow_anonymous true} (the password is not checked), refused with reason 0x87
     * (not authorized) when a password file makes anonymous clients unwelcome. (On MQTT 3.1.1 it
     * closes the connection as a protocol error, "password without username", which is why the
     * client refuses it itself.)
     */
    @Test
    void mosquittoTakesAnMqtt5PasswordWithoutUserNameAsAnAnonymousClient() throws Exception {
        MqttClient accepted = client("pw-anon", anonymous.port(), null, "anything", 5);
        assertFalse(accepted.connect(true));
        assertEquals(io.umqtt.api.ConnectionState.CONNECTED, accepted.state());
        accepted.disconnect();

        MqttClient refused = client("pw-users", withUsers.port(), null, "secret", 5);
        MqttException e = assertThrows(MqttException.class, () -> refused.connect(true));
        assertEquals(Reason.CONNECTION_REFUSED, e.reason());
        assertEquals(0x87, e.returnCode(), e.getMessage());
        MqttClient alice = client("pw-alice", withUsers.port(), "alice", "secret", 5);
        assertFalse(alice.connect(true), "the same broker takes the user with the password");
        alice.disconnect();
    }

    // ------------------------------------------------------------------ empty client id, no clean start

    @Test
    void mqtt311RefusesAnEmptyClientIdWithoutCleanSession() {
        MqttClient c = client("", 1, null, null, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.connect(false));
        assertTrue(e.getMessage().contains("MQTT-3.1.3-7"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:1"), e.getMessage());
    }

    /**
     * An empty client id with Clean Start 0 and a session expiry: mosquitto assigns an identifier;
     * the client's next CONNECT uses it, so the session is resumed (Session Present) and the QoS 1
     * message published while it was away arrives.
     */
    @Test
    void anEmptyClientIdWithoutCleanStartResumesItsSessionUnderTheAssignedIdentifier() throws Exception {
        MqttClient sub = client("", anonymous.port(), null, null, 5);
        sub.setSessionExpiryInterval(300);
        BlockingQueue<String> got = new ArrayBlockingQueue<>(10);
        sub.setCallback((topic, msg, retain, dup, qos) -> got.add(new String(topic, StandardCharsets.UTF_8) + "="
                + new String(msg, StandardCharsets.UTF_8) + " q" + qos));
        assertFalse(sub.connect(false), "a new session");
        String assigned = sub.serverSettings().assignedClientIdentifier();
        assertNotNull(assigned, "mosquitto assigns an identifier (MQTT-3.2.2-16)");
        sub.subscribe("rules/assigned/#", 1);
        sub.disconnect();

        MqttClient pub = client("rules-pub", anonymous.port(), null, null, 5);
        pub.connect(true);
        pub.publish("rules/assigned/a", "while away", false, 1);
        pub.disconnect();

        assertTrue(sub.connect(false), "the session outlived the connection: Session Present");
        assertEquals("", sub.clientId(), "the configured id stays empty");
        Future<Void> loop = pool.submit(() -> {
            sub.loop();
            return null;
        });
        String m = got.poll(20, TimeUnit.SECONDS);
        assertEquals("rules/assigned/a=while away q1", m, "the queued QoS 1 message arrives");
        sub.disconnect();
        within(loop);
    }
}
