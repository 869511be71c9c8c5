package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.umqtt.simple.internal.connection.SimpleConnectionConfig;

/**
 * The robust component reads its connection properties through {@link SimpleConnectionConfig},
 * while its Metatype form comes from {@link RobustConnectionConfig}: both must offer the same
 * properties with the same types and defaults, or a property left out of a configuration file
 * would be one value in the form and another in the connection.
 */
class CommonAttributesTest {

    @Test
    void everySimpleAttributeIsInTheRobustFormWithTheSameTypeAndDefault() {
        Map<String, Method> robust = attributes(RobustConnectionConfig.class);
        Map<String, Method> simple = attributes(SimpleConnectionConfig.class);
        assertTrue(robust.keySet().containsAll(simple.keySet()),
                () -> "missing from RobustConnectionConfig: " + simple.keySet().stream()
                        .filter(k -> !robust.containsKey(k)).toArray(String[]::new).length + " of " + simple.keySet());
        for (Method s : simple.values()) {
            Method r = robust.get(s.getName());
            assertEquals(s.getReturnType(), r.getReturnType(), s.getName());
            Object sd = s.getDefaultValue();
            Object rd = r.getDefaultValue();
            if (sd instanceof Object[]) {
                assertTrue(Arrays.equals((Object[]) sd, (Object[]) rd), s.getName());
            } else {
                assertEquals(sd, rd, () -> "default of " + s.getName());
            }
        }
        assertEquals(23, simple.size(), "the simple component's attributes (update this count with the form)");
    }

    private static Map<String, Method> attributes(Class<?> type) {
        Map<String, Method> m = new TreeMap<>();
        for (Method method : type.getDeclaredMethods()) {
            if (method.isSynthetic()) {
                continue;
            }
            m.put(method.getName(), method);
        }
        return m;
    }
}
