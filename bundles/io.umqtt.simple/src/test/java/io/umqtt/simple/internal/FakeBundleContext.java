package io.umqtt.simple.internal;

import java.lang.reflect.Proxy;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * Just enough of a {@link BundleContext} for a component that registers one service itself:
 * {@code registerService} and the registration's {@code setProperties} and {@code unregister}
 * are recorded as {@link Event}s a test can wait for. Every other method throws.
 */
final class FakeBundleContext {
    enum Kind { REGISTERED, MODIFIED, UNREGISTERED }

    /** One call, with a copy of the properties at that moment. */
    static final class Event {
        final Kind kind;
        final String objectClass;
        final Object service;
        final Map<String, Object> properties;
        final String thread;

        Event(Kind kind, String objectClass, Object service, Map<String, Object> properties) {
            this.kind = kind;
            this.objectClass = objectClass;
            this.service = service;
            this.properties = properties;
            this.thread = Thread.currentThread().getName();
        }

        @Override
        public String toString() {
            return kind + " " + objectClass + " " + properties + " on " + thread;
        }
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    final BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {BundleContext.class}, (p, m, args) -> {
                if (m.getName().equals("registerService") && args[0] instanceof Class) {
                    return register(((Class<?>) args[0]).getName(), args[1], copy((Dictionary<?, ?>) args[2]));
                }
                if (m.getName().equals("toString")) {
                    return "FakeBundleContext";
                }
                throw new UnsupportedOperationException("FakeBundleContext." + m.getName());
            });

    private ServiceRegistration<?> register(String objectClass, Object service, Map<String, Object> props) {
        events.add(new Event(Kind.REGISTERED, objectClass, service, props));
        boolean[] unregistered = {false};
        return (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ServiceRegistration.class}, (p, m, args) -> {
                    synchronized (unregistered) {
                        switch (m.getName()) {
                            case "setProperties":
                                if (unregistered[0]) {
                                    throw new IllegalStateException("unregistered");
                                }
                                events.add(new Event(Kind.MODIFIED, objectClass, service,
                                        copy((Dictionary<?, ?>) args[0])));
                                return null;
                            case "unregister":
                                if (unregistered[0]) {
                                    throw new IllegalStateException("already unregistered");
                                }
                                unregistered[0] = true;
                                events.add(new Event(Kind.UNREGISTERED, objectClass, service, Map.of()));
                                return null;
                            case "toString":
                                return "FakeRegistration[" + objectClass + "]";
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

    /** The next event if one is already recorded, else null. */
    Event poll() {
        return events.poll();
    }

    private static Map<String, Object> copy(Dictionary<?, ?> d) {
        Map<String, Object> m = new HashMap<>();
        for (java.util.Enumeration<?> keys = d.keys(); keys.hasMoreElements();) {
            Object k = keys.nextElement();
            m.put((String) k, d.get(k));
        }
        return m;
    }
}
