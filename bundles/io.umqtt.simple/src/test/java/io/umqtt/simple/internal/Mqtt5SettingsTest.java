package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.connection.ConnectionSettings;

/** The MQTT 5 attributes of the shared connection configuration: defaults, mapping, validation. */
class Mqtt5SettingsTest {
    private static final String PID = "io.umqtt.simple~m5";

    private static ConnectionSettings settings(Object... keyValues) {
        TestConfigs.Simple c = TestConfigs.simple(keyValues);
        return ConnectionSettings.of(PID, PID, c, c.connect_timeout(), UnaryOperator.identity());
    }

    private static String failure(Object... keyValues) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(keyValues));
        assertTrue(e.getMessage().startsWith("invalid configuration of " + PID + ": "), e.getMessage());
        return e.getMessage();
    }

    @Test
    void mqtt311IsTheDefaultAndTheServiceSaysSo() {
        ConnectionSettings s = settings();
        assertEquals(MqttConstants.MQTT_3_1_1, s.protocolVersion());
        assertEquals(0, s.sessionExpiryInterval(), "clean session: the session ends with the connection");
        assertEquals(65_535, s.receiveMaximum());
        assertEquals(0, s.topicAliasMaximum());
        assertEquals(ConnectionSettings.DEFAULT_OUTBOUND_TOPIC_ALIASES, s.outboundTopicAliases());
        assertFalse(s.requestResponseInformation());
        assertEquals(List.of(), s.userProperties());
        assertEquals(0, s.willDelayInterval());
        assertEquals(4, s.serviceProperties("simple", ConnectionState.CONNECTED).get(MqttConstants.PROTOCOL_VERSION));
        assertFalse(s.toString().contains("protocol.version"), "nothing MQTT 5 in a 3.1.1 connection's line: " + s);
    }

    @Test
    void mqtt5ValuesAreTaken() {
        ConnectionSettings s = settings("protocol.version", 5, "session.expiry.interval", 3600L, "receive.maximum", 10,
                "topic.alias.maximum", 20, "outbound.topic.aliases", 0, "request.response.information", true,
                "user.properties", new String[] {"site=north", "", "k = a=b", "site=south"}, "lwt.topic", "gw/dead",
                "will.delay.interval", 30L);
        assertEquals(5, s.protocolVersion());
        assertEquals(3600, s.sessionExpiryInterval());
        assertEquals(10, s.receiveMaximum());
        assertEquals(20, s.topicAliasMaximum());
        assertEquals(0, s.outboundTopicAliases());
        assertTrue(s.requestResponseInformation());
        assertEquals(List.of(new UserProperty("site", "north"), new UserProperty("k", " a=b"),
                new UserProperty("site", "south")), s.userProperties(), "the first '=' separates; the order and "
                        + "repeated names are kept; an empty field is skipped");
        assertEquals(30, s.willDelayInterval());
        assertEquals(5, s.serviceProperties("simple", ConnectionState.CONNECTED).get(MqttConstants.PROTOCOL_VERSION));
        assertTrue(s.toString().contains("protocol.version=5, session.expiry.interval=3600"), s.toString());
    }

    @Test
    void theClientIsMadeMqtt5OnlyWhenConfigured() {
        assertEquals(4, settings().newClient().protocolVersion(), "an MQTT 3.1.1 client is made as before");
        assertEquals(5, settings("protocol.version", 5, "session.expiry.interval", 60L, "receive.maximum", 10,
                "topic.alias.maximum", 5, "request.response.information", true, "user.properties",
                new String[] {"a=b"}, "lwt.topic", "gw/dead", "will.delay.interval", 30L).newClient().protocolVersion(),
                "the MQTT 5 settings are accepted by the client (each is refused on 3.1.1)");
    }

    @Test
    void sessionExpiryFollowsCleanSessionUnlessConfigured() {
        assertEquals(0, settings("protocol.version", 5).sessionExpiryInterval());
        assertEquals(0xFFFF_FFFFL, settings("protocol.version", 5, "clean.session", false, "client.id", "c")
                .sessionExpiryInterval(), "a kept session never expires, as in MQTT 3.1.1");
        assertEquals(60, settings("protocol.version", 5, "clean.session", false, "client.id", "c",
                "session.expiry.interval", 60L).sessionExpiryInterval());
        assertEquals(0, settings("protocol.version", 5, "clean.session", false, "client.id", "c",
                "session.expiry.interval", 0L).sessionExpiryInterval());
    }

    @ParameterizedTest
    @CsvSource({
        "protocol.version, 3, protocol.version=3 must be 4 (MQTT 3.1.1) or 5 (MQTT 5)",
        "session.expiry.interval, -2, session.expiry.interval=-2 is outside 0..4294967295 seconds",
        "session.expiry.interval, 4294967296, session.expiry.interval=4294967296 is outside",
        "receive.maximum, 0, receive.maximum=0 is outside 1..65535",
        "receive.maximum, 65536, receive.maximum=65536 is outside 1..65535",
        "topic.alias.maximum, -1, topic.alias.maximum=-1 is outside 0..65535",
        "outbound.topic.aliases, 70000, outbound.topic.aliases=70000 is outside 0..65535",
        "will.delay.interval, -1, will.delay.interval=-1 is outside 0..4294967295 seconds",
    })
    void outOfRangeValuesAreNamed(String property, long value, String expected) {
        Object v = property.endsWith("interval") ? (Object) value : (Object) (int) value;
        String m = failure("protocol.version", property.equals("protocol.version") ? (int) value : 5, property, v,
                "lwt.topic", "t");
        assertTrue(m.contains(expected), m);
    }

    @Test
    void badUserPropertiesAreNamedWithTheirIndex() {
        String m = failure("protocol.version", 5, "user.properties", new String[] {"a=1", "novalue"});
        assertTrue(m.contains("user.properties[1]=novalue must be name=value"), m);
        m = failure("protocol.version", 5, "user.properties", new String[] {"a=x\u0000y"});
        assertTrue(m.contains("user.properties[0]=") && m.contains("is not a valid user property")
                && m.contains("U+0000"), m);
    }

    @Test
    void willDelayNeedsALastWill() {
        String m = failure("protocol.version", 5, "will.delay.interval", 10L);
        assertTrue(m.contains("will.delay.interval=10 is set but lwt.topic is empty"), m);
    }

    @ParameterizedTest
    @CsvSource({
        "session.expiry.interval, 60, session.expiry.interval=60 is an MQTT 5 setting, but protocol.version=4",
        "receive.maximum, 10, receive.maximum=10 is an MQTT 5 setting",
        "topic.alias.maximum, 5, topic.alias.maximum=5 is an MQTT 5 setting",
        "outbound.topic.aliases, 0, outbound.topic.aliases=0 is an MQTT 5 setting",
        "request.response.information, true, request.response.information=true is an MQTT 5 setting",
        "user.properties, a=b, user.properties=[a=b] is an MQTT 5 setting",
        "will.delay.interval, 5, will.delay.interval=5 is an MQTT 5 setting",
    })
    void mqtt5SettingsOnAnMqtt311ConnectionAreConfigurationErrors(String property, String value, String expected) {
        Object v;
        switch (property) {
            case "session.expiry.interval":
            case "will.delay.interval":
                v = Long.parseLong(value);
                break;
            case "request.response.information":
                v = Boolean.parseBoolean(value);
                break;
            case "user.properties":
                v = new String[] {value};
                break;
            default:
                v = Integer.parseInt(value);
        }
        String m = failure(property, v, "lwt.topic", "t");
        assertTrue(m.contains(expected), m);
        assertTrue(m.contains("set protocol.version=5, or put it back to its default"), m);
        settings("protocol.version", 5, property, v, "lwt.topic", "t"); // fine on MQTT 5
    }

    @Test
    void ackAfterProcessingOnMqtt5NeedsASessionThatOutlivesTheConnection() {
        String m = failure("protocol.version", 5, "ack.after.processing", true, "clean.session", false,
                "client.id", "c", "session.expiry.interval", 0L);
        assertTrue(m.contains("ack.after.processing=true needs a session that outlives the connection, but "
                + "session.expiry.interval=0"), m);
        assertTrue(settings("protocol.version", 5, "ack.after.processing", true, "clean.session", false,
                "client.id", "c").ackAfterProcessing());
    }

    @Test
    void aChangeOfAnMqtt5SettingIsAChange() {
        ConnectionSettings a = settings("client.id", "c", "protocol.version", 5);
        assertTrue(a.sameAs(settings("client.id", "c", "protocol.version", 5)));
        assertFalse(a.sameAs(settings("client.id", "c")));
        assertFalse(a.sameAs(settings("client.id", "c", "protocol.version", 5, "user.properties",
                new String[] {"a=b"})));
        assertFalse(a.sameAs(settings("client.id", "c", "protocol.version", 5, "receive.maximum", 5)));
    }
}
