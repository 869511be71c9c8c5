package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;

/**
 * The {@code publishAsync} side of an {@link Outbox}: the tokens not complete yet, and the
 * messages sent directly on the current connection, oldest first, until their PUBACK or the loss
 * of their connection settles them. Its monitor guards both collections and is a leaf: held only
 * for their own operations, never while calling the client, the queue or a token.
 */
final class AsyncPublishes {
    private static final System.Logger LOG = System.getLogger(Outbox.LOGGER);

    private final Outbox outbox;
    private final MqttClient client;
    private final Reconnector reconnector;
    /** Sent directly on the current connection, oldest first; guarded by this. */
    private final ArrayDeque<Entry> inFlight = new ArrayDeque<>();
    /** Tokens not complete yet; guarded by this. */
    private final Set<RobustToken> open = new LinkedHashSet<>();

    AsyncPublishes(Outbox outbox, MqttClient client, Reconnector reconnector) {
        this.outbox = outbox;
        this.client = client;
        this.reconnector = reconnector;
    }

    synchronized void opened(RobustToken token) {
        open.add(token);
    }

    /** A token complete or failed: no longer open. */
    synchronized void forget(RobustToken token) {
        open.remove(token);
    }

    /** Before {@code e} is written: a reconnect meanwhile finds it here. */
    synchronized void sending(Entry e) {
        inFlight.addLast(e);
    }

    /** {@code e} was not written, or was written at QoS 0 (complete). */
    synchronized void notInFlight(Entry e) {
        inFlight.remove(e);
    }

    /**
     * How many publishAsync messages sent directly at QoS 1 or 2 still await their ack (or are
     * being written): what counts against the broker's Receive Maximum. O(their number).
     */
    synchronized int unacked() {
        int n = 0;
        for (Entry e : inFlight) {
            PublishToken h = e.token.inFlight();
            if (e.qos > 0 && !e.token.finished() && (h == null || !h.isDone())) {
                n++;
            }
        }
        return n;
    }

    /** The oldest publishAsync message sent directly whose ack is still awaited, or null. */
    synchronized PublishToken oldestUnacked() {
        for (Entry e : inFlight) {
            PublishToken h = e.token.inFlight();
            if (e.qos > 0 && h != null && !h.isDone()) {
                return h;
            }
        }
        return null;
    }

    /**
     * Settles the publishAsync messages sent directly, oldest first: acknowledged ones complete
     * their tokens; those whose connection was lost (or whose PUBACK was given up) go back to the
     * front of the queue for the resend, or fail their tokens when the client is closed. Stops at
     * the first still awaiting its PUBACK (a broker acknowledges in order).
     */
    void settle() {
        List<Entry> acked = new ArrayList<>(0);
        List<Entry> refused = new ArrayList<>(0);
        List<IOException> refusals = new ArrayList<>(0);
        List<Entry> back = new ArrayList<>(0);
        List<IOException> why = new ArrayList<>(0);
        synchronized (this) {
            Entry e;
            while ((e = inFlight.peekFirst()) != null) {
                if (e.token.finished()) {
                    inFlight.pollFirst(); // completed by its isDone(), or failed by close()
                    continue;
                }
                PublishToken h = e.token.inFlight();
                if (h == null || !h.isDone()) {
                    break; // being sent, or awaiting its PUBACK
                }
                inFlight.pollFirst();
                if (h.failure() == null) {
                    acked.add(e);
                } else if (Outbox.isRefusal(h.failure())) {
                    refused.add(e); // the broker's answer: final, never resent
                    refusals.add(h.failure());
                } else {
                    // for a resend in a surviving session: DUP, or at QoS 2 PUBREL once the PUBREC was read
                    back.add(e.withStep(h.packetId(), outbox.pubrecReceived(h)));
                    why.add(h.failure());
                }
            }
        }
        Outbox.completeAll(acked);
        for (int i = 0; i < refused.size(); i++) {
            refused.get(i).token.fail(refusals.get(i));
        }
        if (back.isEmpty()) {
            return;
        }
        if (reconnector.isClosed()) {
            for (int i = 0; i < back.size(); i++) {
                Entry e = back.get(i);
                e.token.fail(new IOException("MQTT client " + client.clientId() + " was closed before the PUBACK of "
                        + "its message to '" + new String(e.topic, StandardCharsets.UTF_8) + "' arrived; the broker "
                        + "may or may not have it", why.get(i)));
            }
            return;
        }
        try {
            outbox.requeue(back);
        } catch (IOException e) {
            LOG.log(Level.ERROR, () -> "MQTT client " + client.clientId() + ": " + back.size() + " message(s) sent "
                    + "with publishAsync and not acknowledged could not be queued for the resend: " + e.getMessage());
        }
    }

    /**
     * The client was closed: publishAsync messages in flight are settled, then every open token
     * fails. Queued messages stay queued (and on disk); their tokens no longer follow them.
     */
    void closed() {
        settle();
        List<RobustToken> left;
        synchronized (this) {
            left = new ArrayList<>(open);
        }
        for (RobustToken t : left) {
            t.fail(new IOException("MQTT client " + client.clientId() + " was closed before its message was "
                    + "delivered; a queued message stays in the offline queue and is sent after the next connect, "
                    + "without this token"));
        }
    }
}
