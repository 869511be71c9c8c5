package io.umqtt.robust;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.api.UserProperty;
import io.umqtt.robust.internal.Outbox;
import io.umqtt.robust.internal.Reconnector;
import io.umqtt.robust.internal.RobustArguments;
import io.umqtt.robust.internal.Subscriptions;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.TlsSettings;

/**
 * umqtt.robust in Java: an {@link MqttClient} whose {@code publish}, {@code publishAsync},
 * {@code waitMsg} and {@code checkMsg} survive network errors: it reconnects with backoff
 * ({@link ReconnectPolicy}), restores subscriptions, resends unfinished QoS 1/2 flows, queues
 * publishes made while disconnected ({@link OfflineQueueSettings}, optionally on disk) and fails
 * over between servers. Driven by its callers like umqtt.robust, or by a thread
 * ({@link #runForever()}, {@link #start(String)}). The hooks {@link #delay(int)},
 * {@link #log(boolean, Throwable)} and {@link #connect(boolean, int)} may be overridden. The full
 * contract: docs/robust-client.md.
 * <p>
 * Threading: any thread may call it. The parts in {@code io.umqtt.robust.internal} do the work
 * (reconnector, outbox, subscriptions; their locks come before the simple client's, in the order of
 * docs/ARCHITECTURE.md, "Robust client: parts, threads and lock order"). The
 * {@link RobustListener} is called without any of them; what it throws is logged and ignored
 * (except by {@code messageDropped}, called on the publishing thread).
 */
public class RobustMqttClient extends DrivenMqttClient {
    /** Default offline queue: 10,000 messages, 10 MiB, dropping the oldest. */
    public static final int DEFAULT_QUEUE_MESSAGES = 10_000;
    /** The default offline queue's bound in bytes, 10 MiB. */
    public static final long DEFAULT_QUEUE_BYTES = 10L * 1024 * 1024;
    /**
     * The connect timeout unless {@link #setConnectTimeout(int)} sets another: 10 s (the simple
     * client's is 30 s), so that an attempt lost in a network blackhole is retried soon.
     *
     * @since 1.3
     */
    public static final int DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS = 10_000;
    /**
     * A connection counts as stable, resetting the backoff, once it stayed up
     * {@code max(keepalive, 10 s)}, unless {@link ReconnectPolicy#withStableAfter(long)} says otherwise.
     *
     * @since 1.3
     */
    public static final long DEFAULT_STABLE_AFTER_MILLIS = 10_000;

    private final Reconnector reconnector = new Reconnector(this, view, keepAliveSeconds());
    private final Subscriptions subscriptions = new Subscriptions(this, view, reconnector);
    private final Outbox outbox;
    private volatile boolean cleanSession = true;
    private volatile int connectTimeoutMillis = DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS;
    /** Set while the reconnect loop runs the {@code connect} hook: its Clean Start is the loop's (MQTT 5). */
    private volatile boolean inAttemptLoop;

    /** As the simple client's constructor, with the offline queue {@link OfflineQueueSettings#DEFAULT}. */
    public RobustMqttClient(String clientId, String server, int port, String user, String password,
            int keepAliveSeconds, TlsSettings tls) {
        super(clientId, server, port, user, password, keepAliveSeconds, tls);
        super.setConnectTimeout(DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS);
        try {
            outbox = newOutbox(OfflineQueueSettings.DEFAULT);
        } catch (IOException e) {
            throw new AssertionError("an offline queue in memory does no I/O", e);
        }
    }

    /**
     * As {@link MqttClient#MqttClient(String, String, int, String, String, int, TlsSettings)}, with
     * the offline queue {@code queue}, built once, here: a queue kept in a directory is opened,
     * locked and loaded now ({@link OfflineQueueSettings#withDirectory(Path)}).
     *
     * @throws IOException naming the directory when it cannot be created, is not a writable
     *         directory, or another client uses it
     * @throws IllegalArgumentException when {@code queue} is null
     * @since 1.4
     */
    public RobustMqttClient(String clientId, String server, int port, String user, String password,
            int keepAliveSeconds, TlsSettings tls, OfflineQueueSettings queue) throws IOException {
        super(clientId, server, port, user, password, keepAliveSeconds, tls);
        super.setConnectTimeout(DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS);
        if (queue == null) {
            throw new IllegalArgumentException("offline queue settings of " + clientId + " must not be null");
        }
        outbox = newOutbox(queue);
    }

    /** A client for a broker without TLS or user; keepalive 60 s. */
    public RobustMqttClient(String clientId, String server, int port) {
        this(clientId, server, port, null, null, 60, null);
    }

    private Outbox newOutbox(OfflineQueueSettings q) throws IOException {
        return new Outbox(this, view, reconnector, q.maxMessages(), q.maxBytes(), q.overflow(), q.directory());
    }

    /**
     * Sets the backoff, in force from the next (unsuccessful) attempt.
     *
     * @throws IllegalArgumentException when {@code policy} is null
     */
    public void setReconnectPolicy(ReconnectPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        reconnector.setPolicy(policy);
    }

    /** The backoff in force ({@link ReconnectPolicy#DEFAULT} unless set). */
    public ReconnectPolicy reconnectPolicy() {
        return reconnector.policy();
    }

    /**
     * Sets the offline queue's bounds and overflow policy; queued messages are kept when they fit.
     *
     * @param maxMessages 0 disables queueing (publishes while disconnected are refused)
     * @deprecated give the bounds at construction ({@link OfflineQueueSettings}): built once
     */
    @Deprecated(since = "1.4")
    public void setOfflineQueue(int maxMessages, long maxBytes, OverflowPolicy overflow) {
        OfflineQueueSettings.of(maxMessages, maxBytes, overflow); // the same checks
        outbox.resize(maxMessages, maxBytes, overflow);
    }

    /**
     * Keeps the offline queue on disk in {@code directory} (created if needed) and loads what it
     * holds; call it before connecting ({@link OfflineQueueSettings#withDirectory(Path)}).
     *
     * @param directory null keeps the queue in memory only (the default)
     * @throws IOException naming the directory when it is unusable or another client uses it
     * @throws IllegalStateException when a directory is already set
     * @since 1.2
     * @deprecated give the directory at construction ({@link OfflineQueueSettings#withDirectory(Path)})
     */
    @Deprecated(since = "1.4")
    public void setOfflineQueueDirectory(Path directory) throws IOException {
        outbox.useDirectory(directory);
    }

    /**
     * The directory the offline queue is kept in, or null when it is in memory only.
     *
     * @since 1.2
     */
    public Path offlineQueueDirectory() {
        return outbox.directory();
    }

    /**
     * The clean session flag for {@link #reconnect()} and {@link #runForever()} (default on);
     * {@link #connect(boolean)} sets it too.
     *
     * @throws IllegalArgumentException for {@code false} when the client id is empty on MQTT 3.1.1 (MQTT-3.1.3-7):
     *         every connect would be refused, so it is refused here, once (MQTT 5 allows it: set the version first)
     */
    public void setCleanSession(boolean cleanSession) {
        RobustArguments.requireIdForSession(this, cleanSession);
        this.cleanSession = cleanSession;
    }

    /** Receives connection events and drops; null for none. */
    public void setListener(RobustListener listener) {
        reconnector.setListener(listener);
    }

    /**
     * Adds a failover server, tried after the primary one and those added before, in order.
     *
     * @param port 0 for the default port
     * @throws IllegalArgumentException for a blank server or a port outside 0..65535
     */
    public void addFailoverServer(String server, int port) {
        RobustArguments.checkServer(server, port);
        reconnector.addServer(server.trim(), port);
    }

    /**
     * Timeout for TCP connect, TLS handshake and CONNACK together, {@value #DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS}
     * ms unless set; a reconnect policy's own connect timeout takes precedence
     * ({@link #connectAttemptTimeoutMillis()}).
     */
    @Override
    public void setConnectTimeout(int millis) {
        super.setConnectTimeout(millis);
        connectTimeoutMillis = millis;
    }

    /** As the simple client's; also bounds each wait of a {@link #publishAsync} token's {@code await()}. */
    @Override
    public void setAckTimeout(int millis) {
        super.setAckTimeout(millis);
        outbox.setAckTimeout(millis);
    }

    /**
     * The connect timeout of every attempt: the reconnect policy's when it has one, else the client's.
     *
     * @since 1.3
     */
    public int connectAttemptTimeoutMillis() {
        int p = reconnector.policy().connectTimeoutMillis();
        return p > 0 ? p : connectTimeoutMillis;
    }

    /** Successful reconnects after a loss. */
    public long reconnects() {
        return reconnector.reconnects();
    }

    /** Connect attempts made, successful or not. */
    public long connectAttempts() {
        return reconnector.connectAttempts();
    }

    /** Messages put in the offline queue so far. */
    public long queuedTotal() {
        return outbox.queuedTotal();
    }

    /** Messages in the offline queue now. */
    public int queued() {
        return outbox.queued();
    }

    /** QoS 1 and 2 messages sent again (or resumed at PUBREL) after a reconnect because their flow had not ended. */
    public long resent() {
        return outbox.resent();
    }

    /** Messages dropped or refused by the offline queue (also those whose MQTT 5 message expiry passed). */
    public long dropped() {
        return outbox.dropped();
    }

    /**
     * MQTT 5: queued messages dropped because their message expiry interval passed (in {@link #dropped()} too).
     *
     * @since 1.7
     */
    public long expired() {
        return outbox.expired();
    }

    /** The Session Present flag of the last successful connect. */
    public boolean sessionPresent() {
        return reconnector.sessionPresent();
    }

    /** {@link #connect(boolean, int)} within {@link #connectAttemptTimeoutMillis()}. */
    @Override
    public boolean connect(boolean cleanSession) throws IOException {
        return connect(cleanSession, connectAttemptTimeoutMillis());
    }

    /**
     * Connects once (no retry, like umqtt), remembers {@code cleanSession} for reconnects, then
     * restores subscriptions and sends the offline queue; the {@code connect} hook of the
     * reconnect loop. A failure after the broker accepted the connection closes it ({@code LOST}),
     * reports its loss and is thrown (docs/robust-client.md, "Connecting").
     *
     * @throws IllegalArgumentException for {@code cleanSession} false with an empty client id on MQTT 3.1.1
     *         (MQTT-3.1.3-7): nothing is sent, and the flag for reconnects stays as it was
     */
    @Override
    public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        RobustArguments.requireIdForSession(this, cleanSession); // before it is remembered for the reconnects
        if (!inAttemptLoop) {
            this.cleanSession = cleanSession; // the reconnect loop's own Clean Start (MQTT 5) is not the configured one
        }
        reconnector.beforeConnect(outbox::reopenLog);
        boolean sessionPresent = super.connect(cleanSession, timeoutMillis);
        reconnector.accepted(sessionPresent, sp -> {
            subscriptions.restore(sp);
            subscriptionsRestored(sp);
            reconnector.tell("connected", l -> l.connected(server(), port(), sp));
            outbox.resend();
        });
        return sessionPresent;
    }

    @Override
    void connectAttempt(String host, int p) throws IOException {
        setServer(host, p);
        boolean clean = reconnector.cleanStart(cleanSession);
        inAttemptLoop = true;
        try {
            connect(clean);
        } finally {
            inAttemptLoop = false;
        }
    }

    /**
     * Called on the connecting thread once the broker accepted a connection and the remembered
     * subscriptions are restored, before the listener hears {@link RobustListener#connected} and
     * the offline queue is sent; does nothing by default (docs/robust-client.md, "Connecting").
     *
     * @param sessionPresent the broker's session-present flag of this connection
     * @throws IOException when a subscription cannot be made; the connection is then closed
     */
    protected void subscriptionsRestored(boolean sessionPresent) throws IOException {
        // nothing by default
    }

    /** Records in a durable queue that a queued QoS 2 message's PUBREC was read (docs/qos2.md). */
    @Override
    protected void beforePubrel(InFlight flow) throws IOException {
        outbox.pubrecReceived(flow.packetId());
    }

    /**
     * Connects, retrying with backoff until it succeeds, the policy's attempts are used up, or the
     * client is closed; returns at once when connected. Several threads may call it: one
     * connects, the others wait for it (docs/robust-client.md, "Backoff and losses").
     *
     * @throws IOException when the client was closed or the attempts are used up (nothing else leaves it)
     */
    public void reconnect() throws IOException {
        reconnector.reconnect();
    }

    /** The backoff after unsuccessful attempt {@code attempt} (1-based, in a row), with jitter. */
    @Override
    protected long backoffMillis(int attempt) {
        return reconnector.backoffMillis(attempt);
    }

    /**
     * umqtt.robust's {@code delay(i)} hook, before an attempt that follows {@code attempt} unsuccessful
     * ones: waits until {@link #backoffMillis(int)} after the start of the last; returns early on close.
     */
    @Override
    protected void delay(int attempt) throws InterruptedIOException {
        reconnector.awaitBackoff();
    }

    /** umqtt.robust's {@code log(in_reconnect, e)} hook; refusals (credentials, authorisation) are logged as errors. */
    @Override
    protected void log(boolean inReconnect, Throwable e) {
        reconnector.logFailure(inReconnect, e);
    }

    /**
     * Connects and runs the loop on the calling thread until {@link #close()} or {@link #disconnect()},
     * reconnecting after every loss and failure (docs/robust-client.md, "runForever and start").
     *
     * @throws IOException when the policy's attempts are used up (after {@link RobustListener#gaveUp})
     */
    public void runForever() throws IOException {
        reconnector.runForever(outbox::resend, this::loop);
    }

    /**
     * Starts a thread named {@code name} that runs {@link #runForever()}; when this returns, the
     * client already counts as thread-driven. A failure that ends the thread is logged.
     *
     * @throws IllegalStateException when a durable queue cannot be opened again
     */
    public Thread start(String name) {
        return reconnector.start(name, outbox::reopenLog, this::runForever);
    }

    /**
     * Stops reconnecting, sends DISCONNECT if connected, closes. Queued messages stay queued (a
     * durable queue's files are forced, closed and unlocked); open {@link #publishAsync} tokens fail.
     */
    @Override
    public void disconnect() throws IOException {
        reconnector.stop();
        try {
            super.disconnect();
        } finally {
            outbox.closed();
            outbox.closeLog();
        }
    }

    /** As {@link #disconnect()}, without DISCONNECT (the last will is published). */
    @Override
    public void close() {
        reconnector.stop();
        super.close();
        outbox.closed();
        outbox.closeLog();
    }

    /**
     * Publishes; returns when a QoS 1/2 message was acknowledged or, when the connection is down
     * or fails meanwhile, queued for sending after the reconnect (caller-driven: reconnects first).
     *
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws OfflineQueueFullException when the queue refuses it ({@link OverflowPolicy#REJECT_NEWEST})
     */
    @Override
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        checkPublishArguments(topic, msg, qos);
        outbox.publish(topic, msg, retain, qos);
    }

    /**
     * MQTT 5: {@link #publish(byte[], byte[], boolean, int)} with PUBLISH properties, kept through
     * the queue and every resend (docs/robust-client.md, "MQTT 5 publishing").
     *
     * @param properties null or {@link MqttProperties#EMPTY} for none
     * @throws IllegalArgumentException also for properties on MQTT 3.1.1 or with subscription identifiers
     * @throws io.umqtt.api.MqttException PUBLISH_REFUSED when the broker refused a message sent directly
     * @since 1.7
     */
    @Override
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        checkPublishArguments(topic, msg, qos);
        outbox.publish(topic, msg, retain, qos, RobustArguments.publishProperties(this, properties));
    }

    /**
     * MQTT 5: {@link #publishAsync(byte[], byte[], boolean, int)} with PUBLISH properties; the
     * token also fails with {@link MessageExpiredException} when the message expired in the queue,
     * and with the broker's refusal ({@code PUBLISH_REFUSED}).
     *
     * @throws IllegalArgumentException as {@link #publish(byte[], byte[], boolean, int, MqttProperties)}
     * @since 1.7
     */
    @Override
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        checkPublishArguments(topic, msg, qos);
        return outbox.publishAsync(topic, msg, retain, qos, RobustArguments.publishProperties(this, properties));
    }

    /**
     * Publishes without waiting (never reconnects on the calling thread): sends when connected and
     * nothing is queued, else queues. The token completes when the message was written (QoS 0) or
     * acknowledged, and fails only when the queue's {@link OverflowPolicy} drops it
     * ({@link OfflineQueueFullException}) or the client is closed first (docs/robust-client.md).
     *
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws IOException when the client is closed: nothing was accepted
     * @since 1.4 (refused with {@code UnsupportedOperationException} before)
     */
    @Override
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        checkPublishArguments(topic, msg, qos);
        return outbox.publishAsync(topic, msg, retain, qos);
    }

    /**
     * Subscribes and remembers the subscription, restored when a reconnect finds no session
     * (when not connected: docs/robust-client.md, "Subscriptions").
     */
    @Override
    public int subscribe(String filter, int qos) throws IOException {
        TopicFilter.parse(filter);
        checkQos(qos);
        return subscriptions.subscribe(filter, qos);
    }

    /** Forgets the subscription and unsubscribes; when disconnected, it is removed on the next connect. */
    @Override
    public void unsubscribe(String filter) throws IOException {
        TopicFilter.parse(filter);
        subscriptions.unsubscribe(filter);
    }

    /**
     * One SUBSCRIBE of several filters, remembered as {@link #subscribe(String, int)}; returns each
     * granted QoS or {@link #SUBSCRIPTION_FAILURE} (0x80) for a refused filter, then forgotten.
     *
     * @throws IllegalArgumentException naming the bad filter: nothing is remembered
     * @since 1.6
     */
    @Override
    public int[] subscribe(String[] filters, int[] qos) throws IOException {
        checkSubscribeArguments(filters, qos);
        return subscriptions.subscribe(filters, qos);
    }

    /**
     * Forgets several subscriptions and unsubscribes them in one UNSUBSCRIBE; when disconnected,
     * they are removed on the next connect.
     *
     * @throws IllegalArgumentException naming the bad filter: nothing is forgotten
     * @since 1.6
     */
    @Override
    public void unsubscribe(String[] filters) throws IOException {
        checkUnsubscribeArguments(filters);
        subscriptions.unsubscribe(filters);
    }

    /**
     * MQTT 5: {@link #subscribe(String, int)} with options, restored with them (docs/mqtt5-robust.md).
     *
     * @throws IllegalArgumentException for a bad filter, null options, or options beyond the QoS
     *         on an MQTT 3.1.1 client: nothing is remembered
     * @throws io.umqtt.api.MqttException SUBSCRIPTION_REFUSED when the broker refuses it (then forgotten)
     * @since 1.7
     */
    @Override
    public int subscribe(String filter, SubscriptionOptions options) throws IOException {
        TopicFilter.parse(filter);
        RobustArguments.checkOptions(this, new SubscriptionOptions[] {options}, 1);
        return subscriptions.subscribe(filter, options);
    }

    /**
     * MQTT 5: {@link #subscribe(String[], int[])} with options per filter; returns per filter the
     * granted QoS or the reason code (0x80 and up) of a refusal, after which it is forgotten.
     *
     * @since 1.7
     */
    @Override
    public int[] subscribe(String[] filters, SubscriptionOptions[] options) throws IOException {
        return subscribe(filters, options, null);
    }

    /**
     * As {@link #subscribe(String[], SubscriptionOptions[])}; the user properties go with this
     * SUBSCRIBE only, not with those that restore the subscriptions.
     *
     * @throws IllegalArgumentException naming a bad filter or options: nothing is remembered
     * @since 1.7
     */
    @Override
    public int[] subscribe(String[] filters, SubscriptionOptions[] options, List<UserProperty> userProperties)
            throws IOException {
        RobustArguments.checkFilters(this, filters);
        RobustArguments.checkOptions(this, options, filters.length);
        return subscriptions.subscribe(filters, options, userProperties);
    }

    /**
     * MQTT 5: forgets and unsubscribes the filters, returning each UNSUBACK reason code (0x00, 0x11
     * no subscription existed, 0x80 and up refused); when not connected, on the next connect.
     *
     * @since 1.7
     */
    @Override
    public int[] unsubscribeWithCodes(String[] filters, List<UserProperty> userProperties) throws IOException {
        checkUnsubscribeArguments(filters);
        return subscriptions.unsubscribeWithCodes(filters, userProperties);
    }

    /** The remembered subscriptions, filter to requested QoS. */
    public Map<String, Integer> subscriptions() {
        return subscriptions.snapshot();
    }

    /**
     * The remembered subscriptions, filter to requested options, in the order first asked for.
     *
     * @since 1.7
     */
    public Map<String, SubscriptionOptions> subscriptionOptions() {
        return subscriptions.options();
    }

    /** umqtt.robust's {@code wait_msg}: on a network error, reconnects (caller-driven) and waits again. */
    @Override
    public PacketType waitMsg() throws IOException {
        while (true) {
            try {
                return super.waitMsg();
            } catch (IOException e) {
                reconnector.afterLoopError(e, this::reconnect);
            }
        }
    }

    /** umqtt.robust's {@code check_msg}: on a network error, reconnects (caller-driven) and checks once more. */
    @Override
    public PacketType checkMsg() throws IOException {
        try {
            return super.checkMsg();
        } catch (IOException e) {
            reconnector.afterLoopError(e, this::reconnect);
            return super.checkMsg();
        }
    }
}
