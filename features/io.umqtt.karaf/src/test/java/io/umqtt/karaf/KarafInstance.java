package io.umqtt.karaf;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One Karaf process for a test: the distribution that the build unpacked ({@code KARAF_HOME}, never
 * written to) started with {@code bin/karaf daemon} on an instance directory of its own
 * ({@code KARAF_BASE}: a copy of {@code etc/}, an empty {@code data/}), driven over SSH.
 * <p>
 * The instance directory's configuration differs from the distribution's only in what makes it a
 * hermetic test instance:
 * <ul>
 * <li>free loopback ports for SSH and for JMX's RMI registry and server (not 8101, 1099, 44444);</li>
 * <li>an EC SSH host key instead of RSA, only because it is made faster;</li>
 * <li>a console user with a random password;</li>
 * <li>Maven resolution without network or {@code ~/.m2}: Karaf's {@code system/} folder plus the
 * build's Maven-layout directory {@code repository} (this build's features.xml and bundles, the
 * {@code scr} feature's bundles), no remote repository, an empty local repository of its own and an
 * empty {@code settings.xml}, so neither a developer's settings nor stale installed jars count;</li>
 * <li>the {@code scr} feature's conditional bundles blacklisted (see {@link #start}).</li>
 * </ul>
 * {@code daemon} makes the script {@code exec} java, so the process started here is Karaf's JVM:
 * {@link #close()} stops it with SIGTERM (Karaf's clean shutdown), and kills it and anything it
 * started if that takes longer than {@value #STOP_TIMEOUT_SECONDS} s. If the test JVM ends without
 * {@code close()}, a shutdown hook kills them at once (SIGKILL). The instance directory stays for a
 * look after a failure; the next start deletes it.
 * <p>
 * Not thread-safe: start, use and close it from the test's thread.
 */
final class KarafInstance implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    private static final String USER = "karaf";
    private static final long STOP_TIMEOUT_SECONDS = 10;
    private static final int LOG_TAIL_LINES = 80;
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);

    private final Path base;
    private final KarafShell shell;
    private final Process process;
    private final Thread shutdownHook;

    private KarafInstance(Path base, KarafShell shell, Process process) {
        this.base = base;
        this.shell = shell;
        this.process = process;
        // the test JVM is ending without close() (killed, or a crash): no time for Karaf's clean stop
        this.shutdownHook = new Thread(this::killForcibly, "kill karaf " + process.pid());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Prepares {@code base} (deleting what a previous run left) and starts Karaf from {@code home};
     * returns at once. Wait for it with {@link #awaitBooted(Duration)}.
     */
    static KarafInstance start(Path home, Path base, Path repository) throws IOException {
        Path script = home.resolve("bin/karaf");
        if (!Files.isRegularFile(script) || !Files.isDirectory(home.resolve("system"))) {
            throw new IllegalStateException("no Karaf distribution at " + home
                    + " (the build unpacks it in pre-integration-test: run mvn verify, not the test alone)");
        }
        if (!Files.isDirectory(repository)) {
            throw new IllegalStateException("no test repository at " + repository + " (made by mvn verify)");
        }
        deleteRecursively(base);
        copyRecursively(home.resolve("etc"), base.resolve("etc"));
        Files.createDirectories(base.resolve("data/log"));
        Files.createDirectories(base.resolve("deploy"));
        int[] ports = freePorts(3); // SSH, RMI registry, RMI server
        byte[] secret = new byte[12];
        new SecureRandom().nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        configure(base, ports, password, repository);

        Path java = karafJava();
        // sh, not the file's exec bit: unpacking may not keep it
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", script.toString(), "daemon")
                .directory(base.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(base.resolve("karaf.out").toFile()));
        Map<String, String> env = pb.environment();
        // KARAF_HOME: the script takes it from its own location
        Stream.of("KARAF_HOME", "KARAF_ETC", "KARAF_DATA", "KARAF_LOG", "KARAF_OPTS", "KARAF_SYSTEM_OPTS",
                "KARAF_DEBUG", "JAVA_OPTS", "EXTRA_JAVA_OPTS", "KARAF_EXEC").forEach(env::remove);
        env.put("KARAF_BASE", base.toString());
        env.put("JAVA_HOME", java.toString());
        // the script refuses to start when the pid recorded in KARAF_HOME/instances is alive: a stale
        // record whose pid was reused must not stop a test
        env.put("CHECK_ROOT_INSTANCE_RUNNING", "false");
        KarafShell shell = new KarafShell(HOST, ports[0], USER, password);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            shell.close();
            throw e;
        }
        KarafInstance karaf = new KarafInstance(base, shell, process); // from here close() kills it
        process.getOutputStream().close(); // no local console in daemon mode: nothing reads stdin
        return karaf;
    }

    /** Writes the instance's etc/ changes: ports, console user, offline Maven resolution, blacklist. */
    private static void configure(Path base, int[] ports, String password, Path repository) throws IOException {
        Path etc = base.resolve("etc");
        Path localRepository = Files.createDirectories(base.resolve("m2-empty"));
        Path settings = base.resolve("settings.xml");
        Files.writeString(settings, "<settings/>\n");

        // an EC host key: Karaf makes it at the first SSH login, an RSA 2048 one takes about 2 s here
        setProperties(etc.resolve("org.apache.karaf.shell.cfg"), Map.of("sshPort", Integer.toString(ports[0]),
                "sshHost", HOST, "algorithm", "EC", "keySize", "256"));
        setProperties(etc.resolve("org.apache.karaf.management.cfg"), Map.of(
                "rmiRegistryPort", Integer.toString(ports[1]), "rmiRegistryHost", HOST,
                "rmiServerPort", Integer.toString(ports[2]), "rmiServerHost", HOST));

        Files.writeString(etc.resolve("users.properties"), String.join("\n",
                "# written by " + KarafInstance.class.getName() + ": the test's console user",
                USER + " = " + password + ",_g_:admingroup",
                "_g_\\:admingroup = group,admin,manager,viewer,systembolt,ssh", ""));

        // replaces the distribution's file: its remote repositories would let a missing artifact be
        // downloaded at test time instead of failing
        Files.writeString(etc.resolve("org.ops4j.pax.url.mvn.cfg"), String.join("\n",
                "# written by " + KarafInstance.class.getName() + ": resolve offline, from system/ and the build's repository",
                "org.ops4j.pax.url.mvn.offline = true",
                "org.ops4j.pax.url.mvn.useFallbackRepositories = false",
                "org.ops4j.pax.url.mvn.settings = " + settings.toUri().getPath(),
                "org.ops4j.pax.url.mvn.localRepository = " + localRepository.toUri().getPath(),
                "org.ops4j.pax.url.mvn.defaultRepositories = \\",
                "    ${karaf.home.uri}${karaf.default.repository}@id=system.repository@snapshots, \\",
                "    ${karaf.data.uri}kar@id=kar.repository@multi@snapshots, \\",
                "    " + repository.toUri() + "@id=umqtt.build@snapshots",
                "org.ops4j.pax.url.mvn.repositories =", ""));

        // Karaf's scr feature also names conditional bundles: Karaf's SCR MBeans and bundle-state plugin
        // (installed when the management and bundle features are, as at boot) and the web console's DS
        // plugin. None is needed by umqtt, and the org.apache.karaf.scr jars cannot be had from the Maven
        // repository these builds use (their parent POM, org.apache.karaf.scr:scr, is not served there),
        // so the test instance skips all four.
        Files.writeString(etc.resolve("org.apache.karaf.features.xml"), String.join("\n",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<!-- written by " + KarafInstance.class.getName() + " -->",
                "<featuresProcessing xmlns=\"http://karaf.apache.org/xmlns/features-processing/v1.0.0\">",
                "    <blacklistedBundles>",
                "        <bundle>mvn:org.apache.karaf.scr/org.apache.karaf.scr.management</bundle>",
                "        <bundle>mvn:org.apache.karaf.scr/org.apache.karaf.scr.state</bundle>",
                "        <bundle>mvn:org.apache.felix/org.apache.felix.inventory</bundle>",
                "        <bundle>mvn:org.apache.felix/org.apache.felix.webconsole.plugins.ds</bundle>",
                "    </blacklistedBundles>",
                "</featuresProcessing>", ""));
    }

    /** The instance directory ({@code KARAF_BASE}). */
    Path base() {
        return base;
    }

    /** The console's statistics: commands run and the time they took. */
    String shellStatistics() {
        return shell.statistics();
    }

    /** The pid of Karaf's JVM. */
    long pid() {
        return process.pid();
    }

    /**
     * Waits until the console answers over SSH and every boot feature is started, or fails with
     * Karaf's log tail: when the deadline passes, or at once when Karaf exits.
     */
    void awaitBooted(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer yet";
        while (true) {
            try {
                KarafShell.Result r = shell.exec("feature:list -i --no-format", Duration.ofSeconds(30));
                last = r.toString();
                if (r.ok() && bootFeaturesStarted(r.output())) {
                    return;
                }
            } catch (IOException notYet) {
                last = notYet.toString(); // SSH not listening or the login realm not there yet
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Karaf did not boot within " + timeout + " (last: " + last + ")" + diagnostics());
            }
            pause();
        }
    }

    /** {@code feature:list -i --no-format}: "name TAB version TAB required TAB state TAB ...", ssh among them. */
    private static boolean bootFeaturesStarted(String output) {
        List<String[]> rows = output.lines().map(l -> l.split("\t")).filter(c -> c.length >= 4)
                .collect(Collectors.toList());
        return rows.stream().anyMatch(c -> c[0].trim().equals("ssh"))
                && rows.stream().allMatch(c -> c[3].trim().equals("Started"));
    }

    /**
     * Runs a console command that must succeed (exit status 0, no Karaf error message).
     *
     * @throws AssertionError naming the command, its output and Karaf's log tail
     */
    String run(String command) {
        KarafShell.Result r = exec(command);
        if (!r.ok()) {
            throw new AssertionError("Karaf command failed: " + r + diagnostics());
        }
        return r.output();
    }

    /** Runs a console command, whatever its outcome. */
    KarafShell.Result exec(String command) {
        try {
            return shell.exec(command, Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new AssertionError("Karaf command '" + command + "' could not run: " + e + diagnostics(), e);
        }
    }

    /** Fails unless Karaf still runs: a bounded pause between two polls. */
    void pause() throws InterruptedException {
        if (process.waitFor(POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("Karaf exited with " + process.exitValue() + diagnostics());
        }
    }

    /** The last lines of {@code data/log/karaf.log} and what the script printed, for failure messages. */
    String diagnostics() {
        return "\n--- " + base.relativize(logFile()) + " (last " + LOG_TAIL_LINES + " lines) ---\n"
                + tail(logFile(), LOG_TAIL_LINES) + "\n--- karaf.out ---\n" + tail(base.resolve("karaf.out"), 20);
    }

    private Path logFile() {
        return base.resolve("data/log/karaf.log");
    }

    /** Stops Karaf (SIGTERM, then SIGKILL for it and its descendants) and waits until it is gone. */
    @Override
    public void close() throws IOException {
        try {
            kill();
            shell.close();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or ran: nothing left to remove
            }
        }
    }

    private void killForcibly() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private void kill() {
        List<ProcessHandle> descendants = process.descendants().collect(Collectors.toList());
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        }
    }

    // ------------------------------------------------------------------ files

    /** Sets {@code key = value} in a Karaf .cfg file: replaces the key's line, or appends one. */
    private static void setProperties(Path file, Map<String, String> values) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file, UTF_8));
        for (Map.Entry<String, String> e : values.entrySet()) {
            Pattern key = Pattern.compile("^\\s*" + Pattern.quote(e.getKey()) + "\\s*=.*$");
            String line = e.getKey() + " = " + e.getValue();
            boolean replaced = false;
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = key.matcher(lines.get(i));
                if (m.matches()) {
                    if (lines.get(i).endsWith("\\")) {
                        throw new IllegalStateException(file + ": " + e.getKey() + " continues on the next line");
                    }
                    lines.set(i, line);
                    replaced = true;
                }
            }
            if (!replaced) {
                lines.add(line);
            }
        }
        Files.write(file, lines, UTF_8);
    }

    private static int[] freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) { // all open at once, so they differ
                ServerSocket s = new ServerSocket();
                sockets.add(s);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    private static void copyRecursively(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /** The newest Java that Karaf 4.4.10 can start on: Java 24+ refuse its options ({@link #karafJava()}). */
    static final int KARAF_MAX_JAVA = 23;
    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

    /**
     * The JDK that runs Karaf: the one running the tests, unless that is Java 24 or newer, on which
     * Karaf 4.4.10 does not start (its {@code bin/karaf} adds {@code -Djava.security.manager=allow},
     * which those refuse; without it its logging fails with "getSubject is not supported"). Then
     * {@code -Dumqtt.karaf.java=<java home>}, else the first JDK 17..23 under {@code /usr/lib/jvm}.
     */
    static Path karafJava() throws IOException {
        Path own = Paths.get(System.getProperty("java.home"));
        if (Runtime.version().feature() <= KARAF_MAX_JAVA) {
            return own;
        }
        String configured = System.getProperty("umqtt.karaf.java");
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured);
        }
        Path jvms = Paths.get("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            List<Path> homes;
            try (Stream<Path> list = Files.list(jvms)) {
                homes = list.sorted().collect(Collectors.toList());
            }
            for (Path home : homes) {
                Path release = home.resolve("release");
                if (Files.isExecutable(home.resolve("bin/java")) && Files.isRegularFile(release)) {
                    Matcher m = JAVA_VERSION.matcher(Files.readString(release));
                    if (m.find() && Integer.parseInt(m.group(1)) >= 17 && Integer.parseInt(m.group(1)) <= KARAF_MAX_JAVA) {
                        return home;
                    }
                }
            }
        }
        throw new IllegalStateException("Karaf 4.4.10 does not start on Java " + Runtime.version().feature()
                + " (the JDK running the tests), and no JDK 17.." + KARAF_MAX_JAVA + " is under " + jvms
                + ": set -Dumqtt.karaf.java=<java home of a JDK 17..." + KARAF_MAX_JAVA + ">");
    }
}
