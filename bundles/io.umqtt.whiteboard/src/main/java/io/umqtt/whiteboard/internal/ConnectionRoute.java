package io.umqtt.whiteboard.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.TopicFilter;
import io.umqtt.whiteboard.ConnectionDTO;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.internal.FilterEntry.State;

/**
 * The whiteboard's side of one {@link MqttConnection} service: the index of the filters its
 * handlers want on it, the one {@link MessageListener} subscribed under all of them, and the
 * reconciler that keeps the broker's subscriptions equal to the wanted filters.
 *
 * <h2>Dispatch</h2>
 * {@link #messageArrived} runs on the connection's I/O thread and never blocks: it looks the
 * topic up in the {@link TopicTrie} (no lock), collects each matching handler once, and queues
 * the message for each (see {@link HandlerQueue}); the first handler gets the message, every
 * further one its own copy. A live message (RETAIN=0) goes to every handler of every matching
 * filter, except that the handlers of one shared subscription ({@code $share/group/filter})
 * take turns, round robin ({@link FilterEntry#nextTurn()}): the broker hands this connection a
 * share of the group's messages, and the connection's handlers of the group split that share. A retained message (RETAIN=1) answers a SUBSCRIBE: it goes only to the handlers that
 * wait for the retained messages of a matching filter and have not had its topic yet, so a
 * handler gets the retained messages of its filters once, however many SUBSCRIBEs of its own
 * or of overlapping filters bring them again (see {@link FilterEntry} for how); one that goes to
 * nobody is counted as withheld.
 * <p>
 * A message whose topic is not a valid MQTT topic name (wildcards, U+0000, ill-formed UTF-8,
 * empty) goes to no handler: it is counted as unmatched and logged at WARNING (at the counts 1,
 * 2, 4, ...). The umqtt clients close the connection on such a PUBLISH and never deliver it; this
 * guards against a connection of another implementation. The trie itself compares topic bytes
 * literally, so a {@code +} or {@code #} in a topic could never act as a wildcard anyway.
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
 * <h2>Subscriptions</h2>
 * Attaching and detaching handlers (under the whiteboard's lock) only changes the reference
 * counts and marks the filter dirty. A reconcile task on the subscription pool, at most one per
 * connection at a time, then sends one SUBSCRIBE or UNSUBSCRIBE after the other outside the
 * lock and records each outcome; so no framework thread ever waits for the broker, and a
 * handler may register or unregister handlers from inside {@code handle}. The reconciler runs
 * only while the connection's service properties say it is connected; when they say so again
 * after a loss, every wanted filter is subscribed again (an idempotent SUBSCRIBE when the
 * connection restored its subscriptions itself, the only way back when it did not).
 * <p>
 * A filter is subscribed at the highest QoS its handlers ask for, and at QoS 1 when it overlaps
 * (some topic matches both) a filter asked at QoS 1 on the same connection. The reason: when a
 * message matches several subscriptions of one client, mosquitto 2.0 sends it once, at the QoS
 * of the most specific subscription (seen with 2.0.11: {@code x/a/+} at QoS 0 and {@code x/#} at
 * QoS 1 deliver {@code x/a/b} at QoS 0), although MQTT 3.1.1 asks for the highest; a QoS 1
 * handler would get some of its messages at QoS 0. A QoS is never lowered while the filter
 * stays subscribed.
 * <p>
 * When the connection service goes away, its subscriptions are left alone: the connection is
 * closing, and with a persistent session the broker should keep them. When the whiteboard
 * closes, it unsubscribes its filters ({@link #close()}).
 */
final class ConnectionRoute implements MessageListener {
    private static final System.Logger LOG = System.getLogger(ConnectionRoute.class.getName());
    private static final String WHY_NO_OVERLAP = ": an MQTT 3.1.1 message does not say which subscription brought it, "
            + "so a shared subscription ($share) must not overlap any other filter on the same connection (use "
            + "another connection for it)";

    final long serviceId;
    final MqttConnection connection;

    /** The whiteboard's lock. */
    private final Object lock;
    private final Executor subscriber;
    /** Tells the whiteboard something visible in the runtime DTO changed; called outside the lock. */
    private final Runnable changed;

    /** Guarded by {@link #lock}. */
    private Dictionary<String, Object> properties;
    /** Written under {@link #lock}; read without it for log messages. */
    private volatile String name;
    /** What the service properties say; guarded by {@link #lock}. */
    private boolean connected;
    /** By filter text (with any $share prefix); guarded by {@link #lock}. */
    private final Map<String, FilterEntry> entries = new HashMap<>();
    /** Entries whose handlers or state changed, to look at; guarded by {@link #lock}. */
    private final Set<FilterEntry> dirty = new LinkedHashSet<>();
    /** Looked at, need a SUBSCRIBE; guarded by {@link #lock}. */
    private final Set<FilterEntry> toSubscribe = new LinkedHashSet<>();
    /** Looked at, need an UNSUBSCRIBE; guarded by {@link #lock}. */
    private final Set<FilterEntry> toUnsubscribe = new LinkedHashSet<>();
    /** Entries some handler asks at QoS 1; guarded by {@link #lock}. */
    private final Set<FilterEntry> asksQos1 = new LinkedHashSet<>();
    /** A reconcile task is queued or running; guarded by {@link #lock}. */
    private boolean reconciling;
    /** The service is gone or the whiteboard closed: no more SUBSCRIBEs; guarded by {@link #lock}. */
    private boolean retired;
    /** Counted down when the whiteboard closes and the UNSUBSCRIBEs are done; guarded by {@link #lock}. */
    private CountDownLatch closing;

    /** Entries by filter; written under {@link #lock}, read lock-free by the I/O thread. */
    private final TopicTrie<FilterEntry> index = new TopicTrie<>();
    /** False once the service is gone or the whiteboard closed. */
    private volatile boolean dispatching = true;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong unmatched = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    /** Messages with an invalid topic name, dispatched to nobody (also counted in {@link #unmatched}). */
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicLong withheld = new AtomicLong();

    ConnectionRoute(long serviceId, MqttConnection connection, Dictionary<String, Object> properties,
            boolean connected, Object lock, Executor subscriber, Runnable changed) {
        this.serviceId = serviceId;
        this.connection = connection;
        this.properties = properties;
        this.name = nameOf(properties);
        this.connected = connected;
        this.lock = lock;
        this.subscriber = subscriber;
        this.changed = changed;
    }

    private static String nameOf(Dictionary<String, Object> properties) {
        Object n = properties.get(MqttConstants.NAME);
        return n == null ? null : n.toString();
    }

    /** The current service properties; call under the lock. */
    Dictionary<String, Object> properties() {
        return properties;
    }

    // ------------------------------------------------------------------ dispatch (I/O thread)

    @Override
    public void messageArrived(MqttMessage message) {
        if (!dispatching) {
            long n = late.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.log(Level.INFO, () -> describe() + ": " + message + " arrived after the whiteboard let go of the "
                        + "connection and was not dispatched (" + n + " so far; logged at the counts 1, 2, 4, ...)");
            }
            return;
        }
        received.incrementAndGet();
        try {
            TopicFilter.validateTopicName(message.topic()); // allocates nothing for a valid topic
        } catch (IllegalArgumentException e) {
            unmatched.incrementAndGet();
            long n = invalid.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.log(Level.WARNING, () -> describe() + " delivered a message whose topic is not a valid MQTT topic "
                        + "name (" + e.getMessage() + "); it was dispatched to no handler (" + n + " so far; logged at "
                        + "the counts 1, 2, 4, ...)");
            }
            return;
        }
        Targets targets = new Targets(message);
        index.match(message.topic(), targets);
        if (message.retain()) {
            targets.resolveRetained();
        }
        if (targets.count == 0) {
            if (targets.attached > 0) {
                withheld.incrementAndGet(); // retained, and every handler of it had it
                LOG.log(Level.DEBUG, () -> describe() + ": every handler had the retained " + message);
            } else {
                unmatched.incrementAndGet();
                LOG.log(Level.DEBUG, () -> describe() + ": no handler for " + message);
            }
            return;
        }
        for (int i = 0; i < targets.count; i++) {
            targets.handlers[i].offer(i == 0 ? message : message.copy());
        }
    }

    /**
     * Collects the handlers of the matching filters, each once: for a live message all of them;
     * for a retained one each handler with an open attachment to a matching filter, unless one
     * of its attachments to the matching filters has had the topic (see {@link FilterEntry}).
     */
    static final class Targets implements Consumer<FilterEntry> {
        private final MqttMessage message;
        private final boolean retained;
        HandlerQueue[] handlers = new HandlerQueue[4];
        int count;
        /** Handlers attached to the matching filters, whether or not collected. */
        int attached;
        /** Retained only: the open and waiting attachments of the matching filters. */
        private FilterEntry.Attachment[] candidates;
        private boolean[] open;
        private int candidateCount;
        private FilterEntry.TopicKey key;

        Targets(MqttMessage message) {
            this.message = message;
            this.retained = message.retain();
        }

        @Override
        public void accept(FilterEntry entry) {
            FilterEntry.Attachment[] a = entry.attachments;
            attached += a.length;
            if (retained) {
                entry.retainedArrived(this);
                return;
            }
            if (entry.shared && a.length > 1) {
                add(entry.nextTurn()); // one member of the group: its handlers take turns
            } else {
                for (FilterEntry.Attachment x : a) {
                    add(x.queue);
                }
            }
            entry.liveArrived(message.qos());
        }

        /** From {@link FilterEntry#retainedArrived}: an attachment that is open, or waiting for its SUBSCRIBE. */
        void candidate(FilterEntry.Attachment a, boolean isOpen) {
            if (candidates == null) {
                candidates = new FilterEntry.Attachment[4];
                open = new boolean[4];
            } else if (candidateCount == candidates.length) {
                candidates = Arrays.copyOf(candidates, candidateCount * 2);
                open = Arrays.copyOf(open, candidateCount * 2);
            }
            candidates[candidateCount] = a;
            open[candidateCount++] = isOpen;
        }

        /**
         * Retained only, after the match: per handler, whether it gets the message, and if it has
         * it now (or had it), every one of its attachments here remembers the topic.
         */
        void resolveRetained() {
            for (int i = 0; i < candidateCount; i++) {
                FilterEntry.Attachment first = candidates[i];
                if (first == null) {
                    continue; // looked at with an earlier attachment of its handler
                }
                HandlerQueue h = first.queue;
                boolean anyOpen = false;
                boolean had = false;
                for (int j = i; j < candidateCount; j++) {
                    FilterEntry.Attachment a = candidates[j];
                    if (a != null && a.queue == h) {
                        anyOpen |= open[j];
                        had |= a.had.contains(topicKey());
                    }
                }
                if (!anyOpen) {
                    continue; // its SUBSCRIBE is not sent yet: it will bring it
                }
                if (!had) {
                    add(h);
                }
                for (int j = i; j < candidateCount; j++) {
                    FilterEntry.Attachment a = candidates[j];
                    if (a != null && a.queue == h) {
                        a.had.add(topicKey());
                        candidates[j] = null;
                    }
                }
            }
        }

        /** The message's topic as a key, made once per message and only when needed. */
        private FilterEntry.TopicKey topicKey() {
            FilterEntry.TopicKey k = key;
            if (k == null) {
                k = new FilterEntry.TopicKey(message.topic());
                key = k;
            }
            return k;
        }

        private void add(HandlerQueue h) {
            // linear: a message rarely has more than a handful of handlers
            for (int i = 0; i < count; i++) {
                if (handlers[i] == h) {
                    return;
                }
            }
            if (count == handlers.length) {
                handlers = Arrays.copyOf(handlers, count * 2);
            }
            handlers[count++] = h;
        }
    }

    // ------------------------------------------------------------------ reference counts (under the lock)

    /**
     * Why {@code info}'s filters cannot be attached here, or null when they can. A shared
     * subscription ({@code $share/group/filter}) must not overlap another filter on the same
     * connection, plain or shared: an MQTT 3.1.1 PUBLISH does not say which subscription brought
     * it, so a message that came through the other subscription would reach the shared
     * subscription's handlers as well (and the other's handlers would get the group's messages).
     * The same shared filter is the same subscription and may have many handlers. Filters of
     * {@code handler} attached here already do not count (they are being replaced). Call under
     * the lock.
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
            for (FilterEntry e : entries.values()) {
                HandlerQueue other = otherHandler(e, handler);
                if (other != null && clash(f, levels, e.filter, FilterEntry.levels(e.filter))) {
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
            attach(handler, f, info.qos());
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
            attach(handler, f, after.qos());
        }
    }

    private void attach(HandlerQueue handler, TopicFilter f, int qos) {
        FilterEntry e = entries.get(f.toString());
        if (e == null) {
            e = new FilterEntry(f);
            entries.put(f.toString(), e);
            index.add(f, e);
            raiseIfOverlapsQos1(e);
        }
        e.add(handler, qos);
        if (qos == MqttConstants.QOS_AT_LEAST_ONCE) {
            if (asksQos1.add(e)) {
                raiseOverlapping(e);
            }
        } else if (e.askedQos() < MqttConstants.QOS_AT_LEAST_ONCE) {
            asksQos1.remove(e); // the handler asked QoS 1 before
        }
        markDirty(e);
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
                markDirty(e);
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
                markDirty(e);
            }
        }
    }

    private void drop(FilterEntry e) {
        asksQos1.remove(e);
        entries.remove(e.filter.toString());
        index.remove(e.filter, e);
        dirty.remove(e);
        toSubscribe.remove(e);
        toUnsubscribe.remove(e);
    }

    private void markDirty(FilterEntry e) {
        dirty.add(e);
        schedule();
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
        boolean was = connected;
        connected = nowConnected;
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
                dirty.add(e);
            }
            schedule();
        }
        return !was && nowConnected;
    }

    /** The service is gone: stop dispatching and subscribing; call under the lock. */
    void retire() {
        retired = true;
        dispatching = false;
        dirty.clear();
        toSubscribe.clear();
        toUnsubscribe.clear();
    }

    /**
     * The whiteboard closes: stop dispatching, forget every handler and unsubscribe every filter
     * that may be on the broker. Call under the lock; await the returned latch outside it.
     */
    CountDownLatch close() {
        dispatching = false;
        closing = new CountDownLatch(1);
        asksQos1.clear();
        for (FilterEntry e : new ArrayList<>(entries.values())) {
            e.removeAll();
            if (!e.onBroker && !e.inFlight) {
                drop(e);
            } else {
                dirty.add(e);
            }
        }
        if (!reconciling) {
            if (connected && !retired && !(dirty.isEmpty() && toUnsubscribe.isEmpty())) {
                schedule();
            } else {
                closing.countDown();
            }
        }
        return closing;
    }

    private void schedule() {
        if (reconciling || retired || !connected) {
            return;
        }
        reconciling = true;
        try {
            subscriber.execute(this::reconcile);
        } catch (RejectedExecutionException e) {
            reconciling = false;
            LOG.log(Level.DEBUG, () -> describe() + ": subscription pool shut down, nothing reconciled: " + e);
        }
    }

    // ------------------------------------------------------------------ the reconciler (subscription pool)

    /** One step of work picked under the lock. */
    private static final class Step {
        final FilterEntry entry;
        /** The QoS to subscribe at, or -1 to unsubscribe. */
        final int qos;
        /** The SUBSCRIBE's generation (see {@link FilterEntry}), or 0 for an UNSUBSCRIBE. */
        final int generation;
        /** Why a SUBSCRIBE in effect is repeated, for the log; null when it is not. */
        final String again;

        Step(FilterEntry entry, int qos, int generation, String again) {
            this.entry = entry;
            this.qos = qos;
            this.generation = generation;
            this.again = again;
        }
    }

    private void reconcile() {
        while (true) {
            Step step;
            boolean dropped;
            synchronized (lock) {
                int before = entries.size();
                step = retired || !connected ? null : nextStep();
                dropped = entries.size() != before;
                if (step == null) {
                    reconciling = false;
                    if (closing != null) {
                        closing.countDown();
                    }
                }
            }
            if (step != null || dropped) {
                changed.run();
            }
            if (step == null) {
                return;
            }
            String outcome = perform(step);
            changed.run();
            if (outcome != null) {
                boolean gone;
                synchronized (lock) {
                    gone = retired || !connected;
                }
                // a failure because the connection service is going away, or because it went down
                // meanwhile (closed by a configuration change, which says so before it disconnects,
                // or lost: its filters are subscribed again when it is back), is no news
                LOG.log(gone ? Level.DEBUG : Level.WARNING, outcome);
            }
        }
    }

    /**
     * Picks the next SUBSCRIBE or UNSUBSCRIBE and marks it in flight; call under the lock.
     * SUBSCRIBEs go first, so a handler that changes its filters from {@code a/#} to
     * {@code a/+} is subscribed to the new one before the old one goes (make before break).
     */
    private Step nextStep() {
        List<FilterEntry> touched = new ArrayList<>(dirty);
        dirty.clear();
        for (FilterEntry e : touched) {
            sort(e); // may drop it
        }
        while (!toSubscribe.isEmpty()) {
            FilterEntry e = takeFirst(toSubscribe);
            if (e.needsSubscribe()) {
                return subscribeStep(e);
            }
            sort(e); // changed since it was sorted
        }
        while (!toUnsubscribe.isEmpty()) {
            FilterEntry e = takeFirst(toUnsubscribe);
            if (!e.isWanted() && e.onBroker && !e.inFlight) {
                e.inFlight = true;
                e.state = State.UNSUBSCRIBING;
                return new Step(e, -1, 0, null);
            }
            if (e.needsSubscribe()) {
                return subscribeStep(e); // wanted again
            }
            sort(e);
        }
        return null;
    }

    /**
     * Marks the SUBSCRIBE in flight and numbers it. A filter subscribed already is subscribed
     * again (for the retained messages of handlers that joined) at no lower QoS than before.
     */
    private static Step subscribeStep(FilterEntry e) {
        String again = null;
        int qos = e.wantedQos();
        if (e.state == State.SUBSCRIBED) {
            again = e.requestedQos < qos ? "at a higher QoS" : "for the retained messages of the handlers that joined";
            qos = Math.max(qos, e.requestedQos);
        }
        e.inFlight = true;
        e.resubscribe = false;
        e.state = State.SUBSCRIBING;
        e.requestedQos = qos;
        e.onBroker = true; // from now on it may be, whatever the outcome
        // numbered before it is sent: the broker may send retained messages before its SUBACK
        return new Step(e, qos, e.nextGeneration(), again);
    }

    private static FilterEntry takeFirst(Set<FilterEntry> set) {
        Iterator<FilterEntry> it = set.iterator();
        FilterEntry e = it.next();
        it.remove();
        return e;
    }

    /** Files a dirty entry under what it needs, drops it when it needs nothing; under the lock. */
    private void sort(FilterEntry e) {
        if (e.inFlight) {
            return; // looked at again when it lands
        }
        if (e.needsSubscribe()) {
            toSubscribe.add(e);
        } else if (!e.isWanted()) {
            if (e.onBroker) {
                toUnsubscribe.add(e);
            } else {
                drop(e);
            }
        }
    }

    /**
     * Sends the step's packet (outside the lock) and records the outcome.
     *
     * @return a warning to log, or null
     */
    private String perform(Step step) {
        FilterEntry e = step.entry;
        String filter = e.filter.toString();
        if (step.qos >= 0) {
            int granted = -1;
            Exception failure = null;
            try {
                granted = connection.subscribe(filter, step.qos, this);
            } catch (IOException | RuntimeException x) {
                failure = x;
            }
            synchronized (lock) {
                e.inFlight = false;
                e.answered = step.generation;
                if (failure == null) {
                    e.state = State.SUBSCRIBED;
                    e.grantedQos = granted;
                    e.failure = null;
                } else if (failure instanceof MqttException
                        && ((MqttException) failure).reason() == MqttException.Reason.SUBSCRIPTION_REFUSED) {
                    e.state = State.REFUSED;
                    e.grantedQos = -1;
                    e.failure = "the broker refused it (SUBACK return code 0x80): " + failure.getMessage();
                } else {
                    e.state = State.FAILED;
                    e.grantedQos = -1;
                    e.failure = "SUBSCRIBE failed: " + failure;
                }
                dirty.add(e);
                String handlers = handlerIds(e);
                if (failure == null) {
                    int g = granted;
                    LOG.log(g < step.qos ? Level.INFO : Level.DEBUG, () -> describe() + ": subscribed " + e
                            + (step.again == null ? "" : " again (SUBSCRIBE number " + step.generation + ", "
                                    + step.again + ")")
                            + " at QoS " + step.qos + ", granted " + g + ", for handlers " + handlers);
                    return null;
                }
                return describe() + ": " + e + " (QoS " + step.qos + ") for handlers " + handlers + ": " + e.failure
                        + (e.state == State.REFUSED ? "" : "; retried when the connection is connected again");
            }
        }
        Exception failure = null;
        try {
            connection.unsubscribe(filter, this); // others' listeners of the filter on this connection stay
        } catch (IOException | RuntimeException x) {
            failure = x;
        }
        synchronized (lock) {
            e.inFlight = false;
            if (failure == null) {
                e.onBroker = false;
                e.state = State.NONE;
                e.requestedQos = -1;
                e.grantedQos = -1;
                e.failure = null;
            } else {
                e.state = State.FAILED;
                e.failure = "UNSUBSCRIBE failed: " + failure;
            }
            if (failure == null && !e.isWanted()) {
                drop(e);
            } else {
                dirty.add(e); // wanted again meanwhile, or to retry
            }
            if (failure == null) {
                LOG.log(Level.DEBUG, () -> describe() + ": unsubscribed " + e);
                return null;
            }
            return describe() + ": " + e + " is no longer wanted but " + e.failure
                    + "; retried when the connection is connected again";
        }
    }

    private static String handlerIds(FilterEntry e) {
        StringBuilder s = new StringBuilder("[");
        for (FilterEntry.Attachment a : e.attachments) {
            s.append(s.length() > 1 ? ", " : "").append(a.queue.serviceId());
        }
        return s.append(']').toString();
    }

    // ------------------------------------------------------------------ views

    /** Call under the lock. */
    ConnectionDTO toDTO() {
        ConnectionDTO dto = new ConnectionDTO();
        dto.serviceId = serviceId;
        dto.name = name;
        dto.connected = connected;
        List<FilterEntry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparing(x -> x.filter.toString()));
        dto.subscriptions = sorted.stream().map(FilterEntry::toDTO).toArray(SubscriptionDTO[]::new);
        dto.received = received.get();
        dto.unmatched = unmatched.get();
        dto.retainedWithheld = withheld.get();
        return dto;
    }

    /** Names the connection in log messages (a name changing meanwhile is harmless). */
    String describe() {
        String n = name;
        return "connection " + (n == null ? "" : "'" + n + "' ") + "(service " + serviceId + ")";
    }

    @Override
    public String toString() {
        return "whiteboard listener of " + describe();
    }
}
