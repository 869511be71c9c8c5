package io.umqtt.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.simple.testing.MosquittoBroker;

/**
 * Starts the exported gateway jar as a process, as a user would, and drives its web console over
 * HTTP: a robust connection created through the console's configuration manager connects to a
 * mosquitto started here, and is still there, connected, after the gateway restarts.
 */
class GatewayIT {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("admin:admin".getBytes(UTF_8));
    private static final Pattern MQTT_SERVICE = Pattern.compile("\\{\"id\":\"(\\d+)\",\"types\":\"\\[io\\.umqtt\\.api\\.MqttConnection");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process gateway;
    private int httpPort;
    private MosquittoBroker broker;

    @AfterEach
    void stop() throws InterruptedException {
        try {
            stopGateway();
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    void connectionCreatedInTheWebConsoleConnectsAndSurvivesARestart() throws Exception {
        broker = MosquittoBroker.start();
        httpPort = freePort();
        Files.createDirectories(dir.resolve("conf"));

        long started = System.nanoTime();
        startGateway();
        awaitConsole();
        long consoleUp = System.nanoTime();

        // the configuration page has the Metatype forms of both client components
        for (String[] ocd : new String[][] { { "io.umqtt.simple", "umqtt simple MQTT connection" },
                { "io.umqtt.robust", "umqtt robust MQTT connection" } }) {
            HttpResponse<String> r = post("/system/console/configMgr/" + ocd[0], Map.of());
            assertEquals(200, r.statusCode(), r::body);
            assertTrue(r.body().contains("\"title\":\"" + ocd[1] + "\"") && r.body().contains("\"server\":{"),
                    () -> ocd[0] + " form: " + r.body());
        }

        Map<String, String> form = new LinkedHashMap<>();
        form.put("apply", "true");
        form.put("action", "ajaxConfigManager");
        form.put("factoryPid", "io.umqtt.robust");
        form.put("propertylist", "name,server,port,client.id,keepalive");
        form.put("name", "it-console");
        form.put("server", broker.host());
        form.put("port", Integer.toString(broker.port()));
        form.put("client.id", "gateway-it");
        form.put("keepalive", "30");
        HttpResponse<String> created = post("/system/console/configMgr/io.umqtt.robust", form);
        // the console answers a form POST with a redirect to the new configuration's page
        assertEquals(302, created.statusCode(), () -> "configMgr POST: " + created.body());
        String location = created.headers().firstValue("Location").orElse("");
        assertTrue(location.contains("/configMgr/io.umqtt.robust."), () -> "redirect to the new PID, got " + location);

        Map<String, String> props = awaitConnected("it-console");
        long connected = System.nanoTime();
        assertEquals(broker.host(), props.get("mqtt.server"));
        assertEquals(Integer.toString(broker.port()), props.get("mqtt.port"));
        assertEquals("gateway-it", props.get("mqtt.client.id"));
        assertTrue(broker.awaitLog("as gateway-it", 5, java.util.concurrent.TimeUnit.SECONDS), broker::log);
        System.out.printf("gateway: console up %d ms, connection created in the console connected %d ms after start%n",
                (consoleUp - started) / 1_000_000, (connected - started) / 1_000_000);

        // the operators' Gogo command shows it with its state and counters
        String line = gogo("mqtt:list", l -> l.startsWith("it-console ") && l.contains("CONNECTED"));
        assertTrue(line.contains(broker.host() + ":" + broker.port()) && line.contains("attempts=1"), line);

        // the ConfigAdmin store lives in ./storage: a restart keeps the connection
        stopGateway();
        long restarted = System.nanoTime();
        startGateway();
        awaitConsole();
        awaitConnected("it-console");
        System.out.printf("gateway: restarted and connected again in %d ms%n", (System.nanoTime() - restarted) / 1_000_000);
    }

    // ------------------------------------------------------------------ the process

    private void startGateway() throws IOException {
        Path jar = Paths.get(System.getProperty("umqtt.gateway.jar"));
        assertTrue(Files.isRegularFile(jar), () -> "no gateway jar at " + jar + " (run mvn verify, not only the test)");
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        // the Gogo shell reads commands from our pipe; --noshutdown: its end does not stop the framework
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Dorg.osgi.service.http.port=" + httpPort,
                "-Dgosh.args=--noshutdown", "-jar", jar.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("gateway.log").toFile()));
        gateway = pb.start();
    }

    private void stopGateway() throws InterruptedException {
        Process p = gateway;
        if (p == null) {
            return;
        }
        gateway = null;
        List<ProcessHandle> children = p.descendants().collect(Collectors.toList());
        p.destroy(); // SIGTERM: the launcher stops the framework cleanly
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            fail("the gateway did not stop within 10 s of SIGTERM; log:\n" + log());
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("gateway.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Waits {@code millis} for the gateway to exit: a bounded pause that fails fast if it died. */
    private void pause(long millis) throws InterruptedException {
        if (gateway.waitFor(millis, MILLISECONDS)) {
            fail("the gateway exited with " + gateway.exitValue() + "; log:\n" + log());
        }
    }

    /** Types a command into the gateway's Gogo shell and waits for an output line that matches. */
    private String gogo(String command, java.util.function.Predicate<String> expected) throws Exception {
        long offset = Files.size(dir.resolve("gateway.log"));
        gateway.getOutputStream().write((command + "\n").getBytes(UTF_8));
        gateway.getOutputStream().flush();
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        while (true) {
            String out = log().substring((int) offset);
            for (String l : out.split("\n")) {
                if (expected.test(l.replaceFirst("^g! ", ""))) {
                    return l;
                }
            }
            if (System.nanoTime() > deadline) {
                fail("no expected output of '" + command + "' within " + CONNECT_TIMEOUT + "; got:\n" + out);
            }
            pause(100);
        }
    }

    // ------------------------------------------------------------------ the console

    private void awaitConsole() throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        ConnectException refused = null;
        while (true) {
            try {
                HttpResponse<String> r = get("/system/console/bundles.json");
                if (r.statusCode() == 200 && r.body().contains("all ")) {
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
            pause(100);
        }
    }

    /** Polls the console's service list until the named connection's service says it is connected. */
    private Map<String, String> awaitConnected(String name) throws Exception {
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
            pause(100);
        }
    }

    private List<String> mqttServiceIds() throws Exception {
        HttpResponse<String> r = get("/system/console/services.json");
        assertEquals(200, r.statusCode(), r::body);
        List<String> ids = new ArrayList<>();
        Matcher m = MQTT_SERVICE.matcher(r.body());
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    private Map<String, String> serviceProperties(String id) throws Exception {
        HttpResponse<String> r = get("/system/console/services/" + id + ".json");
        Map<String, String> props = new LinkedHashMap<>();
        if (r.statusCode() != 200) {
            return props; // unregistered in between
        }
        Matcher m = Pattern.compile("\\{\"key\":\"([^\"]+)\",\"value\":(\"([^\"]*)\"|[^,}\\]]+)").matcher(r.body());
        while (m.find()) {
            props.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(2));
        }
        return props;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", AUTH)
                .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, Map<String, String> form) throws IOException, InterruptedException {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), UTF_8) + "=" + URLEncoder.encode(e.getValue(), UTF_8))
                .collect(Collectors.joining("&"));
        return http.send(HttpRequest.newBuilder(uri(path)).header("Authorization", AUTH)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

}
