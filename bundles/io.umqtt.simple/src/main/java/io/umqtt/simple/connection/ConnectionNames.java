package io.umqtt.simple.connection;

import java.util.Map;

import org.osgi.framework.Constants;

/**
 * How a client component names its connection from its configuration, the same for the simple and
 * the robust component: the configured {@code name}, else Kura's {@code kura.service.pid}, else the
 * configuration's PID. Stateless.
 */
public final class ConnectionNames {
    private ConnectionNames() {
    }

    /** The configuration's PID ({@code service.pid}), or {@code factoryPid} when there is none. */
    public static String pid(Map<String, Object> properties, String factoryPid) {
        Object pid = properties.get(Constants.SERVICE_PID);
        return pid instanceof String ? (String) pid : factoryPid;
    }

    /** The name when {@code name} is empty: Kura's {@code kura.service.pid} when present, else {@code pid}. */
    public static String defaultName(Map<String, Object> properties, String pid) {
        Object kuraPid = properties.get(KuraConfigurable.KURA_SERVICE_PID);
        return kuraPid instanceof String && !((String) kuraPid).isBlank() ? ((String) kuraPid).strip() : pid;
    }

    /**
     * The name to report an invalid configuration under: the configured one (made printable), else
     * {@code defaultName}. A valid configuration's name is {@link ConnectionSettings#name()}.
     */
    public static String nameOf(ConnectionConfig config, String defaultName) {
        String n = config.name() == null ? "" : config.name().strip().replaceAll("\\p{Cntrl}", "?");
        return n.isEmpty() ? defaultName : n;
    }
}
