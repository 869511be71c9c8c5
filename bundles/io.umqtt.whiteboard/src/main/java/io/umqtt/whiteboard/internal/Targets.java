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
 * matching filters has had the topic ({@link #resolveRetained()}, see {@link FilterEntry}).
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
    private int candidateCount;
    private FilterEntry.TopicKey key;
    /** Some matching filter is subscribed at the connection, or the connection matched already. */
    private boolean gateOpen;
    /** Matching entries met before the gate opened; null while none. */
    private FilterEntry[] held;
    private int heldCount;

    /**
     * @param gated whether the message still has to pass the gate (the connection handed over
     *        every message, unmatched)
     */
    Targets(MqttMessage message, boolean gated) {
        this.message = message;
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
        entry.liveArrived(message.qos());
    }

    /** From {@link FilterEntry#retainedArrived}: an attachment that is open, or waiting for its SUBSCRIBE. */
    @Override
    public void candidate(FilterEntry.Attachment a, boolean isOpen) {
        if (candidates == null) {
            candidates = new FilterEntry.Attachment[4];
            open = new boolean[4];
        } else if (candidateCount == candidates.length) {
            candidates = Arrays.copyOf(candidates, candidateCount * 2);
            open = Arrays.copyOf(open, candidateCount * 2);
        }
        candidates[candidateCount] = a;
        open[candidateCount++] = isOpen;
    }

    /** From {@link FilterEntry#retainedArrived}: with Retain As Published a served attachment takes RETAIN=1 as live. */
    @Override
    public void live(FilterEntry.Attachment a) {
        add(a.queue);
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
                    had |= a.had.contains(topicKey());
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
                    a.had.add(topicKey());
                    candidates[j] = null;
                }
            }
        }
    }

    /** The message's topic as a key, made once per message and only when needed. */
    private FilterEntry.TopicKey topicKey() {
        FilterEntry.TopicKey k = key;
        if (k == null) {
            k = new FilterEntry.TopicKey(message.topic());
            key = k;
        }
        return k;
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
