package io.umqtt.robust.internal;

import java.lang.System.Logger.Level;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Posts connection events through OSGi EventAdmin when an EventAdmin service is registered, and
 * does nothing otherwise. The import of {@code org.osgi.service.event} is optional, so this class
 * tracks EventAdmin by class name and leaves every use of the EventAdmin types to
 * {@link EventAdminPoster}, which is loaded only when an EventAdmin service exists. If it then
 * cannot be loaded (EventAdmin was installed after this bundle resolved, so the optional import is
 * not wired) that is logged once and events stay off until this bundle is refreshed.
 * <p>
 * Thread-safe: any thread may post; events are delivered asynchronously by EventAdmin.
 */
final class ConnectionEvents implements AutoCloseable {
    /** The EventAdmin service's class name; a string, so that this class does not load it. */
    static final String EVENT_ADMIN = "org.osgi.service.event.EventAdmin";

    private static final System.Logger LOG = System.getLogger(ConnectionEvents.class.getName());

    private final ServiceTracker<Object, Object> tracker;
    /** Set once the EventAdmin types could not be loaded. */
    private volatile boolean unavailable;

    ConnectionEvents(BundleContext context) {
        tracker = new ServiceTracker<>(context, EVENT_ADMIN, null);
        tracker.open();
    }

    /** Posts an event when EventAdmin is there; {@code properties} must not be changed afterwards. */
    void post(String topic, Map<String, Object> properties) {
        Object eventAdmin = tracker.getService();
        if (eventAdmin == null || unavailable) {
            return;
        }
        try {
            EventAdminPoster.post(eventAdmin, topic, properties);
        } catch (LinkageError | ClassCastException e) {
            unavailable = true;
            LOG.log(Level.WARNING, "an EventAdmin service is registered, but io.umqtt.robust cannot use it (its "
                    + "optional import of org.osgi.service.event is not wired: refresh io.umqtt.robust after "
                    + "installing EventAdmin); connection events are not posted", e);
        }
    }

    @Override
    public void close() {
        tracker.close();
    }
}
