package io.umqtt.robust.internal;

import java.lang.System.Logger.Level;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import io.umqtt.api.MqttConnection;
import io.umqtt.robust.RobustConnection;
import io.umqtt.simple.connection.KuraConfigurable;

/**
 * The OSGi side of a {@link RobustConnectionComponent}: registers its {@link MqttConnection} /
 * {@link RobustConnection} service and Kura's marker, keeps the service properties up to date
 * with the state the client reports, and unregisters both once deactivation began.
 * <p>
 * Threading and locking: {@link #lock} guards the two registrations and {@code stopped}, and is
 * held while calling {@code registerService}, {@code setProperties} and {@code unregister}, so that
 * the framework never modifies a service that is being unregistered (Felix's log bundle fails on
 * such events). Nothing else is done under it: the properties are read from the client outside it
 * (the client calls the listener, and so {@link #refresh()}, while holding its own locks: the order
 * is client locks, then this lock, never the reverse), and no wait. Updates asked for by several
 * threads (the connection thread, publishing threads, SCR's thread) are coalesced by
 * {@link #refresh()}; {@link #refreshIdle} is a second, leaf monitor that counts the rounds of
 * the update loop for {@link #refreshAndWait}.
 */
final class ServicePublisher {
    private static final System.Logger LOG = System.getLogger(RobustConnectionComponent.class.getName());
    private static final String[] SERVICE_CLASSES = {MqttConnection.class.getName(), RobustConnection.class.getName()};

    /** The properties the service has now; read outside {@link #lock}. */
    private final Supplier<Hashtable<String, Object>> properties;

    private final Object lock = new Object();
    /** The registered service; guarded by {@link #lock}. */
    private ServiceRegistration<?> registration;
    /** The marker service that shows this configuration in Kura's UI; null outside Kura; guarded by {@link #lock}. */
    private ServiceRegistration<?> kura;
    /** Set once deactivation began; guarded by {@link #lock}. */
    private boolean stopped;

    /** Pending property refreshes; see {@link #refresh()}. */
    private final AtomicInteger refreshRequests = new AtomicInteger();
    /** Notified, with {@link #refreshIdleRounds} counted up, whenever a {@link #refresh()} loop has handled every request. */
    private final Object refreshIdle = new Object();
    /** Guarded by {@link #refreshIdle}: how often a refresh loop ended with no request left. */
    private long refreshIdleRounds;
    /** The thread running the refresh loop, or null. */
    private volatile Thread refresher;

    /** @param properties the service properties now (called outside any lock of this class) */
    ServicePublisher(Supplier<Hashtable<String, Object>> properties) {
        this.properties = properties;
    }

    /** Registers Kura's marker for the configuration {@code config} where Kura is, unless deactivation began. */
    void registerKuraMarker(BundleContext context, ClassLoader kuraLoader, Map<String, Object> config) {
        synchronized (lock) {
            if (!stopped) {
                kura = KuraConfigurable.register(context, kuraLoader, config);
            }
        }
    }

    /** Registers {@code service} with {@code initial} properties unless it is registered already or deactivation began. */
    void register(BundleContext context, Object service, Hashtable<String, Object> initial) {
        synchronized (lock) {
            if (!stopped && registration == null) {
                registration = context.registerService(SERVICE_CLASSES, service, initial);
            }
        }
    }

    /**
     * Shows the out-of-service properties {@code failed} now, not only when a refresh gets to it:
     * registers {@code service} with them, or sets them on the registered one; an update running
     * meanwhile on another thread is sent round again, so that it ends with them too.
     */
    void showFailure(BundleContext context, Object service, Hashtable<String, Object> failed) {
        boolean updated = false;
        synchronized (lock) {
            if (!stopped && registration == null) {
                registration = context.registerService(SERVICE_CLASSES, service, failed);
            } else if (!stopped) {
                try {
                    registration.setProperties(failed);
                    updated = true;
                } catch (IllegalStateException e) {
                    // the framework unregistered it: our bundle is stopping
                    LOG.log(Level.DEBUG, () -> "MQTT connection service already unregistered: " + e);
                }
            }
        }
        if (updated && refreshRequests.get() != 0) {
            refresh(); // an update running meanwhile goes round again: it ends with these properties too
        }
    }

    /** Deactivation: no registration or property update from now on; unregisters the marker and the service. */
    void unregisterAll() {
        synchronized (lock) {
            stopped = true;
            KuraConfigurable.unregister(kura);
            kura = null;
            KuraConfigurable.unregister(registration);
            registration = null;
        }
    }

    /**
     * Sets the service properties to the supplier's. Calls from several threads are coalesced: the
     * first caller updates, and goes round again as long as others asked meanwhile, so the last
     * update always reflects the latest state; a caller that finds an update running returns at
     * once (also when the framework calls back into it). Only {@code setProperties} is made under
     * {@link #lock}, and never once deactivation began.
     */
    void refresh() {
        if (refreshRequests.getAndIncrement() != 0) {
            return;
        }
        updateProperties();
    }

    /**
     * {@link #refresh()}, and when another thread's update is running, waits (at most
     * {@link RobustConnectionComponent#STOP_WAIT_MILLIS}) until it has gone round again and
     * published the state as it is now. Not when called back on the updating thread itself (that
     * would wait for itself).
     *
     * @param name the connection's name, for the log when the wait times out
     */
    void refreshAndWait(String name) {
        long rounds;
        synchronized (refreshIdle) {
            rounds = refreshIdleRounds;
        }
        if (refreshRequests.getAndIncrement() == 0) {
            updateProperties();
            return;
        }
        if (refresher == Thread.currentThread()) {
            return;
        }
        long wait = RobustConnectionComponent.STOP_WAIT_MILLIS;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait);
        synchronized (refreshIdle) {
            // the loop running now handles this request before it ends: its end counts the rounds up
            while (refreshIdleRounds == rounds) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.log(Level.WARNING, "MQTT connection " + name + ": the service properties were not updated "
                            + "within " + wait + " ms (a service listener still running on "
                            + refresher + "?); disconnecting anyway");
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(refreshIdle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The loop of {@link #refresh()}: the caller took the first request. */
    private void updateProperties() {
        refresher = Thread.currentThread();
        int handled;
        do {
            handled = refreshRequests.get();
            Hashtable<String, Object> now = properties.get(); // outside the lock: it asks the client
            synchronized (lock) {
                if (!stopped && registration != null) {
                    try {
                        registration.setProperties(now);
                    } catch (IllegalStateException e) {
                        // the framework unregistered it: our bundle is stopping
                        LOG.log(Level.DEBUG, () -> "MQTT connection service already unregistered: " + e);
                    }
                }
            }
        } while (!doneUpdating(handled));
    }

    /** Counts {@code handled} requests as done; true (and waiters told) when none is left. */
    private boolean doneUpdating(int handled) {
        synchronized (refreshIdle) {
            refresher = null; // before the count reaches 0: the next caller may start a loop at once
            if (refreshRequests.addAndGet(-handled) != 0) {
                refresher = Thread.currentThread();
                return false;
            }
            refreshIdleRounds++;
            refreshIdle.notifyAll();
            return true;
        }
    }

}
