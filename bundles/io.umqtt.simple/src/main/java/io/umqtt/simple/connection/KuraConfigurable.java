package io.umqtt.simple.connection;

import java.lang.reflect.Proxy;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

/**
 * Makes a connection configuration visible in Eclipse Kura's web UI. Kura lists (and edits) only
 * the configurations of services that are instances of its marker interface
 * {@code org.eclipse.kura.configuration.ConfigurableComponent} and carry {@code service.pid} and
 * {@code kura.service.pid}. Where Kura's API is wired to this bundle (an optional import), a
 * component registers one marker service per configuration through {@link #register}; elsewhere
 * (Felix, Karaf) nothing is registered and nothing of Kura is needed. The marker has no methods,
 * so a proxy implements it: no compile-time dependency on Kura.
 */
public final class KuraConfigurable {
    private static final System.Logger LOG = System.getLogger(KuraConfigurable.class.getName());

    /** Kura's marker interface. */
    public static final String INTERFACE = "org.eclipse.kura.configuration.ConfigurableComponent";
    /** The property by which Kura names a component configuration; Kura sets it in the configurations it creates. */
    public static final String KURA_SERVICE_PID = "kura.service.pid";

    private KuraConfigurable() {
    }

    /**
     * Registers the marker service for the configuration {@code properties} (the component's), or
     * returns null when {@code loader} does not see Kura's interface or the configuration has no
     * {@code service.pid}.
     */
    public static ServiceRegistration<?> register(BundleContext context, ClassLoader loader,
            Map<String, Object> properties) {
        Object servicePid = properties.get(Constants.SERVICE_PID);
        if (!(servicePid instanceof String)) {
            return null;
        }
        Class<?> marker;
        try {
            marker = loader.loadClass(INTERFACE);
        } catch (ClassNotFoundException | LinkageError notKura) {
            return null;
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(Constants.SERVICE_PID, servicePid);
        Object factoryPid = properties.get("service.factoryPid");
        if (factoryPid != null) {
            props.put("service.factoryPid", factoryPid);
        }
        // configurations made outside Kura (files, the Felix console) have none: Kura then knows them by service.pid
        Object kuraPid = properties.get(KURA_SERVICE_PID);
        props.put(KURA_SERVICE_PID, kuraPid instanceof String ? kuraPid : servicePid);
        String description = "umqtt connection configuration " + servicePid;
        Object marked = Proxy.newProxyInstance(loader, new Class<?>[] {marker}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return description;
                default:
                    throw new UnsupportedOperationException(method.toString());
            }
        });
        return context.registerService(INTERFACE, marked, props);
    }

    /**
     * Unregisters {@code registration} (the Kura marker or the connection service itself) unless it
     * is null or already gone: the framework unregisters a stopping bundle's services itself, which
     * is logged at DEBUG.
     */
    public static void unregister(ServiceRegistration<?> registration) {
        if (registration == null) {
            return;
        }
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            LOG.log(System.Logger.Level.DEBUG, () -> "MQTT connection service already unregistered: " + alreadyGone);
        }
    }
}
