package io.umqtt.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.datatypes.MqttTopic;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;

/**
 * The HiveMQ MQTT client 1.3.7, MQTT 3.1.1, through its async API: a publish returns a future.
 * The library queues publishes without limit (no backpressure), so the pipelined runs keep at
 * most {@code window} publishes outstanding, waiting for the oldest future before the next
 * publish. The one-at-a-time run uses its blocking view of the same client. The topic object is
 * built once and reused, as our client's byte[] topic is.
 */
final class HiveLib implements Lib {
    private static final long TIMEOUT_SECONDS = 30;

    private final int port;
    private final String topic;
    private final MqttTopic topicObject;
    private final int window;
    private final List<CompletableFuture<?>> connecting = new ArrayList<>();

    /** @param window how many publishes the pipelined runs keep outstanding at most */
    HiveLib(int port, String topic, int window) {
        this.port = port;
        this.topic = topic;
        this.topicObject = MqttTopic.of(topic);
        this.window = window;
    }

    @Override
    public String name() {
        return "hivemq";
    }

    private Mqtt3AsyncClient client(String clientId) {
        return MqttClient.builder().useMqttVersion3().identifier(clientId).serverHost(Broker.HOST).serverPort(port)
                .buildAsync();
    }

    private static CompletableFuture<?> connect(Mqtt3AsyncClient c) {
        return c.connectWith().cleanSession(true).keepAlive(OursLib.KEEPALIVE_SECONDS).send();
    }

    static MqttQos qos(int qos) {
        return qos == 0 ? MqttQos.AT_MOST_ONCE : MqttQos.AT_LEAST_ONCE;
    }

    @Override
    public AutoCloseable subscriber(String clientId, int qos, Sink sink) throws Exception {
        Mqtt3AsyncClient c = client(clientId);
        connect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        c.subscribeWith().topicFilter(topic).qos(qos(qos))
                .callback(p -> sink.received(p.getPayloadAsBytes().length))
                .send().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return () -> c.disconnect().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public AutoCloseable idle(String clientId) {
        Mqtt3AsyncClient c = client(clientId);
        connecting.add(connect(c));
        return () -> c.disconnect().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
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
        Mqtt3AsyncClient c = client(clientId);
        connect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return new HivePub(c, topicObject, payload, window);
    }

    private static final class HivePub implements Pub {
        private final Mqtt3AsyncClient client;
        private final Mqtt3BlockingClient blocking;
        private final MqttTopic topic;
        private final byte[] payload;
        /** The futures of the last {@code window} publishes. */
        private final CompletableFuture<?>[] ring;

        HivePub(Mqtt3AsyncClient client, MqttTopic topic, byte[] payload, int window) {
            this.client = client;
            this.topic = topic;
            this.blocking = client.toBlocking();
            this.payload = payload;
            this.ring = new CompletableFuture<?>[window];
        }

        @Override
        public void publishAll(int qos, int count) throws Exception {
            MqttQos q = qos(qos);
            CompletableFuture<?>[] r = ring;
            int w = r.length;
            for (int i = 0; i < count; i++) {
                int slot = i % w;
                if (r[slot] != null) {
                    r[slot].get(TIMEOUT_SECONDS, TimeUnit.SECONDS); // at most 'window' publishes outstanding
                }
                r[slot] = client.publishWith().topic(topic).qos(q).payload(payload).send();
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
                blocking.publishWith().topic(topic).qos(q).payload(payload).send();
            }
        }

        @Override
        public Object publishOne(int qos) {
            return client.publishWith().topic(topic).qos(qos(qos)).payload(payload).send();
        }

        @Override
        public void awaitDone(Object handle) throws Exception {
            ((CompletableFuture<?>) handle).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            client.disconnect().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
    }
}
