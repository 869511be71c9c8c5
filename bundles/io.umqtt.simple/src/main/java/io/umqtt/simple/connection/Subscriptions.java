package io.umqtt.simple.connection;

import static io.umqtt.api.MqttConnection.SUBSCRIPTION_FAILURE;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import io.umqtt.api.MessageListener;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.connection.ListenerRoutes.Subscription;

/**
 * The subscription bookkeeping of one {@link ClientConnection}: its (filter, listener) pairs in
 * subscription order, the broker subscriptions they need (listeners sharing a filter share one,
 * with their options combined, {@link #combine}), and the subscribing and unsubscribing at the
 * broker that keeps the two in step: a listener is recorded before its SUBSCRIBE goes out and
 * dropped again when the broker refuses it or the call fails (unless
 * {@link ClientConnection#keepsSubscription} says the client still makes it); a filter is
 * unsubscribed when its last listener goes, and subscribed again when a listener joined meanwhile.
 * After every change it publishes a new route for delivery ({@link ListenerRoutes#reroute}).
 * <p>
 * The connection checks the arguments and refuses what its protocol version cannot do before it
 * calls in here; the messages and the client in force ({@link ClientConnection#live()}) are the
 * connection's.
 * <p>
 * Threading: any thread. The pair list is copy-on-write, so no lock: a concurrent subscribe and
 * unsubscribe of the same filter are reconciled by recording before sending and by checking again
 * after (see {@link #unsubscribe(String, TopicFilter, MessageListener)}); rerouting
 * is serialised by {@link ListenerRoutes}.
 */
final class Subscriptions {
    // the connection's logger: log lines read as before
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());

    private final ClientConnection connection;
    /** What delivery walks, derived from {@link #pairs} after every change. */
    private final ListenerRoutes routes;
    /** (filter, listener) pairs in subscription order; copy-on-write, so no lock. */
    private final List<Subscription> pairs = new CopyOnWriteArrayList<>();

    Subscriptions(ClientConnection connection, ListenerRoutes routes) {
        this.connection = connection;
        this.routes = routes;
    }

    /** See {@link ClientConnection#wantedSubscriptions()}. */
    Map<String, Integer> wanted() {
        Map<String, Integer> wanted = new LinkedHashMap<>();
        for (Subscription s : pairs) {
            wanted.merge(s.filter.toString(), s.qos, Math::max);
        }
        return wanted;
    }

    /** See {@link ClientConnection#wantedSubscriptionOptions()}. */
    Map<String, SubscriptionOptions> wantedOptions() {
        Map<String, SubscriptionOptions> wanted = new LinkedHashMap<>();
        for (Subscription s : pairs) {
            wanted.merge(s.filter.toString(), s.options, Subscriptions::combine);
        }
        return wanted;
    }

    /**
     * The options of one broker subscription shared by listeners that asked {@code a} and {@code b}:
     * the highest QoS, No Local only when both ask it, Retain As Published when either does, the
     * lower Retain Handling (the one that sends more retained messages), and {@code b}'s
     * subscription identifier when it has one (the one asked last), else {@code a}'s. So no
     * listener loses messages it asked for. (The whiteboard combines its handlers' options the same
     * way.)
     */
    static SubscriptionOptions combine(SubscriptionOptions a, SubscriptionOptions b) {
        return SubscriptionOptions.qos(Math.max(a.maxQos(), b.maxQos()))
                .withNoLocal(a.noLocal() && b.noLocal())
                .withRetainAsPublished(a.retainAsPublished() || b.retainAsPublished())
                .withRetainHandling(Math.min(a.retainHandling(), b.retainHandling()))
                .withSubscriptionIdentifier(b.subscriptionIdentifier() != 0 ? b.subscriptionIdentifier()
                        : a.subscriptionIdentifier());
    }

    /** Subscribes {@code filter} on {@code c} with {@code o}: the 3.1.1 call when only the QoS is asked. */
    private static int subscribeOn(MqttClient c, String filter, SubscriptionOptions o) throws IOException {
        return o.needsMqtt5() ? c.subscribe(filter, o) : c.subscribe(filter, o.maxQos());
    }

    /** The options of the broker subscription the listeners of {@code filter} need, or null when it has none. */
    private SubscriptionOptions combined(TopicFilter filter) {
        SubscriptionOptions o = null;
        for (Subscription s : pairs) {
            if (s.filter.equals(filter)) {
                o = o == null ? s.options : combine(o, s.options);
            }
        }
        return o;
    }

    /** Drops every pair of {@code listener} (the response listener of a replaced client). */
    void removeListener(MessageListener listener) {
        if (pairs.removeIf(s -> s.listener == listener)) {
            reroute();
        }
    }

    /**
     * See {@link ClientConnection#subscribe(String, SubscriptionOptions, MessageListener)}: records
     * the pair (replacing the listener's own for the filter), then subscribes on {@code c} with the
     * options combined over the filter's listeners; undone when the call fails.
     */
    int subscribe(MqttClient c, String filter, TopicFilter parsed, SubscriptionOptions options,
            MessageListener listener) throws IOException {
        Subscription s = new Subscription(parsed, listener, options);
        Subscription replaced = null;
        SubscriptionOptions brokerOptions = options;
        for (Subscription o : pairs) {
            if (o.filter.equals(parsed)) {
                if (o.listener == listener) {
                    replaced = o;
                } else {
                    brokerOptions = combine(o.options, brokerOptions);
                }
            }
        }
        // add before removing: the listener is never missing while a message may arrive
        pairs.add(s);
        if (replaced != null) {
            pairs.remove(replaced);
        }
        reroute(); // before the SUBSCRIBE: its retained messages may come before the SUBACK
        boolean done = false;
        try {
            int granted = subscribeOn(c, filter, brokerOptions);
            done = true;
            return granted;
        } finally {
            if (!done && !connection.keepsSubscription(filter)) {
                pairs.remove(s);
                if (replaced != null) { // the listener had it before: it stays as it was
                    pairs.add(replaced);
                }
                reroute();
            }
        }
    }

    /** See {@link ClientConnection#subscribe(String[], SubscriptionOptions[], MessageListener)}: in one SUBSCRIBE. */
    int[] subscribe(String[] filters, SubscriptionOptions[] options, MessageListener listener) throws IOException {
        MqttClient c = connection.live();
        int n = filters.length;
        Subscription[] added = new Subscription[n];
        Subscription[] replaced = new Subscription[n];
        SubscriptionOptions[] brokerOptions = new SubscriptionOptions[n];
        boolean mqtt5 = false;
        for (int i = 0; i < n; i++) {
            TopicFilter parsed = TopicFilter.parse(filters[i]);
            added[i] = new Subscription(parsed, listener, options[i]);
            brokerOptions[i] = options[i];
            for (Subscription o : pairs) {
                if (o.filter.equals(parsed)) {
                    if (o.listener == listener) {
                        replaced[i] = o;
                    } else {
                        brokerOptions[i] = combine(o.options, brokerOptions[i]);
                    }
                }
            }
            mqtt5 |= brokerOptions[i].needsMqtt5();
            // add before removing: the listener is never missing while a message may arrive
            pairs.add(added[i]);
            if (replaced[i] != null) {
                pairs.remove(replaced[i]);
            }
        }
        reroute(); // before the SUBSCRIBE: its retained messages may come before the SUBACK
        int[] granted = null;
        try {
            if (mqtt5) {
                granted = c.subscribe(filters, brokerOptions);
            } else {
                int[] brokerQos = new int[n];
                for (int i = 0; i < n; i++) {
                    brokerQos[i] = brokerOptions[i].maxQos();
                }
                granted = c.subscribe(filters, brokerQos);
            }
            return granted;
        } finally {
            boolean changed = false;
            for (int i = n - 1; i >= 0; i--) { // backwards: a filter given twice gets its first state back
                boolean failed = granted == null || granted[i] >= SUBSCRIPTION_FAILURE;
                if (failed && !connection.keepsSubscription(filters[i])) {
                    pairs.remove(added[i]);
                    if (replaced[i] != null && !pairs.contains(replaced[i])) {
                        pairs.add(replaced[i]); // the listener had it before: it stays as it was
                    }
                    changed = true;
                }
            }
            if (changed) {
                reroute();
            }
        }
    }

    /** See {@link ClientConnection#unsubscribe(String)}: drops every listener of the filter, then unsubscribes. */
    void unsubscribe(String filter) throws IOException {
        TopicFilter parsed = TopicFilter.parse(filter);
        pairs.removeIf(s -> s.filter.equals(parsed));
        reroute();
        connection.live().unsubscribe(filter);
    }

    /**
     * See {@link ClientConnection#unsubscribe(String, MessageListener)}: drops the pair, and when it
     * was the filter's last listener unsubscribes; subscribes again when a listener joined meanwhile.
     */
    boolean unsubscribe(String filter, TopicFilter parsed, MessageListener listener) throws IOException {
        boolean removed = pairs.removeIf(s -> s.filter.equals(parsed) && s.listener == listener);
        if (removed) {
            reroute();
        }
        if (!removed || pairs.stream().anyMatch(s -> s.filter.equals(parsed))) {
            return false;
        }
        MqttClient c = connection.live();
        c.unsubscribe(filter);
        SubscriptionOptions again = combined(parsed);
        if (again != null) {
            LOG.log(Level.DEBUG, () -> "connection " + connection.name() + ": '" + filter + "' got a listener while "
                    + "it was being unsubscribed; subscribing it again");
            subscribeOn(c, filter, again);
            return false;
        }
        return true;
    }

    /** See {@link ClientConnection#unsubscribe(String[], MessageListener)}: in one UNSUBSCRIBE. */
    boolean[] unsubscribe(String[] filters, MessageListener listener) throws IOException {
        int n = filters.length;
        TopicFilter[] parsed = new TopicFilter[n];
        boolean[] removed = new boolean[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            TopicFilter f = TopicFilter.parse(filters[i]);
            parsed[i] = f;
            removed[i] = pairs.removeIf(s -> s.filter.equals(f) && s.listener == listener);
            any |= removed[i];
        }
        if (any) {
            reroute();
        }
        boolean[] unsubscribed = new boolean[n];
        List<String> gone = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TopicFilter f = parsed[i];
            if (removed[i] && pairs.stream().noneMatch(s -> s.filter.equals(f))) {
                unsubscribed[i] = true;
                gone.add(filters[i]);
            }
        }
        if (gone.isEmpty()) {
            return unsubscribed;
        }
        MqttClient c = connection.live();
        c.unsubscribe(gone.toArray(new String[0]));
        List<String> again = new ArrayList<>();
        List<SubscriptionOptions> againOptions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SubscriptionOptions o = unsubscribed[i] ? combined(parsed[i]) : null;
            if (o != null) {
                unsubscribed[i] = false;
                again.add(filters[i]);
                againOptions.add(o);
            }
        }
        if (!again.isEmpty()) {
            subscribeAgain(c, again, againOptions.toArray(new SubscriptionOptions[0]));
        }
        return unsubscribed;
    }

    /** Subscribes the filters that got a listener while being unsubscribed again, in one SUBSCRIBE. */
    private void subscribeAgain(MqttClient c, List<String> again, SubscriptionOptions[] o) throws IOException {
        LOG.log(Level.DEBUG, () -> "connection " + connection.name() + ": " + again + " got a listener while being "
                + "unsubscribed; subscribing again");
        String[] againFilters = again.toArray(new String[0]);
        int[] granted = Arrays.stream(o).anyMatch(SubscriptionOptions::needsMqtt5) ? c.subscribe(againFilters, o)
                : c.subscribe(againFilters, Arrays.stream(o).mapToInt(SubscriptionOptions::maxQos).toArray());
        for (int i = 0; i < granted.length; i++) {
            if (granted[i] >= SUBSCRIPTION_FAILURE) {
                String f = again.get(i);
                LOG.log(Level.WARNING, () -> "connection " + connection.name() + ": the broker refused to subscribe '"
                        + f + "' again for the listener that joined while it was being unsubscribed");
            }
        }
    }

    /** Publishes a new route from the pairs as they are now; after every change of them. */
    private void reroute() {
        routes.reroute(pairs);
    }
}
