package io.umqtt.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Counters and findings of a run. Each worker fills its own and the {@link Fuzzer} merges them
 * after every batch, so workers never contend; not thread-safe.
 */
final class Stats {
    /** Reproducers kept per finding category (counts are kept for all). */
    static final int REPRODUCERS_PER_CATEGORY = 3;

    /** One finding: its category, the stream (seed and index) and the case that reproduces it. */
    static final class Finding {
        final String category;
        final long seed;
        final long index;
        final String reproducer;
        final String detail;

        Finding(String category, long seed, long index, String reproducer, String detail) {
            this.category = category;
            this.seed = seed;
            this.index = index;
            this.reproducer = reproducer;
            this.detail = detail;
        }
    }

    long streams;
    long messages;
    long bytes;
    final Map<String, Long> kinds = new TreeMap<>();
    final Map<String, Long> modes = new TreeMap<>();
    /** How the reference says streams end: EOF, or PROTOCOL/EITHER with the rule. */
    final Map<String, Long> referenceEnds = new TreeMap<>();
    /** MAY-close rules met. */
    final Map<String, Long> mayRules = new TreeMap<>();
    final Map<String, Long> observedEnds = new TreeMap<>();
    /** MQTT 5: the reason code of the DISCONNECT the client wrote before closing for a protocol error. */
    final Map<String, Long> disconnectsSent = new TreeMap<>();
    final Map<String, Long> exceptionTypes = new TreeMap<>();
    final Map<String, Long> findingCounts = new TreeMap<>();
    final Map<String, List<Finding>> findings = new TreeMap<>();

    static void count(Map<String, Long> m, String key, long n) {
        m.merge(key, n, Long::sum);
    }

    void finding(String category, long seed, long index, String reproducer, String detail) {
        finding(category, seed, index, () -> reproducer, () -> detail);
    }

    /** Counts a finding; the reproducer and detail are built only when it is one of those kept. */
    void finding(String category, long seed, long index, Supplier<String> reproducer, Supplier<String> detail) {
        count(findingCounts, category, 1);
        List<Finding> kept = findings.computeIfAbsent(category, k -> new ArrayList<>());
        if (kept.size() == REPRODUCERS_PER_CATEGORY && kept.get(kept.size() - 1).index <= index) {
            return;
        }
        keep(kept, new Finding(category, seed, index, reproducer.get(), detail.get()));
    }

    /** Keeps the findings of the lowest stream indexes, so the reproducers shown do not depend on threads. */
    private static void keep(List<Finding> kept, Finding f) {
        if (kept.size() == REPRODUCERS_PER_CATEGORY && kept.get(kept.size() - 1).index <= f.index) {
            return;
        }
        kept.add(f);
        kept.sort((a, b) -> Long.compare(a.index, b.index));
        if (kept.size() > REPRODUCERS_PER_CATEGORY) {
            kept.remove(kept.size() - 1);
        }
    }

    void merge(Stats o) {
        streams += o.streams;
        messages += o.messages;
        bytes += o.bytes;
        o.kinds.forEach((k, n) -> count(kinds, k, n));
        o.modes.forEach((k, n) -> count(modes, k, n));
        o.referenceEnds.forEach((k, n) -> count(referenceEnds, k, n));
        o.mayRules.forEach((k, n) -> count(mayRules, k, n));
        o.observedEnds.forEach((k, n) -> count(observedEnds, k, n));
        o.disconnectsSent.forEach((k, n) -> count(disconnectsSent, k, n));
        o.exceptionTypes.forEach((k, n) -> count(exceptionTypes, k, n));
        o.findingCounts.forEach((k, n) -> count(findingCounts, k, n));
        o.findings.forEach((k, list) -> {
            List<Finding> kept = findings.computeIfAbsent(k, x -> new ArrayList<>());
            for (Finding f : list) {
                keep(kept, f);
            }
        });
    }

    void clear() {
        streams = 0;
        messages = 0;
        bytes = 0;
        kinds.clear();
        modes.clear();
        referenceEnds.clear();
        mayRules.clear();
        observedEnds.clear();
        disconnectsSent.clear();
        exceptionTypes.clear();
        findingCounts.clear();
        findings.clear();
    }

    /** Findings outside the categories {@link KnownDefects#isKnown} excuses. */
    long newFindings() {
        long n = 0;
        for (Map.Entry<String, Long> e : findingCounts.entrySet()) {
            if (!KnownDefects.isKnown(e.getKey())) {
                n += e.getValue();
            }
        }
        return n;
    }

    long allFindings() {
        return findingCounts.values().stream().mapToLong(Long::longValue).sum();
    }
}
