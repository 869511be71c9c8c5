package io.umqtt.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the whole comparison and prints the table: {@code java -jar benchmarks/target/benchmarks.jar [options]}.
 * <p>
 * Starts one mosquitto for all runs, then for each scenario runs every client once per
 * repetition, rotating the order from one repetition to the next; each Java measurement runs in a
 * fresh JVM ({@link Worker}), the C clients as processes of their own. See {@link #usage()}.
 */
public final class Main {
    static final List<String> ALL_CLIENTS = List.of("ours", "paho", "hivemq", "mosquitto", "ours5", "hivemq5");
    /** The MQTT 5 clients: our client with {@code setProtocolVersion(5)}, HiveMQ's Mqtt5Client. */
    static final List<String> MQTT5_CLIENTS = List.of("ours5", "hivemq5");
    /** The scenarios the MQTT 5 clients run: QoS 0 and QoS 1 throughput and the allocation counts. */
    static final List<String> MQTT5_SCENARIOS = List.of("qos0", "qos0pub", "qos1", "qos1one", "alloc", "qos0paced",
            "qos1paced");
    static final List<String> ALL_SCENARIOS = List.of("qos0", "qos0pub", "qos1", "qos1one", "lat0", "lat1",
            "footprint", "alloc");
    /**
     * End to end at a fixed publishing rate ({@code --rate}), so that every client pair carries the
     * same message rate: the broker's CPU per message compared like for like. Not in the default run.
     */
    static final List<String> PACED_SCENARIOS = List.of("qos0paced", "qos1paced");
    /** Every scenario {@code --scenarios} accepts. */
    static final List<String> SCENARIOS = concat(ALL_SCENARIOS, PACED_SCENARIOS);
    static final Map<String, String> CLIENT_TITLES = Map.of("ours", "ours (umqtt simple)", "paho", "Paho async",
            "hivemq", "HiveMQ async", "mosquitto", "mosquitto C clients", "ours5", "ours MQTT 5",
            "hivemq5", "HiveMQ MQTT 5 async");
    private static final long WORKER_TIMEOUT_SECONDS = 300;

    // ---- options
    int reps = 5;
    boolean quick;
    List<String> clients = ALL_CLIENTS;
    List<String> scenarios = ALL_SCENARIOS;
    int messagesQos0 = 200_000;
    int warmupQos0 = 50_000;
    int messagesQos1 = 50_000;
    int warmupQos1 = 10_000;
    int roundTrips = 10_000;
    int warmupRoundTrips = 2_000;
    int footprintClients = 100;
    int threads = 0;
    int window = 1_000;
    /** The publishing rate of the paced scenarios, messages per second. */
    int rate = 5_000;
    /** How long the measured pass of a paced scenario publishes: its messages are rate x this. */
    int pacedSeconds = 10;
    boolean pubLoop;
    int size = 64;
    Path out;
    List<String> jvmArgs = List.of("-Xms1g", "-Xmx1g");

    // ---- state
    private final Map<String, List<Result>> results = new LinkedHashMap<>();
    private Broker broker;
    private Native c;
    private Path logDir;
    private PrintStream raw;
    private int runCount;
    int restarts;
    private final byte[] payload;

    private Main(String[] args) {
        parse(args);
        payload = Worker.payload(size);
    }

    public static void main(String[] args) {
        Main m;
        try {
            m = new Main(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        try {
            m.run();
        } catch (IllegalStateException e) {
            System.err.println("benchmark failed: " + e.getMessage()); // e.g. mosquitto is not installed
            System.exit(1);
        } catch (Exception e) {
            System.err.println("benchmark failed: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
        }
    }

    static String usage() {
        return String.join("\n",
                "usage: java -jar benchmarks/target/benchmarks.jar [options]",
                "  --quick              smoke run: 1 repetition, a tenth of the messages",
                "  --reps N             repetitions of each measurement (default 5)",
                "  --clients a,b        of " + String.join(",", ALL_CLIENTS) + " (default all; ours5 and hivemq5",
                "                       are MQTT 5 and run " + String.join(",", MQTT5_SCENARIOS) + " only)",
                "  --scenarios a,b      of " + String.join(",", SCENARIOS) + " (default all but",
                "                       " + String.join(",", PACED_SCENARIOS) + ": QoS 0 and pipelined QoS 1 end to end",
                "                       with the publisher paced at --rate, all clients at the same message rate)",
                "  --rate N             messages per second of the paced scenarios (default 5000)",
                "  --paced-seconds S    how long a paced run publishes, after a flat-out warm-up (default 10;",
                "                       --quick 2): rate x S messages",
                "  --messages N         QoS 0 messages (default 200000; warm-up a quarter of it)",
                "  --messages-qos1 N    QoS 1 messages (default 50000; warm-up a fifth of it)",
                "  --round-trips N      latency round trips (default 10000; warm-up a fifth of it)",
                "  --threads N          pipelined QoS 1 of our client with the blocking publish from N threads",
                "                       (default 0: one thread with publishAsync and the --window, as the peers;",
                "                       the paced scenarios always publish from one thread)",
                "  --window N           outstanding publishes in pipelined runs, of the async peers and of our",
                "                       publishAsync (default 1000)",
                "  --pub-loop           give our publishing client a loop thread too (default: its publishing",
                "                       thread reads its own PUBACKs, umqtt's way)",
                "  --out DIR            where logs and results go (default: next to the jar, benchmark-results/<time>)");
    }

    private void parse(String[] args) {
        boolean messagesSet = false;
        boolean messages1Set = false;
        boolean tripsSet = false;
        boolean pacedSet = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick":
                    quick = true;
                    break;
                case "--pub-loop":
                    pubLoop = true;
                    break;
                case "--reps":
                    reps = positive(a, value(args, ++i, a));
                    break;
                case "--clients":
                    clients = list(value(args, ++i, a), ALL_CLIENTS, a);
                    break;
                case "--scenarios":
                    scenarios = list(value(args, ++i, a), SCENARIOS, a);
                    break;
                case "--messages":
                    messagesQos0 = positive(a, value(args, ++i, a));
                    warmupQos0 = messagesQos0 / 4;
                    messagesSet = true;
                    break;
                case "--messages-qos1":
                    messagesQos1 = positive(a, value(args, ++i, a));
                    warmupQos1 = messagesQos1 / 5;
                    messages1Set = true;
                    break;
                case "--round-trips":
                    roundTrips = positive(a, value(args, ++i, a));
                    warmupRoundTrips = roundTrips / 5;
                    tripsSet = true;
                    break;
                case "--threads":
                    threads = "0".equals(value(args, i + 1, a)) ? 0 : positive(a, value(args, i + 1, a));
                    i++;
                    break;
                case "--window":
                    window = positive(a, value(args, ++i, a));
                    break;
                case "--rate":
                    rate = positive(a, value(args, ++i, a));
                    break;
                case "--paced-seconds":
                    pacedSeconds = positive(a, value(args, ++i, a));
                    pacedSet = true;
                    break;
                case "--out":
                    out = Paths.get(value(args, ++i, a));
                    break;
                case "-h":
                case "--help":
                    System.out.println(usage());
                    System.exit(0);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (quick) {
            if (!messagesSet) {
                messagesQos0 = 20_000;
                warmupQos0 = 5_000;
            }
            if (!messages1Set) {
                messagesQos1 = 5_000;
                warmupQos1 = 1_000;
            }
            if (!tripsSet) {
                roundTrips = 1_000;
                warmupRoundTrips = 200;
            }
            footprintClients = 20;
            if (!pacedSet) {
                pacedSeconds = 2;
            }
            boolean repsSet = Arrays.asList(args).contains("--reps");
            if (!repsSet) {
                reps = 1;
            }
        }
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static int positive(String option, String v) {
        try {
            int n = Integer.parseInt(v.replace("_", "").replace(",", ""));
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a positive number, found '" + v + "'");
        }
    }

    private static List<String> list(String v, List<String> allowed, String option) {
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            String t = s.trim();
            if (!allowed.contains(t)) {
                throw new IllegalArgumentException(option + ": '" + t + "' is not one of " + allowed);
            }
            out.add(t);
        }
        return out;
    }

    // ------------------------------------------------------------------ running

    private void run() throws Exception {
        Path jar = Paths.get(System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0])
                .toAbsolutePath();
        if (out == null) {
            out = jar.getParent().resolve("benchmark-results")
                    .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        }
        Files.createDirectories(out);
        logDir = Files.createDirectories(out.resolve("logs"));
        Broker.require("mosquitto");
        Broker.require("mosquitto_pub"); // also the external publisher of the allocation runs
        Broker.require("mosquitto_sub");
        Report report = new Report(this);
        String started = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
        String load0 = loadAverage();
        System.out.println("umqtt benchmarks: " + reps + " repetition(s), scenarios " + scenarios + ", clients "
                + clients + (quick ? " (quick)" : ""));
        System.out.println("results and logs: " + out);
        long t0 = System.nanoTime();
        try (PrintStream rawOut = new PrintStream(Files.newOutputStream(out.resolve("raw-results.txt")), true,
                StandardCharsets.UTF_8.name())) {
            raw = rawOut;
            broker = Broker.start(out);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> broker.close(), "stop-mosquitto"));
            try {
                System.out.println("mosquitto " + mosquittoVersion() + " on " + Broker.HOST + ":" + broker.port()
                        + " (pid " + broker.pid() + ")");
                c = new Native(broker, Files.createDirectories(out.resolve("c-clients")));
                int si = 0;
                for (String scenario : scenarios) {
                    for (int rep = 0; rep < reps; rep++) {
                        List<String> order = rotate(clients, rep + si);
                        for (String client : order) {
                            if (!applies(scenario, client)) {
                                continue;
                            }
                            Result r = null;
                            for (int attempt = 0; attempt < 2; attempt++) {
                                ensureBroker();
                                broker.awaitIdle();
                                r = measure(scenario, client, rep);
                                if (broker.isAlive()) {
                                    break;
                                }
                                // killed from outside (e.g. a 'pkill -x mosquitto' of another job): not a result
                                r = new Result().put("error", "mosquitto_was_killed_during_the_run");
                                raw.println(scenario + " " + client + " rep=" + (rep + 1) + " " + r.line());
                            }
                            results.computeIfAbsent(scenario + "/" + client, k -> new ArrayList<>()).add(r);
                            raw.println(scenario + " " + client + " rep=" + (rep + 1) + " " + r.line());
                            System.out.printf(Locale.ROOT, "  %-9s %d/%d %-9s %s%n", scenario, rep + 1, reps, client,
                                    Report.summary(scenario, r));
                        }
                    }
                    si++;
                }
            } finally {
                broker.close();
            }
        }
        long minutes = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        String text = report.render(results, jarSizes(jar), started, load0, loadAverage(), minutes,
                mosquittoVersion());
        System.out.println();
        System.out.println(text);
        Files.writeString(out.resolve("results.md"), text, StandardCharsets.UTF_8);
        System.out.println("written to " + out.resolve("results.md"));
    }

    /** Restarts mosquitto (on a new port) when something outside killed it. */
    private void ensureBroker() throws IOException, InterruptedException {
        if (broker.isAlive()) {
            return;
        }
        restarts++;
        System.out.println("  mosquitto (pid " + broker.pid() + ") was killed from outside; starting a new one");
        broker = Broker.start(out);
        c.broker(broker);
    }

    private Map<String, Map<String, Long>> jarSizes(Path jar) {
        try {
            return Jars.sizes(jar.getParent().resolve("lib"));
        } catch (IOException e) {
            System.err.println("jar sizes unavailable: " + e.getMessage());
            return Map.of();
        }
    }

    static boolean applies(String scenario, String client) {
        if (MQTT5_CLIENTS.contains(client)) {
            return MQTT5_SCENARIOS.contains(scenario);
        }
        if (!"mosquitto".equals(client)) {
            return true;
        }
        return scenario.equals("qos0") || scenario.equals("qos0pub") || scenario.equals("qos1")
                || scenario.equals("qos1one") || PACED_SCENARIOS.contains(scenario);
    }

    /** The messages of a paced run's measured pass: {@code rate} per second for {@code seconds}. */
    static int pacedMessages(int rate, int seconds) {
        long n = (long) rate * seconds;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--rate x --paced-seconds is too large: " + n + " messages");
        }
        return (int) n;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    static <T> List<T> rotate(List<T> list, int by) {
        List<T> r = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            r.add(list.get((i + by) % list.size()));
        }
        return r;
    }

    private Result measure(String scenario, String client, int rep) throws Exception {
        String topic = Lib.topic(++runCount);
        if ("mosquitto".equals(client)) {
            switch (scenario) {
                case "qos0":
                    return c.endToEnd(topic, 0, messagesQos0, Native.lines(out, messagesQos0, payload), 0);
                case "qos0pub":
                    return c.publishOnly(topic, messagesQos0, Native.lines(out, messagesQos0, payload),
                            Native.lines(out, 0, payload));
                case "qos1":
                    return c.endToEnd(topic, 1, messagesQos1, Native.lines(out, messagesQos1, payload), 0);
                case "qos1one":
                    return c.endToEnd(topic, 1, messagesQos1, Native.lines(out, messagesQos1, payload), 1);
                case "qos0paced":
                case "qos1paced":
                    int n = pacedMessages(rate, pacedSeconds);
                    return c.endToEnd(topic, scenario.equals("qos0paced") ? 0 : 1, n, Native.lines(out, n, payload), 0,
                            rate);
                default:
                    throw new IllegalArgumentException(scenario);
            }
        }
        List<String> a = new ArrayList<>();
        switch (scenario) {
            case "qos0":
                a.addAll(List.of("scenario=e2e", "qos=0", "messages=" + messagesQos0, "warmup=" + warmupQos0));
                break;
            case "qos0pub":
                a.addAll(List.of("scenario=pub", "messages=" + messagesQos0, "warmup=" + warmupQos0));
                break;
            case "qos1":
                a.addAll(List.of("scenario=e2e", "qos=1", "messages=" + messagesQos1, "warmup=" + warmupQos1));
                break;
            case "qos1one":
                a.addAll(List.of("scenario=e2e", "qos=1", "each=true", "messages=" + messagesQos1,
                        "warmup=" + warmupQos1));
                break;
            case "qos0paced":
            case "qos1paced":
                int qos = scenario.equals("qos0paced") ? 0 : 1;
                a.addAll(List.of("scenario=e2e", "qos=" + qos, "messages=" + pacedMessages(rate, pacedSeconds),
                        "warmup=" + (qos == 0 ? warmupQos0 : warmupQos1), "rate=" + rate));
                break;
            case "lat0":
            case "lat1":
                a.addAll(List.of("scenario=latency", "qos=" + (scenario.equals("lat0") ? 0 : 1),
                        "messages=" + roundTrips, "warmup=" + warmupRoundTrips));
                break;
            case "footprint":
                a.addAll(List.of("scenario=footprint", "clients=" + footprintClients));
                break;
            case "alloc":
                a.addAll(List.of("scenario=alloc", "messages=" + messagesQos0, "warmup=" + warmupQos0,
                        "mosquittoPub=" + Broker.require("mosquitto_pub"),
                        "input=" + Native.lines(out, messagesQos0, payload),
                        "warmInput=" + Native.lines(out, warmupQos0, payload)));
                break;
            default:
                throw new IllegalArgumentException(scenario);
        }
        a.addAll(List.of("lib=" + client, "topic=" + topic, "port=" + broker.port(), "brokerPid=" + broker.pid(),
                "threads=" + (PACED_SCENARIOS.contains(scenario) ? 0 : threads), "window=" + window, "pubLoop=" + pubLoop, "size=" + size));
        return worker(a, logDir.resolve(scenario + "-" + client + "-" + (rep + 1) + ".log"));
    }

    private Result worker(List<String> args, Path log) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(Paths.get(System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0]).toAbsolutePath()
                .toString());
        cmd.add(Worker.class.getName());
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "worker-output");
        reader.start();
        boolean finished = p.waitFor(WORKER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (!finished) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(5_000);
        List<String> copy;
        synchronized (lines) {
            copy = new ArrayList<>(lines);
        }
        Files.write(log, copy, StandardCharsets.UTF_8);
        Result result = null;
        for (String line : copy) {
            Result r = Result.parse(line);
            if (r != null) {
                result = r;
            }
        }
        if (!finished) {
            return new Result().put("error", "timed_out_after_" + WORKER_TIMEOUT_SECONDS + "s").put("log", log);
        }
        if (result == null) {
            return new Result().put("error", "worker_exit_" + p.exitValue()).put("log", log);
        }
        return result;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String mosquittoVersion() {
        try {
            Process p = new ProcessBuilder(Broker.require("mosquitto").toString(), "-h").redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.SECONDS);
            for (String line : text.split("\n")) {
                int i = line.indexOf("version ");
                if (i >= 0) {
                    return line.substring(i + "version ".length()).trim();
                }
            }
        } catch (IOException | InterruptedException e) {
            // unknown
        }
        return "?";
    }
}
