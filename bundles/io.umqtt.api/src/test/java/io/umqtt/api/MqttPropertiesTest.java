package io.umqtt.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link MqttProperties}: the builder's checks, EMPTY, immutability, equality and text. */
class MqttPropertiesTest {

    @Test
    void emptyIsTheSingleton() {
        assertSame(MqttProperties.EMPTY, MqttProperties.builder().build());
        assertSame(MqttProperties.EMPTY, MqttProperties.builder().contentType(null).correlationData(null)
                .payloadFormat(MqttProperties.FORMAT_UNSPECIFIED).messageExpiryInterval(MqttProperties.NO_EXPIRY)
                .build(), "setting nothing builds EMPTY");
        MqttProperties e = MqttProperties.EMPTY;
        assertTrue(e.isEmpty());
        assertEquals(MqttProperties.FORMAT_UNSPECIFIED, e.payloadFormat());
        assertEquals(MqttProperties.NO_EXPIRY, e.messageExpiryInterval());
        assertNull(e.contentType());
        assertNull(e.responseTopic());
        assertNull(e.correlationData());
        assertEquals(List.of(), e.userProperties());
        assertEquals(0, e.subscriptionIdentifiers().length);
        assertEquals("{}", e.toString());
    }

    @Test
    void everyProperty() {
        MqttProperties p = MqttProperties.builder().payloadFormat(MqttProperties.FORMAT_UTF8)
                .messageExpiryInterval(MqttProperties.MAX_EXPIRY_INTERVAL).contentType("text/plain")
                .responseTopic("reply/to").correlationData(new byte[] {1, 2}).userProperty("a", "1")
                .userProperty("a", "2").subscriptionIdentifiers(3, 268_435_455).build();
        assertFalse(p.isEmpty());
        assertEquals(1, p.payloadFormat());
        assertEquals(0xFFFF_FFFFL, p.messageExpiryInterval());
        assertEquals("text/plain", p.contentType());
        assertEquals("reply/to", p.responseTopic());
        assertArrayEquals(new byte[] {1, 2}, p.correlationData());
        assertTrue(p.correlationDataEquals(new byte[] {1, 2}));
        assertFalse(p.correlationDataEquals(new byte[] {1}));
        assertEquals(List.of(new UserProperty("a", "1"), new UserProperty("a", "2")), p.userProperties());
        assertEquals("1", p.userProperty("a"), "the first of a repeated name");
        assertNull(p.userProperty("b"));
        assertArrayEquals(new int[] {3, 268_435_455}, p.subscriptionIdentifiers());
        assertEquals("{payload format UTF-8, message expiry 4294967295 s, content type text/plain, response topic "
                + "reply/to, correlation data 2 bytes, user properties [a=1, a=2], subscription identifiers [3, "
                + "268435455]}", p.toString());
    }

    @Test
    void immutable() {
        byte[] data = {1};
        int[] ids = {5};
        MqttProperties.Builder b = MqttProperties.builder().correlationData(data).subscriptionIdentifiers(ids)
                .userProperty("k", "v");
        MqttProperties p = b.build();
        data[0] = 9;
        ids[0] = 9;
        b.userProperty("x", "y");
        assertArrayEquals(new byte[] {1}, p.correlationData());
        assertArrayEquals(new int[] {5}, p.subscriptionIdentifiers());
        assertEquals(1, p.userProperties().size());
        p.correlationData()[0] = 7;
        p.subscriptionIdentifiers()[0] = 7;
        assertArrayEquals(new byte[] {1}, p.correlationData(), "a copy each time");
        assertArrayEquals(new int[] {5}, p.subscriptionIdentifiers());
        assertThrows(UnsupportedOperationException.class, () -> p.userProperties().add(new UserProperty("a", "b")));
    }

    @Test
    void toBuilderKeepsEverythingAndBuildsEqual() {
        MqttProperties p = MqttProperties.builder().payloadFormat(0).messageExpiryInterval(0).contentType("c")
                .responseTopic("r").correlationData(new byte[0]).userProperty("k", "v").subscriptionIdentifiers(1)
                .build();
        MqttProperties copy = p.toBuilder().build();
        assertEquals(p, copy);
        assertEquals(p.hashCode(), copy.hashCode());
        assertNotEquals(p, p.toBuilder().clearUserProperties().build());
        assertNotEquals(p, p.toBuilder().correlationData(new byte[] {0}).build());
        assertEquals(MqttProperties.EMPTY, MqttProperties.EMPTY.toBuilder().build());
        assertTrue(p.toBuilder().userProperties(List.of(new UserProperty("x", "y"))).build().userProperties()
                .contains(new UserProperty("x", "y")));
    }

    @ParameterizedTest
    @ValueSource(ints = {-2, 2, 255})
    void payloadFormatRange(int format) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttProperties.builder().payloadFormat(format));
        assertTrue(e.getMessage().contains("found " + format), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {-2, 0x1_0000_0000L})
    void expiryRange(long seconds) {
        assertThrows(IllegalArgumentException.class, () -> MqttProperties.builder().messageExpiryInterval(seconds));
    }

    @Test
    void stringsAreMqttStrings() {
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> MqttProperties.builder().contentType("a\u0000b"));
        assertEquals("content type must not contain U+0000, found at index 1", nul.getMessage());
        IllegalArgumentException lone = assertThrows(IllegalArgumentException.class,
                () -> MqttProperties.builder().contentType("a\ud800"));
        assertTrue(lone.getMessage().startsWith("content type: lone surrogate U+D800 at index 1"), lone.getMessage());
        String tooLong = "x".repeat(65_536);
        assertThrows(IllegalArgumentException.class, () -> MqttProperties.builder().contentType(tooLong));
        MqttProperties.builder().contentType("x".repeat(65_535));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/+", "#", "", "a\u0000"})
    void responseTopicMustBeATopicName(String topic) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttProperties.builder().responseTopic(topic));
        assertTrue(e.getMessage().startsWith("response topic"), e.getMessage());
    }

    @Test
    void correlationDataAtMost65535Bytes() {
        assertThrows(IllegalArgumentException.class, () -> MqttProperties.builder().correlationData(new byte[65_536]));
        assertEquals(65_535, MqttProperties.builder().correlationData(new byte[65_535]).build()
                .correlationData().length);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 268_435_456})
    void subscriptionIdentifierRange(int id) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttProperties.builder().subscriptionIdentifiers(1, id));
        assertEquals("subscription identifier must be 1..268435455, found " + id, e.getMessage());
    }

    @Test
    void nullUserPropertyRefused() {
        assertThrows(NullPointerException.class,
                () -> MqttProperties.builder().userProperties(java.util.Arrays.asList((UserProperty) null)));
    }
}
