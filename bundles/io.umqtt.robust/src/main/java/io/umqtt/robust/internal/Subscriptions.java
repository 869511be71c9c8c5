package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.MqttClient;

/**
 * The subscriptions a robust client remembers, and their restore on a new connection: made again
 * when the broker kept no session, pending unsubscribes sent when it did. Each filter is
 * remembered with its {@link SubscriptionOptions} (MQTT 5: no local, retain as published, retain
 * handling, subscription identifier; on MQTT 3.1.1 only the QoS), and restored with them: filters
 * of plain options in one SUBSCRIBE as before, and when any filter has MQTT 5 options, one
 * SUBSCRIBE per subscription identifier (MQTT 5 carries one identifier per SUBSCRIBE packet,
 * 3.8.2.1.2), in the order the identifiers were first asked for. Its monitor
 * ({@code this}) guards the three collections and is a leaf: never held while calling the client
 * or the listener.
 */
public final class Subscriptions {
    private static final System.Logger LOG = System.getLogger(Outbox.LOGGER);

    private final MqttClient client;
    private final ClientPort port;
    private final Reconnector reconnector;
    /** Filter to requested options. */
    private final Map<String, SubscriptionOptions> wanted = new LinkedHashMap<>();
    /** Filters subscribed on the broker in the current session. */
    private final Set<String> confirmed = new LinkedHashSet<>();
    /** Filters to unsubscribe when the session comes back. */
    private final Set<String> unsubscribeLater = new LinkedHashSet<>();

    public Subscriptions(MqttClient client, ClientPort port, Reconnector reconnector) {
        this.client = client;
        this.port = port;
        this.reconnector = reconnector;
    }

    /** A subscription asked for: remembered before it is sent. */
    public synchronized void want(String filter, int qos) {
        want(filter, SubscriptionOptions.qos(qos));
    }

    /** A subscription with options asked for: remembered before it is sent. */
    public synchronized void want(String filter, SubscriptionOptions options) {
        wanted.put(filter, options);
        confirmed.remove(filter);
        unsubscribeLater.remove(filter);
    }

    /** The broker granted it on the current session (unless it was unsubscribed meanwhile). */
    public synchronized void confirmed(String filter) {
        if (wanted.containsKey(filter)) {
            confirmed.add(filter);
        }
    }

    /** The broker refused it: forgotten. */
    public synchronized void refused(String filter) {
        wanted.remove(filter);
    }

    /** An unsubscribe asked for: forgotten, and unsubscribed later if it cannot be sent now. */
    public synchronized void unwant(String filter) {
        wanted.remove(filter);
        confirmed.remove(filter);
        unsubscribeLater.add(filter);
    }

    /** The broker confirmed the unsubscribe. */
    public synchronized void unsubscribed(String filter) {
        unsubscribeLater.remove(filter);
    }

    /** The remembered subscriptions, filter to requested QoS. */
    public synchronized Map<String, Integer> snapshot() {
        Map<String, Integer> qos = new LinkedHashMap<>();
        wanted.forEach((f, o) -> qos.put(f, o.maxQos()));
        return qos;
    }

    /** The remembered subscriptions, filter to requested options. */
    public synchronized Map<String, SubscriptionOptions> options() {
        return new LinkedHashMap<>(wanted);
    }

    /**
     * On a new connection: unsubscribes what waits for it, subscribes what the broker does not
     * have; each in one packet (the simple client splits only what does not fit the maximum packet
     * size). A filter the broker refuses is reported to the listener and stays remembered (tried
     * again on the next connection without a session).
     */
    public void restore(boolean sessionPresent) throws IOException {
        Map<String, SubscriptionOptions> missing;
        List<String> drop;
        synchronized (this) {
            if (!sessionPresent) {
                confirmed.clear();
                unsubscribeLater.clear();
            }
            missing = new LinkedHashMap<>(wanted);
            missing.keySet().removeAll(confirmed);
            drop = new ArrayList<>(unsubscribeLater);
        }
        if (!drop.isEmpty()) {
            port.unsubscribeNow(drop.toArray(new String[0]));
            for (String filter : drop) {
                unsubscribed(filter);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        for (Map<String, SubscriptionOptions> group : packets(missing)) {
            String[] filters = group.keySet().toArray(new String[0]);
            int[] granted = subscribeNow(filters, group.values().toArray(new SubscriptionOptions[0]));
            for (int i = 0; i < filters.length; i++) {
                String filter = filters[i];
                if (!isRefusal(granted[i])) {
                    confirmed(filter);
                    continue;
                }
                MqttException e = refusal(filter, granted[i]);
                LOG.log(Level.ERROR, () -> "MQTT client " + client.clientId() + ": the broker refused to restore the "
                        + "subscription to '" + filter + "': " + e.getMessage());
                reconnector.listener().subscriptionFailed(filter, e);
            }
        }
    }

    /**
     * The SUBSCRIBE packets that restore {@code missing}: all in one when every filter has plain
     * options (as before MQTT 5), else one per subscription identifier (0: none), in the order of
     * their first filter.
     */
    static List<Map<String, SubscriptionOptions>> packets(Map<String, SubscriptionOptions> missing) {
        boolean plain = true;
        for (SubscriptionOptions o : missing.values()) {
            plain &= !o.needsMqtt5();
        }
        if (plain) {
            return List.of(missing);
        }
        Map<Integer, Map<String, SubscriptionOptions>> byId = new LinkedHashMap<>();
        missing.forEach((f, o) -> byId.computeIfAbsent(o.subscriptionIdentifier(), k -> new LinkedHashMap<>())
                .put(f, o));
        return new ArrayList<>(byId.values());
    }

    /** One SUBSCRIBE: with plain options the MQTT 3.1.1 call, else the one with options. */
    private int[] subscribeNow(String[] filters, SubscriptionOptions[] options) throws IOException {
        boolean plain = true;
        int[] qos = new int[filters.length];
        for (int i = 0; i < filters.length; i++) {
            plain &= !options[i].needsMqtt5();
            qos[i] = options[i].maxQos();
        }
        return plain ? port.subscribeNow(filters, qos) : port.subscribeNow(filters, options, null);
    }

    /** Whether a SUBACK code refuses (0x80 on MQTT 3.1.1, a reason code of 0x80 or more on MQTT 5). */
    static boolean isRefusal(int code) {
        return code >= MqttClient.SUBSCRIPTION_FAILURE;
    }

    /** The exception that reports a refused filter, as the single-filter subscribe throws it. */
    private MqttException refusal(String filter, int code) {
        return new MqttException(Reason.SUBSCRIPTION_REFUSED, code, "broker " + client.server() + ":" + client.port()
                + " refused the subscription to '" + filter + "' (SUBACK " + (code == MqttClient.SUBSCRIPTION_FAILURE
                        ? "return code 0x80" : "reason code 0x" + Integer.toHexString(code) + " "
                                + MqttException.reasonCodeName(code)) + ")");
    }

    /**
     * {@code RobustMqttClient.subscribe}: remembers, subscribes, and reconnects on the caller's
     * thread when the caller drives.
     */
    public int subscribe(String filter, int qos) throws IOException {
        return subscribe(filter, SubscriptionOptions.qos(qos));
    }

    /** {@code RobustMqttClient.subscribe(String, SubscriptionOptions)}: as {@link #subscribe(String, int)}. */
    public int subscribe(String filter, SubscriptionOptions options) throws IOException {
        want(filter, options);
        while (true) {
            try {
                int granted = options.needsMqtt5() ? port.subscribeNow(filter, options)
                        : port.subscribeNow(filter, options.maxQos());
                confirmed(filter);
                return granted;
            } catch (MqttException e) {
                if (e.reason() == Reason.SUBSCRIPTION_REFUSED) {
                    refused(filter);
                }
                if (e.reason() != Reason.TIMEOUT || !reconnector.callerDriven() || reconnector.isClosed()) {
                    throw e;
                }
                port.fail(e);
                reconnector.reconnect();
            } catch (IOException e) {
                if (!reconnector.callerDriven() || reconnector.isClosed()) {
                    throw new IOException(e.getMessage() + "; the subscription to '" + filter
                            + "' is remembered and made when the connection is back", e);
                }
                reconnector.reconnect(); // restores the remembered subscription, then we ask again for the granted QoS
            }
        }
    }

    /** {@code RobustMqttClient.unsubscribe}: forgets, unsubscribes now or on the next connect. */
    public void unsubscribe(String filter) throws IOException {
        unwant(filter);
        try {
            port.unsubscribeNow(filter);
            unsubscribed(filter);
        } catch (IOException e) {
            if (reconnector.isClosed() || !reconnector.callerDriven()) {
                throw e;
            }
            reconnector.reconnect(); // unsubscribes on connect when the session survived
        }
    }

    /**
     * {@code RobustMqttClient.subscribe(String[], int[])}: remembers all, subscribes them in one
     * packet, forgets the refused ones, and reconnects on the caller's thread when the caller
     * drives.
     */
    public int[] subscribe(String[] filters, int[] qos) throws IOException {
        SubscriptionOptions[] options = new SubscriptionOptions[filters.length];
        for (int i = 0; i < filters.length; i++) {
            options[i] = SubscriptionOptions.qos(qos[i]);
        }
        return subscribe(filters, options);
    }

    /**
     * {@code RobustMqttClient.subscribe(String[], SubscriptionOptions[])}: as
     * {@link #subscribe(String[], int[])}; the codes are granted QoS or reason codes of 0x80 or more.
     */
    public int[] subscribe(String[] filters, SubscriptionOptions[] options) throws IOException {
        return subscribe(filters, options, null);
    }

    /** As {@link #subscribe(String[], SubscriptionOptions[])}, with MQTT 5 user properties on this SUBSCRIBE (null: none). */
    public int[] subscribe(String[] filters, SubscriptionOptions[] options, List<UserProperty> userProperties)
            throws IOException {
        for (int i = 0; i < filters.length; i++) {
            want(filters[i], options[i]);
        }
        while (true) {
            try {
                int[] granted = userProperties == null || userProperties.isEmpty() ? subscribeNow(filters, options)
                        : port.subscribeNow(filters, options, userProperties);
                for (int i = 0; i < filters.length; i++) {
                    if (isRefusal(granted[i])) {
                        refused(filters[i]);
                    } else {
                        confirmed(filters[i]);
                    }
                }
                return granted;
            } catch (MqttException e) {
                if (e.reason() != Reason.TIMEOUT || !reconnector.callerDriven() || reconnector.isClosed()) {
                    throw e;
                }
                port.fail(e);
                reconnector.reconnect();
            } catch (IOException e) {
                if (!reconnector.callerDriven() || reconnector.isClosed()) {
                    throw new IOException(e.getMessage() + "; the subscriptions to " + filters.length
                            + " filters are remembered and made when the connection is back", e);
                }
                reconnector.reconnect(); // restores them, then we ask again for the granted QoS
            }
        }
    }

    /**
     * {@code RobustMqttClient.unsubscribeWithCodes}: forgets all, unsubscribes now and returns the
     * UNSUBACK codes; when that fails and the caller drives, reconnects (which sends the pending
     * unsubscribes in a kept session) and asks again.
     */
    public int[] unsubscribeWithCodes(String[] filters, List<UserProperty> userProperties) throws IOException {
        for (String filter : filters) {
            unwant(filter);
        }
        while (true) {
            try {
                int[] codes = port.unsubscribeWithCodesNow(filters, userProperties);
                for (String filter : filters) {
                    unsubscribed(filter);
                }
                return codes;
            } catch (MqttException e) {
                if (e.reason() != Reason.TIMEOUT || reconnector.isClosed() || !reconnector.callerDriven()) {
                    throw e;
                }
                port.fail(e);
                reconnector.reconnect();
            } catch (IOException e) {
                if (reconnector.isClosed() || !reconnector.callerDriven()) {
                    throw new IOException(e.getMessage() + "; the unsubscribe of " + filters.length
                            + " filter(s) is remembered and sent when the connection is back", e);
                }
                reconnector.reconnect();
            }
        }
    }

    /** {@code RobustMqttClient.unsubscribe(String[])}: forgets all, unsubscribes now or on the next connect. */
    public void unsubscribe(String[] filters) throws IOException {
        for (String filter : filters) {
            unwant(filter);
        }
        try {
            port.unsubscribeNow(filters);
            for (String filter : filters) {
                unsubscribed(filter);
            }
        } catch (IOException e) {
            if (reconnector.isClosed() || !reconnector.callerDriven()) {
                throw e;
            }
            reconnector.reconnect(); // unsubscribes on connect when the session survived
        }
    }
}
