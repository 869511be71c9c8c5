package io.umqtt.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a client puts on the wire, from Linux's own counters (no packet capture):
 * <ul>
 * <li>write system calls and bytes written: {@code syscw} and {@code wchar} of
 * {@code /proc/<pid>/io}, which count every write of the process (sockets, pipes, files) and,
 * once a child is reaped, its writes too; the caller keeps other writes out of the window or
 * subtracts them;
 * <li>TCP segments and bytes per connection: the kernel's {@code TCP_INFO} of each established
 * connection to the broker's port, as {@code ss -ti} prints it ({@code bytes_sent},
 * {@code data_segs_out}: segments carrying data, {@code segs_out}: all segments incl. pure ACKs).
 * </ul>
 */
final class Wire {
    private Wire() {
    }

    /** {@code [syscw, wchar]} of a process ("self" for this one), null when /proc cannot tell. */
    static long[] io(String pid) {
        try {
            return parseIo(Files.readString(Paths.get("/proc", pid, "io"), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * {@code [syscw, wchar, syscr]} from the text of a /proc/<pid>/io file ({@code syscr} -1 when
     * missing), null when a write field is missing.
     */
    static long[] parseIo(String text) {
        long syscw = -1;
        long wchar = -1;
        long syscr = -1;
        for (String line : text.split("\n")) {
            if (line.startsWith("syscw:")) {
                syscw = Long.parseLong(line.substring(6).trim());
            } else if (line.startsWith("wchar:")) {
                wchar = Long.parseLong(line.substring(6).trim());
            } else if (line.startsWith("syscr:")) {
                syscr = Long.parseLong(line.substring(6).trim());
            }
        }
        return syscw < 0 || wchar < 0 ? null : new long[] {syscw, wchar, syscr};
    }

    /** {@code [syscw, wchar]} recorded in a file (a copy of /proc/<pid>/io), null when unreadable. */
    static long[] io(Path saved) {
        try {
            return parseIo(Files.readString(saved, StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The client ends of the established TCP connections to {@code brokerPort} on this machine:
     * local address to {@code [bytes_sent, data_segs_out, segs_out, data_segs_in]}; null when
     * {@code ss} fails.
     */
    static Map<String, long[]> clientSockets(int brokerPort) {
        try {
            Process p = new ProcessBuilder("ss", "-tinH", "state", "established", "( dport = :" + brokerPort + " )")
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return parseSs(text);
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Parses {@code ss -tinH} output: a line with the addresses, then an indented line of counters. */
    static Map<String, long[]> parseSs(String text) {
        Map<String, long[]> m = new HashMap<>();
        String local = null;
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (!Character.isWhitespace(line.charAt(0))) {
                String[] f = line.trim().split("\\s+");
                local = f.length >= 4 ? f[f.length - 2] : null; // Recv-Q Send-Q Local Peer
                continue;
            }
            if (local != null) {
                m.put(local, new long[] {field(line, "bytes_sent:"), field(line, "data_segs_out:"),
                        field(line, "segs_out:"), field(line, "data_segs_in:")});
                local = null;
            }
        }
        return m;
    }

    private static long field(String line, String name) {
        int i = -1;
        // "segs_out:" also matches inside "data_segs_out:": take the occurrence at a word start
        for (int from = 0; (i = line.indexOf(name, from)) >= 0; from = i + 1) {
            if (i == 0 || Character.isWhitespace(line.charAt(i - 1))) {
                break;
            }
        }
        if (i < 0) {
            return 0;
        }
        int s = i + name.length();
        int e = s;
        while (e < line.length() && Character.isDigit(line.charAt(e))) {
            e++;
        }
        return Long.parseLong(line.substring(s, e));
    }

    /**
     * Sums {@code after - before} over the connections present in both snapshots:
     * {@code [bytes_sent, data_segs_out, segs_out, data_segs_in]}; null when a snapshot is missing.
     */
    static long[] delta(Map<String, long[]> before, Map<String, long[]> after) {
        if (before == null || after == null) {
            return null;
        }
        long[] d = new long[4];
        after.forEach((k, a) -> {
            long[] b = before.get(k);
            if (b != null) {
                for (int i = 0; i < 4; i++) {
                    d[i] += a[i] - b[i];
                }
            }
        });
        return d;
    }

    /**
     * Measures this JVM's writes and its connections to the broker over a window: call
     * {@link #start()} before and {@link #stop(Result, long)} after. {@code ss} runs as a child,
     * outside the window of the /proc/self/io figures (its own writes are counted into ours once
     * it is reaped: the snapshot before is taken first, the one after last).
     */
    static final class Meter {
        private final int brokerPort;
        private Map<String, long[]> sockets0;
        private long[] io0;

        Meter(int brokerPort) {
            this.brokerPort = brokerPort;
        }

        Meter start() {
            sockets0 = brokerPort > 0 ? clientSockets(brokerPort) : null;
            io0 = io("self");
            return this;
        }

        /** Puts writesPerMsg, writeBytesPerMsg, readsPerMsg, wireBytesPerMsg, segsPerMsg, allSegsPerMsg. */
        Result stop(Result r, long messages) {
            long[] io1 = io("self");
            Map<String, long[]> sockets1 = brokerPort > 0 ? clientSockets(brokerPort) : null;
            double n = Math.max(1, messages);
            if (io0 != null && io1 != null) {
                r.put("writesPerMsg", round3((io1[0] - io0[0]) / n));
                r.put("writeBytesPerMsg", round1((io1[1] - io0[1]) / n));
                if (io0[2] >= 0 && io1[2] >= 0) {
                    // read-type system calls of the whole JVM (both clients; class loading adds a few)
                    r.put("readsPerMsg", round3((io1[2] - io0[2]) / n));
                }
            }
            long[] d = delta(sockets0, sockets1);
            if (d != null) {
                StringBuilder each = new StringBuilder();
                sockets1.forEach((k, a) -> {
                    long[] b = sockets0.get(k);
                    if (b != null) {
                        each.append(each.length() == 0 ? "" : ",").append(a[0] - b[0]).append("B/")
                                .append(a[1] - b[1]).append("seg");
                    }
                });
                r.put("perConnection", each.length() == 0 ? "none" : each.toString());
                r.put("wireBytesPerMsg", round1(d[0] / n));
                r.put("segsPerMsg", round3(d[1] / n));
                r.put("allSegsPerMsg", round3(d[2] / n));
                // the broker's data segments to these clients (how it packs what it sends)
                r.put("segsInPerMsg", round3(d[3] / n));
            }
            return r;
        }
    }

    static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
