package io.umqtt.whiteboard.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Constants;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.TopicFilter;

/**
 * An {@link MqttConnection} without a broker: it records every SUBSCRIBE and UNSUBSCRIBE in
 * {@link #ops} (as {@code "SUBSCRIBE a/# 1"}, {@code "UNSUBSCRIBE a/#"}), can refuse filters,
 * lower the granted QoS or fail as if down, and {@link #deliver}s messages to its listeners the
 * way the simple connection does (each listener once per message).
 */
final class FakeConnection implements MqttConnection {
    final long serviceId;
    final String name;
    final BlockingQueue<String> ops = new LinkedBlockingQueue<>();
    final Set<String> refused = ConcurrentHashMap.newKeySet();
    final List<String> published = new CopyOnWriteArrayList<>();
    private final Map<String, MessageListener> listeners = new ConcurrentHashMap<>();
    volatile int maxQos = 1;
    volatile boolean down;

    FakeConnection(long serviceId, String name) {
        this.serviceId = serviceId;
        this.name = name;
    }

    /** Service properties as the simple component registers them. */
    Map<String, Object> properties(boolean connected, Object... extra) {
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, serviceId);
        p.put(MqttConstants.NAME, name);
        p.put(MqttConstants.CONNECTED, connected);
        p.put(MqttConstants.STATE, (connected ? ConnectionState.CONNECTED : ConnectionState.LOST).name());
        for (int i = 0; i < extra.length; i += 2) {
            p.put((String) extra[i], extra[i + 1]);
        }
        return p;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ConnectionState state() {
        return down ? ConnectionState.LOST : ConnectionState.CONNECTED;
    }

    @Override
    public void publish(byte[] topic, byte[] payload, int qos, boolean retain) throws IOException {
        if (down) {
            throw new IOException("not connected");
        }
        published.add(new String(topic, StandardCharsets.UTF_8) + " " + new String(payload, StandardCharsets.UTF_8)
                + " qos " + qos);
    }

    @Override
    public int subscribe(String filter, int qos, MessageListener listener) throws IOException {
        try {
            if (down) {
                throw new IOException("not connected");
            }
            if (refused.contains(filter)) {
                throw new MqttException(MqttException.Reason.SUBSCRIPTION_REFUSED, 0x80,
                        "SUBACK refused '" + filter + "' (0x80)");
            }
            listeners.put(filter, listener);
            return Math.min(qos, maxQos);
        } finally {
            // recorded last, so a test that saw the operation sees its effect
            ops.add("SUBSCRIBE " + filter + " " + qos);
        }
    }

    @Override
    public void unsubscribe(String filter) throws IOException {
        try {
            if (down) {
                throw new IOException("not connected");
            }
            listeners.remove(filter);
        } finally {
            ops.add("UNSUBSCRIBE " + filter);
        }
    }

    /** One listener per filter here: dropping it is unsubscribing the filter. */
    @Override
    public boolean unsubscribe(String filter, MessageListener listener) throws IOException {
        try {
            if (down) {
                throw new IOException("not connected");
            }
            return listeners.remove(filter, listener);
        } finally {
            ops.add("UNSUBSCRIBE " + filter);
        }
    }

    /** Hands a message to every listener whose filter matches, each listener once. */
    int deliver(String topic, String payload) throws Exception {
        List<MessageListener> targets = new ArrayList<>();
        for (Map.Entry<String, MessageListener> e : listeners.entrySet()) {
            if (TopicFilter.parse(e.getKey()).matches(topic) && !targets.contains(e.getValue())) {
                targets.add(e.getValue());
            }
        }
        for (MessageListener l : targets) {
            l.messageArrived(new TestMessage(topic, payload, this));
        }
        return targets.size();
    }

    /** The listener subscribed under {@code filter}, or null. */
    MessageListener listener(String filter) {
        return listeners.get(filter);
    }

    /** The next recorded operation, waiting up to 5 s; null when none came. */
    String nextOp() throws InterruptedException {
        return ops.poll(5, TimeUnit.SECONDS);
    }

    /** A received message as a connection hands it over. */
    static final class TestMessage implements MqttMessage {
        private final byte[] topic;
        private final byte[] payload;
        private final MqttConnection connection;

        TestMessage(String topic, String payload, MqttConnection connection) {
            this.topic = topic.getBytes(StandardCharsets.UTF_8);
            this.payload = payload.getBytes(StandardCharsets.UTF_8);
            this.connection = connection;
        }

        @Override
        public byte[] topic() {
            return topic;
        }

        @Override
        public String topicString() {
            return new String(topic, StandardCharsets.UTF_8);
        }

        @Override
        public byte[] payload() {
            return payload;
        }

        @Override
        public int qos() {
            return 0;
        }

        @Override
        public boolean retain() {
            return false;
        }

        @Override
        public boolean dup() {
            return false;
        }

        @Override
        public MqttConnection connection() {
            return connection;
        }

        @Override
        public String toString() {
            return topicString() + " " + new String(payload, StandardCharsets.UTF_8);
        }
    }
}
