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

    /** On a new connection: unsubscribes what waits for it, subscribes what the broker does not have. */
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
        for (String filter : drop) {
            port.unsubscribeNow(filter);
            unsubscribed(filter);
        }
        for (Map.Entry<String, Integer> s : missing.entrySet()) {
            try {
                port.subscribeNow(s.getKey(), s.getValue());
                confirmed(s.getKey());
            } catch (MqttException e) {
                if (e.reason() != Reason.SUBSCRIPTION_REFUSED) {
                    throw e;
                }
                LOG.log(Level.ERROR, () -> "MQTT client " + client.clientId() + ": the broker refused to restore the "
                        + "subscription to '" + s.getKey() + "': " + e.getMessage());
                reconnector.listener().subscriptionFailed(s.getKey(), e);
            }
        }
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
}
