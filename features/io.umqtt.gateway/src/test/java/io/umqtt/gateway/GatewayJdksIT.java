package io.umqtt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.umqtt.simple.testing.FreePort;

/**
 * The gateway jar on each current Java LTS: started with JDK 17, 21 and 25 (one start and one
 * connection each; the other gateway tests run the whole story on the JDK that runs the build).
 * <p>
 * A JDK is taken from the system property {@code umqtt.jdk.<N>} (its home directory, e.g.
 * {@code mvn -B verify -Dumqtt.jdk.21=/opt/jdk-21}), else from the first directory under
 * {@code /usr/lib/jvm} (or {@code -Dumqtt.jvm.dir}) whose {@code release} file says {@code JAVA_VERSION="N...}. A JDK that is
 * not installed is skipped, except JDK 25 when {@code CI=true}: CI must test the newest LTS, and
 * .ci/run checks that it is there.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GatewayJdksIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Where JDKs are looked for: {@code -Dumqtt.jvm.dir}, else {@code /usr/lib/jvm}. */
    private static final Path JVM_DIR = Paths.get(System.getProperty("umqtt.jvm.dir", "/usr/lib/jvm"));
    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");
    /** The JDK that CI must have. */
    private static final int REQUIRED_ON_CI = 25;

    @TempDir
    Path dir;

    private GatewayProcess gateway;

    @AfterEach
    void stop() throws InterruptedException {
        if (gateway != null) {
            gateway.close();
        }
    }

    @ParameterizedTest(name = "JDK {0}")
    @ValueSource(ints = { 17, 21, 25 })
    void gatewayStartsAndConnects(int feature) throws Exception {
        Path home = jdk(feature);
        int mqttPort = FreePort.pick();
        gateway = new GatewayProcess(dir, FreePort.pick(), Map.of()).javaHome(home).shippedConfOn(mqttPort);

        long started = System.nanoTime();
        gateway.start();
        gateway.awaitConsole();
        Map<String, String> demo = gateway.awaitConnected("demo");
        assertEquals(Integer.toString(mqttPort), demo.get("mqtt.port"));
        gateway.awaitLogLine(0, l -> l.startsWith("[umqtt demo] demo umqtt/demo/heartbeat (qos 0): alive "), WAIT,
                "the demo handler printing a heartbeat");
        System.out.printf("gateway on JDK %d (%s): demo connection connected and heartbeat back %d ms after start%n",
                feature, home, (System.nanoTime() - started) / 1_000_000);
    }

    /** The home of an installed JDK {@code feature}, or the test is skipped (fails on CI for 25). */
    private static Path jdk(int feature) throws IOException {
        String property = "umqtt.jdk." + feature;
        String configured = System.getProperty(property);
        if (configured != null && !configured.isBlank()) {
            Path home = Paths.get(configured);
            assertTrue(Files.isExecutable(home.resolve("bin/java")), () -> property + "=" + configured + " has no bin/java");
            assertEquals(Optional.of(feature), featureOf(home), () -> property + "=" + configured + " is not a JDK " + feature);
            return home;
        }
        Optional<Path> found = findUnder(JVM_DIR, feature);
        if (found.isPresent()) {
            return found.get();
        }
        String missing = "no JDK " + feature + " under " + JVM_DIR + " (a directory with a release file saying JAVA_VERSION=\""
                + feature + "...) and -D" + property + " is not set";
        if (feature == REQUIRED_ON_CI && "true".equals(System.getenv("CI"))) {
            fail(missing + "; CI must test the gateway on Java " + feature + " (.ci/run looks for it)");
        }
        Assumptions.abort(missing);
        return null; // not reached
    }

    private static Optional<Path> findUnder(Path jvms, int feature) throws IOException {
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        List<Path> homes;
        try (Stream<Path> list = Files.list(jvms)) {
            homes = list.sorted().collect(Collectors.toList());
        }
        for (Path home : homes) {
            if (Files.isExecutable(home.resolve("bin/java")) && featureOf(home).equals(Optional.of(feature))) {
                return Optional.of(home);
            }
        }
        return Optional.empty();
    }

    /** The feature release ({@code 17}, {@code 25}) a JDK's {@code release} file names, if any. */
    private static Optional<Integer> featureOf(Path home) throws IOException {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release)) {
            return Optional.empty();
        }
        Matcher m = JAVA_VERSION.matcher(Files.readString(release));
        return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    }
}
