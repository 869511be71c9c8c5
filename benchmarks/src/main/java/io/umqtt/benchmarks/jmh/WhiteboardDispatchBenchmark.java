package io.umqtt.benchmarks.jmh;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import io.umqtt.api.TopicFilter;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.connection.ClientConnection;
import io.umqtt.whiteboard.internal.BenchWhiteboard;
import io.umqtt.whiteboard.internal.TopicTrie;

/**
 * The whiteboard's per-message matching cost with 1, 100 and 10,000 registered filters: the
 * trie the whiteboard dispatches with ({@code trie}) against checking every filter in turn
 * ({@code linear}, what a list of subscriptions costs). Each topic has five levels and matches
 * exactly one exact filter and, for one filter in a hundred, a wildcard filter as well.
 * <p>
 * {@code deliver} is the whole way of a received QoS 0 message from the client's callback to the
 * handlers' queues: the connection service ({@code ClientConnection.deliver}, as the client's
 * reader thread calls it) and the whiteboard behind it, with one handler per filter (a no-op,
 * drained by one delivery thread) on a client connected to a broker that only acknowledges
 * ({@link AckingBroker}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class WhiteboardDispatchBenchmark {
    private static final int TOPICS = 1024;

    @Param({"1", "100", "10000"})
    public int filters;

    private TopicTrie<Object> trie;
    private TopicFilter[] compiled;
    private byte[][] topics;
    private int next;

    @Setup
    public void setUp() {
        trie = new TopicTrie<>();
        compiled = new TopicFilter[filters];
        for (int i = 0; i < filters; i++) {
            // one wildcard filter in a hundred, the rest exact device topics
            String f = i % 100 == 99 ? "plant/+/device/" + i + "/#" : "plant/" + (i % 50) + "/device/" + i + "/temp";
            compiled[i] = TopicFilter.parse(f);
            trie.add(compiled[i], f);
        }
        Random random = new Random(42);
        topics = new byte[TOPICS][];
        for (int t = 0; t < TOPICS; t++) {
            int i = random.nextInt(filters);
            topics[t] = ("plant/" + (i % 50) + "/device/" + i + "/temp").getBytes(StandardCharsets.UTF_8);
        }
    }

    @Benchmark
    public int trie(Blackhole bh) {
        return trie.match(topics[next++ & (TOPICS - 1)], bh::consume);
    }

    @Benchmark
    public int linear(Blackhole bh) {
        byte[] topic = topics[next++ & (TOPICS - 1)];
        int found = 0;
        for (TopicFilter f : compiled) {
            if (f.matches(topic)) {
                bh.consume(f);
                found++;
            }
        }
        return found;
    }

    @Benchmark
    public void deliver(Delivery d) throws Throwable {
        DELIVER.invokeExact(d.connection, d.topics[d.next++ & (TOPICS - 1)], Delivery.PAYLOAD, false, false, 0);
    }

    /** ClientConnection.deliver (package private): the client's message callback. */
    private static final MethodHandle DELIVER;

    static {
        try {
            Method m = ClientConnection.class.getDeclaredMethod("deliver", byte[].class, byte[].class, boolean.class,
                    boolean.class, int.class);
            m.setAccessible(true);
            DELIVER = MethodHandles.lookup().unreflect(m);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A connected connection service with a whiteboard of {@code filters} handlers behind it. */
    @State(Scope.Thread)
    public static class Delivery {
        static final byte[] PAYLOAD = new byte[64];

        @Param({"1", "100", "10000"})
        public int filters;

        private AckingBroker broker;
        private MqttClient client;
        private BenchWhiteboard whiteboard;
        ClientConnection connection;
        byte[][] topics;
        int next;

        @Setup
        public void setUp() throws Exception {
            broker = new AckingBroker();
            client = new MqttClient("bench", "127.0.0.1", broker.port());
            connection = new ClientConnection("bench", client);
            client.connect(true);
            List<String> list = new ArrayList<>();
            for (int i = 0; i < filters; i++) {
                list.add(i % 100 == 99 ? "plant/+/device/" + i + "/#" : "plant/" + (i % 50) + "/device/" + i + "/temp");
            }
            whiteboard = new BenchWhiteboard(1, connection, list, m -> {
            });
            Random random = new Random(42);
            topics = new byte[TOPICS][];
            for (int t = 0; t < TOPICS; t++) {
                int i = random.nextInt(filters);
                topics[t] = ("plant/" + (i % 50) + "/device/" + i + "/temp").getBytes(StandardCharsets.UTF_8);
            }
        }

        @TearDown
        public void tearDown() throws Exception {
            long received = whiteboard.received();
            whiteboard.close();
            client.disconnect();
            broker.close();
            if (received == 0) {
                throw new IllegalStateException("the whiteboard received nothing: the benchmark measured nothing");
            }
        }
    }
}
