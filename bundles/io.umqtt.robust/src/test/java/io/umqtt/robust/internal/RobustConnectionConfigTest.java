package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.umqtt.robust.OverflowPolicy;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.connection.ConnectionSettings;
import io.umqtt.simple.testing.FakeBundleContext;

/** The configuration of the robust component: defaults, every check's message, failover parsing. */
class RobustConnectionConfigTest {
    private static final String PID = "io.umqtt.robust~t";

    @Test
    void aFormWithOnlyTheServerWorks() {
        RobustConnectionConfig c = RobustConfigs.of("server", "broker.local");
        ConnectionSettings s = ConnectionSettings.of(PID, RobustConfigs.common(c));
        RobustSettings r = RobustSettings.of(PID, c);
        assertEquals("broker.local", s.server());
        assertEquals(1883, s.effectivePort());
        assertEquals(PID, s.name());
        assertTrue(s.cleanSession());
        assertEquals(60, s.keepAliveSeconds());
        assertEquals(1_000, r.policy().initialDelayMillis());
        assertEquals(60_000, r.policy().maxDelayMillis());
        assertEquals(0.5, r.policy().jitter());
        assertEquals(0, r.policy().maxAttempts(), "never give up");
        assertEquals(10_000, r.queueMaxMessages());
        assertEquals(10L * 1024 * 1024, r.queueMaxBytes());
        assertEquals(OverflowPolicy.DROP_OLDEST, r.overflow());
        assertTrue(r.failover().isEmpty());
        assertFalse(r.queuePersistent(), "memory only unless asked");
        assertNull(r.queueDirectory());
    }

    @Test
    void queueDirectoryIsTakenOnlyWithQueuePersistent() {
        RobustSettings r = RobustSettings.of(PID, RobustConfigs.of("queue.persistent", true, "queue.directory",
                " /var/lib/gw/../gw/queue "));
        assertTrue(r.queuePersistent());
        assertEquals(java.nio.file.Path.of("/var/lib/gw/queue"), r.queueDirectory());
        assertNull(RobustSettings.of(PID, RobustConfigs.of("queue.persistent", true)).queueDirectory(),
                "empty: the bundle's data area");
        RobustSettings off = RobustSettings.of(PID, RobustConfigs.of("queue.directory", "relative/ignored"));
        assertFalse(off.queuePersistent());
        assertNull(off.queueDirectory(), "not used, so not checked");
    }

    @Test
    void aRelativeQueueDirectoryNamesPropertyAndValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RobustSettings.of(PID,
                RobustConfigs.of("queue.persistent", true, "queue.directory", "queue")));
        assertEquals("invalid configuration of " + PID + ": queue.directory=queue is a relative path; give an absolute "
                + "one, or leave it empty for the bundle's persistent storage area", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> RobustSettings.of(PID,
                RobustConfigs.of("queue.persistent", true, "queue.directory", "/a\u0000b")));
        assertTrue(e.getMessage().startsWith("invalid configuration of " + PID + ": queue.directory=/a\u0000b is not a "
                + "valid path"), e.getMessage());
    }

    @Test
    void robustValuesAreTaken() {
        RobustSettings r = RobustSettings.of(PID, RobustConfigs.of("reconnect.initial.delay", 250L,
                "reconnect.max.delay", 4_000L, "reconnect.jitter", 0.0, "reconnect.max.attempts", 7,
                "queue.max.messages", 0, "queue.max.bytes", 0L, "queue.overflow", " reject_newest ",
                "failover.servers", new String[] {"b.local:1884", "", "  ", "[::1]:1885", "c.local", "[fe80::1]"}));
        assertEquals(250, r.policy().initialDelayMillis());
        assertEquals(4_000, r.policy().maxDelayMillis());
        assertEquals(0.0, r.policy().jitter());
        assertEquals(7, r.policy().maxAttempts());
        assertEquals(0, r.queueMaxMessages(), "0 turns the offline queue off");
        assertEquals(OverflowPolicy.REJECT_NEWEST, r.overflow());
        assertEquals(List.of("b.local:1884", "[::1]:1885", "c.local", "[fe80::1]"),
                r.failover().stream().map(Object::toString).collect(Collectors.toList()), "blank entries are skipped");
        assertEquals("::1", r.failover().get(1).host);
        assertEquals(1885, r.failover().get(1).port);
        assertEquals(0, r.failover().get(2).port, "no port: the default one");
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of("reconnect.initial.delay", 0L, "reconnect.initial.delay=0 is outside 1..86400000 ms"),
                Arguments.of("reconnect.initial.delay", -5L, "reconnect.initial.delay=-5 is outside 1..86400000 ms"),
                Arguments.of("reconnect.initial.delay", 86_400_001L,
                        "reconnect.initial.delay=86400001 is outside 1..86400000 ms"),
                Arguments.of("reconnect.max.delay", 999L,
                        "reconnect.max.delay=999 is outside reconnect.initial.delay (1000)..86400000 ms"),
                Arguments.of("reconnect.max.delay", 86_400_001L,
                        "reconnect.max.delay=86400001 is outside reconnect.initial.delay (1000)..86400000 ms"),
                Arguments.of("reconnect.jitter", 1.5, "reconnect.jitter=1.5 is outside 0..1"),
                Arguments.of("reconnect.jitter", -0.1, "reconnect.jitter=-0.1 is outside 0..1"),
                Arguments.of("reconnect.jitter", Double.NaN, "reconnect.jitter=NaN is outside 0..1"),
                Arguments.of("reconnect.max.attempts", -1, "reconnect.max.attempts=-1 is negative (0 = never give up)"),
                Arguments.of("queue.max.messages", -1, "queue.max.messages=-1 is negative (0 = no offline queue)"),
                Arguments.of("queue.max.bytes", -1L, "queue.max.bytes=-1 is negative"),
                Arguments.of("queue.max.bytes", 0L, "queue.max.bytes=0 leaves no room for any of the "
                        + "queue.max.messages=10000 messages; set queue.max.messages=0 to turn the offline queue off"),
                Arguments.of("queue.overflow", "DROP_NEWEST",
                        "queue.overflow=DROP_NEWEST is none of [REJECT_NEWEST, DROP_OLDEST]"),
                Arguments.of("queue.overflow", "", "queue.overflow= is none of [REJECT_NEWEST, DROP_OLDEST]"),
                Arguments.of("failover.servers", new String[] {"ok:1", "mqtt://b:1883"},
                        "failover.servers[1]=mqtt://b:1883 must be host:port, not a URI; TLS follows tls.enabled"),
                Arguments.of("failover.servers", new String[] {"b:70000"},
                        "failover.servers[0]=b:70000 has a port outside 1..65535"),
                Arguments.of("failover.servers", new String[] {"b:0"}, "failover.servers[0]=b:0 has a port outside 1..65535"),
                Arguments.of("failover.servers", new String[] {"b:x"},
                        "failover.servers[0]=b:x has a port that is not a number"),
                Arguments.of("failover.servers", new String[] {":1883"}, "failover.servers[0]=:1883 has no host"),
                Arguments.of("failover.servers", new String[] {"::1:1883"},
                        "failover.servers[0]=::1:1883 has several ':'; write an IPv6 address as [address]:port"),
                Arguments.of("failover.servers", new String[] {"[::1:1883"},
                        "failover.servers[0]=[::1:1883 has no ']' closing the IPv6 address"),
                Arguments.of("failover.servers", new String[] {"[::1]1883"},
                        "failover.servers[0]=[::1]1883 must be [address]:port"),
                Arguments.of("failover.servers", new String[] {"a b:1"},
                        "failover.servers[0]=a b:1 contains blanks or control characters"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badValues")
    void badRobustValueNamesPropertyAndValue(String property, Object value, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RobustSettings.of(PID, RobustConfigs.of("server", "b", property, value)));
        assertEquals("invalid configuration of " + PID + ": " + message, e.getMessage());
    }

    @Test
    void connectionPropertiesAreCheckedAsInTheSimpleComponent() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConnectionSettings.of(PID, RobustConfigs.common(RobustConfigs.of("port", 70000))));
        assertEquals("invalid configuration of " + PID + ": port=70000 is outside 0..65535 (0 = 1883, or 8883 with TLS)",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConnectionSettings.of(PID, RobustConfigs.common(RobustConfigs.of("server", "mqtt://b"))));
        assertTrue(e.getMessage().startsWith("invalid configuration of " + PID
                + ": server=mqtt://b is a URI with the scheme 'mqtt'"), e.getMessage());
    }

    @Test
    void badValueActivatesOutOfServiceWithoutAThread() throws Exception {
        FakeBundleContext fake = new FakeBundleContext();
        RobustConnectionComponent c = new RobustConnectionComponent();
        RobustConnectionConfig bad = RobustConfigs.of("name", "bad", "reconnect.jitter", 2.0);
        c.activate(fake.context, bad, RobustConfigs.common(bad), Map.of("service.pid", "io.umqtt.robust~bad"));
        try {
            assertNull(c.thread());
            assertTrue(Thread.getAllStackTraces().keySet().stream()
                    .noneMatch(t -> t.getName().equals("umqtt-robust-bad")));
            FakeBundleContext.Event e = fake.next();
            assertEquals(FakeBundleContext.Kind.REGISTERED, e.kind);
            assertEquals("invalid configuration of io.umqtt.robust~bad: reconnect.jitter=2.0 is outside 0..1",
                    e.get(MqttConstants.ERROR));
            assertEquals("CLOSED", e.get(MqttConstants.STATE));
            assertEquals("bad", e.get(MqttConstants.NAME));
            assertNull(fake.poll());
        } finally {
            c.deactivate();
        }
    }

    @Test
    void passwordsAppearInNoMessageAndNoSettingsText() {
        String secret = "pw-0815-secret";
        RobustConnectionConfig c = RobustConfigs.of("username", "u", "password", secret, "reconnect.jitter", 3.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RobustSettings.of(PID, c));
        assertFalse(e.getMessage().contains(secret));
        assertFalse(ConnectionSettings.of(PID, RobustConfigs.common(c)).toString().contains(secret));
    }

    /**
     * The component must load without the optional EventAdmin package: only EventAdminPoster may
     * name its types (loaded when an EventAdmin service exists).
     */
    @Test
    void onlyTheEventAdminPosterReferencesTheEventAdminPackage() throws IOException {
        for (Class<?> type : List.of(RobustConnectionComponent.class, ConnectionEvents.class, ManagedClient.class,
                RobustConnectionService.class, RobustSettings.class, RobustConnectionConfig.class)) {
            assertFalse(classFile(type).contains("org/osgi/service/event"), type + " references org.osgi.service.event");
        }
        for (Class<?> nested : RobustConnectionComponent.class.getDeclaredClasses()) {
            assertFalse(classFile(nested).contains("org/osgi/service/event"), nested + " references org.osgi.service.event");
        }
        assertTrue(classFile(EventAdminPoster.class).contains("org/osgi/service/event/EventAdmin"));
    }

    private static String classFile(Class<?> type) throws IOException {
        String resource = type.getName().substring(type.getPackageName().length() + 1) + ".class";
        try (InputStream in = type.getResourceAsStream(resource)) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void failoverServersAlsoAcceptCommaSeparatedValues() {
        // Kura's form shows at most 10 values of a multi-value attribute: one value may list several
        RobustSettings r = RobustSettings.of(PID, RobustConfigs.of("failover.servers",
                new String[] {"a:1, b:2", "", "c", " d:4 ,"}));
        assertEquals("[a:1, b:2, c, d:4]", r.failover().toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RobustSettings.of(PID,
                RobustConfigs.of("failover.servers", new String[] {"a:1,b:x"})));
        assertEquals("invalid configuration of " + PID + ": failover.servers[1]=b:x has a port that is not a number",
                e.getMessage());
    }
}
