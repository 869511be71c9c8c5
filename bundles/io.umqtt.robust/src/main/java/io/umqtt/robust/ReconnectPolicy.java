package io.umqtt.robust;

/**
 * Capped exponential backoff with jitter: attempt {@code n} (from 1) waits
 * {@code min(maxDelay, initialDelay * 2^(n-1))}, less a random part of up to {@code jitter} of
 * it. umqtt.robust's fixed 2 s is {@code new ReconnectPolicy(2000, 2000, 0, 0)}. Immutable.
 */
public final class ReconnectPolicy {
    /** 1 s doubling up to 60 s, half of it random, retrying forever. */
    public static final ReconnectPolicy DEFAULT = new ReconnectPolicy(1_000, 60_000, 0.5, 0);

    private final long initialDelayMillis;
    private final long maxDelayMillis;
    private final double jitter;
    private final int maxAttempts;

    /**
     * @param initialDelayMillis the delay after the first failed attempt, &gt;= 1
     * @param maxDelayMillis the cap, &gt;= initialDelayMillis; also the delay after a broker refusal
     * @param jitter the random fraction taken off each delay, 0..1
     * @param maxAttempts attempts before giving up; 0 = never give up
     */
    public ReconnectPolicy(long initialDelayMillis, long maxDelayMillis, double jitter, int maxAttempts) {
        if (initialDelayMillis < 1) {
            throw new IllegalArgumentException("initialDelayMillis must be >= 1 (0 would retry in a tight loop), found "
                    + initialDelayMillis);
        }
        if (maxDelayMillis < initialDelayMillis) {
            throw new IllegalArgumentException("maxDelayMillis (" + maxDelayMillis + ") must be >= initialDelayMillis ("
                    + initialDelayMillis + ")");
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be within 0..1, found " + jitter);
        }
        if (maxAttempts < 0) {
            throw new IllegalArgumentException("maxAttempts must be >= 0 (0 = unlimited), found " + maxAttempts);
        }
        this.initialDelayMillis = initialDelayMillis;
        this.maxDelayMillis = maxDelayMillis;
        this.jitter = jitter;
        this.maxAttempts = maxAttempts;
    }

    /** The delay before the attempt after failed attempt {@code attempt}, before jitter. */
    public long baseDelayMillis(int attempt, boolean refused) {
        if (refused) {
            return maxDelayMillis;
        }
        int shift = Math.max(0, Math.min(attempt - 1, 40));
        long d = initialDelayMillis << shift;
        return d < 0 || d > maxDelayMillis || (shift > 0 && d >> shift != initialDelayMillis) ? maxDelayMillis : d;
    }

    /** The jittered delay, given a random number in [0, 1). */
    public long delayMillis(int attempt, boolean refused, double random) {
        long base = baseDelayMillis(attempt, refused);
        return base - (long) (base * jitter * random);
    }

    public long initialDelayMillis() {
        return initialDelayMillis;
    }

    public long maxDelayMillis() {
        return maxDelayMillis;
    }

    public double jitter() {
        return jitter;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    @Override
    public String toString() {
        return "ReconnectPolicy[initial=" + initialDelayMillis + " ms, max=" + maxDelayMillis + " ms, jitter=" + jitter
                + ", maxAttempts=" + (maxAttempts == 0 ? "unlimited" : maxAttempts) + "]";
    }
}
