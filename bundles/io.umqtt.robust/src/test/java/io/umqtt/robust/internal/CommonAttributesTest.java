package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.umqtt.simple.connection.SimpleConnectionConfig;

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
            if (s.getName().equals("connect_timeout")) {
                continue; // read through the robust form; see below
            }
            if (sd instanceof Object[]) {
                assertTrue(Arrays.equals((Object[]) sd, (Object[]) rd), s.getName());
            } else {
                assertEquals(sd, rd, () -> "default of " + s.getName());
            }
        }
        assertEquals(23, simple.size(), "the simple component's attributes (update this count with the form)");
    }

    /**
     * {@code connect.timeout} is the exception: the robust client bounds every connect attempt by
     * the value it reads through its own form ({@link RobustSettings}, into the reconnect policy),
     * whose default is 10 s, not the simple connection's 30 s: an attempt lost in a network outage
     * is retried soon. The form and the connection agree.
     */
    @Test
    void theConnectTimeoutOfTheRobustFormBoundsEveryAttempt() throws Exception {
        assertEquals(30, SimpleConnectionConfig.class.getDeclaredMethod("connect_timeout").getDefaultValue());
        assertEquals(10, RobustConnectionConfig.class.getDeclaredMethod("connect_timeout").getDefaultValue());
        assertEquals(10_000, RobustSettings.of("io.umqtt.robust~t", RobustConfigs.of("name", "t")).policy()
                .connectTimeoutMillis());
        assertEquals(45_000, RobustSettings.of("io.umqtt.robust~t", RobustConfigs.of("name", "t", "connect.timeout", 45))
                .policy().connectTimeoutMillis());
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
