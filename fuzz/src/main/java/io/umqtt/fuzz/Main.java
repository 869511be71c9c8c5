package io.umqtt.fuzz;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fuzzer's command (docs/fuzzing.md):
 * <pre>
 * java -jar fuzz/target/fuzz.jar [--mqtt 4|5] [--transport memory|channel] [--streams N] [--seed S] [--first I]
 *      [--threads T] [--batch B] [--hang-seconds H] [--heap-bound-mib M] [--report FILE] [--strict | --strict-all]
 * java -jar fuzz/target/fuzz.jar [--transport channel] --seed S --replay I     (one stream, verbosely)
 * java -jar fuzz/target/fuzz.jar [--transport channel] --case 'op=... reader=... data=...'
 * </pre>
 */
public final class Main {
    /** The default batch of the channel mode: a connection per stream, so the leak checks come more often. */
    static final int CHANNEL_BATCH = 5_000;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        Fuzzer.Config cfg = new Fuzzer.Config();
        Long replay = null;
        String givenCase = null;
        String reportFile = null;
        boolean strict = false;
        boolean strictAll = false;
        boolean batchGiven = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--streams":
                    cfg.streams = parseCount(value(args, ++i, a));
                    break;
                case "--seed":
                    cfg.seed = Long.parseLong(value(args, ++i, a));
                    break;
                case "--first":
                    cfg.first = parseCount(value(args, ++i, a));
                    break;
                case "--threads":
                    cfg.threads = Integer.parseInt(value(args, ++i, a));
                    break;
                case "--batch":
                    cfg.batch = (int) parseCount(value(args, ++i, a));
                    batchGiven = true;
                    break;
                case "--hang-seconds":
                    cfg.hangSeconds = Integer.parseInt(value(args, ++i, a));
                    break;
                case "--heap-bound-mib":
                    cfg.heapBoundMiB = Long.parseLong(value(args, ++i, a));
                    break;
                case "--report":
                    reportFile = value(args, ++i, a);
                    break;
                case "--replay":
                    replay = parseCount(value(args, ++i, a));
                    break;
                case "--case":
                    givenCase = value(args, ++i, a);
                    break;
                case "--mqtt":
                    cfg.mqtt = Integer.parseInt(value(args, ++i, a));
                    if (cfg.mqtt != 4 && cfg.mqtt != 5) {
                        System.err.println("--mqtt is 4 (MQTT 3.1.1, the default) or 5 (MQTT 5), found " + cfg.mqtt);
                        System.exit(2);
                    }
                    break;
                case "--transport":
                    try {
                        cfg.transport = Fuzzer.Transport.parse(value(args, ++i, a));
                    } catch (IllegalArgumentException e) {
                        System.err.println(e.getMessage());
                        System.exit(2);
                    }
                    break;
                case "--strict":
                    strict = true;
                    break;
                case "--strict-all":
                    strictAll = true;
                    break;
                case "-h":
                case "--help":
                    usage(System.out);
                    return;
                default:
                    System.err.println("unknown option '" + a + "'");
                    usage(System.err);
                    System.exit(2);
            }
        }
        if (replay != null || givenCase != null) {
            Case c = givenCase != null ? Case.decode(givenCase) : Fuzzer.generate(cfg.seed, cfg.mqtt, replay);
            System.exit(explain(c, cfg.seed, replay == null ? -1 : replay, System.out, cfg.transport) ? 0 : 1);
        }
        if (cfg.transport == Fuzzer.Transport.CHANNEL && !batchGiven) {
            cfg.batch = CHANNEL_BATCH;
        }
        cfg.progress = System.out;
        System.out.printf("umqtt fuzzer: %s, %s, seed %d, streams %,d..%,d, %d thread(s)%n",
                cfg.mqtt == 5 ? "MQTT 5" : "MQTT 3.1.1", cfg.transport.label(), cfg.seed, cfg.first,
                cfg.first + cfg.streams - 1, cfg.threads);
        Fuzzer.Result r = Fuzzer.run(cfg);
        print(r, System.out);
        if (reportFile != null) {
            try (PrintStream f = new PrintStream(new FileOutputStream(reportFile), true, StandardCharsets.UTF_8)) {
                print(r, f);
            }
        }
        boolean failed = r.aborted != null || (strictAll && r.stats.allFindings() > 0)
                || (strict && r.stats.newFindings() > 0);
        System.exit(failed ? 1 : 0);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            System.err.println(option + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    /** A count, with an optional k/M suffix ("10M" = 10,000,000) and _ or , separators. */
    static long parseCount(String s) {
        String t = s.replace("_", "").replace(",", "").trim();
        long mult = 1;
        if (t.endsWith("k") || t.endsWith("K")) {
            mult = 1_000;
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("M") || t.endsWith("m")) {
            mult = 1_000_000;
            t = t.substring(0, t.length() - 1);
        }
        return Long.parseLong(t) * mult;
    }

    private static void usage(PrintStream out) {
        out.println("usage: java -jar fuzz/target/fuzz.jar [--mqtt 4|5] [--transport memory|channel] [--streams N] [--seed S]");
        out.println("         [--first I] [--threads T] [--batch B] [--hang-seconds H] [--heap-bound-mib M] [--report FILE]");
        out.println("         [--strict|--strict-all]");
        out.println("       java -jar fuzz/target/fuzz.jar [--mqtt 5] [--transport channel] --seed S --replay INDEX");
        out.println("       java -jar fuzz/target/fuzz.jar [--transport channel] --case 'op=none reader=wait data=20020000...'");
        out.println("--transport: memory (the default: in-memory sockets, the client's socket transport) or channel");
        out.println("  (real loopback TCP from the fuzzer's own servers: the client's default channel transport)");
        out.println("--strict: exit 1 on findings outside the known categories (KnownDefects); --strict-all: on any");
    }

    /** Runs one case verbosely; true when the client agrees with the reference and no check failed. */
    static boolean explain(Case c, long seed, long index, PrintStream out, Fuzzer.Transport transport)
            throws InterruptedException {
        Fuzzer.selectTransport(transport);
        out.println("case: " + c.encode());
        out.println("transport: " + transport.label());
        if (index >= 0) {
            out.println("stream " + index + " of seed " + seed + " (" + (transport == Fuzzer.Transport.CHANNEL
                    ? "--transport channel " : "") + "--seed " + seed + " --replay " + index + ")");
        }
        Stats s = new Stats();
        Observed o;
        if (transport == Fuzzer.Transport.CHANNEL) {
            LoopbackServer server = Fuzzer.startServers(1).get(0);
            try {
                o = Fuzzer.runOne(c, seed, index, null, s, server);
            } finally {
                server.close();
            }
        } else {
            o = Fuzzer.runOne(c, seed, index, null, s);
        }
        out.println(c.judge());
        out.println(o);
        if (s.findingCounts.isEmpty()) {
            out.println("verdict: the client agrees with the reference; all checks passed");
            return true;
        }
        for (String category : s.findingCounts.keySet()) {
            String known = KnownDefects.why(category);
            out.println("finding: " + category + (known != null ? " (known: " + known + ")" : ""));
        }
        return false;
    }

    static void print(Fuzzer.Result r, PrintStream out) {
        Stats s = r.stats;
        out.println();
        out.printf(Locale.ROOT, "umqtt fuzzer report: %s, %s, seed %d, streams %,d..%,d (%,d run), %d thread(s), "
                + "%.1f s, %,.0f streams/s%n", r.mqtt == 5 ? "MQTT 5" : "MQTT 3.1.1", r.transport.label(), r.seed,
                r.first, r.first + r.streams - 1, s.streams, r.threads, r.seconds, r.streamsPerSecond());
        out.printf(Locale.ROOT, "server bytes %,d, messages delivered %,d%n", s.bytes, s.messages);
        section(out, "streams by kind", s.kinds);
        section(out, "streams by mode (operation/reader)", s.modes);
        section(out, "reference: how a correct client ends", s.referenceEnds);
        section(out, "reference: MAY-close points met", s.mayRules);
        section(out, "client: how the connection ended", s.observedEnds);
        if (!s.disconnectsSent.isEmpty()) {
            section(out, "client (MQTT 5): DISCONNECT written before closing for a protocol error", s.disconnectsSent);
        }
        section(out, "exception types thrown by client calls", s.exceptionTypes);
        out.printf(Locale.ROOT, "checks: hangs %d; %s opened %,d, closed %,d; threads baseline %d, max %d; "
                + "heap used after GC baseline %.1f MiB, max %.1f MiB (bound +%d MiB); open descriptors baseline %d, "
                + "max %d%n", r.hangs, r.transport == Fuzzer.Transport.CHANNEL
                        ? "loopback connections (closed: by the client)" : "in-memory sockets",
                r.socketsOpened, r.socketsClosed, r.threadBaseline, r.threadMax, r.heapBaselineBytes / 1048576.0,
                r.heapMaxBytes / 1048576.0, r.heapBoundBytes / 1048576, r.descriptorBaseline, r.descriptorMax);
        if (r.aborted != null) {
            out.println("RUN ABORTED: " + r.aborted);
        }
        out.printf(Locale.ROOT, "findings: %,d new, %,d in known categories%n", s.newFindings(),
                s.allFindings() - s.newFindings());
        for (Map.Entry<String, Long> e : s.findingCounts.entrySet()) {
            String known = KnownDefects.why(e.getKey());
            out.printf(Locale.ROOT, "  %-40s %,12d%s%n", e.getKey(), e.getValue(),
                    known != null ? "  (known: " + known + ")" : "  NEW");
            List<Stats.Finding> kept = s.findings.get(e.getKey());
            if (kept == null) {
                continue;
            }
            for (Stats.Finding f : kept) {
                if (f.index >= 0 && !f.reproducer.startsWith("batch")) {
                    String transport = r.transport == Fuzzer.Transport.CHANNEL ? "--transport channel " : "";
                    out.println("    rerun: java -jar fuzz/target/fuzz.jar " + (r.mqtt == 5 ? "--mqtt 5 " : "") + transport
                            + "--seed " + f.seed + " --replay " + f.index);
                    out.println("    case:  " + transport + "--case '" + f.reproducer + "'");
                } else {
                    out.println("    " + f.reproducer);
                }
                String detail = f.detail;
                String[] lines = detail.split("\n");
                for (int i = 0; i < Math.min(lines.length, 12); i++) {
                    out.println("      " + lines[i]);
                }
            }
        }
    }

    private static void section(PrintStream out, String title, Map<String, Long> m) {
        out.println(title + ":");
        for (Map.Entry<String, Long> e : m.entrySet()) {
            out.printf(Locale.ROOT, "  %-50s %,12d%n", e.getKey(), e.getValue());
        }
    }

    static void print(Fuzzer.Result r) throws IOException {
        print(r, System.out);
    }
}
