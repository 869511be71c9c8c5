package io.umqtt.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One measurement's figures as the machine-readable line a worker prints:
 * {@code RESULT key=value key=value ...} (keys and values without spaces).
 */
final class Result {
    static final String PREFIX = "RESULT ";

    private final Map<String, String> values = new LinkedHashMap<>();

    Result put(String key, Object value) {
        String v = String.valueOf(value);
        if (key.indexOf(' ') >= 0 || key.indexOf('=') >= 0 || v.indexOf(' ') >= 0 || v.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("keys and values must not contain spaces: " + key + "=" + v);
        }
        values.put(key, v);
        return this;
    }

    String get(String key) {
        return values.get(key);
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    /** The value as a number, NaN when absent. */
    double number(String key) {
        String v = values.get(key);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    long count(String key) {
        String v = values.get(key);
        return v == null ? 0 : Long.parseLong(v);
    }

    Map<String, String> values() {
        return values;
    }

    String line() {
        StringBuilder b = new StringBuilder(PREFIX);
        values.forEach((k, v) -> b.append(k).append('=').append(v).append(' '));
        return b.toString().trim();
    }

    /** Parses a line printed by {@link #line()}; null when the line is not a result. */
    static Result parse(String line) {
        if (line == null || !line.startsWith(PREFIX)) {
            return null;
        }
        Result r = new Result();
        for (String pair : line.substring(PREFIX.length()).trim().split(" +")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("malformed result field '" + pair + "' in: " + line);
            }
            r.values.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return r;
    }

    @Override
    public String toString() {
        return line();
    }
}
