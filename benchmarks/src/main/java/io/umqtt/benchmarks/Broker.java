package io.umqtt.benchmarks;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The mosquitto every measurement goes through: one process on a free loopback port, with the
 * limits that would drop messages for a fast publisher lifted (see the README's benchmark
 * section), started once per comparison.
 */
final class Broker implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    private static final String INSTALL_HINT = "apt-get install -y mosquitto mosquitto-clients";

    private final Path dir;
    private final Path log;
    private final int port;
    private final Process process;

    private Broker(Path dir, int port, Process process) {
        this.dir = dir;
        this.log = dir.resolve("mosquitto.log");
        this.port = port;
        this.process = process;
    }

    /** The settings of the benchmark broker, one per line, without the listener. */
    static List<String> settings(Path logFile, boolean root) {
        List<String> c = new ArrayList<>();
        if (root) {
            c.add("user root"); // else it drops to user mosquitto, which cannot write our directory
        }
        c.add("allow_anonymous true");
        c.add("persistence false");
        // stock limits (20 in flight, 1000 queued per client) silently drop messages for a fast publisher
        c.add("max_inflight_messages 0");
        c.add("max_inflight_bytes 0");
        c.add("max_queued_messages 0");
        c.add("max_queued_bytes 0");
        c.add("set_tcp_nodelay true");
        c.add("log_dest file " + logFile.toAbsolutePath());
        // connections and subscriptions only: never a line per message
        for (String type : new String[] {"error", "warning", "notice", "information", "subscribe"}) {
            c.add("log_type " + type);
        }
        return c;
    }

    /** Finds an executable on the PATH or in the usual Debian places; null when missing. */
    static Path find(String name) {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    candidates.add(Paths.get(entry, name));
                }
            }
        }
        for (String d : new String[] {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
            candidates.add(Paths.get(d, name));
        }
        for (Path p : candidates) {
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Like {@link #find} but fails with the install hint. */
    static Path require(String name) {
        Path p = find(name);
        if (p == null) {
            throw new IllegalStateException(name + " is not installed (looked on PATH and in /usr/sbin, /usr/bin, "
                    + "/usr/local/sbin, /usr/local/bin): " + INSTALL_HINT);
        }
        return p;
    }

    static Broker start(Path workDir) throws IOException, InterruptedException {
        Path exe = require("mosquitto");
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freePort();
            Path dir = Files.createDirectories(workDir.resolve("mosquitto-" + port));
            Path conf = dir.resolve("mosquitto.conf");
            List<String> lines = settings(dir.resolve("mosquitto.log"), isRoot());
            lines.add("listener " + port + " " + HOST);
            Files.write(conf, lines, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(exe.toString(), "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("mosquitto.out").toFile())
                    .start();
            Broker b = new Broker(dir, port, p);
            try {
                b.awaitReady();
                return b;
            } catch (IllegalStateException e) {
                b.close();
                last = e;
                if (!b.logText().contains("Address already in use")) {
                    throw e;
                }
            }
        }
        throw last;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return s.getLocalPort();
        }
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mosquitto exited with code " + process.exitValue()
                        + " before listening on " + HOST + ":" + port + "\n" + logText());
            }
            if (logText().contains(" running") && accepts()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("mosquitto did not listen on " + HOST + ":" + port + " within 10 s\n" + logText());
    }

    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path directory() {
        return dir;
    }

    /** The broker's CPU time so far (user + system), -1 when /proc cannot tell. */
    long cpuNanos() {
        return ProcStat.cpuNanos(process.pid());
    }

    String logText() {
        try {
            String out = Files.exists(dir.resolve("mosquitto.out"))
                    ? Files.readString(dir.resolve("mosquitto.out"), StandardCharsets.UTF_8) : "";
            return (Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "") + out;
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /**
     * Waits (at most 10 s) until the broker used less than 5 % of a core over 100 ms: a publisher
     * that finished writing may have left it seconds of queued work, which must not slow the next
     * measurement.
     */
    void awaitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long c0 = cpuNanos();
            long t0 = System.nanoTime();
            Thread.sleep(100);
            long c1 = cpuNanos();
            if (c0 < 0 || c1 < 0 || (c1 - c0) < 0.05 * (System.nanoTime() - t0)) {
                return;
            }
        }
    }

    /** Waits until the broker logged the subscription of {@code clientId} to {@code topic}. */
    boolean awaitSubscription(String clientId, String topic, long timeoutMillis) throws InterruptedException {
        String line = ": " + clientId + " ";
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (System.nanoTime() < deadline) {
            String text = logText();
            int i = text.lastIndexOf(line);
            if (i >= 0 && text.indexOf(topic, i) > i) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
