package io.umqtt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link UserProperty}: MQTT string checks on both parts, value semantics. */
class UserPropertyTest {
    @Test
    void valueSemantics() {
        UserProperty p = new UserProperty("n", "v");
        assertEquals("n", p.name());
        assertEquals("v", p.value());
        assertEquals(new UserProperty("n", "v"), p);
        assertEquals(new UserProperty("n", "v").hashCode(), p.hashCode());
        assertNotEquals(new UserProperty("n", "w"), p);
        assertNotEquals(new UserProperty("m", "v"), p);
        assertEquals("n=v", p.toString());
        new UserProperty("", ""); // empty strings are MQTT strings
    }

    @Test
    void badStrings() {
        assertEquals("user property name must not be null",
                assertThrows(IllegalArgumentException.class, () -> new UserProperty(null, "v")).getMessage());
        assertEquals("user property 'n' value must not be null",
                assertThrows(IllegalArgumentException.class, () -> new UserProperty("n", null)).getMessage());
        assertEquals("user property name must not contain U+0000, found at index 0",
                assertThrows(IllegalArgumentException.class, () -> new UserProperty("\u0000", "v")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new UserProperty("n", "\udc00"));
        assertThrows(IllegalArgumentException.class, () -> new UserProperty("n", "\u20ac".repeat(21_846)));
    }
}
