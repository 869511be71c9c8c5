package io.umqtt.simple.testing;

import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

/**
 * Just enough of a {@link BundleContext} for a component that registers its service itself (the
 * simple and robust connection components): {@code registerService} and the registration's
 * {@code setProperties} and {@code unregister} are recorded as {@link Event}s a test can wait for;
 * service lookups and listeners answer "no such service" (an optional EventAdmin stays absent),
 * except for services a test adds ({@link #addService}); {@code getProperty} answers what a test
 * set ({@link #setFrameworkProperty}).
 * Every other method throws.
 */
public final class FakeBundleContext {
    /** What happened to the registration. */
    public enum Kind { REGISTERED, MODIFIED, UNREGISTERED }

    /** One call, with a copy of the properties at that moment. */
    public static final class Event {
        public final Kind kind;
        public final List<String> objectClasses;
        public final Object service;
        public final Map<String, Object> properties;
        public final String thread;

        Event(Kind kind, List<String> objectClasses, Object service, Map<String, Object> properties) {
            this.kind = kind;
            this.objectClasses = objectClasses;
            this.service = service;
            this.properties = properties;
            this.thread = Thread.currentThread().getName();
        }

        /** A property of the registration at that moment. */
        public Object get(String property) {
            return properties.get(property);
        }

        @Override
        public String toString() {
            return kind + " " + objectClasses + " " + properties + " on " + thread;
        }
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    /** Every event in order, also those already taken from {@link #events}; see {@link #history}. */
    private final List<Event> history = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Services of others the component may look up, by interface name; see {@link #addService}. */
    private final Map<String, Object> others = new java.util.concurrent.ConcurrentHashMap<>();
    /** What {@code getProperty} answers; see {@link #setFrameworkProperty}. */
    private final Map<String, String> frameworkProperties = new java.util.concurrent.ConcurrentHashMap<>();

    /** Called on the caller's thread with the new properties before each {@code setProperties}; see {@link #onSetProperties}. */
    private volatile java.util.function.Consumer<Map<String, Object>> setPropertiesHook = p -> { };

    /**
     * Runs {@code hook} on the caller's thread with a copy of the new properties at the start of
     * every {@code setProperties}, before it takes effect (as a framework delivers the service
     * event to a listener that is slow): a test can hold an update there to play a race.
     */
    public void onSetProperties(java.util.function.Consumer<Map<String, Object>> hook) {
        setPropertiesHook = hook;
    }

    /** Makes {@code service} visible to lookups by {@code objectClass} (another bundle's service). */
    public void addService(String objectClass, Object service) {
        others.put(objectClass, service);
    }

    /** Sets a framework property ({@code BundleContext.getProperty}). */
    public void setFrameworkProperty(String key, String value) {
        frameworkProperties.put(key, value);
    }

    private ServiceReference<?> reference(String objectClass) {
        return (ServiceReference<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceReference.class}, (p, m, args) -> {
                    switch (m.getName()) {
                        case "getProperty":
                            return "objectClass.name".equals(args[0]) ? objectClass : null;
                        case "compareTo":
                            return 0;
                        case "equals":
                            return p == args[0];
                        case "hashCode":
                            return System.identityHashCode(p);
                        case "toString":
                            return "FakeReference[" + objectClass + "]";
                        default:
                            throw new UnsupportedOperationException("FakeReference." + m.getName());
                    }
                });
    }
    /** The fake to hand to the component. */
    public final BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {BundleContext.class}, (p, m, args) -> {
                switch (m.getName()) {
                    case "registerService":
                        if (args[0] instanceof Class) {
                            return register(List.of(((Class<?>) args[0]).getName()), args[1],
                                    copy((Dictionary<?, ?>) args[2]));
                        }
                        if (args[0] instanceof String) {
                            return register(List.of((String) args[0]), args[1], copy((Dictionary<?, ?>) args[2]));
                        }
                        if (args[0] instanceof String[]) {
                            return register(Arrays.asList((String[]) args[0]), args[1], copy((Dictionary<?, ?>) args[2]));
                        }
                        break;
                    case "createFilter":
                        return FrameworkUtil.createFilter((String) args[0]);
                    case "addServiceListener":
                    case "removeServiceListener":
                        return null;
                    case "getServiceReferences":
                    case "getAllServiceReferences":
                        if (args[0] instanceof String && others.containsKey(args[0])) {
                            return new ServiceReference<?>[] {reference((String) args[0])};
                        }
                        return null; // no other services here
                    case "getService":
                        return others.get(((ServiceReference<?>) args[0]).getProperty("objectClass.name"));
                    case "ungetService":
                        return true;
                    case "getProperty":
                        return frameworkProperties.get((String) args[0]);
                    case "toString":
                        return "FakeBundleContext";
                    default:
                        break;
                }
                throw new UnsupportedOperationException("FakeBundleContext." + m.getName());
            });

    private ServiceRegistration<?> register(List<String> classes, Object service, Map<String, Object> props) {
        record(new Event(Kind.REGISTERED, classes, service, props));
        boolean[] unregistered = {false};
        return (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, args) -> {
                    if ("setProperties".equals(m.getName())) {
                        setPropertiesHook.accept(copy((Dictionary<?, ?>) args[0]));
                    }
                    synchronized (unregistered) {
                        switch (m.getName()) {
                            case "setProperties":
                                if (unregistered[0]) {
                                    throw new IllegalStateException("unregistered");
                                }
                                record(new Event(Kind.MODIFIED, classes, service, copy((Dictionary<?, ?>) args[0])));
                                return null;
                            case "unregister":
                                if (unregistered[0]) {
                                    throw new IllegalStateException("already unregistered");
                                }
                                unregistered[0] = true;
                                record(new Event(Kind.UNREGISTERED, classes, service, Map.of()));
                                return null;
                            case "toString":
                                return "FakeRegistration" + classes;
                            default:
                                throw new UnsupportedOperationException("FakeRegistration." + m.getName());
                        }
                    }
                });
    }

    private void record(Event e) {
        history.add(e); // first: whoever sees it in the queue also finds it in the history
        events.add(e);
    }

    /**
     * Every event recorded so far, in order, whether or not {@link #next} took it already; a
     * snapshot, safe to call from any thread (for instance from a log handler, to check what was
     * registered when a line was logged).
     */
    public List<Event> history() {
        return List.copyOf(history);
    }

    /**
     * The properties the registration of {@code objectClass} had after the events so far (the last
     * REGISTERED or MODIFIED), or null when it is not registered (never, or unregistered since).
     */
    public Map<String, Object> registeredProperties(String objectClass) {
        Map<String, Object> now = null;
        for (Event e : history()) {
            if (e.objectClasses.contains(objectClass)) {
                now = e.kind == Kind.UNREGISTERED ? null : e.properties;
            }
        }
        return now;
    }

    /** The next event, waiting at most 10 s; fails when none came. */
    public Event next() throws InterruptedException {
        Event e = events.poll(10, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no service event within 10 s");
        }
        return e;
    }

    /** Skips events until one matches, waiting at most 10 s for each; fails when none does. */
    public Event await(String what, Predicate<Event> condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        StringBuilder seen = new StringBuilder();
        while (true) {
            long left = deadline - System.nanoTime();
            Event e = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
            if (e == null) {
                throw new AssertionError("no service event with " + what + " within 10 s; saw:" + seen);
            }
            if (condition.test(e)) {
                return e;
            }
            seen.append("\n  ").append(e);
        }
    }

    /** The next event if one is already recorded, else null. */
    public Event poll() {
        return events.poll();
    }

    private static Map<String, Object> copy(Dictionary<?, ?> d) {
        Map<String, Object> m = new HashMap<>();
        for (Enumeration<?> keys = d.keys(); keys.hasMoreElements();) {
            Object k = keys.nextElement();
            m.put((String) k, d.get(k));
        }
        return m;
    }
}
