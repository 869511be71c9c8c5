package io.umqtt.karaf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.umqtt.simple.testing.MosquittoBroker;

/**
 * Boots a real Karaf 4.4 (the distribution the build unpacked, as a separate process on Java 17) and
 * does in its console what docs/deploying.md tells a Karaf user to type: {@code feature:repo-add} of this
 * build's features.xml by its Maven URL, {@code feature:install} of each feature, and a robust
 * connection made with {@code config:edit --factory} that connects to a mosquitto started here.
 * <p>
 * One Karaf serves the whole class; every test leaves it as it found it (no umqtt feature, bundle or
 * configuration: {@link #uninstallEverythingUmqtt()}), so each feature is installed into a Karaf
 * that has none of the others and must bring everything it needs by itself. Karaf resolves offline
 * from its {@code system/} folder and the build's repository ({@link KarafInstance}): an artifact the
 * features need and the build did not provide fails the install.
 */
class KarafFeaturesIT {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);

    private static final String API = "io.umqtt.api";
    private static final String SIMPLE = "io.umqtt.simple";
    private static final String ROBUST = "io.umqtt.robust";
    private static final String WHITEBOARD = "io.umqtt.whiteboard";
    private static final String SIMPLE_COMPONENT = "io.umqtt.simple.internal.SimpleConnectionComponent";
    private static final String ROBUST_COMPONENT = "io.umqtt.robust.internal.RobustConnectionComponent";
    private static final String WHITEBOARD_COMPONENT = "io.umqtt.whiteboard.internal.WhiteboardComponent";
    /** The DS component states that count as satisfied (Felix SCR's names). */
    private static final Set<String> SATISFIED = Set.of("SATISFIED", "ACTIVE");

    /** scr:list: "NAME in bundle ID (BSN:VERSION) enabled, N instance(s)." then "    Id: X, State:STATE..." lines. */
    private static final Pattern COMPONENT = Pattern.compile(
            "^(\\S+) in bundle \\d+ \\(([^:]+):[^)]*\\) (enabled|disabled), (\\d+) instances?\\.$");
    private static final Pattern INSTANCE = Pattern.compile("^\\s+Id: \\d+, State:(\\w+).*$");
    private static final Pattern PID = Pattern.compile("^Pid:\\s+(\\S+)\\s*$", Pattern.MULTILINE);

    private static long classStarted;
    private static MosquittoBroker broker;
    private static KarafInstance karaf;

    @BeforeAll
    static void bootKaraf() throws Exception {
        classStarted = System.nanoTime();
        broker = MosquittoBroker.start();

        String version = System.getProperty("umqtt.version");
        Path repository = Paths.get(System.getProperty("umqtt.karaf.repository"));
        // the features.xml under its Maven coordinates, so that the mvn: URL of docs/deploying.md resolves
        Path features = repository.resolve("io/umqtt/io.umqtt.karaf/" + version)
                .resolve("io.umqtt.karaf-" + version + "-features.xml");
        Files.createDirectories(features.getParent());
        Files.copy(Paths.get(System.getProperty("umqtt.features")), features, StandardCopyOption.REPLACE_EXISTING);

        long started = System.nanoTime();
        karaf = KarafInstance.start(Paths.get(System.getProperty("umqtt.karaf.home")),
                Paths.get(System.getProperty("umqtt.karaf.base")), repository);
        karaf.awaitBooted(BOOT_TIMEOUT);
        System.out.printf("karaf: booted (console answers, boot features started) in %d ms, pid %d, instance %s%n",
                millisSince(started), karaf.pid(), karaf.base());

        karaf.run("feature:repo-add mvn:io.umqtt/io.umqtt.karaf/" + version + "/xml/features");
        String repos = karaf.run("feature:repo-list --no-format");
        assertTrue(repos.contains("umqtt-" + version), () -> "feature:repo-list:\n" + repos + karaf.diagnostics());
    }

    @AfterAll
    static void stopKaraf() throws Exception {
        try {
            if (karaf != null) {
                long stopping = System.nanoTime();
                String statistics = karaf.shellStatistics();
                karaf.close();
                System.out.printf("karaf: stopped in %d ms; %s; the whole class took %d ms%n", millisSince(stopping),
                        statistics, millisSince(classStarted));
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @AfterEach
    void uninstallEverythingUmqtt() {
        Matcher pid = PID.matcher(karaf.run("config:list \"(|(service.factoryPid=" + ROBUST + ")(service.factoryPid="
                + SIMPLE + "))\""));
        while (pid.find()) {
            karaf.run("config:delete " + pid.group(1));
        }
        List<String> required = installedFeatures().entrySet().stream()
                .filter(e -> e.getKey().startsWith("umqtt") && e.getValue().required)
                .map(Map.Entry::getKey).collect(Collectors.toList());
        if (!required.isEmpty()) {
            karaf.run("feature:uninstall " + String.join(" ", required));
        }
        Map<String, String> left = umqttBundles();
        assertTrue(left.isEmpty(), () -> "umqtt bundles left after feature:uninstall " + required + ": " + left
                + karaf.diagnostics());
    }

    static Stream<Arguments> features() {
        return Stream.of(
                Arguments.of("umqtt-api", Set.of(API), Map.of()),
                // the clients' components wait for a factory configuration: no instance until one exists
                Arguments.of("umqtt-simple", Set.of(API, SIMPLE), Map.of(SIMPLE_COMPONENT, 0)),
                Arguments.of("umqtt-robust", Set.of(API, SIMPLE, ROBUST),
                        Map.of(SIMPLE_COMPONENT, 0, ROBUST_COMPONENT, 0)),
                // the whiteboard's own component needs no configuration and no connection
                Arguments.of("umqtt-whiteboard", Set.of(API, WHITEBOARD), Map.of(WHITEBOARD_COMPONENT, 1)),
                Arguments.of("umqtt", Set.of(API, SIMPLE, ROBUST, WHITEBOARD),
                        Map.of(SIMPLE_COMPONENT, 0, ROBUST_COMPONENT, 0, WHITEBOARD_COMPONENT, 1)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("features")
    void featureInstallsAloneWithItsBundlesActiveAndComponentsSatisfied(String feature, Set<String> bundles,
            Map<String, Integer> components) {
        install(feature);
        assertActive(feature, bundles);
        assertComponents(feature, components);
    }

    @Test
    void robustConnectionConfiguredInTheConsoleConnectsToMosquitto() throws Exception {
        // the steps of docs/deploying.md, with this test's broker and a client id to find in its log
        install("umqtt-robust umqtt-whiteboard");
        assertActive("umqtt-robust umqtt-whiteboard", Set.of(API, SIMPLE, ROBUST, WHITEBOARD));

        String name = "karaf-it";
        String clientId = "umqtt-karaf-it";
        long configured = System.nanoTime();
        // one console session: the configuration being edited lives in the session
        karaf.run(String.join("; ",
                "config:edit --factory --alias " + name + " " + ROBUST,
                "config:property-set name " + name,
                "config:property-set server " + broker.host(),
                "config:property-set port " + broker.port(),
                "config:property-set client.id " + clientId,
                "config:update"));

        Map<String, String> service = awaitConnected(name);
        long connected = System.nanoTime();
        assertEquals(broker.host(), service.get("mqtt.server"), service::toString);
        assertEquals(Integer.toString(broker.port()), service.get("mqtt.port"), service::toString);
        assertEquals(clientId, service.get("mqtt.client.id"), service::toString);
        assertEquals("robust", service.get("mqtt.connection.kind"), service::toString);
        assertTrue(broker.awaitLog(" as " + clientId + " ", 10, TimeUnit.SECONDS),
                () -> "mosquitto did not log " + clientId + " connecting; its log:\n" + broker.log());
        assertComponents("configured", Map.of(SIMPLE_COMPONENT, 0, ROBUST_COMPONENT, 1, WHITEBOARD_COMPONENT, 1));
        System.out.printf("karaf: the robust connection made with config:edit connected in %d ms%n",
                (connected - configured) / 1_000_000);
    }

    @Test
    void robustConnectionFromAnEtcFileConnectsAndGoesWithTheFile() throws Exception {
        // the other way in docs/deploying.md: a file etc/<factory pid>-<alias>.cfg, read by Karaf's fileinstall
        install("umqtt-robust");
        String name = "etc-file";
        String clientId = "umqtt-karaf-etc";
        Path cfg = karaf.base().resolve("etc").resolve(ROBUST + "-" + name + ".cfg");
        try {
            Files.write(cfg, List.of("name = " + name, "server = " + broker.host(), "port = " + broker.port(),
                    "client.id = " + clientId));
            Map<String, String> service = awaitConnected(name);
            assertEquals(Integer.toString(broker.port()), service.get("mqtt.port"), service::toString);
            assertTrue(broker.awaitLog(" as " + clientId + " ", 10, TimeUnit.SECONDS),
                    () -> "mosquitto did not log " + clientId + " connecting; its log:\n" + broker.log());
        } finally {
            Files.deleteIfExists(cfg);
        }
        // deleting the file deletes the configuration, and with it the connection
        awaitGone(name);
    }

    // ------------------------------------------------------------------ console helpers

    /** Installs a feature into a Karaf without umqtt bundles (a fresh one, or as {@link #uninstallEverythingUmqtt()} left it). */
    private static void install(String feature) {
        long started = System.nanoTime();
        karaf.run("feature:install " + feature);
        System.out.printf("karaf: feature:install %s took %d ms%n", feature, millisSince(started));
    }

    /**
     * The io.umqtt.* bundles are exactly {@code expected}, all Active, and every installed feature (the
     * space-separated {@code feature} names among them) is Started.
     */
    private static void assertActive(String feature, Set<String> expected) {
        Map<String, String> bundles = umqttBundles();
        assertEquals(expected, bundles.keySet(), () -> feature + ": umqtt bundles " + bundles + karaf.diagnostics());
        bundles.forEach((bsn, state) -> assertEquals("Active", state,
                () -> feature + ": bundle " + bsn + " is " + state + "\n" + karaf.exec("bundle:diag " + bsn).output()
                        + karaf.diagnostics()));
        // scr and the umqtt features: "Started" once all their bundles are
        Map<String, FeatureState> features = installedFeatures();
        for (String name : feature.split(" ")) {
            assertTrue(features.containsKey(name), () -> name + ": not installed; installed: " + features.keySet());
        }
        if (!bundles.keySet().equals(Set.of(API))) { // every umqtt bundle but the API has a DS component
            assertTrue(features.containsKey("scr"), () -> feature + ": no scr feature; installed: " + features.keySet());
        }
        features.forEach((name, f) -> assertEquals("Started", f.state,
                () -> feature + ": feature " + name + " is " + f.state + karaf.diagnostics()));
    }

    /**
     * The umqtt DS components are exactly those expected, each enabled, with the expected number of
     * instances (component configurations), every one of them satisfied.
     */
    private static void assertComponents(String feature, Map<String, Integer> expected) {
        String out = karaf.run("scr:list | cat"); // scr:list returns DTOs: printed only when piped
        Map<String, List<String>> instances = new TreeMap<>();
        Map<String, Boolean> enabled = new TreeMap<>();
        String current = null;
        for (String line : out.split("\n")) {
            Matcher c = COMPONENT.matcher(line);
            Matcher i = INSTANCE.matcher(line);
            if (c.matches()) {
                current = c.group(2).startsWith("io.umqtt.") ? c.group(1) : null;
                if (current != null) {
                    enabled.put(current, c.group(3).equals("enabled"));
                    instances.put(current, new ArrayList<>());
                }
            } else if (i.matches() && current != null) {
                instances.get(current).add(i.group(1));
            }
        }
        assertEquals(new TreeMap<>(expected).keySet(), instances.keySet(), () -> feature + ": scr:list\n" + out);
        expected.forEach((name, count) -> {
            assertTrue(enabled.get(name), () -> feature + ": " + name + " is disabled; scr:list\n" + out);
            assertEquals(count, instances.get(name).size(), () -> feature + ": instances of " + name + "; scr:list\n" + out);
            assertTrue(SATISFIED.containsAll(instances.get(name)),
                    () -> feature + ": " + name + " is not satisfied; scr:list\n" + out + "\n"
                            + karaf.exec("scr:info " + name + " | cat").output());
        });
    }

    /** Polls {@code service:list io.umqtt.api.MqttConnection} until the named connection's service says it is connected. */
    private static Map<String, String> awaitConnected(String name) throws InterruptedException {
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        String last = "";
        while (true) {
            KarafShell.Result r = karaf.exec("service:list io.umqtt.api.MqttConnection");
            last = r.output();
            for (Map<String, String> service : services(last)) {
                if (name.equals(service.get("mqtt.connection.name")) && "true".equals(service.get("mqtt.connected"))) {
                    return service;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("connection " + name + " not connected within " + CONNECT_TIMEOUT
                        + "; service:list io.umqtt.api.MqttConnection:\n" + last + "\nmosquitto's log:\n"
                        + broker.log() + karaf.diagnostics());
            }
            karaf.pause();
        }
    }

    /** Polls {@code service:list io.umqtt.api.MqttConnection} until no service has the connection's name. */
    private static void awaitGone(String name) throws InterruptedException {
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        while (true) {
            String out = karaf.exec("service:list io.umqtt.api.MqttConnection").output();
            if (services(out).stream().noneMatch(s -> name.equals(s.get("mqtt.connection.name")))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("connection " + name + " still registered " + CONNECT_TIMEOUT
                        + " after its file went; service:list io.umqtt.api.MqttConnection:\n" + out + karaf.diagnostics());
            }
            karaf.pause();
        }
    }

    /** service:list: a "[objectClass, ...]" line, then " key = value" lines, per service. */
    private static List<Map<String, String>> services(String output) {
        List<Map<String, String>> services = new ArrayList<>();
        Map<String, String> current = null;
        for (String line : output.split("\n")) {
            if (line.startsWith("[")) {
                current = new LinkedHashMap<>();
                services.add(current);
            } else if (current != null && line.startsWith(" ") && line.contains(" = ")) {
                int eq = line.indexOf(" = ");
                current.put(line.substring(0, eq).trim(), line.substring(eq + 3).trim());
            }
        }
        return services;
    }

    /** Bundle-SymbolicName to state of the io.umqtt.* bundles ({@code bundle:list -s --no-format}). */
    private static Map<String, String> umqttBundles() {
        Map<String, String> bundles = new TreeMap<>();
        for (String line : karaf.run("bundle:list -s --no-format").split("\n")) {
            String[] c = line.split("\t");
            if (c.length >= 5 && c[4].trim().startsWith("io.umqtt.")) {
                bundles.put(c[4].trim(), c[1].trim());
            }
        }
        return bundles;
    }

    private record FeatureState(boolean required, String state) {
    }

    /** {@code feature:list -i --no-format}: name, version, required ("x"), state, repository, description. */
    private static Map<String, FeatureState> installedFeatures() {
        Map<String, FeatureState> features = new TreeMap<>();
        for (String line : karaf.run("feature:list -i --no-format").split("\n")) {
            String[] c = line.split("\t");
            if (c.length >= 4) {
                features.put(c[0].trim(), new FeatureState(c[2].trim().equals("x"), c[3].trim()));
            }
        }
        return features;
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
