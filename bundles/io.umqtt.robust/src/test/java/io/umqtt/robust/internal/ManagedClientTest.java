package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.ConnectionState;
import io.umqtt.robust.OfflineQueueSettings;
import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.RobustListener;
import io.umqtt.simple.ScriptedBroker;
import io.umqtt.simple.ScriptedBroker.Peer;
import io.umqtt.simple.testing.MosquittoBroker;

/** The component's client against a real mosquitto. */
@Timeout(30)
class ManagedClientTest {

    /**
     * The carried subscriptions go to the broker in one SUBSCRIBE; a filter the broker refuses is
     * not remembered, the others are.
     */
    @Test
    void carriedSubscriptionsGoInOneSubscribeAndARefusedOneIsDropped() throws Exception {
        try (MosquittoBroker b = MosquittoBroker.builder().denySubscribe("denied/#").start()) {
            ManagedClient c = new ManagedClient("carry-3", b.host(), b.port(), null, null, 30, null,
                    OfflineQueueSettings.of(10, 1 << 16, OverflowPolicy.DROP_OLDEST));
            Map<String, Integer> carried = new java.util.LinkedHashMap<>();
            carried.put("carry/a", 1);
            carried.put("denied/x", 0);
            carried.put("carry/b", 0);
            c.carrySubscriptions(carried);
            try {
                c.connect(true, 10_000);
                assertEquals(Map.of("carry/a", 1, "carry/b", 0), c.subscriptions());
                String log = b.log();
                assertEquals(1, log.split("Received SUBSCRIBE from carry-3\n", -1).length - 1, log);
            } finally {
                c.disconnect();
            }
        }
    }

    /**
     * Subscriptions carried over from the previous settings are made (SUBACK received) before the
     * listener hears "connected": a publish made once the service says CONNECTED cannot reach the
     * broker before their SUBSCRIBE. Checked on the connecting thread at the moment it reports.
     */
    @Test
    void carriedSubscriptionsAreMadeBeforeTheConnectionIsReportedConnected() throws Exception {
        try (MosquittoBroker b = MosquittoBroker.builder().start()) {
            ManagedClient c = new ManagedClient("carry-1", b.host(), b.port(), null, null, 30, null,
                    OfflineQueueSettings.of(10, 1 << 16, OverflowPolicy.DROP_OLDEST));
            List<Map<String, Integer>> subscribedWhenConnected = new CopyOnWriteArrayList<>();
            c.setListener(new RobustListener() {
                @Override
                public void connected(String server, int port, boolean sessionPresent) {
                    subscribedWhenConnected.add(c.subscriptions());
                }
            });
            c.carrySubscriptions(Map.of("carry/#", 1, "other/+", 0));
            try {
                c.connect(true, 10_000);
                assertEquals(1, subscribedWhenConnected.size(), subscribedWhenConnected::toString);
                assertEquals(Map.of("carry/#", 1, "other/+", 0), subscribedWhenConnected.get(0),
                        "the carried filters were subscribed before 'connected' was reported");
                assertTrue(b.awaitLog("carry/#", 5, java.util.concurrent.TimeUnit.SECONDS), b::log);
            } finally {
                try {
                    c.disconnect();
                } catch (IOException e) {
                    throw new AssertionError("DISCONNECT failed", e);
                }
            }
        }
    }

    /**
     * The service's state says CONNECTED only once the subscriptions are on the broker: while the
     * carried SUBSCRIBE waits for its SUBACK the broker has accepted, yet the service says
     * CONNECTING.
     */
    @Test
    void theServiceSaysConnectingUntilTheCarriedSubscriptionIsAcknowledged() throws Exception {
        try (ScriptedBroker broker = new ScriptedBroker()) {
            ManagedClient c = new ManagedClient("carry-2", "127.0.0.1", broker.port(), null, null, 0, null,
                    OfflineQueueSettings.of(10, 1 << 16, OverflowPolicy.DROP_OLDEST));
            c.carrySubscriptions(Map.of("carry/#", 1));
            CompletableFuture<Boolean> connect = CompletableFuture.supplyAsync(() -> {
                try {
                    return c.connect(true, 10_000);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Peer peer = broker.accept()) {
                peer.acceptConnect();
                byte[] subscribe = peer.readPacket();
                assertEquals(0x82, subscribe[0] & 0xFF, "SUBSCRIBE of the carried filter expected");
                assertEquals(ConnectionState.CONNECTED, c.state(), "the broker accepted the connection");
                assertEquals(ConnectionState.CONNECTING, c.serviceState(), "its subscription is not acknowledged yet");
                peer.write(ScriptedBroker.bytes(0x90, 0x03, subscribe[2], subscribe[3], 0x01));
                assertEquals(false, connect.get(10, TimeUnit.SECONDS));
                assertEquals(ConnectionState.CONNECTED, c.serviceState());
                c.close();
            }
        }
    }

    /**
     * The component stops the client (deactivation, on SCR's thread) just after the connecting thread
     * reported the connection connected, so the service says CONNECTED and its users (the whiteboard)
     * send their SUBSCRIBEs. The connecting thread leaves the connection up: the component closes it
     * once it has unregistered the service ({@link ManagedClient#release()}). Before, the connecting
     * thread disconnected at once, under a service still registered and connected, and the users'
     * SUBSCRIBEs in flight failed with "Socket closed", logged as warnings for a routine deletion
     * (ConnectionLifecycleLogIT). Here the stop is made in the listener, on the connecting thread,
     * at the moment it reports.
     */
    @Test
    void aStopWhileTheConnectionIsReportedLeavesItUpUntilTheComponentReleasesIt() throws Exception {
        try (MosquittoBroker b = MosquittoBroker.builder().start()) {
            ManagedClient c = new ManagedClient("stop-1", b.host(), b.port(), null, null, 30, null,
                    OfflineQueueSettings.of(10, 1 << 16, OverflowPolicy.DROP_OLDEST));
            c.setListener(new RobustListener() {
                @Override
                public void connected(String server, int port, boolean sessionPresent) {
                    c.stop();
                }
            });
            try {
                c.connect(true, 10_000);
                assertTrue(c.isConnected(), "up until the component releases it");
                assertEquals(ConnectionState.CLOSED, c.serviceState(), "the service says it is going");
                assertEquals(1, c.subscribe("stop/#", 1), "the socket still works: a SUBSCRIBE in flight succeeds");
            } finally {
                c.release();
            }
            assertFalse(c.isConnected());
            assertTrue(b.awaitLog("Client stop-1 disconnected.", 5, TimeUnit.SECONDS), b::log);
        }
    }

    /**
     * A connect attempt that completes after the component released the client (its DISCONNECT
     * found nothing to close yet) is undone by the connecting thread, with a DISCONNECT: no last will.
     */
    @Test
    void aConnectionCompletingAfterTheReleaseIsUndoneWithADisconnect() throws Exception {
        try (MosquittoBroker b = MosquittoBroker.builder().start()) {
            ManagedClient c = new ManagedClient("stop-2", b.host(), b.port(), null, null, 30, null,
                    OfflineQueueSettings.of(10, 1 << 16, OverflowPolicy.DROP_OLDEST));
            c.setListener(new RobustListener() {
                @Override
                public void connected(String server, int port, boolean sessionPresent) {
                    c.stop();
                    try {
                        c.release();
                    } catch (IOException e) {
                        throw new AssertionError("DISCONNECT failed", e);
                    }
                }
            });
            IOException refused = assertThrows(IOException.class, () -> c.connect(true, 10_000));
            assertTrue(refused.getMessage().contains("stopping"), refused::getMessage);
            assertFalse(c.isConnected());
            assertTrue(b.awaitLog("Client stop-2 disconnected.", 5, TimeUnit.SECONDS), b::log);
        }
    }
}
