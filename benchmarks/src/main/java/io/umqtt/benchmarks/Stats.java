package io.umqtt.benchmarks;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The little arithmetic the harness needs: percentiles, medians and number formatting. */
final class Stats {
    private Stats() {
    }

    /**
     * The nearest-rank percentile of already sorted values: the smallest value such that at least
     * {@code p} percent of the values are less than or equal to it.
     *
     * @param sorted values in ascending order, at least one
     * @param p percentile, 0 &lt; p &le; 100
     */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], found " + p);
        }
        // the rank computed in long arithmetic on p * 1000 avoids 99.9 * 1000 / 100 rounding to 998.99...
        long scaled = Math.round(p * 1000);
        long rank = (scaled * sorted.length + 100_000 - 1) / 100_000; // ceil(p/100 * n)
        return sorted[(int) Math.max(1, rank) - 1];
    }

    /** The median: the middle value, or the mean of the two middle values for an even count. */
    static double median(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    static double min(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    static double max(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    /** Sorts a copy. */
    static long[] sorted(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    /**
     * A number for the table: thousands separated by commas; whole numbers without decimals,
     * others below 10 with two decimals, below 100 with one, else none.
     */
    static String format(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        double a = Math.abs(v);
        if (v == Math.rint(v)) {
            return String.format(Locale.ROOT, "%,.0f", v); // counts: threads, bytes
        }
        if (a < 10) {
            return String.format(Locale.ROOT, "%,.2f", v);
        }
        if (a < 100) {
            return String.format(Locale.ROOT, "%,.1f", v);
        }
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    /** A ratio with two decimals and a times sign, e.g. {@code 1.27×}. */
    static String ratio(double ours, double peer) {
        if (Double.isNaN(ours) || Double.isNaN(peer) || peer == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f×", ours / peer);
    }
}
