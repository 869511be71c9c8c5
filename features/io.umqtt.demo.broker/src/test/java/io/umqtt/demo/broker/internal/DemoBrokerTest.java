package io.umqtt.demo.broker.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.annotation.Annotation;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.robust.ReconnectPolicy;
import io.umqtt.robust.RobustMqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.testing.FreePort;

/** The demo broker is a real MQTT broker on the configured port, and says clearly when it cannot be. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DemoBrokerTest {

    /**
     * Through a robust client, as the gateway's demo connection is: Moquette 0.17 now and then drops a
     * connection whose SUBSCRIBE arrives right after its CONNACK (it marks the connection connected in a
     * listener of the CONNACK write, which can run after the next read; "SUBSCRIBE received on already
     * closed connection" in its log). The robust client reconnects and subscribes again; a simple client
     * would see the connection lost.
     */
    @Test
    void isABrokerOnTheConfiguredPort() throws Exception {
        int port = FreePort.pick();
        DemoBroker broker = new DemoBroker(config(true, "127.0.0.1", port));
        try {
            RobustMqttClient client = new RobustMqttClient("demo-broker-test", "127.0.0.1", port);
            client.setReconnectPolicy(new ReconnectPolicy(20, 200, 0, 10));
            List<String> received = new ArrayList<>();
            client.setCallback((topic, msg, retain, dup, qos) -> received.add(new String(topic, UTF_8) + "="
                    + new String(msg, UTF_8) + "@" + qos));
            client.connect(true, 5000);
            assertEquals(1, client.subscribe("demo/#", 1));
            client.publish("demo/t", "hello", false, 1);
            while (received.isEmpty()) {
                assertEquals(PacketType.PUBLISH, client.waitMsg());
            }
            assertEquals(List.of("demo/t=hello@1"), received);
            System.out.println("demo broker test: reconnects " + client.reconnects());
            client.disconnect();
        } finally {
            broker.stop();
        }
        assertRefused(port);
    }

    @Test
    void busyPortIsReportedAndNotFatal() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", 0));
            String err = stderrOf(() -> new DemoBroker(config(true, "127.0.0.1", taken.getLocalPort())).stop());
            assertTrue(err.contains("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    && err.contains("enabled=false"), err);
        }
    }

    @Test
    void disabledListensNowhere() throws Exception {
        int port = FreePort.pick();
        DemoBroker broker = new DemoBroker(config(false, "127.0.0.1", port));
        assertRefused(port);
        broker.stop();
    }

    @Test
    void badPortNamesTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DemoBroker(config(true, "127.0.0.1", 70000)));
        assertTrue(e.getMessage().contains("port 70000") && e.getMessage().contains(DemoBroker.PID), e::getMessage);
    }

    private static void assertRefused(int port) {
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
                "nothing may listen on " + port);
    }

    private static String stderrOf(Runnable r) {
        PrintStream old = System.err;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setErr(new PrintStream(bytes, true, UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return bytes.toString(UTF_8);
    }


    private static DemoBroker.Config config(boolean enabled, String host, int port) {
        return new DemoBroker.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return DemoBroker.Config.class;
            }

            @Override
            public boolean enabled() {
                return enabled;
            }

            @Override
            public String host() {
                return host;
            }

            @Override
            public int port() {
                return port;
            }
        };
    }
}
