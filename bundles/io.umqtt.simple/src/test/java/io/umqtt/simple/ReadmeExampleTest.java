package io.umqtt.simple;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;

import org.junit.jupiter.api.Test;

import io.umqtt.simple.testing.MosquittoBroker;

/** The README's plain-Java example, line for line (host and port aside), against mosquitto. */
class ReadmeExampleTest {

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
}
