package io.umqtt.robust.internal;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.ReconnectPolicy;
import io.umqtt.robust.RobustMqttClient;

/**
 * The validated reconnect, offline queue and failover settings of one robust connection; the
 * connection settings themselves are the simple component's {@code ConnectionSettings}. Every
 * check names the property and the bad value, in the words {@code ConnectionSettings} uses
 * ({@code invalid configuration of io.umqtt.robust~a: reconnect.jitter=1.5 is outside 0..1}).
 * Immutable.
 */
final class RobustSettings {
    static final String RECONNECT_INITIAL_DELAY = "reconnect.initial.delay";
    static final String RECONNECT_MAX_DELAY = "reconnect.max.delay";
    static final String RECONNECT_JITTER = "reconnect.jitter";
    static final String RECONNECT_MAX_ATTEMPTS = "reconnect.max.attempts";
    static final String QUEUE_MAX_MESSAGES = "queue.max.messages";
    static final String QUEUE_MAX_BYTES = "queue.max.bytes";
    static final String QUEUE_OVERFLOW = "queue.overflow";
    static final String QUEUE_PERSISTENT = "queue.persistent";
    static final String QUEUE_DIRECTORY = "queue.directory";
    static final String FAILOVER_SERVERS = "failover.servers";

    /** Upper bound of both delays: one day. */
    static final long MAX_DELAY_MILLIS = 86_400_000L;

    // the defaults of the robust attributes (RobustConnectionConfig), those of ReconnectPolicy.DEFAULT and the client
    /** Default connect timeout of each attempt, in seconds: the robust client's. */
    static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = RobustMqttClient.DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS / 1000;
    /** Default first reconnect delay ({@link ReconnectPolicy#DEFAULT}). */
    static final long DEFAULT_RECONNECT_INITIAL_DELAY_MILLIS = 1_000;
    /** Default cap of the reconnect delay ({@link ReconnectPolicy#DEFAULT}). */
    static final long DEFAULT_RECONNECT_MAX_DELAY_MILLIS = 60_000;
    /** Default reconnect jitter ({@link ReconnectPolicy#DEFAULT}). */
    static final double DEFAULT_RECONNECT_JITTER = 0.5;
    private static final int MAX_PORT = 65_535;

    /** A failover broker. */
    static final class Server {
        final String host;
        /** 0: the default port. */
        final int port;

        Server(String host, int port) {
            this.host = host;
            this.port = port;
        }

        @Override
        public String toString() {
            String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return port == 0 ? h : h + ":" + port;
        }
    }

    private final ReconnectPolicy policy;
    private final int queueMaxMessages;
    private final long queueMaxBytes;
    private final OverflowPolicy overflow;
    private final List<Server> failover;
    private final boolean queuePersistent;
    /** Null: the bundle's persistent storage area. */
    private final Path queueDirectory;

    private RobustSettings(ReconnectPolicy policy, int queueMaxMessages, long queueMaxBytes, OverflowPolicy overflow,
            List<Server> failover, boolean queuePersistent, Path queueDirectory) {
        this.policy = policy;
        this.queueMaxMessages = queueMaxMessages;
        this.queueMaxBytes = queueMaxBytes;
        this.overflow = overflow;
        this.failover = failover;
        this.queuePersistent = queuePersistent;
        this.queueDirectory = queueDirectory;
    }

    /**
     * Validates the robust properties of {@code c}.
     *
     * @param pid the configuration's PID, named in the messages
     * @throws IllegalArgumentException naming the first bad property and its value
     */
    static RobustSettings of(String pid, RobustConnectionConfig c) {
        long initial = c.reconnect_initial_delay();
        if (initial < 1 || initial > MAX_DELAY_MILLIS) {
            throw invalid(pid, RECONNECT_INITIAL_DELAY, initial, "is outside 1.." + MAX_DELAY_MILLIS + " ms");
        }
        long max = c.reconnect_max_delay();
        if (max < initial || max > MAX_DELAY_MILLIS) {
            throw invalid(pid, RECONNECT_MAX_DELAY, max, "is outside " + RECONNECT_INITIAL_DELAY + " (" + initial
                    + ").." + MAX_DELAY_MILLIS + " ms");
        }
        double jitter = c.reconnect_jitter();
        if (!(jitter >= 0 && jitter <= 1)) {
            throw invalid(pid, RECONNECT_JITTER, jitter, "is outside 0..1");
        }
        int attempts = c.reconnect_max_attempts();
        if (attempts < 0) {
            throw invalid(pid, RECONNECT_MAX_ATTEMPTS, attempts, "is negative (0 = never give up)");
        }
        int messages = c.queue_max_messages();
        if (messages < 0) {
            throw invalid(pid, QUEUE_MAX_MESSAGES, messages, "is negative (0 = no offline queue)");
        }
        long bytes = c.queue_max_bytes();
        if (bytes < 0) {
            throw invalid(pid, QUEUE_MAX_BYTES, bytes, "is negative");
        }
        if (bytes == 0 && messages > 0) {
            throw invalid(pid, QUEUE_MAX_BYTES, bytes, "leaves no room for any of the " + QUEUE_MAX_MESSAGES + "="
                    + messages + " messages; set " + QUEUE_MAX_MESSAGES + "=0 to turn the offline queue off");
        }
        String o = c.queue_overflow() == null ? "" : c.queue_overflow().strip();
        OverflowPolicy overflow;
        try {
            overflow = OverflowPolicy.valueOf(o.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw invalid(pid, QUEUE_OVERFLOW, o, "is none of " + Arrays.toString(OverflowPolicy.values()));
        }
        List<Server> servers = new ArrayList<>();
        String[] entries = c.failover_servers();
        if (entries != null) {
            // each value may list several, comma-separated: Kura's form shows at most 10 values
            List<String> all = new ArrayList<>();
            for (String entry : entries) {
                if (entry != null) {
                    for (String part : entry.split(",", -1)) {
                        String e = part.strip();
                        if (!e.isEmpty()) { // the web console sends an empty field as ""
                            all.add(e);
                        }
                    }
                }
            }
            for (int i = 0; i < all.size(); i++) {
                servers.add(server(pid, i, all.get(i)));
            }
        }
        boolean persistent = c.queue_persistent();
        Path directory = null;
        String d = c.queue_directory() == null ? "" : c.queue_directory().strip();
        if (persistent && !d.isEmpty()) { // without queue.persistent the directory is not used
            try {
                directory = Path.of(d);
            } catch (InvalidPathException e) {
                throw invalid(pid, QUEUE_DIRECTORY, d, "is not a valid path: " + e.getReason());
            }
            if (!directory.isAbsolute()) {
                throw invalid(pid, QUEUE_DIRECTORY, d, "is a relative path; give an absolute one, or leave it empty "
                        + "for the bundle's persistent storage area");
            }
            directory = directory.normalize();
        }
        // every attempt is bounded by connect.timeout; read through this type, whose default is the robust
        // client's 10 s (the simple connection's 30 s would hold recovery after a network blackhole)
        ReconnectPolicy policy = new ReconnectPolicy(initial, max, jitter, attempts)
                .withConnectTimeout(Math.max(1, c.connect_timeout()) * 1000);
        return new RobustSettings(policy, messages, bytes, overflow, List.copyOf(servers), persistent, directory);
    }

    /** Parses {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}. */
    private static Server server(String pid, int index, String entry) {
        String property = FAILOVER_SERVERS + "[" + index + "]";
        if (entry.contains("://")) {
            throw invalid(pid, property, entry, "must be host:port, not a URI; TLS follows tls.enabled");
        }
        if (entry.chars().anyMatch(ch -> Character.isISOControl(ch) || Character.isWhitespace(ch))) {
            throw invalid(pid, property, entry.replaceAll("\\p{Cntrl}", "?"), "contains blanks or control characters");
        }
        String host;
        String port;
        if (entry.startsWith("[")) {
            int end = entry.indexOf(']');
            if (end < 0) {
                throw invalid(pid, property, entry, "has no ']' closing the IPv6 address");
            }
            host = entry.substring(1, end);
            String rest = entry.substring(end + 1);
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                throw invalid(pid, property, entry, "must be [address]:port");
            }
            port = rest.isEmpty() ? null : rest.substring(1);
        } else {
            int colon = entry.indexOf(':');
            if (colon >= 0 && entry.indexOf(':', colon + 1) >= 0) {
                throw invalid(pid, property, entry, "has several ':'; write an IPv6 address as [address]:port");
            }
            host = colon < 0 ? entry : entry.substring(0, colon);
            port = colon < 0 ? null : entry.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw invalid(pid, property, entry, "has no host");
        }
        int p = 0;
        if (port != null) {
            try {
                p = Integer.parseInt(port);
            } catch (NumberFormatException e) {
                throw invalid(pid, property, entry, "has a port that is not a number");
            }
            if (p < 1 || p > MAX_PORT) {
                throw invalid(pid, property, entry, "has a port outside 1.." + MAX_PORT);
            }
        }
        return new Server(host, p);
    }

    static IllegalArgumentException invalid(String pid, String property, Object value, String why) {
        return new IllegalArgumentException("invalid configuration of " + pid + ": " + property + "=" + value + " "
                + why);
    }

    ReconnectPolicy policy() {
        return policy;
    }

    int queueMaxMessages() {
        return queueMaxMessages;
    }

    long queueMaxBytes() {
        return queueMaxBytes;
    }

    OverflowPolicy overflow() {
        return overflow;
    }

    /** Whether the offline queue is kept on disk. */
    boolean queuePersistent() {
        return queuePersistent;
    }

    /**
     * The directory of the durable offline queue; null when it is not persistent or lives in the
     * bundle's persistent storage area.
     */
    Path queueDirectory() {
        return queueDirectory;
    }

    /** The failover servers in order, without the primary one. */
    List<Server> failover() {
        return failover;
    }

    /** Whether {@code other} holds the same settings (a configuration rewritten with equal values). */
    boolean sameAs(RobustSettings other) {
        if (other == null || queueMaxMessages != other.queueMaxMessages || queueMaxBytes != other.queueMaxBytes
                || overflow != other.overflow || queuePersistent != other.queuePersistent
                || !java.util.Objects.equals(queueDirectory, other.queueDirectory)
                || failover.size() != other.failover.size()) {
            return false;
        }
        ReconnectPolicy p = other.policy;
        if (policy.initialDelayMillis() != p.initialDelayMillis() || policy.maxDelayMillis() != p.maxDelayMillis()
                || Double.compare(policy.jitter(), p.jitter()) != 0 || policy.maxAttempts() != p.maxAttempts()) {
            return false;
        }
        for (int i = 0; i < failover.size(); i++) {
            Server a = failover.get(i);
            Server b = other.failover.get(i);
            if (!a.host.equals(b.host) || a.port != b.port) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return "reconnect " + policy.initialDelayMillis() + ".." + policy.maxDelayMillis() + " ms, jitter "
                + policy.jitter() + ", max attempts " + (policy.maxAttempts() == 0 ? "unlimited" : policy.maxAttempts())
                + "; offline queue " + queueMaxMessages + " messages / " + queueMaxBytes + " bytes, " + overflow
                + (queuePersistent ? ", on disk in " + (queueDirectory == null ? "the bundle's data area" : queueDirectory)
                        : "")
                + (failover.isEmpty() ? "" : "; failover " + failover);
    }
}
