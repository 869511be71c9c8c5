package io.umqtt.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttTopic;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;

/**
 * The HiveMQ MQTT client 1.3.7 over MQTT 5 ({@link Mqtt5AsyncClient}), driven exactly as
 * {@link HiveLib} drives its MQTT 3.1.1 API: the async API with at most {@code window} publishes
 * outstanding in the pipelined runs, its blocking view for the one-at-a-time run, the topic object
 * built once, clean start, keepalive 60 s, the library's MQTT 5 defaults otherwise (whatever it does
 * with topic aliases, receive maximum and the like by itself).
 */
final class Hive5Lib implements Lib {
    private static final long TIMEOUT_SECONDS = 30;

    private final int port;
    private final String topic;
    private final MqttTopic topicObject;
    private final int window;
    private final List<CompletableFuture<?>> connecting = new ArrayList<>();

    /** @param window how many publishes the pipelined runs keep outstanding at most */
    Hive5Lib(int port, String topic, int window) {
        this.port = port;
        this.topic = topic;
        this.topicObject = MqttTopic.of(topic);
        this.window = window;
    }

    @Override
    public String name() {
        return "hivemq5";
    }

    private Mqtt5AsyncClient client(String clientId) {
        return MqttClient.builder().useMqttVersion5().identifier(clientId).serverHost(Broker.HOST).serverPort(port)
                .buildAsync();
    }

    private static CompletableFuture<?> connect(Mqtt5AsyncClient c) {
        return c.connectWith().cleanStart(true).keepAlive(OursLib.KEEPALIVE_SECONDS).send();
    }

    @Override
    public AutoCloseable subscriber(String clientId, int qos, Sink sink) throws Exception {
        Mqtt5AsyncClient c = client(clientId);
        connect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        c.subscribeWith().topicFilter(topic).qos(HiveLib.qos(qos))
                .callback(p -> sink.received(p.getPayloadAsBytes().length))
                .send().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return () -> c.disconnect().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public AutoCloseable idle(String clientId) {
        Mqtt5AsyncClient c = client(clientId);
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
        Mqtt5AsyncClient c = client(clientId);
        connect(c).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return new Hive5Pub(c, topicObject, payload, window);
    }

    private static final class Hive5Pub implements Pub {
        private final Mqtt5AsyncClient client;
        private final Mqtt5BlockingClient blocking;
        private final MqttTopic topic;
        private final byte[] payload;
        /** The futures of the last {@code window} publishes. */
        private final CompletableFuture<?>[] ring;

        Hive5Pub(Mqtt5AsyncClient client, MqttTopic topic, byte[] payload, int window) {
            this.client = client;
            this.topic = topic;
            this.blocking = client.toBlocking();
            this.payload = payload;
            this.ring = new CompletableFuture<?>[window];
        }

        @Override
        public void publishAll(int qos, int count) throws Exception {
            com.hivemq.client.mqtt.datatypes.MqttQos q = HiveLib.qos(qos);
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
            com.hivemq.client.mqtt.datatypes.MqttQos q = HiveLib.qos(qos);
            for (int i = 0; i < count; i++) {
                blocking.publishWith().topic(topic).qos(q).payload(payload).send();
            }
        }

        @Override
        public Object publishOne(int qos) {
            return client.publishWith().topic(topic).qos(HiveLib.qos(qos)).payload(payload).send();
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
