package io.umqtt.benchmarks;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One measurement in its own JVM: {@code Worker lib=ours|paho|hivemq scenario=... key=value...}.
 * It connects the clients, runs an unmeasured warm-up pass on the same connections, then the
 * measured pass, and prints one {@link Result} line. Scenarios:
 * <ul>
 * <li>{@code e2e}: a publisher and a subscriber; {@code messages} at {@code qos}, pipelined the
 * library's way ({@code each=true}: one at a time); rate from the first publish to the last
 * receipt, counting what the subscriber received; with {@code rate=N} the measured pass
 * publishes N messages per second ({@link Pace}) the library's pipelined way.
 * <li>{@code pub}: a publisher alone (QoS 0): rate until every publish is written.
 * <li>{@code latency}: {@code messages} round trips publisher → broker → subscriber, one in flight.
 * <li>{@code footprint}: threads and heap for 1 and {@code clients} connected clients.
 * <li>{@code alloc}: bytes allocated per QoS 0 publish and per received message.
 * </ul>
 */
public final class Worker {
    static final int STALL_MILLIS = 10_000;

    private final Map<String, String> args;
    private final Lib lib;
    private final String topic;
    private final String id;
    private final long brokerPid;
    private final int port;
    private final byte[] payload;

    private Worker(Map<String, String> args) {
        this.args = args;
        this.port = Integer.parseInt(require("port"));
        this.topic = args.getOrDefault("topic", Lib.topic(0));
        String name = require("lib");
        switch (name) {
            case "ours":
                lib = new OursLib(port, topic, intArg("threads", 0), intArg("window", 1_000),
                        Boolean.parseBoolean(args.getOrDefault("pubLoop", "false")));
                break;
            case "ours5":
                lib = new OursLib(port, topic, intArg("threads", 0), intArg("window", 1_000),
                        Boolean.parseBoolean(args.getOrDefault("pubLoop", "false")), 5);
                break;
            case "paho":
                lib = new PahoLib(port, topic, intArg("window", 1_000));
                break;
            case "hivemq":
                lib = new HiveLib(port, topic, intArg("window", 1_000));
                break;
            case "hivemq5":
                lib = new Hive5Lib(port, topic, intArg("window", 1_000));
                break;
            default:
                throw new IllegalArgumentException("lib must be ours, ours5, paho, hivemq or hivemq5, found " + name);
        }
        this.id = "bench-" + name + "-" + ProcessHandle.current().pid();
        this.brokerPid = Long.parseLong(args.getOrDefault("brokerPid", "-1"));
        this.payload = payload(intArg("size", 64));
    }

    /** The payload every client sends: {@code size} printable bytes (also a line for mosquitto_pub -l). */
    static byte[] payload(int size) {
        byte[] p = new byte[size];
        for (int i = 0; i < size; i++) {
            p[i] = (byte) "0123456789abcdef".charAt(i % 16);
        }
        return p;
    }

    public static void main(String[] argv) {
        Map<String, String> a = new HashMap<>();
        for (String s : argv) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                System.err.println("arguments are key=value, found '" + s + "'");
                System.exit(2);
            }
            a.put(s.substring(0, eq), s.substring(eq + 1));
        }
        int code = 0;
        try {
            Worker w = new Worker(a);
            Result r = w.run(w.require("scenario"));
            r.put("lib", w.lib.name());
            System.out.println(r.line());
        } catch (Throwable e) {
            e.printStackTrace();
            code = 1;
        }
        System.out.flush();
        System.err.flush();
        // the libraries' own non-daemon threads must not keep a finished measurement alive
        System.exit(code);
    }

    private String require(String key) {
        String v = args.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing argument " + key + "=...");
        }
        return v;
    }

    private int intArg(String key, int def) {
        String v = args.get(key);
        return v == null ? def : Integer.parseInt(v);
    }

    private Result run(String scenario) throws Exception {
        switch (scenario) {
            case "e2e":
                return endToEnd(intArg("qos", 0), intArg("messages", 200_000), intArg("warmup", 50_000),
                        Boolean.parseBoolean(args.getOrDefault("each", "false")), intArg("rate", 0));
            case "pub":
                return publishOnly(intArg("messages", 200_000), intArg("warmup", 50_000));
            case "latency":
                return latency(intArg("qos", 0), intArg("messages", 10_000), intArg("warmup", 2_000));
            case "footprint":
                return footprint(intArg("clients", 100));
            case "alloc":
                return allocation(intArg("messages", 200_000), intArg("warmup", 50_000));
            default:
                throw new IllegalArgumentException("unknown scenario " + scenario);
        }
    }

    // ------------------------------------------------------------------ throughput

    /**
     * @param rate 0: flat out; else the measured pass publishes at this many messages per second
     *        ({@link Pace}; the warm-up stays flat out)
     */
    private Result endToEnd(int qos, int messages, int warmup, boolean each, int rate) throws Exception {
        if (each && rate > 0) {
            throw new IllegalArgumentException("each=true (one at a time) and rate=" + rate + " do not go together");
        }
        Sink sink = new Sink();
        try (AutoCloseable sub = lib.subscriber(id + "-sub", qos, sink);
                Lib.Pub pub = lib.publisher(id + "-pub", payload, each)) {
            if (warmup > 0) {
                sink.expect(warmup);
                publish(pub, qos, warmup, each, Pace.NONE);
                if (!sink.await(STALL_MILLIS)) {
                    return new Result().put("error", "warm-up_lost_messages").put("received", sink.count())
                            .put("expected", warmup);
                }
            }
            long before = sink.expect(messages);
            Wire.Meter wire = new Wire.Meter(port).start();
            Meter m = new Meter(brokerPid);
            Pace pace = Pace.of(rate);
            long t0 = System.nanoTime();
            publish(pub, qos, messages, each, pace);
            long tPublished = System.nanoTime();
            boolean all = sink.await(STALL_MILLIS);
            long t1 = sink.lastNanos();
            Result r = m.stop(new Result(), Math.max(t1, tPublished) - t0);
            long received = sink.count() - before;
            wire.stop(r, received);
            double seconds = (t1 - t0) / 1e9;
            r.put("rate", round(received / seconds))
                    .put("expected", messages).put("received", received).put("lost", messages - received)
                    .put("complete", all)
                    .put("seconds", round3(seconds))
                    .put("pubRate", round(messages / ((tPublished - t0) / 1e9)))
                    .put("cpuUsPerMsg", round3(m.cpuNanos / 1e3 / Math.max(1, received)))
                    .put("switchesPerMsg", round3(m.switches / (double) Math.max(1, received)))
                    .put("bytesPerMsg", received == 0 ? 0 : (sink.bytes() / sink.count()))
                    .put("retries", pub.retries());
            if (pace.paced()) {
                r.put("targetRate", rate).put("maxLateUs", Math.round(pace.maxLateNanos() / 1e3))
                        .put("lateSends", pace.lateSends());
            }
            if (m.brokerNanos >= 0) {
                r.put("brokerUsPerMsg", round3(m.brokerNanos / 1e3 / Math.max(1, received)));
            }
            return r;
        }
    }

    private static void publish(Lib.Pub pub, int qos, int count, boolean each, Pace pace) throws Exception {
        if (each) {
            pub.publishEach(qos, count);
        } else {
            pub.publishAll(qos, count, pace);
        }
    }

    private Result publishOnly(int messages, int warmup) throws Exception {
        try (Lib.Pub pub = lib.publisher(id + "-pub", payload, false)) {
            if (warmup > 0) {
                pub.publishAll(0, warmup);
            }
            Wire.Meter wire = new Wire.Meter(port).start();
            Meter m = new Meter(brokerPid);
            long t0 = System.nanoTime();
            pub.publishAll(0, messages);
            long t1 = System.nanoTime();
            Result r = m.stop(new Result(), t1 - t0);
            Thread.sleep(100); // a tail a library still holds for a timed flush reaches the wire first
            wire.stop(r, messages);
            return r.put("rate", round(messages / ((t1 - t0) / 1e9))).put("expected", messages)
                    .put("seconds", round3((t1 - t0) / 1e9))
                    .put("cpuUsPerMsg", round3(m.cpuNanos / 1e3 / messages))
                    .put("switchesPerMsg", round3(m.switches / (double) messages)).put("retries", pub.retries());
        }
    }

    // ------------------------------------------------------------------ latency

    private Result latency(int qos, int messages, int warmup) throws Exception {
        Sink sink = new Sink();
        long[] micros = new long[messages];
        int lost = 0;
        try (AutoCloseable sub = lib.subscriber(id + "-sub", qos, sink);
                Lib.Pub pub = lib.publisher(id + "-pub", payload, false)) {
            long timeout = TimeUnit.SECONDS.toNanos(5);
            for (int i = -warmup; i < messages; i++) {
                long before = sink.expect(1);
                long t0 = System.nanoTime();
                Object h = pub.publishOne(qos);
                boolean got = sink.awaitOne(before, timeout);
                pub.awaitDone(h);
                if (i >= 0) {
                    if (got) {
                        micros[i - lost] = (sink.lastNanos() - t0 + 500) / 1000;
                    } else {
                        lost++;
                    }
                }
            }
        }
        int n = messages - lost;
        Result r = new Result().put("expected", messages).put("received", n).put("lost", lost);
        if (n > 0) {
            long[] s = Stats.sorted(Arrays.copyOf(micros, n));
            r.put("p50", Stats.percentile(s, 50)).put("p99", Stats.percentile(s, 99))
                    .put("p999", Stats.percentile(s, 99.9)).put("max", s[n - 1]);
        }
        return r;
    }

    // ------------------------------------------------------------------ footprint

    private Result footprint(int clients) throws Exception {
        settle();
        int threads0 = threadCount();
        long heap0 = heapAfterGc();
        List<AutoCloseable> open = new ArrayList<>();
        open.add(lib.idle(id + "-0"));
        lib.awaitIdleConnected();
        settle();
        int threads1 = threadCount();
        long heap1 = heapAfterGc(); // with the classes loaded and shared resources made by the first client
        for (int i = 1; i < clients; i++) {
            open.add(lib.idle(id + "-" + i));
        }
        lib.awaitIdleConnected();
        settle();
        int threadsN = threadCount();
        long heapN = heapAfterGc();
        Result r = new Result().put("clients", clients)
                .put("threads1", threads1 - threads0).put("threadsN", threadsN - threads0)
                .put("heapFirst", heap1 - heap0)
                .put("heapPerClient", Math.round((heapN - heap1) / (double) (clients - 1)));
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // measured already; a slow disconnect does not matter
            }
        }
        return r;
    }

    /** Lets connection threads start and settle. */
    private static void settle() throws InterruptedException {
        Thread.sleep(500);
    }

    private static int threadCount() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static long heapAfterGc() throws InterruptedException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    // ------------------------------------------------------------------ allocation

    /**
     * Bytes allocated per received message by every thread but this one (which only waits), while
     * an external publisher (mosquitto_pub) sends; then bytes per QoS 0 publish on the publishing
     * thread and on all threads, with no subscriber.
     */
    private Result allocation(int messages, int warmup) throws Exception {
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Result r = new Result().put("expected", messages);
        Path mosquittoPub = Paths.get(require("mosquittoPub"));
        Path input = Paths.get(require("input")); // 'messages' payload lines
        Path warmInput = Paths.get(require("warmInput")); // 'warmup' payload lines
        Sink sink = new Sink();
        long me = Thread.currentThread().getId();
        try (AutoCloseable sub = lib.subscriber(id + "-sub", 0, sink)) {
            sink.expect(warmup);
            awaitPublisher(startPublisher(mosquittoPub, warmInput));
            if (!sink.await(STALL_MILLIS)) {
                return r.put("error", "warm-up_lost_messages").put("received", sink.count());
            }
            long before = sink.expect(messages);
            Process p = startPublisher(mosquittoPub, input); // starts sending after a delay
            long all0 = allocatedByOthers(tmx, me);
            Meter m = new Meter(brokerPid);
            boolean complete = sink.await(STALL_MILLIS);
            m.stop(new Result(), 1);
            long all1 = allocatedByOthers(tmx, me);
            awaitPublisher(p);
            long received = sink.count() - before;
            r.put("received", received).put("lost", messages - received).put("complete", complete)
                    .put("recvAllBytes", round1((all1 - all0) / (double) Math.max(1, received)))
                    .put("recvCpuUsPerMsg", round3(m.cpuNanos / 1e3 / Math.max(1, received)))
                    .put("recvSwitchesPerMsg", round3(m.switches / (double) Math.max(1, received)));
        }
        try (Lib.Pub pub = lib.publisher(id + "-pub", payload, false)) {
            pub.publishAll(0, warmup);
            pub.publishAll(0, warmup);
            long all0 = allocatedByOthers(tmx, -1);
            long mine0 = tmx.getCurrentThreadAllocatedBytes();
            pub.publishAll(0, messages);
            long mine1 = tmx.getCurrentThreadAllocatedBytes();
            long all1 = allocatedByOthers(tmx, -1);
            r.put("pubThreadBytes", round1((mine1 - mine0) / (double) messages))
                    .put("pubAllBytes", round1((all1 - all0) / (double) messages));
        }
        return r;
    }

    /** mosquitto_pub -l over a file, starting to connect after 300 ms (so that its start is not measured). */
    private Process startPublisher(Path mosquittoPub, Path input) throws Exception {
        return new ProcessBuilder("sh", "-c", "sleep 0.3; exec \"$@\"", "sh", mosquittoPub.toString(), "-h", Broker.HOST,
                "-p", require("port"), "-t", topic, "-q", "0", "-l", "-i", id + "-ext").redirectInput(input.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void awaitPublisher(Process p) throws Exception {
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("mosquitto_pub did not finish within 120 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("mosquitto_pub exited with " + p.exitValue());
        }
    }

    /** Bytes allocated so far by every live thread of this JVM except {@code exclude}. */
    private static long allocatedByOthers(com.sun.management.ThreadMXBean tmx, long exclude) {
        long[] ids = tmx.getAllThreadIds();
        long[] bytes = tmx.getThreadAllocatedBytes(ids);
        long sum = 0;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != exclude && bytes[i] > 0) {
                sum += bytes[i];
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------ helpers

    private static double round(double v) {
        return Math.round(v);
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** CPU of this JVM, GC time and the broker's CPU over a measured window. */
    private static final class Meter {
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private final long brokerPid;
        private final long cpu0;
        private final long gc0;
        private final long broker0;
        private final long switches0;
        long cpuNanos;
        long switches;
        long brokerNanos = -1;

        Meter(long brokerPid) {
            this.brokerPid = brokerPid;
            this.broker0 = ProcStat.cpuNanos(brokerPid);
            this.gc0 = gcMillis();
            this.switches0 = ProcStat.contextSwitches();
            this.cpu0 = os.getProcessCpuTime();
        }

        Result stop(Result r, long wallNanos) {
            cpuNanos = os.getProcessCpuTime() - cpu0;
            long s1 = ProcStat.contextSwitches();
            switches = switches0 >= 0 && s1 >= 0 ? s1 - switches0 : -1;
            long gc = gcMillis() - gc0;
            long broker1 = ProcStat.cpuNanos(brokerPid);
            r.put("gcMs", gc);
            if (broker0 >= 0 && broker1 >= 0 && wallNanos > 0) {
                brokerNanos = broker1 - broker0;
                r.put("brokerCpuPct", Math.round(100.0 * brokerNanos / wallNanos));
            }
            return r;
        }

        private static long gcMillis() {
            long sum = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                sum += Math.max(0, gc.getCollectionTime());
            }
            return sum;
        }
    }
}
