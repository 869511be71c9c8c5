package io.umqtt.robust;

/**
 * Capped exponential backoff with jitter: after {@code n} unsuccessful attempts in a row the next
 * one starts no earlier than {@code min(maxDelay, initialDelay * 2^(n-1))}, less a random part of
 * up to {@code jitter} of it, <em>after the start of the previous attempt</em>: an attempt that
 * took its whole connect timeout to fail has waited that long already. umqtt.robust's fixed 2 s is
 * {@code new ReconnectPolicy(2000, 2000, 0, 0)}. Immutable.
 * <h2>What counts as unsuccessful</h2>
 * An attempt is unsuccessful when it fails (no CONNACK, a refusal, a broken socket), and also when
 * the broker accepted it but the connection was lost before it had stayed up
 * {@linkplain #stableAfterMillis() stable-after} long: a broker that accepts every CONNECT and breaks
 * the session at once is retried with growing delays, not in a tight loop. A connection that stayed
 * up that long resets the count: after its loss the client reconnects at once.
 * <h2>Connect timeout of an attempt</h2>
 * Each attempt is bounded by {@link #connectTimeoutMillis()} when set, else by the client's
 * connect timeout ({@link RobustMqttClient#setConnectTimeout(int)}, by default
 * {@value RobustMqttClient#DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS} ms). In a network blackhole an
 * attempt only ends at that timeout, so once the network is back the connection is restored within
 * about {@code max(connect timeout, the delay reached)}: a short timeout recovers sooner, a long one
 * suits slow links (a TLS handshake over a poor cellular link) that would otherwise never finish.
 */
public final class ReconnectPolicy {
    /** 1 s doubling up to 60 s, half of it random, retrying forever. */
    public static final ReconnectPolicy DEFAULT = new ReconnectPolicy(1_000, 60_000, 0.5, 0);

    private final long initialDelayMillis;
    private final long maxDelayMillis;
    private final double jitter;
    private final int maxAttempts;
    private final long stableAfterMillis;
    private final int connectTimeoutMillis;

    /**
     * @param initialDelayMillis the delay after the first unsuccessful attempt, &gt;= 1
     * @param maxDelayMillis the cap, &gt;= initialDelayMillis; also the delay after a broker refusal
     * @param jitter the random fraction taken off each delay, 0..1
     * @param maxAttempts unsuccessful attempts in a row before giving up; 0 = never give up
     */
    public ReconnectPolicy(long initialDelayMillis, long maxDelayMillis, double jitter, int maxAttempts) {
        this(initialDelayMillis, maxDelayMillis, jitter, maxAttempts, 0, 0);
    }

    private ReconnectPolicy(long initialDelayMillis, long maxDelayMillis, double jitter, int maxAttempts,
            long stableAfterMillis, int connectTimeoutMillis) {
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
        if (stableAfterMillis < 0) {
            throw new IllegalArgumentException("stableAfterMillis must be >= 0 (0 = the client's default), found "
                    + stableAfterMillis);
        }
        if (connectTimeoutMillis < 0) {
            throw new IllegalArgumentException("connectTimeoutMillis must be >= 0 (0 = the client's connect "
                    + "timeout), found " + connectTimeoutMillis);
        }
        this.initialDelayMillis = initialDelayMillis;
        this.maxDelayMillis = maxDelayMillis;
        this.jitter = jitter;
        this.maxAttempts = maxAttempts;
        this.stableAfterMillis = stableAfterMillis;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    /**
     * This policy, with connections counted as successful once they stayed up {@code millis}.
     *
     * @param millis 0 for the client's default: {@code max(keepalive,}
     *        {@value RobustMqttClient#DEFAULT_STABLE_AFTER_MILLIS} ms{@code )}
     * @since 1.3
     */
    public ReconnectPolicy withStableAfter(long millis) {
        return new ReconnectPolicy(initialDelayMillis, maxDelayMillis, jitter, maxAttempts, millis,
                connectTimeoutMillis);
    }

    /**
     * This policy, with every connect attempt of the robust client bounded by {@code millis}
     * (TCP connect, TLS handshake and CONNACK together).
     *
     * @param millis 0 for the client's connect timeout ({@link RobustMqttClient#setConnectTimeout(int)})
     * @since 1.3
     */
    public ReconnectPolicy withConnectTimeout(int millis) {
        return new ReconnectPolicy(initialDelayMillis, maxDelayMillis, jitter, maxAttempts, stableAfterMillis, millis);
    }

    /** The delay before the attempt after unsuccessful attempt {@code attempt} (from 1), before jitter. */
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

    /**
     * How long a connection must stay up to reset the backoff; 0: the client's default.
     *
     * @since 1.3
     */
    public long stableAfterMillis() {
        return stableAfterMillis;
    }

    /**
     * The connect timeout of each attempt; 0: the client's connect timeout.
     *
     * @since 1.3
     */
    public int connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    @Override
    public String toString() {
        return "ReconnectPolicy[initial=" + initialDelayMillis + " ms, max=" + maxDelayMillis + " ms, jitter=" + jitter
                + ", maxAttempts=" + (maxAttempts == 0 ? "unlimited" : maxAttempts)
                + (stableAfterMillis == 0 ? "" : ", stableAfter=" + stableAfterMillis + " ms")
                + (connectTimeoutMillis == 0 ? "" : ", connectTimeout=" + connectTimeoutMillis + " ms") + "]";
    }
}
