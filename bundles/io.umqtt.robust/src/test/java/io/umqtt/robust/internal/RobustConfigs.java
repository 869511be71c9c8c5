package io.umqtt.robust.internal;

import java.util.HashMap;
import java.util.Map;
import java.lang.reflect.Proxy;

/**
 * {@link RobustConnectionConfig}s as SCR hands them to the component: a proxy whose methods
 * return the configured value of their property (method name with {@code _} read as {@code .})
 * or the method's default.
 */
final class RobustConfigs {
    private RobustConfigs() {
    }

    /** A configuration with the given properties, {@code key, value, key, value...}. */
    static RobustConnectionConfig of(Object... keyValues) {
        Map<String, Object> props = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put((String) keyValues[i], keyValues[i + 1]);
        }
        Class<RobustConnectionConfig> type = RobustConnectionConfig.class;
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
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
                    String id = m.getName().replace('_', '.');
                    return props.containsKey(id) ? props.get(id) : m.getDefaultValue();
            }
        }));
    }
}
