package io.umqtt.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.simple.testing.WebSocketBridge;

/**
 * A connection over WebSocket in the framework (Felix, and Equinox in Kura's runtime): the simple
 * and the robust component given a {@code ws://} server reach mosquitto through the tests'
 * WebSocket-to-TCP bridge (the mosquitto package has no WebSocket listener), on the JDK's
 * {@code java.net.http} from inside a bundle; QoS 2 and several filters in one SUBSCRIBE on the way.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WebSocketConnectionIT extends UmqttTestSupport {

    @Configuration
    public Option[] configuration() throws IOException {
        return OptionUtils.combine(super.configuration(), brokerHarness());
    }

    private void roundTrip(String pid, String name) throws Exception {
        try (WebSocketBridge bridge = WebSocketBridge.builder(brokerHost(), brokerPort()).start()) {
            configure(pid, name, "server", bridge.uri(), "port", 0);
            ServiceReference<MqttConnection> ref = awaitConnected(name);
            assertEquals(Boolean.TRUE, ref.getProperty(MqttConstants.CONNECTED));
            assertTrue("the connection went through the bridge", bridge.handshakes.get() >= 1);
            MqttConnection conn = context.getService(ref);
            try {
                BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(4);
                int[] granted = conn.subscribe(new String[] {"it/ws/" + name + "/+", "it/ws/" + name + "/x/#"},
                        new int[] {2, 1}, received::add);
                assertArrayEquals(new int[] {2, 1}, granted);
                byte[] payload = ("over WebSocket " + name).getBytes(StandardCharsets.UTF_8);
                conn.publish("it/ws/" + name + "/1", payload, 2, false);
                MqttMessage m = received.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                assertNotNull("no message within " + TIMEOUT_MILLIS + " ms", m);
                assertArrayEquals(payload, m.payload());
                assertEquals(2, m.qos());
            } finally {
                context.ungetService(ref);
            }
        }
    }

    @Test
    public void theSimpleComponentConnectsOverWebSocket() throws Exception {
        roundTrip(SIMPLE_PID, "it-ws-simple");
    }

    @Test
    public void theRobustComponentConnectsOverWebSocket() throws Exception {
        roundTrip(ROBUST_PID, "it-ws-robust");
    }
}
