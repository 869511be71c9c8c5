package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.robust.MessageExpiredException;
import io.umqtt.robust.OfflineQueueFullException;
import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;

/**
 * The publishing side of a robust client: the bounded {@link OfflineQueue} (built once, from the
 * bounds given at construction), {@code publish} and {@code publishAsync}, sending the queue in
 * order once connected, putting back what a lost connection did not deliver, and the
 * {@link RobustToken}s that follow {@code publishAsync} messages.
 * <p>
 * Locks, in this order: {@link #flushLock} (one thread sends the queue at a time, and the
 * deprecated setters replace the queue under it; held across the client's writes and PUBACK
 * waits, so also before the simple client's locks), then the monitor of its
 * {@link AsyncPublishes} (a leaf), or the queue's and then its log's own monitors. The
 * {@link #gate} (MQTT 5 Receive Maximum: check and reserve in one step) is taken alone or under
 * {@link #flushLock}, and holds nothing but the {@link AsyncPublishes} monitor.
 */
public final class Outbox {
    /** The parts log under the client's name, as before they were split out of it. */
    static final String LOGGER = "io.umqtt.robust.RobustMqttClient";
    private static final System.Logger LOG = System.getLogger(LOGGER);
    /** How many queued QoS 1 messages are in flight at once while the queue is sent. */
    private static final int FLUSH_WINDOW = 256;
    /** The Receive Maximum of a broker that announced none (MQTT 5 section 3.2.2.3.3), and of MQTT 3.1.1. */
    private static final int NO_RECEIVE_MAXIMUM = 65_535;
    /** A durable queue forces its file to the device at most this often while messages are queued. */
    private static final long QUEUE_SYNC_MILLIS = 1_000;
    /** Smallest and largest segment file of a durable queue; between them, an eighth of the byte bound. */
    private static final long MIN_SEGMENT_BYTES = 64 * 1024;
    private static final long MAX_SEGMENT_BYTES = 8L * 1024 * 1024;

    private final MqttClient client;
    private final ClientPort port;
    private final Reconnector reconnector;
    private final ReentrantLock flushLock = new ReentrantLock();
    /** Replaced only while {@link #flushLock} is held (by the deprecated setters). */
    private volatile OfflineQueue queue;
    private final AsyncPublishes async;
    private volatile int ackTimeoutMillis = MqttClient.DEFAULT_ACK_TIMEOUT_MILLIS;

    /**
     * Packet id to the {@code seq} of the queued QoS 2 message on disk whose flow runs under it on
     * the current connection: where {@link #pubrecReceived} writes its step.
     */
    private final Map<Integer, Long> qos2OnDisk = new ConcurrentHashMap<>();

    private final AtomicLong queuedTotal = new AtomicLong();
    private final AtomicLong resent = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong expired = new AtomicLong();
    /**
     * Direct QoS 1 and 2 sends that reserved room under the broker's Receive Maximum ({@link #reserve()}):
     * blocking {@code publish} calls until their ack, {@code publishAsync} until it is in the in-flight list.
     */
    private final java.util.concurrent.atomic.AtomicInteger publishing = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * Makes the Receive Maximum check and the reservation one step ({@link #reserve()},
     * {@link #roomForWindow()}); inside it only the {@link AsyncPublishes} monitor (a leaf) is taken.
     */
    private final Object gate = new Object();
    /** Wall clock, epoch milliseconds: when a message with a message expiry interval was published. */
    private volatile LongSupplier clock = System::currentTimeMillis;

    /**
     * The outbox of {@code client} with its queue: in memory, or kept in {@code directory}, whose
     * messages of an earlier run are loaded first.
     *
     * @throws IOException naming the directory when it cannot be used
     */
    public Outbox(MqttClient client, ClientPort port, Reconnector reconnector, int maxMessages, long maxBytes,
            OverflowPolicy overflow, Path directory) throws IOException {
        this.client = client;
        this.port = port;
        this.reconnector = reconnector;
        this.async = new AsyncPublishes(this, client, reconnector);
        if (directory == null) {
            queue = new OfflineQueue(maxMessages, maxBytes, overflow);
            return;
        }
        QueueLog log = QueueLog.open(directory, segmentBytes(maxBytes), QUEUE_SYNC_MILLIS);
        queue = new OfflineQueue(maxMessages, maxBytes, overflow, log); // built once, with its log
        List<Runnable> reports = new ArrayList<>();
        load(log, queue, reports);
        reports.forEach(Runnable::run);
    }

    private static long segmentBytes(long maxBytes) {
        return Math.max(MIN_SEGMENT_BYTES, Math.min(MAX_SEGMENT_BYTES, maxBytes / 8));
    }

    /** Loads what {@code log} holds from an earlier run into {@code target}; they count as queued. */
    private void load(QueueLog log, OfflineQueue target, List<Runnable> reports) {
        List<Entry> loaded = log.recovered();
        queuedTotal.addAndGet(move(loaded, target, "it did not fit the offline queue it was loaded into", reports));
        if (!loaded.isEmpty()) {
            LOG.log(Level.INFO, () -> "MQTT client " + client.clientId() + ": loaded " + loaded.size()
                    + " message(s) from the offline queue in " + log.directory() + "; they are sent after connecting");
        }
    }

    // ------------------------------------------------------------------ the queue and its settings

    /** {@code setOfflineQueue}: a queue with new bounds; queued messages are kept when they fit. */
    public void resize(int maxMessages, long maxBytes, OverflowPolicy overflow) {
        List<Runnable> reports = new ArrayList<>();
        flushLock.lock(); // no flush takes from the old queue meanwhile
        try {
            OfflineQueue old = queue;
            OfflineQueue fresh = new OfflineQueue(maxMessages, maxBytes, overflow, old.log());
            queue = fresh; // first, so that no publish goes to the old queue after it was emptied
            move(old.take(Integer.MAX_VALUE), fresh, "it did not fit the resized offline queue", reports);
        } finally {
            flushLock.unlock();
        }
        reports.forEach(Runnable::run);
    }

    /** {@code setOfflineQueueDirectory}; see there. */
    public void useDirectory(Path directory) throws IOException {
        List<Runnable> reports = new ArrayList<>();
        flushLock.lock(); // no flush takes from the old queue meanwhile
        try {
            OfflineQueue old = queue;
            if (old.log() != null) {
                if (directory != null && old.log().directory().equals(directory.toAbsolutePath().normalize())) {
                    return;
                }
                throw new IllegalStateException("the offline queue of " + client.clientId() + " is already kept in "
                        + old.log().directory() + "; set the directory once, before connecting");
            }
            if (directory == null) {
                return;
            }
            QueueLog log = QueueLog.open(directory, segmentBytes(old.maxBytes()), QUEUE_SYNC_MILLIS);
            OfflineQueue fresh = new OfflineQueue(old.maxMessages(), old.maxBytes(), old.policy(), log);
            queue = fresh; // first, so that no publish goes to the old queue after it was emptied
            // those loaded count as queued; those queued in memory were counted when they came
            load(log, fresh, reports);
            move(old.take(Integer.MAX_VALUE), fresh, "it did not fit the offline queue", reports);
        } finally {
            flushLock.unlock();
        }
        reports.forEach(Runnable::run);
    }

    public Path directory() {
        QueueLog log = queue.log();
        return log == null ? null : log.directory();
    }

    /** Forces, closes and unlocks a durable queue's files (close, disconnect). */
    public void closeLog() {
        QueueLog log = queue.log();
        if (log != null) {
            log.close();
        }
    }

    /** Locks and opens a durable queue's files again (connect, start). */
    public void reopenLog() throws IOException {
        QueueLog log = queue.log();
        if (log != null) {
            log.reopen();
        }
    }

    /**
     * Offers {@code entries} to {@code target} in order; adds to {@code reports} the report of
     * what does not fit and what could not be written to disk (made by the caller without locks).
     *
     * @return how many were taken
     */
    private int move(List<Entry> entries, OfflineQueue target, String why, List<Runnable> reports) {
        List<Entry> lost = new ArrayList<>();
        List<Entry> unwritten = new ArrayList<>();
        IOException failure = null;
        for (Entry e : entries) {
            try {
                if (!target.offer(e, lost)) {
                    lost.add(e);
                }
            } catch (IOException io) {
                unwritten.add(e);
                failure = io;
            }
        }
        markSent(target, lost);
        for (Entry e : lost) {
            reports.add(() -> reportDropped(e, why));
        }
        String unwrittenWhy = failure == null ? null
                : "the offline queue on disk could not be written: " + failure.getMessage();
        for (Entry e : unwritten) {
            reports.add(() -> reportDropped(e, unwrittenWhy));
        }
        return entries.size() - lost.size() - unwritten.size();
    }

    public void setAckTimeout(int millis) {
        ackTimeoutMillis = millis;
    }

    int ackTimeoutMillis() {
        return ackTimeoutMillis;
    }

    String clientId() {
        return client.clientId();
    }

    public int queued() {
        return queue.size();
    }

    public long queuedTotal() {
        return queuedTotal.get();
    }

    public long resent() {
        return resent.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Messages dropped because their MQTT 5 message expiry interval passed in the queue (also in {@link #dropped()}). */
    public long expired() {
        return expired.get();
    }

    /** For tests: the wall clock that dates messages for their message expiry. */
    public void setClock(LongSupplier millis) {
        clock = millis;
    }

    /** A new message; dated when it has a message expiry interval. */
    private Entry newEntry(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties,
            RobustToken token) {
        long at = properties.messageExpiryInterval() == MqttProperties.NO_EXPIRY ? 0 : clock.getAsLong();
        return new Entry(topic, msg, qos, retain, 0, 0, token, false, properties, at);
    }

    // ------------------------------------------------------------------ publish

    private void checkOpen() throws IOException {
        if (reconnector.isClosed() && client.state() == ConnectionState.CLOSED) {
            throw new IOException("client " + client.clientId() + " is closed");
        }
    }

    /** {@code RobustMqttClient.publish}: arguments checked by the caller. */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        publish(topic, msg, retain, qos, MqttProperties.EMPTY);
    }

    /** {@code RobustMqttClient.publish} with MQTT 5 properties: arguments checked by the caller. */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        checkOpen();
        Entry entry = newEntry(topic, msg, retain, qos, properties, null);
        if (!client.isConnected() || !queue.isEmpty() || (qos > 0 && !reserve())) {
            enqueue(entry);
            afterQueueing();
            return;
        }
        int id = 0;
        PublishToken sent = null;
        try {
            sent = port.send(entry, entry.properties, false, 0);
            if (sent != null) {
                id = sent.packetId();
                port.awaitPuback(sent);
            }
        } catch (IOException e) {
            if (reconnector.isClosed() || isRefusal(e)) {
                throw e; // a refusal is the broker's answer: final, not queued for a resend
            }
            if (isTimeout(e)) {
                port.fail(e); // an ack that never comes: treat the connection as broken, resend on a new one
            }
            try {
                queue.requeue(List.of(entry.withStep(id, id != 0 && port.pubrecReceived(sent))));
            } catch (IOException notKept) {
                notKept.addSuppressed(e);
                throw notKept;
            }
            port.log(false, e);
            afterQueueing();
        } finally {
            if (qos > 0) {
                publishing.decrementAndGet();
            }
        }
    }

    /**
     * Reserves room for one direct QoS 1 or 2 send under the broker's MQTT 5 Receive Maximum (when
     * it announced one below 65,535; always granted otherwise, as on MQTT 3.1.1), counted in
     * {@link #publishing} until released. Refused while the queue is being sent or no room is
     * left: the message then goes through the queue, whose windows wait for room. Check and count
     * are one step under {@link #gate}, so that concurrent publishers and the flush's room never
     * together exceed it.
     */
    private boolean reserve() {
        int max = port.receiveMaximum();
        if (max >= NO_RECEIVE_MAXIMUM) {
            publishing.incrementAndGet();
            return true;
        }
        synchronized (gate) {
            if (flushLock.isLocked() || publishing.get() + async.unacked() >= max) {
                return false;
            }
            publishing.incrementAndGet();
            return true;
        }
    }

    /**
     * The room the broker's Receive Maximum leaves for a window of the queue next to the direct
     * sends awaiting their acks; waits for the oldest direct publishAsync ack while there is none.
     */
    private int roomForWindow() throws IOException {
        int max = port.receiveMaximum();
        if (max >= NO_RECEIVE_MAXIMUM) {
            return FLUSH_WINDOW;
        }
        while (true) {
            settle();
            int room;
            synchronized (gate) {
                room = max - publishing.get() - async.unacked();
            }
            if (room > 0) {
                return Math.min(FLUSH_WINDOW, room);
            }
            PublishToken oldest = async.oldestUnacked();
            if (oldest == null) {
                return 1; // only blocking publishes in flight: one at a time until they are acknowledged
            }
            try {
                port.awaitPuback(oldest);
            } catch (IOException e) {
                if (isTimeout(e) && !reconnector.isClosed()) {
                    port.fail(e); // as publish: an ack that never comes breaks the connection
                }
                throw e;
            }
        }
    }

    /**
     * {@code RobustMqttClient.publishAsync}: sends at once when connected and nothing waits in the
     * queue, else queues. Never reconnects on the caller's thread; it may send older queued
     * messages first when no other thread does.
     */
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        return publishAsync(topic, msg, retain, qos, MqttProperties.EMPTY);
    }

    /** {@code RobustMqttClient.publishAsync} with MQTT 5 properties; see {@link #publishAsync(byte[], byte[], boolean, int)}. */
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        checkOpen();
        settle();
        RobustToken token = new RobustToken(this, qos);
        async.opened(token);
        Entry entry = newEntry(topic, msg, retain, qos, properties, token);
        if (client.isConnected() && queue.isEmpty() && (qos == 0 || reserve())) {
            async.sending(entry); // before it is sent: a reconnect meanwhile settles it
            if (qos > 0) {
                publishing.decrementAndGet(); // counted as unacknowledged by the in-flight list from now on
            }
            try {
                PublishToken sent = port.send(entry, entry.properties, false, 0);
                if (sent == null) {
                    async.notInFlight(entry);
                    token.complete(); // QoS 0: written
                } else {
                    token.sent(sent);
                }
                return token;
            } catch (IllegalArgumentException e) { // MQTT 5: too large for the broker's Maximum Packet Size
                async.notInFlight(entry);
                token.fail(new IOException(e.getMessage(), e));
                throw e;
            } catch (IOException e) {
                async.notInFlight(entry);
                if (reconnector.isClosed()) {
                    token.fail(e);
                    throw e;
                }
                port.log(false, e); // not written: queued below, sent after the reconnect
            }
        }
        try {
            enqueue(entry);
        } catch (OfflineQueueFullException e) {
            token.fail(new OfflineQueueFullException("MQTT client " + client.clientId() + ": " + e.getMessage()));
            return token;
        } catch (IOException e) { // a durable queue that cannot be written: nothing was accepted
            token.fail(e);
            throw e;
        }
        sendQueued();
        return token;
    }

    /** Sends the queue when connected and no other thread does; a failure leaves it queued for the reconnect. */
    private void sendQueued() {
        if (!client.isConnected()) {
            return;
        }
        try {
            flushIfIdle();
        } catch (IOException e) {
            if (!reconnector.isClosed()) {
                port.log(false, e);
            }
        }
    }

    private static boolean isTimeout(IOException e) {
        return e instanceof MqttException && ((MqttException) e).reason() == Reason.TIMEOUT;
    }

    /**
     * Sends what waits in the queue when connected, or reconnects when the caller drives. A
     * failure here does not fail the publish: its message is queued, and goes out after the
     * reconnect.
     */
    private void afterQueueing() throws IOException {
        while (!reconnector.isClosed()) {
            try {
                if (client.isConnected()) {
                    flush();
                    return;
                }
                if (reconnector.callerDriven()) {
                    reconnector.reconnect(); // sends the queue once connected
                }
                return;
            } catch (IOException e) {
                if (reconnector.isClosed()) {
                    return;
                }
                port.log(false, e);
                if (!reconnector.callerDriven()) {
                    return; // the runForever thread reconnects and sends the queue
                }
            }
        }
    }

    private void enqueue(Entry e) throws IOException {
        List<Entry> lost = new ArrayList<>(0);
        OfflineQueue q = queue;
        if (!q.offer(e, lost)) {
            dropped.incrementAndGet();
            String why = "offline queue full (" + q.size() + "/" + q.maxMessages() + " messages, " + q.bytes() + "/"
                    + q.maxBytes() + " bytes, policy " + q.policy() + ")";
            reconnector.listener().messageDropped(e.topic, e.payload, e.qos, why);
            throw new OfflineQueueFullException("message to '" + new String(e.topic, StandardCharsets.UTF_8)
                    + "' refused: " + why);
        }
        queuedTotal.incrementAndGet();
        for (Entry d : lost) {
            reportDropped(d, "dropped as the oldest message of the full offline queue (policy DROP_OLDEST)");
        }
    }

    /** Puts messages back at the front; a token whose message cannot be kept fails. */
    void requeue(List<Entry> entries) throws IOException {
        for (Entry e : entries) {
            if (e.token != null) {
                e.token.queued();
            }
        }
        try {
            queue.requeue(entries);
        } catch (IOException e) {
            for (Entry en : entries) {
                if (en.token != null) {
                    en.token.fail(new IOException("MQTT client " + client.clientId() + ": the message to '"
                            + new String(en.topic, StandardCharsets.UTF_8) + "' could not be put back into the "
                            + "offline queue: " + e.getMessage(), e));
                }
            }
            throw e;
        }
    }

    /**
     * Tells the queue that messages it held were sent (QoS 0), acknowledged (QoS 1) or dropped,
     * so that a durable queue does not load them again. A failure to note it means that the next
     * run sends them once more (at least once), so it is logged, not thrown.
     */
    private void markSent(OfflineQueue q, List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        try {
            q.done(entries);
        } catch (IOException e) {
            LOG.log(Level.WARNING, () -> "MQTT client " + client.clientId() + ": " + entries.size() + " message(s) "
                    + "sent or dropped could not be removed from the offline queue on disk; a restart would send "
                    + "them again: " + e.getMessage());
        }
    }

    static void completeAll(List<Entry> entries) {
        for (Entry e : entries) {
            if (e.token != null) {
                e.token.complete();
            }
        }
    }

    private void reportDropped(Entry e, String why) {
        dropped.incrementAndGet();
        String topic = new String(e.topic, StandardCharsets.UTF_8);
        LOG.log(Level.WARNING, () -> "MQTT client " + client.clientId() + ": message to '" + topic + "' ("
                + e.payload.length + " bytes, QoS " + e.qos + ") " + why);
        if (e.token != null) {
            e.token.fail(new OfflineQueueFullException("MQTT client " + client.clientId() + ": message to '" + topic
                    + "' " + why));
        }
        reconnector.listener().messageDropped(e.topic, e.payload, e.qos, why);
    }

    // ------------------------------------------------------------------ sending the queue

    /** Sends the queue when no other thread does; that thread sends what is queued meanwhile. */
    private void flushIfIdle() throws IOException {
        while (client.isConnected() && !queue.isEmpty() && flushLock.tryLock()) {
            try {
                flushHeld();
            } finally {
                flushLock.unlock();
            }
        }
    }

    /**
     * Sends the offline queue in order, QoS 1 messages pipelined in windows. On failure, what was
     * not acknowledged goes back to the front of the queue (with packet ids, for DUP resends).
     */
    public void flush() throws IOException {
        flushLock.lock();
        try {
            flushHeld();
        } finally {
            flushLock.unlock();
        }
        flushIfIdle(); // what a publishAsync queued while this thread was about to let go
    }

    /** {@link #settle()} the publishAsync messages of a lost connection, then {@link #flush()}: on a new connection. */
    public void resend() throws IOException {
        settle();
        flush();
    }

    private void flushHeld() throws IOException {
        OfflineQueue q = queue;
        while (client.isConnected() && !q.isEmpty()) {
            long now = clock.getAsLong();
            boolean kept = reconnector.sessionPresent();
            List<Entry> batch = dropExpired(q, q.take(roomForWindow()), kept, now);
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
                            if (!isRefusal(refusal)) {
                                throw refusal;
                            }
                            failed[acked] = refusal; // the broker answered: final, never resent
                        }
                        if (batch.get(acked).qos == 2) {
                            qos2OnDisk.remove(sent[acked].packetId(), batch.get(acked).seq);
                        }
                    }
                }
                markSent(q, batch);
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
                markSent(q, gone);
                settleSent(gone, failedOf(batch, failed, gone), gone.size());
                requeue(back); // all of them are on disk already when the queue is durable
                if (!reconnector.isClosed() && isTimeout(e)) {
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
            dropped.incrementAndGet();
            String topic = new String(e.topic, StandardCharsets.UTF_8);
            String reason = (isRefusal(why) ? "refused by the broker: " : "not sent: ") + why.getMessage();
            LOG.log(Level.WARNING, () -> "MQTT client " + client.clientId() + " to " + client.server() + ":"
                    + client.port() + ": queued message to '" + topic + "' (" + e.payload.length + " bytes, QoS " + e.qos
                    + ") " + reason + "; dropped, not sent again");
            if (e.token != null) {
                e.token.fail(why);
            }
            reconnector.tell("messageDropped", l -> l.messageDropped(e.topic, e.payload, e.qos, reason));
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

    /** An MQTT 5 refusal of a publish by the broker (PUBACK/PUBREC reason code 0x80 or more): final. */
    static boolean isRefusal(IOException e) {
        return e instanceof MqttException && ((MqttException) e).reason() == Reason.PUBLISH_REFUSED;
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
        markSent(q, gone);
        for (Entry e : gone) {
            reportExpired(e, now);
        }
        return left;
    }

    private void reportExpired(Entry e, long now) {
        expired.incrementAndGet();
        dropped.incrementAndGet();
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
        reconnector.tell("messageDropped", l -> l.messageDropped(e.topic, e.payload, e.qos, why));
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
    public void pubrecReceived(int packetId) throws IOException {
        Long seq = qos2OnDisk.get(packetId);
        QueueLog log = queue.log();
        if (seq != null && log != null) {
            log.step(seq, packetId, true);
        }
    }

    // ------------------------------------------------------------------ publishAsync tokens

    /** Whether the PUBREC of the QoS 2 publish {@code sent} was read. */
    boolean pubrecReceived(PublishToken sent) {
        return port.pubrecReceived(sent);
    }

    /** See {@link AsyncPublishes#settle()}. */
    void settle() {
        async.settle();
    }

    /**
     * One step for a thread awaiting {@code token}: reads its PUBACK when it is in flight, or
     * reconnects (which sends the queue) when the caller drives and the connection is down.
     *
     * @return false when there is nothing to do but wait for another thread
     */
    boolean advance(RobustToken token) throws IOException {
        if (token.isDone()) {
            return true; // its PUBACK was read
        }
        PublishToken h = token.inFlight();
        if (h != null && !h.isDone()) {
            try {
                port.awaitPuback(h);
            } catch (IOException e) {
                if (isTimeout(e) && !reconnector.isClosed()) {
                    port.fail(e); // as publish: an ack that never comes breaks the connection; resent on the next
                }
            }
            token.isDone();
            settle();
            return true;
        }
        settle();
        if (h != null || token.finished() || reconnector.isClosed() || !reconnector.callerDriven()) {
            return false; // the thread that sent it completes it, or the runForever thread sends it
        }
        if (!client.isConnected()) {
            reconnector.reconnect(); // sends the queue
            return true;
        }
        if (!queue.isEmpty() && !flushLock.isLocked()) {
            sendQueued();
            return true;
        }
        return false;
    }

    /** A token complete or failed: no longer open. */
    void forget(RobustToken token) {
        async.forget(token);
    }

    /** See {@link AsyncPublishes#closed()}. */
    public void closed() {
        async.closed();
    }
}
