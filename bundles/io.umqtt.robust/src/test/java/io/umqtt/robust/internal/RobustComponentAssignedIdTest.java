package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.MqttConstants;
import io.umqtt.robust.RobustConstants;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.FakeBundleContext;
import io.umqtt.simple.testing.FakeBundleContext.Event;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * A robust connection component with {@code protocol.version=5}, an empty {@code client.id} and
 * {@code clean.session=false} (refused on MQTT 3.1.1, MQTT-3.1.3-7): it connects with an empty
 * client identifier and Clean Start 0, mosquitto assigns one, and after the connection is taken
 * over (DISCONNECT 0x8E) the component reconnects with the assigned identifier and resumes the
 * session (Session Present). Every wait is on a recorded service event or the broker's log.
 */
@Timeout(60)
class RobustComponentAssignedIdTest {
    /** mosquitto's log line of an accepted MQTT 5 CONNECT with Clean Start 0. */
    private static final Pattern CONNECTED_AS = Pattern.compile(" as (\\S+) \\(p5, c0, ");

    private MosquittoBroker broker;
    private RobustConnectionComponent component;

    @AfterEach
    void cleanUp() {
        if (component != null) {
            component.deactivate();
        }
        if (broker != null) {
            broker.close();
        }
    }

    private static Event awaitConnected(FakeBundleContext fake) throws InterruptedException {
        return fake.await(MqttConstants.STATE + "=CONNECTED", e -> e.kind != FakeBundleContext.Kind.UNREGISTERED
                && "CONNECTED".equals(e.get(MqttConstants.STATE)));
    }

    @Test
    void anEmptyClientIdKeepsItsSessionAcrossAReconnectUnderTheAssignedIdentifier() throws Exception {
        broker = MosquittoBroker.start();
        FakeBundleContext fake = new FakeBundleContext();
        component = RobustConfigs.activate(fake.context, "assigned", "server", broker.host(), "port", broker.port(),
                "protocol.version", 5, "clean.session", false, "session.expiry.interval", 300L);
        Event first = awaitConnected(fake);
        assertEquals("", first.get(MqttConstants.CLIENT_ID), "sent empty: the broker assigns the identifier");
        assertEquals(false, first.get(RobustConstants.SESSION_PRESENT));
        Matcher m = CONNECTED_AS.matcher(broker.log());
        assertTrue(m.find(), "connected with Clean Start 0:\n" + broker.log());
        String assigned = m.group(1);

        // another client takes the session over: the broker ends the component's connection (0x8E)
        MqttClient intruder = new MqttClient(assigned, broker.host(), broker.port());
        try {
            intruder.setProtocolVersion(5);
            intruder.setSessionExpiryInterval(300);
            assertTrue(intruder.connect(false), "the intruder found the component's session");
        } finally {
            intruder.close(); // no DISCONNECT needed: the session outlives the connection either way
        }
        Event back = fake.await("a reconnect with the session", e -> "CONNECTED".equals(e.get(MqttConstants.STATE))
                && Long.valueOf(1).equals(e.get(RobustConstants.RECONNECTS)));
        assertEquals(true, back.get(RobustConstants.SESSION_PRESENT), "resumed under the assigned identifier");
        assertTrue(broker.awaitLog(" as " + assigned + " (p5, c0, ", 10, TimeUnit.SECONDS));
        Matcher again = CONNECTED_AS.matcher(broker.log());
        int byAssigned = 0;
        while (again.find()) {
            assertEquals(assigned, again.group(1), "every Clean Start 0 CONNECT used the assigned identifier");
            byAssigned++;
        }
        assertTrue(byAssigned >= 3, "the component, the intruder and the component again:\n" + broker.log());
    }
}
