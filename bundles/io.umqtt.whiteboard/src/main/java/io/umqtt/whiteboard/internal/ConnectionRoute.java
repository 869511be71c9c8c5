package io.umqtt.whiteboard.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.whiteboard.ConnectionDTO;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.internal.FilterEntry.State;

/**
 * The whiteboard's side of one {@link MqttConnection} service: the {@link FilterEntry}s of the
 * filters its handlers want on it, with their reference counts, and the two halves that act on
 * them: the {@link Dispatcher} (the connection's index of the filters and the listener that
 * hands each message to its handlers, on the connection's I/O thread) and the
 * {@link Reconciler} (the task that keeps the broker's subscriptions equal to the wanted
 * filters, on the subscription pool). This class only changes the reference counts, under the
 * whiteboard's lock, and tells the reconciler which entries changed.
 *
 * <h2>Dispatch</h2>
 * A live message (RETAIN=0) goes to every handler of every matching filter, each handler once,
 * except that the handlers of one shared subscription ({@code $share/group/filter}) take turns,
 * round robin ({@link FilterEntry#nextTurn()}): the broker hands this connection a share of the
 * group's messages, and the connection's handlers of the group split that share. A retained
 * message (RETAIN=1) answers a SUBSCRIBE: it goes only to the handlers that wait for the
 * retained messages of a matching filter and have not had its topic yet, so a handler gets the
 * retained messages of its filters once, however many SUBSCRIBEs of its own or of overlapping
 * filters bring them again (see {@link FilterEntry} for how). Under MQTT 5 Retain As Published a
 * message with RETAIN=1 may be live: it goes to every handler of the filter that is not waiting
 * for its SUBSCRIBE, except as a SUBSCRIBE's copy of the value a handler had (FilterEntry again).
 *
 * <h2>Retained messages for handlers that join later</h2>
 * When a handler attaches to a filter that is subscribed already, or whose SUBSCRIBE is on its
 * way, the reconciler sends the SUBSCRIBE again, at the QoS already subscribed (MQTT 3.1.1
 * section 3.8.4: a repeated SUBSCRIBE replaces the subscription and the broker sends the
 * retained messages again). Handlers that join while a SUBSCRIBE of the filter is on its way,
 * or before the reconciler gets to the filter, share one SUBSCRIBE; a handler that leaves before
 * it is sent causes none. After the connection is lost and back, every handler gets the retained
 * messages again with the SUBSCRIBE that restores the filter.
 *
 * <h2>Shared subscriptions</h2>
 * An MQTT 3.1.1 PUBLISH does not say which subscription brought it, so a shared subscription
 * may not overlap any other filter on the same connection (a plain one, another group's, or
 * another filter of the same group): the whiteboard refuses the later registration on that
 * connection ({@link #conflict}), and attaches it once the overlap is gone. No SUBSCRIBE is
 * repeated for the retained messages of a handler joining a shared subscription: brokers send
 * none for shared subscriptions.
 *
 * <h2>QoS</h2>
 * A filter is subscribed at the highest QoS its handlers ask for, and at least at QoS 1 when it
 * overlaps (some topic matches both) a filter asked at QoS 1 or 2 on the same connection. The reason: when a
 * message matches several subscriptions of one client, mosquitto 2.0 sends it once, at the QoS
 * of the most specific subscription (seen with 2.0.11: {@code x/a/+} at QoS 0 and {@code x/#} at
 * QoS 1 deliver {@code x/a/b} at QoS 0), although MQTT 3.1.1 asks for the highest; a QoS 1
 * handler would get some of its messages at QoS 0. A QoS is never lowered while the filter
 * stays subscribed.
 *
 * <h2>MQTT 5 subscription options</h2>
 * On an MQTT 5 connection a handler may ask for No Local, Retain As Published and a Retain
 * Handling ({@link io.umqtt.api.HandlerConstants#NO_LOCAL} and the others). The broker holds one
 * subscription per filter, so handlers of one filter that ask differently get one set of options,
 * combined so that no handler loses messages it asked for ({@link FilterEntry#wantedOptions()}):
 * No Local only when every handler of the filter asks for it, Retain As Published when any
 * handler does, the lowest Retain Handling any handler asks (the one that sends the most retained
 * messages); a handler asking Retain Handling 2 is then still never handed retained messages a
 * SUBSCRIBE brings. The reconciler logs the combination at INFO when the handlers differ. On an
 * MQTT 3.1.1 connection the options are left out (only the QoS is sent), logged once per filter
 * at WARNING.
 * <p>
 * When the connection service goes away, its subscriptions are left alone: the connection is
 * closing, and with a persistent session the broker should keep them. When the whiteboard
 * closes, it unsubscribes its filters ({@link #close()}).
 *
 * <h2>Threading</h2>
 * Every method is called under the whiteboard's lock, which guards the fields; only the log
 * name is read without it.
 */
final class ConnectionRoute {
    private static final String WHY_NO_OVERLAP = ": an MQTT 3.1.1 message does not say which subscription brought it, "
            + "so a shared subscription ($share) must not overlap any other filter on the same connection (use "
            + "another connection for it)";

    final long serviceId;
    final MqttConnection connection;

    private Dictionary<String, Object> properties;
    /** Written under the lock; read without it for log messages. */
    private volatile String name;
    /** By filter text (with any $share prefix). */
    private final Map<String, FilterEntry> entries = new HashMap<>();
    /** Entries some handler asks at QoS 1. */
    private final Set<FilterEntry> asksQos1 = new LinkedHashSet<>();
    /**
     * The entries of shared subscriptions ({@code $share}), in the order they came: the only ones a
     * plain filter can conflict with ({@link #conflict}), so attaching plain filters does not look
     * at every other filter.
     */
    private final Set<FilterEntry> sharedEntries = new LinkedHashSet<>();
    private final Dispatcher dispatcher;
    private final Reconciler reconciler;

    /**
     * @param lock the whiteboard's lock
     * @param subscriber the subscription pool
     * @param changed tells the whiteboard something visible in the runtime DTO changed; called outside the lock
     */
    ConnectionRoute(long serviceId, MqttConnection connection, Dictionary<String, Object> properties,
            boolean connected, Object lock, Executor subscriber, Runnable changed) {
        this.serviceId = serviceId;
        this.connection = connection;
        this.properties = properties;
        this.name = nameOf(properties);
        this.dispatcher = new Dispatcher(this::describe);
        this.reconciler = new Reconciler(lock, connection, dispatcher, connected, subscriber, changed, this::drop,
                this::describe);
    }

    private static String nameOf(Dictionary<String, Object> properties) {
        Object n = properties.get(MqttConstants.NAME);
        return n == null ? null : n.toString();
    }

    /** The current service properties. */
    Dictionary<String, Object> properties() {
        return properties;
    }

    /**
     * Why {@code info}'s filters cannot be attached here, or null when they can. A shared
     * subscription ({@code $share/group/filter}) must not overlap another filter on the same
     * connection, plain or shared: an MQTT 3.1.1 PUBLISH does not say which subscription brought
     * it, so a message that came through the other subscription would reach the shared
     * subscription's handlers as well (and the other's handlers would get the group's messages).
     * The same shared filter is the same subscription and may have many handlers. Filters of
     * {@code handler} attached here already do not count (they are being replaced). Call under
     * the lock.
     * <p>
     * Cost: a plain filter is compared with the shared entries only (a conflict needs a shared
     * filter on one side), a shared one with every entry; the entries' levels are split once,
     * when they are made. So attaching many plain handlers stays linear in their number.
     */
    String conflict(HandlerQueue handler, HandlerInfo info) {
        List<TopicFilter> filters = new ArrayList<>(info.filters());
        for (int i = 0; i < filters.size(); i++) {
            TopicFilter f = filters.get(i);
            String[] levels = FilterEntry.levels(f);
            for (int j = i + 1; j < filters.size(); j++) {
                TopicFilter g = filters.get(j);
                if (clash(f, levels, g, FilterEntry.levels(g))) {
                    return "its filters '" + f + "' and '" + g + "' overlap and one is a shared subscription"
                            + WHY_NO_OVERLAP;
                }
            }
            for (FilterEntry e : f.shareGroup() != null ? entries.values() : sharedEntries) {
                HandlerQueue other = otherHandler(e, handler);
                if (other != null && clash(f, levels, e)) {
                    return "its filter '" + f + "' overlaps '" + e.filter + "' of " + other + " on " + describe()
                            + WHY_NO_OVERLAP + "; it is attached there once the overlap is gone";
                }
            }
        }
        return null;
    }

    private static boolean clash(TopicFilter f, String[] fLevels, TopicFilter g, String[] gLevels) {
        return (f.shareGroup() != null || g.shareGroup() != null) && !f.toString().equals(g.toString())
                && FilterEntry.overlaps(fLevels, gLevels);
    }

    /** {@link #clash(TopicFilter, String[], TopicFilter, String[])} with an entry, whose levels are split already. */
    private static boolean clash(TopicFilter f, String[] fLevels, FilterEntry e) {
        return (f.shareGroup() != null || e.shared) && !f.toString().equals(e.filter.toString())
                && e.overlaps(fLevels);
    }

    /** A handler other than {@code handler} attached to {@code e}, or null. */
    private static HandlerQueue otherHandler(FilterEntry e, HandlerQueue handler) {
        for (FilterEntry.Attachment a : e.attachments) {
            if (a.queue != handler) {
                return a.queue;
            }
        }
        return null;
    }

    /** Adds a handler's filters; call under the lock. */
    void attach(HandlerQueue handler, HandlerInfo info) {
        for (TopicFilter f : info.filters()) {
            attach(handler, f, info.options());
        }
    }

    /**
     * A handler attached here changed its filters or QoS: the filters it keeps keep their
     * attachment (so no second copy of retained messages it had), the others come and go as in
     * {@link #attach} and {@link #detach}. Call under the lock.
     */
    void reattach(HandlerQueue handler, HandlerInfo before, HandlerInfo after) {
        Set<TopicFilter> kept = new HashSet<>(after.filters());
        for (TopicFilter f : before.filters()) {
            if (!kept.contains(f)) {
                detach(handler, f);
            }
        }
        for (TopicFilter f : after.filters()) {
            attach(handler, f, after.options());
        }
    }

    private void attach(HandlerQueue handler, TopicFilter f, SubscriptionOptions options) {
        int qos = options.maxQos();
        FilterEntry e = entries.get(f.toString());
        if (e == null) {
            e = new FilterEntry(f);
            entries.put(f.toString(), e);
            if (e.shared) {
                sharedEntries.add(e);
            }
            dispatcher.index.add(f, e);
            raiseIfOverlapsQos1(e);
        }
        e.add(handler, options);
        if (qos >= MqttConstants.QOS_AT_LEAST_ONCE) { // QoS 1 or 2: overlapping filters get at least QoS 1
            if (asksQos1.add(e)) {
                raiseOverlapping(e);
            }
        } else if (e.askedQos() < MqttConstants.QOS_AT_LEAST_ONCE) {
            asksQos1.remove(e); // the handler asked QoS 1 before
        }
        reconciler.markDirty(e);
    }

    /** A new filter: raised to QoS 1 when it overlaps a filter some handler asks at QoS 1. */
    private void raiseIfOverlapsQos1(FilterEntry e) {
        for (FilterEntry q : asksQos1) {
            if (q.overlaps(e)) {
                e.raised = true;
                return;
            }
        }
    }

    /** A filter now asked at QoS 1: raises every filter overlapping it. */
    private void raiseOverlapping(FilterEntry q) {
        for (FilterEntry e : entries.values()) {
            if (e != q && !e.raised && e.askedQos() < MqttConstants.QOS_AT_LEAST_ONCE && e.overlaps(q)) {
                e.raised = true;
                reconciler.markDirty(e);
            }
        }
    }

    /** Removes a handler's filters; call under the lock. */
    void detach(HandlerQueue handler, HandlerInfo info) {
        for (TopicFilter f : info.filters()) {
            detach(handler, f);
        }
    }

    private void detach(HandlerQueue handler, TopicFilter f) {
        FilterEntry e = entries.get(f.toString());
        if (e != null) {
            e.remove(handler);
            if (e.askedQos() < MqttConstants.QOS_AT_LEAST_ONCE) {
                asksQos1.remove(e);
            }
            if (!e.isWanted() && !e.onBroker && !e.inFlight) {
                drop(e);
            } else {
                reconciler.markDirty(e);
            }
        }
    }

    /** Forgets an entry nobody wants and that is not on the broker; under the lock. */
    private void drop(FilterEntry e) {
        asksQos1.remove(e);
        sharedEntries.remove(e);
        entries.remove(e.filter.toString());
        dispatcher.index.remove(e.filter, e);
        reconciler.forget(e);
    }

    /**
     * New service properties; call under the lock. Returns whether the connection came (back) up.
     * Both when it goes down and when it comes up, every handler is set to wait for the retained
     * messages again: they come with the SUBSCRIBE that restores each filter (when the connection
     * restores its subscriptions itself first, the retained messages that brings go to nobody).
     */
    boolean update(Dictionary<String, Object> newProperties, boolean nowConnected) {
        properties = newProperties;
        name = nameOf(newProperties);
        boolean was = reconciler.setConnected(nowConnected);
        if (was && !nowConnected) {
            for (FilterEntry e : entries.values()) {
                if (e.state == State.SUBSCRIBED) {
                    e.state = State.NONE;
                    e.grantedQos = -1;
                }
                e.restartRetained();
            }
        } else if (!was && nowConnected) {
            for (FilterEntry e : entries.values()) {
                e.resubscribe = e.isWanted();
                e.restartRetained();
                reconciler.mark(e);
            }
            reconciler.schedule();
        }
        return !was && nowConnected;
    }

    /** The service is gone: stop dispatching and subscribing; call under the lock. */
    void retire() {
        dispatcher.stop();
        reconciler.retire();
    }

    /**
     * The whiteboard closes: stop dispatching, forget every handler and unsubscribe every filter
     * that may be on the broker. Call under the lock; await the returned latch outside it.
     */
    CountDownLatch close() {
        dispatcher.stop();
        asksQos1.clear();
        for (FilterEntry e : new ArrayList<>(entries.values())) {
            e.removeAll();
            if (!e.onBroker && !e.inFlight) {
                drop(e);
            } else {
                reconciler.mark(e);
            }
        }
        return reconciler.close();
    }

    // ------------------------------------------------------------------ views

    /** Call under the lock. */
    ConnectionDTO toDTO() {
        ConnectionDTO dto = new ConnectionDTO();
        dto.serviceId = serviceId;
        dto.name = name;
        dto.connected = reconciler.connected();
        List<FilterEntry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparing(x -> x.filter.toString()));
        dto.subscriptions = sorted.stream().map(FilterEntry::toDTO).toArray(SubscriptionDTO[]::new);
        dto.received = dispatcher.received();
        dto.unmatched = dispatcher.unmatched();
        dto.retainedWithheld = dispatcher.withheld();
        return dto;
    }

    /** Names the connection in log messages (a name changing meanwhile is harmless). */
    String describe() {
        String n = name;
        return "connection " + (n == null ? "" : "'" + n + "' ") + "(service " + serviceId + ")";
    }

    @Override
    public String toString() {
        return "whiteboard route of " + describe();
    }
}
