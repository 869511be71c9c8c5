package io.umqtt.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** CPU time of other processes from Linux's {@code /proc/<pid>/stat}, in nanoseconds. */
final class ProcStat {
    /** USER_HZ: the unit of the times in /proc; 100 on every mainstream Linux build. */
    static final long TICKS_PER_SECOND = 100;

    private ProcStat() {
    }

    /** utime + stime of the process, or -1 when it cannot be read (not Linux, process gone). */
    static long cpuNanos(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            return fromStatLine(Files.readString(Paths.get("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII),
                    false);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Context switches (voluntary + involuntary) of all live threads of this process so far, -1
     * when /proc cannot tell.
     */
    static long contextSwitches() {
        long sum = 0;
        try (java.util.stream.Stream<Path> tasks = Files.list(Paths.get("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    for (String line : Files.readAllLines(t.resolve("status"), StandardCharsets.US_ASCII)) {
                        if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                            sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
            return sum;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** cutime + cstime recorded in a saved stat line: the CPU time of the children it waited for. */
    static long childrenCpuNanos(Path savedStat) {
        try {
            return fromStatLine(Files.readString(savedStat, StandardCharsets.US_ASCII), true);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Fields 14/15 (utime, stime) or 16/17 (cutime, cstime) of a stat line; the command name in
     * field 2 is in parentheses and may hold spaces, so fields are counted after the last ')'.
     */
    static long fromStatLine(String line, boolean children) {
        String rest = line.substring(line.lastIndexOf(')') + 2);
        String[] f = rest.trim().split(" +");
        // rest starts at field 3 (state): field n is f[n - 3]
        int first = children ? 16 : 14;
        long ticks = Long.parseLong(f[first - 3]) + Long.parseLong(f[first + 1 - 3]);
        return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    }
}
