package io.umqtt.robust;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.Map;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.api.UserProperty;
import io.umqtt.robust.internal.ClientPort;
import io.umqtt.robust.internal.OfflineQueue;
import io.umqtt.robust.internal.Outbox;
import io.umqtt.robust.internal.Reconnector;
import io.umqtt.robust.internal.Subscriptions;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.ServerSettings;
import io.umqtt.simple.TlsSettings;

/**
 * umqtt.robust in Java: an {@link MqttClient} whose {@code publish}, {@code publishAsync},
 * {@code waitMsg} and {@code checkMsg} survive network errors by reconnecting, done properly:
 * <ul>
 * <li>capped exponential backoff with jitter ({@link ReconnectPolicy}), also for the first
 * connect ({@link #reconnect()}, {@link #runForever()}); a broker refusal waits the maximum delay;</li>
 * <li>the configured clean session on every reconnect (MQTT 3.1.1); on MQTT 5 the configured Clean
 * Start on the first connect and, on reconnects, Clean Start 0 while the session should still exist
 * by its session expiry interval (see docs/mqtt5-robust.md);</li>
 * <li>subscriptions remembered and restored whenever the broker reports no session;</li>
 * <li>QoS 1 publishes that were not acknowledged resent after reconnect, with DUP and the same
 * packet id when the session survived, as new messages when it did not; unfinished QoS 2 flows
 * resumed at the right step when the session survived (the PUBLISH with DUP before the PUBREC
 * was read, the PUBREL after), started again as new messages when it did not (see docs/qos2.md);</li>
 * <li>a bounded offline queue for publishes made while disconnected ({@link OverflowPolicy},
 * {@link OfflineQueueSettings}); what it drops or refuses is reported; optionally kept on disk, so
 * that it survives a restart or a crash of the JVM;</li>
 * <li>several servers for failover, tried in order, then round again.</li>
 * </ul>
 * <h2>Two ways to drive it</h2>
 * <b>Caller-driven</b>, like umqtt.robust: when {@code publish}, {@code waitMsg} or
 * {@code checkMsg} meet a dead connection, the calling thread reconnects (blocking, with
 * backoff) and goes on. <b>With a thread</b>: {@link #runForever()} connects, reconnects and
 * runs the loop until {@link #close()}; publishing threads then never block on the network:
 * while disconnected their messages wait in the offline queue.
 * <p>
 * {@code publish} returns when a QoS 1 message was acknowledged (QoS 2: its PUBCOMP arrived) or,
 * if the connection is down or fails meanwhile, when it was queued for sending after the
 * reconnect. {@link #publishAsync} returns at once with a token that follows the message through the queue and the resends.
 * The hooks {@link #delay(int)}, {@link #log(boolean, Throwable)} and
 * {@link #connect(boolean, int)} are umqtt.robust's and may be overridden.
 * <h2>Backoff and losses</h2>
 * The backoff ({@link ReconnectPolicy}: what counts as unsuccessful, the connect timeout of an
 * attempt) follows how long connections lived, not how often {@link #reconnect()} was called.
 * Every connection the broker accepted has its end reported once
 * ({@link RobustListener#connectionLost}), also when it broke while subscriptions were restored or
 * the offline queue was sent.
 * <h2>Threading and locks</h2>
 * This class wires three parts that drive it through the simple client's public and protected
 * API: the reconnector (attempt loop, backoff, loss reports; one leaf monitor), the outbox
 * (offline queue, sending it, publishAsync tokens; a flush lock taken before the simple client's
 * locks and the queue's, and a leaf monitor for the tokens) and the remembered subscriptions (one
 * leaf monitor). Lock order and who holds what: docs/ARCHITECTURE.md, "Robust client: parts, threads
 * and lock order". The listener is called without any of these locks; what it throws is logged
 * and does not affect the connection (except {@code messageDropped}, called on the publishing
 * thread). {@link #runForever()} survives every exception: what nobody handles is logged, the
 * connection is closed (never left {@code CONNECTED} with nobody reading) and reconnected with
 * backoff.
 */
public class RobustMqttClient extends MqttClient {
    /** Default offline queue: 10,000 messages, 10 MiB, dropping the oldest. */
    public static final int DEFAULT_QUEUE_MESSAGES = 10_000;
    public static final long DEFAULT_QUEUE_BYTES = 10L * 1024 * 1024;
    /**
     * The robust client's connect timeout unless {@link #setConnectTimeout(int)} sets another:
     * 10 s (the simple client's is 30 s), so that an attempt lost in a network blackhole is
     * retried soon. See {@link ReconnectPolicy} for the trade-off.
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


    private final Port view = new Port();
    private final Reconnector reconnector = new Reconnector(this, view, keepAliveSeconds());
    private final Subscriptions subscriptions = new Subscriptions(this, view, reconnector);
    private final Outbox outbox;
    private volatile boolean cleanSession = true;
    private volatile int connectTimeoutMillis = DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS;
    /**
     * Set while the reconnect loop runs the {@code connect} hook (one thread holds the reconnect
     * role): its Clean Start flag is the loop's (MQTT 5 session expiry), not the configured one.
     */
    private volatile boolean inAttemptLoop;

    /**
     * As {@link MqttClient#MqttClient(String, String, int, String, String, int, TlsSettings)}, with
     * the default offline queue ({@link OfflineQueueSettings#DEFAULT}).
     */
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
     * the offline queue {@code queue}: built once, here. A queue kept in a directory is opened and
     * locked now, and what it holds from an earlier run is loaded (see
     * {@link OfflineQueueSettings#withDirectory(Path)}).
     *
     * @throws IOException naming the directory when it cannot be created, is not a writable
     *         directory, or another client uses it
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

    // ------------------------------------------------------------------ settings

    /** Sets the backoff; takes effect at the next unsuccessful attempt, its connect timeout at the next attempt. */
    public void setReconnectPolicy(ReconnectPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        reconnector.setPolicy(policy);
    }

    public ReconnectPolicy reconnectPolicy() {
        return reconnector.policy();
    }

    /**
     * Sets the offline queue's bounds and overflow policy; queued messages are kept when they fit.
     *
     * @param maxMessages 0 disables queueing (publishes while disconnected are refused)
     * @deprecated give the bounds at construction ({@link OfflineQueueSettings}): the queue is then
     *             built once
     */
    @Deprecated(since = "1.4")
    public void setOfflineQueue(int maxMessages, long maxBytes, OverflowPolicy overflow) {
        OfflineQueueSettings.of(maxMessages, maxBytes, overflow); // the same checks
        outbox.resize(maxMessages, maxBytes, overflow);
    }

    /**
     * Keeps the offline queue on disk in {@code directory} (created if needed), so that messages
     * queued while disconnected survive a restart or a crash of the JVM; what it holds from an
     * earlier run is loaded first. Call it before connecting. What that means in detail:
     * {@link OfflineQueueSettings#withDirectory(Path)}.
     *
     * @param directory null keeps the queue in memory only (the default)
     * @throws IOException naming the directory when it cannot be created, is not a writable
     *         directory, or another client uses it
     * @throws IllegalStateException when a directory is already set
     * @since 1.2
     * @deprecated give the directory at construction
     *             ({@link OfflineQueueSettings#withDirectory(Path)}): the queue is then built once
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
     * @throws IllegalArgumentException for {@code false} when the client id is empty (MQTT-3.1.3-7):
     *         every connect would be refused, so it is refused here, once
     */
    public void setCleanSession(boolean cleanSession) {
        requireIdForSession(cleanSession);
        this.cleanSession = cleanSession;
    }

    /**
     * Refuses clean session off with an empty client id, which MQTT 3.1.1 forbids: a
     * configuration error that no reconnect could fix, so it never reaches the reconnect loop.
     */
    private void requireIdForSession(boolean cleanSession) {
        if (!cleanSession && clientId().isEmpty()) {
            throw new IllegalArgumentException("MQTT client to " + server() + ":" + port() + " cannot keep a session "
                    + "(clean session false) with an empty client id: MQTT 3.1.1 allows an empty client id only with "
                    + "clean session (MQTT-3.1.3-7); give the client an id");
        }
    }

    /** Receives connection events and drops. */
    public void setListener(RobustListener listener) {
        reconnector.setListener(listener);
    }

    /**
     * Adds a failover server, tried after the primary one and those added before, in order.
     *
     * @param port 0 for the default port
     */
    public void addFailoverServer(String server, int port) {
        if (server == null || server.trim().isEmpty()) {
            throw new IllegalArgumentException("failover server must be a host name or address, found '" + server + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("failover port must be 0..65535, found " + port);
        }
        reconnector.addServer(server.trim(), port);
    }

    /**
     * Timeout for TCP connect, TLS handshake and CONNACK together; for the robust client
     * {@value #DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS} ms unless set (the simple client's default is
     * 30 s). A reconnect policy with its own connect timeout takes precedence
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
     * The connect timeout of every attempt of this client: the reconnect policy's
     * ({@link ReconnectPolicy#withConnectTimeout(int)}) when it has one, else the client's
     * ({@link #setConnectTimeout(int)}, default {@value #DEFAULT_CONNECT_ATTEMPT_TIMEOUT_MILLIS} ms).
     *
     * @since 1.3
     */
    public int connectAttemptTimeoutMillis() {
        int p = reconnector.policy().connectTimeoutMillis();
        return p > 0 ? p : connectTimeoutMillis;
    }

    // ------------------------------------------------------------------ counters

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
     * MQTT 5: queued messages dropped because their message expiry interval passed while they
     * waited (counted in {@link #dropped()} too).
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

    // ------------------------------------------------------------------ connecting

    /**
     * Connects once (no retry, like umqtt) within {@link #connectAttemptTimeoutMillis()}; see
     * {@link #connect(boolean, int)}.
     */
    @Override
    public boolean connect(boolean cleanSession) throws IOException {
        return connect(cleanSession, connectAttemptTimeoutMillis());
    }

    /**
     * Connects once (no retry, like umqtt), remembers {@code cleanSession} for reconnects, then
     * restores subscriptions and sends the offline queue. This is the {@code connect} hook the
     * reconnect loop calls.
     * <p>
     * Once the broker accepted the connection, a failure to restore the subscriptions or to send
     * the queue (an ack that never comes, a broken socket, anything thrown) closes the connection
     * (state {@code LOST}, never a {@code CONNECTED} connection nobody serves), reports its loss
     * ({@link RobustListener#connectionLost}) and is thrown.
     *
     * @throws IllegalArgumentException for {@code cleanSession} false with an empty client id
     *         (MQTT-3.1.3-7): nothing is sent, and the flag for reconnects stays as it was
     */
    @Override
    public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        requireIdForSession(cleanSession); // before it is remembered for the reconnects
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

    /**
     * Called on the connecting thread once the broker accepted a connection and the remembered
     * subscriptions are restored, before the listener hears {@link RobustListener#connected} and
     * before the offline queue is sent: a subclass that subscribes more filters here has them
     * subscribed (SUBACK received) by the time the connection is reported connected. A failure
     * counts as a failure to restore the subscriptions (see {@link #connect(boolean, int)}).
     * Does nothing by default.
     *
     * @param sessionPresent the broker's session-present flag of this connection
     * @throws IOException when a subscription cannot be made; the connection is then closed
     */
    protected void subscriptionsRestored(boolean sessionPresent) throws IOException {
        // nothing by default
    }

    /**
     * Records in the durable offline queue, before the PUBREL goes out, that the PUBREC of a queued
     * QoS 2 message was read (see docs/qos2.md); nothing for a message that is not on disk.
     */
    @Override
    protected void beforePubrel(InFlight flow) throws IOException {
        outbox.pubrecReceived(flow.packetId());
    }

    /**
     * Connects, retrying with backoff until it succeeds, the policy's attempts are used up, or the
     * client is closed. Returns at once when connected. Several threads may call it: one
     * connects, the others wait for it.
     * <p>
     * A connection the broker had accepted and that was lost since is reported first
     * ({@link RobustListener#connectionLost}) unless that was done already. The first attempt
     * after the loss of a connection that stayed up long enough ({@link ReconnectPolicy}) starts at
     * once; otherwise every attempt waits the backoff ({@link #delay(int)}), counted from the
     * start of the unsuccessful attempt before it. Nothing but {@code IOException} leaves it: an
     * unexpected exception of an attempt is logged and counts as a failed attempt, its connection
     * closed.
     *
     * @throws IOException when the client was closed or the attempts are used up
     */
    public void reconnect() throws IOException {
        reconnector.reconnect();
    }

    /**
     * The delay the reconnect loop waits after unsuccessful attempt {@code attempt} (1-based: how
     * many in a row), with jitter, counted from the start of that attempt.
     */
    protected long backoffMillis(int attempt) {
        return reconnector.backoffMillis(attempt);
    }

    /**
     * umqtt.robust's {@code delay(i)} hook, called before an attempt that follows {@code attempt}
     * unsuccessful ones in a row: waits until {@link #backoffMillis(int)} after the start of the
     * last of them; returns early when the client is closed.
     */
    protected void delay(int attempt) throws InterruptedIOException {
        reconnector.awaitBackoff();
    }

    /**
     * umqtt.robust's {@code log(in_reconnect, e)} hook. Refusals are logged as errors: they need a
     * person (credentials, authorisation), retrying alone will not fix them.
     */
    protected void log(boolean inReconnect, Throwable e) {
        reconnector.logFailure(inReconnect, e);
    }

    /**
     * Connects and runs the loop on the calling thread until {@link #close()} or
     * {@link #disconnect()}: reconnects after every loss, also when the first connect fails. When
     * the policy's attempts are used up it tells {@link RobustListener#gaveUp} and throws; the
     * client is then caller-driven again (a publish reconnects on its caller's thread) unless it
     * is closed.
     * <p>
     * Whatever else fails on this thread (an exception of a hook, a listener, the loop) is logged,
     * the connection is closed and reconnected with backoff: the thread ends only when the client
     * is closed or the attempts are used up, or, after closing the connection, for a
     * {@link VirtualMachineError}.
     *
     * @throws IOException when the reconnect policy's attempts are used up
     */
    public void runForever() throws IOException {
        reconnector.runForever(outbox::resend, this::loop);
    }

    /**
     * Starts a thread named {@code name} that runs {@link #runForever()}; when this returns, the
     * client already counts as thread-driven (publishes never reconnect on the caller's thread).
     * A failure that ends the thread (attempts used up) is logged.
     */
    public Thread start(String name) {
        return reconnector.start(name, outbox::reopenLog, this::runForever);
    }

    /**
     * Stops reconnecting, sends DISCONNECT if connected, closes. Queued messages stay queued; a
     * durable queue's files are forced to the device, closed and unlocked. The tokens of
     * {@link #publishAsync} messages not yet delivered fail.
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

    /**
     * Stops reconnecting and closes without DISCONNECT (the last will is published). Queued
     * messages stay queued; a durable queue's files are forced to the device, closed and unlocked.
     * The tokens of {@link #publishAsync} messages not yet delivered fail.
     */
    @Override
    public void close() {
        reconnector.stop();
        super.close();
        outbox.closed();
        outbox.closeLog();
    }

    // ------------------------------------------------------------------ publishing

    @Override
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        checkPublishArguments(topic, msg, qos);
        outbox.publish(topic, msg, retain, qos);
    }

    /**
     * MQTT 5: {@link #publish(byte[], byte[], boolean, int)} with PUBLISH properties, which go with
     * the message through the offline queue (also on disk), every resend and reconnect; a queued
     * message goes out with what remains of its message expiry interval, or is dropped once it
     * passed (counted in {@link #expired()}, logged, reported to
     * {@link RobustListener#messageDropped}). A refusal by the broker (PUBACK/PUBREC reason code
     * 0x80 or more) is final: thrown ({@code PUBLISH_REFUSED}) when the message was sent directly,
     * reported as a drop when it was sent from the queue; it is never resent.
     *
     * @param properties null or {@link MqttProperties#EMPTY} for none
     * @throws IllegalArgumentException for a bad topic, a null message, an unsupported QoS,
     *         properties on an MQTT 3.1.1 client, or subscription identifiers in them
     * @since 1.7
     */
    @Override
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        checkPublishArguments(topic, msg, qos);
        outbox.publish(topic, msg, retain, qos, checkProperties(properties));
    }

    /**
     * MQTT 5: {@link #publishAsync(byte[], byte[], boolean, int)} with PUBLISH properties (see
     * {@link #publish(byte[], byte[], boolean, int, MqttProperties)}). The token fails with
     * {@link MessageExpiredException} when the message expired in the queue, and with the
     * broker's refusal ({@code PUBLISH_REFUSED}).
     *
     * @since 1.7
     */
    @Override
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        checkPublishArguments(topic, msg, qos);
        return outbox.publishAsync(topic, msg, retain, qos, checkProperties(properties));
    }

    /** Properties to publish with, never null; refused on MQTT 3.1.1 and with subscription identifiers. */
    private MqttProperties checkProperties(MqttProperties properties) {
        if (properties == null || properties.isEmpty()) {
            return MqttProperties.EMPTY;
        }
        if (protocolVersion() < MqttConstants.MQTT_5) {
            throw new IllegalArgumentException("MQTT client '" + clientId() + "' speaks MQTT 3.1.1, which has no "
                    + "message properties: call setProtocolVersion(5) before connect to publish " + properties);
        }
        if (properties.subscriptionIdentifiers().length > 0) {
            throw new IllegalArgumentException("MQTT client '" + clientId() + "': a PUBLISH a client sends must not "
                    + "carry subscription identifiers (MQTT-3.3.4-6), found " + properties);
        }
        return properties;
    }

    /**
     * Publishes without waiting: sends the message at once when connected and nothing waits in
     * the offline queue, else queues it; never reconnects on the calling thread. The token
     * follows the message through the queue and every resend after a reconnect. It completes
     * when the message was written (QoS 0) or its PUBACK (QoS 2: PUBCOMP) arrived (on whichever connection
     * carried it last), and fails only when the message is dropped by the queue's
     * {@link OverflowPolicy} (refused when the queue is full with {@code REJECT_NEWEST}, dropped as
     * the oldest with {@code DROP_OLDEST}: an {@link OfflineQueueFullException} naming the client)
     * or when the client is closed ({@link #close()}, {@link #disconnect()}) first.
     * <p>
     * {@link PublishToken#await()} waits at most the ack timeout; a TIMEOUT from it does not give
     * the message up (unlike the simple client's token): it stays queued or in flight, and the
     * token completes later. When the caller drives (no {@link #runForever()}), {@code await()}
     * reconnects a lost connection, as {@code publish} does; when older messages wait in the
     * queue and no other thread sends them, this call sends them first.
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

    // ------------------------------------------------------------------ subscriptions

    /**
     * Subscribes and remembers the subscription, to restore it after reconnects that lost the
     * session. When not connected, the subscription is remembered and made on connect; the call
     * then reconnects first (caller-driven) or throws (with {@link #runForever()}).
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
     * Subscribes several filters in one SUBSCRIBE and remembers them, as
     * {@link #subscribe(String, int)} does each; returns each filter's granted QoS, or
     * {@link #SUBSCRIPTION_FAILURE} (0x80) for a filter the broker refused, which is then
     * forgotten (not restored after a reconnect). When not connected, the filters are remembered
     * and made on connect, all in one SUBSCRIBE with the other remembered ones; the call then
     * reconnects first (caller-driven) or throws (with {@link #runForever()}).
     *
     * @throws IllegalArgumentException naming the bad filter, as {@link MqttClient#subscribe(String[], int[])}: nothing is remembered
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
     * MQTT 5: subscribes with options and remembers the filter with them, as
     * {@link #subscribe(String, int)} does; a reconnect that finds no session makes it again with the
     * same options (see docs/mqtt5-robust.md).
     *
     * @throws IllegalArgumentException for a bad filter, null options, or options beyond the QoS
     *         on an MQTT 3.1.1 client: nothing is remembered
     * @throws io.umqtt.api.MqttException SUBSCRIPTION_REFUSED with the reason code when the broker
     *         refuses it (then it is forgotten)
     * @since 1.7
     */
    @Override
    public int subscribe(String filter, SubscriptionOptions options) throws IOException {
        TopicFilter.parse(filter);
        checkOptions(new SubscriptionOptions[] {options}, 1);
        return subscriptions.subscribe(filter, options);
    }

    /**
     * MQTT 5: {@link #subscribe(String[], int[])} with options per filter; returns per filter the
     * granted QoS or the reason code (0x80 and up) of a refusal, after which the filter is
     * forgotten. Restored with the same options, one SUBSCRIBE per subscription identifier.
     *
     * @since 1.7
     */
    @Override
    public int[] subscribe(String[] filters, SubscriptionOptions[] options) throws IOException {
        return subscribe(filters, options, null);
    }

    /**
     * As {@link #subscribe(String[], SubscriptionOptions[])}; the user properties go with this
     * SUBSCRIBE only, not with the ones that restore the subscriptions after a reconnect.
     *
     * @since 1.7
     */
    @Override
    public int[] subscribe(String[] filters, SubscriptionOptions[] options, java.util.List<UserProperty> userProperties)
            throws IOException {
        if (filters == null || filters.length == 0) {
            throw new IllegalArgumentException("MQTT client '" + clientId() + "': subscribe needs at least one filter");
        }
        for (int i = 0; i < filters.length; i++) {
            try {
                TopicFilter.parse(filters[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("MQTT client '" + clientId() + "': filter " + i + " '" + filters[i]
                        + "': " + e.getMessage(), e);
            }
        }
        checkOptions(options, filters.length);
        return subscriptions.subscribe(filters, options, userProperties);
    }

    /**
     * MQTT 5: forgets the subscriptions and unsubscribes them, returning the UNSUBACK reason code
     * of each (0x00 success, 0x11 no subscription existed, 0x80 and up refused); when not
     * connected, they are removed on the next connect and, caller-driven, asked again after the
     * reconnect (a filter already removed then answers 0x11).
     *
     * @since 1.7
     */
    @Override
    public int[] unsubscribeWithCodes(String[] filters, java.util.List<UserProperty> userProperties)
            throws IOException {
        checkUnsubscribeArguments(filters);
        return subscriptions.unsubscribeWithCodes(filters, userProperties);
    }

    /** One options object per filter, none null; options beyond the QoS only on MQTT 5. */
    private void checkOptions(SubscriptionOptions[] options, int filters) {
        if (options == null || options.length != filters) {
            throw new IllegalArgumentException("MQTT client '" + clientId() + "': one subscription options object per "
                    + "filter is needed, found " + (options == null ? "none" : options.length) + " for " + filters);
        }
        for (int i = 0; i < options.length; i++) {
            if (options[i] == null) {
                throw new IllegalArgumentException("MQTT client '" + clientId() + "': subscription options " + i
                        + " are null");
            }
            if (options[i].needsMqtt5() && protocolVersion() < MqttConstants.MQTT_5) {
                throw new IllegalArgumentException("MQTT client '" + clientId() + "' speaks MQTT 3.1.1, which has no "
                        + "subscription options beyond the QoS: call setProtocolVersion(5) before connect to "
                        + "subscribe with " + options[i]);
            }
        }
    }

    /** The remembered subscriptions, filter to requested QoS. */
    public Map<String, Integer> subscriptions() {
        return subscriptions.snapshot();
    }

    /**
     * The remembered subscriptions, filter to requested options (MQTT 5 options included), in the
     * order they were first asked for.
     *
     * @since 1.7
     */
    public Map<String, SubscriptionOptions> subscriptionOptions() {
        return subscriptions.options();
    }

    // ------------------------------------------------------------------ loop steps

    /** umqtt.robust's {@code wait_msg}: on a network error, reconnects (caller-driven) and waits again. */
    @Override
    public PacketType waitMsg() throws IOException {
        while (true) {
            try {
                return super.waitMsg();
            } catch (IOException e) {
                reconnectAfter(e);
            }
        }
    }

    /**
     * umqtt.robust's {@code check_msg}: on a network error, reconnects (caller-driven) and checks
     * once more.
     */
    @Override
    public PacketType checkMsg() throws IOException {
        try {
            return super.checkMsg();
        } catch (IOException e) {
            reconnectAfter(e);
            return super.checkMsg();
        }
    }

    /** After {@code e} in a loop step: rethrows it unless the caller drives, else reports and reconnects. */
    private void reconnectAfter(IOException e) throws IOException {
        if (reconnector.isClosed() || !reconnector.callerDriven()) {
            throw e;
        }
        if (!reconnector.connectionEnded(e)) {
            log(false, e);
        }
        reconnect();
    }

    /** The view of this client the parts drive: the simple client's API and the robust hooks. */
    private final class Port implements ClientPort {
        @Override
        public void fail(IOException cause) {
            RobustMqttClient.this.fail(cause);
        }

        @Override
        public void closeConnection() {
            RobustMqttClient.super.close();
        }

        @Override
        public PublishToken send(OfflineQueue.Entry e, MqttProperties properties, boolean dup, int packetId)
                throws IOException {
            return sendPublish(e.topic, e.payload, e.retain, e.qos, dup, packetId, wire(e, properties));
        }

        @Override
        public PublishToken sendQos2(OfflineQueue.Entry e, MqttProperties properties, boolean dup, int packetId,
                StepRecorder beforeWrite) throws IOException {
            return sendPublish(e.topic, e.payload, e.retain, dup, packetId, flow -> beforeWrite.record(flow.packetId()),
                    wire(e, properties));
        }

        /**
         * The properties to send {@code e} with: null for none; on an MQTT 3.1.1 connection (a
         * durable queue written by an MQTT 5 client, loaded by one set to 3.1.1) the message goes
         * out without them, with a warning.
         */
        private MqttProperties wire(OfflineQueue.Entry e, MqttProperties properties) {
            if (properties.isEmpty()) {
                return null;
            }
            if (RobustMqttClient.this.protocolVersion() < MqttConstants.MQTT_5) {
                System.getLogger(RobustMqttClient.class.getName()).log(System.Logger.Level.WARNING,
                        () -> "MQTT client " + clientId() + " to " + server() + ":" + port() + " speaks MQTT 3.1.1: its "
                                + "queued message to '" + new String(e.topic, java.nio.charset.StandardCharsets.UTF_8)
                                + "' goes out without its MQTT 5 properties " + properties);
                return null;
            }
            return properties;
        }

        @Override
        public String serverReference(io.umqtt.api.MqttException disconnect) {
            return disconnect.serverReference();
        }

        @Override
        public int receiveMaximum() {
            ServerSettings s = serverSettings();
            return s == null || RobustMqttClient.this.protocolVersion() < MqttConstants.MQTT_5 ? 65_535
                    : s.receiveMaximum();
        }

        @Override
        public int subscribeNow(String filter, SubscriptionOptions options) throws IOException {
            return RobustMqttClient.super.subscribe(filter, options);
        }

        @Override
        public int[] subscribeNow(String[] filters, SubscriptionOptions[] options,
                java.util.List<UserProperty> userProperties) throws IOException {
            return RobustMqttClient.super.subscribe(filters, options, userProperties);
        }

        @Override
        public int[] unsubscribeWithCodesNow(String[] filters, java.util.List<UserProperty> userProperties)
                throws IOException {
            return RobustMqttClient.super.unsubscribeWithCodes(filters, userProperties);
        }

        @Override
        public PublishToken sendPubrel(OfflineQueue.Entry e) throws IOException {
            return RobustMqttClient.this.sendPubrel(e.topic, e.packetId);
        }

        @Override
        public boolean pubrecReceived(PublishToken sent) {
            return sent instanceof InFlight && ((InFlight) sent).pubrecReceived();
        }

        @Override
        public void awaitPuback(PublishToken sent) throws IOException {
            RobustMqttClient.this.awaitPuback((InFlight) sent);
        }

        @Override
        public int subscribeNow(String filter, int qos) throws IOException {
            return RobustMqttClient.super.subscribe(filter, qos);
        }

        @Override
        public void unsubscribeNow(String filter) throws IOException {
            RobustMqttClient.super.unsubscribe(filter);
        }

        @Override
        public int[] subscribeNow(String[] filters, int[] qos) throws IOException {
            return RobustMqttClient.super.subscribe(filters, qos);
        }

        @Override
        public void unsubscribeNow(String[] filters) throws IOException {
            RobustMqttClient.super.unsubscribe(filters);
        }

        @Override
        public void connectAttempt(String host, int p) throws IOException {
            setServer(host, p);
            boolean clean = reconnector.cleanStart(cleanSession);
            inAttemptLoop = true;
            try {
                connect(clean);
            } finally {
                inAttemptLoop = false;
            }
        }

        @Override
        public int protocolVersion() {
            return RobustMqttClient.this.protocolVersion();
        }

        @Override
        public long sessionExpiryInterval() {
            ServerSettings s = serverSettings();
            return s == null ? 0 : s.sessionExpiryInterval();
        }

        @Override
        public void delay(int attempt) throws InterruptedIOException {
            RobustMqttClient.this.delay(attempt);
        }

        @Override
        public long backoffMillis(int attempt) {
            return RobustMqttClient.this.backoffMillis(attempt);
        }

        @Override
        public void log(boolean inReconnect, Throwable e) {
            RobustMqttClient.this.log(inReconnect, e);
        }
    }
}
