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
import io.umqtt.simple.internal.codec.PingreqEncoder;
import io.umqtt.simple.internal.MqttStrings;

/**
 * umqtt.simple in Java: an MQTT 3.1.1 client driven by its caller.
 * <p>
 * Like umqtt, it has one object for publishing and subscribing, topics and payloads are bytes,
 * received messages go to a {@link MessageCallback}, and the caller runs the loop with
 * {@link #waitMsg()} (blocking) or {@link #checkMsg()} (non-blocking), or hands a thread to
 * {@link #loop()}. Unlike umqtt it sends PINGREQs by itself while a loop step waits, declares a
 * connection dead after 1.5 &times; keepalive without a packet, times out every wait, reads every
 * packet whole, and may be used from many threads.
 *
 * <h2>Threading</h2>
 * Any thread may publish, subscribe and unsubscribe; writes are serialised. One thread at a time
 * reads, the <em>reader</em>: the thread in {@code waitMsg}, {@code checkMsg} or {@code loop}, or
 * else a thread whose QoS 1 operation waits for its ack. It completes every thread's acks by
 * packet id; a thread that waits while another reads is parked until its ack is read or the
 * reader role is handed to it (first come, first served) when the reader leaves. The callback
 * runs on the reader; a QoS 1 operation it makes reads on until its own ack arrives, and
 * PUBLISHes read meanwhile are delivered after the callback returns (callbacks never nest), at
 * most {@value #MAX_QUEUED_WHILE_CALLBACK_WAITS} messages or 16 MiB: then the reader stops reading
 * and the operation times out unless its ack was already read.
 * <p>
 * Every write is bounded: a write that makes no progress for the {@link #setWriteTimeout write
 * timeout} is seen by the shared daemon thread {@code umqtt-watchdog}, which closes the socket (also
 * when the reader is the thread blocked in it). Small packets written close together leave in one
 * write; what is held back is written before a thread waits for anything that depends on it, on
 * {@link #disconnect()}, {@link #close()} or a failure, and at the latest 1 ms later (shared daemon
 * thread {@code umqtt-flush}); "written" below means handed to this write path (details:
 * docs/ARCHITECTURE.md, "Simple client: parts, threads and locks").
 * {@link #publishAsync} keeps at most {@link #setMaxInflight(int) maxInflight} publishes unacknowledged.
 */
public class MqttClient implements Closeable {
    /** The MQTT port without TLS. */
    public static final int DEFAULT_PORT = 1883;
    /** The MQTT port with TLS. */
    public static final int DEFAULT_TLS_PORT = 8883;
    /**
     * The port of {@code ws://} (MQTT over WebSocket) when the URI names none.
     *
     * @since 1.4
     */
    public static final int DEFAULT_WS_PORT = 80;
    /**
     * The port of {@code wss://} (MQTT over WebSocket with TLS) when the URI names none.
     *
     * @since 1.4
     */
    public static final int DEFAULT_WSS_PORT = 443;
    /**
     * The WebSocket request path when a {@code ws://} or {@code wss://} server URI has none.
     *
     * @since 1.4
     */
    public static final String DEFAULT_WEBSOCKET_PATH = "/mqtt";
    /** Default for {@link #setConnectTimeout(int)}: 30 s. */
    public static final int DEFAULT_CONNECT_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setAckTimeout(int)}: 30 s. */
    public static final int DEFAULT_ACK_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setReadTimeout(int)}: 30 s. */
    public static final int DEFAULT_READ_TIMEOUT_MILLIS = 30_000;
    /** Default for {@link #setMaxPacketSize(int)}: 4 MiB. */
    public static final int DEFAULT_MAX_PACKET_SIZE = 4 * 1024 * 1024;
    /**
     * Default for {@link #setMaxInflight(int)}: 1,000 unacknowledged {@link #publishAsync} publishes.
     *
     * @since 1.1
     */
    public static final int DEFAULT_MAX_INFLIGHT = 1_000;

    /**
     * Default for {@link #setWriteTimeout(int)}: 30 s.
     *
     * @since 1.2
     */
    public static final int DEFAULT_WRITE_TIMEOUT_MILLIS = 30_000;
    /**
     * How many PUBLISHes read while a callback waits for an ack are queued for delivery after it
     * returns (see the class documentation); beyond it, or beyond 16 MiB of them, reading pauses.
     *
     * @since 1.2
     */
    public static final int MAX_QUEUED_WHILE_CALLBACK_WAITS = 1_000;
    /**
     * What {@link #subscribe(String[], int[])} returns for a filter the broker refused: the SUBACK
     * return code 0x80.
     *
     * @since 1.4
     */
    public static final int SUBSCRIPTION_FAILURE = 0x80;
    /**
     * Default for {@link #setOutboundTopicAliases(int)}: at most 16 topics get an alias (within
     * the broker's Topic Alias Maximum).
     *
     * @since 1.5
     */
    public static final int DEFAULT_OUTBOUND_TOPIC_ALIASES = 16;

    /** The configuration and settings, validated. */
    final Settings settings;
    /**
     * The client's lock: guards the connection state and failure, the last will, the reader role
     * ({@link ReaderRole}) and the acks awaited ({@link AckTable}). Taken after {@code Outbound.writeLock}.
     */
    final Object lock = new Object();
    /** Guarded by {@link #lock}; read without it for fast checks. */
    volatile ConnectionState state = ConnectionState.CLOSED;
    /** Why the connection was lost; guarded by {@link #lock}. */
    IOException failure;

    // ---- the parts (see docs/ARCHITECTURE.md, "Simple client: parts, threads and locks") ----
    final KeepAlive keepAlive;
    final Outbound outbound;
    final PacketReader reader;
    final AckTable acks;
    final ReaderRole readers;
    final Inbound inbound;
    final Lifecycle lifecycle;
    final Publisher publisher;
    final Subscriber subscriber;
    /** When received messages are acknowledged (see {@link #setAckAfterProcessing(boolean)}). */
    final InboundAcks inboundAcks;
    /** MQTT 5: the protocol version, its settings and what the server's CONNACK set. */
    final Session5 session5;
    /** MQTT 5 (sub5): enhanced authentication. */
    final AuthExchange auth;
    /** MQTT 5 (sub5): request/response. */
    final Requests requests;

    /**
     * A client for a broker without TLS, user or keepalive (umqtt's defaults). No I/O happens until
     * {@link #connect(boolean)}.
     */
    public MqttClient(String clientId, String server) {
        this(clientId, server, 0, null, (byte[]) null, 0, null);
    }

    /** A client for a broker on the given port, without TLS, user or keepalive. */
    public MqttClient(String clientId, String server, int port) {
        this(clientId, server, port, null, (byte[]) null, 0, null);
    }

    /**
     * A client; no I/O happens until {@link #connect(boolean)}.
     *
     * @param clientId the MQTT client identifier (may be empty, then only for a clean session)
     * @param server host name or address of the broker; or a {@code ws://host:port/path} or
     *        {@code wss://host:port/path} URI for MQTT over WebSocket (subprotocol {@code mqtt}; path
     *        {@value #DEFAULT_WEBSOCKET_PATH} when the URI has none; {@code wss} uses {@code tls}, or the
     *        JDK's trust store when it is null; see docs/websocket.md)
     * @param port the broker's port; 0 means {@value #DEFAULT_PORT}, or {@value #DEFAULT_TLS_PORT} with TLS
     *        (WebSocket: the URI's port, else {@value #DEFAULT_WS_PORT} or {@value #DEFAULT_WSS_PORT})
     * @param user the user name, or {@code null}
     * @param password the password, or {@code null}; requires a user
     * @param keepAliveSeconds the MQTT keepalive, 0..65535; 0 turns keepalive off
     * @param tls TLS settings, or {@code null} for plain TCP
     * @throws IllegalArgumentException naming the bad argument: a client id or user with a lone
     *         surrogate or U+0000, a password with a lone surrogate, a string above 65,535 bytes
     */
    public MqttClient(String clientId, String server, int port, String user, String password, int keepAliveSeconds,
            TlsSettings tls) {
        this(clientId, server, port, user, password == null ? null : MqttStrings.utf8("password", password),
                keepAliveSeconds, tls);
    }

    /** As the other constructor, with the password as bytes (MQTT passwords are binary data). */
    public MqttClient(String clientId, String server, int port, String user, byte[] password, int keepAliveSeconds,
            TlsSettings tls) {
        settings = new Settings(clientId, server, port, user, password, keepAliveSeconds, tls);
        session5 = new Session5(this);
        auth = new AuthExchange(this);
        requests = new Requests(this);
        keepAlive = new KeepAlive(this, keepAliveSeconds);
        outbound = new Outbound(this, settings);
        reader = new PacketReader(this, settings);
        acks = new AckTable(this, lock);
        readers = new ReaderRole(this, lock);
        inboundAcks = new InboundAcks(this);
        inbound = new Inbound(this, reader, acks, keepAlive);
        lifecycle = new Lifecycle(this);
        publisher = new Publisher(this);
        subscriber = new Subscriber(this);
    }

    // ------------------------------------------------------------------ settings

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

    /**
     * The WebSocket request path when the client connects over WebSocket (a {@code ws://} or
     * {@code wss://} server), else null (TCP).
     *
     * @since 1.4
     */
    public String webSocketPath() {
        return settings.webSocketPath;
    }

    /**
     * The HTTP proxy through which WebSocket connections ({@code ws://}, {@code wss://}) are
     * opened, from the next {@link #connect(boolean)} on. The JDK's WebSocket client tunnels through
     * it with {@code CONNECT host:port} (for {@code ws://} too), so the proxy sees only the broker's
     * address, and {@code wss://} stays end-to-end TLS with the broker. Default (null host): the
     * JVM's default {@link java.net.ProxySelector} ({@code http.proxyHost}/{@code https.proxyHost},
     * {@code http.nonProxyHosts}, or whatever selector the application installed). TCP connections
     * ignore this setting. A proxy that asks for authentication (HTTP 407) is refused: the JDK
     * answers it only with a JVM-wide {@link java.net.Authenticator}, which this client does not set.
     *
     * @param host the proxy's host name or address, or null for the JVM's default proxy selector
     * @param port the proxy's port, 1..65535 (ignored when {@code host} is null)
     * @throws IllegalArgumentException naming the client, for an empty host or a bad port
     * @since 1.4
     */
    public void setWebSocketProxy(String host, int port) {
        settings.webSocketProxy = settings.webSocketProxy(host, port);
    }

    /**
     * The proxy set with {@link #setWebSocketProxy(String, int)} as {@code host:port}, or null when
     * the JVM's default proxy selector applies.
     *
     * @since 1.4
     */
    public String webSocketProxy() {
        java.net.InetSocketAddress p = settings.webSocketProxy;
        return p == null ? null
                : (p.getHostString().indexOf(':') >= 0 ? "[" + p.getHostString() + "]" : p.getHostString()) + ":"
                        + p.getPort();
    }

    /**
     * Points the client at another broker for the next {@link #connect(boolean)} (failover). A host
     * alone keeps the transport (TCP, or WebSocket with its path); a {@code ws://} or {@code wss://}
     * URI switches to WebSocket with the URI's path (its TLS must match the client's: {@code wss} with
     * TLS settings, {@code ws} without).
     *
     * @param port 0 for the default port
     * @throws IllegalStateException while connected or connecting
     * @throws IllegalArgumentException for a bad server or port, or a URI whose TLS does not match
     */
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

    /**
     * How long one write to the socket may make no progress before the connection is declared
     * dead (the broker stopped reading) and closed; default 30 s. Writes are watched by one shared
     * daemon thread ({@code umqtt-watchdog}), since socket writes have no timeout of their own.
     *
     * @since 1.2
     */
    public void setWriteTimeout(int millis) {
        settings.writeTimeoutMillis = Settings.positive("writeTimeout", millis);
    }

    /** The largest remaining length accepted from the broker; larger packets are a protocol error. */
    public void setMaxPacketSize(int bytes) {
        settings.maxPacketSize = Settings.maxPacketSize(bytes);
    }

    /**
     * How many QoS 1 and 2 {@link #publishAsync} publishes may await their PUBACK (PUBCOMP) at once; a further
     * one waits until the oldest is acknowledged. Default {@value #DEFAULT_MAX_INFLIGHT}.
     * Lowering it lets the publishes already in flight complete.
     *
     * @throws IllegalArgumentException unless 1..65535
     * @since 1.1
     */
    public void setMaxInflight(int max) {
        settings.maxInflight = Settings.maxInflight(max);
    }

    /**
     * The limit set with {@link #setMaxInflight(int)}.
     *
     * @since 1.1
     */
    public int maxInflight() {
        return settings.maxInflight;
    }

    /**
     * Acknowledge after processing (default off; see docs/ack-after-processing.md). Off, a received
     * QoS 1 message is acknowledged as soon as the callback returns, also when it throws (umqtt's
     * behaviour). On, its PUBACK is written only after the callback returned normally and every
     * {@link #holdAck() hold} it took was released, in the order the PUBLISHes were received (MQTT
     * 3.1.1 section 4.6: an ack released early waits for those of earlier messages). When the
     * callback throws (or a hold {@linkplain AckHold#fail fails}) the message is not acknowledged
     * and the connection is closed: the loop step throws an {@link IOException} caused by it, and
     * the broker redelivers the message (DUP) only when the client connects again with clean session
     * false (with clean session true it is dropped; a warning is logged at each such connect). A
     * message delivered again reaches the callback again (at-least-once). While acks are held the
     * broker counts the messages in flight and stops sending QoS 1 once its window is full
     * (mosquitto: 20). QoS 0 messages are not acknowledged nor held. Takes effect from the next
     * received message; change it between connections.
     *
     * @since 1.4
     */
    public void setAckAfterProcessing(boolean afterProcessing) {
        inboundAcks.afterProcessing = afterProcessing;
    }

    /**
     * Whether received QoS 1 messages are acknowledged after processing (see
     * {@link #setAckAfterProcessing(boolean)}).
     *
     * @since 1.4
     */
    public boolean ackAfterProcessing() {
        return inboundAcks.afterProcessing;
    }

    /**
     * Takes a hold on the acknowledgement of the message whose callback is running, so that it is
     * acknowledged only once the hold is {@linkplain AckHold#release() released} (for example by
     * another thread that processes the message). Call it from the {@link MessageCallback}, on
     * the thread running it, with {@link #setAckAfterProcessing(boolean)} on; the callback may take
     * several holds. For a QoS 0 message it returns {@link AckHold#NONE}.
     *
     * @throws IllegalStateException when not acknowledging after processing, or when called
     *         outside the callback
     * @since 1.4
     */
    public AckHold holdAck() {
        return inboundAcks.hold();
    }

    /** Sets the receiver of PUBLISH packets (umqtt's {@code set_callback}). */
    public void setCallback(MessageCallback callback) {
        settings.callback = callback;
    }

    /**
     * Sets the last will, sent with the next {@link #connect(boolean)} (umqtt's {@code set_last_will}).
     *
     * @throws IllegalArgumentException for a bad topic, a null message or QoS other than 0, 1 and 2
     */
    public void setLastWill(byte[] topic, byte[] msg, boolean retain, int qos) {
        Settings.checkWill(topic, msg, qos);
        synchronized (lock) {
            settings.setWill(topic, msg, retain, qos);
            session5.clearWill(); // MQTT 5: no will properties, no delay
        }
    }

    /**
     * {@link #setLastWill(byte[], byte[], boolean, int)} with UTF-8 strings; a lone surrogate in
     * either is refused ({@code IllegalArgumentException}), never sent as '?'.
     */
    public void setLastWill(String topic, String msg, boolean retain, int qos) {
        setLastWill(MqttStrings.utf8("topic", topic), MqttStrings.utf8("msg", msg), retain, qos);
    }

    /** Removes the last will. */
    public void clearLastWill() {
        synchronized (lock) {
            settings.clearWill();
            session5.clearWill();
        }
    }

    // ------------------------------------------------------------------ state

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
        synchronized (lock) {
            return failure;
        }
    }

    /** How many acks arrived for packet ids nobody waited for (e.g. after an ack timeout). */
    public long strayAcks() {
        return acks.strayAcks;
    }

    // ------------------------------------------------------------------ connect / disconnect

    /** Connects with the configured connect timeout; returns the CONNACK's Session Present flag. */
    public boolean connect(boolean cleanSession) throws IOException {
        return connect(cleanSession, settings.connectTimeoutMillis);
    }

    /**
     * Opens the socket (and TLS), sends CONNECT and waits for CONNACK, all within
     * {@code timeoutMillis}.
     *
     * @return the Session Present flag
     * @throws MqttException CONNECTION_REFUSED with the CONNACK return code when the broker refuses;
     *         TIMEOUT when it does not answer in time; PROTOCOL_ERROR for a bad answer
     * @throws IOException when the socket or TLS fails
     * @throws IllegalStateException when already connected
     * @throws IllegalArgumentException for {@code cleanSession} false with an empty client id,
     *         which MQTT 3.1.1 forbids (MQTT-3.1.3-7): nothing is sent
     */
    public boolean connect(boolean cleanSession, int timeoutMillis) throws IOException {
        return lifecycle.connect(cleanSession, timeoutMillis);
    }

    /**
     * Sends DISCONNECT and closes the socket (umqtt's {@code disconnect}); the last will is not
     * published. Also while connecting: once the CONNECT is written, DISCONNECT follows it at once
     * (MQTT 3.1.1 lets a client send packets before CONNACK), so a stop never fires the will; the
     * {@code connect} under way then fails. Takes at most the {@link #setWriteTimeout write timeout}
     * (a write of another thread that is stalled is failed by then).
     */
    public void disconnect() throws IOException {
        lifecycle.disconnect();
    }

    /**
     * Closes the socket without DISCONNECT: the broker publishes the last will. Never throws.
     * During a {@link #disconnect()} it leaves the socket to it: its DISCONNECT goes out first, and
     * it closes the socket right after (within the write timeout).
     */
    @Override
    public void close() {
        lifecycle.closeConnection(new IOException("client closed the connection to " + settings.broker()), false);
    }

    // ------------------------------------------------------------------ operations

    /** Sends PINGREQ ({@code C0 00}); the PINGRESP is consumed by the loop. */
    public void ping() throws IOException {
        lifecycle.checkConnected();
        outbound.writePacket(PingreqEncoder.encode());
        keepAlive.pingOutstanding = true;
    }

    /** {@link #publish(byte[], byte[], boolean, int)} at QoS 0 without retain. */
    public void publish(byte[] topic, byte[] msg) throws IOException {
        publish(topic, msg, false, 0);
    }

    /**
     * {@link #publish(byte[], byte[], boolean, int)} with the topic and message encoded as UTF-8;
     * a lone surrogate in either is refused ({@code IllegalArgumentException}), never sent as '?'.
     */
    public void publish(String topic, String msg, boolean retain, int qos) throws IOException {
        publish(MqttStrings.utf8("topic", topic), MqttStrings.utf8("msg", msg), retain, qos);
    }

    /**
     * {@link #publish(byte[], byte[], boolean, int)} with the topic encoded as UTF-8; a lone
     * surrogate is refused ({@code IllegalArgumentException}), never sent as '?'.
     */
    public void publish(String topic, byte[] msg, boolean retain, int qos) throws IOException {
        publish(MqttStrings.utf8("topic", topic), msg, retain, qos);
    }

    /**
     * Publishes a message. QoS 0 returns once written; QoS 1 returns when the PUBACK with this
     * publish's packet id arrived; QoS 2 (exactly once) when the flow is complete: PUBLISH, the
     * broker's PUBREC, our PUBREL, the broker's PUBCOMP, all within the ack timeout. PUBLISHes read
     * meanwhile are delivered to the callback.
     *
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws MqttException TIMEOUT when no PUBACK (QoS 2: PUBCOMP) arrives within the ack timeout
     * @throws IOException when not connected or the connection fails
     */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        publisher.publish(topic, msg, retain, qos, null);
    }

    /**
     * Publishes a message without waiting for its PUBACK: returns once the PUBLISH is written,
     * with a token that completes when the PUBACK (QoS 2: PUBCOMP) arrives. While
     * {@link #setMaxInflight(int) maxInflight} QoS 1 and 2 publishes of this method are unfinished,
     * it first waits for the oldest (reading when no other thread does); one not acknowledged within
     * the ack timeout of that wait is given up, its token failing with TIMEOUT. Acks are read by
     * whichever thread reads ({@link #loop()}, {@link #waitMsg()}, {@link #checkMsg()},
     * {@link PublishToken#await()}, or this method when the window is full); when the connection
     * is lost, every token of it fails.
     *
     * @return at QoS 0 a token that is already complete (the message was written)
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws MqttException TIMEOUT when the window was full and the oldest publish was not
     *         acknowledged within the ack timeout: nothing was sent
     * @throws IOException when not connected or the connection fails: nothing was sent, or the
     *         write failed
     * @since 1.1
     */
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        return publisher.publishAsync(topic, msg, retain, qos, null);
    }

    /**
     * {@link #publishAsync(byte[], byte[], boolean, int)} with the topic and message encoded as UTF-8;
     * a lone surrogate in either is refused ({@code IllegalArgumentException}), never sent as '?'.
     *
     * @since 1.1
     */
    public PublishToken publishAsync(String topic, String msg, boolean retain, int qos) throws IOException {
        return publishAsync(MqttStrings.utf8("topic", topic), MqttStrings.utf8("msg", msg), retain, qos);
    }

    /**
     * For subclasses that resend (umqtt.robust): writes a PUBLISH whose arguments the caller has
     * validated, without waiting. At QoS 1 and 2 it first registers the PUBACK (PUBREC) wait under
     * {@code packetId} when that id is free (a resend with DUP in a surviving session), or under a
     * new id otherwise; at QoS 2 a taken {@code packetId} is an {@code IOException} instead (a
     * resend under another id would be a second message to the broker). Returns the handle to
     * {@link #awaitPuback(InFlight) wait} with, or {@code null} at QoS 0.
     */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, int qos, boolean dup, int packetId)
            throws IOException {
        return publisher.send(topic, msg, retain, qos, dup, packetId, null);
    }

    /**
     * {@link #sendPublish(byte[], byte[], boolean, int, boolean, int)} at QoS 2 that first hands the
     * flow, with its packet id assigned, to {@code beforeWrite}, on this thread, before the PUBLISH
     * is written (the robust client's durable queue records the packet id there, so that after a
     * crash the message is resent under it with DUP, never as a new message). When
     * {@code beforeWrite} throws, nothing is written and the packet id is free again.
     *
     * @since 1.4
     */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, boolean dup, int packetId,
            Qos2Step beforeWrite) throws IOException {
        return publisher.sendQos2(topic, msg, retain, dup, packetId, beforeWrite, null);
    }

    /**
     * A step of a QoS 2 flow, called before the packet that starts it is written (see
     * {@link MqttClient#sendPublish(byte[], byte[], boolean, boolean, int, Qos2Step)}).
     *
     * @since 1.4
     */
    @FunctionalInterface
    protected interface Qos2Step {
        /** Called with the flow, its packet id assigned; throwing stops the write. */
        void before(InFlight flow) throws IOException;
    }

    /**
     * For subclasses that resume QoS 2 flows (umqtt.robust): after a reconnect in which the broker
     * kept the session (section 4.4), a QoS 2 PUBLISH whose PUBREC was read on an earlier
     * connection is resumed by sending its PUBREL again under the same packet id; returns the
     * handle to {@link #awaitPuback(InFlight) wait} for its PUBCOMP with.
     *
     * @param topic the message's topic, for messages
     * @throws IOException also when another operation awaits an ack under {@code packetId}: the
     *         flow can be resumed once it is done
     * @since 1.4
     */
    protected final InFlight sendPubrel(byte[] topic, int packetId) throws IOException {
        return publisher.sendPubrel(topic, packetId);
    }

    /**
     * Called on the thread that read the PUBREC of a QoS 2 publish of this client, before its
     * PUBREL is written (no lock held). Subclasses that keep the flow's step (the robust client's
     * durable queue) record it here, so that after a crash the flow resumes at PUBREL and the
     * message is never published twice. When it throws, no PUBREL is sent and the connection is
     * failed: the flow resumes at PUBLISH (DUP) on the next connection of the session, and the
     * broker answers it with PUBREC again. Does nothing by default.
     *
     * @param flow the publish, {@link InFlight#pubrecReceived()} already true
     * @since 1.4
     */
    protected void beforePubrel(InFlight flow) throws IOException {
    }

    /**
     * Waits for the PUBACK of a publish sent with {@link #sendPublish} (QoS 2: for the PUBCOMP
     * that ends its flow; also for {@link #sendPubrel}); reads from the socket when no other
     * thread does.
     *
     * @throws IOException when the connection is lost first (the publish may or may not have
     *         reached the broker), or the ack timeout passes
     */
    protected final void awaitPuback(InFlight publish) throws IOException {
        acks.waits.awaitAck((Pending) publish);
    }

    /** {@link #subscribe(String, int)} at QoS 0. */
    public int subscribe(String filter) throws IOException {
        return subscribe(filter, 0);
    }

    /**
     * {@link #subscribe(String, int)} with the filter as UTF-8 bytes.
     *
     * @throws IllegalArgumentException also when the bytes are not well-formed UTF-8
     */
    public int subscribe(byte[] filter, int qos) throws IOException {
        return subscribe(MqttStrings.decode("filter", filter), qos);
    }

    /**
     * Subscribes to a topic filter and waits for the SUBACK; returns the granted QoS.
     *
     * @throws IllegalArgumentException for a bad filter or an unsupported QoS
     * @throws MqttException SUBSCRIPTION_REFUSED (return code 0x80) when the broker refuses;
     *         TIMEOUT when no SUBACK arrives in time
     */
    public int subscribe(String filter, int qos) throws IOException {
        return subscriber.subscribe(filter, qos);
    }

    /** Unsubscribes a topic filter and waits for the UNSUBACK. */
    public void unsubscribe(String filter) throws IOException {
        subscriber.unsubscribe(filter);
    }

    /**
     * {@link #unsubscribe(String)} with the filter as UTF-8 bytes.
     *
     * @throws IllegalArgumentException also when the bytes are not well-formed UTF-8
     */
    public void unsubscribe(byte[] filter) throws IOException {
        unsubscribe(MqttStrings.decode("filter", filter));
    }

    /**
     * Subscribes to several topic filters, each at its own QoS, in one SUBSCRIBE packet, and waits
     * for its SUBACK. A filter the broker refused gets {@link #SUBSCRIPTION_FAILURE} (0x80), not an
     * exception; a filter given twice is sent twice. Every filter and QoS is checked before anything
     * is sent. Filters beyond one packet (remaining length above
     * {@value io.umqtt.api.MqttConstants#MAX_REMAINING_LENGTH} bytes) are split, in order, over as few
     * SUBSCRIBEs as hold them, all written before the first SUBACK is awaited, each SUBACK within the
     * ack timeout (see docs/subscriptions.md).
     *
     * @param filters the topic filters, at least one
     * @param qos the QoS requested for each filter, at the same index
     * @return each filter's granted QoS, or 0x80 when the broker refused it (on MQTT 5 too, whatever
     *         its reason code: {@link #subscribe(String[], SubscriptionOptions[])} returns those)
     * @throws IllegalArgumentException naming the bad filter, its index and the client: a filter
     *         that is null or not a valid topic filter, an unsupported QoS, no filters, or not one
     *         QoS per filter; nothing is sent
     * @throws MqttException TIMEOUT when a SUBACK does not arrive in time; PROTOCOL_ERROR (the
     *         connection is closed) when a SUBACK does not carry one return code per filter
     * @throws IOException when not connected or the connection fails
     * @since 1.4
     */
    public int[] subscribe(String[] filters, int[] qos) throws IOException {
        return subscriber.subscribe(filters, qos);
    }

    /**
     * Unsubscribes several topic filters in one UNSUBSCRIBE packet and waits for its UNSUBACK.
     * Every filter is checked before anything is sent; filters that do not fit one packet are
     * split as {@link #subscribe(String[], int[])} does.
     *
     * @throws IllegalArgumentException naming the bad filter, its index and the client: a filter
     *         that is null or not a valid topic filter, or no filters; nothing is sent
     * @throws MqttException TIMEOUT when an UNSUBACK does not arrive in time
     * @throws IOException when not connected or the connection fails
     * @since 1.4
     */
    public void unsubscribe(String[] filters) throws IOException {
        subscriber.unsubscribe(filters);
    }

    // ------------------------------------------------------------------ MQTT 5: subscriptions, AUTH, requests (sub5)

    /**
     * Subscribes to a topic filter with subscription options (MQTT 5: No Local, Retain As
     * Published, Retain Handling, a subscription identifier; see docs/mqtt5-subscriptions.md) and waits for
     * the SUBACK; returns the granted QoS. On MQTT 3.1.1 only plain options ({@link
     * SubscriptionOptions#qos(int)}) can be sent: the same bytes as {@link #subscribe(String, int)}.
     *
     * @throws IllegalArgumentException for a bad filter, null options, options beyond the QoS on
     *         MQTT 3.1.1, No Local on a shared subscription (MQTT-3.8.3-4), or what the broker's
     *         CONNACK said it does not support (subscription identifiers, shared or wildcard
     *         subscriptions); nothing is sent
     * @throws MqttException SUBSCRIPTION_REFUSED with the SUBACK reason code (0x80 and up) in
     *         {@link MqttException#returnCode()} and the broker's {@link MqttException#reasonString()};
     *         TIMEOUT when no SUBACK arrives in time
     * @since 1.5
     */
    public int subscribe(String filter, SubscriptionOptions options) throws IOException {
        return subscriber.subscribe(filter, options);
    }

    /**
     * {@link #subscribe(String[], SubscriptionOptions[], List)} without user properties.
     *
     * @since 1.5
     */
    public int[] subscribe(String[] filters, SubscriptionOptions[] options) throws IOException {
        return subscriber.subscribe(filters, options, null);
    }

    /**
     * Subscribes to several topic filters, each with its options, and waits for the SUBACKs.
     * Filters with different subscription identifiers go in different SUBSCRIBE packets (MQTT 5
     * puts the identifier on the packet), in order; filters beyond one packet are split as
     * {@link #subscribe(String[], int[])} does; all are written before the first SUBACK is awaited.
     *
     * @param userProperties MQTT 5 user properties for each SUBSCRIBE, or null
     * @return per filter the granted QoS, or the reason code (0x80 and up; on MQTT 3.1.1 0x80) when
     *         the broker refused it
     * @throws IllegalArgumentException as {@link #subscribe(String, SubscriptionOptions)}, naming
     *         the filter and its index; also for not one options object per filter and for user
     *         properties on MQTT 3.1.1; nothing is sent
     * @throws MqttException TIMEOUT when a SUBACK does not arrive in time; PROTOCOL_ERROR (the
     *         connection is closed) for a malformed SUBACK (see docs/mqtt5-subscriptions.md)
     * @since 1.5
     */
    public int[] subscribe(String[] filters, SubscriptionOptions[] options, List<UserProperty> userProperties)
            throws IOException {
        return subscriber.subscribe(filters, options, userProperties);
    }

    /**
     * {@link #unsubscribeWithCodes(String[], List)} without user properties.
     *
     * @since 1.5
     */
    public int[] unsubscribeWithCodes(String[] filters) throws IOException {
        return subscriber.unsubscribeWithCodes(filters, null);
    }

    /**
     * Unsubscribes several topic filters and returns the UNSUBACK reason code of each (MQTT 5):
     * 0x00 success, 0x11 no subscription existed, 0x80 and up refused (e.g. 0x87 not authorized).
     * On MQTT 3.1.1, whose UNSUBACK has no codes, every code is 0x00. (On MQTT 5,
     * {@link #unsubscribe(String)} and {@link #unsubscribe(String[])} throw UNSUBSCRIBE_REFUSED for
     * a refused filter instead.)
     *
     * @param userProperties MQTT 5 user properties for each UNSUBSCRIBE, or null
     * @throws IllegalArgumentException for bad filters, or user properties on MQTT 3.1.1
     * @throws MqttException TIMEOUT when an UNSUBACK does not arrive in time; PROTOCOL_ERROR (the
     *         connection is closed) for a malformed UNSUBACK
     * @since 1.5
     */
    public int[] unsubscribeWithCodes(String[] filters, List<UserProperty> userProperties) throws IOException {
        return subscriber.unsubscribeWithCodes(filters, userProperties);
    }

    /**
     * Sets the MQTT 5 enhanced authentication (section 4.12) of the next connects: its method and
     * initial data go into CONNECT, the broker's AUTH challenges are answered with it before CONNACK,
     * and {@link #reauthenticate()} uses it (see {@link Authenticator}, docs/mqtt5-subscriptions.md).
     *
     * @param authenticator the authenticator, or null for none
     * @throws IllegalStateException when setting one while the client speaks MQTT 3.1.1
     * @since 1.5
     */
    public void setAuthenticator(Authenticator authenticator) {
        if (authenticator != null) {
            session5.requireMqtt5("an authenticator (enhanced authentication)");
        }
        auth.configured = authenticator;
    }

    /**
     * The authenticator set with {@link #setAuthenticator(Authenticator)}, or null.
     *
     * @since 1.5
     */
    public Authenticator authenticator() {
        return auth.configured;
    }

    /**
     * Re-authenticates the connection (MQTT 5 section 4.12.1): sends AUTH with reason code 0x19 and
     * the authenticator's initial data, answers the broker's challenges, and returns when the
     * broker's AUTH 0x00 (success) arrives, within the ack timeout. Reads while no other thread
     * reads, else waits for the reader to hand the end over. A failed re-authentication ends the
     * connection (MQTT-4.12.1-2).
     *
     * @throws IllegalStateException when the connection was made without an authenticator, or a
     *         re-authentication is under way
     * @throws MqttException AUTHENTICATION_FAILED when the authenticator throws; TIMEOUT when the
     *         broker does not end the exchange in time; the connection's failure (e.g.
     *         DISCONNECTED_BY_SERVER) when the broker refuses
     * @since 1.5
     */
    public void reauthenticate() throws IOException {
        auth.reauthenticate();
    }

    /**
     * MQTT 5 request/response (section 4.10): publishes {@code payload} to {@code topic} with the
     * client's response topic and correlation data of its own, and waits for the message on the
     * response topic that carries that correlation data. Meanwhile other messages go to the callback
     * (it reads like {@link #waitMsg()}, or waits for the thread running the loop to hand the
     * response over); the response itself never does. May be called from the callback. The
     * response topic is subscribed once per connection at the first request (see
     * docs/mqtt5-subscriptions.md).
     *
     * @param properties further properties of the request, without response topic and correlation
     *        data, or {@link MqttProperties#EMPTY}
     * @param timeoutMillis how long to wait for the response, more than 0
     * @throws IllegalStateException on MQTT 3.1.1
     * @throws IllegalArgumentException for a bad topic, payload, QoS, timeout, or properties that
     *         carry a response topic or correlation data
     * @throws MqttException TIMEOUT when no response arrives in time; the publish's or the response
     *         topic subscription's failure
     * @since 1.5
     */
    public Response request(String topic, byte[] payload, int qos, MqttProperties properties, long timeoutMillis)
            throws IOException {
        return requests.request(topic, payload, qos, properties, timeoutMillis);
    }

    /**
     * Validates the arguments of {@link #subscribe(String[], int[])} as it does: at least one
     * filter, each a valid topic filter, and one supported QoS per filter.
     *
     * @throws IllegalArgumentException naming the first bad filter, its index and the client
     * @since 1.4
     */
    protected final void checkSubscribeArguments(String[] filters, int[] qos) {
        subscriber.checkSubscribe(filters, qos);
    }

    /**
     * Validates the argument of {@link #unsubscribe(String[])} as it does: at least one filter,
     * each a valid topic filter.
     *
     * @throws IllegalArgumentException naming the first bad filter, its index and the client
     * @since 1.4
     */
    protected final void checkUnsubscribeArguments(String[] filters) {
        subscriber.checkFilters(filters, null);
    }

    /**
     * Validates PUBLISH arguments as {@link #publish(byte[], byte[], boolean, int)} does.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    protected static void checkPublishArguments(byte[] topic, byte[] msg, int qos) {
        Publisher.checkArguments(topic, msg, qos);
    }

    /** Validates a QoS: 0, 1 or 2 ({@code IllegalArgumentException} otherwise). */
    protected static void checkQos(int qos) {
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, found " + qos);
        }
    }

    // ------------------------------------------------------------------ loop

    /**
     * Waits for one packet from the broker and processes it; a PUBLISH goes to the callback
     * (umqtt's {@code wait_msg}). While it waits it keeps the connection alive: PINGREQ after a
     * keepalive without traffic; the connection is declared dead after 1.5 &times; keepalive
     * without any packet received.
     *
     * @return the type of the packet processed
     */
    public PacketType waitMsg() throws IOException {
        return inbound.waitMsg();
    }

    /**
     * Processes a packet if one is pending, without blocking, also not for the rest of a packet
     * that has only partly arrived (umqtt's {@code check_msg}). Sends a due PINGREQ.
     *
     * @return the type processed, or {@link PacketType#NONE} when nothing complete was pending
     */
    public PacketType checkMsg() throws IOException {
        return inbound.checkMsg();
    }

    /**
     * Runs {@link #waitMsg()} on the calling thread until the connection is closed or lost. While
     * it runs, only this thread reads and calls the callback. An exception thrown by the callback
     * is logged and the loop goes on.
     *
     * @throws IOException why the connection was lost; returns normally after
     *         {@link #disconnect()} or {@link #close()}
     */
    public void loop() throws IOException {
        inbound.loop();
    }

    /**
     * Marks the connection lost (unless it was closed on purpose), closes the socket and fails
     * every pending operation. Returns {@code e} for throwing.
     */
    protected final IOException fail(IOException e) {
        return lifecycle.fail(e);
    }

    // ------------------------------------------------------------------ MQTT 5 (see docs/mqtt5.md)
    // The MQTT 5 part is Session5; these methods check and delegate.

    /**
     * The protocol version of the next {@link #connect(boolean)}: 4 (MQTT 3.1.1, the default) or
     * 5 (MQTT 5). The MQTT 5 settings below need 5 (a value other than their default is refused
     * with an {@code IllegalStateException} on 3.1.1).
     *
     * @throws IllegalArgumentException unless 4 or 5
     * @throws IllegalStateException while connected or connecting
     * @since 1.5
     */
    public void setProtocolVersion(int version) {
        session5.setProtocolVersion(version);
    }

    /** The protocol version set with {@link #setProtocolVersion(int)}: 4 or 5. @since 1.5 */
    public int protocolVersion() {
        return session5.protocolVersion;
    }

    /**
     * MQTT 5: the Session Expiry Interval of CONNECT in seconds, 0..0xFFFFFFFF (default 0: the
     * session ends with the connection). {@code connect(cleanSession)} sends Clean Start.
     *
     * @since 1.5
     */
    public void setSessionExpiryInterval(long seconds) {
        session5.setSessionExpiryInterval(seconds);
    }

    /**
     * MQTT 5: the Receive Maximum announced, 1..65535 (default 65535): received QoS 1 and 2
     * messages awaiting our ack at once; a broker that sends more is a protocol error (0x93).
     *
     * @since 1.5
     */
    public void setReceiveMaximum(int max) {
        session5.setReceiveMaximum(max);
    }

    /**
     * MQTT 5: the highest topic alias accepted from the broker, 0..65535 (default 0: none).
     *
     * @since 1.5
     */
    public void setTopicAliasMaximum(int max) {
        session5.setTopicAliasMaximum(max);
    }

    /**
     * MQTT 5: how many topics get an outbound topic alias on a connection (within the broker's
     * Topic Alias Maximum), 0..65535; default {@value #DEFAULT_OUTBOUND_TOPIC_ALIASES}; 0: none.
     *
     * @since 1.5
     */
    public void setOutboundTopicAliases(int max) {
        session5.setOutboundTopicAliases(max);
    }

    /** MQTT 5: asks for Response Information in the CONNACK (default false). @since 1.5 */
    public void setRequestResponseInformation(boolean request) {
        session5.setRequestResponseInformation(request);
    }

    /** MQTT 5: whether the broker may send reason strings and user properties (default true). @since 1.5 */
    public void setRequestProblemInformation(boolean request) {
        session5.setRequestProblemInformation(request);
    }

    /** MQTT 5: user properties of CONNECT, in order; null or empty for none. @since 1.5 */
    public void setConnectUserProperties(java.util.List<UserProperty> properties) {
        session5.setConnectUserProperties(properties);
    }

    /**
     * MQTT 5: {@link #setLastWill(byte[], byte[], boolean, int)} with will properties (null for
     * none) and a Will Delay Interval in seconds (0..0xFFFFFFFF).
     *
     * @since 1.5
     */
    public void setLastWill(String topic, byte[] msg, boolean retain, int qos, MqttProperties willProperties,
            long willDelaySeconds) {
        session5.setLastWill(MqttStrings.utf8("topic", topic), msg, retain, qos, willProperties, willDelaySeconds);
    }

    /**
     * MQTT 5: what the server's CONNACK of the current (or last) connection set; null before the
     * first MQTT 5 connection.
     *
     * @since 1.5
     */
    public ServerSettings serverSettings() {
        return session5.server;
    }

    /** {@link #publish(byte[], byte[], boolean, int, MqttProperties)} with the topic as UTF-8. @since 1.5 */
    public void publish(String topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        publish(MqttStrings.utf8("topic", topic), msg, retain, qos, properties);
    }

    /**
     * {@link #publish(byte[], byte[], boolean, int)} with MQTT 5 properties (null for none;
     * refused on MQTT 3.1.1). A QoS 1 or 2 publish the broker refuses (reason code 0x80 or more)
     * fails with {@link MqttException.Reason#PUBLISH_REFUSED}, the code and reason string in it.
     *
     * @throws IllegalArgumentException also for a packet above the broker's Maximum Packet Size
     * @since 1.5
     */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        publisher.publish(topic, msg, retain, qos, properties);
    }

    /**
     * {@link #publishAsync(byte[], byte[], boolean, int)} with MQTT 5 properties; the window is
     * the smaller of {@link #maxInflight()} and the broker's Receive Maximum.
     *
     * @since 1.5
     */
    public PublishToken publishAsync(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        return publisher.publishAsync(topic, msg, retain, qos, properties);
    }

    /** {@link #publishAsync(byte[], byte[], boolean, int, MqttProperties)} with the topic as UTF-8. @since 1.5 */
    public PublishToken publishAsync(String topic, byte[] msg, boolean retain, int qos, MqttProperties properties)
            throws IOException {
        return publishAsync(MqttStrings.utf8("topic", topic), msg, retain, qos, properties);
    }

    /**
     * MQTT 5: {@link #disconnect()} with a reason code: 0x00 normal, 0x04 with will message (the
     * broker publishes the will), or another code a client may send (MQTT 5 table 3-10).
     *
     * @throws IllegalArgumentException for a code a client may not send
     * @throws IllegalStateException on MQTT 3.1.1
     * @since 1.5
     */
    public void disconnect(int reasonCode) throws IOException {
        lifecycle.disconnect(session5.disconnectPacket(reasonCode));
    }

    /** {@link #sendPublish(byte[], byte[], boolean, int, boolean, int)} with MQTT 5 properties. @since 1.5 */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, int qos, boolean dup, int packetId,
            MqttProperties properties) throws IOException {
        return publisher.send(topic, msg, retain, qos, dup, packetId, properties);
    }

    /** {@link #sendPublish(byte[], byte[], boolean, boolean, int, Qos2Step)} with MQTT 5 properties. @since 1.5 */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, boolean dup, int packetId,
            Qos2Step beforeWrite, MqttProperties properties) throws IOException {
        return publisher.sendQos2(topic, msg, retain, dup, packetId, beforeWrite, properties);
    }

    @Override
    public String toString() {
        return "MqttClient[" + settings.clientId + "@" + settings.broker() + (settings.tls != null ? " tls" : "")
                + ", " + state + "]";
    }

    /**
     * A QoS 1 or 2 PUBLISH sent with {@link MqttClient#sendPublish} and not yet acknowledged; also a
     * {@link PublishToken} (since 1.1).
     */
    protected abstract static class InFlight extends PublishToken {
        InFlight() {
        }

        /** Its packet identifier. */
        @Override
        public abstract int packetId();

        /**
         * QoS 2: whether the broker's PUBREC was read (the broker has the message; the flow goes on
         * with PUBREL and must never send the PUBLISH again in this session). False at QoS 1.
         *
         * @since 1.4
         */
        public abstract boolean pubrecReceived();
    }
}
