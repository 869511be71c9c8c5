package io.umqtt.benchmarks;

import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns the measurements into the Markdown table, the notes and the target check. */
final class Report {
    private static final List<String> PEERS = List.of("paho", "hivemq", "mosquitto");

    /** One row: where the figure comes from, its label, and which direction is better. */
    static final class Row {
        final String scenario;
        final String key;
        final String label;
        final boolean higherIsBetter;
        final boolean ratio;

        Row(String scenario, String key, String label, boolean higherIsBetter, boolean ratio) {
            this.scenario = scenario;
            this.key = key;
            this.label = label;
            this.higherIsBetter = higherIsBetter;
            this.ratio = ratio;
        }
    }

    static final List<Row> ROWS = List.of(
            new Row("qos0", "rate", "QoS 0 end to end (1 pub + 1 sub), msg/s ↑", true, true),
            new Row("qos0", "cpuUsPerMsg", "  client CPU per message (pub + sub), µs ↓", false, true),
            new Row("qos0", "brokerUsPerMsg", "  broker CPU per message, µs ↓", false, true),
            new Row("qos0", "brokerCpuPct", "  broker CPU meanwhile, % of a core", false, false),
            new Row("qos0", "writesPerMsg", "  client write calls per message (pub + sub) ↓", false, true),
            new Row("qos0", "wireBytesPerMsg", "  client bytes on the wire per message (pub + sub) ↓", false, true),
            new Row("qos0", "segsPerMsg", "  client TCP data segments per message (pub + sub) ↓", false, true),
            new Row("qos0pub", "rate", "QoS 0 publisher only, msg/s ↑", true, true),
            new Row("qos0pub", "writesPerMsg", "  write calls per message ↓", false, true),
            new Row("qos0pub", "segsPerMsg", "  TCP data segments per message ↓", false, true),
            new Row("qos1", "rate", "QoS 1 end to end, pipelined, msg/s ↑", true, true),
            new Row("qos1", "cpuUsPerMsg", "  client CPU per message (pub + sub), µs ↓", false, true),
            new Row("qos1", "brokerUsPerMsg", "  broker CPU per message, µs ↓", false, true),
            new Row("qos1", "writesPerMsg", "  client write calls per message (pub + sub) ↓", false, true),
            new Row("qos1", "wireBytesPerMsg", "  client bytes on the wire per message (pub + sub) ↓", false, true),
            new Row("qos1", "segsPerMsg", "  client TCP data segments per message (pub + sub) ↓", false, true),
            new Row("qos1one", "rate", "QoS 1 end to end, one at a time, msg/s ↑", true, true),
            new Row("qos1one", "writesPerMsg", "  client write calls per message (pub + sub) ↓", false, true),
            new Row("qos1one", "segsPerMsg", "  client TCP data segments per message (pub + sub) ↓", false, true),
            new Row("qos0paced", "rate", "QoS 0 end to end, paced at {rate} msg/s: achieved msg/s", true, true),
            new Row("qos0paced", "lost", "  messages lost ↓", false, false),
            new Row("qos0paced", "brokerUsPerMsg", "  broker CPU per message, µs ↓", false, true),
            new Row("qos0paced", "cpuUsPerMsg", "  client CPU per message (pub + sub), µs ↓", false, true),
            new Row("qos0paced", "writesPerMsg", "  client write calls per message (pub + sub) ↓", false, true),
            new Row("qos0paced", "segsPerMsg", "  client TCP data segments per message (pub + sub) ↓", false, true),
            new Row("qos0paced", "readsPerMsg", "  client read calls per message (pub + sub)", false, true),
            new Row("qos0paced", "switchesPerMsg", "  client context switches per message", false, true),
            new Row("qos0paced", "segsInPerMsg", "  broker's data segments to the clients per message", false, true),
            new Row("qos1paced", "rate", "QoS 1 end to end, pipelined, paced at {rate} msg/s: achieved msg/s", true, true),
            new Row("qos1paced", "lost", "  messages lost ↓", false, false),
            new Row("qos1paced", "brokerUsPerMsg", "  broker CPU per message, µs ↓", false, true),
            new Row("qos1paced", "cpuUsPerMsg", "  client CPU per message (pub + sub), µs ↓", false, true),
            new Row("qos1paced", "writesPerMsg", "  client write calls per message (pub + sub) ↓", false, true),
            new Row("qos1paced", "segsPerMsg", "  client TCP data segments per message (pub + sub) ↓", false, true),
            new Row("qos1paced", "readsPerMsg", "  client read calls per message (pub + sub)", false, true),
            new Row("qos1paced", "switchesPerMsg", "  client context switches per message", false, true),
            new Row("qos1paced", "segsInPerMsg", "  broker's data segments to the clients per message", false, true),
            new Row("lat0", "p50", "latency QoS 0, p50 µs ↓", false, true),
            new Row("lat0", "p99", "latency QoS 0, p99 µs ↓", false, true),
            new Row("lat0", "p999", "latency QoS 0, p99.9 µs ↓", false, true),
            new Row("lat1", "p50", "latency QoS 1, p50 µs ↓", false, true),
            new Row("lat1", "p99", "latency QoS 1, p99 µs ↓", false, true),
            new Row("lat1", "p999", "latency QoS 1, p99.9 µs ↓", false, true),
            new Row("jars", "bytes", "jar + runtime dependencies, KB ↓", false, true),
            new Row("footprint", "threads1", "threads for 1 connected client ↓", false, true),
            new Row("footprint", "threadsN", "threads for N connected clients ↓", false, true),
            new Row("footprint", "heapPerClient", "heap per extra connected client, bytes ↓", false, true),
            new Row("alloc", "pubThreadBytes", "allocated per QoS 0 publish, publishing thread, B ↓", false, true),
            new Row("alloc", "pubAllBytes", "allocated per QoS 0 publish, all threads, B ↓", false, true),
            new Row("alloc", "recvAllBytes", "allocated per received message, all threads, B ↓", false, true),
            new Row("alloc", "recvCpuUsPerMsg", "subscriber CPU per received message (mosquitto_pub sending), µs ↓",
                    false, true));

    private final Main main;

    Report(Main main) {
        this.main = main;
    }

    /** A one-line progress summary of a measurement. */
    static String summary(String scenario, Result r) {
        if (r.has("error")) {
            return "FAILED: " + r.get("error") + (r.has("log") ? " (see " + r.get("log") + ")" : "");
        }
        String lost = r.has("lost") && r.count("lost") != 0
                ? "  LOST " + r.get("lost") + " of " + r.get("expected") : "";
        switch (scenario) {
            case "lat0":
            case "lat1":
                return "p50 " + r.get("p50") + " µs, p99 " + r.get("p99") + " µs, p99.9 " + r.get("p999") + " µs" + lost;
            case "footprint":
                return "threads " + r.get("threads1") + " / " + r.get("threadsN") + " for 1 / " + r.get("clients")
                        + " clients, heap per extra client " + r.get("heapPerClient") + " B";
            case "alloc":
                return "per publish " + r.get("pubThreadBytes") + " B (publishing thread), " + r.get("pubAllBytes")
                        + " B (all threads); per received message " + r.get("recvAllBytes") + " B" + lost;
            default:
                return Stats.format(r.number("rate")) + " msg/s"
                        + (r.has("received") ? ", received " + r.get("received") + "/" + r.get("expected") : "")
                        + (r.has("cpuUsPerMsg") ? ", client CPU " + r.get("cpuUsPerMsg") + " µs/msg" : "")
                        + (r.has("brokerCpuPct") ? ", broker " + r.get("brokerCpuPct") + " %" : "")
                        + (r.has("brokerUsPerMsg") ? " (" + r.get("brokerUsPerMsg") + " µs/msg)" : "")
                        + (r.has("gcMs") ? ", GC " + r.get("gcMs") + " ms" : "") + lost;
        }
    }

    /** The figures of one cell: every run's value (NaN for runs without it). */
    private static List<Double> values(Map<String, List<Result>> results, String scenario, String client, String key) {
        List<Double> v = new ArrayList<>();
        for (Result r : results.getOrDefault(scenario + "/" + client, List.of())) {
            if (!r.has("error") && r.has(key)) {
                v.add(r.number(key));
            }
        }
        return v;
    }

    private static double median(Map<String, List<Result>> results, Map<String, Map<String, Long>> jars,
            String scenario, String client, String key) {
        if (scenario.equals("jars")) {
            Map<String, Long> files = jars.get(client);
            return files == null ? Double.NaN : files.values().stream().mapToLong(Long::longValue).sum() / 1000.0;
        }
        List<Double> v = values(results, scenario, client, key);
        return v.isEmpty() ? Double.NaN : Stats.median(v);
    }

    private String cell(Map<String, List<Result>> results, Map<String, Map<String, Long>> jars, Row row,
            String client) {
        if (row.scenario.equals("jars")) {
            Map<String, Long> files = jars.get(client);
            if (files == null) {
                return "–";
            }
            return Stats.format(median(results, jars, row.scenario, client, row.key)) + " (" + files.size()
                    + (files.size() == 1 ? " jar)" : " jars)");
        }
        List<Result> runs = results.get(row.scenario + "/" + client);
        if (runs == null) {
            return "–";
        }
        List<Double> v = values(results, row.scenario, client, row.key);
        String mark = problems(runs).isEmpty() ? "" : " ⚠";
        if (v.isEmpty()) {
            return runs.stream().anyMatch(r -> r.has("error")) ? "failed" + mark : "–";
        }
        double med = Stats.median(v);
        if (v.size() == 1 || Stats.min(v) == Stats.max(v)) {
            return Stats.format(med) + mark;
        }
        return Stats.format(med) + " (" + Stats.format(Stats.min(v)) + "–" + Stats.format(Stats.max(v)) + ")" + mark;
    }

    /** What went wrong in these runs: errors and lost messages, never hidden. */
    private static String problems(List<Result> runs) {
        int failed = 0;
        int lossy = 0;
        long lost = 0;
        long expected = 0;
        for (Result r : runs) {
            if (r.has("error")) {
                failed++;
            } else if (r.has("lost") && r.count("lost") != 0) {
                lossy++;
                lost += r.count("lost");
                expected += r.count("expected");
            }
        }
        List<String> p = new ArrayList<>();
        if (failed > 0) {
            p.add(failed + " of " + runs.size() + " runs failed");
        }
        if (lossy > 0) {
            p.add(lossy + " of " + runs.size() + " runs lost messages (" + lost + " of " + expected
                    + " in those runs; their rate counts only what arrived)");
        }
        return String.join("; ", p);
    }

    String render(Map<String, List<Result>> results, Map<String, Map<String, Long>> jars, String date, String load0,
            String load1, long seconds, String mosquittoVersion) {
        List<String> clients = main.clients;
        StringBuilder b = new StringBuilder();
        b.append("Run ").append(date).append(", ").append(machine()).append(", mosquitto ").append(mosquittoVersion)
                .append(" on loopback, ").append(main.size).append("-byte payloads; medians of ").append(main.reps)
                .append(main.reps > 1 ? " runs (min–max in brackets)" : " run").append(main.quick ? ", QUICK smoke run" : "")
                .append("; load average ").append(load0).append(" at the start, ").append(load1).append(" at the end; ")
                .append(seconds / 60).append(" min ").append(seconds % 60).append(" s in all.\n\n");
        b.append("| |");
        for (String c : clients) {
            b.append(' ').append(Main.CLIENT_TITLES.get(c)).append(" |");
        }
        List<String[]> peers = ratioColumns(clients);
        for (String[] pair : peers) {
            b.append(' ').append(pair[2]).append(" |");
        }
        b.append('\n').append("|---|");
        for (int i = 0; i < clients.size() + peers.size(); i++) {
            b.append("---|");
        }
        b.append('\n');
        for (Row row : ROWS) {
            boolean any = clients.stream().anyMatch(c -> row.scenario.equals("jars")
                    ? jars.containsKey(c) : results.containsKey(row.scenario + "/" + c));
            if (!any) {
                continue;
            }
            String label = row.key.equals("threadsN") ? row.label.replace("N connected", main.footprintClients + " connected")
                    : row.label.replace("{rate}", Stats.format(main.rate));
            b.append("| ").append(label).append(" |");
            for (String c : clients) {
                b.append(' ').append(cell(results, jars, row, c)).append(" |");
            }
            for (String[] pair : peers) {
                String ratio = row.ratio ? Stats.ratio(median(results, jars, row.scenario, pair[0], row.key),
                        median(results, jars, row.scenario, pair[1], row.key)) : "";
                b.append(' ').append(ratio).append(" |");
            }
            b.append('\n');
        }
        b.append('\n').append("↑ higher is better, ↓ lower is better; a ratio is our median divided by the peer's"
                + (clients.contains("ours5") ? " (ours MQTT 5 ÷ ours: what MQTT 5 costs our client over 3.1.1)" : "")
                + ".\n");
        List<String> issues = new ArrayList<>();
        results.forEach((k, runs) -> {
            String p = problems(runs);
            if (!p.isEmpty()) {
                issues.add("- ⚠ " + k.replace('/', ' ') + ": " + p);
            }
        });
        if (!issues.isEmpty()) {
            b.append("\nProblems (counted in the table, never hidden):\n");
            issues.forEach(s -> b.append(s).append('\n'));
        }
        if (main.restarts > 0) {
            b.append("\nmosquitto was killed from outside ").append(main.restarts)
                    .append(" time(s) during this comparison and restarted; the run it hit was repeated.\n");
        }
        b.append('\n').append(targets(results, jars));
        return b.toString();
    }

    /** The ratio columns: {numerator client, denominator client, title}. */
    static List<String[]> ratioColumns(List<String> clients) {
        List<String[]> cols = new ArrayList<>();
        if (clients.contains("ours")) {
            for (String p : PEERS) {
                if (clients.contains(p)) {
                    cols.add(new String[] {"ours", p, "ours ÷ " + shortName(p)});
                }
            }
        }
        if (clients.contains("ours5") && clients.contains("hivemq5")) {
            cols.add(new String[] {"ours5", "hivemq5", "ours 5 ÷ HiveMQ 5"});
        }
        if (clients.contains("ours5") && clients.contains("ours")) {
            cols.add(new String[] {"ours5", "ours", "ours 5 ÷ ours"});
        }
        return cols;
    }

    private static String shortName(String client) {
        switch (client) {
            case "paho":
                return "Paho";
            case "hivemq":
                return "HiveMQ";
            default:
                return "C";
        }
    }

    /** The issue's targets against this run's medians. */
    private String targets(Map<String, List<Result>> results, Map<String, Map<String, Long>> jars) {
        List<String[]> t = new ArrayList<>();
        double ours0 = median(results, jars, "qos0", "ours", "rate");
        double c0 = median(results, jars, "qos0", "mosquitto", "rate");
        add(t, "QoS 0 end to end ≥ 1.0 × mosquitto C clients", ours0 / c0, ours0 / c0 >= 1.0, "×");
        double pub = median(results, jars, "qos0pub", "ours", "rate");
        double pahoPub = median(results, jars, "qos0pub", "paho", "rate");
        add(t, "QoS 0 publisher only ≥ 1.3 × Paho async", pub / pahoPub, pub / pahoPub >= 1.3, "×");
        double q1 = median(results, jars, "qos1", "ours", "rate");
        double best1 = Math.max(nanToZero(median(results, jars, "qos1", "paho", "rate")),
                nanToZero(median(results, jars, "qos1", "hivemq", "rate")));
        add(t, "QoS 1 end to end (pipelined) ≥ 1.2 × the best Java peer", q1 / best1, q1 / best1 >= 1.2, "×");
        for (String s : new String[] {"qos0", "qos1"}) {
            for (String k : new String[] {"writesPerMsg", "segsPerMsg"}) {
                double ours = median(results, jars, s, "ours", k);
                double best = Double.MAX_VALUE;
                for (String p : PEERS) {
                    best = Math.min(best, nanToMax(median(results, jars, s, p, k)));
                }
                if (best != Double.MAX_VALUE) {
                    add(t, s + " " + (k.startsWith("writes") ? "write calls" : "TCP data segments")
                            + " per message ≤ the best peer's (" + Stats.format(best) + ")", ours, ours <= best, "");
                }
            }
            double ours = median(results, jars, s, "ours", "brokerUsPerMsg");
            double best = Math.min(nanToMax(median(results, jars, s, "paho", "brokerUsPerMsg")),
                    nanToMax(median(results, jars, s, "hivemq", "brokerUsPerMsg")));
            if (best != Double.MAX_VALUE) {
                add(t, s + " broker CPU per message ≤ with the best Java peer (" + Stats.format(best) + " µs)", ours,
                        ours <= best, " µs");
            }
        }
        for (String s : Main.PACED_SCENARIOS) {
            double ours = median(results, jars, s, "ours", "brokerUsPerMsg");
            double best = Math.min(nanToMax(median(results, jars, s, "paho", "brokerUsPerMsg")),
                    nanToMax(median(results, jars, s, "hivemq", "brokerUsPerMsg")));
            if (best != Double.MAX_VALUE) {
                add(t, s + " (" + Stats.format(main.rate) + " msg/s) broker CPU per message ≤ with the best Java peer ("
                        + Stats.format(best) + " µs)", ours, ours <= best, " µs");
            }
        }
        for (String s : new String[] {"lat0", "lat1"}) {
            for (String k : new String[] {"p50", "p99"}) {
                double ours = median(results, jars, s, "ours", k);
                double best = Math.min(nanToMax(median(results, jars, s, "paho", k)),
                        nanToMax(median(results, jars, s, "hivemq", k)));
                if (best == Double.MAX_VALUE) {
                    continue; // no peer measured
                }
                add(t, "latency QoS " + s.charAt(3) + " " + k + " below the best peer's (" + Stats.format(best) + " µs)",
                        ours, ours < best, " µs");
            }
        }
        double alloc = median(results, jars, "alloc", "ours", "pubThreadBytes");
        add(t, "0 B allocated per QoS 0 publish (publishing thread)", alloc, alloc < 1, " B");
        long topic = Lib.topic(0).length();
        long arrays = align8(16 + main.size) + align8(16 + topic);
        double recv = median(results, jars, "alloc", "ours", "recvAllBytes");
        add(t, "per received message only the payload and topic arrays (" + arrays + " B)", recv, recv <= arrays * 1.05,
                " B");
        double threads = median(results, jars, "footprint", "ours", "threads1");
        add(t, "1 thread per connection", threads, threads <= 1, "");
        double heap = median(results, jars, "footprint", "ours", "heapPerClient");
        add(t, "heap per extra connection < 4 KB", heap, heap < 4096, " B");
        double jar = median(results, jars, "jars", "ours", "bytes");
        double pahoJar = median(results, jars, "jars", "paho", "bytes");
        add(t, "simple + api jars < 1/4 of Paho's jar", jar / pahoJar, jar / pahoJar < 0.25, "×");
        double simple = simpleJarBytes(jars) / 1000.0;
        add(t, "MQTT 5: io.umqtt.simple jar ≤ 1.5 × " + Stats.format(SIMPLE_JAR_BEFORE_MQTT5 / 1000.0) + " KB (before MQTT 5)",
                simple, simple <= 1.5 * SIMPLE_JAR_BEFORE_MQTT5 / 1000.0, " KB");
        double alloc5 = median(results, jars, "alloc", "ours5", "pubThreadBytes");
        add(t, "MQTT 5: 0 B allocated per QoS 0 publish (publishing thread)", alloc5, alloc5 < 1, " B");
        StringBuilder b = new StringBuilder("Targets (issues 6, 12 and 14):\n\n| target | ours | met |\n|---|---|---|\n");
        for (String[] row : t) {
            b.append("| ").append(row[0]).append(" | ").append(row[1]).append(" | ").append(row[2]).append(" |\n");
        }
        return b.toString();
    }

    /** The io.umqtt.simple jar before MQTT 5 (main at 973c4da): 188,503 bytes; issue 14 allows 1.5 times that. */
    static final long SIMPLE_JAR_BEFORE_MQTT5 = 188_503;

    /** The size of the io.umqtt.simple jar among our client's jars, NaN when unknown. */
    static double simpleJarBytes(Map<String, Map<String, Long>> jars) {
        Map<String, Long> files = jars.get("ours");
        if (files != null) {
            for (Map.Entry<String, Long> e : files.entrySet()) {
                if (e.getKey().startsWith("io.umqtt.simple-")) {
                    return e.getValue();
                }
            }
        }
        return Double.NaN;
    }

    private static void add(List<String[]> t, String target, double value, boolean met, String unit) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return; // not measured in this run
        }
        String v = unit.equals("×") ? String.format(Locale.ROOT, "%.2f×", value) : Stats.format(value) + unit;
        t.add(new String[] {target, v, met ? "yes" : "**no**"});
    }

    private static long align8(long n) {
        return (n + 7) / 8 * 8;
    }

    private static double nanToZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    private static double nanToMax(double v) {
        return Double.isNaN(v) ? Double.MAX_VALUE : v;
    }

    /** "2 cores (model), Linux x.y, Java 17.0.15". */
    static String machine() {
        String model = "?";
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + model + "), " + System.getProperty("os.name")
                + " " + System.getProperty("os.version") + ", Java " + System.getProperty("java.version");
    }
}
