package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.robust.OfflineQueueSettings;
import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.RobustListener;
import io.umqtt.simple.testing.MosquittoBroker;

/** The component's client against a real mosquitto. */
@Timeout(30)
class ManagedClientTest {

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
}
