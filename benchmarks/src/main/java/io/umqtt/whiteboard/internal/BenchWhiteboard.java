package io.umqtt.whiteboard.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.whiteboard.ConnectionDTO;
import io.umqtt.whiteboard.SubscriptionDTO;

/**
 * A whiteboard without OSGi for the JMH benchmarks (the whiteboard's classes are package
 * private): one connection, one handler per filter. Not part of any bundle.
 */
public final class BenchWhiteboard implements AutoCloseable {
    private final Whiteboard whiteboard;

    /**
     * Starts a whiteboard with {@code threads} delivery threads, adds {@code connection} (as
     * connected) and one handler per filter, and waits until every filter is subscribed.
     */
    public BenchWhiteboard(int threads, MqttConnection connection, List<String> filters, MessageHandler handler)
            throws InterruptedException {
        whiteboard = new Whiteboard(Settings.of(threads, 1000));
        Map<String, Object> c = new HashMap<>();
        c.put("service.id", 1L);
        c.put("mqtt.name", "bench");
        c.put("mqtt.connected", Boolean.TRUE);
        whiteboard.addConnection(c, connection);
        long id = 100;
        for (String f : filters) {
            Map<String, Object> h = new HashMap<>();
            h.put("service.id", ++id);
            h.put("service.bundleid", 7L);
            h.put("mqtt.topic", f);
            h.put("mqtt.qos", 0);
            whiteboard.addHandler(h, "bench", handler);
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!allSubscribed(filters.size())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the whiteboard did not subscribe " + filters.size()
                        + " filters within 120 s");
            }
            Thread.sleep(20);
        }
    }

    private boolean allSubscribed(int n) {
        ConnectionDTO[] c = whiteboard.runtimeDTO().connections;
        if (c.length != 1 || c[0].subscriptions.length != n) {
            return false;
        }
        for (SubscriptionDTO s : c[0].subscriptions) {
            if (!SubscriptionDTO.SUBSCRIBED.equals(s.status)) {
                return false;
            }
        }
        return true;
    }

    /** Messages the whiteboard received on the connection. */
    public long received() {
        return whiteboard.runtimeDTO().connections[0].received;
    }

    @Override
    public void close() {
        whiteboard.close();
    }
}
