package io.umqtt.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;

import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;

/**
 * Our client, {@link io.umqtt.simple.MqttClient}, used the way its README shows: byte[] topic
 * and payload, a thread given to {@code loop()} that reads and runs the callback, publishing from
 * any thread. The pipelined QoS 1 run publishes with {@code publishAsync} from one thread, keeping
 * at most {@code window} publishes outstanding by awaiting the oldest token, as the async peers
 * are driven; with {@code threads > 0} it instead calls the blocking {@code publish} from that
 * many threads sharing the one client.
 */
final class OursLib implements Lib {
    static final int KEEPALIVE_SECONDS = 60;

    private final int port;
    private final String topic;
    private final int threads;
    private final int window;
    private final boolean publisherLoop;
    private final int protocolVersion;

    OursLib(int port, String topic, int threads, int window, boolean publisherLoop) {
        this(port, topic, threads, window, publisherLoop, 4);
    }

    /**
     * @param threads publishing threads calling the blocking publish in the pipelined QoS 1 run;
     *        0 for one thread with publishAsync
     * @param window how many publishAsync publishes the pipelined runs keep outstanding at most
     * @param publisherLoop whether a publishing client also has a loop thread (else the publishing
     *        thread that waits for a PUBACK reads it, umqtt's own way)
     * @param protocolVersion 4 (MQTT 3.1.1, client "ours") or 5 ({@code setProtocolVersion(5)}, client "ours5")
     */
    OursLib(int port, String topic, int threads, int window, boolean publisherLoop, int protocolVersion) {
        this.protocolVersion = protocolVersion;
        this.port = port;
        this.topic = topic;
        this.threads = threads;
        this.window = window;
        this.publisherLoop = publisherLoop;
    }

    @Override
    public String name() {
        return protocolVersion == 5 ? "ours5" : "ours";
    }

    private MqttClient connect(String clientId) throws IOException {
        MqttClient c = new MqttClient(clientId, Broker.HOST, port, null, (String) null, KEEPALIVE_SECONDS, null);
        if (protocolVersion == 5) {
            c.setProtocolVersion(5); // its defaults otherwise, as a user who turns MQTT 5 on gets them
        }
        c.connect(true);
        return c;
    }

    private static Thread startLoop(MqttClient c, String name) {
        Thread t = new Thread(() -> {
            try {
                c.loop();
            } catch (IOException e) {
                System.err.println("loop of " + c.clientId() + " ended: " + e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    @Override
    public AutoCloseable subscriber(String clientId, int qos, Sink sink) throws Exception {
        MqttClient c = connect(clientId);
        c.setCallback((topic, msg, retain, dup, q) -> sink.received(msg.length));
        c.subscribe(topic, qos);
        startLoop(c, "loop-" + clientId);
        return c::disconnect;
    }

    @Override
    public AutoCloseable idle(String clientId) throws Exception {
        MqttClient c = connect(clientId);
        startLoop(c, "loop-" + clientId);
        return c::disconnect;
    }

    @Override
    public Pub publisher(String clientId, byte[] payload, boolean blocking) throws Exception {
        MqttClient c = connect(clientId);
        c.setMaxInflight(window);
        if (publisherLoop) {
            startLoop(c, "loop-" + clientId);
        }
        return new OursPub(c, topic.getBytes(StandardCharsets.UTF_8), payload, threads, window);
    }

    private static final class OursPub implements Pub {
        private final MqttClient client;
        private final byte[] topic;
        private final byte[] payload;
        private final int threads;
        /** The tokens of the last {@code window} publishAsync publishes. */
        private final PublishToken[] ring;
        private ThreadPoolExecutor pool;

        OursPub(MqttClient client, byte[] topic, byte[] payload, int threads, int window) {
            this.client = client;
            this.topic = topic;
            this.payload = payload;
            this.threads = threads;
            this.ring = new PublishToken[window];
        }

        @Override
        public void publishAll(int qos, int count, Pace pace) throws Exception {
            if (qos == 0) {
                publishEach(0, count, pace); // returns once written: nothing to wait for, nothing to pipeline
                return;
            }
            if (threads == 0) {
                publishAsync(qos, count, pace);
                return;
            }
            if (pace.paced()) {
                throw new IllegalArgumentException("a paced run publishes from one thread: threads must be 0, found "
                        + threads);
            }
            if (pool == null) {
                pool = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads, r -> {
                    Thread t = new Thread(r, "publisher");
                    t.setDaemon(true);
                    return t;
                });
                pool.prestartAllCoreThreads();
            }
            List<Future<?>> done = new ArrayList<>(threads);
            for (int i = 0; i < threads; i++) {
                int share = count / threads + (i < count % threads ? 1 : 0);
                done.add(pool.submit(() -> {
                    for (int j = 0; j < share; j++) {
                        client.publish(topic, payload, false, qos);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    throw (Exception) e.getCause();
                }
            }
        }

        /** One thread, publishAsync, at most {@code window} outstanding (the peers' way). */
        private void publishAsync(int qos, int count, Pace pace) throws IOException {
            MqttClient c = client;
            byte[] t = topic;
            byte[] p = payload;
            PublishToken[] r = ring;
            int w = r.length;
            for (int i = 0; i < count; i++) {
                int slot = i % w;
                if (r[slot] != null) {
                    r[slot].await(); // at most 'window' publishes outstanding
                }
                pace.await(i);
                r[slot] = c.publishAsync(t, p, false, qos);
            }
            for (int i = 0; i < w; i++) {
                if (r[i] != null) {
                    r[i].await();
                    r[i] = null;
                }
            }
        }

        @Override
        public void publishEach(int qos, int count) throws IOException {
            publishEach(qos, count, Pace.NONE);
        }

        private void publishEach(int qos, int count, Pace pace) throws IOException {
            MqttClient c = client;
            byte[] t = topic;
            byte[] p = payload;
            for (int i = 0; i < count; i++) {
                pace.await(i);
                c.publish(t, p, false, qos);
            }
        }

        @Override
        public Object publishOne(int qos) throws IOException {
            client.publish(topic, payload, false, qos);
            return null;
        }

        @Override
        public void awaitDone(Object handle) {
            // publish returned: written (QoS 0) or acknowledged (QoS 1)
        }

        @Override
        public void close() throws IOException {
            if (pool != null) {
                pool.shutdownNow();
            }
            client.disconnect();
        }
    }
}
