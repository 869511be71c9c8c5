package io.umqtt.whiteboard.internal;

import java.util.Arrays;
import java.util.function.Consumer;

import io.umqtt.api.MqttMessage;

/**
 * The handlers one received message goes to, collected while the {@link TopicTrie} hands over
 * the matching {@link FilterEntry}s: each handler once.
 * <p>
 * The gate: a message is the whiteboard's only when one of the matching filters was subscribed
 * with the whiteboard's listener at the connection ({@link FilterEntry#listening}); then it goes
 * to the handlers of all matching filters, also those whose SUBSCRIBE is not sent yet, as when
 * the connection matched its subscriptions first and the whiteboard matched again. Entries met
 * before the gate opens are held back and looked at once it does, so a message that is not the
 * whiteboard's changes nothing (see {@link #isOpen()}). A connection that matched the
 * subscriptions itself opened the gate already ({@code gated} false). For a live message (RETAIN=0) all
 * handlers of the matching filters, except that a shared subscription hands over only the
 * handler whose turn it is ({@link FilterEntry#nextTurn()}); for a retained one (RETAIN=1) each
 * handler with an open attachment to a matching filter, unless one of its attachments to the
 * matching filters has had the topic ({@link #resolveRetained()}, see {@link FilterEntry}), and
 * under Retain As Published also each handler with a served attachment, unless the message is a
 * later SUBSCRIBE's copy of the value it had ({@link #served}). The topic is looked up with the
 * connection's one look-up key and the payload compared by its fingerprint, so the bookkeeping
 * allocates only for a topic not remembered yet.
 * <p>
 * One instance per message, made and used by the connection's I/O thread only.
 */
final class Targets implements Consumer<FilterEntry>, FilterEntry.Candidates {
    private final MqttMessage message;
    private final boolean retained;
    /** The collected handlers, {@link #count} of them. */
    HandlerQueue[] handlers = new HandlerQueue[4];
    int count;
    /** Handlers attached to the matching filters, whether or not collected. */
    int attached;
    /** Retained only: the open and waiting attachments of the matching filters. */
    private FilterEntry.Attachment[] candidates;
    private boolean[] open;
    /** The number of the last SUBSCRIBE sent of each candidate's filter. */
    private int[] sent;
    private int candidateCount;
    /** The connection's look-up key (I/O thread only), {@link #key} once pointed at the topic. */
    private final RetainedTopics.Key probe;
    private RetainedTopics.Key key;
    /** The payload's fingerprint, made once and only when needed ({@link #fingerprintMade}). */
    private long fingerprint;
    private boolean fingerprintMade;
    /**
     * Retained only: a matching filter is subscribed with Retain As Published, so the message may
     * be a live one published with RETAIN=1: an open attachment that had its topic with another
     * payload takes it (see {@link FilterEntry}).
     */
    private boolean mayBeLive;
    /** Some matching filter is subscribed at the connection, or the connection matched already. */
    private boolean gateOpen;
    /** Matching entries met before the gate opened; null while none. */
    private FilterEntry[] held;
    private int heldCount;

    /**
     * @param gated whether the message still has to pass the gate (the connection handed over
     *        every message, unmatched)
     */
    Targets(MqttMessage message, boolean gated, RetainedTopics.Key probe) {
        this.message = message;
        this.probe = probe;
        this.retained = message.retain();
        this.gateOpen = !gated;
    }

    /** Whether the message is the whiteboard's: the gate opened (see the class comment). */
    boolean isOpen() {
        return gateOpen;
    }

    @Override
    public void accept(FilterEntry entry) {
        if (!gateOpen) {
            if (!entry.listening) {
                hold(entry);
                return;
            }
            gateOpen = true;
            for (int i = 0; i < heldCount; i++) {
                take(held[i]);
            }
            held = null;
        }
        take(entry);
    }

    private void hold(FilterEntry entry) {
        if (held == null) {
            held = new FilterEntry[2];
        } else if (heldCount == held.length) {
            held = Arrays.copyOf(held, heldCount * 2);
        }
        held[heldCount++] = entry;
    }

    private void take(FilterEntry entry) {
        FilterEntry.Attachment[] a = entry.attachments;
        attached += a.length;
        if (retained) {
            mayBeLive |= entry.retainAsPublished;
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
        entry.liveArrived(message.qos(), this);
    }

    /** From {@link FilterEntry#retainedArrived}: an attachment that is open, or waiting for its SUBSCRIBE. */
    @Override
    public void candidate(FilterEntry.Attachment a, boolean isOpen, int lastSent) {
        if (candidates == null) {
            candidates = new FilterEntry.Attachment[4];
            open = new boolean[4];
            sent = new int[4];
        } else if (candidateCount == candidates.length) {
            candidates = Arrays.copyOf(candidates, candidateCount * 2);
            open = Arrays.copyOf(open, candidateCount * 2);
            sent = Arrays.copyOf(sent, candidateCount * 2);
        }
        candidates[candidateCount] = a;
        sent[candidateCount] = lastSent;
        open[candidateCount++] = isOpen;
    }

    /**
     * From {@link FilterEntry#retainedArrived}: with Retain As Published a served attachment takes
     * RETAIN=1 as live, unless it is a later SUBSCRIBE's copy of what it had.
     */
    @Override
    public void served(FilterEntry.Attachment a, int lastSent) {
        if (!a.had.isResent(topicKey(), fingerprint(), message.payload().length, lastSent)) {
            add(a.queue);
        }
    }

    /**
     * From {@link FilterEntry#liveArrived}: a live message reached open attachment {@code a} while
     * a SUBSCRIBE of its filter was on its way; it may have come after that SUBSCRIBE's SUBACK, so
     * its retained messages may still bring the same one: remembered as had.
     */
    @Override
    public void liveInFlight(FilterEntry.Attachment a, int lastSent) {
        a.had.add(topicKey(), fingerprint(), message.payload().length, false, lastSent);
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
                    had |= a.had.had(topicKey(), fingerprint(), message.payload().length, mayBeLive);
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
                    a.had.add(topicKey(), fingerprint(), message.payload().length, !mayBeLive, sent[j]);
                    candidates[j] = null;
                }
            }
        }
    }

    /** The message's topic as a look-up key, made once per message and only when needed. */
    private RetainedTopics.Key topicKey() {
        RetainedTopics.Key k = key;
        if (k == null) {
            k = probe.set(message.topic());
            key = k;
        }
        return k;
    }

    /** The payload's fingerprint, computed once per message and only when needed. */
    private long fingerprint() {
        if (!fingerprintMade) {
            fingerprint = RetainedTopics.fingerprint(message.payload());
            fingerprintMade = true;
        }
        return fingerprint;
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
