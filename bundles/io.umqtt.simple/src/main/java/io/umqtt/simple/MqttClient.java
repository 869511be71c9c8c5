package io.umqtt.simple;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;

import io.umqtt.api.AckHold;
import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.internal.MqttStrings;

/**
 * umqtt.simple in Java: an MQTT 3.1.1 and MQTT 5 client driven by its caller. Like umqtt: topics and
 * payloads are bytes, messages go to a {@link MessageCallback}, the caller runs the loop
 * ({@link #waitMsg()}, {@link #checkMsg()}, {@link #loop()}). Unlike umqtt it keeps the connection
 * alive while a loop step waits, bounds every wait and write in time, and may be used from many threads:
 * any thread publishes and subscribes (writes are serialised, "written" meaning handed to the write
 * path); one at a time reads (the loop, else a thread awaiting its ack) and runs the callback, never
 * nested. In detail: docs/simple-client.md; its parts: docs/ARCHITECTURE.md, "Simple client".
 */
public class MqttClient implements Closeable {
    /** The MQTT port without TLS. */
    public static final int DEFAULT_PORT = 1883;
    /** The MQTT port with TLS. */
    public static final int DEFAULT_TLS_PORT = 8883;
    /** The port of {@code ws://} (MQTT over WebSocket) when the URI names none. @since 1.4 */
    public static final int DEFAULT_WS_PORT = 80;
    /** The port of {@code wss://} (MQTT over WebSocket with TLS) when the URI names none. @since 1.4 */
    public static final int DEFAULT_WSS_PORT = 443;
    /** The WebSocket request path when a {@code ws://} or {@code wss://} server URI has none. @since 1.4 */
    public static final String DEFAULT_WEBSOCKET_PATH = "/mqtt";
    /** Default for {@link #setConnectTimeout(int)}: 30 s. */
    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setAckTimeout(int)}: 30 s. */
    public static final int DEFAULT_ACK_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setReadTimeout(int)}: 30 s. */
    public static final int DEFAULT_READ_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setMaxPacketSize(int)}: 4 MiB. */
    public static final int DEFAULT_MAX_PACKET_SIZE = 4 * 1024 * 1024;
    /** Default for {@link #setMaxInflight(int)}: 1,000 unacknowledged {@link #publishAsync} publishes. @since 1.1 */
    public static final int DEFAULT_MAX_INFLIGHT = 1_000;
    /** Default for {@link #setWriteTimeout(int)}: 30 s. @since 1.2 */
    public static final int DEFAULT_WRITE_TIMEOUT_MILLIS = 30_000;
    /** PUBLISHes queued while a callback waits for an ack; beyond it (or 16 MiB) reading pauses. @since 1.2 */
    public static final int MAX_QUEUED_WHILE_CALLBACK_WAITS = 1_000;
    /** What {@link #subscribe(String[], int[])} returns for a filter the broker refused: 0x80. @since 1.4 */
    public static final int SUBSCRIPTION_FAILURE = 0x80;
    /** Default for {@link #setOutboundTopicAliases(int)}: 16 topics (within the broker's maximum). @since 1.5 */
    public static final int DEFAULT_OUTBOUND_TOPIC_ALIASES = 16;

    /** The configuration and settings, validated. */
    final Settings settings;
    /** Guards state, failure, will, reader role, acks; taken after {@code Outbound.writeLock}, never before. */
    final Object lock = new Object();
    /** Guarded by {@link #lock}; read without it for fast checks. */
    volatile ConnectionState state = ConnectionState.CLOSED;
    /** Why the connection was lost; guarded by {@link #lock}. */
    IOException failure;

    // the parts (docs/ARCHITECTURE.md, "Simple client: parts, threads and locks")
    final KeepAlive keepAlive;
    final Outbound outbound;
    final PacketReader reader;
    final AckTable acks = new AckTable(this, lock);
    final ReaderRole readers = new ReaderRole(this, lock);
    final Inbound inbound;
    final Lifecycle lifecycle = new Lifecycle(this);
    final Publisher publisher = new Publisher(this);
    final Subscriber subscriber = new Subscriber(this);
    final InboundAcks inboundAcks = new InboundAcks(this);
    /** MQTT 5 (with authentication, requests): null until needed, then kept; made by {@link Session5#of}. */
    volatile Session5 session5;

    /** A client without TLS, user or keepalive (umqtt's defaults); no I/O until {@link #connect(boolean)}. */
    public MqttClient(String clientId, String server) {
        this(clientId, server, 0, null, (byte[]) null, 0, null);
    }

    /** Like {@link #MqttClient(String, String)}, on the given port. */
    public MqttClient(String clientId, String server, int port) {
        this(clientId, server, port, null, (byte[]) null, 0, null);
    }

    /**
     * A client; no I/O happens until {@link #connect(boolean)}. {@code server}: the broker's host, or a
     * {@code ws://} or {@code wss://} URI (docs/websocket.md); {@code port} 0: the default port;
     * {@code password} needs a user on MQTT 3.1.1; {@code keepAliveSeconds} 0..65535 (0: off); {@code tls} null: TCP.
     *
     * @throws IllegalArgumentException naming the bad argument (lone surrogate, U+0000, above 65,535 bytes)
     */
    public MqttClient(String clientId, String server, int port, String user, String password, int keepAliveSeconds,
            TlsSettings tls) {
        this(clientId, server, port, user, password == null ? null : MqttStrings.utf8("password", password),
                keepAliveSeconds, tls);
    }

    /** Like the other constructor, with the password as bytes (MQTT passwords are binary data). */
    public MqttClient(String clientId, String server, int port, String user, byte[] password, int keepAliveSeconds,
            TlsSettings tls) {
        settings = new Settings(clientId, server, port, user, password, keepAliveSeconds, tls);
        keepAlive = new KeepAlive(this, keepAliveSeconds);
        outbound = new Outbound(this, settings);
        reader = new PacketReader(this, settings);
        inbound = new Inbound(this, reader, acks, keepAlive);
    }

    /** The client identifier. */
    public String clientId() {
        return settings.clientId;
    }

    /** The broker's host. */
    public String server() {
        return settings.server;
    }

    /** The broker's port (the default resolved). */
    public int port() {
        return settings.port;
    }

    /** The keepalive in seconds; 0 = off. */
    public int keepAliveSeconds() {
        return settings.keepAliveSeconds;
    }

    /** Whether TLS is used. */
    public boolean isTls() {
        return settings.tls != null;
    }

    /** The WebSocket request path over WebSocket ({@code ws://}, {@code wss://}), else null (TCP). @since 1.4 */
    public String webSocketPath() {
        return settings.webSocketPath;
    }

    /** The HTTP proxy of the next WebSocket connects; null host: the JVM's (docs/websocket.md). @since 1.4 */
    public void setWebSocketProxy(String host, int port) {
        settings.webSocketProxy = settings.webSocketProxy(host, port);
    }

    /** The proxy of {@link #setWebSocketProxy(String, int)} as {@code host:port}, or null. @since 1.4 */
    public String webSocketProxy() {
        return settings.webSocketProxyName();
    }

    /** Sets the broker of the next connect (failover; port 0: default); {@code IllegalStateException} if connected. */
    protected final void setServer(String server, int port) {
        lifecycle.setServer(Settings.parse(server, port));
    }

    /** Timeout for TCP connect, TLS handshake and CONNACK together; default 30 s. */
    public void setConnectTimeout(int millis) {
        settings.connectTimeoutMillis = Settings.positive("connectTimeout", millis);
    }

    /** How long a QoS 1 publish, subscribe or unsubscribe waits for its ack; default 30 s. */
    public void setAckTimeout(int millis) {
        settings.ackTimeoutMillis = Settings.positive("ackTimeout", millis);
    }

    /** How long the rest of a packet may take once its first byte arrived; default 30 s. */
    public void setReadTimeout(int millis) {
        settings.readTimeoutMillis = Settings.positive("readTimeout", millis);
    }

    /** How long a write may make no progress before the connection is closed as dead; default 30 s. @since 1.2 */
    public void setWriteTimeout(int millis) {
        settings.writeTimeoutMillis = Settings.positive("writeTimeout", millis);
    }

    /** The largest remaining length accepted from the broker; larger packets are a protocol error. */
    public void setMaxPacketSize(int bytes) {
        settings.maxPacketSize = Settings.maxPacketSize(bytes);
    }

    /** How many {@link #publishAsync} publishes may await their ack at once, 1..65535; default 1,000. @since 1.1 */
    public void setMaxInflight(int max) {
        settings.maxInflight = Settings.maxInflight(max);
    }

    /** The limit set with {@link #setMaxInflight(int)}. @since 1.1 */
    public int maxInflight() {
        return settings.maxInflight;
    }

    /** Acks only once the callback returned and its holds were released (docs/ack-after-processing.md). @since 1.4 */
    public void setAckAfterProcessing(boolean afterProcessing) {
        inboundAcks.afterProcessing = afterProcessing;
    }

    /** Whether received messages are acknowledged after processing ({@link #setAckAfterProcessing}). @since 1.4 */
    public boolean ackAfterProcessing() {
        return inboundAcks.afterProcessing;
    }

    /** In the callback (acking after processing): holds the message's ack until released. @since 1.4 */
    public AckHold holdAck() {
        return inboundAcks.hold();
    }

    /** Sets the receiver of PUBLISH packets (umqtt's {@code set_callback}). */
    public void setCallback(MessageCallback callback) {
        settings.callback = callback;
    }

    /** Sets the will of the next connect (umqtt's {@code set_last_will}); {@code IllegalArgumentException} if bad. */
    public void setLastWill(byte[] topic, byte[] msg, boolean retain, int qos) {
        lifecycle.setLastWill(topic, msg, retain, qos);
    }

    /** Like {@link #setLastWill(byte[], byte[], boolean, int)} with UTF-8 strings (a lone surrogate is refused). */
    public void setLastWill(String topic, String msg, boolean retain, int qos) {
        setLastWill(MqttStrings.utf8("topic", topic), MqttStrings.utf8("msg", msg), retain, qos);
    }

    /** Removes the last will. */
    public void clearLastWill() {
        lifecycle.clearLastWill();
    }

    /** The connection state; {@link ConnectionState#CLOSED} before the first connect. */
    public ConnectionState state() {
        return state;
    }

    /** Whether CONNACK accepted the connection and it has not been lost or closed since. */
    public boolean isConnected() {
        return state == ConnectionState.CONNECTED;
    }

    /** Why the connection was lost, or {@code null}. */
    public IOException failure() {
        return lifecycle.failure();
    }

    /** How many acks arrived for packet ids nobody waited for (e.g. after an ack timeout). */
    public long strayAcks() {
        return acks.strayAcks;
    }

    /** Like {@link #connect(boolean, int)} with the configured connect timeout. */
    public boolean connect(boolean cleanSession) throws IOException {
        return connect(cleanSession, settings.connectTimeoutMillis);
    }

    /**
     * Opens the socket (and TLS), sends CONNECT and waits for CONNACK, all within {@code timeoutMillis}.
     *
     * @return the Session Present flag
     * @throws MqttException CONNECTION_REFUSED with the return code, TIMEOUT, or PROTOCOL_ERROR
     * @throws IllegalStateException when already connected
     * @throws IllegalArgumentException on MQTT 3.1.1: no clean session with an empty client id, a password without user
     */
    public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        return lifecycle.connect(cleanSession, timeoutMillis);
    }

    /** Sends DISCONNECT and closes the socket (umqtt's {@code disconnect}); no will; at most the write timeout. */
    public void disconnect() throws IOException {
        lifecycle.disconnect();
    }

    /** Closes the socket without DISCONNECT (the broker publishes the will); never throws. */
    @Override
    public void close() {
        lifecycle.closeConnection(new IOException("client closed the connection to " + settings.broker()), false);
    }

    /** Sends PINGREQ ({@code C0 00}); the PINGRESP is consumed by the loop. */
    public void ping() throws IOException {
        lifecycle.ping();
    }

    /** Like {@link #publish(byte[], byte[], boolean, int)} at QoS 0 without retain. */
    public void publish(byte[] topic, byte[] msg) throws IOException {
        publish(topic, msg, false, 0);
    }

    /** Like {@link #publish(byte[], byte[], boolean, int)} with UTF-8 strings (a lone surrogate is refused). */
    public void publish(String topic, String msg, boolean retain, int qos) throws IOException {
        publish(MqttStrings.utf8("topic", topic), MqttStrings.utf8("msg", msg), retain, qos);
    }

    /** Like {@link #publish(byte[], byte[], boolean, int)} with the topic as UTF-8 (a lone surrogate is refused). */
    public void publish(String topic, byte[] msg, boolean retain, int qos) throws IOException {
        publish(MqttStrings.utf8("topic", topic), msg, retain, qos);
    }

    /**
     * Publishes; returns at QoS 0 once written, at QoS 1 on its PUBACK, at QoS 2 on its PUBCOMP.
     *
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws MqttException TIMEOUT when the ack does not arrive within the ack timeout
     * @throws IOException when not connected or the connection fails
     */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        publisher.publish(topic, msg, retain, qos, null);
    }

    /**
     * Publishes without waiting: returns once written, with a token completing on the ack (QoS 0: done).
     * With {@link #setMaxInflight(int) maxInflight} unfinished it first waits for the oldest.
     *
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws MqttException TIMEOUT when the oldest was not acknowledged in time: nothing was sent
     * @throws IOException when not connected or the connection fails
     * @since 1.1
     */
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        return publisher.publishAsync(topic, msg, retain, qos, null);
    }

    /** Like {@link #publishAsync(byte[], byte[], boolean, int)} with UTF-8 strings (no lone surrogates). @since 1.1 */
    public PublishToken publishAsync(String topic, String msg, boolean retain, int qos) throws IOException {
        return publishAsync(MqttStrings.utf8("topic", topic), MqttStrings.utf8("msg", msg), retain, qos);
    }

    /** For resends: writes a checked PUBLISH under {@code packetId} if free, without waiting; null at QoS 0. */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, int qos, boolean dup, int packetId)
            throws IOException {
        return publisher.send(topic, msg, retain, qos, dup, packetId, null);
    }

    /** Like {@link #sendPublish} at QoS 2, handing the flow to {@code beforeWrite} (throws: unsent). @since 1.4 */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, boolean dup, int packetId,
            Qos2Step beforeWrite) throws IOException {
        return publisher.sendQos2(topic, msg, retain, dup, packetId, beforeWrite, null);
    }

    /** A step of a QoS 2 flow, before its first packet is written ({@link #sendPublish}). @since 1.4 */
    @FunctionalInterface
    protected interface Qos2Step {
        /** Called with the flow, its packet id assigned; throwing stops the write. */
        void before(InFlight flow) throws IOException;
    }

    /** Resumes a QoS 2 flow whose PUBREC was read earlier in the session: sends its PUBREL again. @since 1.4 */
    protected final InFlight sendPubrel(byte[] topic, int packetId) throws IOException {
        return publisher.sendPubrel(topic, packetId);
    }

    /** On the reader, before the PUBREL of our QoS 2 publish; throwing fails the connection. @since 1.4 */
    protected void beforePubrel(InFlight flow) throws IOException {
    }

    /** Waits for the PUBACK (QoS 2: PUBCOMP) of a {@link #sendPublish} within the ack timeout. */
    protected final void awaitPuback(InFlight publish) throws IOException {
        acks.waits.awaitAck((Pending) publish);
    }

    /** Like {@link #subscribe(String, int)} at QoS 0. */
    public int subscribe(String filter) throws IOException {
        return subscribe(filter, 0);
    }

    /** Like {@link #subscribe(String, int)} with the filter as UTF-8 bytes (refused when not well-formed). */
    public int subscribe(byte[] filter, int qos) throws IOException {
        return subscribe(MqttStrings.decode("filter", filter), qos);
    }

    /** Subscribes, returns the granted QoS; {@link MqttException} SUBSCRIPTION_REFUSED (0x80) or TIMEOUT. */
    public int subscribe(String filter, int qos) throws IOException {
        return subscriber.subscribe(filter, qos);
    }

    /** Unsubscribes a topic filter and waits for the UNSUBACK. */
    public void unsubscribe(String filter) throws IOException {
        subscriber.unsubscribe(filter);
    }

    /** Like {@link #unsubscribe(String)} with the filter as UTF-8 bytes (refused when not well-formed). */
    public void unsubscribe(byte[] filter) throws IOException {
        unsubscribe(MqttStrings.decode("filter", filter));
    }

    /**
     * Subscribes to several filters at once (checked before anything is sent, split over packets as
     * needed: docs/subscriptions.md); returns each granted QoS or {@link #SUBSCRIPTION_FAILURE}.
     *
     * @throws IllegalArgumentException naming the bad filter, its index and the client
     * @throws MqttException TIMEOUT; PROTOCOL_ERROR (connection closed) for a SUBACK of the wrong size
     * @since 1.4
     */
    public int[] subscribe(String[] filters, int[] qos) throws IOException {
        return subscriber.subscribe(filters, qos);
    }

    /** Unsubscribes several filters, checked and split as {@link #subscribe(String[], int[])}. @since 1.4 */
    public void unsubscribe(String[] filters) throws IOException {
        subscriber.unsubscribe(filters);
    }

    /** Subscribes with MQTT 5 options (docs/mqtt5-subscriptions.md); refused: SUBSCRIPTION_REFUSED. @since 1.5 */
    public int subscribe(String filter, SubscriptionOptions options) throws IOException {
        return subscriber.subscribe(filter, options);
    }

    /** Like {@link #subscribe(String[], SubscriptionOptions[], List)} without user properties. @since 1.5 */
    public int[] subscribe(String[] filters, SubscriptionOptions[] options) throws IOException {
        return subscriber.subscribe(filters, options, null);
    }

    /** Like {@link #subscribe(String[], int[])} with options per filter and user properties. @since 1.5 */
    public int[] subscribe(String[] filters, SubscriptionOptions[] options, List<UserProperty> userProperties)
            throws IOException {
        return subscriber.subscribe(filters, options, userProperties);
    }

    /** Like {@link #unsubscribeWithCodes(String[], List)} without user properties. @since 1.5 */
    public int[] unsubscribeWithCodes(String[] filters) throws IOException {
        return subscriber.unsubscribeWithCodes(filters, null);
    }

    /** Unsubscribes several filters; returns each UNSUBACK reason code (3.1.1: 0x00). @since 1.5 */
    public int[] unsubscribeWithCodes(String[] filters, List<UserProperty> userProperties) throws IOException {
        return subscriber.unsubscribeWithCodes(filters, userProperties);
    }

    /** Checks arguments as {@link #subscribe(String[], int[])} does ({@code IllegalArgumentException}). @since 1.4 */
    protected final void checkSubscribeArguments(String[] filters, int[] qos) {
        subscriber.checkSubscribe(filters, qos);
    }

    /** Checks arguments as {@link #unsubscribe(String[])} does ({@code IllegalArgumentException}). @since 1.4 */
    protected final void checkUnsubscribeArguments(String[] filters) {
        subscriber.checkFilters(filters, null);
    }

    /** Checks arguments as {@link #publish(byte[], byte[], boolean, int)} does ({@code IllegalArgumentException}). */
    protected static void checkPublishArguments(byte[] topic, byte[] msg, int qos) {
        Publisher.checkArguments(topic, msg, qos);
    }

    /** Checks a QoS: 0, 1 or 2 ({@code IllegalArgumentException} otherwise). */
    protected static void checkQos(int qos) {
        Settings.checkQos(qos);
    }

    /** MQTT 5 enhanced authentication of the next connects, null for none (docs/mqtt5-subscriptions.md). @since 1.5 */
    public void setAuthenticator(Authenticator authenticator) {
        Session5.of(this).auth.configure(authenticator);
    }

    /** The authenticator set with {@link #setAuthenticator(Authenticator)}, or null. @since 1.5 */
    public Authenticator authenticator() {
        return session5 == null ? null : session5.auth.configured; // once made, it stays
    }

    /** Re-authenticates (MQTT 5 section 4.12.1) within the ack timeout; a failure ends the connection. @since 1.5 */
    public void reauthenticate() throws IOException {
        Session5.of(this).auth.reauthenticate();
    }

    /** MQTT 5 request/response: publishes and waits for the response with its correlation data. @since 1.5 */
    public Response request(String topic, byte[] payload, int qos, MqttProperties properties, long timeoutMillis)
            throws IOException {
        return Session5.of(this).requests.request(topic, payload, qos, properties, timeoutMillis);
    }

    /** Waits for one packet and processes it (umqtt's {@code wait_msg}), keeping the connection alive. */
    public PacketType waitMsg() throws IOException {
        return inbound.waitMsg();
    }

    /** Processes a whole packet if one is there, else returns NONE at once (umqtt's {@code check_msg}). */
    public PacketType checkMsg() throws IOException {
        return inbound.checkMsg();
    }

    /** Runs {@link #waitMsg()} until disconnect or close (returns) or the connection's loss (throws). */
    public void loop() throws IOException {
        inbound.loop();
    }

    /** Marks the connection lost (unless closed on purpose), closes it and fails what is pending; returns {@code e}. */
    protected final IOException fail(IOException e) {
        return lifecycle.fail(e);
    }

    /** The protocol version of the next connect: 4 (MQTT 3.1.1, default) or 5 (MQTT 5). @since 1.5 */
    public void setProtocolVersion(int version) {
        Session5.setProtocolVersion(this, version);
    }

    /** The protocol version set with {@link #setProtocolVersion(int)}: 4 or 5. @since 1.5 */
    public int protocolVersion() {
        return Session5.protocolVersion(this);
    }

    /** MQTT 5: the Session Expiry Interval, 0..0xFFFFFFFF seconds (default 0: ends with the connection). @since 1.5 */
    public void setSessionExpiryInterval(long seconds) {
        Session5.of(this).setSessionExpiryInterval(seconds);
    }

    /** MQTT 5: the Receive Maximum, 1..65535 (default 65535); a broker sending more errs (0x93). @since 1.5 */
    public void setReceiveMaximum(int max) {
        Session5.of(this).setReceiveMaximum(max);
    }

    /** MQTT 5: the highest topic alias accepted from the broker, 0..65535 (default 0: none). @since 1.5 */
    public void setTopicAliasMaximum(int max) {
        Session5.of(this).setTopicAliasMaximum(max);
    }

    /** MQTT 5: how many topics get an outbound alias, 0..65535 (default 16; 0: none). @since 1.5 */
    public void setOutboundTopicAliases(int max) {
        Session5.of(this).setOutboundTopicAliases(max);
    }

    /** MQTT 5: asks for Response Information in the CONNACK (default false). @since 1.5 */
    public void setRequestResponseInformation(boolean request) {
        Session5.of(this).setRequestResponseInformation(request);
    }

    /** MQTT 5: whether the broker may send reason strings and user properties (default true). @since 1.5 */
    public void setRequestProblemInformation(boolean request) {
        Session5.of(this).setRequestProblemInformation(request);
    }

    /** MQTT 5: user properties of CONNECT, in order; null or empty for none. @since 1.5 */
    public void setConnectUserProperties(java.util.List<UserProperty> properties) {
        Session5.of(this).setConnectUserProperties(properties);
    }

    /** MQTT 5: {@link #setLastWill(byte[], byte[], boolean, int)} with will properties and delay (s). @since 1.5 */
    public void setLastWill(String topic, byte[] msg, boolean retain, int qos, MqttProperties willProperties,
            long willDelaySeconds) {
        Session5.of(this).setLastWill(MqttStrings.utf8("topic", topic), msg, retain, qos, willProperties,
                willDelaySeconds);
    }

    /** MQTT 5: what the CONNACK of the current (or last) connection set; null before the first. @since 1.5 */
    public ServerSettings serverSettings() {
        return session5 == null ? null : session5.server; // once made, it stays
    }

    /** Like {@link #publish(byte[], byte[], boolean, int, MqttProperties)} with the topic as UTF-8. @since 1.5 */
    public void publish(String topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        publish(MqttStrings.utf8("topic", topic), msg, retain, qos, properties);
    }

    /** Like {@link #publish(byte[], byte[], boolean, int)} with MQTT 5 properties (or null). @since 1.5 */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        publisher.publish(topic, msg, retain, qos, properties);
    }

    /** Like {@link #publishAsync(byte[], byte[], boolean, int)} with MQTT 5 properties (or null). @since 1.5 */
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        return publisher.publishAsync(topic, msg, retain, qos, properties);
    }

    /** Like {@link #publishAsync(byte[], byte[], boolean, int, MqttProperties)} with the topic as UTF-8. @since 1.5 */
    public PublishToken publishAsync(String topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        return publishAsync(MqttStrings.utf8("topic", topic), msg, retain, qos, properties);
    }

    /** MQTT 5: {@link #disconnect()} with a reason code a client may send (0x04: with will). @since 1.5 */
    public void disconnect(int reasonCode) throws IOException {
        lifecycle.disconnect(Session5.of(this).disconnectPacket(reasonCode));
    }

    /** Like {@link #sendPublish(byte[], byte[], boolean, int, boolean, int)} with MQTT 5 properties. @since 1.5 */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, int qos, boolean dup, int packetId,
            MqttProperties properties) throws IOException {
        return publisher.send(topic, msg, retain, qos, dup, packetId, properties);
    }

    /** Like {@link #sendPublish(byte[], byte[], boolean, boolean, int, Qos2Step)} with MQTT 5 properties. @since 1.5 */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, boolean dup, int packetId,
            Qos2Step beforeWrite, MqttProperties properties) throws IOException {
        return publisher.sendQos2(topic, msg, retain, dup, packetId, beforeWrite, properties);
    }

    @Override
    public String toString() {
        return "MqttClient[" + settings.clientId + "@" + settings.broker() + (settings.tls != null ? " tls" : "")
                + ", " + state + "]";
    }

    /** A QoS 1 or 2 PUBLISH of {@link MqttClient#sendPublish} not yet acknowledged; a token (since 1.1). */
    protected abstract static class InFlight extends PublishToken {
        InFlight() {
        }

        /** Its packet identifier. */
        @Override
        public abstract int packetId();

        /** QoS 2: whether the broker's PUBREC was read (the flow goes on with PUBREL); false at QoS 1. @since 1.4 */
        public abstract boolean pubrecReceived();
    }
}
