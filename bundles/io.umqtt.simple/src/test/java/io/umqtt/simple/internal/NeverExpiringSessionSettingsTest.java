package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;

import io.umqtt.simple.connection.ConnectionSettings;

/**
 * An MQTT 5 connection without a configured {@code client.id} connects under a new identifier on
 * every start (assigned by the broker with clean session off, generated with it on), so a session
 * that never expires (4294967295, MQTT 5 section 3.1.2.11.2) would stay on the broker for ever after
 * each restart: the one validation of both components refuses it, naming the connection's PID and
 * both attributes and the way out. {@code session.expiry.interval=-1} without clean session sends
 * "never" as well. A client id, or a finite expiry, is accepted.
 */
class NeverExpiringSessionSettingsTest {
    private static final String PID = "io.umqtt.robust~cloud";
    private static final long NEVER = 4_294_967_295L;
    private static final String WAY_OUT = "give the connection a client.id (its session is then resumed), or a finite "
            + "session.expiry.interval (0..4294967294 seconds)";

    private static ConnectionSettings settings(Object... keyValues) {
        TestConfigs.Simple c = TestConfigs.simple(keyValues);
        return ConnectionSettings.of(PID, PID, c, c.connect_timeout(), UnaryOperator.identity());
    }

    private static String failure(Object... keyValues) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(keyValues));
        return e.getMessage();
    }

    @Test
    void withoutCleanSessionTheDefaultExpiryMeansNeverAndIsRefusedWithoutAClientId() {
        assertEquals("invalid configuration of " + PID + ": client.id is empty and clean.session=false with "
                + "session.expiry.interval=-1 (follow clean.session) asks the broker to keep the session for ever "
                + "(4294967295, never expires) on protocol.version=5: every start of the connection (a restart of the "
                + "gateway or of the component, a configuration change) connects under a new client identifier "
                + "(assigned by the broker, or generated), so each previous session would stay on the broker with its "
                + "subscriptions and queued QoS 1 and 2 messages, never resumed and never removed; " + WAY_OUT,
                failure("protocol.version", 5, "clean.session", false));
        assertTrue(failure("protocol.version", 5, "clean.session", false, "client.id", "  ")
                .contains("client.id is empty"), "white space only is empty");

        // the two ways out
        assertEquals(NEVER, settings("protocol.version", 5, "clean.session", false, "client.id", "gw-17")
                .sessionExpiryInterval(), "with a client id the session is resumed after a restart: never is fine");
        ConnectionSettings bounded = settings("protocol.version", 5, "clean.session", false,
                "session.expiry.interval", 3600L);
        assertEquals("", bounded.clientId(), "still assigned by the broker");
        assertEquals(3600, bounded.sessionExpiryInterval());
    }

    @Test
    void anExplicitNeverIsRefusedWithoutAClientIdWithAndWithoutCleanSession() {
        String kept = failure("protocol.version", 5, "clean.session", false, "session.expiry.interval", NEVER);
        assertTrue(kept.startsWith("invalid configuration of " + PID + ": client.id is empty and "
                + "session.expiry.interval=4294967295 asks the broker to keep the session for ever (never expires) on "
                + "protocol.version=5: "), kept);
        assertTrue(kept.endsWith(WAY_OUT), kept);
        // clean session: a generated identifier, new on every start; the session still outlives each connection
        String generated = failure("protocol.version", 5, "session.expiry.interval", NEVER);
        assertTrue(generated.startsWith("invalid configuration of " + PID + ": client.id is empty and "
                + "session.expiry.interval=4294967295"), generated);
        assertTrue(generated.endsWith(WAY_OUT), generated);

        // the largest finite expiry, and a configured client id, are accepted
        assertEquals(NEVER - 1, settings("protocol.version", 5, "clean.session", false, "session.expiry.interval",
                NEVER - 1).sessionExpiryInterval());
        ConnectionSettings withId = settings("protocol.version", 5, "client.id", "gw-17", "session.expiry.interval",
                NEVER);
        assertEquals(NEVER, withId.sessionExpiryInterval());
        assertFalse(withId.clientIdGenerated());
        ConnectionSettings clean = settings("protocol.version", 5, "session.expiry.interval", 60L);
        assertTrue(clean.clientIdGenerated(), "a finite expiry with a generated id stays allowed");
        assertEquals(0, settings("protocol.version", 5).sessionExpiryInterval(), "the default ends the session");
    }

    @Test
    void theRangeAndMqtt311ChecksComeFirst() {
        String m = failure("session.expiry.interval", NEVER);
        assertTrue(m.contains("session.expiry.interval=4294967295 is an MQTT 5 setting, but protocol.version=4"), m);
        m = failure("clean.session", false);
        assertTrue(m.contains("clean.session=false needs a fixed client.id"), "MQTT 3.1.1's own rule: " + m);
        m = failure("protocol.version", 5, "clean.session", false, "session.expiry.interval", NEVER + 1);
        assertTrue(m.contains("session.expiry.interval=4294967296 is outside 0..4294967295 seconds"), m);
        m = failure("protocol.version", 5, "clean.session", false, "ack.after.processing", true);
        assertTrue(m.contains("client.id is empty and clean.session=false with session.expiry.interval=-1"),
                "acknowledging after processing needs the session, but not a never expiring one: " + m);
        assertTrue(settings("protocol.version", 5, "clean.session", false, "ack.after.processing", true,
                "session.expiry.interval", 600L).ackAfterProcessing());
    }
}
