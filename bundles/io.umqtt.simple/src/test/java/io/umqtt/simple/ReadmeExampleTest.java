package io.umqtt.simple;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.junit.jupiter.api.Test;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;

import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.WebSocketBridge;

/**
 * The README's plain-Java example (section "The client from plain Java"), line for line (host and
 * port aside), against mosquitto; and a check that the README still shows exactly these lines.
 */
class ReadmeExampleTest {
    /** The repository's README, from this module's directory (where Surefire runs the tests). */
    private static final Path README = Paths.get("../../README.md");
    private static final String SECTION = "## The client from plain Java";

    static void example(String host, int port) throws IOException {
        MqttClient client = new MqttClient("sensor-1", host, port, null, (String) null, 60, null);
        client.setCallback((topic, msg, retain, dup, qos) ->
                System.out.println(new String(topic, UTF_8) + ": " + new String(msg, UTF_8)));
        client.setLastWill("sensors/1/status", "offline", true, 1);
        client.connect(true);                                // returns Session Present
        client.subscribe("sensors/1/#", 1);                  // returns the granted QoS
        client.publish("sensors/1/temp", "21.5", false, 0);  // at QoS 1 it returns after the PUBACK
        client.waitMsg();                                    // one blocking loop step: our message comes back
        client.disconnect();
    }

    /** The README's "Beyond umqtt" example, line for line (the server URI aside: {@code uri}). */
    static int[] beyondUmqtt(String uri) throws IOException {
        MqttClient plant = new MqttClient("gw-17", uri, 0, null, (String) null, 60, null);
        plant.setAckAfterProcessing(true);                   // acks wait for the callback (keep the session)
        plant.setCallback((topic, msg, retain, dup, qos) -> System.out.println(new String(msg, UTF_8) + " at QoS " + qos));
        plant.connect(false);                                // clean session false: unacked messages come back
        int[] granted = plant.subscribe(new String[] {"plant/+/temp", "plant/alarm"}, new int[] {1, 2});
        plant.publish("plant/alarm", "overheat", false, 2);  // after PUBCOMP; our own copy came meanwhile
        plant.disconnect();
        return granted;
    }

    /** The README's "MQTT 5" example, line for line (host and port aside). */
    static void mqtt5(String host, int port) throws IOException {
        MqttClient lab = new MqttClient("gw-18", host, port, null, (String) null, 60, null);
        lab.setProtocolVersion(5);                           // the same client, speaking MQTT 5
        lab.setSessionExpiryInterval(3600);                  // the broker keeps our session an hour
        lab.setCallback(MessageCallback.withProperties((topic, msg, retain, dup, qos, props) ->
                System.out.println(new String(msg, UTF_8) + " as " + props.contentType() + " from " + props.userProperty("site"))));
        lab.connect(true);                                   // Clean Start; serverSettings() holds the CONNACK's properties
        lab.subscribe("lab/#", SubscriptionOptions.qos(1).withRetainHandling(SubscriptionOptions.DO_NOT_SEND_RETAINED));
        lab.publish("lab/temp", "21.5".getBytes(UTF_8), false, 0, MqttProperties.builder()
                .contentType("text/plain").messageExpiryInterval(60).userProperty("site", "lab").build());
        lab.waitMsg();                                       // prints "21.5 as text/plain from lab"
        lab.disconnect();
    }

    @Test
    void theMqtt5ExampleRuns() throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (MosquittoBroker broker = MosquittoBroker.start()) {
            System.setOut(new PrintStream(captured, true, UTF_8));
            try {
                mqtt5(broker.host(), broker.port());
            } finally {
                System.setOut(stdout);
            }
        }
        assertEquals("21.5 as text/plain from lab" + System.lineSeparator(), captured.toString(UTF_8));
    }

    @Test
    void theReadmeShowsTheMqtt5Example() throws IOException {
        String readme = Files.readString(README);
        int section = readme.indexOf("## MQTT 5");
        assertTrue(section >= 0, () -> README + " has no section '## MQTT 5'");
        int start = readme.indexOf("```java\n", section);
        int end = readme.indexOf("```", start + 7);
        assertTrue(start >= 0 && end > start, "no java code block in the README's section '## MQTT 5'");
        String source = Files.readString(Paths.get("src/test/java/io/umqtt/simple/ReadmeExampleTest.java"));
        for (String line : readme.substring(start + 8, end).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String here = line.replace("\"broker.local\", 1883", "host, port");
            assertTrue(source.contains(here), () -> "the README's example has a line this test does not run: " + line);
        }
    }

    @Test
    void theBeyondUmqttExampleRunsOverWebSocket() throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int[] granted;
        try (MosquittoBroker broker = MosquittoBroker.start();
                WebSocketBridge bridge = WebSocketBridge.builder(broker.host(), broker.port()).start()) {
            System.setOut(new PrintStream(captured, true, UTF_8));
            try {
                granted = beyondUmqtt(bridge.uri());
            } finally {
                System.setOut(stdout);
            }
            assertTrue(bridge.handshakes.get() >= 1, "it went over WebSocket");
        }
        assertArrayEquals(new int[] {1, 2}, granted, "one SUBSCRIBE, each filter's granted QoS");
        assertEquals("overheat at QoS 2" + System.lineSeparator(), captured.toString(UTF_8));
    }

    @Test
    void theReadmeShowsTheBeyondUmqttExample() throws IOException {
        String readme = Files.readString(README);
        int section = readme.indexOf("## Beyond umqtt");
        assertTrue(section >= 0, () -> README + " has no section '## Beyond umqtt'");
        int start = readme.indexOf("```java\n", section);
        int end = readme.indexOf("```", start + 7);
        assertTrue(start >= 0 && end > start, "no java code block in the README's section '## Beyond umqtt'");
        String source = Files.readString(Paths.get("src/test/java/io/umqtt/simple/ReadmeExampleTest.java"));
        for (String line : readme.substring(start + 8, end).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String here = line.replace("\"wss://broker.local:443/mqtt\"", "uri");
            assertTrue(source.contains(here), () -> "the README's example has a line this test does not run: " + line);
        }
    }

    @Test
    void theReadmeExampleRuns() throws Exception {
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (MosquittoBroker broker = MosquittoBroker.start()) {
            System.setOut(new PrintStream(captured, true, UTF_8));
            try {
                example(broker.host(), broker.port());
            } finally {
                System.setOut(stdout);
            }
        }
        assertEquals("sensors/1/temp: 21.5" + System.lineSeparator(), captured.toString(UTF_8));
    }

    @Test
    void theReadmeShowsThisExample() throws IOException {
        String readme = Files.readString(README);
        int section = readme.indexOf(SECTION);
        assertTrue(section >= 0, () -> README + " has no section '" + SECTION + "'");
        int start = readme.indexOf("```java\n", section);
        int end = readme.indexOf("```", start + 7);
        assertTrue(start >= 0 && end > start, () -> "no java code block in the README's section '" + SECTION + "'");
        String source = Files.readString(Paths.get("src/test/java/io/umqtt/simple/ReadmeExampleTest.java"));
        for (String line : readme.substring(start + 8, end).split("\n")) {
            if (line.isBlank() || line.startsWith("import ")) {
                continue; // this class's own imports differ (same package)
            }
            String here = line.replace("\"broker.local\", 1883", "host, port");
            assertTrue(source.contains(here), () -> "the README's example has a line this test does not run: " + line);
        }
    }
}
