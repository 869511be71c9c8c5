package io.umqtt.robust.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.robust.OfflineQueueFullException;
import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;

/**
 * The publishing side of a robust client: {@code publish} and {@code publishAsync}, which send
 * directly when connected and nothing waits, else queue; sending the queue once connected; the
 * {@link RobustToken}s that follow {@code publishAsync} messages. It wires its parts and is what
 * the facade and the tokens call:
 * <ul>
 * <li>{@link QueueStore}: the bounded {@link OfflineQueue} (built once, from the bounds given at
 * construction), its {@link QueueLog} on disk, the deprecated setters, drops and their reports;</li>
 * <li>{@link QueueSender}: sending the queue in order, in windows, with resends, QoS 2 steps and
 * message expiry, putting back what a lost connection did not deliver;</li>
 * <li>{@link ReceiveWindow}: the broker's MQTT 5 Receive Maximum over direct sends and windows;</li>
 * <li>{@link AsyncPublishes}: the open {@code publishAsync} tokens and their direct sends in flight.</li>
 * </ul>
 * <p>
 * Locks, in this order: {@link #flushLock} (one thread sends the queue at a time, and the
 * deprecated setters replace the queue under it; held across the client's writes and PUBACK
 * waits, so also before the simple client's locks; shared with the parts), then the monitor of
 * its {@link AsyncPublishes} (a leaf), or the queue's and then its log's own monitors. The
 * {@link ReceiveWindow} gate (check and reserve in one step) is taken alone or under
 * {@link #flushLock}, and holds nothing but the {@link AsyncPublishes} monitor.
 */
public final class Outbox {
    /** The parts log under the client's name, as before they were split out of it. */
    static final String LOGGER = "io.umqtt.robust.RobustMqttClient";
    /**
     * Threads that send the queue for a {@link #publishAsync} that had to queue, whose caller must
     * not wait for acks: shared by every outbox, made on demand, ended after 10 s idle.
     */
    private static final ThreadPoolExecutor FLUSHERS = flushers();

    private final MqttClient client;
    private final ClientPort port;
    private final Reconnector reconnector;
    private final ReentrantLock flushLock = new ReentrantLock();
    /** A {@link #FLUSHERS} task for this outbox is submitted and has not started yet: no second one. */
    private final AtomicBoolean flushScheduled = new AtomicBoolean();
    private final QueueStore store;
    private final AsyncPublishes async;
    private final ReceiveWindow window;
    private final QueueSender sender;
    private volatile int ackTimeoutMillis = MqttClient.DEFAULT_ACK_TIMEOUT_MILLIS;
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
        this.store = new QueueStore(client, reconnector, flushLock, maxMessages, maxBytes, overflow, directory);
        this.window = new ReceiveWindow(port, reconnector, async, flushLock);
        this.sender = new QueueSender(client, port, reconnector, store, window, () -> clock.getAsLong());
    }

    // ------------------------------------------------------------------ the queue and its settings

    /** {@code setOfflineQueue}: a queue with new bounds; queued messages are kept when they fit. */
    public void resize(int maxMessages, long maxBytes, OverflowPolicy overflow) {
        store.resize(maxMessages, maxBytes, overflow);
    }

    /** {@code setOfflineQueueDirectory}; see there. */
    public void useDirectory(Path directory) throws IOException {
        store.useDirectory(directory);
    }

    public Path directory() {
        return store.directory();
    }

    /** Forces, closes and unlocks a durable queue's files (close, disconnect). */
    public void closeLog() {
        store.closeLog();
    }

    /** Locks and opens a durable queue's files again (connect, start). */
    public void reopenLog() throws IOException {
        store.reopenLog();
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
        return store.queued();
    }

    public long queuedTotal() {
        return store.queuedTotal();
    }

    public long resent() {
        return sender.resent();
    }

    public long dropped() {
        return store.dropped();
    }

    /** Messages dropped because their MQTT 5 message expiry interval passed in the queue (also in {@link #dropped()}). */
    public long expired() {
        return sender.expired();
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
        if (!client.isConnected() || !store.queue().isEmpty() || (qos > 0 && !window.reserve())) {
            store.enqueue(entry);
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
                store.queue().requeue(List.of(entry.withStep(id, id != 0 && port.pubrecReceived(sent))));
            } catch (IOException notKept) {
                notKept.addSuppressed(e);
                throw notKept;
            }
            port.log(false, e);
            afterQueueing();
        } finally {
            if (qos > 0) {
                window.release();
            }
        }
    }

    /**
     * {@code RobustMqttClient.publishAsync}: sends at once when connected and nothing waits in the
     * queue, else queues. Never reconnects or waits for an ack on the caller's thread: what
     * queued is sent by the thread sending the queue, or else by a shared flusher thread.
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
        if (client.isConnected() && store.queue().isEmpty() && (qos == 0 || window.reserve())) {
            async.sending(entry); // before it is sent: a reconnect meanwhile settles it
            if (qos > 0) {
                window.release(); // counted as unacknowledged by the in-flight list from now on
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
            store.enqueue(entry);
        } catch (OfflineQueueFullException e) {
            token.fail(new OfflineQueueFullException("MQTT client " + client.clientId() + ": " + e.getMessage()));
            return token;
        } catch (IOException e) { // a durable queue that cannot be written: nothing was accepted
            token.fail(e);
            throw e;
        }
        sendQueuedElsewhere();
        return token;
    }

    /**
     * After a {@link #publishAsync} queued: sends the queue on a {@link #FLUSHERS} thread when
     * connected and no thread sends it (one that does sends what is queued meanwhile), never on
     * the caller's, where sending the queue waits for its acks. At most one task per outbox waits to
     * start (a burst of queued publishes would otherwise start a thread each before the first took
     * the lock); it sends all that is queued when it runs.
     */
    private void sendQueuedElsewhere() {
        if (client.isConnected() && !flushLock.isLocked() && flushScheduled.compareAndSet(false, true)) {
            FLUSHERS.execute(() -> {
                flushScheduled.set(false); // what queues from now on schedules again, or is sent by this run
                sendQueued();
            });
        }
    }

    private static ThreadPoolExecutor flushers() {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "umqtt-queue-flush-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
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

    /** A PUBACK (or other ack) that did not come in time: the connection is treated as broken. */
    static boolean isTimeout(IOException e) {
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

    /** Puts messages back at the front; a token whose message cannot be kept fails. */
    void requeue(List<Entry> entries) throws IOException {
        store.requeue(entries);
    }

    static void completeAll(List<Entry> entries) {
        for (Entry e : entries) {
            if (e.token != null) {
                e.token.complete();
            }
        }
    }

    // ------------------------------------------------------------------ sending the queue

    /** Sends the queue when no other thread does; that thread sends what is queued meanwhile. */
    private void flushIfIdle() throws IOException {
        while (client.isConnected() && !store.queue().isEmpty() && flushLock.tryLock()) {
            try {
                flushHeld();
            } finally {
                unlockAndTell();
            }
        }
    }

    /** Releases {@link #flushLock}; once no longer held by this thread, tells the listener the drops of the flush. */
    private void unlockAndTell() {
        flushLock.unlock();
        if (!flushLock.isHeldByCurrentThread()) {
            sender.tellReports();
        }
    }

    /** Whether this thread holds the flush lock (for tests: the listener is never called under it). */
    boolean flushingOnThisThread() {
        return flushLock.isHeldByCurrentThread();
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
            unlockAndTell();
        }
        flushIfIdle(); // what a publishAsync queued while this thread was about to let go
    }

    /** {@link #settle()} the publishAsync messages of a lost connection, then {@link #flush()}: on a new connection. */
    public void resend() throws IOException {
        settle();
        flush();
    }

    /** Sends what is queued, the caller holding {@link #flushLock}: see {@link QueueSender#sendHeld()}. */
    private void flushHeld() throws IOException {
        sender.sendHeld();
    }

    /** An MQTT 5 refusal of a publish by the broker (PUBACK/PUBREC reason code 0x80 or more): final. */
    static boolean isRefusal(IOException e) {
        return e instanceof MqttException && ((MqttException) e).reason() == Reason.PUBLISH_REFUSED;
    }

    /**
     * The reader read the PUBREC of our QoS 2 publish {@code packetId}; before its PUBREL goes out,
     * a queued message on disk gets its STEP record (PUBREC read), so that after a crash it resumes
     * at PUBREL and is never published twice. A failure is thrown: no PUBREL is sent then.
     */
    public void pubrecReceived(int packetId) throws IOException {
        sender.pubrecReceived(packetId);
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
        if (!store.queue().isEmpty() && !flushLock.isLocked()) {
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
