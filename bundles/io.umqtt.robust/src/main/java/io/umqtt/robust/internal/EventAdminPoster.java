package io.umqtt.robust.internal;

import java.util.Map;

import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * The only class of this bundle that uses {@code org.osgi.service.event}, an optional import: it
 * is loaded by {@link ConnectionEvents} only when an EventAdmin service is registered.
 */
final class EventAdminPoster {
    private EventAdminPoster() {
    }

    /** Posts (asynchronously) an event with these properties. */
    static void post(Object eventAdmin, String topic, Map<String, Object> properties) {
        ((EventAdmin) eventAdmin).postEvent(new Event(topic, properties));
    }
}
