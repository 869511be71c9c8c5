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
import io.umqtt.simple.MqttClient;

/**
 * The subscriptions a robust client remembers, and their restore on a new connection: made again
 * when the broker kept no session, pending unsubscribes sent when it did. Its monitor
 * ({@code this}) guards the three collections and is a leaf: never held while calling the client
 * or the listener.
 */
public final class Subscriptions {
    private static final System.Logger LOG = System.getLogger(Outbox.LOGGER);

    private final MqttClient client;
    private final ClientPort port;
    private final Reconnector reconnector;
    /** Filter to requested QoS. */
    private final Map<String, Integer> wanted = new LinkedHashMap<>();
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
        wanted.put(filter, qos);
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
        return new LinkedHashMap<>(wanted);
    }

    /**
     * On a new connection: unsubscribes what waits for it, subscribes what the broker does not
     * have; each in one packet (the simple client splits only what does not fit the maximum packet
     * size). A filter the broker refuses is reported to the listener and stays remembered (tried
     * again on the next connection without a session).
     */
    public void restore(boolean sessionPresent) throws IOException {
        Map<String, Integer> missing;
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
        String[] filters = missing.keySet().toArray(new String[0]);
        int[] qos = new int[filters.length];
        for (int i = 0; i < filters.length; i++) {
            qos[i] = missing.get(filters[i]);
        }
        int[] granted = port.subscribeNow(filters, qos);
        for (int i = 0; i < filters.length; i++) {
            String filter = filters[i];
            if (granted[i] != MqttClient.SUBSCRIPTION_FAILURE) {
                confirmed(filter);
                continue;
            }
            MqttException e = refusal(filter);
            LOG.log(Level.ERROR, () -> "MQTT client " + client.clientId() + ": the broker refused to restore the "
                    + "subscription to '" + filter + "': " + e.getMessage());
            reconnector.listener().subscriptionFailed(filter, e);
        }
    }

    /** The exception that reports a refused filter, as the single-filter subscribe throws it. */
    private MqttException refusal(String filter) {
        return new MqttException(Reason.SUBSCRIPTION_REFUSED, MqttClient.SUBSCRIPTION_FAILURE, "broker "
                + client.server() + ":" + client.port() + " refused the subscription to '" + filter
                + "' (SUBACK return code 0x80)");
    }

    /**
     * {@code RobustMqttClient.subscribe}: remembers, subscribes, and reconnects on the caller's
     * thread when the caller drives.
     */
    public int subscribe(String filter, int qos) throws IOException {
        want(filter, qos);
        while (true) {
            try {
                int granted = port.subscribeNow(filter, qos);
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
        for (int i = 0; i < filters.length; i++) {
            want(filters[i], qos[i]);
        }
        while (true) {
            try {
                int[] granted = port.subscribeNow(filters, qos);
                for (int i = 0; i < filters.length; i++) {
                    if (granted[i] == MqttClient.SUBSCRIPTION_FAILURE) {
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
