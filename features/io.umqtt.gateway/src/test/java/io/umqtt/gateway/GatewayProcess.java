package io.umqtt.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import io.umqtt.simple.testing.FreePort;

/**
 * The exported gateway jar run as a child process, as a user runs it, with the plumbing that tests
 * need around it: its log, its Gogo shell (on the process's stdin) and its web console over HTTP.
 * <p>
 * The working directory holds what the gateway keeps next to its jar:
 * <ul>
 * <li>{@code conf/}: read by fileinstall; created empty, {@link #copyConf(Path)} fills it;
 * <li>{@code storage/}: the bundle cache and ConfigAdmin's store, written by the gateway, kept
 * across {@link #restart()};
 * <li>{@code gateway.log}: the process's stdout and stderr, appended to across restarts.
 * </ul>
 * Usage:
 *
 * <pre>
 * try (GatewayProcess gateway = new GatewayProcess(dir, GatewayProcess.FreePort.pick(), Map.of())) {
 *     gateway.start();
 *     gateway.awaitConsole();
 *     HttpResponse&lt;String&gt; r = gateway.get("/system/console/bundles.json");
 *     ...
 * }
 * </pre>
 *
 * Waits fail the test (JUnit assertions) with the gateway's log in the message; a wait also fails
 * at once when the gateway process exits. Not thread-safe: use it from the test's thread.
 */
final class GatewayProcess implements AutoCloseable {
    /** How long the console may take to answer with all bundles active. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** How long a connection may take to connect, and a Gogo command to answer. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    /** The console's user and password: the shipped defaults, nothing test-specific. */
    static final String USER = "admin";
    static final String PASSWORD = "admin";

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
    private static final long POLL_MILLIS = 100;
    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(UTF_8));
    private static final Pattern MQTT_SERVICE = Pattern.compile("\\{\"id\":\"(\\d+)\",\"types\":\"\\[io\\.umqtt\\.api\\.MqttConnection");
    private static final Pattern SERVICE_PROPERTY = Pattern.compile("\\{\"key\":\"([^\"]+)\",\"value\":(\"([^\"]*)\"|[^,}\\]]+)");

    private final Path dir;
    private final int httpPort;
    private final Map<String, String> systemProperties;
    private final Path logFile;
    private Path javaHome = Paths.get(System.getProperty("java.home"));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;

    /**
     * A gateway that will run in {@code dir} (created if needed, with an empty {@code conf/}) and
     * serve the console on 127.0.0.1:{@code httpPort}. Nothing starts yet.
     *
     * @param systemProperties further {@code -D} properties for the gateway's JVM, after (and so
     *        overriding) the defaults {@code org.osgi.service.http.port=<httpPort>} and
     *        {@code gosh.args=--noshutdown} (the shell reads our pipe; its end does not stop the
     *        framework)
     */
    GatewayProcess(Path dir, int httpPort, Map<String, String> systemProperties) throws IOException {
        if (httpPort < 1 || httpPort > 65_535) {
            throw new IllegalArgumentException("httpPort must be 1..65535, found " + httpPort);
        }
        this.dir = dir;
        this.httpPort = httpPort;
        this.systemProperties = new LinkedHashMap<>();
        this.systemProperties.put("org.osgi.service.http.port", Integer.toString(httpPort));
        this.systemProperties.put("gosh.args", "--noshutdown");
        this.systemProperties.putAll(systemProperties);
        this.logFile = dir.resolve("gateway.log");
        Files.createDirectories(dir.resolve("conf"));
    }

    /** The gateway jar under test: system property {@code umqtt.gateway.jar}, set by the pom. */
    static Path jar() {
        String path = System.getProperty("umqtt.gateway.jar");
        assertTrue(path != null, "system property umqtt.gateway.jar is not set (run the test through mvn verify)");
        Path jar = Paths.get(path);
        assertTrue(Files.isRegularFile(jar), () -> "no gateway jar at " + jar + " (run mvn verify, not only the test)");
        return jar;
    }

    /** The {@code conf/} directory shipped beside the built jar (the demo configurations). */
    static Path shippedConf() {
        return jar().resolveSibling("conf");
    }


    /**
     * Runs the gateway with the JDK (or JRE) at {@code home} instead of the one that runs the
     * tests. Call it before {@link #start()}.
     */
    GatewayProcess javaHome(Path home) {
        this.javaHome = home;
        return this;
    }

    /** The {@code java} executable that {@link #start()} runs. */
    Path javaExecutable() {
        return javaHome.resolve("bin").resolve("java");
    }

    // ------------------------------------------------------------------ accessors

    Path directory() {
        return dir;
    }

    int httpPort() {
        return httpPort;
    }

    Path logFile() {
        return logFile;
    }

    /** Whether the gateway process runs. */
    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** The gateway's output so far, all runs. */
    String log() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The log's size in bytes now: an offset for {@link #logSince(long)} and {@link #awaitLogLine}. */
    long logSize() throws IOException {
        return Files.exists(logFile) ? Files.size(logFile) : 0;
    }

    /** The gateway's output after {@code offset} bytes of the log. */
    String logSince(long offset) throws IOException {
        if (!Files.exists(logFile)) {
            return "";
        }
        byte[] all = Files.readAllBytes(logFile);
        int from = (int) Math.min(offset, all.length);
        return new String(all, from, all.length - from, UTF_8);
    }

    // ------------------------------------------------------------------ the process

    /**
     * Copies the files of {@code source} (subdirectories included) into the working directory's
     * {@code conf/}, where fileinstall applies them at start. Call it before {@link #start()}.
     */
    /**
     * Fills {@code conf/} with the shipped configuration ({@link #shippedConf()}), the demo broker
     * and the robust demo connection moved to {@code mqttPort}, the heartbeat every second.
     */
    GatewayProcess shippedConfOn(int mqttPort) throws IOException {
        copyConf(shippedConf());
        Path conf = dir.resolve("conf");
        for (String file : new String[] { "io.umqtt.demo.broker.cfg", "io.umqtt.robust-demo.cfg" }) {
            rewrite(conf.resolve(file), "port=1883", "port=" + mqttPort);
        }
        rewrite(conf.resolve("io.umqtt.demo.heartbeat.cfg"), "period=10", "period=1");
        return this;
    }

    /**
     * Replaces {@code from} (which must be there) by {@code to} in a file of {@code conf/}: written
     * outside conf/ and moved in, so fileinstall never sees a half-written or foreign file.
     */
    static void rewrite(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.contains(from), () -> file + " no longer has '" + from + "':\n" + text);
        Path tmp = file.getParent().resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text.replace(from, to));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    GatewayProcess copyConf(Path source) throws IOException {
        Path target = dir.resolve("conf");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return this;
    }

    /**
     * Starts {@code java -D... -jar umqtt-gateway.jar} in the working directory, with the test's own
     * JDK unless {@link #javaHome(Path)} named another; returns at once.
     */
    void start() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("the gateway already runs (pid " + process.pid() + ")");
        }
        List<String> command = new ArrayList<>();
        command.add(javaExecutable().toString());
        systemProperties.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add("-jar");
        command.add(jar().toString());
        process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
    }

    /**
     * Stops the gateway with SIGTERM (the launcher stops the framework cleanly) and waits for it;
     * fails the test when it does not stop within 10 s (it is then killed). Does nothing when it is
     * not running.
     */
    void stop() throws InterruptedException {
        Process p = process;
        if (p == null) {
            return;
        }
        process = null;
        List<ProcessHandle> children = p.descendants().collect(Collectors.toList());
        p.destroy();
        if (!p.waitFor(STOP_TIMEOUT.toMillis(), MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, SECONDS);
            fail("the gateway did not stop within " + STOP_TIMEOUT + " of SIGTERM; log:\n" + log());
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    /** {@link #stop()}, then {@link #start()} in the same directory: storage and conf are kept. */
    void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** Waits {@code millis} for the gateway to exit: a bounded pause that fails fast if it died. */
    private void pause(long millis) throws InterruptedException {
        Process p = process;
        if (p == null) {
            fail("the gateway is not running; log:\n" + log());
        }
        if (p.waitFor(millis, MILLISECONDS)) {
            fail("the gateway exited with " + p.exitValue() + "; log:\n" + log());
        }
    }

    // ------------------------------------------------------------------ log and shell

    /**
     * Waits until a line written to the log after {@code offset} bytes matches; a leading Gogo
     * prompt {@code "g! "} is taken off before the test.
     *
     * @return the matching line, as logged
     */
    String awaitLogLine(long offset, Predicate<String> expected, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String out = logSince(offset);
            for (String l : out.split("\n")) {
                if (expected.test(l.replaceFirst("^g! ", ""))) {
                    return l;
                }
            }
            if (System.nanoTime() > deadline) {
                fail("no expected output of " + what + " within " + timeout + "; got:\n" + out);
            }
            pause(POLL_MILLIS);
        }
    }

    /** Types a command into the gateway's Gogo shell and waits for an output line that matches. */
    String gogo(String command, Predicate<String> expected) throws Exception {
        long offset = logSize();
        Process p = process;
        if (p == null) {
            fail("the gateway is not running; cannot type '" + command + "'");
        }
        OutputStream stdin = p.getOutputStream();
        stdin.write((command + "\n").getBytes(UTF_8));
        stdin.flush();
        return awaitLogLine(offset, expected, CONNECT_TIMEOUT, "'" + command + "'");
    }

    // ------------------------------------------------------------------ the console

    /**
     * Waits until the console answers, says all bundles are active, and serves its service list
     * (the services plugin registers itself after the bundles are active: under load, a 404 for a
     * while after).
     */
    void awaitConsole() throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        ConnectException refused = null;
        while (true) {
            try {
                HttpResponse<String> r = get("/system/console/bundles.json");
                if (r.statusCode() == 200 && r.body().contains("all ")
                        && get("/system/console/services.json").statusCode() == 200) {
                    // "N bundles in total - all N bundles active."
                    assertTrue(r.body().contains("bundles active"), r::body);
                    return;
                }
            } catch (ConnectException notYet) {
                refused = notYet; // Jetty is not listening yet: wait below, report it if it never does
            }
            if (System.nanoTime() > deadline) {
                fail("the web console did not answer within " + START_TIMEOUT + " (last: " + refused + "); log:\n" + log());
            }
            pause(POLL_MILLIS);
        }
    }

    /**
     * Polls the console's service list until the {@code MqttConnection} service with this
     * {@code mqtt.connection.name} says it is connected.
     *
     * @return that service's properties (values as the console shows them)
     */
    Map<String, String> awaitConnected(String name) throws Exception {
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        Map<String, String> last = Map.of();
        while (true) {
            for (String id : mqttServiceIds()) {
                Map<String, String> props = serviceProperties(id);
                if (name.equals(props.get("mqtt.connection.name"))) {
                    last = props;
                    if ("true".equals(props.get("mqtt.connected"))) {
                        return props;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                fail("connection " + name + " not connected within " + CONNECT_TIMEOUT + "; its service: " + last
                        + "\nlog:\n" + log());
            }
            pause(POLL_MILLIS);
        }
    }

    /** The service ids of the registered {@code io.umqtt.api.MqttConnection} services. */
    List<String> mqttServiceIds() throws Exception {
        HttpResponse<String> r = get("/system/console/services.json");
        assertEquals(200, r.statusCode(), r::body);
        List<String> ids = new ArrayList<>();
        Matcher m = MQTT_SERVICE.matcher(r.body());
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    /** A service's properties as the console lists them; empty when it is gone. */
    Map<String, String> serviceProperties(String id) throws Exception {
        HttpResponse<String> r = get("/system/console/services/" + id + ".json");
        Map<String, String> props = new LinkedHashMap<>();
        if (r.statusCode() != 200) {
            return props; // unregistered in between
        }
        Matcher m = SERVICE_PROPERTY.matcher(r.body());
        while (m.find()) {
            props.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(2));
        }
        return props;
    }

    /**
     * Posts what the console's configuration form posts on "Save" for a new configuration of
     * {@code factoryPid}: the properties in their map order. The console answers 302 with the new
     * configuration's page as {@code Location}; the caller checks.
     */
    HttpResponse<String> createFactoryConfiguration(String factoryPid, Map<String, String> properties)
            throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("apply", "true");
        form.put("action", "ajaxConfigManager");
        form.put("factoryPid", factoryPid);
        form.put("propertylist", String.join(",", properties.keySet()));
        form.putAll(properties);
        return post("/system/console/configMgr/" + factoryPid, form);
    }

    /**
     * Posts what the console's configuration form posts on "Save" for the existing configuration
     * {@code pid}: the properties in their map order (the console keeps the configuration's other
     * properties). The console answers 302; the caller checks.
     */
    HttpResponse<String> updateConfiguration(String pid, Map<String, String> properties)
            throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("apply", "true");
        form.put("action", "ajaxConfigManager");
        form.put("propertylist", String.join(",", properties.keySet()));
        form.putAll(properties);
        return post("/system/console/configMgr/" + pid, form);
    }

    /** GET with the console's credentials. */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", AUTH)
                .timeout(HTTP_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POST of an {@code application/x-www-form-urlencoded} form with the console's credentials. */
    HttpResponse<String> post(String path, Map<String, String> form) throws IOException, InterruptedException {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), UTF_8) + "=" + URLEncoder.encode(e.getValue(), UTF_8))
                .collect(Collectors.joining("&"));
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", AUTH)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(HTTP_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code http://127.0.0.1:<port><path>}; {@code path} starts with {@code /}. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    /**
     * {@link #uri(String)} with the console's user and password in it, for a browser: it takes them
     * from the address for the page and reuses them for the page's scripts and requests.
     */
    URI uriWithCredentials(String path) {
        return URI.create("http://" + USER + ":" + PASSWORD + "@127.0.0.1:" + httpPort + path);
    }
}
