package io.umqtt.benchmarks;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The native reference: mosquitto's own C clients through the same broker. {@code mosquitto_pub -l}
 * publishes one message per line of a file of payload lines; {@code mosquitto_sub -C n} exits
 * after n messages and prints each receipt's time ({@code -F %U}). Each runs under a tiny shell
 * wrapper that records its CPU time (the shell's cutime/cstime after waiting for it).
 */
final class Native {
    /** How long a subscriber may take in total before it gives up and what it got is counted. */
    private static final int SUB_TIMEOUT_SECONDS = 120;
    /**
     * Runs the client, then records the shell's /proc io (which holds the reaped client's writes)
     * and stat (its CPU time as cutime/cstime).
     */
    private static final String WRAPPER = "\"$@\"; rc=$?; cat /proc/$$/io > \"$IOFILE\"; "
            + "cat /proc/$$/stat > \"$STATFILE\"; exit $rc";
    /** How often the TCP counters of the C clients' connections are sampled while they run. */
    private static final long SAMPLE_MILLIS = 100;
    /** How long after mosquitto_pub started the paced feeding of its input begins. */
    private static final long PACED_START_MILLIS = 300;

    private Broker broker;
    private final Path pub;
    private final Path sub;
    private final Path dir;
    private int runs;

    Native(Broker broker, Path dir) {
        this.broker = broker;
        this.pub = Broker.require("mosquitto_pub");
        this.sub = Broker.require("mosquitto_sub");
        this.dir = dir;
    }

    /** After the broker was restarted. */
    void broker(Broker b) {
        this.broker = b;
    }

    /** A file of {@code count} payload lines (the payload has no newline, so a line is a message). */
    static Path lines(Path dir, int count, byte[] payload) throws IOException {
        Path f = dir.resolve("lines-" + count + ".txt");
        if (!Files.exists(f)) {
            byte[] all = new byte[count * (payload.length + 1)];
            for (int i = 0; i < count; i++) {
                System.arraycopy(payload, 0, all, i * (payload.length + 1), payload.length);
                all[i * (payload.length + 1) + payload.length] = '\n';
            }
            Files.write(f, all);
        }
        return f;
    }

    private ProcessBuilder wrapped(Path stat, List<String> command) {
        List<String> cmd = new ArrayList<>(Arrays.asList("sh", "-c", WRAPPER, "sh"));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("STATFILE", stat.toString());
        pb.environment().put("IOFILE", stat.resolveSibling(stat.getFileName().toString().replace(".stat", ".io")).toString());
        return pb;
    }

    private List<String> common(Path exe, String clientId, String topic, int qos) {
        return new ArrayList<>(Arrays.asList(exe.toString(), "-h", Broker.HOST, "-p", Integer.toString(broker.port()),
                "-t", topic, "-q", Integer.toString(qos), "-i", clientId));
    }

    /**
     * End to end: mosquitto_sub, then mosquitto_pub -l with {@code maxInflight} (0: its default
     * of 20) for QoS 1. The rate runs from the first receipt to the last.
     */
    Result endToEnd(String topic, int qos, int messages, Path input, int maxInflight)
            throws IOException, InterruptedException {
        return endToEnd(topic, qos, messages, input, maxInflight, 0);
    }

    /**
     * As {@link #endToEnd(String, int, int, Path, int)}; with {@code rate > 0} the lines of
     * {@code input} reach mosquitto_pub's standard input through a pipe, one line when {@link Pace}
     * says, {@value #PACED_START_MILLIS} ms after it started (so that it is connected: it reads
     * its input only after the CONNACK). mosquitto_pub -l publishes each line as it reads it.
     */
    Result endToEnd(String topic, int qos, int messages, Path input, int maxInflight, int rate)
            throws IOException, InterruptedException {
        int n = ++runs;
        String subId = "bench-c-sub-" + n;
        Path out = dir.resolve("c-sub-" + n + ".out");
        Path subStat = dir.resolve("c-sub-" + n + ".stat");
        Path pubStat = dir.resolve("c-pub-" + n + ".stat");
        List<String> s = common(sub, subId, topic, qos);
        s.addAll(Arrays.asList("-C", Integer.toString(messages), "-W", Integer.toString(SUB_TIMEOUT_SECONDS), "-F", "%U"));
        Process sp = wrapped(subStat, s).redirectOutput(out.toFile()).redirectError(dir.resolve("c-sub-" + n + ".err").toFile())
                .start();
        try {
            if (!broker.awaitSubscription(subId, topic, 10_000)) {
                return new Result().put("error", "mosquitto_sub_did_not_subscribe");
            }
            List<String> p = common(pub, "bench-c-pub-" + n, topic, qos);
            p.add("-l");
            if (maxInflight > 0) {
                p.addAll(Arrays.asList("-M", Integer.toString(maxInflight)));
            }
            Result r0 = new Result();
            long broker0 = broker.cpuNanos();
            long t0 = System.nanoTime();
            ProcessBuilder pb = wrapped(pubStat, p).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("c-pub-" + n + ".out").toFile());
            Process pp = (rate > 0 ? pb : pb.redirectInput(input.toFile())).start();
            Pace pace = Pace.of(rate);
            Thread feeder = rate > 0 ? feed(pp, input, pace) : null;
            Map<String, long[]>[] samples = sampleWhile(pp);
            if (!pp.waitFor(SUB_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                pp.descendants().forEach(ProcessHandle::destroyForcibly);
                pp.destroyForcibly();
                return new Result().put("error", "mosquitto_pub_did_not_finish");
            }
            if (feeder != null) {
                feeder.join(5_000);
                r0.put("targetRate", rate).put("maxLateUs", Math.round(pace.maxLateNanos() / 1e3))
                        .put("lateSends", pace.lateSends());
            }
            boolean subDone = sp.waitFor(SUB_TIMEOUT_SECONDS + 10, TimeUnit.SECONDS);
            long t1 = System.nanoTime();
            long broker1 = broker.cpuNanos();
            if (!subDone) {
                sp.descendants().forEach(ProcessHandle::destroyForcibly);
                sp.destroyForcibly();
                sp.waitFor(5, TimeUnit.SECONDS);
            }
            List<String> stamps = new ArrayList<>();
            for (String line : Files.readAllLines(out, StandardCharsets.US_ASCII)) {
                if (!line.isBlank()) {
                    stamps.add(line.trim());
                }
            }
            long received = stamps.size();
            Result r = r0.put("expected", messages).put("received", received)
                    .put("lost", messages - received).put("complete", received == messages);
            if (pp.exitValue() != 0) {
                r.put("pubExit", pp.exitValue());
            }
            if (received >= 2) {
                double seconds = seconds(stamps.get(stamps.size() - 1)) - seconds(stamps.get(0));
                r.put("rate", Math.round((received - 1) / seconds)).put("seconds", Math.round(seconds * 1000) / 1000.0);
            }
            long cpu = ProcStat.childrenCpuNanos(subStat) + ProcStat.childrenCpuNanos(pubStat);
            if (received > 0 && cpu >= 0) {
                r.put("cpuUsPerMsg", Math.round(cpu / 1e3 / received * 1000) / 1000.0);
            }
            wire(r, received, subStat, pubStat, out, samples);
            if (broker0 >= 0 && broker1 >= 0) {
                r.put("brokerCpuPct", Math.round(100.0 * (broker1 - broker0) / (t1 - t0)));
                r.put("brokerUsPerMsg", Math.round((broker1 - broker0) / 1e3 / Math.max(1, received) * 1000) / 1000.0);
            }
            return r;
        } finally {
            if (sp.isAlive()) {
                sp.descendants().forEach(ProcessHandle::destroyForcibly);
                sp.destroyForcibly();
            }
        }
    }

    /**
     * Writes the lines of {@code input} to {@code p}'s standard input, each when {@code pace} says
     * (flushed one by one), then closes it: mosquitto_pub -l then disconnects and exits.
     */
    private static Thread feed(Process p, Path input, Pace pace) throws IOException {
        byte[] all = Files.readAllBytes(input);
        Thread t = new Thread(() -> {
            try (java.io.OutputStream out = p.getOutputStream()) {
                Thread.sleep(PACED_START_MILLIS);
                int from = 0;
                for (long i = 0; from < all.length; i++) {
                    int end = from;
                    while (all[end] != '\n') {
                        end++;
                    }
                    pace.await(i);
                    out.write(all, from, end + 1 - from);
                    out.flush();
                    from = end + 1;
                }
            } catch (IOException e) {
                System.err.println("feeding mosquitto_pub failed: " + e); // it ended early; the count shows it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "mosquitto_pub-feeder");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Samples the TCP counters of the connections to the broker every {@value #SAMPLE_MILLIS} ms
     * while {@code p} runs; returns the first and the last sample (either null when none was taken).
     * A C client's connection is gone when it ends, so its counters are read while it runs.
     */
    @SuppressWarnings("unchecked")
    private Map<String, long[]>[] sampleWhile(Process p) {
        Map<String, long[]>[] firstLast = new Map[2];
        Thread t = new Thread(() -> {
            try {
                while (!p.waitFor(SAMPLE_MILLIS, TimeUnit.MILLISECONDS)) {
                    Map<String, long[]> m = Wire.clientSockets(broker.port());
                    // both clients' connections (the publisher's may not be up at the first sample)
                    if (m != null && m.size() >= 2 && p.isAlive()) {
                        synchronized (firstLast) {
                            if (firstLast[0] == null) {
                                firstLast[0] = m;
                            } else {
                                firstLast[1] = m;
                            }
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "c-client-tcp-sampler");
        t.setDaemon(true);
        t.start();
        sampler = t;
        return firstLast;
    }

    private Thread sampler;

    /**
     * The C pair's writes per message (both processes, from the wrappers' /proc io, less the
     * subscriber's output: one write per received line, {@code -F %U} flushes each) and TCP data
     * segments per message, estimated from the samples: the segments all connections to the broker
     * sent between the first and the last sample, divided by the messages the publisher sent
     * meanwhile (its bytes sent over its bytes per message).
     */
    private void wire(Result r, long received, Path subStat, Path pubStat, Path out,
            Map<String, long[]>[] samples) throws InterruptedException {
        if (sampler != null) {
            sampler.join(5_000);
        }
        if (received <= 0) {
            return;
        }
        long[] subIo = Wire.io(subStat.resolveSibling(subStat.getFileName().toString().replace(".stat", ".io")));
        long[] pubIo = Wire.io(pubStat.resolveSibling(pubStat.getFileName().toString().replace(".stat", ".io")));
        long outBytes;
        try {
            outBytes = Files.size(out);
        } catch (IOException e) {
            return;
        }
        if (subIo == null || pubIo == null) {
            return;
        }
        long writes = pubIo[0] + subIo[0] - received;
        long bytes = pubIo[1] + subIo[1] - outBytes;
        r.put("writesPerMsg", Wire.round3(writes / (double) received));
        r.put("writeBytesPerMsg", Wire.round1(bytes / (double) received));
        r.put("wireBytesPerMsg", Wire.round1(bytes / (double) received)); // the C clients write only to the socket
        Map<String, long[]> first;
        Map<String, long[]> last;
        synchronized (samples) {
            first = samples[0];
            last = samples[1];
        }
        if (first == null || last == null) {
            return;
        }
        long pubSent = 0;
        long segs = 0;
        long allSegs = 0;
        for (Map.Entry<String, long[]> e : last.entrySet()) {
            long[] a = e.getValue();
            long[] b = first.get(e.getKey());
            if (b == null) {
                continue;
            }
            pubSent = Math.max(pubSent, a[0] - b[0]);
            segs += a[1] - b[1];
            allSegs += a[2] - b[2];
        }
        double pubBytesPerMsg = pubIo[1] / (double) received;
        if (pubSent > 0 && pubBytesPerMsg > 0) {
            double msgs = pubSent / pubBytesPerMsg;
            r.put("segsPerMsg", Wire.round3(segs / msgs)).put("allSegsPerMsg", Wire.round3(allSegs / msgs))
                    .put("segsSampledMsgs", Math.round(msgs));
        }
    }

    /** A %U time stamp ("1470818943.786368637") in seconds, without losing the nanoseconds. */
    static double seconds(String stamp) {
        BigDecimal d = new BigDecimal(stamp);
        return d.subtract(BigDecimal.valueOf(1_000_000_000L)).doubleValue();
    }

    /**
     * Publisher only: the wall time of mosquitto_pub -l over {@code messages} lines, less the
     * median time of the same command over no lines (process start, connect, disconnect).
     */
    Result publishOnly(String topic, int messages, Path input, Path empty) throws IOException, InterruptedException {
        long[] base = new long[3];
        for (int i = 0; i < base.length; i++) {
            base[i] = timePublisher(topic, empty, null);
        }
        Arrays.sort(base);
        Result r = new Result();
        long t = timePublisher(topic, input, r);
        if (t < 0 || base[1] < 0) {
            return new Result().put("error", "mosquitto_pub_failed");
        }
        double seconds = (t - base[1]) / 1e9;
        return r.put("expected", messages).put("rate", Math.round(messages / seconds))
                .put("seconds", Math.round(seconds * 1000) / 1000.0)
                .put("startupMs", Math.round(base[1] / 1e5) / 10.0);
    }

    /** The wall time of mosquitto_pub -l over {@code input}; with {@code wire}, also its writes per message. */
    private long timePublisher(String topic, Path input, Result wire) throws IOException, InterruptedException {
        int n = ++runs;
        List<String> p = common(pub, "bench-c-pub-" + n, topic, 0);
        p.add("-l");
        Path stat = dir.resolve("c-pub-" + n + ".stat");
        long t0 = System.nanoTime();
        Process pp = wrapped(stat, p).redirectInput(input.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("c-pub-" + n + ".out").toFile()).start();
        if (!pp.waitFor(SUB_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            pp.destroyForcibly();
            return -1;
        }
        long t1 = System.nanoTime();
        if (wire != null && pp.exitValue() == 0) {
            long lines = Files.size(input) / (Files.readAllLines(input, StandardCharsets.US_ASCII).get(0).length() + 1);
            long[] io = Wire.io(stat.resolveSibling(stat.getFileName().toString().replace(".stat", ".io")));
            if (io != null && lines > 0) {
                wire.put("writesPerMsg", Wire.round3(io[0] / (double) lines))
                        .put("writeBytesPerMsg", Wire.round1(io[1] / (double) lines))
                        .put("wireBytesPerMsg", Wire.round1(io[1] / (double) lines));
            }
        }
        return pp.exitValue() == 0 ? t1 - t0 : -1;
    }
}
