package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import io.umqtt.api.MqttProperties;
import io.umqtt.robust.MessageExpiredException;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;

/**
 * Sends an {@link Outbox}'s queue in order on the current connection: in windows (QoS 1 and 2
 * pipelined, as many as the {@link ReceiveWindow} allows), resends with DUP and the same packet
 * id when the session survived, QoS 2 flows resumed at PUBLISH or PUBREL (see
 * {@code docs/qos2.md}) with their steps written to the {@link QueueLog} first, messages whose MQTT 5
 * message expiry interval passed dropped before sending ({@link MessageExpiry}), the broker's
 * final answers (a refusal, a packet too large for it) settled as drops, and what a lost
 * connection did not deliver put back at the front of the queue.
 * <p>
 * Threading and locks: {@link #sendHeld()} runs only on the thread holding the outbox's flush
 * lock; under it this class takes the simple client's locks (writes, PUBACK waits), the
 * {@link ReceiveWindow} gate, and the queue's and its log's monitors. {@link #pubrecReceived(int)}
 * runs on the simple client's reader and takes only the log's monitor (a leaf). {@link #qos2OnDisk}
 * is a concurrent map shared by the two; the counters are atomic. The listener is never called
 * under the flush lock: the drops found while sending are queued in {@link #reports} and told
 * (through {@link Reconnector#tell}) by {@link #tellReports()}, which the outbox calls after it
 * released the lock, so a listener may publish (a dead-letter topic) without re-entering a flush.
 */
final class QueueSender {
    private static final System.Logger LOG = System.getLogger(Outbox.LOGGER);

    private final MqttClient client;
    private final ClientPort port;
    private final Reconnector reconnector;
    private final QueueStore store;
    private final ReceiveWindow window;
    /** Wall clock, epoch milliseconds: the outbox's, for message expiry. */
    private final LongSupplier clock;
    /**
     * Packet id to the {@code seq} of the queued QoS 2 message on disk whose flow runs under it on
     * the current connection: where {@link #pubrecReceived} writes its step.
     */
    private final Map<Integer, Long> qos2OnDisk = new ConcurrentHashMap<>();
    private final AtomicLong resent = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    /** The listener calls of drops found under the flush lock, told after it is released. */
    private final Queue<Runnable> reports = new ConcurrentLinkedQueue<>();

    QueueSender(MqttClient client, ClientPort port, Reconnector reconnector, QueueStore store, ReceiveWindow window,
            LongSupplier clock) {
        this.client = client;
        this.port = port;
        this.reconnector = reconnector;
        this.store = store;
        this.window = window;
        this.clock = clock;
    }

    /**
     * Tells the listener the drops found while sending, in order; called by the outbox when it
     * no longer holds the flush lock (by whichever thread released it last: each drop is told once).
     */
    void tellReports() {
        for (Runnable r; (r = reports.poll()) != null;) {
            r.run();
        }
    }

    long resent() {
        return resent.get();
    }

    /** Messages dropped because their MQTT 5 message expiry interval passed in the queue. */
    long expired() {
        return expired.get();
    }

    /**
     * Sends the queue in order while connected; the caller holds the outbox's flush lock. On
     * failure, what was not acknowledged goes back to the front of the queue (with packet ids, for
     * DUP resends) and the failure is thrown.
     */
    void sendHeld() throws IOException {
        OfflineQueue q = store.queue();
        while (client.isConnected() && !q.isEmpty()) {
            long now = clock.getAsLong();
            boolean kept = reconnector.sessionPresent();
            List<Entry> batch = dropExpired(q, q.take(window.roomForWindow()), kept, now);
            PublishToken[] sent = new PublishToken[batch.size()];
            // MQTT 5: refused by the broker (reason code >= 0x80), or too large for its Maximum Packet Size
            IOException[] failed = new IOException[batch.size()];
            int written = 0;
            int acked = 0;
            try {
                boolean session = reconnector.sessionPresent();
                for (; written < batch.size(); written++) {
                    Entry e = batch.get(written);
                    boolean dup = session && e.packetId != 0;
                    if (e.packetId != 0) {
                        resent.incrementAndGet();
                    }
                    try {
                        sent[written] = send(q, e, dup, now);
                    } catch (IllegalArgumentException tooLarge) {
                        failed[written] = new IOException(tooLarge.getMessage(), tooLarge);
                        continue; // nothing was sent; the broker of this connection never takes it
                    }
                    if (e.token != null) {
                        e.token.sent(sent[written]);
                    }
                }
                for (; acked < batch.size(); acked++) {
                    if (sent[acked] != null) {
                        try {
                            port.awaitPuback(sent[acked]);
                        } catch (IOException refusal) {
                            if (!Outbox.isRefusal(refusal)) {
                                throw refusal;
                            }
                            failed[acked] = refusal; // the broker answered: final, never resent
                        }
                        if (batch.get(acked).qos == 2) {
                            qos2OnDisk.remove(sent[acked].packetId(), batch.get(acked).seq);
                        }
                    }
                }
                store.markSent(q, batch);
                settleSent(batch, failed, batch.size());
            } catch (IOException e) {
                List<Entry> back = new ArrayList<>(batch.size() - acked);
                List<Entry> gone = new ArrayList<>(batch.subList(0, acked));
                for (int i = acked; i < batch.size(); i++) {
                    Entry en = batch.get(i);
                    if (failed[i] != null) {
                        gone.add(en); // too large: never sent, reported below
                        continue;
                    }
                    if (en.qos == 0 && i < written) {
                        gone.add(en);
                        continue; // written at QoS 0: at most once, not sent again
                    }
                    // written at QoS 1 or 2: keep its packet id (and at QoS 2 whether its PUBREC was read) for a
                    // resend in a kept session; not written yet: as it was
                    if (sent[i] != null) {
                        qos2OnDisk.remove(sent[i].packetId(), en.seq);
                        back.add(en.withStep(sent[i].packetId(), port.pubrecReceived(sent[i])));
                    } else {
                        int recorded = forgetRecorded(en);
                        // a QoS 2 PUBLISH whose write failed after its packet id was recorded: it may have
                        // reached the broker, so it is resent under that id (with DUP in a kept session)
                        back.add(recorded != 0 ? en.withStep(recorded, false) : en);
                    }
                }
                store.markSent(q, gone);
                settleSent(gone, failedOf(batch, failed, gone), gone.size());
                store.requeue(back); // all of them are on disk already when the queue is durable
                if (!reconnector.isClosed() && Outbox.isTimeout(e)) {
                    port.fail(e);
                }
                throw e;
            }
        }
    }

    /**
     * Completes the tokens of the first {@code n} of {@code done} whose {@code failed} is null;
     * reports the others as dropped (refused by the broker, or too large for it) and fails their
     * tokens with the reason.
     */
    private void settleSent(List<Entry> done, IOException[] failed, int n) {
        for (int i = 0; i < n; i++) {
            Entry e = done.get(i);
            if (failed[i] == null) {
                if (e.token != null) {
                    e.token.complete();
                }
                continue;
            }
            IOException why = failed[i];
            store.countDropped();
            String topic = new String(e.topic, StandardCharsets.UTF_8);
            String reason = (Outbox.isRefusal(why) ? "refused by the broker: " : "not sent: ") + why.getMessage();
            LOG.log(Level.WARNING, () -> "MQTT client " + client.clientId() + " to " + client.server() + ":"
                    + client.port() + ": queued message to '" + topic + "' (" + e.payload.length + " bytes, QoS " + e.qos
                    + ") " + reason + "; dropped, not sent again");
            if (e.token != null) {
                e.token.fail(why);
            }
            reports.add(() -> reconnector.tell("messageDropped", l -> l.messageDropped(e.topic, e.payload, e.qos, reason)));
        }
    }

    /** The failures of {@code subset}'s entries, by their place in {@code batch}. */
    private static IOException[] failedOf(List<Entry> batch, IOException[] failed, List<Entry> subset) {
        IOException[] out = new IOException[subset.size()];
        for (int i = 0; i < subset.size(); i++) {
            for (int j = 0; j < batch.size(); j++) {
                if (batch.get(j) == subset.get(i)) {
                    out[i] = failed[j];
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Sends one queued message. QoS 2 in a kept session (see {@code docs/qos2.md}): a flow whose
     * PUBREC was read resumes at PUBREL, one sent before resumes with its PUBLISH under the same
     * packet id with DUP; without a session both start again as new messages. A QoS 2 message on
     * disk gets its STEP record (the packet id) before its PUBLISH is written.
     */
    private PublishToken send(OfflineQueue q, Entry e, boolean dup, long now) throws IOException {
        MqttProperties wire = e.expires() ? MessageExpiry.toSend(e, now, true) : e.properties; // dropExpired ran
        if (e.qos != 2) {
            return port.send(e, wire, dup, dup ? e.packetId : 0);
        }
        QueueLog log = q.log();
        if (dup && e.released) {
            if (log != null && e.seq != 0) {
                // the PUBREC may have been read without its step reaching the disk (the connection was lost
                // first, or the write failed): recorded before any PUBREL, or a crash would publish it again
                log.step(e.seq, e.packetId, true);
                qos2OnDisk.put(e.packetId, e.seq);
            }
            return port.sendPubrel(e);
        }
        if (log == null || e.seq == 0) {
            return port.send(e, wire, dup, dup ? e.packetId : 0);
        }
        return port.sendQos2(e, wire, dup, dup ? e.packetId : 0, id -> {
            log.step(e.seq, id, false);
            qos2OnDisk.put(id, e.seq);
        });
    }

    /**
     * Takes out of {@code batch} the messages whose MQTT 5 message expiry interval passed while they
     * waited (see {@link MessageExpiry}): marked done in the queue, counted, logged, reported to the
     * listener, their tokens failed. A QoS 2 flow resumed in a kept session ({@code kept}) stays.
     */
    private List<Entry> dropExpired(OfflineQueue q, List<Entry> batch, boolean kept, long now) {
        List<Entry> gone = null;
        List<Entry> left = batch;
        for (int i = 0; i < batch.size(); i++) {
            Entry e = batch.get(i);
            boolean resumed = kept && e.packetId != 0 && e.qos == 2;
            if (!e.expires() || MessageExpiry.toSend(e, now, resumed) != null) {
                if (gone != null) {
                    left.add(e);
                }
                continue;
            }
            if (gone == null) {
                gone = new ArrayList<>();
                left = new ArrayList<>(batch.subList(0, i));
            }
            gone.add(e);
        }
        if (gone == null) {
            return batch;
        }
        store.markSent(q, gone);
        for (Entry e : gone) {
            reportExpired(e, now);
        }
        return left;
    }

    private void reportExpired(Entry e, long now) {
        expired.incrementAndGet();
        store.countDropped();
        String topic = new String(e.topic, StandardCharsets.UTF_8);
        long waited = MessageExpiry.waitedMillis(e, now);
        String why = "expired in the offline queue: its message expiry interval of "
                + e.properties.messageExpiryInterval() + " s passed while it waited " + waited / 1000 + "."
                + String.format("%03d", waited % 1000) + " s (MQTT 5 section 3.3.2.3.3); dropped, not sent";
        LOG.log(Level.WARNING, () -> "MQTT client " + client.clientId() + " to " + client.server() + ":"
                + client.port() + ": message to '" + topic + "' (" + e.payload.length + " bytes, QoS " + e.qos + ") "
                + why);
        if (e.token != null) {
            e.token.fail(new MessageExpiredException("MQTT client " + client.clientId() + ": message to '" + topic
                    + "' " + why));
        }
        reports.add(() -> reconnector.tell("messageDropped", l -> l.messageDropped(e.topic, e.payload, e.qos, why)));
    }

    /** The packet id recorded for the QoS 2 message {@code e} on disk (0: none), no longer tracked. */
    private int forgetRecorded(Entry e) {
        if (e.qos != 2 || e.seq == 0) {
            return 0;
        }
        for (Map.Entry<Integer, Long> m : qos2OnDisk.entrySet()) {
            if (m.getValue() == e.seq && qos2OnDisk.remove(m.getKey(), m.getValue())) {
                return m.getKey();
            }
        }
        return 0;
    }

    /**
     * The reader read the PUBREC of our QoS 2 publish {@code packetId}; before its PUBREL goes out,
     * a queued message on disk gets its STEP record (PUBREC read), so that after a crash it resumes
     * at PUBREL and is never published twice. A failure is thrown: no PUBREL is sent then.
     */
    void pubrecReceived(int packetId) throws IOException {
        Long seq = qos2OnDisk.get(packetId);
        QueueLog log = store.queue().log();
        if (seq != null && log != null) {
            log.step(seq, packetId, true);
        }
    }
}
