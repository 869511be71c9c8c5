package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import io.umqtt.robust.OfflineQueueFullException;
import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.MqttClient;

/**
 * The {@link OfflineQueue} of an {@link Outbox} and its bridge to the disk: the queue is built
 * once from the bounds given at construction (in memory, or kept in a directory by a
 * {@link QueueLog} whose messages of an earlier run are loaded first) and replaced only by the
 * deprecated setters ({@link #resize}, {@link #useDirectory}). Messages go in through
 * {@link #enqueue} (new ones, by the overflow policy) and {@link #requeue} (back to the front);
 * {@link #markSent} notes on disk what left the queue. It reports what the queue drops (log,
 * listener, the message's token) and counts what was queued and dropped.
 * <p>
 * Threading and locks: called by publishing threads and by the thread that sends the queue. The
 * queue is replaced only while the outbox's flush lock is held (taken here by the setters), so
 * that no flush takes from a queue being replaced; {@link #closeLog()} takes it too (bounded), so
 * that the sending thread's last DONE records reach the log before it is closed; readers take the current queue from a volatile
 * field. Below the flush lock come the queue's monitor and then its log's, each held by their own
 * methods only. No lock is held here while the listener is told: the setters collect their
 * reports and make them after the flush lock is released.
 */
final class QueueStore {
    private static final System.Logger LOG = System.getLogger(Outbox.LOGGER);
    /** A durable queue forces its file to the device at most this often while messages are queued. */
    private static final long QUEUE_SYNC_MILLIS = 1_000;
    /** Smallest and largest segment file of a durable queue; between them, an eighth of the byte bound. */
    private static final long MIN_SEGMENT_BYTES = 64 * 1024;
    private static final long MAX_SEGMENT_BYTES = 8L * 1024 * 1024;
    /** {@link #closeLog()} waits at most this long for the thread sending the queue to note what it completed. */
    static final long CLOSE_WAIT_MILLIS = 5_000;

    private final MqttClient client;
    private final Reconnector reconnector;
    /** The outbox's flush lock: one thread sends the queue; the setters replace it under this lock. */
    private final ReentrantLock flushLock;
    /** Replaced only while {@link #flushLock} is held (by the deprecated setters). */
    private volatile OfflineQueue queue;
    private final AtomicLong queuedTotal = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    /**
     * The queue of {@code client}: in memory, or kept in {@code directory}, whose messages of an
     * earlier run are loaded first.
     *
     * @throws IOException naming the directory when it cannot be used
     */
    QueueStore(MqttClient client, Reconnector reconnector, ReentrantLock flushLock, int maxMessages, long maxBytes,
            OverflowPolicy overflow, Path directory) throws IOException {
        this.client = client;
        this.reconnector = reconnector;
        this.flushLock = flushLock;
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

    /** The queue now; a deprecated setter may replace it (see the class documentation). */
    OfflineQueue queue() {
        return queue;
    }

    // ------------------------------------------------------------------ the deprecated setters

    /** {@code setOfflineQueue}: a queue with new bounds; queued messages are kept when they fit. */
    void resize(int maxMessages, long maxBytes, OverflowPolicy overflow) {
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
    void useDirectory(Path directory) throws IOException {
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

    /** The directory of a durable queue, or null. */
    Path directory() {
        QueueLog log = queue.log();
        return log == null ? null : log.directory();
    }

    /**
     * Forces, closes and unlocks a durable queue's files (close, disconnect), once the thread
     * sending the queue, if any, has noted on disk what its connection completed (the DONE records
     * of the flows acknowledged before the connection closed: without them a restart would send
     * those messages again, at QoS 2 a second delivery). The caller has closed the connection, so
     * that thread's waits end at once; it is waited for at most {@link #CLOSE_WAIT_MILLIS}.
     */
    void closeLog() {
        if (queue.log() == null) {
            return;
        }
        boolean locked = false;
        String why = "did not finish within " + CLOSE_WAIT_MILLIS + " ms";
        try {
            locked = flushLock.tryLock(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "was not waited for: the closing thread was interrupted";
        }
        try {
            QueueLog log = queue.log();
            if (!locked) {
                String reason = why;
                LOG.log(Level.WARNING, () -> "MQTT client " + client.clientId() + ": the thread sending the offline "
                        + "queue " + reason + "; closing " + log.directory() + " anyway: messages acknowledged "
                        + "meanwhile may be sent again after a restart");
            }
            log.close();
        } finally {
            if (locked) {
                flushLock.unlock();
            }
        }
    }

    /** Locks and opens a durable queue's files again (connect, start). */
    void reopenLog() throws IOException {
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

    // ------------------------------------------------------------------ counts

    int queued() {
        return queue.size();
    }

    long queuedTotal() {
        return queuedTotal.get();
    }

    long dropped() {
        return dropped.get();
    }

    /** One more message dropped after it left the queue (refused, too large, expired). */
    void countDropped() {
        dropped.incrementAndGet();
    }

    // ------------------------------------------------------------------ in and out

    /**
     * Adds a new message by the queue's overflow policy; the messages it pushes out are reported.
     *
     * @throws OfflineQueueFullException when the policy refuses it (counted and reported)
     * @throws IOException when a durable queue cannot be written: nothing was accepted
     */
    void enqueue(Entry e) throws IOException {
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
    void markSent(OfflineQueue q, List<Entry> entries) {
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
}
