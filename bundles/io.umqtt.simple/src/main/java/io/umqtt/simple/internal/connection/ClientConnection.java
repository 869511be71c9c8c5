package io.umqtt.simple.internal.connection;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.MqttClient;

/**
 * The {@link MqttConnection} service of one {@link MqttClient}: publishing and subscribing
 * delegate to the client; received messages go to every listener whose filter matches.
 * <p>
 * The robust component extends it (it is not final for that reason): it reports its own
 * {@link #state()} and keeps the listener of a subscription its client remembers although the
 * broker has not granted it yet ({@link #keepsSubscription(String)}). The listener list does not
 * depend on the connection: it survives reconnects.
 *
 * <h2>Threading</h2>
 * Any thread may call every method. The subscription list is copy-on-write: the client's reader
 * thread walks a snapshot while other threads subscribe and unsubscribe. Listeners run on the
 * reader thread, one after the other, in subscription order.
 */
public class ClientConnection implements MqttConnection {
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());

    private final String name;
    private final MqttClient client;
    /** (filter, listener) pairs in subscription order; copy-on-write, so no lock. */
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicLong unmatched = new AtomicLong();
    private final AtomicLong listenerFailures = new AtomicLong();

    /** Wraps {@code client} and becomes its message callback. */
    public ClientConnection(String name, MqttClient client) {
        this.name = Objects.requireNonNull(name, "name");
        this.client = Objects.requireNonNull(client, "client");
        client.setCallback(this::deliver);
    }

    /** The wrapped client. */
    public MqttClient client() {
        return client;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ConnectionState state() {
        return client.state();
    }

    @Override
    public void publish(byte[] topic, byte[] payload, int qos, boolean retain) throws IOException {
        client.publish(topic, payload, retain, qos);
    }

    /**
     * Records the listener, then subscribes. The listener is recorded first because the broker
     * sends retained messages right after the SUBACK, possibly before this call returns; it is
     * dropped again when the subscription fails, unless {@link #keepsSubscription(String)} says
     * the client still makes it. The same listener given twice for the same filter is recorded
     * once.
     */
    @Override
    public int subscribe(String filter, int qos, MessageListener listener) throws IOException {
        TopicFilter parsed = TopicFilter.parse(filter);
        if (listener == null) {
            throw new IllegalArgumentException("listener must not be null");
        }
        Subscription s = new Subscription(parsed, listener);
        boolean added = subscriptions.stream().noneMatch(o -> o.filter.equals(parsed) && o.listener == listener)
                && subscriptions.add(s);
        boolean done = false;
        try {
            int granted = client.subscribe(filter, qos);
            done = true;
            return granted;
        } finally {
            if (!done && added && !keepsSubscription(filter)) {
                subscriptions.remove(s);
            }
        }
    }

    /**
     * Whether the client still makes the subscription to {@code filter} after its
     * {@code subscribe} threw, so that its listener must stay (a client that subscribes once
     * connected). This class: never.
     */
    protected boolean keepsSubscription(String filter) {
        return false;
    }

    /** Drops every listener of {@code filter} (no more messages reach them), then unsubscribes. */
    @Override
    public void unsubscribe(String filter) throws IOException {
        TopicFilter parsed = TopicFilter.parse(filter);
        subscriptions.removeIf(s -> s.filter.equals(parsed));
        client.unsubscribe(filter);
    }

    /** Messages that matched no listener (for example after an unsubscribe crossed them). */
    public long unmatchedMessages() {
        return unmatched.get();
    }

    /** Listener calls that threw. */
    public long listenerFailures() {
        return listenerFailures.get();
    }

    /** The client's callback: runs on the reader thread. */
    void deliver(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos) {
        ReceivedMessage message = new ReceivedMessage(topic, payload, qos, retain, dup, this);
        List<MessageListener> targets = new ArrayList<>(2);
        for (Subscription s : subscriptions) {
            if (s.filter.matches(topic) && !containsSame(targets, s.listener)) {
                targets.add(s.listener);
            }
        }
        if (targets.isEmpty()) {
            unmatched.incrementAndGet();
            LOG.log(Level.DEBUG, () -> "connection " + name + ": no listener for " + message);
            return;
        }
        for (int i = 0; i < targets.size(); i++) {
            MessageListener listener = targets.get(i);
            ReceivedMessage m = i == 0 ? message : message.copy();
            try {
                listener.messageArrived(m);
            } catch (Exception | LinkageError e) {
                listenerFailures.incrementAndGet();
                LOG.log(Level.WARNING, "connection " + name + ": listener " + listener + " threw on " + m
                        + "; the other listeners and the connection go on", e);
            }
        }
    }

    private static boolean containsSame(List<MessageListener> list, MessageListener listener) {
        for (MessageListener l : list) {
            if (l == listener) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "MqttConnection[" + name + ", " + client + "]";
    }

    private static final class Subscription {
        final TopicFilter filter;
        final MessageListener listener;

        Subscription(TopicFilter filter, MessageListener listener) {
            this.filter = filter;
            this.listener = listener;
        }
    }
}
