package io.umqtt.whiteboard.internal;

import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.whiteboard.WhiteboardRuntime;

/**
 * The MQTT whiteboard: one per framework, configured by the optional PID {@value #PID}.
 * <p>
 * SCR hands it every {@link MessageHandler} and every {@link MqttConnection} service through
 * dynamic, greedy, multiple references, and their property changes through the
 * {@code modified...} methods; all of it goes straight to the {@link Whiteboard}, which does the
 * work. It registers the {@link WhiteboardRuntime} service itself (not through SCR) so that it
 * can raise the service's {@code service.changecount} property when the runtime view changes.
 *
 * <h2>Threading</h2>
 * SCR binds dynamic references before {@link #activate} and may call the reference methods on
 * any thread at any time, so the whiteboard exists from construction. {@link #announcer}
 * serialises the change-count updates so the count never goes backwards.
 */
@Component(configurationPid = WhiteboardComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL,
        service = {}, immediate = true)
@Designate(ocd = WhiteboardConfig.class)
public final class WhiteboardComponent {
    /** The configuration PID. */
    public static final String PID = "io.umqtt.whiteboard";

    private final Whiteboard whiteboard = new Whiteboard(Settings.DEFAULTS);

    private final Object announcer = new Object();
    /** Guarded by {@link #announcer}; null before activation and after deactivation. */
    private ServiceRegistration<WhiteboardRuntime> registration;
    /** The change count last put on the registration; guarded by {@link #announcer}. */
    private long announced;

    /**
     * Applies the configuration and registers the runtime service.
     *
     * @throws IllegalArgumentException naming the bad property and value; SCR logs it and the
     *         component stays inactive
     */
    @Activate
    void activate(BundleContext context, WhiteboardConfig config) {
        Settings settings;
        try {
            settings = settings(config);
        } catch (IllegalArgumentException e) {
            whiteboard.close();
            throw e;
        }
        whiteboard.update(settings);
        WhiteboardRuntime runtime = whiteboard::runtimeDTO;
        synchronized (announcer) {
            announced = whiteboard.changeCount();
            registration = context.registerService(WhiteboardRuntime.class, runtime, properties(announced));
        }
        whiteboard.setChangeListener(this::announce);
    }

    /**
     * Applies a changed configuration without interrupting delivery.
     *
     * @throws IllegalArgumentException naming the bad property and value; SCR logs it and the
     *         previous configuration stays in force
     */
    @Modified
    void modified(WhiteboardConfig config) {
        whiteboard.update(settings(config));
    }

    /** Unregisters the runtime service, then stops the whiteboard (see {@link Whiteboard#close()}). */
    @Deactivate
    void deactivate() {
        ServiceRegistration<WhiteboardRuntime> reg;
        synchronized (announcer) {
            reg = registration;
            registration = null;
        }
        if (reg != null) {
            try {
                reg.unregister();
            } catch (IllegalStateException e) {
                // already unregistered by the framework: our bundle is stopping
            }
        }
        whiteboard.close();
    }

    static Settings settings(WhiteboardConfig config) {
        return Settings.of(config.threads(), config.queue_capacity());
    }

    private void announce(long count) {
        synchronized (announcer) {
            if (registration == null || count <= announced) {
                return;
            }
            announced = count;
            try {
                registration.setProperties(properties(count));
            } catch (IllegalStateException e) {
                // unregistered meanwhile
                registration = null;
            }
        }
    }

    private static Dictionary<String, Object> properties(long changeCount) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(Constants.SERVICE_CHANGECOUNT, changeCount);
        p.put(Constants.SERVICE_DESCRIPTION, "umqtt MQTT whiteboard runtime");
        return p;
    }

    // ------------------------------------------------------------------ handlers

    @Reference(service = MessageHandler.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            updated = "modifiedHandler", unbind = "removeHandler")
    void addHandler(ServiceReference<MessageHandler> ref, MessageHandler handler) {
        whiteboard.addHandler(properties(ref), owner(ref), handler);
    }

    void modifiedHandler(ServiceReference<MessageHandler> ref, MessageHandler handler) {
        whiteboard.modifiedHandler(properties(ref), owner(ref), handler);
    }

    void removeHandler(ServiceReference<MessageHandler> ref) {
        whiteboard.removeHandler((Long) ref.getProperty(Constants.SERVICE_ID));
    }

    // ------------------------------------------------------------------ connections

    @Reference(service = MqttConnection.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY,
            updated = "modifiedConnection", unbind = "removeConnection")
    void addConnection(ServiceReference<MqttConnection> ref, MqttConnection connection) {
        whiteboard.addConnection(properties(ref), connection);
    }

    void modifiedConnection(ServiceReference<MqttConnection> ref) {
        whiteboard.modifiedConnection(properties(ref));
    }

    void removeConnection(ServiceReference<MqttConnection> ref) {
        whiteboard.removeConnection((Long) ref.getProperty(Constants.SERVICE_ID));
    }

    private static Map<String, Object> properties(ServiceReference<?> ref) {
        Map<String, Object> p = new HashMap<>();
        for (String key : ref.getPropertyKeys()) {
            p.put(key, ref.getProperty(key));
        }
        return p;
    }

    /** The registering bundle as {@code symbolic-name [id]}, for log messages. */
    private static String owner(ServiceReference<?> ref) {
        Bundle b = ref.getBundle();
        return b == null ? "(unregistered)" : b.getSymbolicName() + " [" + b.getBundleId() + "]";
    }

    /** The whiteboard (tests). */
    Whiteboard whiteboard() {
        return whiteboard;
    }
}
