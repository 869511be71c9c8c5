package io.umqtt.simple.internal;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

import io.umqtt.simple.connection.SimpleConnectionConfig;

/**
 * Configuration annotations as SCR hands them to components: a proxy whose methods return the
 * configured value of their property (method name with {@code _} read as {@code .}) or the
 * method's default.
 */
final class TestConfigs {
    private TestConfigs() {
    }

    /** A {@link SimpleConnectionConfig} with the given properties, {@code key, value, key, value...}. */
    static SimpleConnectionConfig simple(Object... keyValues) {
        Map<String, Object> props = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put((String) keyValues[i], keyValues[i + 1]);
        }
        return of(SimpleConnectionConfig.class, props);
    }

    static <A> A of(Class<A> type, Map<String, Object> props) {
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            switch (m.getName()) {
                case "annotationType":
                    return type;
                case "toString":
                    return type.getSimpleName() + props;
                case "hashCode":
                    return System.identityHashCode(p);
                case "equals":
                    return p == args[0];
                default:
                    return value(m, props);
            }
        });
        return type.cast(proxy);
    }

    private static Object value(Method m, Map<String, Object> props) {
        String id = m.getName().replace('_', '.');
        return props.containsKey(id) ? props.get(id) : m.getDefaultValue();
    }
}
