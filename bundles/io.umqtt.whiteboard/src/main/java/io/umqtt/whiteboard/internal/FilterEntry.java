package io.umqtt.whiteboard.internal;

import java.util.Arrays;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.whiteboard.SubscriptionDTO;

/**
 * One topic filter on one connection: the handlers that want it (the reference count), what the
 * broker knows of it, and which handlers still wait for its retained messages.
 *
 * <h2>Retained messages</h2>
 * Every SUBSCRIBE of the filter gets a number, its generation, counted from 1 for the entry.
 * Each handler is attached with the generation that serves it: the first SUBSCRIBE sent after
 * it attached (or after the connection was lost or came back). A broker answers every
 * SUBSCRIBE, also a repeated one, with the filter's retained messages (RETAIN=1; MQTT 3.1.1
 * sections 3.3.1.3 and 3.8.4), so a handler that joins a filter subscribed already makes the
 * reconciler send the SUBSCRIBE again ({@link #awaitsRetained()}); all handlers that joined
 * meanwhile share it.
 * <p>
 * An attachment is <em>open</em> from the moment the SUBSCRIBE of its generation is sent until
 * that generation is <em>closed</em>, that is, known to have brought all its retained
 * messages; before it is sent the attachment is <em>waiting</em>, afterwards <em>served</em>.
 * A retained message goes to a handler when one of its attachments to the matching filters is
 * open and none of them has had the topic yet (each attachment remembers the topics of the
 * retained messages its handler had while it was open or waiting, {@link Attachment#had}); no
 * other handler gets it. Remembering the topics, rather than guessing which SUBSCRIBE a
 * retained message answers (the packet does not say), covers the retained messages of an
 * earlier SUBSCRIBE still arriving after the next one was sent, and those that a SUBSCRIBE of
 * another, overlapping filter brings. A generation closes when
 * <ul>
 * <li>a live message (RETAIN=0) of the filter arrives after the generation's SUBACK was
 * recorded, at a QoS no lower than the SUBSCRIBE's: the broker queued it behind all of that
 * SUBSCRIBE's retained messages (a QoS 0 message may overtake QoS 1 messages the broker holds
 * back for its in-flight window, so it closes only generations subscribed at QoS 0); see
 * {@link #liveArrived};</li>
 * <li>the connection is lost or comes back ({@link #restartRetained()}): every handler then
 * waits for the SUBSCRIBE that restores the filter, and gets the retained messages again;</li>
 * <li>with Retain As Published, its SUBACK is recorded (below).</li>
 * </ul>
 * The topics are forgotten when the generation closes (not with Retain As Published, below);
 * until then they are bounded by the handlers times the retained messages of the filters.
 * <p>
 * <b>The SUBACK is recorded late.</b> The reconcile task records it when the SUBSCRIBE call
 * returns ({@link #answered}, written at once, without the whiteboard's lock), but the I/O thread
 * may hand over messages that came after the SUBACK before that: the SUBACK's place in the
 * message stream is not visible to a listener (the connection API reports no SUBACK on the I/O
 * thread). A live message in that gap cannot close anything, as it may as well have come before
 * the SUBACK, when the SUBSCRIBE's retained messages were all still to come. Instead (without
 * Retain As Published; with it, see below), every live message arriving while a SUBSCRIBE of the
 * filter is on its way is remembered by the open attachments, topic and payload
 * ({@link Candidates#liveInFlight}): a retained message with the same topic and payload is then a
 * copy of it and is not handed to them again, while one with another payload (the retained
 * message the SUBSCRIBE owes them) still is. The window closes at the first live message after
 * the record, as above; until then the open attachments get no copy of what they had. This
 * costs nothing while no SUBSCRIBE of the filter is on its way, and allocates only for a topic
 * not remembered yet.
 * <p>
 * <b>Retain As Published</b> (MQTT 5, the filter's last SUBSCRIBE asked it,
 * {@link #retainAsPublished}): the broker forwards a live message published with RETAIN=1 with
 * RETAIN=1, so a message with RETAIN=1 may be live, and the packet does not tell; on a filter of
 * state topics every message may be such. The rules there:
 * <ul>
 * <li>A generation closes as soon as its SUBACK is recorded (and the I/O thread sees that with
 * the next message), not only at a live RETAIN=0 message, which may never come.</li>
 * <li>An open attachment remembers the payload it had last of each topic (a 64-bit fingerprint
 * and the length, {@link RetainedTopics}) and takes a RETAIN=1 message unless it had its topic
 * with that very payload: a new value is never withheld, a SUBSCRIBE's copy of one it had is.</li>
 * <li>A served attachment takes every RETAIN=1 message, except a copy a later SUBSCRIBE of the
 * filter (another handler joining, new options) sends of the value it had last: it keeps what
 * it had of each topic for as long as it is attached, with the number of the filter's last
 * SUBSCRIBE sent then; a message with that payload after a later SUBSCRIBE was sent is such a
 * copy, once; the next one with the same payload is taken again.</li>
 * </ul>
 * What this guarantees, given a broker that sends a client's messages in order (as above): no
 * handler misses a message that is new to it, and a handler gets no SUBSCRIBE's copy of a
 * retained message it had, with these exceptions: a copy that a SUBSCRIBE of another,
 * overlapping filter brings reaches the served handlers again; a message republished with the
 * very payload a handler has, arriving between a SUBSCRIBE of the filter being sent and that
 * SUBSCRIBE's copy (for the handler the SUBSCRIBE is for: until its SUBACK is recorded), is
 * taken for the copy, so the handler gets one of the two (none when the SUBSCRIBE fails and sends
 * no copy); a handler asking Retain Handling 2 takes no RETAIN=1 message while its attachment
 * is open (from its SUBSCRIBE sent until its SUBACK is recorded), as it may be one of the
 * retained messages it asked not to get; two different payloads with equal fingerprints and
 * lengths count as equal. Memory: a served attachment of such a filter keeps one fingerprint per
 * topic it had with RETAIN=1.
 *
 * <h2>Threading</h2>
 * The fields without a note are guarded by the whiteboard's lock. {@link #attachments} and the
 * generation counters are written under that lock ({@link #answered} also by the reconcile task
 * without it, one task per connection at a time) and read by the connection's I/O thread
 * without it; the remembered topics and {@link #closedByTraffic} are confined to the I/O thread
 * (the connection calls its listener one message at a time).
 */
final class FilterEntry {
    /** Where the filter stands with the broker. */
    enum State {
        /** Not subscribed (yet, or any more), or unknown after the connection was lost. */
        NONE,
        SUBSCRIBING,
        SUBSCRIBED,
        REFUSED,
        FAILED,
        UNSUBSCRIBING
    }

    /** A handler attached to the filter; replaced when its QoS or generation changes. */
    static final class Attachment {
        final HandlerQueue queue;
        /** The QoS the handler asks for. */
        final int qos;
        /** The QoS and MQTT 5 subscription options the handler asks for. */
        final SubscriptionOptions options;
        /** The SUBSCRIBE whose retained messages the handler gets (see the class comment). */
        final int generation;
        /** What the handler had of this generation's retained messages; kept when only the QoS changes. */
        final RetainedTopics had;

        Attachment(HandlerQueue queue, SubscriptionOptions options, int generation, RetainedTopics had) {
            this.queue = queue;
            this.qos = options.maxQos();
            this.options = options;
            this.generation = generation;
            this.had = had;
        }
    }

    private static final Attachment[] NO_ATTACHMENTS = new Attachment[0];

    final TopicFilter filter;
    /** The levels of the filter without a {@code $share/group/} prefix. */
    private final String[] levels;
    /** A shared subscription ({@code $share/group/filter}): its handlers take turns (see {@link #nextTurn}). */
    final boolean shared;

    /**
     * The handlers, in attach order, which is also ascending {@link Attachment#generation}
     * order (a new handler gets the next generation, a restart gives all the same); copy on
     * write, read by the I/O thread.
     */
    volatile Attachment[] attachments = NO_ATTACHMENTS;

    State state = State.NONE;
    /** The QoS of the last SUBSCRIBE, or -1; read by the I/O thread. */
    volatile int requestedQos = -1;
    /**
     * The MQTT 5 option bits (No Local, Retain As Published, Retain Handling: the options byte
     * without the QoS) of the last SUBSCRIBE, or -1 before the first.
     */
    int requestedFlags = -1;
    /**
     * The last SUBSCRIBE asked Retain As Published: the broker forwards live messages with the
     * RETAIN flag as published, so a message with RETAIN=1 may be live ({@link #retainedArrived});
     * read by the I/O thread.
     */
    volatile boolean retainAsPublished;
    /** The combination of differing handler options last logged, so that it is logged once. */
    String loggedCombination;
    /** The QoS of the last successful SUBACK while the connection is up, or -1. */
    int grantedQos = -1;
    /** Why the last SUBSCRIBE or UNSUBSCRIBE failed, or null. */
    String failure;
    /** A SUBSCRIBE may be in effect on the broker: one was sent and no UNSUBSCRIBE succeeded since. */
    boolean onBroker;
    /**
     * The whiteboard's listener is subscribed under this filter at the connection, as far as the
     * whiteboard can tell: from the moment its SUBSCRIBE is sent until the broker refuses it or an
     * UNSUBSCRIBE starts (the connection keeps a listener across reconnects, and the robust one
     * also through a failed SUBSCRIBE); read by the I/O thread, where it decides whether a
     * message is the whiteboard's at all.
     */
    volatile boolean listening;
    /** A SUBSCRIBE or UNSUBSCRIBE is on its way. */
    boolean inFlight;
    /** Subscribe again even when {@link State#SUBSCRIBED}: the connection came back. */
    boolean resubscribe;
    /**
     * Subscribe at QoS 1 although no handler of this filter asks for it, because it overlaps a
     * filter that one does (the QoS rule of the reference counts); kept while the entry lives.
     */
    boolean raised;

    /** The generation of the last SUBSCRIBE sent, 0 before the first; read by the I/O thread. */
    volatile int sent;
    /** The generation of the last SUBSCRIBE whose SUBACK (or failure) came back; read by the I/O thread. */
    volatile int answered;
    /** Generations up to this one are closed because the connection was lost or came back; read by the I/O thread. */
    volatile int reset;

    /**
     * Generations up to this one are closed by live messages, or under Retain As Published by
     * their SUBACK; I/O thread only.
     */
    private int closedByTraffic;
    /** The attachment whose turn it is for the next message of a shared subscription; I/O thread only. */
    private int turn;

    FilterEntry(TopicFilter filter) {
        this.filter = filter;
        this.levels = levels(filter);
        this.shared = filter.shareGroup() != null;
    }

    /** The levels of {@code filter} without a {@code $share/group/} prefix. */
    static String[] levels(TopicFilter filter) {
        return filter.filter().split("/", -1);
    }

    // ------------------------------------------------------------------ handlers (under the lock)

    /**
     * Attaches a handler; a handler already attached keeps its generation (it had the retained
     * messages, or waits for them already) and only changes its QoS.
     */
    void add(HandlerQueue handler, SubscriptionOptions options) {
        Attachment[] a = attachments;
        for (int i = 0; i < a.length; i++) {
            if (a[i].queue == handler) {
                if (!a[i].options.equals(options)) {
                    Attachment[] copy = a.clone();
                    copy[i] = new Attachment(handler, options, a[i].generation, a[i].had);
                    attachments = copy;
                }
                return;
            }
        }
        Attachment[] copy = Arrays.copyOf(a, a.length + 1);
        copy[a.length] = new Attachment(handler, options, sent + 1, new RetainedTopics());
        attachments = copy;
    }

    void remove(HandlerQueue handler) {
        Attachment[] a = attachments;
        for (int i = 0; i < a.length; i++) {
            if (a[i].queue == handler) {
                if (a.length == 1) {
                    attachments = NO_ATTACHMENTS;
                } else {
                    Attachment[] copy = new Attachment[a.length - 1];
                    System.arraycopy(a, 0, copy, 0, i);
                    System.arraycopy(a, i + 1, copy, i, a.length - i - 1);
                    attachments = copy;
                }
                return;
            }
        }
    }

    void removeAll() {
        attachments = NO_ATTACHMENTS;
    }

    boolean isWanted() {
        return attachments.length > 0;
    }

    /** Some handler waits for a SUBSCRIBE not sent yet to bring it the retained messages. */
    boolean awaitsRetained() {
        Attachment[] a = attachments;
        return a.length > 0 && a[a.length - 1].generation > sent; // ascending: the last is the highest
    }

    /**
     * The connection was lost or came back: every generation sent so far is closed, and every
     * handler waits for the next SUBSCRIBE, the one that restores the filter.
     */
    void restartRetained() {
        int s = sent;
        reset = s;
        Attachment[] a = attachments;
        if (a.length > 0) {
            // new attachments, also for those waiting already: what they remember is forgotten
            Attachment[] copy = new Attachment[a.length];
            for (int i = 0; i < a.length; i++) {
                copy[i] = new Attachment(a[i].queue, a[i].options, s + 1, new RetainedTopics());
            }
            attachments = copy;
        }
    }

    /** Numbers the SUBSCRIBE about to be sent; from now on its retained messages may come. */
    int nextGeneration() {
        int g = sent + 1;
        sent = g;
        return g;
    }

    // ------------------------------------------------------------------ dispatch (I/O thread)

    /**
     * A live message (RETAIN=0) of this filter arrived at {@code qos}: when the SUBACK of a
     * generation was recorded before it came and it came at least at the QoS subscribed, the
     * broker sent it after all of that generation's retained messages, so the generations
     * answered so far close. While a SUBSCRIBE is on its way (sent, its SUBACK not recorded), the
     * message may have come after the SUBACK or before: it closes nothing, but the open
     * attachments remember it ({@link Candidates#liveInFlight}), so that the SUBSCRIBE's retained
     * copy of it is not handed to them again (not under Retain As Published, where a retained
     * publish comes with RETAIN=1 and is remembered as such). Costs three volatile reads when
     * there is nothing to close or remember.
     */
    void liveArrived(int qos, Candidates targets) {
        int a = answered;
        int last = sent;
        if (a != last && !retainAsPublished && !shared) {
            int closed = closed();
            for (Attachment x : attachments) {
                int g = x.generation;
                if (g > last) {
                    break; // ascending: the rest wait
                }
                if (g > closed) {
                    targets.liveInFlight(x, last);
                }
            }
        }
        if (a > closedByTraffic && qos >= requestedQos) {
            closedByTraffic = a;
            if (retainAsPublished) {
                return; // served attachments keep what they had (see retainedArrived)
            }
            int closed = closed();
            for (Attachment x : attachments) {
                if (x.generation > closed) {
                    break; // ascending
                }
                x.had.forget();
            }
        }
    }

    /**
     * The handler of a shared subscription whose turn it is: the broker hands the group's
     * messages to its members one by one, and this connection's handlers of the subscription
     * split what this member gets the same way, round robin; each handler's messages stay in
     * order. Null when no handler is attached.
     */
    HandlerQueue nextTurn() {
        Attachment[] a = attachments;
        if (a.length == 0) {
            return null;
        }
        int t = turn;
        if (t >= a.length) {
            t = 0; // a handler left
        }
        turn = t + 1;
        return a[t].queue;
    }

    /** Receives the attachments a retained message may go to ({@link #retainedArrived}). */
    interface Candidates {
        /**
         * {@code a} is open (its SUBSCRIBE was sent) or, when {@code open} is false, waiting;
         * {@code sent} is the number of the filter's last SUBSCRIBE sent.
         */
        void candidate(Attachment a, boolean open, int sent);

        /**
         * {@code a} is served and the filter subscribed with Retain As Published: it takes the
         * message as a live one unless it is a copy a later SUBSCRIBE sent of what it had
         * ({@link RetainedTopics#isResent}); {@code sent} as above.
         */
        void served(Attachment a, int sent);

        /**
         * A live message reached open attachment {@code a} while a SUBSCRIBE of the filter was on
         * its way (its SUBACK not recorded yet): {@code a} remembers it as had.
         */
        void liveInFlight(Attachment a, int sent);
    }

    /**
     * A retained message (RETAIN=1) of this filter arrived: hands {@code targets} each attachment
     * that is open or waiting, saying which; the served ones forget their topics. An attachment
     * asking Retain Handling 2 is never a candidate: it wants no retained messages from a
     * SUBSCRIBE, although another handler's ask made the broker send them. With Retain As
     * Published in effect the message may be a live one published with RETAIN=1 (MQTT 5 3.8.3.1):
     * the served attachments keep what they had and are handed over as such (see the class comment).
     */
    void retainedArrived(Candidates targets) {
        int last = sent;
        int closed = closed();
        boolean asPublished = retainAsPublished;
        for (Attachment x : attachments) {
            int g = x.generation;
            if (g <= closed) {
                if (asPublished) {
                    targets.served(x, last);
                } else {
                    x.had.forget();
                }
            } else if (x.options.retainHandling() != SubscriptionOptions.DO_NOT_SEND_RETAINED) {
                targets.candidate(x, g <= last, last);
            }
        }
    }

    /**
     * Generations up to this one are closed: by the connection being lost or back, by live
     * traffic, and under Retain As Published by their SUBACK having been recorded (see the class
     * comment), which is then counted with the traffic's, so that they stay closed when the
     * filter's options change. I/O thread only.
     */
    private int closed() {
        if (retainAsPublished) {
            int a = answered;
            if (a > closedByTraffic) {
                closedByTraffic = a;
            }
        }
        return Math.max(reset, closedByTraffic);
    }

    // ------------------------------------------------------------------ QoS, overlaps, views (under the lock)

    /** The highest QoS a handler of this very filter asks for, or -1 when none wants it. */
    int askedQos() {
        int qos = -1;
        for (Attachment a : attachments) {
            qos = Math.max(qos, a.qos);
        }
        return qos;
    }

    /** The QoS to subscribe at: {@link #askedQos()}, raised to at least 1 when {@link #raised}; -1 when unwanted. */
    int wantedQos() {
        int asked = askedQos();
        return asked >= 0 && raised ? Math.max(asked, MqttConstants.QOS_AT_LEAST_ONCE) : asked;
    }

    /**
     * Whether some topic matches both this filter and {@code other} (share prefixes ignored).
     * Level by level: equal levels or a '+' go on, a '#' matches whatever is left, including
     * nothing; a wildcard in the first level never meets a literal starting with '$'.
     */
    boolean overlaps(FilterEntry other) {
        return overlaps(levels, other.levels);
    }

    /** {@link #overlaps(FilterEntry)} with a filter given by its {@link #levels(TopicFilter) levels}. */
    boolean overlaps(String[] otherLevels) {
        return overlaps(levels, otherLevels);
    }

    /** {@link #overlaps(FilterEntry)} for two filters' {@link #levels(TopicFilter) levels}. */
    static boolean overlaps(String[] a, String[] b) {
        for (int i = 0;; i++) {
            if (i == a.length && i == b.length) {
                return true;
            }
            String x = i < a.length ? a[i] : null;
            String y = i < b.length ? b[i] : null;
            if ("#".equals(x) || "#".equals(y)) {
                return i > 0 || !startsWithDollar("#".equals(x) ? y : x);
            }
            if (x == null || y == null) {
                return false;
            }
            if (x.equals("+") || y.equals("+")) {
                if (i == 0 && startsWithDollar(x.equals("+") ? y : x)) {
                    return false;
                }
            } else if (!x.equals(y)) {
                return false;
            }
        }
    }

    private static boolean startsWithDollar(String level) {
        return level != null && level.startsWith("$");
    }

    /**
     * The options to subscribe with, {@link #wantedQos()} as the QoS, the handlers' MQTT 5 options
     * combined so that no handler loses messages it asked for: No Local only when every handler
     * asks for it, Retain As Published when any does, the lowest Retain Handling (the one that
     * sends the most retained messages). Null when no handler wants the filter.
     */
    SubscriptionOptions wantedOptions() {
        int qos = wantedQos();
        if (qos < 0) {
            return null;
        }
        boolean noLocal = true;
        boolean asPublished = false;
        int handling = SubscriptionOptions.DO_NOT_SEND_RETAINED;
        for (Attachment a : attachments) {
            noLocal &= a.options.noLocal();
            asPublished |= a.options.retainAsPublished();
            handling = Math.min(handling, a.options.retainHandling());
        }
        return SubscriptionOptions.qos(qos).withNoLocal(noLocal).withRetainAsPublished(asPublished)
                .withRetainHandling(handling);
    }

    /** The MQTT 5 option bits of {@code o} (its options byte without the QoS). */
    static int flags(SubscriptionOptions o) {
        return o.optionsByte() & ~0x03;
    }

    /** Whether the handlers ask for differing MQTT 5 options (beyond QoS), so that some get a combination. */
    boolean optionsDiffer() {
        Attachment[] a = attachments;
        for (int i = 1; i < a.length; i++) {
            if (flags(a[i].options) != flags(a[0].options)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a SUBSCRIBE should be sent now that the connection is up. */
    boolean needsSubscribe() {
        int wanted = wantedQos();
        if (wanted < 0 || inFlight) {
            return false;
        }
        if (resubscribe || requestedQos < wanted) {
            return true;
        }
        if (state == State.SUBSCRIBED && requestedFlags >= 0 && requestedFlags != flags(wantedOptions())) {
            return true; // a handler came or went and the combined MQTT 5 options changed
        }
        if (state == State.SUBSCRIBED) {
            // again, for a handler that joined since the last SUBSCRIBE; but brokers send no
            // retained messages for a shared subscription, so repeating one would bring nothing
            return !shared && awaitsRetained();
        }
        // REFUSED and FAILED wait for the next reconnect or a handler asking more, rather than
        // hammering the broker
        return state != State.REFUSED && state != State.FAILED;
    }

    SubscriptionDTO toDTO() {
        SubscriptionDTO dto = new SubscriptionDTO();
        dto.filter = filter.toString();
        dto.requestedQos = Math.max(wantedQos(), requestedQos);
        dto.grantedQos = state == State.SUBSCRIBED ? grantedQos : -1;
        dto.failure = state == State.REFUSED || state == State.FAILED ? failure : null;
        dto.handlerServiceIds = Arrays.stream(attachments).mapToLong(a -> a.queue.serviceId()).sorted().toArray();
        switch (state) {
            case SUBSCRIBING:
                dto.status = SubscriptionDTO.SUBSCRIBING;
                break;
            case SUBSCRIBED:
                dto.status = isWanted() ? SubscriptionDTO.SUBSCRIBED : SubscriptionDTO.UNSUBSCRIBING;
                break;
            case REFUSED:
                dto.status = SubscriptionDTO.REFUSED;
                break;
            case FAILED:
                dto.status = SubscriptionDTO.FAILED;
                break;
            case UNSUBSCRIBING:
                dto.status = SubscriptionDTO.UNSUBSCRIBING;
                break;
            default:
                dto.status = isWanted() || !onBroker ? SubscriptionDTO.PENDING : SubscriptionDTO.UNSUBSCRIBING;
        }
        return dto;
    }

    @Override
    public String toString() {
        return "'" + filter + "'";
    }
}
