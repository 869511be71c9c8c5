package io.umqtt.robust.internal;

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
import org.osgi.framework.ServiceRegistration;

/**
 * Just enough of a {@link BundleContext} for the robust component: it records the service
 * registration, its property updates and its unregistration as {@link Event}s, and answers the
 * EventAdmin tracker with "no such service" (there is no EventAdmin without a framework). Every
 * other method throws.
 */
final class FakeContext {
    enum Kind { REGISTERED, MODIFIED, UNREGISTERED }

    /** One call, with a copy of the properties at that moment. */
    static final class Event {
        final Kind kind;
        final List<String> objectClasses;
        final Object service;
        final Map<String, Object> properties;
        final String thread;

        Event(Kind kind, List<String> objectClasses, Object service, Map<String, Object> properties) {
            this.kind = kind;
            this.objectClasses = objectClasses;
            this.service = service;
            this.properties = properties;
            this.thread = Thread.currentThread().getName();
        }

        Object get(String property) {
            return properties.get(property);
        }

        @Override
        public String toString() {
            return kind + " " + properties + " on " + thread;
        }
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    final BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {BundleContext.class}, (p, m, args) -> {
                switch (m.getName()) {
                    case "registerService":
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
                        return null; // no EventAdmin here
                    case "toString":
                        return "FakeContext";
                    default:
                        break;
                }
                throw new UnsupportedOperationException("FakeContext." + m.getName());
            });

    private ServiceRegistration<?> register(List<String> classes, Object service, Map<String, Object> props) {
        events.add(new Event(Kind.REGISTERED, classes, service, props));
        boolean[] unregistered = {false};
        return (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, args) -> {
                    synchronized (unregistered) {
                        switch (m.getName()) {
                            case "setProperties":
                                if (unregistered[0]) {
                                    throw new IllegalStateException("unregistered");
                                }
                                events.add(new Event(Kind.MODIFIED, classes, service, copy((Dictionary<?, ?>) args[0])));
                                return null;
                            case "unregister":
                                if (unregistered[0]) {
                                    throw new IllegalStateException("already unregistered");
                                }
                                unregistered[0] = true;
                                events.add(new Event(Kind.UNREGISTERED, classes, service, Map.of()));
                                return null;
                            case "toString":
                                return "FakeRegistration" + classes;
                            default:
                                throw new UnsupportedOperationException("FakeRegistration." + m.getName());
                        }
                    }
                });
    }

    /** The next event, waiting at most 10 s; fails when none came. */
    Event next() throws InterruptedException {
        Event e = events.poll(10, TimeUnit.SECONDS);
        if (e == null) {
            throw new AssertionError("no service event within 10 s");
        }
        return e;
    }

    /** Skips events until one matches, waiting at most 10 s for each; fails when none does. */
    Event await(String what, Predicate<Event> condition) throws InterruptedException {
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
    Event poll() {
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
