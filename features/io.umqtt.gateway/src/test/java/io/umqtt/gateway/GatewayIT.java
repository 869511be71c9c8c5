package io.umqtt.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.FreePort;

/**
 * Starts the exported gateway jar as a process, as a user would, and drives its web console over
 * HTTP: a robust connection created through the console's configuration manager connects to a
 * mosquitto started here, and is still there, connected, after the gateway restarts.
 */
class GatewayIT {
    @TempDir
    Path dir;

    private GatewayProcess gateway;
    private MosquittoBroker broker;

    @AfterEach
    void stop() throws InterruptedException {
        try {
            if (gateway != null) {
                gateway.close();
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    void connectionCreatedInTheWebConsoleConnectsAndSurvivesARestart() throws Exception {
        broker = MosquittoBroker.start();
        gateway = new GatewayProcess(dir, FreePort.pick(), Map.of());

        long started = System.nanoTime();
        gateway.start();
        gateway.awaitConsole();
        long consoleUp = System.nanoTime();

        // the configuration page has the Metatype forms of both client components
        for (String[] ocd : new String[][] { { "io.umqtt.simple", "umqtt simple MQTT connection" },
                { "io.umqtt.robust", "umqtt robust MQTT connection" } }) {
            HttpResponse<String> r = gateway.post("/system/console/configMgr/" + ocd[0], Map.of());
            assertEquals(200, r.statusCode(), r::body);
            assertTrue(r.body().contains("\"title\":\"" + ocd[1] + "\"") && r.body().contains("\"server\":{"),
                    () -> ocd[0] + " form: " + r.body());
        }

        Map<String, String> config = new LinkedHashMap<>();
        config.put("name", "it-console");
        config.put("server", broker.host());
        config.put("port", Integer.toString(broker.port()));
        config.put("client.id", "gateway-it");
        config.put("keepalive", "30");
        HttpResponse<String> created = gateway.createFactoryConfiguration("io.umqtt.robust", config);
        // the console answers a form POST with a redirect to the new configuration's page
        assertEquals(302, created.statusCode(), () -> "configMgr POST: " + created.body());
        String location = created.headers().firstValue("Location").orElse("");
        assertTrue(location.contains("/configMgr/io.umqtt.robust."), () -> "redirect to the new PID, got " + location);

        Map<String, String> props = gateway.awaitConnected("it-console");
        long connected = System.nanoTime();
        assertEquals(broker.host(), props.get("mqtt.server"));
        assertEquals(Integer.toString(broker.port()), props.get("mqtt.port"));
        assertEquals("gateway-it", props.get("mqtt.client.id"));
        assertTrue(broker.awaitLog("as gateway-it", 5, TimeUnit.SECONDS), broker::log);
        System.out.printf("gateway: console up %d ms, connection created in the console connected %d ms after start%n",
                (consoleUp - started) / 1_000_000, (connected - started) / 1_000_000);

        // the operators' Gogo command shows it with its state and counters
        String line = gateway.gogo("mqtt:list", l -> l.startsWith("it-console ") && l.contains("CONNECTED"));
        assertTrue(line.contains(broker.host() + ":" + broker.port()) && line.contains("attempts=1"), line);

        // an invalid value: the connection stays listed with its error, which reaches the console
        // output once, naming the connection (not its generated PID) and the property
        long offset = gateway.logSize();
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("name", "it-bad");
        bad.put("server", "mqtt://" + broker.host());
        HttpResponse<String> badCreated = gateway.createFactoryConfiguration("io.umqtt.robust", bad);
        assertEquals(302, badCreated.statusCode(), () -> "configMgr POST: " + badCreated.body());
        String logged = gateway.awaitLogLine(offset, l -> l.contains("MQTT connection it-bad is out of service"),
                Duration.ofSeconds(10), "the configuration error in the console output");
        assertTrue(logged.contains("server=mqtt://" + broker.host() + " is a URI with the scheme 'mqtt'"), logged);
        String listed = gateway.gogo("mqtt:list", l -> l.startsWith("it-bad ") && l.contains("error: "));
        assertTrue(listed.contains("CLOSED") && listed.contains("server=mqtt://" + broker.host()), listed);

        // the ConfigAdmin store lives in ./storage: a restart keeps the connection
        gateway.stop();
        long restarted = System.nanoTime();
        gateway.start();
        gateway.awaitConsole();
        gateway.awaitConnected("it-console");
        System.out.printf("gateway: restarted and connected again in %d ms%n", (System.nanoTime() - restarted) / 1_000_000);
    }
}
