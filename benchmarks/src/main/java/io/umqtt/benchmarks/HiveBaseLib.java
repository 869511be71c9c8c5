package io.umqtt.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttTopic;

/**
 * How the benchmarks drive the HiveMQ MQTT client 1.3.7, for both of its APIs ({@link HiveLib}
 * MQTT 3.1.1, {@link Hive5Lib} MQTT 5): the async API, a publish returns a future. The library
 * queues publishes without limit (no backpressure), so the pipelined runs keep at most
 * {@code window} publishes outstanding, waiting for the oldest future before the next publish. The
 * one-at-a-time run uses the blocking view of the same client. The topic object is built once and
 * reused, as our client's byte[] topic is. A subclass only says how each step is called on its API.
 *
 * @param <C> the API's async client
 * @param <B> the API's blocking view of it
 */
abstract class HiveBaseLib<C, B> implements Lib {
    static final long TIMEOUT_SECONDS = 30;

    /** The broker's port. */
    final int port;
    private final String topic;
    private final MqttTopic topicObject;
    private final int window;
    private final List<CompletableFuture<?>> connecting = new ArrayList<>();

    /** @param window how many publishes the pipelined runs keep outstanding at most */
    HiveBaseLib(int port, String topic, int window) {
        this.port = port;
        this.topic = topic;
        this.topicObject = MqttTopic.of(topic);
        this.window = window;
    }

    /** A new async client for {@link #port}, not connected. */
    abstract C client(String clientId);

    /** Connects with a clean session (clean start) and our keepalive. */
    abstract CompletableFuture<?> connect(C c);

    /** Subscribes to {@code filter}, each message's payload size going to {@code sink}. */
    abstract CompletableFuture<?> subscribe(C c, String filter, MqttQos qos, Sink sink);

    abstract CompletableFuture<?> disconnect(C c);

    abstract B toBlocking(C c);

    abstract CompletableFuture<?> publish(C c, MqttTopic topic, MqttQos qos, byte[] payload);

    /** Publishes on the blocking view: returns once the publish is done. */
    abstract void publishBlocking(B b, MqttTopic topic, MqttQos qos, byte[] payload);

    static MqttQos qos(int qos) {
        return qos == 0 ? MqttQos.AT_MOST_ONCE : MqttQos.AT_LEAST_ONCE;
    }

    @Override
    public AutoCloseable subscriber(String clientId, int qos, Sink sink) throws Exception {
        C c = client(clientId);
        connect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        subscribe(c, topic, qos(qos), sink).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return () -> disconnect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public AutoCloseable idle(String clientId) {
        C c = client(clientId);
        connecting.add(connect(c));
        return () -> disconnect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void awaitIdleConnected() throws Exception {
        for (CompletableFuture<?> f : connecting) {
            f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        connecting.clear();
    }

    @Override
    public Pub publisher(String clientId, byte[] payload, boolean blocking) throws Exception {
        C c = client(clientId);
        connect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return new HivePub(c, payload);
    }

    private final class HivePub implements Pub {
        private final C client;
        private final B blocking;
        private final byte[] payload;
        /** The futures of the last {@code window} publishes. */
        private final CompletableFuture<?>[] ring;

        HivePub(C client, byte[] payload) {
            this.client = client;
            this.blocking = toBlocking(client);
            this.payload = payload;
            this.ring = new CompletableFuture<?>[window];
        }

        @Override
        public void publishAll(int qos, int count, Pace pace) throws Exception {
            MqttQos q = qos(qos);
            CompletableFuture<?>[] r = ring;
            int w = r.length;
            for (int i = 0; i < count; i++) {
                int slot = i % w;
                if (r[slot] != null) {
                    r[slot].get(TIMEOUT_SECONDS, TimeUnit.SECONDS); // at most 'window' publishes outstanding
                }
                pace.await(i);
                r[slot] = publish(client, topicObject, q, payload);
            }
            for (int i = 0; i < w; i++) {
                if (r[i] != null) {
                    r[i].get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    r[i] = null;
                }
            }
        }

        @Override
        public void publishEach(int qos, int count) {
            MqttQos q = qos(qos);
            for (int i = 0; i < count; i++) {
                publishBlocking(blocking, topicObject, q, payload);
            }
        }

        @Override
        public Object publishOne(int qos) {
            return publish(client, topicObject, qos(qos), payload);
        }

        @Override
        public void awaitDone(Object handle) throws Exception {
            ((CompletableFuture<?>) handle).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            disconnect(client).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
