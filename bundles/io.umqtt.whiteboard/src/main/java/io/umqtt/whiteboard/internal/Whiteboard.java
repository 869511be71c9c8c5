package io.umqtt.whiteboard.internal;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;

import org.osgi.framework.Constants;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.whiteboard.ConnectionDTO;
import io.umqtt.whiteboard.FailedHandlerDTO;
import io.umqtt.whiteboard.HandlerDTO;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * The whiteboard without OSGi: the registry of handlers and connections, which handler's
 * filters go to which connection, and the two thread pools. The DS component feeds it service
 * events; tests call it directly.
 * <p>
 * Each handler registration is parsed once per add or property change into a
 * {@link HandlerInfo}, keyed by its {@code service.id}; an invalid one is logged and kept aside
 * (shown in the runtime DTO) without touching anything else. A valid one gets a
 * {@link HandlerQueue} and is attached to every {@link ConnectionRoute} its target selects; a
 * property change that keeps filters, QoS and target changes nothing, any other change detaches
 * what it no longer wants and attaches what it newly wants, keeping its queue and, for the
 * filters it keeps, the fact that it had their retained messages.
 * <p>
 * A handler whose filters would overlap a shared subscription on a connection (or whose shared
 * subscription would overlap another filter there) is refused on that connection: the
 * registration or property change that would make the overlap is refused (when a connection
 * appears, the lower service id wins); the refusal is logged naming the handler, the filters
 * and the connection, shown in the runtime DTO among the failed handlers, and undone once the
 * overlap is gone (see {@link ConnectionRoute#conflict}).
 *
 * <h2>Threading</h2>
 * Every method may be called from any thread, including from inside a handler's
 * {@code handle}. {@link #lock} guards the maps below and the routes' reference counts and
 * subscription states; it is held only for in-memory work, never while calling a handler, a
 * connection, an executor that could run the caller's code, or a change listener. Messages are
 * dispatched by the connections' I/O threads without it. Two pools:
 * <ul>
 * <li>{@code umqtt-whiteboard-delivery-N}: {@code threads} threads (2 by default) that run the
 * handlers' drain tasks; idle threads end after a minute;</li>
 * <li>{@code umqtt-whiteboard-subscriptions-N}: grows with the connections whose
 * subscriptions are being changed (one task per connection at a time) and carries the change
 * notifications; idle threads end after ten seconds.</li>
 * </ul>
 */
final class Whiteboard {
    /** How long {@link #close()} waits for UNSUBSCRIBEs and for running handler calls. */
    static final long CLOSE_WAIT_MILLIS = 5_000;

    private static final System.Logger LOG = System.getLogger(Whiteboard.class.getName());
    private static final long DELIVERY_IDLE_SECONDS = 60;
    private static final long SUBSCRIBER_IDLE_SECONDS = 10;

    private final Object lock = new Object();
    /** Valid registrations by service id; guarded by {@link #lock}. */
    private final Map<Long, HandlerRecord> handlers = new TreeMap<>();
    /** Invalid registrations by service id; guarded by {@link #lock}. */
    private final Map<Long, HandlerRecord.Failure> failures = new TreeMap<>();
    /** Connections by service id; guarded by {@link #lock}. */
    private final Map<Long, ConnectionRoute> routes = new TreeMap<>();
    /** Guarded by {@link #lock}. */
    private boolean closed;
    /** Refusals and attachments after a refusal, to log once the lock is released; guarded by {@link #lock}. */
    private final List<Runnable> pendingLogs = new ArrayList<>();

    private volatile Settings settings;
    private final ThreadPoolExecutor delivery;
    private final ThreadPoolExecutor subscriber;

    private final AtomicLong changeCount = new AtomicLong();
    private final AtomicBoolean notificationQueued = new AtomicBoolean();
    private volatile LongConsumer changeListener;

    Whiteboard(Settings settings) {
        this.settings = settings;
        delivery = new ThreadPoolExecutor(settings.threads(), settings.threads(), DELIVERY_IDLE_SECONDS,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new PoolThreads(this, "umqtt-whiteboard-delivery-"));
        delivery.allowCoreThreadTimeOut(true);
        subscriber = new ThreadPoolExecutor(0, Integer.MAX_VALUE, SUBSCRIBER_IDLE_SECONDS, TimeUnit.SECONDS,
                new SynchronousQueue<>(), new PoolThreads(this, "umqtt-whiteboard-subscriptions-"));
    }

    /** Applies a new configuration: the pool is resized, queues use the new capacity from now on. */
    void update(Settings s) {
        Settings old = settings;
        settings = s;
        if (s.threads() > old.threads()) {
            delivery.setMaximumPoolSize(s.threads());
            delivery.setCorePoolSize(s.threads());
        } else if (s.threads() < old.threads()) {
            delivery.setCorePoolSize(s.threads());
            delivery.setMaximumPoolSize(s.threads());
        }
        LOG.log(Level.INFO, () -> "MQTT whiteboard configured: " + s);
        changed();
    }

    /** Receives the change count whenever the runtime DTO changed (coalesced, on a pool thread). */
    void setChangeListener(LongConsumer listener) {
        changeListener = listener;
    }

    long changeCount() {
        return changeCount.get();
    }

    private int queueCapacity() {
        return settings.queueCapacity();
    }

    // ------------------------------------------------------------------ handlers

    /**
     * A {@code MessageHandler} service appeared.
     *
     * @param owner names the registering bundle in log messages
     */
    void addHandler(Map<String, ?> properties, String owner, MessageHandler handler) {
        HandlerInfo info = parse(properties, owner);
        if (info == null) {
            return;
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            HandlerRecord existing = handlers.get(info.serviceId());
            if (existing != null) {
                rebind(existing, info);
            } else {
                add(info, owner, handler);
            }
        }
        logPending();
        LOG.log(Level.DEBUG, () -> "tracking " + info);
        changed();
    }

    /** A handler's service properties changed. */
    void modifiedHandler(Map<String, ?> properties, String owner, MessageHandler handler) {
        HandlerInfo info = parse(properties, owner);
        if (info == null) {
            return;
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            HandlerRecord r = handlers.get(info.serviceId());
            if (r == null) {
                add(info, owner, handler); // it was invalid before
            } else if (r.info.sameSubscriptions(info)) {
                r.info = info;
                r.queue.ackAfterProcessing = info.ackAfterProcessing();
                return;
            } else {
                rebind(r, info);
            }
        }
        logPending();
        LOG.log(Level.DEBUG, () -> "now tracking " + info);
        changed();
    }

    /** A handler service went away; its queued messages are discarded. */
    void removeHandler(long serviceId) {
        HandlerRecord r;
        HandlerQueue.Discarded discarded = HandlerQueue.Discarded.NOTHING;
        synchronized (lock) {
            boolean wasFailed = failures.remove(serviceId) != null;
            r = handlers.remove(serviceId);
            if (r == null && !wasFailed) {
                return;
            }
            if (r != null) {
                unbindAll(r);
                discarded = r.queue.close();
                retryRefused();
            }
        }
        logPending();
        if (!discarded.isEmpty()) {
            HandlerQueue.Discarded d = discarded;
            LOG.log(Level.INFO, () -> r.queue + " was unregistered with " + d.queued
                    + " messages still queued; they were discarded" + d.overflowNote());
        }
        changed();
    }

    /** Parses, or records the failure and returns null. */
    private HandlerInfo parse(Map<String, ?> properties, String owner) {
        long serviceId;
        try {
            serviceId = HandlerInfo.serviceId(properties);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "MessageHandler of bundle " + owner + " ignored: " + e.getMessage());
            return null;
        }
        try {
            return HandlerInfo.parse(properties, owner);
        } catch (IllegalArgumentException e) {
            Object bundle = properties.get(Constants.SERVICE_BUNDLEID);
            long bundleId = bundle instanceof Long ? (Long) bundle : -1;
            fail(serviceId, bundleId, owner, e.getMessage());
            return null;
        }
    }

    private void fail(long serviceId, long bundleId, String owner, String reason) {
        HandlerRecord dropped;
        HandlerQueue.Discarded discarded = HandlerQueue.Discarded.NOTHING;
        synchronized (lock) {
            if (closed) {
                return;
            }
            dropped = handlers.remove(serviceId);
            if (dropped != null) {
                unbindAll(dropped);
                discarded = dropped.queue.close();
                retryRefused();
            }
            failures.put(serviceId, new HandlerRecord.Failure(bundleId, reason));
        }
        logPending();
        HandlerQueue.Discarded d = discarded;
        LOG.log(Level.WARNING, () -> HandlerInfo.describe(serviceId, owner) + " is ignored: " + reason
                + (dropped == null ? "" : " (it was valid before; " + d.queued + " queued messages were discarded"
                        + d.overflowNote() + ")"));
        changed();
    }

    /** Call under the lock. */
    private void add(HandlerInfo info, String owner, MessageHandler handler) {
        failures.remove(info.serviceId());
        HandlerQueue queue = new HandlerQueue(info.serviceId(), HandlerInfo.describe(info.serviceId(), owner), handler,
                delivery, this::queueCapacity);
        queue.ackAfterProcessing = info.ackAfterProcessing();
        HandlerRecord r = new HandlerRecord(info, queue);
        handlers.put(info.serviceId(), r);
        bindMatching(r);
    }

    /**
     * The handler's filters, QoS or target changed. On a connection it stays bound to, the
     * filters it keeps stay attached (it does not get their retained messages again); call
     * under the lock.
     */
    private void rebind(HandlerRecord r, HandlerInfo info) {
        HandlerInfo before = r.info;
        r.info = info;
        r.queue.ackAfterProcessing = info.ackAfterProcessing();
        for (Iterator<ConnectionRoute> it = r.bound.iterator(); it.hasNext();) {
            ConnectionRoute route = it.next();
            String conflict = info.targets(route.properties()) ? route.conflict(r.queue, info) : null;
            if (info.targets(route.properties()) && conflict == null) {
                route.reattach(r.queue, before, info);
            } else {
                route.detach(r.queue, before);
                it.remove();
                if (conflict != null) {
                    refuse(r, route, conflict);
                }
            }
        }
        r.refused.keySet().removeIf(route -> !info.targets(route.properties()));
        for (ConnectionRoute route : routes.values()) {
            if (!r.bound.contains(route) && info.targets(route.properties())) {
                bind(r, route);
            }
        }
        retryRefused();
    }

    /**
     * Attaches the handler's filters to the route, unless they would overlap a shared
     * subscription there (see {@link ConnectionRoute#conflict}); then the handler is refused on
     * that route until the overlap is gone. Call under the lock.
     */
    private void bind(HandlerRecord r, ConnectionRoute route) {
        String conflict = route.conflict(r.queue, r.info);
        if (conflict != null) {
            refuse(r, route, conflict);
            return;
        }
        route.attach(r.queue, r.info);
        r.bound.add(route);
        if (r.refused.remove(route) != null) {
            pendingLogs.add(() -> LOG.log(Level.INFO, () -> r.queue + " is attached to " + route.describe()
                    + " now that the overlap that refused it is gone"));
        }
    }

    /** Call under the lock. */
    private void refuse(HandlerRecord r, ConnectionRoute route, String conflict) {
        if (!conflict.equals(r.refused.put(route, conflict))) {
            pendingLogs.add(() -> LOG.log(Level.WARNING, () -> r.queue + " is not attached to " + route.describe()
                    + ": " + conflict));
        }
    }

    /**
     * Attaches the handlers refused on some route whose overlap went away, in registration
     * order (the earlier registration wins). Call under the lock.
     */
    private void retryRefused() {
        for (HandlerRecord r : handlers.values()) {
            if (!r.refused.isEmpty()) {
                for (ConnectionRoute route : new ArrayList<>(r.refused.keySet())) {
                    bind(r, route);
                }
            }
        }
    }

    /** Logs what the last change under the lock refused or attached after a refusal; call outside the lock. */
    private void logPending() {
        List<Runnable> logs;
        synchronized (lock) {
            if (pendingLogs.isEmpty()) {
                return;
            }
            logs = new ArrayList<>(pendingLogs);
            pendingLogs.clear();
        }
        logs.forEach(Runnable::run);
    }

    /** Call under the lock. */
    private void bindMatching(HandlerRecord r) {
        for (ConnectionRoute route : routes.values()) {
            if (r.info.targets(route.properties())) {
                bind(r, route);
            }
        }
    }

    /** Call under the lock. */
    private void unbindAll(HandlerRecord r) {
        for (ConnectionRoute route : r.bound) {
            route.detach(r.queue, r.info);
        }
        r.bound.clear();
        r.refused.clear();
    }

    // ------------------------------------------------------------------ connections

    /** An {@code MqttConnection} service appeared. */
    void addConnection(Map<String, ?> properties, MqttConnection connection) {
        long serviceId = HandlerInfo.serviceId(properties);
        Dictionary<String, Object> dictionary = new Hashtable<>(properties);
        boolean up = isConnected(properties, connection);
        ConnectionRoute route;
        synchronized (lock) {
            if (closed || routes.containsKey(serviceId)) {
                return;
            }
            route = new ConnectionRoute(serviceId, connection, dictionary, up, lock, subscriber, this::changed);
            routes.put(serviceId, route);
            for (HandlerRecord r : handlers.values()) { // by service id: the earlier registration wins an overlap
                if (r.info.targets(dictionary)) {
                    bind(r, route);
                }
            }
        }
        logPending();
        LOG.log(Level.DEBUG, () -> "tracking " + route.describe() + (up ? ", connected" : ", not connected"));
        changed();
    }

    /**
     * A connection's service properties changed: its state, or what the handlers' targets see.
     * When it says connected again after saying otherwise, every wanted filter is subscribed
     * again.
     */
    void modifiedConnection(Map<String, ?> properties) {
        long serviceId = HandlerInfo.serviceId(properties);
        Dictionary<String, Object> dictionary = new Hashtable<>(properties);
        ConnectionRoute route;
        boolean cameUp;
        synchronized (lock) {
            route = routes.get(serviceId);
            if (closed || route == null) {
                return;
            }
            cameUp = route.update(dictionary, isConnected(properties, route.connection));
            for (HandlerRecord r : handlers.values()) {
                boolean was = r.bound.contains(route);
                boolean now = r.info.targets(dictionary);
                if (was && !now) {
                    route.detach(r.queue, r.info);
                    r.bound.remove(route);
                } else if (!now) {
                    r.refused.remove(route);
                } else if (!was && !r.refused.containsKey(route)) {
                    bind(r, route);
                }
            }
            retryRefused();
        }
        logPending();
        if (cameUp) {
            LOG.log(Level.DEBUG, () -> route.describe() + " is connected: subscribing its filters again");
        }
        changed();
    }

    /** A connection service went away: its route stops; its broker subscriptions are left alone. */
    void removeConnection(long serviceId) {
        synchronized (lock) {
            ConnectionRoute route = routes.remove(serviceId);
            if (route == null) {
                return;
            }
            route.retire();
            for (HandlerRecord r : handlers.values()) {
                r.bound.remove(route);
                r.refused.remove(route);
            }
        }
        changed();
    }

    /**
     * Whether a connection is up, from its service properties: {@code mqtt.connected}, else
     * {@code mqtt.state}, else (a connection service that publishes neither) by asking it.
     */
    static boolean isConnected(Map<String, ?> properties, MqttConnection connection) {
        Object connected = properties.get(MqttConstants.CONNECTED);
        if (connected instanceof Boolean) {
            return (Boolean) connected;
        }
        if (connected instanceof String) {
            return Boolean.parseBoolean((String) connected);
        }
        Object state = properties.get(MqttConstants.STATE);
        if (state != null) {
            return ConnectionState.CONNECTED.name().equals(state.toString());
        }
        return connection.isConnected();
    }

    // ------------------------------------------------------------------ runtime view

    WhiteboardRuntimeDTO runtimeDTO() {
        WhiteboardRuntimeDTO dto = new WhiteboardRuntimeDTO();
        Settings s = settings;
        dto.threads = s.threads();
        dto.queueCapacity = s.queueCapacity();
        synchronized (lock) {
            dto.handlers = handlers.values().stream().map(HandlerRecord::toDTO).toArray(HandlerDTO[]::new);
            List<FailedHandlerDTO> failed = new ArrayList<>();
            for (Map.Entry<Long, HandlerRecord.Failure> f : failures.entrySet()) {
                FailedHandlerDTO d = new FailedHandlerDTO();
                d.serviceId = f.getKey();
                d.bundleId = f.getValue().bundleId;
                d.reason = f.getValue().reason;
                failed.add(d);
            }
            for (HandlerRecord r : handlers.values()) {
                if (!r.refused.isEmpty()) {
                    FailedHandlerDTO d = new FailedHandlerDTO();
                    d.serviceId = r.info.serviceId();
                    d.bundleId = r.info.bundleId();
                    d.reason = r.refused.entrySet().stream()
                            .map(e -> "not attached to " + e.getKey().describe() + ": " + e.getValue())
                            .collect(Collectors.joining("; "));
                    failed.add(d);
                }
            }
            failed.sort(Comparator.comparingLong(d -> d.serviceId));
            dto.failedHandlers = failed.toArray(new FailedHandlerDTO[0]);
            dto.connections = routes.values().stream().map(ConnectionRoute::toDTO).toArray(ConnectionDTO[]::new);
        }
        return dto;
    }

    /** Counts a change and, unless one is queued already, queues a notification of the listener. */
    private void changed() {
        changeCount.incrementAndGet();
        LongConsumer listener = changeListener;
        if (listener == null || !notificationQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            subscriber.execute(() -> {
                notificationQueued.set(false);
                listener.accept(changeCount.get());
            });
        } catch (RejectedExecutionException e) {
            notificationQueued.set(false);
            LOG.log(Level.DEBUG, () -> "change not announced, the whiteboard is closing: " + e);
        }
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Stops: no handler call starts any more, queued messages are discarded, every filter that
     * may be on a connected broker is unsubscribed (waiting at most {@value #CLOSE_WAIT_MILLIS}
     * ms), then the pools stop (running handler calls get as long again, then an interrupt).
     */
    void close() {
        List<CountDownLatch> unsubscribed = new ArrayList<>();
        int discarded = 0;
        long overflowDropped = 0;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            for (HandlerRecord r : handlers.values()) {
                HandlerQueue.Discarded d = r.queue.close();
                discarded += d.queued;
                overflowDropped += d.overflowDropped;
            }
            for (ConnectionRoute route : routes.values()) {
                unsubscribed.add(route.close());
            }
        }
        if (discarded > 0 || overflowDropped > 0) {
            int d = discarded;
            long o = overflowDropped;
            LOG.log(Level.INFO, () -> "MQTT whiteboard stopping: " + d + " queued messages were discarded"
                    + (o == 0 ? "" : "; " + o + " messages were dropped in the overflows of slow handlers "
                            + "(policy: drop oldest)"));
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        try {
            for (CountDownLatch latch : unsubscribed) {
                if (!latch.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    LOG.log(Level.WARNING, "MQTT whiteboard stopping: not every UNSUBSCRIBE was answered within "
                            + CLOSE_WAIT_MILLIS + " ms; the connections keep those subscriptions");
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        subscriber.shutdown();
        delivery.shutdown();
        if (onPoolThread()) {
            return; // a handler stopped the whiteboard: its own call is still running
        }
        try {
            if (!delivery.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                delivery.shutdownNow();
                LOG.log(Level.WARNING, "MQTT whiteboard stopping: handler calls still running after "
                        + CLOSE_WAIT_MILLIS + " ms were interrupted");
            }
        } catch (InterruptedException e) {
            delivery.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Whether both pools have no thread left (tests). */
    boolean isTerminated() {
        return delivery.isTerminated() && subscriber.isTerminated();
    }

    /** Whether the calling thread is one of this whiteboard's pool threads. */
    private boolean onPoolThread() {
        return PoolThreads.runsOn(this);
    }
}
