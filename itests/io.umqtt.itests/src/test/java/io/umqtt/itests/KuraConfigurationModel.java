package io.umqtt.itests;

import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * A model of what Eclipse Kura 5's ConfigurationService does to a configurable factory component,
 * written from the behaviours described in the project's notes on Kura (not from Kura's code),
 * with standard OSGi APIs only, so that it runs in any framework:
 * <ul>
 * <li>{@link #create}: as Kura's "Services → +": a factory configuration made with location
 * {@code "?"}, the OCD's non-empty defaults merged in, the given values over them, every Password
 * attribute encrypted with the CryptoService, {@code kura.service.pid} set to the name;</li>
 * <li>{@link #edit}: as an edit in Kura's UI or REST API ({@code updateConfiguration}): the
 * current properties with the edited values over them, passwords encrypted, {@code update()}; an
 * edit of a name Kura does not track (its marker is gone) is ignored;</li>
 * <li>it tracks the {@code org.eclipse.kura.configuration.ConfigurableComponent} marker services:
 * when one appears whose {@code kura.service.pid} it does not track, it writes that configuration
 * back ({@code update()} with its own properties) and tracks the name; when one goes away it
 * forgets the name. A component that is deactivated and reactivated by such a write registers its
 * marker again and is written again: the loop Kura causes. Registrations and write-backs are
 * counted per name.</li>
 * </ul>
 * Thread-safe: the service listener runs on framework threads, the rest on the test's.
 */
final class KuraConfigurationModel implements AutoCloseable {
    static final String MARKER = "org.eclipse.kura.configuration.ConfigurableComponent";
    static final String KURA_SERVICE_PID = "kura.service.pid";

    private final BundleContext context;
    private final ConfigurationAdmin configAdmin;
    private final MetaTypeService metaType;
    private final Object crypto;
    private final Method encryptAes;
    /** The names of the markers registered now (Kura's tracked names). */
    private final Set<String> tracked = Collections.synchronizedSet(new HashSet<>());
    /** Orders write-backs and edits: an edit never runs between a write-back's read and its update. */
    private final Object writes = new Object();
    /** Configuration PID by name, for the names this model created. */
    private final Map<String, String> pids = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> markerRegistrations = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> writeBacks = new ConcurrentHashMap<>();
    private final ServiceListener listener = this::serviceChanged;

    /**
     * @param crypto the CryptoService (any object with {@code char[] encryptAes(char[])})
     */
    KuraConfigurationModel(BundleContext context, ConfigurationAdmin configAdmin, MetaTypeService metaType,
            Object crypto) throws Exception {
        this.context = context;
        this.configAdmin = configAdmin;
        this.metaType = metaType;
        this.crypto = crypto;
        this.encryptAes = findEncrypt(crypto.getClass());
        context.addServiceListener(listener, "(" + Constants.OBJECTCLASS + "=" + MARKER + ")");
    }

    private static Method findEncrypt(Class<?> type) throws NoSuchMethodException {
        for (Class<?> i : type.getInterfaces()) {
            try {
                return i.getMethod("encryptAes", char[].class);
            } catch (NoSuchMethodException e) {
                // another interface
            }
        }
        throw new NoSuchMethodException("encryptAes(char[]) on " + type);
    }

    @Override
    public void close() {
        context.removeServiceListener(listener);
    }

    /**
     * Creates the factory configuration named {@code name} as Kura does; returns its PID.
     *
     * @param values the values the user typed, by attribute id (passwords in clear text)
     */
    String create(String factoryPid, String name, Map<String, Object> values) throws Exception {
        ObjectClassDefinition ocd = ocd(factoryPid);
        Hashtable<String, Object> props = new Hashtable<>();
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            Object value = defaultValue(ad);
            if (value != null) {
                props.put(ad.getID(), value);
            }
        }
        props.putAll(encrypted(ocd, values));
        props.put(KURA_SERVICE_PID, name);
        Configuration config = configAdmin.createFactoryConfiguration(factoryPid, "?");
        pids.put(name, config.getPid());
        config.update(props);
        return config.getPid();
    }

    /**
     * An edit in Kura's UI: the edited values over the current properties. Returns false, changing
     * nothing, when Kura does not track the name (as Kura ignores edits to forgotten names).
     */
    boolean edit(String name, Map<String, Object> values) throws Exception {
        synchronized (writes) { // after any write-back under way, which must not overwrite the edit
            if (!tracked.contains(name)) {
                return false;
            }
            Configuration config = configuration(name);
            ObjectClassDefinition ocd = ocd(config.getFactoryPid());
            Dictionary<String, Object> props = config.getProperties();
            for (Map.Entry<String, Object> e : encrypted(ocd, values).entrySet()) {
                props.put(e.getKey(), e.getValue());
            }
            config.update(props);
            return true;
        }
    }

    /** Deletes the configuration of {@code name}. */
    void delete(String name) throws IOException {
        configuration(name).delete();
        pids.remove(name);
    }

    /** The current configuration of {@code name}. */
    Configuration configuration(String name) throws IOException {
        String pid = pids.get(name);
        if (pid == null) {
            throw new IllegalArgumentException("no configuration named " + name);
        }
        return configAdmin.getConfiguration(pid, "?");
    }

    /** How often a marker with {@code kura.service.pid=name} was registered. */
    int markerRegistrations(String name) {
        return markerRegistrations.computeIfAbsent(name, n -> new AtomicInteger()).get();
    }

    /** How often this model wrote the configuration of {@code name} back. */
    int writeBacks(String name) {
        return writeBacks.computeIfAbsent(name, n -> new AtomicInteger()).get();
    }

    /** Whether Kura tracks {@code name} now (its marker is registered). */
    boolean tracks(String name) {
        return tracked.contains(name);
    }

    private void serviceChanged(ServiceEvent event) {
        ServiceReference<?> ref = event.getServiceReference();
        Object kuraPid = ref.getProperty(KURA_SERVICE_PID);
        Object servicePid = ref.getProperty(Constants.SERVICE_PID);
        if (!(kuraPid instanceof String) || !(servicePid instanceof String)) {
            return;
        }
        String name = (String) kuraPid;
        switch (event.getType()) {
            case ServiceEvent.REGISTERED:
                markerRegistrations.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
                // the name counts as tracked once its write-back is done, as in Kura, whose edits go
                // through the configurations it tracks: an edit can then never be overwritten by a
                // write-back of the properties read before it
                synchronized (writes) {
                    if (!tracked.contains(name)) {
                        writeBack(name, (String) servicePid);
                        tracked.add(name);
                    }
                }
                break;
            case ServiceEvent.UNREGISTERING:
                tracked.remove(name);
                break;
            default:
                break;
        }
    }

    /** Kura's write-back of a configuration it is not tracking: {@code update()} with its own properties. */
    private void writeBack(String name, String servicePid) {
        try {
            Configuration[] found = configAdmin.listConfigurations("(" + Constants.SERVICE_PID + "=" + servicePid + ")");
            if (found == null || found.length == 0) {
                return;
            }
            writeBacks.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            found[0].update(found[0].getProperties());
        } catch (IOException | InvalidSyntaxException | IllegalStateException e) {
            // deleted meanwhile: Kura would log it
        }
    }

    private ObjectClassDefinition ocd(String factoryPid) {
        for (Bundle b : context.getBundles()) {
            MetaTypeInformation info = metaType.getMetaTypeInformation(b);
            if (info != null && java.util.Arrays.asList(info.getFactoryPids()).contains(factoryPid)) {
                return info.getObjectClassDefinition(factoryPid, null);
            }
        }
        throw new IllegalStateException("no metatype for the factory PID " + factoryPid);
    }

    /** {@code values} with every Password attribute encrypted, as Kura stores them. */
    private Map<String, Object> encrypted(ObjectClassDefinition ocd, Map<String, Object> values) throws Exception {
        Map<String, Object> out = new HashMap<>(values);
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            Object v = out.get(ad.getID());
            if (ad.getType() == AttributeDefinition.PASSWORD && v instanceof String && !((String) v).isEmpty()) {
                out.put(ad.getID(), new String((char[]) encryptAes.invoke(crypto, (Object) ((String) v).toCharArray())));
            }
        }
        return out;
    }

    /** The AD's default as Kura merges it: typed, arrays for cardinality != 0, null when empty. */
    private static Object defaultValue(AttributeDefinition ad) {
        String[] d = ad.getDefaultValue();
        if (d == null || d.length == 0 || (d.length == 1 && d[0].isEmpty())) {
            return null;
        }
        if (ad.getCardinality() == 0) {
            return parse(ad.getType(), d[0]);
        }
        Object first = parse(ad.getType(), d[0]);
        Object array = Array.newInstance(first.getClass(), d.length);
        for (int i = 0; i < d.length; i++) {
            Array.set(array, i, parse(ad.getType(), d[i]));
        }
        return array;
    }

    private static Object parse(int type, String s) {
        switch (type) {
            case AttributeDefinition.INTEGER:
                return Integer.valueOf(s.strip());
            case AttributeDefinition.LONG:
                return Long.valueOf(s.strip());
            case AttributeDefinition.DOUBLE:
                return Double.valueOf(s.strip());
            case AttributeDefinition.FLOAT:
                return Float.valueOf(s.strip());
            case AttributeDefinition.BOOLEAN:
                return Boolean.valueOf(s.strip());
            case AttributeDefinition.SHORT:
                return Short.valueOf(s.strip());
            case AttributeDefinition.BYTE:
                return Byte.valueOf(s.strip());
            default:
                return s;
        }
    }

    /** A map of {@code key, value, ...}. */
    static Map<String, Object> values(Object... keyValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    static String text(Dictionary<String, Object> d) {
        StringBuilder s = new StringBuilder("{");
        for (Enumeration<String> keys = d.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            s.append(k).append('=').append(d.get(k)).append(keys.hasMoreElements() ? ", " : "");
        }
        return s.append('}').toString();
    }
}
