package io.umqtt.simple.hostile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.HostileBroker;
import io.umqtt.simple.testing.HostileBroker.Session;
import io.umqtt.simple.testing.HostileBroker.ThreadCheck;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;

/**
 * Defect 12: a deliberate {@code disconnect()} must never make the broker publish the last will,
 * also not while the CONNECT is on the wire and its CONNACK not yet read. A relay between the
 * client and mosquitto holds the CONNACK back, so the disconnect comes exactly then.
 */
class LastWillOnDisconnectTest {
    private static final String WILL_TOPIC = "status/device";

    private MosquittoBroker mosquitto;
    private HostileBroker relay;
    private ThreadCheck threads;
    private ExecutorService pool;

    @BeforeEach
    void setUp() throws IOException {
        threads = ThreadCheck.start();
        mosquitto = MosquittoBroker.start();
        relay = new HostileBroker();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        relay.close();
        mosquitto.close();
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        threads.assertNoneLeft(10_000);
    }

    @Test
    void disconnectBeforeTheConnackSendsDisconnectSoTheWillIsNotPublished() throws Exception {
        try (ReceivingClient watcher = ReceivingClient.connect(
                new MqttClient("watcher", mosquitto.host(), mosquitto.port()), true)) {
            watcher.client().subscribe(WILL_TOPIC, 1);
            CountDownLatch connackHeld = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Session s = relay.play(conn -> conn.relayHoldingFirstAnswer(mosquitto.host(), mosquitto.port(),
                    connackHeld, release));
            MqttClient device = new MqttClient("device", HostileBroker.HOST, relay.port());
            device.setLastWill(WILL_TOPIC, "offline (will)", false, 1);
            Future<Boolean> connect = pool.submit(() -> device.connect(true, 10_000));
            assertTrue(connackHeld.await(10, TimeUnit.SECONDS), "mosquitto accepted the CONNECT");
            assertEquals(ConnectionState.CONNECTING, device.state());

            device.disconnect(); // CONNECT on the wire, CONNACK not read

            try {
                connect.get(10, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
            }
            // the relay passed on all the device sent before its close; only then the held CONNACK goes to a
            // closed socket (whose reset could otherwise overtake a DISCONNECT the relay has not yet read)
            assertTrue(s.conn().awaitClientClose(10_000), "the device closed its socket");
            release.countDown();
            assertEquals(ConnectionState.CLOSED, device.state());
            assertTrue(mosquitto.awaitLog("Received DISCONNECT from device", 10, TimeUnit.SECONDS),
                    () -> "mosquitto got no DISCONNECT from the device\n" + mosquitto.log());

            // mosquitto handles one connection's packets in order: once the marker is through, a will would be too
            try (MqttClient marker = new MqttClient("marker", mosquitto.host(), mosquitto.port())) {
                marker.connect(true);
                marker.publish(WILL_TOPIC, "marker", false, 1);
                marker.disconnect();
            }
            ReceivingClient.Message first = watcher.next();
            assertNotNull(first, "the marker arrives");
            assertEquals("marker", first.payloadString(), "the will was published before the marker");
        }
    }

    /**
     * The scenario, without a relay: a configuration change stops a connection at any
     * moment of its start. Disconnects at varied points of connect (socket open, CONNECT sent,
     * CONNACK read or not, connected): none of them may publish the will.
     */
    @Test
    void disconnectAtAnyMomentOfConnectNeverPublishesTheWill() throws Exception {
        try (ReceivingClient watcher = ReceivingClient.connect(
                new MqttClient("watcher", mosquitto.host(), mosquitto.port()), true)) {
            watcher.client().subscribe(WILL_TOPIC, 1);
            for (int i = 0; i < 200; i++) {
                MqttClient device = new MqttClient("device-" + i, mosquitto.host(), mosquitto.port());
                device.setLastWill(WILL_TOPIC, "offline (will) " + i, false, 1);
                CountDownLatch started = new CountDownLatch(1);
                Future<Boolean> connect = pool.submit(() -> {
                    started.countDown();
                    return device.connect(true, 10_000);
                });
                assertTrue(started.await(10, TimeUnit.SECONDS));
                long spinUntil = System.nanoTime() + (i % 20) * 50_000L; // 0..1 ms into the connect
                while (System.nanoTime() - spinUntil < 0) {
                    Thread.onSpinWait();
                }
                device.disconnect();
                try {
                    connect.get(10, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
                }
                device.disconnect(); // when the first came before connect() began, connect() succeeded
            }
            try (MqttClient marker = new MqttClient("marker", mosquitto.host(), mosquitto.port())) {
                marker.connect(true);
                marker.publish(WILL_TOPIC, "marker", false, 1);
                marker.disconnect();
            }
            ReceivingClient.Message first = watcher.next();
            assertEquals("marker", first.payloadString(), "a will was published: " + first.payloadString());
        }
    }
}
