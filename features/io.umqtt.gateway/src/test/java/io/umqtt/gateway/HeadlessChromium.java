package io.umqtt.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assumptions;

/**
 * Debian's Chromium ({@code apt-get install -y chromium}) run headless, one process per page: it
 * loads the page, lets the page's scripts and requests run within a virtual-time budget, then
 * writes a screenshot and prints the DOM as the scripts left it. Screenshot and DOM therefore come
 * from the same page load.
 * <p>
 * Every run gets a new, empty profile ({@code --user-data-dir}) under the working directory given
 * to {@link #require(Path)}, and the flags that work on a closed network without a display: no
 * sandbox (CI runs as root), no GPU, and none of Chromium's own calls home (background networking,
 * component updates, sync), which the network refuses. A run that takes longer than
 * {@link #TIMEOUT} is killed together with its child processes and fails the test.
 * <p>
 * Not thread-safe: use it from the test's thread.
 */
final class HeadlessChromium {
    /** The longest one run may take before it is killed. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);

    /**
     * Virtual time a page gets: timers fire and requests complete within it, and it runs ahead
     * while the page is idle, so a page that is done early costs no real time for the rest.
     */
    private static final Duration VIRTUAL_TIME_BUDGET = Duration.ofSeconds(10);
    private static final String INSTALL_HINT = "chromium is not installed: apt-get install -y chromium";
    private static final List<String> FLAGS = List.of(
            "--headless",
            "--no-sandbox", // the sandbox refuses to run as root
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars");

    private final Path executable;
    private final Path workDir;
    private int runs;

    private HeadlessChromium(Path executable, Path workDir) {
        this.executable = executable;
        this.workDir = workDir;
    }

    /**
     * The installed Chromium, working in {@code workDir} (profiles and logs).
     * <p>
     * Without Chromium the test cannot run: with environment variable {@code CI=true} it fails,
     * because CI must install Chromium ({@code .ci/run} does); elsewhere it is aborted (reported as
     * skipped) with a message that says how to install it.
     */
    static HeadlessChromium require(Path workDir) {
        Optional<Path> exe = find();
        if (exe.isEmpty()) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(INSTALL_HINT + " (CI=true: CI must install it, .ci/run does; looked on PATH and in /usr/bin)");
            }
            Assumptions.abort(INSTALL_HINT + " to run this test (looked on PATH and in /usr/bin)");
        }
        return new HeadlessChromium(exe.get(), workDir);
    }

    /** {@code chromium} on the PATH, else {@code /usr/bin/chromium}. */
    static Optional<Path> find() {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    candidates.add(Paths.get(entry, "chromium"));
                }
            }
        }
        candidates.add(Paths.get("/usr/bin/chromium"));
        return candidates.stream().filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
    }

    /** What {@code chromium --version} prints, e.g. "Chromium 150.0.7871.100 built on Debian ...". */
    String version() throws IOException, InterruptedException {
        Run run = run(List.of(executable.toString(), "--version"));
        return run.stdout.trim();
    }

    /**
     * Loads {@code url} in a window of {@code width} x {@code height} pixels, waits for its scripts
     * within the virtual-time budget, saves a PNG screenshot of the window to {@code screenshot}
     * (its directory is created) and returns it with the rendered DOM. Credentials may be part of
     * the URL ({@code http://user:password@host/...}) for HTTP basic authentication.
     */
    Rendering render(URI url, int width, int height, Path screenshot) throws IOException, InterruptedException {
        Files.createDirectories(screenshot.toAbsolutePath().getParent());
        Files.deleteIfExists(screenshot);
        List<String> command = new ArrayList<>();
        command.add(executable.toString());
        command.addAll(FLAGS);
        command.add("--user-data-dir=" + Files.createDirectories(workDir.resolve("chromium-profile-" + runs)));
        command.add("--window-size=" + width + "," + height);
        command.add("--virtual-time-budget=" + VIRTUAL_TIME_BUDGET.toMillis());
        command.add("--screenshot=" + screenshot.toAbsolutePath());
        command.add("--dump-dom");
        command.add(url.toString());
        Run run = run(command);
        return new Rendering(run.exitCode, run.stdout, screenshot, run.stderr);
    }

    /** What one page load left: Chromium's exit code, the DOM, the screenshot's path, Chromium's log. */
    static final class Rendering {
        final int exitCode;
        final String dom;
        final Path screenshot;
        final String log;

        Rendering(int exitCode, String dom, Path screenshot, String log) {
            this.exitCode = exitCode;
            this.dom = dom;
            this.screenshot = screenshot;
            this.log = log;
        }
    }

    private static final class Run {
        final int exitCode;
        final String stdout;
        final String stderr;

        Run(int exitCode, String stdout, String stderr) {
            this.exitCode = exitCode;
            this.stdout = stdout;
            this.stderr = stderr;
        }
    }

    /** Runs Chromium with stdout and stderr in files; kills it and its children after {@link #TIMEOUT}. */
    private Run run(List<String> command) throws IOException, InterruptedException {
        int n = runs++;
        Files.createDirectories(workDir);
        Path out = workDir.resolve("chromium-" + n + ".out");
        Path err = workDir.resolve("chromium-" + n + ".log");
        Process p = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(TIMEOUT.toMillis(), MILLISECONDS)) {
            // children first: once Chromium itself is gone they are no longer its descendants
            List<ProcessHandle> children = p.descendants().collect(Collectors.toList());
            children.forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, SECONDS);
            fail("chromium did not finish within " + TIMEOUT.toSeconds() + " s and was killed with its " + children.size()
                    + " child processes: " + String.join(" ", command) + "\nits log:\n" + Files.readString(err, UTF_8));
        }
        return new Run(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
    }
}
