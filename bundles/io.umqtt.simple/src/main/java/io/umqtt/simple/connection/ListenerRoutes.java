package io.umqtt.simple.connection;

import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.umqtt.api.MatchingListener;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.MqttClient;

/**
 * The message routing of one {@link ClientConnection}: what delivery walks, derived from the
 * connection's subscriptions after every change ({@link #reroute}), the delivery of a received
 * message to its listeners ({@link #deliver}), and the counters of unmatched messages and listener
 * failures.
 * <p>
 * Threading: {@link #reroute} is serialised under a lock and publishes a new immutable array;
 * {@link #deliver} runs on the client's reader thread and reads that array without a lock.
 */
final class ListenerRoutes {
    // the connection's logger: log lines read as before
    private static final System.Logger LOG = System.getLogger(ClientConnection.class.getName());

    private final ClientConnection connection;
    /**
     * What {@link #deliver} walks, in subscription order: every subscription of a listener matched
     * here, and the first subscription of each {@link MatchingListener}.
     */
    private volatile Subscription[] route = new Subscription[0];
    /** Serialises {@link #reroute}, so the last array published reflects the last change. */
    private final Object lock = new Object();
    private final AtomicLong unmatched = new AtomicLong();
    private final AtomicLong listenerFailures = new AtomicLong();

    ListenerRoutes(ClientConnection connection) {
        this.connection = connection;
    }

    /** Messages that no listener took. */
    long unmatched() {
        return unmatched.get();
    }

    /** Listener calls that threw. */
    long listenerFailures() {
        return listenerFailures.get();
    }

    /**
     * Publishes a new {@link #route} from the subscriptions as they are now. Called after every
     * change of the subscriptions; serialised, so that the array published last was made
     * after the last change.
     */
    void reroute(List<Subscription> subscriptions) {
        synchronized (lock) {
            Subscription[] all = subscriptions.toArray(new Subscription[0]);
            Subscription[] walk = new Subscription[all.length];
            MessageListener[] routed = new MessageListener[all.length];
            int n = 0;
            int r = 0;
            for (Subscription s : all) {
                if (!s.matching) {
                    walk[n++] = s;
                } else if (!contains(routed, r, s.listener)) { // a matching listener is offered each message once
                    routed[r++] = s.listener;
                    walk[n++] = s;
                }
            }
            route = Arrays.copyOf(walk, n);
        }
    }

    /**
     * The client's callback: runs on the reader thread. Walks {@link #route} once: a listener
     * matched here is called when one of its filters matches (once, however many do); a
     * {@link MatchingListener} is offered the message and matches it itself. The first listener
     * that takes the message gets it, every further one a copy; a message a matching listener
     * declines is handed on as it is. Allocates nothing beyond the message while no listener
     * matched here takes it.
     * <p>
     * When {@code receiver} acknowledges after processing ({@code ack.after.processing}), the
     * message carries it, so that listeners can {@linkplain ReceivedMessage#holdAck() hold} the
     * ack; a listener that throws on a QoS 1 message then fails the delivery after all listeners
     * had it: the client closes the connection without the ack (the broker redelivers).
     */
    void deliver(MqttClient receiver, byte[] topic, byte[] payload, boolean retain, boolean dup, int qos,
            MqttProperties properties) {
        boolean afterProcessing = receiver != null && receiver.ackAfterProcessing();
        ReceivedMessage message = new ReceivedMessage(topic, payload, qos, retain, dup, connection,
                afterProcessing ? receiver : null, properties);
        // with the ack waiting for processing: the first exception a listener threw on a QoS 1 message
        Throwable[] threw = afterProcessing && qos > 0 ? new Throwable[1] : null;
        ReceivedMessage unused = message; // not handed to any listener yet, or declined
        MessageListener[] called = null; // listeners matched here that had it
        int calledCount = 0;
        int taken = 0;
        for (Subscription s : route) {
            if (s.matching) {
                ReceivedMessage m = unused != null ? unused : message.copy();
                boolean took = offer((MatchingListener) s.listener, m, threw);
                unused = took ? null : m;
                taken += took ? 1 : 0;
            } else if (s.filter.matches(topic) && !contains(called, calledCount, s.listener)) {
                if (called == null) {
                    called = new MessageListener[2];
                } else if (calledCount == called.length) {
                    called = Arrays.copyOf(called, calledCount * 2);
                }
                called[calledCount++] = s.listener;
                ReceivedMessage m = unused != null ? unused : message.copy();
                unused = null;
                taken++;
                call(s.listener, m, threw);
            }
        }
        String name = connection.name();
        if (taken == 0) {
            unmatched.incrementAndGet();
            LOG.log(Level.DEBUG, () -> "connection " + name + ": no listener for " + message);
        }
        if (threw != null && threw[0] != null) {
            // the client closes the connection without the ack, naming this as the cause
            throw new IllegalStateException("connection " + name + ": a listener failed to process " + message, threw[0]);
        }
    }

    private void call(MessageListener listener, ReceivedMessage m, Throwable[] threw) {
        try {
            listener.messageArrived(m);
        } catch (Exception | LinkageError e) {
            failed(listener, m, e, threw);
        }
    }

    /** Whether the listener took the message; one that threw did. */
    private boolean offer(MatchingListener listener, ReceivedMessage m, Throwable[] threw) {
        try {
            return listener.route(m);
        } catch (Exception | LinkageError e) {
            failed(listener, m, e, threw);
            return true;
        }
    }

    /** Counts and logs a listener's failure; records it in {@code threw} (when given) for the ack. */
    private void failed(MessageListener listener, ReceivedMessage m, Throwable e, Throwable[] threw) {
        listenerFailures.incrementAndGet();
        String name = connection.name();
        if (threw != null) {
            if (threw[0] == null) {
                threw[0] = e;
            }
            LOG.log(Level.WARNING, "connection " + name + ": listener " + listener + " threw on " + m
                    + "; the other listeners get it, then the connection is closed without acknowledging it "
                    + "(ack.after.processing), so that the broker redelivers it", e);
            return;
        }
        LOG.log(Level.WARNING, "connection " + name + ": listener " + listener + " threw on " + m
                + "; the other listeners and the connection go on", e);
    }

    private static boolean contains(MessageListener[] list, int count, MessageListener listener) {
        for (int i = 0; i < count; i++) {
            if (list[i] == listener) {
                return true;
            }
        }
        return false;
    }

    /** One (filter, listener) pair of a connection. Immutable. */
    static final class Subscription {
        final TopicFilter filter;
        final MessageListener listener;
        final int qos;
        /** The QoS and MQTT 5 subscription options the listener asked for. */
        final SubscriptionOptions options;
        /** The listener matches topics itself. */
        final boolean matching;

        Subscription(TopicFilter filter, MessageListener listener, SubscriptionOptions options) {
            this.filter = filter;
            this.listener = listener;
            this.qos = options.maxQos();
            this.options = options;
            this.matching = listener instanceof MatchingListener;
        }
    }
}
