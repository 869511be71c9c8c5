package io.umqtt.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;

/**
 * An empty client id without clean session (MQTT-3.1.3-7, issue 11 defect 7): a configuration
 * error, refused where it is made and never handed to the reconnect loop, which would retry the
 * broker's refusal for ever.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RobustEmptyClientIdTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private RobustMqttClient client;

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
        client = new RobustMqttClient("", "127.0.0.1", broker.port(), null, null, 0, null);
        client.setConnectTimeout(2_000);
        client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 0));
    }

    @AfterEach
    void tearDown() throws IOException {
        client.close();
        broker.close();
        pool.shutdownNow();
    }

    private static final String MESSAGE = "cannot keep a session (clean session false) with an empty client id: "
            + "MQTT 3.1.1 allows an empty client id only with clean session (MQTT-3.1.3-7); give the client an id";

    /** The next connection's CONNECT, answered with an accepting CONNACK. */
    private byte[] acceptNext() throws IOException {
        Peer peer = broker.accept();
        return peer.acceptConnect();
    }

    @Test
    void setCleanSessionFalseIsRefusedAndTheReconnectsStayClean() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.setCleanSession(false));
        assertTrue(e.getMessage().endsWith(MESSAGE), e.getMessage());
        Future<?> reconnecting = pool.submit(() -> {
            client.reconnect();
            return null;
        });
        byte[] connect = acceptNext();
        assertEquals(0x02, connect[9], "clean session, as before the refused call");
        reconnecting.get(10, TimeUnit.SECONDS);
        assertTrue(client.isConnected());
    }

    @Test
    void connectWithoutCleanSessionIsRefusedBeforeAnythingIsSentAndNotRemembered() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.connect(false));
        assertTrue(e.getMessage().endsWith(MESSAGE), e.getMessage());
        assertEquals(ConnectionState.CLOSED, client.state());
        assertEquals(0, client.connectAttempts(), "no attempt was made");
        // the refused flag was not kept for the reconnect loop: the runner connects cleanly
        Future<?> running = pool.submit(() -> {
            client.runForever();
            return null;
        });
        byte[] connect = acceptNext(); // also proves the refused connect sent nothing: this is the first CONNECT
        assertEquals(0x02, connect[9]);
        assertEquals(0, connect[12] << 8 | connect[13], "the empty client id");
        client.close();
        running.get(10, TimeUnit.SECONDS);
    }
}
