package io.umqtt.robust.internal;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

import org.osgi.framework.BundleContext;

import io.umqtt.simple.connection.SimpleConnectionConfig;

/**
 * Configurations as SCR hands them to the robust component: proxies whose methods return the
 * configured value of their property (method name with {@code _} read as {@code .}) or the
 * method's default. SCR gives the component two views of one configuration,
 * {@link RobustConnectionConfig} and {@link SimpleConnectionConfig}; {@link #common} makes the
 * second from the first's properties, with the simple type's defaults, as SCR does.
 */
final class RobustConfigs {
    private static final Map<Object, Map<String, Object>> PROPERTIES = Collections.synchronizedMap(new WeakHashMap<>());

    private RobustConfigs() {
    }

    /** A configuration with the given properties, {@code key, value, key, value...}. */
    static RobustConnectionConfig of(Object... keyValues) {
        Map<String, Object> props = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put((String) keyValues[i], keyValues[i + 1]);
        }
        RobustConnectionConfig c = view(RobustConnectionConfig.class, props);
        PROPERTIES.put(c, props);
        return c;
    }

    /**
     * Activates a robust component as SCR would for the factory configuration
     * {@code io.umqtt.robust~<name>}: named {@code name}, with fast reconnects (50 ms doubling to
     * 200 ms), then {@code config} ({@code key, value...}, which may override them).
     */
    static RobustConnectionComponent activate(BundleContext context, String name, Object... config) {
        RobustConnectionComponent c = new RobustConnectionComponent();
        RobustConnectionConfig form = withDefaults(name, config);
        c.activate(context, form, common(form), Map.of("service.pid", "io.umqtt.robust~" + name));
        return c;
    }

    /**
     * Calls {@code modified} as SCR does for a changed configuration {@code io.umqtt.robust~<name>}:
     * the same defaults as {@link #activate}, then {@code config}; {@code extra} are further
     * component properties (bookkeeping such as {@code service.changecount}, or Kura's name).
     */
    static void modify(RobustConnectionComponent c, String name, Map<String, Object> extra, Object... config) {
        RobustConnectionConfig form = withDefaults(name, config);
        Map<String, Object> props = new HashMap<>(extra);
        props.put("service.pid", "io.umqtt.robust~" + name);
        c.modified(form, common(form), props);
    }

    private static RobustConnectionConfig withDefaults(String name, Object... config) {
        List<Object> kv = new ArrayList<>(List.of("name", name, "reconnect.initial.delay", 50L,
                "reconnect.max.delay", 200L));
        Collections.addAll(kv, config);
        return of(kv.toArray());
    }

    /** The connection-properties view of the same configuration as {@code config}. */
    static SimpleConnectionConfig common(RobustConnectionConfig config) {
        Map<String, Object> props = PROPERTIES.get(config);
        if (props == null) {
            throw new IllegalArgumentException("not made by RobustConfigs.of: " + config);
        }
        return view(SimpleConnectionConfig.class, props);
    }

    private static <A> A view(Class<A> type, Map<String, Object> props) {
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
