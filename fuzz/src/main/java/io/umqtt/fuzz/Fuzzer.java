package io.umqtt.fuzz;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs streams {@code first .. first + streams - 1} of a seed on worker threads, in batches. Every
 * stream is generated, judged by the {@link Reference}, driven through the client and compared
 * ({@link Judge}); a watchdog thread declares a stream that runs longer than the hang limit a hang,
 * dumps its thread and closes its client. After each batch: every in-memory socket (in the channel
 * mode: every loopback connection) must be closed, the thread count must be back to its baseline,
 * the heap used after GC must stay within a bound of its baseline, and in the channel mode the
 * process's open file descriptors too. The coordinator thread (the caller) merges the workers'
 * {@link Stats}.
 */
final class Fuzzer {
    /** What to run. */
    static final class Config {
        long seed = 1;
        long first;
        long streams = 1_000_000;
        int threads = Runtime.getRuntime().availableProcessors();
        int batch = 50_000;
        int hangSeconds = 10;
        long heapBoundMiB = 64;
        int progressSeconds = 10;
        /** The protocol of the streams: 4 (MQTT 3.1.1, {@link Generator}) or 5 (MQTT 5, {@link Generator5}). */
        int mqtt = 4;
        /** How the streams reach the client: in memory ({@link MemoryTransport}) or over loopback TCP ({@link LoopbackServer}). */
        Transport transport = Transport.MEMORY;
        /** Descriptors above the first batch's count that are not yet a leak (the JDK opens some lazily). */
        int descriptorSlack = 16;
        /** Progress lines, or null for none. */
        PrintStream progress;
    }

    /** How the streams reach the client ({@code --transport}). */
    enum Transport {
        /** In-memory sockets: the client's {@code socket} transport, microseconds per stream. */
        MEMORY,
        /** Real loopback TCP from a {@link LoopbackServer} per worker: the client's default {@code channel} transport. */
        CHANNEL;

        static Transport parse(String s) {
            switch (s) {
                case "memory":
                case "socket":
                    return MEMORY;
                case "channel":
                case "tcp":
                    return CHANNEL;
                default:
                    throw new IllegalArgumentException("--transport is memory (in-memory sockets, the client's socket "
                            + "transport; the default) or channel (loopback TCP, the client's default transport), found '"
                            + s + "'");
            }
        }

        String label() {
            return this == MEMORY ? "in memory (client transport: socket)" : "loopback TCP (client transport: channel)";
        }
    }

    /** What a run found. */
    static final class Result {
        Transport transport = Transport.MEMORY;
        /** Open file descriptors of the process after the first batch and at most after a batch; -1: unknown. */
        long descriptorBaseline = -1;
        long descriptorMax = -1;
        final Stats stats = new Stats();
        int mqtt = 4;
        long seed;
        long first;
        long streams;
        int threads;
        double seconds;
        long hangs;
        long socketsOpened;
        long socketsClosed;
        int threadBaseline;
        int threadMax;
        long heapBaselineBytes;
        long heapMaxBytes;
        long heapBoundBytes;
        /** Set when the run stopped early (a worker that never came back). */
        String aborted;

        double streamsPerSecond() {
            return seconds > 0 ? stats.streams / seconds : 0;
        }
    }

    private Fuzzer() {
    }

    static Result run(Config cfg) throws InterruptedException {
        List<LoopbackServer> servers = cfg.transport == Transport.CHANNEL ? startServers(cfg.threads) : null;
        try {
            return run(cfg, servers == null ? null : new ConcurrentLinkedQueue<>(servers));
        } finally {
            if (servers != null) {
                for (LoopbackServer server : servers) {
                    server.close();
                }
            }
        }
    }

    /**
     * Makes the client's plain TCP the one {@code transport} fuzzes, in this JVM: the in-memory sockets
     * are installed either way, so that a client that opened a {@code java.net.Socket} in the channel
     * mode would be refused (and the start-up check would say so) rather than fuzz the wrong transport.
     */
    static void selectTransport(Transport transport) {
        MemoryTransport.install();
        if (transport == Transport.CHANNEL) {
            System.setProperty(MemoryTransport.TCP_PROPERTY, "channel");
        }
    }

    /** One loopback server for each worker (each serves one connection at a time). */
    static List<LoopbackServer> startServers(int count) throws InterruptedException {
        selectTransport(Transport.CHANNEL);
        List<LoopbackServer> servers = new ArrayList<>();
        try {
            for (int i = 1; i <= count; i++) {
                servers.add(new LoopbackServer("fuzz-server-" + i));
            }
        } catch (IOException e) {
            for (LoopbackServer s : servers) {
                s.close();
            }
            throw new IllegalStateException("cannot open a loopback server socket for the channel mode: " + e, e);
        }
        return servers;
    }

    private static Result run(Config cfg, Queue<LoopbackServer> servers) throws InterruptedException {
        selectTransport(cfg.transport);
        if (servers == null) {
            checkTransport();
        } else {
            checkChannel(servers.peek());
        }
        Result result = new Result();
        result.transport = cfg.transport;
        result.seed = cfg.seed;
        result.mqtt = cfg.mqtt;
        result.first = cfg.first;
        result.streams = cfg.streams;
        result.threads = cfg.threads;
        result.heapBoundBytes = cfg.heapBoundMiB * 1024 * 1024;
        Map<Thread, Driver.Watch> watches = new ConcurrentHashMap<>();
        AtomicInteger workerNumber = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(cfg.threads, r -> {
            Thread t = new Thread(r, "fuzz-worker-" + workerNumber.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        Watchdog watchdog = new Watchdog(watches, TimeUnit.SECONDS.toNanos(cfg.hangSeconds));
        watchdog.start();
        long start = System.nanoTime();
        long lastProgress = start;
        Set<Long> baselineThreads = null;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long end = cfg.first + cfg.streams;
        try {
            for (long batchStart = cfg.first; batchStart < end; batchStart += cfg.batch) {
                long batchEnd = Math.min(end, batchStart + cfg.batch);
                AtomicLong next = new AtomicLong(batchStart);
                List<Future<Stats>> futures = new ArrayList<>();
                for (int i = 0; i < cfg.threads; i++) {
                    futures.add(pool.submit(() -> work(cfg.seed, cfg.mqtt, next, batchEnd, watches, servers)));
                }
                for (Future<Stats> f : futures) {
                    try {
                        result.stats.merge(f.get(3L * cfg.hangSeconds + 60, TimeUnit.SECONDS));
                    } catch (TimeoutException e) {
                        result.aborted = "a worker did not come back from batch " + batchStart + ".." + (batchEnd - 1)
                                + " although the watchdog closed its client and interrupted it:\n" + dumpAll();
                        result.stats.finding("hang", cfg.seed, -1, "batch " + batchStart + ".." + (batchEnd - 1),
                                result.aborted);
                        return result;
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new IllegalStateException("fuzz worker failed: " + e.getCause(), e.getCause());
                    }
                }
                // ---- checks between batches: sockets, threads, heap
                long opened = servers == null ? MemoryTransport.opened() : LoopbackServer.accepted();
                long closed = servers == null ? MemoryTransport.closed() : LoopbackServer.clientClosedCount();
                result.socketsOpened = opened;
                result.socketsClosed = closed;
                if (opened != closed) {
                    result.stats.finding("leak:sockets", cfg.seed, batchStart, "batch " + batchStart + ".." + (batchEnd - 1),
                            (opened - closed) + (servers == null ? " in-memory socket(s) left open after the batch ("
                                    : " loopback connection(s) the client did not close (") + opened + " opened, "
                                    + closed + " closed)");
                }
                if (servers != null) {
                    for (LoopbackServer server : servers) {
                        if (server.failure() != null) {
                            throw new IllegalStateException(server.failure());
                        }
                    }
                    if (LoopbackServer.unexpected() > 0) {
                        result.stats.finding("model:unexpected-connection", cfg.seed, batchStart, "batch " + batchStart
                                + ".." + (batchEnd - 1), LoopbackServer.unexpected() + " connection(s) to the loopback "
                                + "servers when no stream was prepared (a client that reconnects by itself?)");
                    }
                }
                long fds = openDescriptors();
                if (fds >= 0) {
                    if (result.descriptorBaseline < 0) {
                        result.descriptorBaseline = fds;
                    } else if (servers != null && fds > result.descriptorBaseline + cfg.descriptorSlack) {
                        fds = settledDescriptors(result.descriptorBaseline + cfg.descriptorSlack);
                        if (fds > result.descriptorBaseline + cfg.descriptorSlack) {
                            result.stats.finding("leak:descriptors", cfg.seed, batchStart, "batch " + batchStart + ".."
                                    + (batchEnd - 1), fds + " open file descriptors after the batch, baseline "
                                    + result.descriptorBaseline + " after the first batch, slack " + cfg.descriptorSlack);
                        }
                    }
                    result.descriptorMax = Math.max(result.descriptorMax, fds);
                }
                if (baselineThreads == null) {
                    baselineThreads = liveThreadIds(threads);
                    result.threadBaseline = baselineThreads.size();
                    result.threadMax = baselineThreads.size();
                } else {
                    Set<Long> extra = extraThreads(threads, baselineThreads);
                    result.threadMax = Math.max(result.threadMax, baselineThreads.size() + extra.size());
                    if (!extra.isEmpty()) {
                        result.stats.finding("leak:threads", cfg.seed, batchStart, "batch " + batchStart + ".."
                                + (batchEnd - 1), "threads not in the baseline: " + names(threads, extra));
                    }
                }
                System.gc();
                long used = memory.getHeapMemoryUsage().getUsed();
                if (result.heapBaselineBytes == 0) {
                    result.heapBaselineBytes = used;
                }
                result.heapMaxBytes = Math.max(result.heapMaxBytes, used);
                if (used > result.heapBaselineBytes + result.heapBoundBytes) {
                    result.stats.finding("leak:heap", cfg.seed, batchStart, "batch " + batchStart + ".." + (batchEnd - 1),
                            "heap used after GC " + used / 1024 / 1024 + " MiB, baseline "
                                    + result.heapBaselineBytes / 1024 / 1024 + " MiB, bound +" + cfg.heapBoundMiB + " MiB");
                }
                long now = System.nanoTime();
                if (cfg.progress != null && (now - lastProgress >= TimeUnit.SECONDS.toNanos(cfg.progressSeconds)
                        || batchEnd == end)) {
                    lastProgress = now;
                    double s = (now - start) / 1e9;
                    cfg.progress.printf("%,d / %,d streams, %.0f s, %,.0f streams/s, findings: %,d new, %,d known%n",
                            result.stats.streams, cfg.streams, s, result.stats.streams / s, result.stats.newFindings(),
                            result.stats.allFindings() - result.stats.newFindings());
                }
            }
        } finally {
            result.seconds = (System.nanoTime() - start) / 1e9;
            result.hangs = result.stats.findingCounts.getOrDefault("hang", 0L);
            watchdog.interrupt();
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
        return result;
    }

    /** Stream {@code index} of {@code seed} for protocol {@code mqtt} (4 or 5). */
    static Case generate(long seed, int mqtt, long index) {
        return mqtt == 5 ? Generator5.generate(seed, index) : Generator.generate(seed, index);
    }

    private static Stats work(long seed, int mqtt, AtomicLong next, long end, Map<Thread, Driver.Watch> watches,
            Queue<LoopbackServer> servers) {
        Thread me = Thread.currentThread();
        Driver.Watch watch = watches.computeIfAbsent(me, Driver.Watch::new);
        Stats s = new Stats();
        LoopbackServer server = servers == null ? null : servers.poll();
        if (servers != null && server == null) {
            throw new IllegalStateException("more workers than loopback servers");
        }
        try {
            for (long i = next.getAndIncrement(); i < end; i = next.getAndIncrement()) {
                watch.index = i;
                Case c = generate(seed, mqtt, i);
                runOne(c, seed, i, watch, s, server);
            }
        } finally {
            if (server != null) {
                servers.add(server);
            }
        }
        return s;
    }

    /** Generates nothing: judges, drives (in memory) and compares one case into {@code s}. */
    static Observed runOne(Case c, long seed, long index, Driver.Watch watch, Stats s) {
        return runOne(c, seed, index, watch, s, null);
    }

    /** Generates nothing: judges, drives (over {@code server}, in memory when null) and compares one case into {@code s}. */
    static Observed runOne(Case c, long seed, long index, Driver.Watch watch, Stats s, LoopbackServer server) {
        Verdict v = c.judge();
        Observed o = Driver.run(c, watch, server);
        s.streams++;
        s.bytes += c.data.length;
        s.messages += o.delivered.size();
        Stats.count(s.kinds, c.kind, 1);
        Stats.count(s.modes, c.mode(), 1);
        Stats.count(s.referenceEnds, v.full.end + (v.full.rule != null ? " " + v.full.rule : ""), 1);
        for (Verdict.Outcome m : v.mayStops) {
            Stats.count(s.mayRules, m.rule, 1);
        }
        Stats.count(s.observedEnds, String.valueOf(o.end), 1);
        if (c.version == 5 && Observed.PROTOCOL.equals(o.end)) {
            Stats.count(s.disconnectsSent, o.disconnectSent < 0 ? "none" : String.format("0x%02X", o.disconnectSent), 1);
        }
        for (String e : o.exceptions) {
            Stats.count(s.exceptionTypes, e, 1);
        }
        java.util.function.Supplier<String> reproducer = c::encode;
        if (o.hung) {
            String stack = watch != null ? watch.hangStack : "";
            s.finding("hang", seed, index, reproducer, () -> "stream ran longer than the hang limit; its thread was:\n"
                    + stack + "\n" + v + "\n" + o);
            return o;
        }
        // MQTT 5 findings are categories of their own: "mqtt5:" in front
        String prefix = c.version == 5 ? "mqtt5:" : "";
        Judge.Disagreement d = Judge.compare(c, v, o);
        if (d != null) {
            String category = prefix + d.category;
            s.finding(category, seed, index, reproducer, d::detail);
        }
        for (String u : o.undocumented) {
            s.finding("exception:" + u.substring(0, u.indexOf(':')), seed, index, reproducer, () -> u);
        }
        for (String p : o.problems) {
            int colon = p.indexOf(": ");
            s.finding(prefix + (colon > 0 ? p.substring(0, colon) : p), seed, index, reproducer, () -> p);
        }
        if (o.checkStall != null && !o.checkStall.startsWith("all bytes read")) {
            s.finding("checkMsg-stalls", seed, index, reproducer, () -> o.checkStall + "\n" + v + "\n" + o);
        }
        return o;
    }

    /** The fuzzer is meaningless if the client bypasses the in-memory transport: check once. */
    private static void checkTransport() {
        long before = MemoryTransport.opened();
        Case c = Case.decode("op=none reader=wait max=100 data=20020000d000");
        Observed o = Driver.run(c, null);
        if (MemoryTransport.opened() != before + 1 || !Observed.EOF.equals(o.end)) {
            throw new IllegalStateException("the client did not connect through the in-memory transport ("
                    + (MemoryTransport.opened() - before) + " connections, end " + o.end + ", " + o.problems
                    + "): does MqttClient still open its socket with new Socket() when io.umqtt.simple.tcp=socket?");
        }
    }

    /** The channel mode is meaningless if the client does not connect through the loopback server: check once. */
    private static void checkChannel(LoopbackServer server) {
        long before = LoopbackServer.accepted();
        long memoryBefore = MemoryTransport.opened();
        Case c = Case.decode("op=none reader=wait max=100 data=2002!0000|d000");
        Observed o = Driver.run(c, null, server);
        if (LoopbackServer.accepted() != before + 1 || MemoryTransport.opened() != memoryBefore
                || !Observed.EOF.equals(o.end) || !o.problems.isEmpty()) {
            throw new IllegalStateException("the start-up stream over the loopback server failed ("
                    + (LoopbackServer.accepted() - before) + " loopback connections, "
                    + (MemoryTransport.opened() - memoryBefore) + " in-memory ones, end " + o.end + ", " + o.problems
                    + "): a client that did not connect does it still use its channel transport when "
                    + "io.umqtt.simple.tcp=channel? one that connected read the CONNACK, sent in two segments, wrong");
        }
    }

    /**
     * The process's open file descriptors (sockets, selectors' epoll and eventfd descriptors, files),
     * or -1 where the JVM does not tell (not a Unix-like system).
     */
    static long openDescriptors() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.UnixOperatingSystemMXBean) {
            return ((com.sun.management.UnixOperatingSystemMXBean) os).getOpenFileDescriptorCount();
        }
        return -1;
    }

    /** The open descriptors once at most {@code bound}, or after 2 s (a close a selector completes later). */
    private static long settledDescriptors(long bound) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        long fds = openDescriptors();
        while (fds > bound && System.nanoTime() < deadline) {
            Thread.sleep(50);
            fds = openDescriptors();
        }
        return fds;
    }

    private static Set<Long> liveThreadIds(ThreadMXBean threads) {
        Set<Long> ids = new HashSet<>();
        for (long id : threads.getAllThreadIds()) {
            ids.add(id);
        }
        return ids;
    }

    /**
     * The client's shared timer threads: one each for all clients, started on demand and ended
     * after a few idle seconds, so one of each may come and go (with a new id) between batches, and
     * while an idle one is ending its executor may already have started the next: up to
     * {@value #SHARED_THREAD_LIMIT} of one name are not a leak, more are.
     */
    static final int SHARED_THREAD_LIMIT = 2;
    /** See {@link #SHARED_THREAD_LIMIT}. */
    static final Set<String> SHARED_THREADS = Set.of("umqtt-watchdog", "umqtt-dns", "umqtt-flush");

    /**
     * Threads alive now and not in the baseline (shared timer threads up to their limit excepted),
     * after giving finishing threads up to 2 s to end.
     */
    private static Set<Long> extraThreads(ThreadMXBean threads, Set<Long> baseline) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (true) {
            Set<Long> extra = liveThreadIds(threads);
            extra.removeAll(baseline);
            Map<String, Integer> sharedSeen = new HashMap<>();
            extra.removeIf(id -> {
                ThreadInfo info = threads.getThreadInfo(id);
                return info == null || (SHARED_THREADS.contains(info.getThreadName())
                        && sharedSeen.merge(info.getThreadName(), 1, Integer::sum) <= SHARED_THREAD_LIMIT);
            });
            if (extra.isEmpty() || System.nanoTime() > deadline) {
                return extra;
            }
            Thread.sleep(50);
        }
    }

    private static String names(ThreadMXBean threads, Set<Long> ids) {
        List<String> names = new ArrayList<>();
        for (long id : ids) {
            ThreadInfo info = threads.getThreadInfo(id);
            names.add(info == null ? "#" + id + " (ended)" : info.getThreadName());
        }
        return names.toString();
    }

    static String dumpAll() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            b.append('"').append(e.getKey().getName()).append("\" ").append(e.getKey().getState()).append('\n');
            for (StackTraceElement el : e.getValue()) {
                b.append("    at ").append(el).append('\n');
            }
        }
        return b.toString();
    }

    /** Declares a stream that runs longer than the limit a hang: dumps its thread, closes its client, interrupts. */
    private static final class Watchdog extends Thread {
        private final Map<Thread, Driver.Watch> watches;
        private final long limitNanos;

        Watchdog(Map<Thread, Driver.Watch> watches, long limitNanos) {
            super("fuzz-watchdog");
            setDaemon(true);
            this.watches = watches;
            this.limitNanos = limitNanos;
        }

        @Override
        public void run() {
            try {
                while (!isInterrupted()) {
                    Thread.sleep(100);
                    long now = System.nanoTime();
                    for (Driver.Watch w : watches.values()) {
                        long started = w.startNanos;
                        if (started == 0 || now - started < limitNanos) {
                            continue;
                        }
                        if (!w.closedByWatchdog) {
                            StringBuilder b = new StringBuilder("\"" + w.thread.getName() + "\" stream " + w.index + "\n");
                            for (StackTraceElement el : w.thread.getStackTrace()) {
                                b.append("    at ").append(el).append('\n');
                            }
                            w.hangStack = b.toString();
                            w.closedByWatchdog = true;
                            io.umqtt.simple.MqttClient c = w.client;
                            if (c != null) {
                                c.close();
                            }
                        } else if (now - started > 2 * limitNanos) {
                            w.thread.interrupt();
                        }
                    }
                }
            } catch (InterruptedException e) {
                // the run is over
            }
        }
    }
}
