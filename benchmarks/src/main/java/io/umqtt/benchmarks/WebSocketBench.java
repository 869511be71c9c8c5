package io.umqtt.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.moquette.BrokerConstants;
import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;

/**
 * MQTT over WebSocket, ours against Eclipse Paho's WebSocket transport (mqttv3 1.2.5,
 * {@code ws://} URI), in the same run: QoS 0 and QoS 1 end to end (one publisher, one subscriber,
 * both over {@code ws://}), through mosquitto (the benchmarks' configuration, limits lifted) behind
 * the simple client's test WebSocket-to-TCP bridge ({@code io.umqtt.simple.testing.WebSocketBridge},
 * two threads per connection, in this JVM; the mosquitto package here has no WebSocket support), or
 * with {@code -Dwsbench.broker=moquette} Moquette 0.17's own WebSocket listener in this JVM (which
 * drops QoS 0 messages under a fast publisher). Each repetition runs both clients, the order
 * alternating; each measurement is preceded by an unmeasured warm-up on fresh connections. Prints
 * the median, minimum and maximum messages per second and the process CPU load (clients and
 * broker together, as the broker shares the JVM) per message.
 * <p>
 * {@code java -cp benchmarks/target/benchmarks.jar io.umqtt.benchmarks.WebSocketBench [--reps 5]
 * [--messages 50000] [--messages-qos1 20000] [--window 100]}
 */
public final class WebSocketBench {
    private static final byte[] PAYLOAD = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            .getBytes(StandardCharsets.US_ASCII);
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String uri;
    private final int window;
    private int run;

    private WebSocketBench(String uri, int window) {
        this.uri = uri;
        this.window = window;
    }

    public static void main(String[] args) throws Exception {
        Map<String, Integer> o = new LinkedHashMap<>(Map.of("reps", 5, "messages", 50_000, "messages-qos1", 20_000,
                "window", 100));
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i].replaceFirst("^--", ""), Integer.parseInt(args[i + 1]));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int tcpPort = Integer.getInteger("wsbench.tcpPort", 0);
        if (tcpPort == 0) {
            try (ServerSocket s = new ServerSocket(0)) {
                tcpPort = s.getLocalPort();
            }
        }
        Properties p = new Properties();
        p.setProperty(BrokerConstants.HOST_PROPERTY_NAME, "127.0.0.1");
        p.setProperty(BrokerConstants.PORT_PROPERTY_NAME, Integer.toString(tcpPort));
        p.setProperty(BrokerConstants.WEB_SOCKET_PORT_PROPERTY_NAME, Integer.toString(port));
        p.setProperty(BrokerConstants.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
        p.setProperty(BrokerConstants.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
        p.setProperty(BrokerConstants.NETTY_EPOLL_PROPERTY_NAME, "false");
        p.setProperty(BrokerConstants.ENABLE_TELEMETRY_NAME, "false");
        boolean moquette = "moquette".equals(System.getProperty("wsbench.broker", "mosquitto"));
        Server broker = null;
        Broker mosquitto = null;
        io.umqtt.simple.testing.WebSocketBridge bridge = null;
        String uri;
        String brokerName;
        if (moquette) {
            broker = new Server();
            broker.startServer(new MemoryConfig(p));
            uri = "ws://127.0.0.1:" + port + "/mqtt";
            brokerName = "Moquette 0.17 in this JVM";
        } else {
            mosquitto = Broker.start(java.nio.file.Files.createTempDirectory("wsbench"));
            bridge = io.umqtt.simple.testing.WebSocketBridge.builder(Broker.HOST, mosquitto.port()).start();
            uri = bridge.uri();
            brokerName = "mosquitto behind the test WebSocket bridge";
        }
        try {
            WebSocketBench b = new WebSocketBench(uri, o.get("window"));
            Map<String, List<double[]>> results = new LinkedHashMap<>();
            String[] libs = { "ours", "paho" };
            for (int rep = 0; rep < o.get("reps"); rep++) {
                for (int k = 0; k < libs.length; k++) {
                    String lib = libs[(k + rep) % libs.length];
                    for (int qos = 0; qos <= 1; qos++) {
                        int n = qos == 0 ? o.get("messages") : o.get("messages-qos1");
                        b.measure(lib, qos, Math.max(1, n / 5)); // warm-up, not counted
                        double[] r = b.measure(lib, qos, n);
                        System.out.printf(Locale.ROOT, "rep %d %s qos%d: %.0f msg/s, %.1f us CPU/msg%s%n", rep, lib,
                                qos, r[0], r[1], r[2] > 0 ? ", LOST " + (long) r[2] : "");
                        results.computeIfAbsent("qos" + qos + " " + lib, x -> new ArrayList<>()).add(r);
                    }
                }
            }
            System.out.println();
            System.out.println("| scenario (ws://, " + brokerName + ") | client | msg/s median (min..max) | CPU µs/msg median | lost |");
            System.out.println("|---|---|---|---|---|");
            for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
                double[] rate = e.getValue().stream().mapToDouble(r -> r[0]).sorted().toArray();
                double[] cpu = e.getValue().stream().mapToDouble(r -> r[1]).sorted().toArray();
                long lost = (long) e.getValue().stream().mapToDouble(r -> r[2]).sum();
                String[] parts = e.getKey().split(" ");
                System.out.printf(Locale.ROOT, "| %s end to end | %s | %,.0f (%,.0f..%,.0f) | %.1f | %d |%n",
                        parts[0].toUpperCase(Locale.ROOT).replace("QOS", "QoS "), parts[1], median(rate), rate[0],
                        rate[rate.length - 1], median(cpu), lost);
            }
        } finally {
            if (broker != null) {
                broker.stopServer();
            }
            if (bridge != null) {
                bridge.close();
            }
            if (mosquitto != null) {
                mosquitto.close();
            }
        }
        System.exit(0);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** One run: {rate msg/s, process CPU µs per message, messages lost}. */
    private double[] measure(String lib, int qos, int n) throws Exception {
        String topic = String.format(Locale.ROOT, "wsbench/r%04d", ++run);
        AtomicLong received = new AtomicLong();
        AutoCloseable sub;
        Publisher pub;
        if (lib.equals("ours")) {
            sub = oursSubscriber(topic, qos, received);
            pub = oursPublisher(topic);
        } else {
            sub = pahoSubscriber(topic, qos, received);
            pub = pahoPublisher(topic);
        }
        try {
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory
                    .getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            pub.publishAll(qos, n);
            long last = received.get();
            long lastChange = System.nanoTime();
            while (received.get() < n) {
                Thread.sleep(1);
                long now = received.get();
                if (now != last) {
                    last = now;
                    lastChange = System.nanoTime();
                } else if (System.nanoTime() - lastChange > STALL_NANOS) {
                    break;
                }
            }
            long t1 = System.nanoTime();
            long cpu1 = os.getProcessCpuTime();
            long got = Math.min(received.get(), n);
            return new double[] { got * 1e9 / (t1 - t0), (cpu1 - cpu0) / 1e3 / Math.max(1, got), n - got };
        } finally {
            pub.close();
            sub.close();
        }
    }

    /** Publishes {@code n} messages, pipelined, and returns when all are written (QoS 0) or acknowledged (QoS 1). */
    private interface Publisher extends AutoCloseable {
        void publishAll(int qos, int n) throws Exception;
    }

    private AutoCloseable oursSubscriber(String topic, int qos, AtomicLong received) throws IOException {
        MqttClient c = new MqttClient("ws-sub-" + run, uri, 0, null, (String) null, 60, null);
        c.setCallback((t, msg, retain, dup, q) -> received.incrementAndGet());
        c.connect(true);
        c.subscribe(topic, qos);
        Thread loop = new Thread(() -> {
            try {
                c.loop();
            } catch (IOException e) {
                // disconnected at the end of the run
            }
        }, "loop-ws-sub-" + run);
        loop.setDaemon(true);
        loop.start();
        return () -> {
            c.disconnect();
            loop.join(5_000);
        };
    }

    private Publisher oursPublisher(String topic) throws IOException {
        String tcp = System.getProperty("wsbench.tcpPublisher"); // diagnostics: publish over TCP to this port
        MqttClient c = tcp != null ? new MqttClient("ws-pub-" + run, "127.0.0.1", Integer.parseInt(tcp))
                : new MqttClient("ws-pub-" + run, uri, 0, null, (String) null, 60, null);
        c.connect(true);
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        PublishToken[] ring = new PublishToken[window];
        return new Publisher() {
            @Override
            public void publishAll(int qos, int n) throws Exception {
                for (int i = 0; i < n; i++) {
                    if (qos == 0) {
                        c.publish(t, PAYLOAD, false, 0);
                        continue;
                    }
                    int slot = i % ring.length;
                    if (ring[slot] != null) {
                        ring[slot].await();
                    }
                    ring[slot] = c.publishAsync(t, PAYLOAD, false, 1);
                }
                for (int i = 0; i < ring.length; i++) {
                    if (ring[i] != null) {
                        ring[i].await();
                        ring[i] = null;
                    }
                }
            }

            @Override
            public void close() throws IOException {
                c.disconnect();
            }
        };
    }

    private static MqttConnectOptions pahoOptions() {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setMaxInflight(65_535);
        o.setKeepAliveInterval(60);
        o.setAutomaticReconnect(false);
        return o;
    }

    private AutoCloseable pahoSubscriber(String topic, int qos, AtomicLong received) throws MqttException {
        MqttAsyncClient c = new MqttAsyncClient(uri, "ws-psub-" + run, new MemoryPersistence());
        c.setCallback(new MqttCallback() {
            @Override
            public void messageArrived(String t, MqttMessage m) {
                received.incrementAndGet();
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }

            @Override
            public void connectionLost(Throwable cause) {
                System.err.println("paho subscriber lost its connection: " + cause);
            }
        });
        c.connect(pahoOptions()).waitForCompletion(30_000);
        c.subscribe(topic, qos).waitForCompletion(30_000);
        return () -> pahoClose(c);
    }

    private Publisher pahoPublisher(String topic) throws MqttException {
        MqttAsyncClient c = new MqttAsyncClient(uri, "ws-ppub-" + run, new MemoryPersistence());
        c.connect(pahoOptions()).waitForCompletion(30_000);
        IMqttDeliveryToken[] ring = new IMqttDeliveryToken[window];
        return new Publisher() {
            @Override
            public void publishAll(int qos, int n) throws Exception {
                for (int i = 0; i < n; i++) {
                    int slot = i % ring.length;
                    if (ring[slot] != null) {
                        ring[slot].waitForCompletion();
                    }
                    while (true) {
                        try {
                            ring[slot] = c.publish(topic, PAYLOAD, qos, false);
                            break;
                        } catch (MqttException e) {
                            if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) {
                                throw e;
                            }
                            Thread.yield();
                        }
                    }
                }
                for (IMqttDeliveryToken t : ring) {
                    if (t != null) {
                        t.waitForCompletion();
                    }
                }
                Arrays.fill(ring, null);
            }

            @Override
            public void close() throws Exception {
                pahoClose(c);
            }
        };
    }

    private static void pahoClose(MqttAsyncClient c) throws MqttException {
        try {
            c.disconnect(0).waitForCompletion(5_000);
        } finally {
            c.close();
        }
    }
}
