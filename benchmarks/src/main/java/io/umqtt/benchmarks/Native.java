package io.umqtt.benchmarks;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
    private static final String WRAPPER = "\"$@\"; rc=$?; cat /proc/$$/stat > \"$STATFILE\"; exit $rc";

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
            long broker0 = broker.cpuNanos();
            long t0 = System.nanoTime();
            Process pp = wrapped(pubStat, p).redirectInput(input.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("c-pub-" + n + ".out").toFile()).start();
            if (!pp.waitFor(SUB_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                pp.descendants().forEach(ProcessHandle::destroyForcibly);
                pp.destroyForcibly();
                return new Result().put("error", "mosquitto_pub_did_not_finish");
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
            Result r = new Result().put("expected", messages).put("received", received)
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
            base[i] = timePublisher(topic, empty);
        }
        Arrays.sort(base);
        long t = timePublisher(topic, input);
        if (t < 0 || base[1] < 0) {
            return new Result().put("error", "mosquitto_pub_failed");
        }
        double seconds = (t - base[1]) / 1e9;
        return new Result().put("expected", messages).put("rate", Math.round(messages / seconds))
                .put("seconds", Math.round(seconds * 1000) / 1000.0)
                .put("startupMs", Math.round(base[1] / 1e5) / 10.0);
    }

    private long timePublisher(String topic, Path input) throws IOException, InterruptedException {
        int n = ++runs;
        List<String> p = common(pub, "bench-c-pub-" + n, topic, 0);
        p.add("-l");
        long t0 = System.nanoTime();
        Process pp = new ProcessBuilder(p).redirectInput(input.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("c-pub-" + n + ".out").toFile()).start();
        if (!pp.waitFor(SUB_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            pp.destroyForcibly();
            return -1;
        }
        long t1 = System.nanoTime();
        return pp.exitValue() == 0 ? t1 - t0 : -1;
    }
}
