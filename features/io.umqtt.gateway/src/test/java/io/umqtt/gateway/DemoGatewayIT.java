package io.umqtt.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.robust.ReconnectPolicy;
import io.umqtt.robust.RobustMqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.testing.FreePort;

/**
 * The gateway as the README's run command starts it, with the shipped {@code conf/} (only the
 * ports moved to free ones, the heartbeat made faster): no broker is started by the test, the
 * embedded demo broker is the one the demo connection, the demo handler and an outside client use;
 * {@code mqtt:sub} on the handler's filter leaves the handler's subscription alone; the one-line
 * change the README gives turns the demo broker off.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoGatewayIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

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
    void shippedConfigurationRunsWithItsEmbeddedBroker() throws Exception {
        int mqttPort = FreePort.pick();
        gateway = new GatewayProcess(dir, FreePort.pick(), Map.of()).shippedConfOn(mqttPort);
        Path conf = dir.resolve("conf");

        long started = System.nanoTime();
        gateway.start();
        gateway.awaitLogLine(0, l -> l.startsWith("[umqtt demo broker] Moquette listening on 127.0.0.1:" + mqttPort + " "),
                WAIT, "the demo broker's start");
        gateway.awaitConsole();
        Map<String, String> demo = gateway.awaitConnected("demo");
        System.out.printf("demo gateway: demo connection connected %d ms after start%n",
                (System.nanoTime() - started) / 1_000_000);
        assertEquals(Integer.toString(mqttPort), demo.get("mqtt.port"));
        // the heartbeat goes out through the embedded broker and comes back to the demo handler
        gateway.awaitLogLine(0, l -> l.startsWith("[umqtt demo] demo umqtt/demo/heartbeat (qos 0): alive "), WAIT,
                "the demo handler printing a heartbeat");

        // a client from outside the gateway uses the same broker, both ways; a robust one, because
        // Moquette 0.17 now and then drops a SUBSCRIBE sent right after CONNACK (see DemoBrokerTest)
        RobustMqttClient outside = new RobustMqttClient("demo-gateway-it", "127.0.0.1", mqttPort);
        outside.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 10));
        List<String> heard = new ArrayList<>();
        outside.setCallback((topic, msg, retain, dup, qos) -> heard.add(new String(topic, UTF_8)));
        outside.connect(true, 5000);
        assertEquals(1, outside.subscribe("umqtt/demo/heartbeat", 1));
        while (heard.isEmpty()) {
            assertEquals(PacketType.PUBLISH, outside.waitMsg());
        }
        assertEquals("umqtt/demo/heartbeat", heard.get(0));
        long before = gateway.logSize();
        outside.publish("umqtt/demo/from-outside", "hello gateway", false, 1);
        gateway.awaitLogLine(before, l -> l.matches("\\[umqtt demo\\] demo umqtt/demo/from-outside \\(qos [01]\\): hello gateway"),
                WAIT, "the demo handler printing the outside message");

        // an operator's mqtt:sub on the handler's own filter ends without taking the handler's subscription
        String sub = gateway.gogo("mqtt:sub demo umqtt/demo/# 1", l -> l.matches("\\d+ message\\(s\\)"));
        assertTrue(sub.matches("\\d+ message\\(s\\)"), sub);
        before = gateway.logSize();
        outside.publish("umqtt/demo/after-sub", "still here", false, 1);
        gateway.awaitLogLine(before, l -> l.matches("\\[umqtt demo\\] demo umqtt/demo/after-sub \\(qos [01]\\): still here"),
                WAIT, "the demo handler after mqtt:sub ended");
        outside.disconnect();

        // the README's switch: enabled=false turns the embedded broker off while the gateway runs
        before = gateway.logSize();
        GatewayProcess.rewrite(conf.resolve("io.umqtt.demo.broker.cfg"), "enabled=true", "enabled=false");
        gateway.awaitLogLine(before, l -> l.equals("[umqtt demo broker] off (enabled=false in io.umqtt.demo.broker)"),
                WAIT, "the demo broker turned off");
        String log = gateway.logSince(before);
        assertTrue(log.contains("[umqtt demo broker] stopped"), log);
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", mqttPort).close(),
                "nothing may listen on " + mqttPort + " once the demo broker is off");
    }
}
