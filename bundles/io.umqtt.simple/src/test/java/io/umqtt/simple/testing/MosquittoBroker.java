package io.umqtt.simple.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A real mosquitto broker for tests, run as a child process on free loopback ports.
 * <p>
 * Plain JDK, no test framework, so that unit tests and the Pax Exam integration tests (through
 * this module's test-jar) share it. Usage:
 *
 * <pre>
 * try (MosquittoBroker broker = MosquittoBroker.builder().user("alice", "secret").start()) {
 *     MqttClient c = new MqttClient("id", broker.host(), broker.port(), "alice", "secret", 0, null);
 *     ...
 * }
 * </pre>
 *
 * Each broker gets its own temporary directory holding the generated {@code mosquitto.conf}, the
 * password file, mosquitto's log ({@code log_type all}, so {@link #log()} shows every packet) and
 * its stdout/stderr. The broker listens on 127.0.0.1 only, with {@code persistence false}, and
 * accepts anonymous clients unless a {@link Builder#user(String, String) user} was configured.
 * When the JVM runs as root, the configuration says {@code user root}, so mosquitto keeps root
 * instead of dropping to user {@code mosquitto}, which could not read the temporary directory.
 * <p>
 * <b>mosquitto must be installed</b> ({@code apt-get install -y mosquitto}). There is no
 * in-process fallback broker: without mosquitto, {@link #executable()} and therefore
 * {@link Builder#start()} throw {@link IllegalStateException}, so every test that needs a broker
 * fails rather than being skipped. That holds everywhere, and in particular in CI
 * (environment variable {@code CI=true}), where mosquitto is always installed and a missing
 * broker must never turn into a silently green build.
 * <p>
 * Not thread-safe: start, restart, kill and close it from one thread (the test's).
 */
public final class MosquittoBroker implements AutoCloseable {
    /** The loopback address every listener binds to. */
    public static final String HOST = "127.0.0.1";

    private static final String INSTALL_HINT = "mosquitto is not installed: apt-get install -y mosquitto";
    private static final long READY_TIMEOUT_MILLIS = 10_000;
    private static final long STOP_TIMEOUT_MILLIS = 5_000;
    private static final int PORT_ATTEMPTS = 5;
    private static final int PBKDF2_ITERATIONS = 101;
    private static final int PBKDF2_SALT_BYTES = 12;
    private static final int PBKDF2_HASH_BITS = 512;
    /** What mosquitto logs once all its listeners are open. */
    private static final Pattern RUNNING = Pattern.compile("mosquitto version \\S+ running");

    private final Builder config;
    private final Path dir;
    private final Path confFile;
    private final Path logFile;
    private final Path outFile;
    private int port;
    private int tlsPort;
    private int wrongHostTlsPort;
    private Process process;
    /** Length of the log file when the current process was launched: its own lines come after. */
    private long logOffset;
    private Thread shutdownHook;

    private MosquittoBroker(Builder config, Path dir) {
        this.config = config;
        this.dir = dir;
        this.confFile = dir.resolve("mosquitto.conf");
        this.logFile = dir.resolve("mosquitto.log");
        this.outFile = dir.resolve("mosquitto.out");
    }

    /** A builder for a broker with one plain listener and nothing else configured. */
    public static Builder builder() {
        return new Builder();
    }

    /** A started broker with the defaults: one plain listener, anonymous access. */
    public static MosquittoBroker start() throws IOException {
        return builder().start();
    }

    /**
     * The mosquitto executable: {@code mosquitto} on the PATH, else {@code /usr/sbin/mosquitto}.
     *
     * @throws IllegalStateException when mosquitto is not installed (a hard failure, also in CI)
     */
    public static Path executable() {
        String path = System.getenv("PATH");
        List<Path> candidates = new ArrayList<>();
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    candidates.add(Paths.get(entry, "mosquitto"));
                }
            }
        }
        candidates.add(Paths.get("/usr/sbin/mosquitto"));
        candidates.add(Paths.get("/usr/local/sbin/mosquitto"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        throw new IllegalStateException(INSTALL_HINT + (ci
                ? " (CI=true: CI must install mosquitto, there is no fallback broker)"
                : " (there is no in-process fallback broker)")
                + "; looked on PATH and in /usr/sbin, /usr/local/sbin");
    }

    // ------------------------------------------------------------------ accessors

    /** The address every listener binds to: {@value #HOST}. */
    public String host() {
        return HOST;
    }

    /** The plain MQTT listener's port. */
    public int port() {
        return port;
    }

    /**
     * The TLS listener's port (server certificate for localhost/127.0.0.1).
     *
     * @throws IllegalStateException when the broker was built without {@link Builder#tls(TestPki)}
     */
    public int tlsPort() {
        if (config.pki == null) {
            throw new IllegalStateException("this broker has no TLS listener: build it with tls(pki)");
        }
        return tlsPort;
    }

    /**
     * The port of the TLS listener whose certificate names neither localhost nor 127.0.0.1.
     *
     * @throws IllegalStateException when the broker was built without {@link Builder#tlsWrongHost(TestPki)}
     */
    public int wrongHostTlsPort() {
        if (config.wrongHostPki == null) {
            throw new IllegalStateException(
                    "this broker has no wrong-host TLS listener: build it with tlsWrongHost(pki)");
        }
        return wrongHostTlsPort;
    }

    /** The directory holding the configuration and logs. */
    public Path directory() {
        return dir;
    }

    /** Whether the mosquitto process is running. */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The process id of the running broker, or -1. */
    public long pid() {
        return process == null ? -1 : process.pid();
    }

    /** mosquitto's log file so far (it logs every packet: {@code log_type all}), for diagnostics. */
    public String log() {
        return read(logFile);
    }

    /**
     * Waits until mosquitto's log contains {@code fragment}, for at most the timeout. Waits for
     * file-change events (a {@link WatchService} on the broker's directory), not by sleeping.
     *
     * @return whether the fragment appeared in time
     */
    public boolean awaitLog(String fragment, long timeout, TimeUnit unit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        try (WatchService watcher = dir.getFileSystem().newWatchService()) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
            while (true) {
                // registered before this read, so no write after it goes unnoticed
                if (log().contains(fragment)) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                WatchKey key = watcher.poll(left, TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            }
        }
    }

    /** What mosquitto wrote to stdout and stderr (errors before its log file was open). */
    public String output() {
        return read(outFile);
    }

    /** The generated configuration. */
    public String configuration() {
        return read(confFile);
    }

    // ------------------------------------------------------------------ lifecycle

    /** Kills the broker with SIGKILL: no clean shutdown, clients see their sockets reset or hang. */
    public void kill() {
        Process p = process;
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        awaitExit(p, STOP_TIMEOUT_MILLIS);
    }

    /**
     * Starts the broker again on the same ports (after {@link #kill()}, or stopping it first with
     * SIGTERM if it still runs), with the same configuration. The log file is appended to.
     */
    public void restart() throws IOException {
        stopProcess();
        launch();
        awaitReady(true);
    }

    /** Stops the broker (SIGTERM, then SIGKILL after 5 s) and deletes its directory. */
    @Override
    public void close() {
        try {
            stopProcess();
        } finally {
            removeShutdownHook();
            deleteRecursively(dir);
        }
    }

    private void stopProcess() {
        Process p = process;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy(); // SIGTERM
        if (!awaitExit(p, STOP_TIMEOUT_MILLIS)) {
            p.destroyForcibly();
            awaitExit(p, STOP_TIMEOUT_MILLIS);
        }
    }

    private static boolean awaitExit(Process p, long millis) {
        try {
            return p.waitFor(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !p.isAlive();
        }
    }

    /** First start: picks free ports (unless fixed), retrying when another process won the race. */
    private void startFirst() throws IOException {
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
            pickPorts();
            writeFiles();
            launch();
            try {
                awaitReady(false);
                return;
            } catch (PortTakenException e) {
                last = e;
                Files.deleteIfExists(logFile);
            }
        }
        throw new IllegalStateException("mosquitto found a port taken in each of " + PORT_ATTEMPTS
                + " attempts (Address already in use); the last: " + last.getMessage(), last);
    }

    /**
     * Loads mosquitto's dynamic security plugin with one role, given to anonymous clients, that
     * denies subscribing to the {@link Builder#denySubscribe patterns}; everything else is allowed.
     * mosquitto 2.0's plain ACL file cannot refuse a SUBSCRIBE (it grants it and withholds the
     * messages); the plugin answers a denied filter with SUBACK return code 0x80.
     */
    private void writeDynamicSecurity(StringBuilder c) throws IOException {
        Path plugin = null;
        for (String candidate : new String[] {"/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
            "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so", "/usr/lib/mosquitto_dynamic_security.so",
            "/usr/local/lib/mosquitto_dynamic_security.so"}) {
            if (Files.isRegularFile(Paths.get(candidate))) {
                plugin = Paths.get(candidate);
                break;
            }
        }
        if (plugin == null) {
            throw new IllegalStateException("denySubscribe needs mosquitto's dynamic security plugin "
                    + "(mosquitto_dynamic_security.so, in the mosquitto package from 2.0 on); not found in /usr/lib");
        }
        StringBuilder acls = new StringBuilder();
        for (String pattern : config.deniedSubscriptions) {
            acls.append(acls.length() == 0 ? "" : ", ").append("{\"acltype\": \"subscribePattern\", \"topic\": \"")
                    .append(pattern).append("\", \"priority\": 0, \"allow\": false}");
        }
        for (String pattern : config.deniedUnsubscriptions) {
            acls.append(acls.length() == 0 ? "" : ", ").append("{\"acltype\": \"unsubscribePattern\", \"topic\": \"")
                    .append(pattern).append("\", \"priority\": 0, \"allow\": false}");
        }
        String json = "{\n  \"defaultACLAccess\": {\"publishClientSend\": true, \"publishClientReceive\": true, "
                + "\"subscribe\": true, \"unsubscribe\": true},\n  \"clients\": [],\n"
                + "  \"groups\": [{\"groupname\": \"anonymous\", \"roles\": [{\"rolename\": \"deny\"}]}],\n"
                + "  \"roles\": [{\"rolename\": \"deny\", \"acls\": [" + acls + "]}],\n"
                + "  \"anonymousGroup\": \"anonymous\"\n}\n";
        Path file = dir.resolve("dynamic-security.json");
        Files.write(file, json.getBytes(StandardCharsets.UTF_8));
        c.append("plugin ").append(plugin).append('\n');
        c.append("plugin_opt_config_file ").append(file.toAbsolutePath()).append('\n');
    }

    private void pickPorts() throws IOException {
        int needed = 1 + (config.pki != null ? 1 : 0) + (config.wrongHostPki != null ? 1 : 0);
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < needed; i++) {
                ServerSocket s = new ServerSocket();
                sockets.add(s);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            }
            int i = 0;
            port = config.fixedPort != 0 ? config.fixedPort : sockets.get(i).getLocalPort();
            i++;
            if (config.pki != null) {
                tlsPort = sockets.get(i++).getLocalPort();
            }
            if (config.wrongHostPki != null) {
                wrongHostTlsPort = sockets.get(i).getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private void writeFiles() throws IOException {
        StringBuilder c = new StringBuilder();
        c.append("# generated by ").append(MosquittoBroker.class.getName()).append('\n');
        if (isRoot()) {
            c.append("# running as root: keep root, user mosquitto could not read this directory\n");
            c.append("user root\n");
        }
        c.append("persistence false\n");
        c.append("log_dest file ").append(logFile.toAbsolutePath()).append('\n');
        c.append("log_type all\n");
        c.append("log_timestamp_format %Y-%m-%dT%H:%M:%S\n");
        c.append("allow_anonymous ").append(config.users.isEmpty()).append('\n');
        if (!config.users.isEmpty()) {
            Path passwd = dir.resolve("passwd");
            StringBuilder p = new StringBuilder();
            for (Map.Entry<String, String> u : config.users.entrySet()) {
                p.append(u.getKey()).append(':').append(hashPassword(u.getValue())).append('\n');
            }
            Files.write(passwd, p.toString().getBytes(StandardCharsets.UTF_8));
            c.append("password_file ").append(passwd.toAbsolutePath()).append('\n');
        }
        if (!config.deniedSubscriptions.isEmpty() || !config.deniedUnsubscriptions.isEmpty()) {
            writeDynamicSecurity(c);
        }
        for (String line : config.extra) {
            c.append(line).append('\n');
        }
        c.append("\nlistener ").append(port).append(' ').append(HOST).append('\n');
        if (config.pki != null) {
            c.append("\nlistener ").append(tlsPort).append(' ').append(HOST).append('\n');
            tlsListener(c, config.pki, config.pki.serverCertificate(), config.pki.serverKey());
        }
        if (config.wrongHostPki != null) {
            c.append("\nlistener ").append(wrongHostTlsPort).append(' ').append(HOST).append('\n');
            tlsListener(c, config.wrongHostPki, config.wrongHostPki.wrongHostCertificate(),
                    config.wrongHostPki.wrongHostKey());
        }
        Files.write(confFile, c.toString().getBytes(StandardCharsets.UTF_8));
        if (config.maxTlsProtocol != null) {
            // mosquitto's tls_version is only a minimum: cap the version in OpenSSL's own configuration
            String cnf = "openssl_conf = umqtt_test_conf\n\n[umqtt_test_conf]\nssl_conf = umqtt_test_ssl\n\n"
                    + "[umqtt_test_ssl]\nsystem_default = umqtt_test_tls\n\n[umqtt_test_tls]\nMaxProtocol = "
                    + config.maxTlsProtocol + "\n";
            Files.write(opensslConfFile(), cnf.getBytes(StandardCharsets.UTF_8));
        }
    }

    private Path opensslConfFile() {
        return dir.resolve("openssl.cnf");
    }

    private void tlsListener(StringBuilder c, TestPki pki, Path cert, Path key) {
        c.append("cafile ").append(pki.caCertificate().toAbsolutePath()).append('\n');
        c.append("certfile ").append(cert.toAbsolutePath()).append('\n');
        c.append("keyfile ").append(key.toAbsolutePath()).append('\n');
        c.append("require_certificate ").append(config.requireClientCertificate).append('\n');
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** mosquitto's {@code $7$} password hash: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt. */
    static String hashPassword(String password) {
        byte[] salt = new byte[PBKDF2_SALT_BYTES];
        new SecureRandom().nextBytes(salt);
        try {
            PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, PBKDF2_ITERATIONS, PBKDF2_HASH_BITS);
            byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512").generateSecret(spec).getEncoded();
            Base64.Encoder b64 = Base64.getEncoder();
            return "$7$" + PBKDF2_ITERATIONS + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA512 is not available: " + e, e);
        }
    }

    private void launch() throws IOException {
        logOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
        ProcessBuilder pb = new ProcessBuilder(executable().toString(), "-c", confFile.toAbsolutePath().toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()));
        pb.environment().putAll(config.env);
        if (config.maxTlsProtocol != null) {
            pb.environment().put("OPENSSL_CONF", opensslConfFile().toAbsolutePath().toString());
        }
        process = pb.start();
        if (shutdownHook == null) {
            shutdownHook = new Thread(this::killQuietly, "mosquitto-shutdown-" + port);
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
    }

    /** The shutdown hook: a test that forgot {@link #close()} leaves neither process nor files. */
    private void killQuietly() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            awaitExit(p, STOP_TIMEOUT_MILLIS);
        }
        deleteRecursively(dir);
    }

    private void removeShutdownHook() {
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down; the hook runs anyway
            }
            shutdownHook = null;
        }
    }

    /**
     * Waits until this process has logged that it runs (it does so once every listener is open)
     * and every listener accepts TCP connections: polls, waiting for the process to exit between
     * attempts, for at most {@value #READY_TIMEOUT_MILLIS} ms. The log line matters: a probe alone
     * could be accepted by another process that won a port while this mosquitto failed to bind it.
     */
    private void awaitReady(boolean restart) throws IOException {
        Process p = process;
        List<Integer> ports = new ArrayList<>();
        ports.add(port);
        if (config.pki != null) {
            ports.add(tlsPort);
        }
        if (config.wrongHostPki != null) {
            ports.add(wrongHostTlsPort);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        boolean running = false;
        while (!ports.isEmpty()) {
            if (!p.isAlive()) {
                String log = log() + output();
                String message = "mosquitto " + (restart ? "restart" : "start") + " failed: it exited with code "
                        + p.exitValue() + " before listening on " + HOST + ":" + ports + "\n" + diagnostics();
                if (!restart && log.contains("Address already in use")) {
                    throw new PortTakenException(message);
                }
                throw new IllegalStateException(message);
            }
            if (!running) {
                running = RUNNING.matcher(logSinceLaunch()).find();
            }
            if (running && accepts(ports.get(0))) {
                ports.remove(0);
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                stopProcess();
                throw new IllegalStateException("mosquitto did not listen on " + HOST + ":" + ports + " within "
                        + READY_TIMEOUT_MILLIS + " ms\n" + diagnostics());
            }
            try {
                // condition wait: returns early when the process exits, else polls again in 20 ms
                p.onExit().get(Math.min(20, TimeUnit.NANOSECONDS.toMillis(left) + 1), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // still running and not yet listening: poll again
            } catch (ExecutionException e) {
                throw new IllegalStateException("waiting for mosquitto failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopProcess();
                throw new IOException("interrupted while waiting for mosquitto to listen");
            }
        }
    }

    private String logSinceLaunch() {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            byte[] log = Files.readAllBytes(logFile);
            int from = log.length >= logOffset ? (int) logOffset : 0;
            return new String(log, from, log.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + logFile, e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private String diagnostics() {
        return "--- " + confFile + " ---\n" + configuration() + "--- " + logFile + " ---\n" + log() + "--- "
                + outFile + " ---\n" + output();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // leftovers in the temp dir do no harm
        }
    }

    @Override
    public String toString() {
        return "MosquittoBroker[" + HOST + ":" + port + (config.pki != null ? ", tls " + tlsPort : "")
                + (config.wrongHostPki != null ? ", wrong-host tls " + wrongHostTlsPort : "")
                + (isRunning() ? ", pid " + pid() : ", stopped") + "]";
    }

    /** Another process bound a port between choosing and mosquitto's bind. */
    private static final class PortTakenException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        PortTakenException(String message) {
            super(message);
        }
    }

    /** Describes the broker to start. */
    public static final class Builder {
        private final Map<String, String> users = new LinkedHashMap<>();
        private final List<String> extra = new ArrayList<>();
        private final List<String> deniedSubscriptions = new ArrayList<>();
        private final List<String> deniedUnsubscriptions = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private String maxTlsProtocol;
        private TestPki pki;
        private TestPki wrongHostPki;
        private boolean requireClientCertificate;
        private int fixedPort;

        private Builder() {
        }

        /**
         * Adds a user to the password file. Once any user is set, anonymous clients are refused
         * ({@code allow_anonymous false}). The password is hashed here the way
         * {@code mosquitto_passwd} does ({@code $7$}: PBKDF2-HMAC-SHA512 over its UTF-8 bytes), so
         * that tool is not needed and the password never appears on a command line.
         */
        public Builder user(String user, String password) {
            if (user == null || user.isEmpty() || user.indexOf(':') >= 0 || user.indexOf('\n') >= 0) {
                throw new IllegalArgumentException(
                        "user must be non-empty without ':' or newline, found '" + user + "'");
            }
            if (password == null) {
                throw new IllegalArgumentException("password must not be null");
            }
            users.put(user, password);
            return this;
        }

        /** Adds a TLS listener on its own free port serving {@code pki}'s localhost certificate. */
        public Builder tls(TestPki pki) {
            this.pki = requireNonNull(pki);
            return this;
        }

        /** Whether the TLS listeners demand a client certificate signed by the CA (default false). */
        public Builder requireClientCertificate(boolean require) {
            this.requireClientCertificate = require;
            return this;
        }

        /**
         * Adds a TLS listener serving {@code pki}'s certificate for {@code wrong.example.invalid},
         * which matches neither localhost nor 127.0.0.1 (but is signed by the trusted CA).
         */
        public Builder tlsWrongHost(TestPki pki) {
            this.wrongHostPki = requireNonNull(pki);
            return this;
        }

        /**
         * Adds a raw configuration line. Lines come after the generated global options and before
         * the generated listeners, so global options apply; a later line wins where mosquitto allows
         * repetition.
         */
        public Builder config(String line) {
            if (line == null || line.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("config takes one line, found '" + line + "'");
            }
            extra.add(line);
            return this;
        }

        /**
         * Makes the broker refuse SUBSCRIBEs of filters matching {@code pattern} (SUBACK return
         * code 0x80) for anonymous clients, through mosquitto's dynamic security plugin; other
         * filters are granted. Needs anonymous access (no {@link #user}).
         */
        public Builder denySubscribe(String pattern) {
            if (pattern == null || pattern.isEmpty() || pattern.indexOf('"') >= 0 || pattern.indexOf('\\') >= 0) {
                throw new IllegalArgumentException("denySubscribe takes a topic pattern without quotes or "
                        + "backslashes, found '" + pattern + "'");
            }
            deniedSubscriptions.add(pattern);
            return this;
        }

        /**
         * Makes the broker refuse UNSUBSCRIBEs of filters matching {@code pattern} (on MQTT 5 an
         * UNSUBACK reason code 0x87, not authorized) for anonymous clients, as {@link #denySubscribe}
         * does for SUBSCRIBE.
         */
        public Builder denyUnsubscribe(String pattern) {
            if (pattern == null || pattern.isEmpty() || pattern.indexOf('"') >= 0 || pattern.indexOf('\\') >= 0) {
                throw new IllegalArgumentException("denyUnsubscribe takes a topic pattern without quotes or "
                        + "backslashes, found '" + pattern + "'");
            }
            deniedUnsubscriptions.add(pattern);
            return this;
        }

        /** Sets an environment variable of the mosquitto process (added to this JVM's environment). */
        public Builder env(String name, String value) {
            if (name == null || name.isEmpty() || name.indexOf('=') >= 0 || value == null) {
                throw new IllegalArgumentException("env needs a name without '=' and a value, found " + name + "="
                        + value);
            }
            env.put(name, value);
            return this;
        }

        /**
         * Caps the TLS version the broker's listeners accept, e.g. {@code "TLSv1.2"} (mosquitto's
         * {@code tls_version} is only a minimum): writes an {@code openssl.cnf} with
         * {@code MaxProtocol} into the broker's directory and points {@code OPENSSL_CONF} at it.
         */
        public Builder maxTlsProtocol(String protocol) {
            if (protocol == null || !protocol.matches("TLSv1(\\.[0-3])?")) {
                throw new IllegalArgumentException("maxTlsProtocol takes TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, found '"
                        + protocol + "'");
            }
            this.maxTlsProtocol = protocol;
            return this;
        }

        /** Uses this port for the plain listener instead of a free one (e.g. one used before). */
        public Builder port(int port) {
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port must be 1..65535, found " + port);
            }
            this.fixedPort = port;
            return this;
        }

        /**
         * Writes the configuration, starts mosquitto and waits until every listener accepts TCP
         * connections.
         *
         * @throws IllegalStateException when mosquitto is not installed, or exits or does not listen
         *         within 10 s (the message holds its configuration and log)
         */
        public MosquittoBroker start() throws IOException {
            executable(); // fail fast with the install hint
            Builder copy = copy();
            MosquittoBroker broker = new MosquittoBroker(copy, Files.createTempDirectory("mosquitto-"));
            try {
                broker.startFirst();
            } catch (IOException | RuntimeException e) {
                broker.close();
                throw e;
            }
            return broker;
        }

        private Builder copy() {
            Builder b = new Builder();
            b.users.putAll(users);
            b.extra.addAll(extra);
            b.deniedSubscriptions.addAll(deniedSubscriptions);
            b.deniedUnsubscriptions.addAll(deniedUnsubscriptions);
            b.env.putAll(env);
            b.maxTlsProtocol = maxTlsProtocol;
            b.pki = pki;
            b.wrongHostPki = wrongHostPki;
            b.requireClientCertificate = requireClientCertificate;
            b.fixedPort = fixedPort;
            return b;
        }

        private static TestPki requireNonNull(TestPki pki) {
            if (pki == null) {
                throw new IllegalArgumentException("pki must not be null");
            }
            return pki;
        }
    }
}
