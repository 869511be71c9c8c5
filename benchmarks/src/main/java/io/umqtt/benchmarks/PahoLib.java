package io.umqtt.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * Eclipse Paho mqttv3 1.2.5: {@link MqttAsyncClient} with the in-flight limit raised to 65,535
 * (at the default of 10 it throws instead of blocking), in-memory persistence (the default file
 * persistence writes a file per QoS 1 message), and the blocking {@link MqttClient} for the
 * one-at-a-time run.
 * <p>
 * The pipelined runs keep at most {@code window} publishes outstanding, waiting for the oldest
 * token before the next publish: Paho queues QoS 0 publishes without limit in a {@code Vector}
 * that its sender thread empties from the front, so a publisher far ahead of the socket makes
 * every send shift the whole queue (1,000,000 publishes in a loop did not finish in 10 minutes).
 * When Paho refuses a publish with "Too many publishes in progress" (32202) although the window
 * is below its limit (it releases its counter on another thread), the harness yields, retries
 * and counts it.
 */
final class PahoLib implements Lib {
    static final int MAX_INFLIGHT = Integer.getInteger("paho.maxInflight", 65_535);
    private static final long CONNECT_TIMEOUT_MILLIS = 30_000;

    private final String uri;
    private final String topic;
    private final int window;
    private final List<IMqttToken> connecting = new ArrayList<>();

    /** @param window how many publishes the pipelined runs keep outstanding at most */
    PahoLib(int port, String topic, int window) {
        this.uri = "tcp://" + Broker.HOST + ":" + port;
        this.topic = topic;
        this.window = window;
    }

    @Override
    public String name() {
        return "paho";
    }

    private static MqttConnectOptions options() {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setMaxInflight(MAX_INFLIGHT);
        o.setKeepAliveInterval(OursLib.KEEPALIVE_SECONDS);
        o.setAutomaticReconnect(false);
        o.setConnectionTimeout(30);
        return o;
    }

    @Override
    public AutoCloseable subscriber(String clientId, int qos, Sink sink) throws Exception {
        MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
        c.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String topic, MqttMessage message) {
                sink.received(message.getPayload().length);
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }

            @Override
            public void connectionLost(Throwable cause) {
                System.err.println("paho subscriber lost its connection: " + cause);
            }
        });
        c.connect(options()).waitForCompletion(CONNECT_TIMEOUT_MILLIS);
        c.subscribe(topic, qos).waitForCompletion(CONNECT_TIMEOUT_MILLIS);
        return () -> close(c);
    }

    @Override
    public AutoCloseable idle(String clientId) throws Exception {
        MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
        connecting.add(c.connect(options())); // in parallel: Paho's connect alone takes about 300 ms
        return () -> close(c);
    }

    @Override
    public void awaitIdleConnected() throws Exception {
        for (IMqttToken t : connecting) {
            t.waitForCompletion(CONNECT_TIMEOUT_MILLIS);
        }
        connecting.clear();
    }

    private static void close(MqttAsyncClient c) throws MqttException {
        try {
            c.disconnect(0).waitForCompletion(5_000);
        } finally {
            c.close();
        }
    }

    @Override
    public Pub publisher(String clientId, byte[] payload, boolean blocking) throws Exception {
        if (blocking) {
            MqttClient c = new MqttClient(uri, clientId, new MemoryPersistence());
            c.connect(options());
            return new BlockingPub(c, topic, payload);
        }
        MqttAsyncClient c = new MqttAsyncClient(uri, clientId, new MemoryPersistence());
        c.connect(options()).waitForCompletion(CONNECT_TIMEOUT_MILLIS);
        return new AsyncPub(c, topic, payload, window);
    }

    private static final class AsyncPub implements Pub {
        private final MqttAsyncClient client;
        private final String topic;
        private final byte[] payload;
        /** The tokens of the last {@code window} publishes. */
        private final IMqttDeliveryToken[] ring;
        private long retries;

        AsyncPub(MqttAsyncClient client, String topic, byte[] payload, int window) {
            this.client = client;
            this.topic = topic;
            this.payload = payload;
            this.ring = new IMqttDeliveryToken[window];
        }

        @Override
        public void publishAll(int qos, int count, Pace pace) throws Exception {
            IMqttDeliveryToken[] r = ring;
            int w = r.length;
            for (int i = 0; i < count; i++) {
                int slot = i % w;
                if (r[slot] != null) {
                    r[slot].waitForCompletion(); // at most 'window' publishes outstanding
                }
                pace.await(i);
                r[slot] = (IMqttDeliveryToken) publishOne(qos);
            }
            for (int i = 0; i < w; i++) {
                if (r[i] != null) {
                    r[i].waitForCompletion();
                    r[i] = null;
                }
            }
        }

        @Override
        public void publishEach(int qos, int count) throws Exception {
            for (int i = 0; i < count; i++) {
                awaitDone(publishOne(qos));
            }
        }

        @Override
        public Object publishOne(int qos) throws Exception {
            while (true) {
                try {
                    return client.publish(topic, payload, qos, false);
                } catch (MqttException e) {
                    if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) {
                        throw e;
                    }
                    retries++;
                    Thread.yield();
                }
            }
        }

        @Override
        public void awaitDone(Object handle) throws Exception {
            ((IMqttDeliveryToken) handle).waitForCompletion();
        }

        @Override
        public long retries() {
            return retries;
        }

        @Override
        public void close() throws Exception {
            PahoLib.close(client);
        }
    }

    private static final class BlockingPub implements Pub {
        private final MqttClient client;
        private final String topic;
        private final byte[] payload;
        private long retries;

        BlockingPub(MqttClient client, String topic, byte[] payload) {
            this.client = client;
            this.topic = topic;
            this.payload = payload;
        }

        @Override
        public void publishAll(int qos, int count, Pace pace) throws Exception {
            for (int i = 0; i < count; i++) {
                pace.await(i);
                publishOne(qos);
            }
        }

        @Override
        public void publishEach(int qos, int count) throws Exception {
            publishAll(qos, count, Pace.NONE);
        }

        @Override
        public Object publishOne(int qos) throws Exception {
            while (true) {
                try {
                    client.publish(topic, payload, qos, false); // returns when complete
                    return null;
                } catch (MqttException e) {
                    if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) {
                        throw e;
                    }
                    retries++; // Paho releases its in-flight counter on another thread (see README)
                    Thread.yield();
                }
            }
        }

        @Override
        public void awaitDone(Object handle) {
        }

        @Override
        public long retries() {
            return retries;
        }

        @Override
        public void close() throws Exception {
            try {
                client.disconnect(0);
            } finally {
                client.close();
            }
        }
    }
}
