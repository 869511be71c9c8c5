package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.internal.LogCapture;
import io.umqtt.simple.testing.FakeBundleContext;
import io.umqtt.simple.testing.FakeBundleContext.Event;
import io.umqtt.simple.testing.FakeBundleContext.Kind;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * A robust connection with {@code protocol.version=5}, an empty {@code client.id} and a session
 * that never expires ({@code clean.session=false} with the default
 * {@code session.expiry.interval=-1}, or 4294967295) would leave a session on the broker for ever
 * at each restart, since the broker assigns a new identifier every time: the component refuses it
 * as every configuration error, without a connection thread and without connecting, with the
 * error in {@code mqtt.error} and in the one out-of-service line of the log; a client id fixes it
 * without a restart. Every wait is on a recorded service event.
 */
@Timeout(60)
class RobustComponentNeverExpiringSessionTest {
    /** mosquitto's log line of an accepted CONNECT. */
    private static final Pattern CONNECTED = Pattern.compile("New client connected from \\S+ as (\\S+) ");
    private static final String PID = "io.umqtt.robust~cloud";

    private MosquittoBroker broker;
    private RobustConnectionComponent component;
    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = new LogCapture();
    }

    @AfterEach
    void cleanUp() {
        if (component != null) {
            component.deactivate();
        }
        if (broker != null) {
            broker.close();
        }
        log.close();
    }

    private static boolean connectionThreadRuns() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals(RobustConnectionComponent.THREAD_PREFIX + "cloud") && t.isAlive());
    }

    @Test
    void anEmptyClientIdWithANeverExpiringSessionIsOutOfServiceWithoutConnectingUntilItGetsAClientId()
            throws Exception {
        broker = MosquittoBroker.start();
        FakeBundleContext fake = new FakeBundleContext();
        component = new RobustConnectionComponent();
        Map<String, Object> props = Map.of("service.pid", PID);
        RobustConnectionConfig kept = RobustConfigs.of("name", "cloud", "server", broker.host(), "port",
                broker.port(), "protocol.version", 5, "clean.session", false);
        component.activate(fake.context, kept, RobustConfigs.common(kept), props);

        Event failed = fake.next();
        assertEquals(Kind.REGISTERED, failed.kind);
        assertEquals("CLOSED", failed.get(MqttConstants.STATE));
        assertEquals(false, failed.get(MqttConstants.CONNECTED));
        String error = (String) failed.get(MqttConstants.ERROR);
        assertTrue(error.startsWith("invalid configuration of " + PID + ": client.id is empty and "
                + "clean.session=false with session.expiry.interval=-1 (follow clean.session) asks the broker to keep "
                + "the session for ever (4294967295, never expires) on protocol.version=5: "), error);
        assertTrue(error.endsWith("give the connection a client.id (its session is then resumed), or a finite "
                + "session.expiry.interval (0..4294967294 seconds)"), error);
        assertTrue(log.text().contains("SEVERE MQTT connection cloud is out of service: " + error), log.text());
        assertNull(component.thread(), "no connection thread");
        assertFalse(connectionThreadRuns());
        MqttConnection service = (MqttConnection) failed.service;
        IOException publish = assertThrows(IOException.class, () -> service.publish("t", new byte[0], 1, false));
        assertTrue(publish.getMessage().contains(error), publish.getMessage());

        // "never" said outright: refused as well, the service shows the new error
        RobustConnectionConfig never = RobustConfigs.of("name", "cloud", "server", broker.host(), "port",
                broker.port(), "protocol.version", 5, "clean.session", false, "session.expiry.interval", 4294967295L);
        component.modified(never, RobustConfigs.common(never), props);
        Event still = fake.next();
        assertEquals(Kind.MODIFIED, still.kind);
        assertTrue(((String) still.get(MqttConstants.ERROR)).contains("client.id is empty and "
                + "session.expiry.interval=4294967295 asks the broker to keep the session for ever"), still.toString());
        assertNull(component.thread());

        // fixed with a client id: the same service connects, and this is the broker's first client
        RobustConnectionConfig named = RobustConfigs.of("name", "cloud", "server", broker.host(), "port",
                broker.port(), "protocol.version", 5, "clean.session", false, "session.expiry.interval", 4294967295L,
                "client.id", "gw-cloud");
        component.modified(named, RobustConfigs.common(named), props);
        Event connected = fake.await(MqttConstants.STATE + "=CONNECTED", e -> e.kind != Kind.UNREGISTERED
                && "CONNECTED".equals(e.get(MqttConstants.STATE)));
        assertSame(service, connected.service);
        assertNull(connected.get(MqttConstants.ERROR));
        assertTrue(broker.awaitLog(" as gw-cloud ", 10, TimeUnit.SECONDS), broker::log);
        Matcher m = CONNECTED.matcher(broker.log());
        assertTrue(m.find(), broker.log());
        assertEquals("gw-cloud", m.group(1), "the refused configurations never connected:\n" + broker.log());
        assertFalse(m.find(), "one connection only:\n" + broker.log());
    }
}
