package io.umqtt.whiteboard.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.whiteboard.internal.FilterEntry.State;

/**
 * The subscription half of the whiteboard's side of one connection: keeps the broker's
 * subscriptions equal to the filters the handlers want. The {@link ConnectionRoute} changes
 * reference counts under the whiteboard's lock and {@linkplain #markDirty marks} the entries it
 * touched; a reconcile task on the subscription pool, at most one per connection at a time, then
 * sends, outside the lock, one SUBSCRIBE for all the filters that need one (handlers registered
 * together, during startup or between two passes, a connection coming back), then one
 * UNSUBSCRIBE for all the filters no longer wanted, and records each filter's outcome in its
 * {@link FilterEntry} (a filter the broker refused is refused for its handlers alone). So no
 * framework thread ever waits for the broker, and a handler may register or unregister handlers
 * from inside {@code handle}.
 * <p>
 * It runs only while the connection's service properties say it is connected; SUBSCRIBEs go
 * before UNSUBSCRIBEs (make before break: a handler moving from {@code a/#} to {@code a/+} is
 * subscribed to the new filter before the old one goes). A filter subscribed already is
 * subscribed again, at no lower QoS, for the retained messages of handlers that joined (see
 * {@link FilterEntry}). A failed SUBSCRIBE or UNSUBSCRIBE waits for the connection to come back
 * (or for a handler asking more) rather than hammering the broker.
 *
 * <h2>Threading</h2>
 * Every field is guarded by the whiteboard's lock, which is never held while calling the
 * connection, the pool or the change listener. The methods without a note are called under it.
 */
final class Reconciler {
    private static final System.Logger LOG = System.getLogger(Reconciler.class.getName());

    /** The whiteboard's lock. */
    private final Object lock;
    private final MqttConnection connection;
    /** The listener every filter is subscribed with. */
    private final MessageListener listener;
    private final Executor pool;
    /** Tells the whiteboard something visible in the runtime DTO changed; called outside the lock. */
    private final Runnable changed;
    /** Forgets an entry that needs nothing any more (the route's reference counts and index). */
    private final Consumer<FilterEntry> drop;
    private final Supplier<String> describe;

    /** What the service properties say. */
    private boolean connected;
    /** Entries whose handlers or state changed, to look at. */
    private final Set<FilterEntry> dirty = new LinkedHashSet<>();
    /** Looked at, need a SUBSCRIBE. */
    private final Set<FilterEntry> toSubscribe = new LinkedHashSet<>();
    /** Looked at, need an UNSUBSCRIBE. */
    private final Set<FilterEntry> toUnsubscribe = new LinkedHashSet<>();
    /** A reconcile task is queued or running. */
    private boolean reconciling;
    /** The service is gone or the whiteboard closed: no more SUBSCRIBEs. */
    private boolean retired;
    /** Counted down when the whiteboard closes and the UNSUBSCRIBEs are done. */
    private CountDownLatch closing;
    /** Entries dropped while picking steps (the DTO changed). */
    private int drops;

    Reconciler(Object lock, MqttConnection connection, MessageListener listener, boolean connected, Executor pool,
            Runnable changed, Consumer<FilterEntry> drop, Supplier<String> describe) {
        this.lock = lock;
        this.connection = connection;
        this.listener = listener;
        this.connected = connected;
        this.pool = pool;
        this.changed = changed;
        this.drop = drop;
        this.describe = describe;
    }

    boolean connected() {
        return connected;
    }

    /** Records the connection's state from its service properties; returns the previous one. */
    boolean setConnected(boolean now) {
        boolean was = connected;
        connected = now;
        return was;
    }

    /** Looks at {@code e} with the next reconcile task, starting one when none runs. */
    void markDirty(FilterEntry e) {
        dirty.add(e);
        schedule();
    }

    /** Looks at {@code e} with the next reconcile task; {@link #schedule()} starts one. */
    void mark(FilterEntry e) {
        dirty.add(e);
    }

    /** {@code e} was dropped: nothing is to be done for it. */
    void forget(FilterEntry e) {
        dirty.remove(e);
        toSubscribe.remove(e);
        toUnsubscribe.remove(e);
    }

    /** The service is gone: no more SUBSCRIBEs or UNSUBSCRIBEs. */
    void retire() {
        retired = true;
        dirty.clear();
        toSubscribe.clear();
        toUnsubscribe.clear();
    }

    /**
     * The whiteboard closes; the route has released every entry. Returns a latch counted down
     * when the UNSUBSCRIBEs are done (at once when there is nothing to do); await it outside the
     * lock.
     */
    CountDownLatch close() {
        closing = new CountDownLatch(1);
        if (!reconciling) {
            if (connected && !retired && !(dirty.isEmpty() && toUnsubscribe.isEmpty())) {
                schedule();
            } else {
                closing.countDown();
            }
        }
        return closing;
    }

    /** Starts a reconcile task unless one runs or the connection is down or gone. */
    void schedule() {
        if (reconciling || retired || !connected) {
            return;
        }
        reconciling = true;
        try {
            pool.execute(this::reconcile);
        } catch (RejectedExecutionException e) {
            reconciling = false;
            LOG.log(Level.DEBUG, () -> describe.get() + ": subscription pool shut down, nothing reconciled: " + e);
        }
    }

    // ------------------------------------------------------------------ the task (subscription pool)

    /** One filter's step of work picked under the lock; a batch of them makes one packet. */
    private static final class Step {
        final FilterEntry entry;
        /** The QoS to subscribe at, or -1 to unsubscribe. */
        final int qos;
        /** The SUBSCRIBE's generation (see {@link FilterEntry}), or 0 for an UNSUBSCRIBE. */
        final int generation;
        /** Why a SUBSCRIBE in effect is repeated, for the log; null when it is not. */
        final String again;
        /** The options to subscribe with (QoS {@link #qos}); null for an UNSUBSCRIBE. */
        final SubscriptionOptions options;

        Step(FilterEntry entry, int qos, int generation, String again, SubscriptionOptions options) {
            this.entry = entry;
            this.qos = qos;
            this.generation = generation;
            this.again = again;
            this.options = options;
        }
    }

    /** The task; runs without the lock and takes it per batch. */
    private void reconcile() {
        while (true) {
            List<Step> batch;
            boolean dropped;
            synchronized (lock) {
                int before = drops;
                batch = retired || !connected ? List.of() : nextBatch();
                dropped = drops != before;
                if (batch.isEmpty()) {
                    reconciling = false;
                    if (closing != null) {
                        closing.countDown();
                    }
                }
            }
            if (!batch.isEmpty() || dropped) {
                changed.run();
            }
            if (batch.isEmpty()) {
                return;
            }
            List<String> outcomes = perform(batch);
            changed.run();
            if (!outcomes.isEmpty()) {
                boolean gone;
                synchronized (lock) {
                    gone = retired || !connected;
                }
                // a failure because the connection service is going away, or because it went down
                // meanwhile (closed by a configuration change, which says so before it disconnects,
                // or lost: its filters are subscribed again when it is back), is no news
                for (String outcome : outcomes) {
                    LOG.log(gone ? Level.DEBUG : Level.WARNING, outcome);
                }
            }
        }
    }

    /**
     * Picks the next packet's worth of work and marks it in flight: every filter that needs a
     * SUBSCRIBE, all in one; when none does, every filter that needs an UNSUBSCRIBE, all in one.
     * SUBSCRIBEs go first, so a handler that changes its filters from {@code a/#} to {@code a/+}
     * is subscribed to the new one before the old one goes (make before break). Returns an empty
     * list when nothing is to be done.
     */
    private List<Step> nextBatch() {
        List<FilterEntry> touched = new ArrayList<>(dirty);
        dirty.clear();
        for (FilterEntry e : touched) {
            sort(e); // may drop it
        }
        List<Step> subscribes = new ArrayList<>();
        while (!toSubscribe.isEmpty()) {
            FilterEntry e = takeFirst(toSubscribe);
            if (e.needsSubscribe()) {
                subscribes.add(subscribeStep(e));
            } else {
                sort(e); // changed since it was sorted
            }
        }
        for (Iterator<FilterEntry> it = toUnsubscribe.iterator(); it.hasNext();) {
            FilterEntry e = it.next();
            if (e.needsSubscribe()) { // wanted again
                it.remove();
                subscribes.add(subscribeStep(e));
            }
        }
        if (!subscribes.isEmpty()) {
            return subscribes;
        }
        List<Step> unsubscribes = new ArrayList<>();
        while (!toUnsubscribe.isEmpty()) {
            FilterEntry e = takeFirst(toUnsubscribe);
            if (!e.isWanted() && e.onBroker && !e.inFlight) {
                e.inFlight = true;
                e.state = State.UNSUBSCRIBING;
                e.listening = false; // the connection drops the listener first
                unsubscribes.add(new Step(e, -1, 0, null, null));
            } else {
                sort(e);
            }
        }
        return unsubscribes;
    }

    /**
     * Marks the SUBSCRIBE in flight and numbers it. A filter subscribed already is subscribed
     * again (for the retained messages of handlers that joined) at no lower QoS than before.
     */
    private Step subscribeStep(FilterEntry e) {
        String again = null;
        SubscriptionOptions wanted = e.wantedOptions();
        int qos = wanted.maxQos();
        int flags = FilterEntry.flags(wanted);
        if (e.state == State.SUBSCRIBED) {
            again = e.requestedQos < qos ? "at a higher QoS" : e.requestedFlags != flags
                    ? "with the subscription options its handlers now ask for"
                    : "for the retained messages of the handlers that joined";
            qos = Math.max(qos, e.requestedQos);
        }
        SubscriptionOptions options = SubscriptionOptions.qos(qos).withNoLocal(wanted.noLocal())
                .withRetainAsPublished(wanted.retainAsPublished()).withRetainHandling(wanted.retainHandling());
        logCombination(e, options);
        e.requestedFlags = flags;
        e.retainAsPublished = wanted.retainAsPublished();
        e.inFlight = true;
        e.resubscribe = false;
        e.state = State.SUBSCRIBING;
        e.requestedQos = qos;
        e.onBroker = true; // from now on it may be, whatever the outcome
        e.listening = true; // the connection records the listener before it sends the SUBSCRIBE
        // numbered before it is sent: the broker may send retained messages before its SUBACK
        return new Step(e, qos, e.nextGeneration(), again, options);
    }

    /**
     * Logs at INFO, once per combination, that the handlers of {@code e} ask for differing MQTT 5
     * subscription options and what the broker is asked instead (see {@link FilterEntry#wantedOptions()}).
     */
    private void logCombination(FilterEntry e, SubscriptionOptions sent) {
        if (!e.optionsDiffer()) {
            e.loggedCombination = null;
            return;
        }
        StringBuilder asks = new StringBuilder();
        for (FilterEntry.Attachment a : e.attachments) {
            asks.append(asks.length() > 0 ? "; " : "").append("handler ").append(a.queue.serviceId()).append(": ")
                    .append(a.options);
        }
        String line = describe.get() + ": the handlers of " + e + " ask for different subscription options ("
                + asks + "); the broker holds one subscription per filter, so it is subscribed with " + sent
                + " (no local only when every handler asks for it, retain as published when any does, the lowest "
                + "retain handling; a handler asking retain handling 2 still gets no retained messages from it)";
        if (!line.equals(e.loggedCombination)) {
            e.loggedCombination = line;
            LOG.log(Level.INFO, line);
        }
    }

    private static FilterEntry takeFirst(Set<FilterEntry> set) {
        Iterator<FilterEntry> it = set.iterator();
        FilterEntry e = it.next();
        it.remove();
        return e;
    }

    /** Files a dirty entry under what it needs, drops it when it needs nothing. */
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
                dropEntry(e);
            }
        }
    }

    private void dropEntry(FilterEntry e) {
        drops++;
        drop.accept(e); // calls forget(e)
    }

    /**
     * Sends the batch's packet (outside the lock): one SUBSCRIBE or one UNSUBSCRIBE of all its
     * filters; records each filter's outcome.
     *
     * @return the warnings to log
     */
    private List<String> perform(List<Step> batch) {
        String[] filters = new String[batch.size()];
        int[] qos = new int[batch.size()];
        SubscriptionOptions[] options = new SubscriptionOptions[batch.size()];
        boolean mqtt5Options = false;
        for (int i = 0; i < filters.length; i++) {
            filters[i] = batch.get(i).entry.filter.toString();
            qos[i] = batch.get(i).qos;
            options[i] = batch.get(i).options;
            mqtt5Options |= options[i] != null && options[i].needsMqtt5();
        }
        List<String> warnings = new ArrayList<>();
        if (qos[0] >= 0) {
            int[] granted = null;
            Exception failure = null;
            if (mqtt5Options && connection.protocolVersion() != MqttConstants.MQTT_5) {
                warnOptionsIgnored(batch);
                mqtt5Options = false;
            }
            try {
                // only QoS: the several-filter call of API 1.4, which every connection has
                granted = mqtt5Options ? connection.subscribe(filters, options, listener)
                        : connection.subscribe(filters, qos, listener);
                if (granted == null || granted.length != filters.length) { // another implementation's bug
                    throw new IllegalStateException("the connection answered " + (granted == null ? "null"
                            : granted.length + " return codes") + " for a SUBSCRIBE of " + filters.length + " filters");
                }
            } catch (IOException | RuntimeException x) {
                failure = x;
            }
            // the SUBACKs came: told to the I/O thread at once, not after waiting for the lock, so
            // that the live messages closing the retained messages' windows are seen as such as
            // early as the whiteboard can (FilterEntry, "Retained messages")
            for (Step step : batch) {
                step.entry.answered = step.generation;
            }
            synchronized (lock) {
                for (int i = 0; i < filters.length; i++) {
                    Exception f = failure;
                    if (f == null && granted[i] >= MqttConnection.SUBSCRIPTION_FAILURE) {
                        f = new MqttException(MqttException.Reason.SUBSCRIPTION_REFUSED, granted[i],
                                "the broker of " + describe.get() + " refused the subscription to '" + filters[i] + "'"
                                        + (granted[i] == MqttConnection.SUBSCRIPTION_FAILURE ? ""
                                                : " (" + MqttException.reasonCodeName(granted[i]) + ")"));
                    }
                    add(warnings, subscribed(batch.get(i), f == null ? granted[i] : -1, f));
                }
            }
            return warnings;
        }
        Exception failure = null;
        try {
            connection.unsubscribe(filters, listener); // others' listeners of the filters on this connection stay
        } catch (IOException | RuntimeException x) {
            failure = x;
        }
        synchronized (lock) {
            for (Step step : batch) {
                add(warnings, unsubscribed(step.entry, failure));
            }
        }
        return warnings;
    }

    /**
     * MQTT 5 options asked on a connection that is not MQTT 5: only the QoS is sent. Logged at
     * WARNING once per filter and combination.
     */
    private void warnOptionsIgnored(List<Step> batch) {
        for (Step step : batch) {
            FilterEntry e = step.entry;
            if (step.options != null && step.options.needsMqtt5()) {
                String line = describe.get() + " speaks MQTT 3.1.1: the subscription options " + step.options + " of "
                        + e + " (handlers " + handlerIds(e) + ") need MQTT 5 and are left out, only the QoS is "
                        + "sent; configure the connection with protocol.version=5 for them";
                if (!line.equals(e.loggedCombination)) {
                    e.loggedCombination = line;
                    LOG.log(Level.WARNING, line);
                }
            }
        }
    }

    private static void add(List<String> warnings, String warning) {
        if (warning != null) {
            warnings.add(warning);
        }
    }

    /** Records a SUBSCRIBE's outcome; returns a warning to log, or null. */
    private String subscribed(Step step, int granted, Exception failure) {
        FilterEntry e = step.entry;
        e.inFlight = false;
        e.answered = step.generation;
        if (failure == null) {
            e.state = State.SUBSCRIBED;
            e.grantedQos = granted;
            e.failure = null;
        } else if (failure instanceof MqttException
                && ((MqttException) failure).reason() == MqttException.Reason.SUBSCRIPTION_REFUSED) {
            e.state = State.REFUSED;
            e.listening = false; // the connection dropped the listener again
            e.grantedQos = -1;
            e.failure = String.format("the broker refused it (SUBACK return code 0x%02X): ",
                    ((MqttException) failure).returnCode() >= 0 ? ((MqttException) failure).returnCode()
                            : MqttConnection.SUBSCRIPTION_FAILURE) + failure.getMessage();
        } else {
            e.state = State.FAILED;
            e.grantedQos = -1;
            e.failure = "SUBSCRIBE failed: " + failure;
        }
        dirty.add(e);
        String handlers = handlerIds(e);
        if (failure == null) {
            LOG.log(granted < step.qos ? Level.INFO : Level.DEBUG, () -> describe.get() + ": subscribed " + e
                    + (step.again == null ? "" : " again (SUBSCRIBE number " + step.generation + ", " + step.again
                            + ")")
                    + " at QoS " + step.qos + ", granted " + granted + ", for handlers " + handlers);
            return null;
        }
        return describe.get() + ": " + e + " (QoS " + step.qos + ") for handlers " + handlers + ": " + e.failure
                + (e.state == State.REFUSED ? "" : "; retried when the connection is connected again");
    }

    /** Records an UNSUBSCRIBE's outcome; returns a warning to log, or null. */
    private String unsubscribed(FilterEntry e, Exception failure) {
        e.inFlight = false;
        if (failure == null) {
            e.onBroker = false;
            e.state = State.NONE;
            e.requestedQos = -1;
            e.requestedFlags = -1;
            e.grantedQos = -1;
            e.failure = null;
        } else {
            e.state = State.FAILED;
            e.failure = "UNSUBSCRIBE failed: " + failure;
        }
        if (failure == null && !e.isWanted()) {
            dropEntry(e);
        } else {
            dirty.add(e); // wanted again meanwhile, or to retry
        }
        if (failure == null) {
            LOG.log(Level.DEBUG, () -> describe.get() + ": unsubscribed " + e);
            return null;
        }
        return describe.get() + ": " + e + " is no longer wanted but " + e.failure
                + "; retried when the connection is connected again";
    }

    private static String handlerIds(FilterEntry e) {
        StringBuilder s = new StringBuilder("[");
        for (FilterEntry.Attachment a : e.attachments) {
            s.append(s.length() > 1 ? ", " : "").append(a.queue.serviceId());
        }
        return s.append(']').toString();
    }
}
