package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

import io.umqtt.simple.connection.ConnectionConfig;
import io.umqtt.simple.connection.ConnectionSettings;

/**
 * The robust component reads its connection properties through the shared
 * {@link ConnectionConfig} of the simple bundle, the same type the simple component reads them
 * through, and its Metatype form ({@link RobustConnectionForm}) extends that type: the common
 * attributes are written once, so a property left out of a configuration file is the same value
 * in the form and in the connection. The generated forms of both bundles are compared attribute by
 * attribute in the integration tests (io.umqtt.itests BundleContentsIT).
 */
class CommonAttributesTest {

    @Test
    void theRobustFormIsTheSharedAttributesThenTheRobustOnesEachWrittenOnce() {
        assertEquals(List.of(ConnectionConfig.class, RobustConnectionConfig.class),
                Arrays.asList(RobustConnectionForm.class.getInterfaces()), "the shared attributes come first");
        assertEquals(0, RobustConnectionForm.class.getDeclaredMethods().length, "the form declares nothing itself");
        Map<String, Method> common = attributes(ConnectionConfig.class);
        Map<String, Method> robust = attributes(RobustConnectionConfig.class);
        Set<String> twice = new TreeSet<>(common.keySet());
        twice.retainAll(robust.keySet());
        assertTrue(twice.isEmpty(), () -> "written twice: " + twice);
        // with connect.timeout, which each component declares with its own default: 34 connection attributes
        // (25 of MQTT 3.1.1, 8 of MQTT 5 from protocol.version on)
        assertEquals(33, common.size(), "the shared attributes (update this count with the form)");
        assertTrue(robust.containsKey("connect_timeout"));
        for (Method m : common.values()) {
            assertTrue(m.getDefaultValue() != null, () -> m.getName() + " has a default");
        }
    }

    /**
     * {@code connect.timeout} is the exception: the robust client bounds every connect attempt by
     * the value it reads through its own attributes ({@link RobustSettings}, into the reconnect
     * policy), whose default is 10 s, not the simple connection's 30 s: an attempt lost in a network
     * outage is retried soon. The form, the settings and the connection agree.
     */
    @Test
    void theConnectTimeoutOfTheRobustFormBoundsEveryAttempt() throws Exception {
        assertEquals(30, ConnectionSettings.DEFAULT_CONNECT_TIMEOUT_SECONDS);
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
