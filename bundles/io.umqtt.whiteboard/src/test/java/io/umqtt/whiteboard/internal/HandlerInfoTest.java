package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Constants;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.TopicFilter;

/** Parsing a handler's service properties: what is accepted, and what each refusal says. */
class HandlerInfoTest {

    @Test
    void acceptsOneFilterAsAStringWithDefaults() {
        HandlerInfo info = parse(HandlerConstants.TOPIC, "plant/+/temp");
        assertEquals(42, info.serviceId());
        assertEquals(7, info.bundleId());
        assertEquals(List.of("plant/+/temp"), texts(info));
        assertEquals(0, info.qos());
        assertNull(info.targetText());
        assertTrue(info.targets(connection("anything")), "no target: every connection");
    }

    @Test
    void acceptsArraysAndCollectionsDroppingDuplicatesInOrder() {
        assertEquals(List.of("a/#", "$share/g/b", "c"),
                texts(parse(HandlerConstants.TOPIC, new String[] {"a/#", "$share/g/b", "a/#", "c"})));
        assertEquals(List.of("x", "y"), texts(parse(HandlerConstants.TOPIC, List.of("x", "y", "x"))));
    }

    @Test
    void acceptsQosAsIntegerLongOrString() {
        assertEquals(1, parse(HandlerConstants.TOPIC, "a", HandlerConstants.QOS, 1).qos());
        assertEquals(1, parse(HandlerConstants.TOPIC, "a", HandlerConstants.QOS, 1L).qos());
        assertEquals(1, parse(HandlerConstants.TOPIC, "a", HandlerConstants.QOS, " 1 ").qos());
        assertEquals(0, parse(HandlerConstants.TOPIC, "a", HandlerConstants.QOS, "0").qos());
        assertEquals(2, parse(HandlerConstants.TOPIC, "a", HandlerConstants.QOS, 2).qos());
        assertEquals(2, parse(HandlerConstants.TOPIC, "a", HandlerConstants.QOS, "2").qos());
    }

    @Test
    void theTargetSelectsConnectionsByTheirServiceProperties() {
        HandlerInfo info = parse(HandlerConstants.TOPIC, "a", HandlerConstants.TARGET,
                "(&(mqtt.connection.name=plant)(mqtt.connected=true))");
        assertEquals("(&(mqtt.connection.name=plant)(mqtt.connected=true))", info.targetText());
        assertTrue(info.targets(connection("plant")));
        assertFalse(info.targets(connection("office")));
    }

    @Test
    void sameSubscriptionsIgnoresOtherProperties() {
        HandlerInfo a = parse(HandlerConstants.TOPIC, "a", "other", 1);
        assertTrue(a.sameSubscriptions(parse(HandlerConstants.TOPIC, "a", "other", 2)));
        assertFalse(a.sameSubscriptions(parse(HandlerConstants.TOPIC, "b")));
        assertFalse(a.sameSubscriptions(parse(HandlerConstants.TOPIC, "a", HandlerConstants.QOS, 1)));
        assertFalse(a.sameSubscriptions(parse(HandlerConstants.TOPIC, "a", HandlerConstants.TARGET, "(x=y)")));
    }

    @Test
    void refusesBadTopicsNamingPropertyAndValue() {
        refused("mqtt.topic: invalid topic filter 'a/#/b': '#' is allowed only as the last level",
                HandlerConstants.TOPIC, "a/#/b");
        refused("mqtt.topic: invalid topic filter 'a/b+': '+' and '#' must occupy a whole level",
                HandlerConstants.TOPIC, new String[] {"ok", "a/b+"});
        refused("mqtt.topic: invalid topic filter '': a topic filter must not be empty", HandlerConstants.TOPIC, "");
        refused("mqtt.topic: invalid topic filter '$share/g': a shared subscription needs the form",
                HandlerConstants.TOPIC, "$share/g");
        refused("mqtt.topic must name at least one topic filter, found none", HandlerConstants.TOPIC,
                new String[0]);
        refused("mqtt.topic must be a String, String[] or Collection<String> of topic filters, found nothing",
                "unrelated", "x");
        refused("mqtt.topic must be a String, String[] or Collection<String> of topic filters, found 5 (Integer)",
                HandlerConstants.TOPIC, 5);
        refused("mqtt.topic must hold only Strings, found 3 (Integer) in [a, 3]", HandlerConstants.TOPIC,
                List.of("a", 3));
    }

    @Test
    void refusesBadQosNamingTheValue() {
        refused("mqtt.qos must be 0, 1 or 2, found 3 (Integer)", HandlerConstants.TOPIC, "a", HandlerConstants.QOS, 3);
        refused("mqtt.qos must be 0, 1 or 2, found -1 (Long)", HandlerConstants.TOPIC, "a", HandlerConstants.QOS, -1L);
        refused("mqtt.qos must be 0, 1 or 2, found 'high'", HandlerConstants.TOPIC, "a", HandlerConstants.QOS, "high");
        refused("mqtt.qos must be 0, 1 or 2 (Integer, Long or String), found 1.0 (Double)", HandlerConstants.TOPIC, "a",
                HandlerConstants.QOS, 1.0d);
    }

    @Test
    void refusesBadTargetsNamingTheValue() {
        refused("mqtt.target is not a valid LDAP filter: '(mqtt.connection.name=plant'", HandlerConstants.TOPIC,
                "a", HandlerConstants.TARGET, "(mqtt.connection.name=plant");
        refused("mqtt.target must be a String holding an LDAP filter, found [(a=b)] (String[])",
                HandlerConstants.TOPIC, "a", HandlerConstants.TARGET, new String[] {"(a=b)"});
    }

    @Test
    void requiresAServiceId() {
        Map<String, Object> p = new HashMap<>();
        p.put(HandlerConstants.TOPIC, "a");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HandlerInfo.parse(p, "b"));
        assertEquals("service.id must be a Long, found nothing", e.getMessage());
    }

    private static void refused(String expected, Object... keyValues) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(keyValues));
        assertTrue(e.getMessage().startsWith(expected), "message was: " + e.getMessage());
    }

    private static HandlerInfo parse(Object... keyValues) {
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, 42L);
        p.put(Constants.SERVICE_BUNDLEID, 7L);
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put((String) keyValues[i], keyValues[i + 1]);
        }
        return HandlerInfo.parse(p, "com.example [7]");
    }

    private static List<String> texts(HandlerInfo info) {
        return info.filters().stream().map(TopicFilter::toString).collect(Collectors.toList());
    }

    private static Dictionary<String, Object> connection(String name) {
        Dictionary<String, Object> d = new Hashtable<>();
        d.put(MqttConstants.NAME, name);
        d.put(MqttConstants.CONNECTED, true);
        return d;
    }
}
