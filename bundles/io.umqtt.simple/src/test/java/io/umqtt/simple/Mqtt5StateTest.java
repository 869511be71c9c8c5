package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.MqttProperties;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.ReceivingClient;

/**
 * The client's MQTT 5 part ({@link Session5}, with authentication, requests and the waits without
 * a packet id) exists only once the client needs it: an MQTT 3.1.1 client never makes it, whatever
 * it does on its connections (the heap per connection, issue 12); a client switched to MQTT 5
 * later, after an MQTT 3.1.1 connection, makes it then and speaks MQTT 5 from its next connect.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Mqtt5StateTest {
    private static MosquittoBroker broker;

    @BeforeAll
    static void start() throws IOException {
        broker = MosquittoBroker.start();
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static MqttClient client(String id) {
        MqttClient c = new MqttClient(id, broker.host(), broker.port(), null, (byte[]) null, 30, null);
        c.setAckTimeout(10_000);
        return c;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anMqtt311ClientHoldsNoMqtt5State() throws Exception {
        MqttClient c = client("state311");
        c.setProtocolVersion(4);
        c.setLastWill("state311/will", "gone", false, 1);
        c.clearLastWill();
        try (ReceivingClient r = ReceivingClient.connect(c, true)) {
            c.subscribe("state311/#", 2);
            for (int qos = 0; qos <= 2; qos++) {
                c.publish("state311/" + qos, "m" + qos, false, qos);
                assertEquals("m" + qos, r.next().payloadString());
            }
            c.publishAsync(utf8("state311/async"), utf8("a"), false, 1).await();
            assertEquals("a", r.next().payloadString());
            c.unsubscribe("state311/#");
            c.ping();
            assertEquals(4, c.protocolVersion());
            assertNull(c.serverSettings());
            assertNull(c.authenticator());
            assertNull(c.session5, "an MQTT 3.1.1 client made MQTT 5 state");
            c.disconnect();
        }
        assertNull(c.session5, "an MQTT 3.1.1 client made MQTT 5 state");
    }

    @Test
    void aClientSwitchedToMqtt5AfterAnMqtt311ConnectionSpeaksMqtt5() throws Exception {
        MqttClient c = client("state-switch");
        c.connect(true);
        c.disconnect();
        assertNull(c.session5);

        c.setProtocolVersion(5);
        Session5 made = c.session5;
        assertNotNull(made, "setProtocolVersion(5) makes the MQTT 5 part");
        c.setTopicAliasMaximum(5);
        try (ReceivingClient r = ReceivingClient.connect(c, true)) {
            assertNotNull(c.serverSettings(), "an MQTT 5 CONNACK was read");
            c.subscribe("state-switch/t", 1);
            MqttProperties p = MqttProperties.builder().contentType("text/plain").build();
            c.publish("state-switch/t", utf8("five"), false, 1, p);
            ReceivingClient.Message m = r.next();
            assertEquals("five", m.payloadString());
            c.disconnect();
        }

        c.setProtocolVersion(4); // back to 3.1.1: the part stays, unused
        assertSame(made, c.session5);
        try (ReceivingClient r = ReceivingClient.connect(c, true)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.publish(
                    "state-switch/t", utf8("x"), false, 0, MqttProperties.builder().contentType("a").build()));
            assertTrue(e.getMessage().contains("speaks MQTT 3.1.1"), e.getMessage());
            c.subscribe("state-switch/t", 1);
            c.publish("state-switch/t", "four", false, 1);
            assertEquals("four", r.next().payloadString());
            c.disconnect();
        }
    }
}
