package io.umqtt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.simple.testing.FreePort;

/**
 * The gateway reads {@code conf/} and never writes it.
 * <p>
 * Why: fileinstall 3.7.4 with its write-back on (its default) rewrites a {@code .cfg} file in
 * place (truncate, then write) on ConfigAdmin's event thread after every update of a configuration
 * that names the file ({@code felix.fileinstall.filename}), its own updates at start included,
 * while its directory scanner runs on another thread. A scan in between sees a changed file,
 * reads it empty and applies that: the configuration loses its properties, the component falls
 * back to its defaults, and the next write-back empties the file (FELIX-6515, not fixed in a
 * release). That is how the demo broker ended on its default port 1883 in {@link GatewayJdksIT}.
 * The gateway therefore runs with {@code felix.fileinstall.enableConfigSave=false}.
 * <p>
 * The race itself cannot be run on purpose from outside fileinstall (it needs fileinstall's
 * scanner thread between two statements of ConfigAdmin's event thread, a few milliseconds once
 * per file and start); this test checks, deterministically, what rules it out: the gateway
 * writes nothing into {@code conf/}, neither at start nor when the configurations change; and
 * what a user sees: an edit in the console holds while the gateway runs (the console's form
 * drops {@code felix.fileinstall.filename}, so it was never written back), and at the next start
 * the file's values win.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConfFilesIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String HEARTBEAT_PID = "io.umqtt.demo.heartbeat";
    private static final String FILE_TOPIC = "umqtt/demo/from-file";

    @TempDir
    Path dir;

    private GatewayProcess gateway;

    @AfterEach
    void stop() throws InterruptedException {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void consoleEditsLeaveConfFilesAloneAndTheFileWinsAtTheNextStart() throws Exception {
        int mqttPort = FreePort.pick();
        gateway = new GatewayProcess(dir, FreePort.pick(), Map.of()).shippedConfOn(mqttPort);
        Path conf = dir.resolve("conf");
        Path heartbeatFile = conf.resolve(HEARTBEAT_PID + ".cfg");
        // not the component's default topic: a heartbeat on it comes from the file
        GatewayProcess.rewrite(heartbeatFile, "topic=umqtt/demo/heartbeat", "topic=" + FILE_TOPIC);
        Map<String, String> written = snapshot(conf);

        gateway.start();
        gateway.awaitConsole();
        awaitHeartbeat(0, FILE_TOPIC);

        // Two edits of the file's configuration in the console. ConfigAdmin hands its configuration
        // events to the listeners one after the other on one thread (fileinstall's write-back is
        // one of them, SCR another): once the heartbeat reconfigured by the second edit is heard,
        // the listeners are done with the events of the start (the write-backs of fileinstall's
        // own updates) and with the first edit.
        long edited = gateway.logSize();
        for (String topic : new String[] { "umqtt/demo/edited-1", "umqtt/demo/edited-2" }) {
            Map<String, String> heartbeat = new LinkedHashMap<>();
            heartbeat.put("connection.target", "(mqtt.connection.name=demo)");
            heartbeat.put("topic", topic);
            heartbeat.put("period", "1");
            HttpResponse<String> r = gateway.updateConfiguration(HEARTBEAT_PID, heartbeat);
            assertEquals(302, r.statusCode(), () -> "configMgr POST " + topic + ": " + r.body());
        }
        awaitHeartbeat(edited, "umqtt/demo/edited-2");
        assertEquals(written, snapshot(conf), "the gateway wrote into conf/ (fileinstall's write-back is on?); log:\n"
                + gateway.log());

        // the next start applies the file again: its values replace the edit kept in storage/
        long restarted = gateway.logSize();
        gateway.restart();
        gateway.awaitConsole();
        awaitHeartbeat(restarted, FILE_TOPIC);
        assertEquals(written, snapshot(conf), "the gateway wrote into conf/ at its restart; log:\n" + gateway.log());
    }

    private void awaitHeartbeat(long offset, String topic) throws Exception {
        gateway.awaitLogLine(offset, l -> l.startsWith("[umqtt demo] demo " + topic + " (qos 0): alive "), WAIT,
                "the demo handler printing a heartbeat on " + topic);
    }

    /** Each file of {@code conf/}: its name, with its modification time and content. */
    private static Map<String, String> snapshot(Path conf) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(conf)) {
            for (Path p : (Iterable<Path>) list::iterator) {
                files.put(p.getFileName().toString(), "modified " + Files.getLastModifiedTime(p) + ":\n" + Files.readString(p));
            }
        }
        return files;
    }
}
