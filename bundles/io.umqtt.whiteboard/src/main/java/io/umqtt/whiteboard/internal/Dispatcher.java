package io.umqtt.whiteboard.internal;

import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import io.umqtt.api.MatchingListener;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.TopicFilter;

/**
 * The dispatching half of the whiteboard's side of one connection: the connection's index of
 * the whiteboard's filters (a {@link TopicTrie} of {@link FilterEntry}s) and the one
 * {@link MessageListener} the whiteboard subscribes under all of them.
 * <p>
 * It is a {@link MatchingListener}: a umqtt connection (API 1.3 on) does not match the
 * whiteboard's filters itself but hands every message to {@link #route}, which matches it in
 * the index, once; a message that matches no filter here is not the whiteboard's (another
 * listener's on the same connection) and is left to the connection, uncounted. A connection that
 * does not know the type calls {@link #messageArrived} with the messages that matched one of the
 * whiteboard's filters there, and the index matches them again (that connection's matching is
 * out of the whiteboard's hands).
 * <p>
 * Both run on the connection's I/O thread and never block: they look the topic up in the index,
 * collect each matching handler once ({@link Targets}) and queue the message for each
 * ({@link HandlerQueue}); the first handler gets the message, every further one its own copy. A
 * retained message that goes to nobody because every handler of it had it is counted as
 * withheld; one whose filters have no handler as unmatched.
 * <p>
 * A message whose topic is not a valid MQTT topic name (wildcards, U+0000, ill-formed UTF-8,
 * empty) goes to no handler: it is counted as unmatched and logged at WARNING (at the counts 1,
 * 2, 4, ...). The umqtt clients close the connection on such a PUBLISH and never deliver it; this
 * guards against a connection of another implementation. The trie compares topic bytes
 * literally, so a {@code +} or {@code #} in a topic could never act as a wildcard anyway.
 *
 * <h2>Threading</h2>
 * The index is written by the {@link ConnectionRoute} under the whiteboard's lock and read here
 * without it; the counters are atomic; {@link #stop()} may be called from any thread. The
 * connection calls the listener one message at a time.
 */
final class Dispatcher implements MatchingListener {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());

    /** Names the connection in log messages. */
    private final Supplier<String> describe;
    /** Entries by filter; written under the whiteboard's lock, read lock-free by the I/O thread. */
    final TopicTrie<FilterEntry> index = new TopicTrie<>();
    /** False once the service is gone or the whiteboard closed. */
    private volatile boolean dispatching = true;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong unmatched = new AtomicLong();
    private final AtomicLong late = new AtomicLong();
    /** Messages with an invalid topic name, dispatched to nobody (also counted in {@link #unmatched}). */
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicLong withheld = new AtomicLong();
    /** The look-up key of the retained-message bookkeeping; used by the I/O thread only, one message at a time. */
    private final RetainedTopics.Key probe = RetainedTopics.Key.probe();

    Dispatcher(Supplier<String> describe) {
        this.describe = describe;
    }

    /** No message is dispatched any more (counted as late instead). */
    void stop() {
        dispatching = false;
    }

    long received() {
        return received.get();
    }

    long unmatched() {
        return unmatched.get();
    }

    long withheld() {
        return withheld.get();
    }

    @Override
    public void messageArrived(MqttMessage message) {
        if (!dispatching) {
            late(message);
            return;
        }
        received.incrementAndGet();
        if (!validTopic(message)) {
            return;
        }
        Targets targets = new Targets(message, false, probe);
        index.match(message.topic(), targets);
        dispatch(message, targets);
    }

    /**
     * Matches the message in the index once and dispatches it when it is the whiteboard's: when
     * one of the matching filters was subscribed at the connection (the gate, see {@link Targets});
     * false, with nothing counted or changed, when it is not.
     */
    @Override
    public boolean route(MqttMessage message) {
        if (!dispatching || !isValidTopic(message.topic())) {
            // rare: whether it is ours, asked without the side effects of a dispatch
            boolean[] ours = {false};
            index.match(message.topic(), e -> ours[0] |= e.listening);
            if (!ours[0]) {
                return false;
            }
            messageArrived(message);
            return true;
        }
        Targets targets = new Targets(message, true, probe);
        index.match(message.topic(), targets);
        if (!targets.isOpen()) {
            return false;
        }
        received.incrementAndGet();
        dispatch(message, targets);
        return true;
    }

    private static boolean isValidTopic(byte[] topic) {
        try {
            TopicFilter.validateTopicName(topic); // allocates nothing for a valid topic
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void late(MqttMessage message) {
        long n = late.incrementAndGet();
        if (Long.bitCount(n) == 1) {
            LOG.log(Level.INFO, () -> describe.get() + ": " + message + " arrived after the whiteboard let go of the "
                    + "connection and was not dispatched (" + n + " so far; logged at the counts 1, 2, 4, ...)");
        }
    }

    /** Whether the topic is a valid topic name; counts and logs it when not. */
    private boolean validTopic(MqttMessage message) {
        try {
            TopicFilter.validateTopicName(message.topic()); // allocates nothing for a valid topic
            return true;
        } catch (IllegalArgumentException e) {
            unmatched.incrementAndGet();
            long n = invalid.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.log(Level.WARNING, () -> describe.get() + " delivered a message whose topic is not a valid MQTT "
                        + "topic name (" + e.getMessage() + "); it was dispatched to no handler (" + n + " so far; "
                        + "logged at the counts 1, 2, 4, ...)");
            }
            return false;
        }
    }

    /** Queues the message for the handlers the index collected. */
    private void dispatch(MqttMessage message, Targets targets) {
        if (message.retain()) {
            targets.resolveRetained();
        }
        if (targets.count == 0) {
            if (targets.attached > 0) {
                withheld.incrementAndGet(); // retained, and every handler of it had it
                LOG.log(Level.DEBUG, () -> describe.get() + ": every handler had the retained " + message);
            } else {
                unmatched.incrementAndGet();
                LOG.log(Level.DEBUG, () -> describe.get() + ": no handler for " + message);
            }
            return;
        }
        for (int i = 0; i < targets.count; i++) {
            targets.handlers[i].offer(i == 0 ? message : message.copy());
        }
    }

    @Override
    public String toString() {
        return "whiteboard listener of " + describe.get();
    }
}
