package io.umqtt.simple;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.internal.codec.PingreqEncoder;
import io.umqtt.simple.internal.codec.PublishEncoder;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.SubscribeEncoder;
import io.umqtt.simple.internal.codec.UnsubscribeEncoder;
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
 * Any thread may publish, subscribe and unsubscribe. Writes are serialised by a write lock.
 * Reading is done by one thread at a time, the <em>reader</em>: the thread in {@code waitMsg},
 * {@code checkMsg} or {@code loop}, or else a thread whose QoS 1 operation waits for its ack.
 * The reader completes every thread's acks by packet id and unparks only the threads waiting
 * for that ack; a thread that waits while another reads is parked until its ack is read or the
 * reader role is handed to it (first come, first served) when the reader leaves.
 * The callback runs on the reader; a QoS 1 operation it makes reads on until its own ack arrives,
 * and PUBLISHes read meanwhile are queued and delivered after the callback returns, so callbacks
 * never nest and recursion stays bounded. The queue is bounded
 * ({@value #MAX_QUEUED_WHILE_CALLBACK_WAITS} messages or 16 MiB): when it is full the reader stops
 * reading (TCP holds the broker back) and the operation times out unless its ack was already read.
 * <p>
 * Every write is bounded: a write that makes no progress for the {@link #setWriteTimeout write
 * timeout} is seen by one daemon thread shared by all clients, {@code umqtt-watchdog} (running
 * while any client is connected), which closes the socket: the connection is declared dead even
 * when the reader itself is the thread blocked in the write.
 * <p>
 * Small packets written close together leave together: a PUBLISH that follows another within
 * 20 &micro;s, or a {@code publishAsync} while earlier ones await their PUBACK, is held back until
 * 8 KiB are held, another packet is written, a thread is about to wait for anything that depends
 * on it, {@link #disconnect()}, {@link #close()} or a connection failure, and at the latest 1 ms
 * later (one daemon thread shared by all clients, {@code umqtt-flush}, running while something
 * is held back); a PUBACK is held while another received PUBLISH follows, and written before the
 * reader blocks. The first packet after a pause is written at once. "Written" below means handed
 * to this write path.
 * <p>
 * {@link #publishAsync} returns once the PUBLISH is written and keeps at most
 * {@link #setMaxInflight(int) maxInflight} of them unacknowledged; their PUBACKs are read by
 * whichever thread reads.
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
        keepAlive = new KeepAlive(this, keepAliveSeconds);
        outbound = new Outbound(this, settings);
        reader = new PacketReader(this, settings);
        acks = new AckTable(this, lock);
        readers = new ReaderRole(this, lock);
        inbound = new Inbound(this, reader, acks, keepAlive);
        lifecycle = new Lifecycle(this);
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
        Settings.Target target = Settings.parse(server, port);
        synchronized (lock) {
            if (state == ConnectionState.CONNECTED || state == ConnectionState.CONNECTING) {
                throw new IllegalStateException("cannot change the server while " + state);
            }
            settings.setServer(target);
        }
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
     * How many QoS 1 {@link #publishAsync} publishes may await their PUBACK at once; a further
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

    /** Sets the receiver of PUBLISH packets (umqtt's {@code set_callback}). */
    public void setCallback(MessageCallback callback) {
        settings.callback = callback;
    }

    /**
     * Sets the last will, sent with the next {@link #connect(boolean)} (umqtt's {@code set_last_will}).
     *
     * @throws IllegalArgumentException for a bad topic, a null message or QoS other than 0 and 1
     */
    public void setLastWill(byte[] topic, byte[] msg, boolean retain, int qos) {
        Settings.checkWill(topic, msg, qos);
        synchronized (lock) {
            settings.setWill(topic, msg, retain, qos);
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
        checkConnected();
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
     * publish's packet id arrived, delivering PUBLISHes read meanwhile to the callback.
     *
     * @throws IllegalArgumentException for a bad topic, a null message or an unsupported QoS
     * @throws MqttException TIMEOUT when no PUBACK arrives within the ack timeout
     * @throws IOException when not connected or the connection fails
     */
    public void publish(byte[] topic, byte[] msg, boolean retain, int qos) throws IOException {
        checkPublishArguments(topic, msg, qos);
        checkConnected();
        if (qos == 0) {
            outbound.writePublish(topic, msg, 0, retain, false, 0, false);
            return;
        }
        Pending p = acks.register(PacketType.PUBACK, topic, 0);
        p.mark = outbound.writePublish(topic, msg, qos, retain, false, p.id, false);
        acks.awaitAck(p);
    }

    /**
     * Publishes a message without waiting for its PUBACK: returns once the PUBLISH is written,
     * with a token that completes when the PUBACK arrives. While {@link #setMaxInflight(int)
     * maxInflight} QoS 1 publishes of this method are unacknowledged, it first waits for the
     * oldest of them (reading from the socket when no other thread does); one not acknowledged
     * within the ack timeout of that wait is given up, its token failing with TIMEOUT.
     * <p>
     * PUBACKs are read by whichever thread reads: a thread in {@link #loop()}, {@link #waitMsg()}
     * or {@link #checkMsg()}, one waiting in {@link PublishToken#await()}, or this method when the
     * window is full. When the connection is lost, every token of it fails.
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
        checkPublishArguments(topic, msg, qos);
        checkConnected();
        if (qos == 0) {
            outbound.writePublish(topic, msg, 0, retain, false, 0, false);
            return Pending.WRITTEN;
        }
        Pending p = acks.registerAsync(topic);
        // while earlier publishAsync publishes await their PUBACK this one is part of a pipelined stream
        p.mark = outbound.writePublish(topic, msg, qos, retain, false, p.id, acks.asyncInFlight() > 1);
        return p;
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
     * validated, without waiting. At QoS 1 it first registers the PUBACK wait under
     * {@code packetId} when that id is free (a resend with DUP in a surviving session), or under a
     * new id otherwise. Returns the handle to {@link #awaitPuback(InFlight) wait} with, or
     * {@code null} at QoS 0.
     */
    protected final InFlight sendPublish(byte[] topic, byte[] msg, boolean retain, int qos, boolean dup, int packetId)
            throws IOException {
        checkConnected();
        if (qos == 0) {
            outbound.writePublish(topic, msg, 0, retain, false, 0, false);
            return null;
        }
        Pending p = acks.register(PacketType.PUBACK, topic, packetId);
        p.mark = outbound.writePublish(topic, msg, qos, retain, dup, p.id, false);
        return p;
    }

    /**
     * Waits for the PUBACK of a publish sent with {@link #sendPublish}; reads from the socket when
     * no other thread does.
     *
     * @throws IOException when the connection is lost first (the publish may or may not have
     *         reached the broker), or the ack timeout passes
     */
    protected final void awaitPuback(InFlight publish) throws IOException {
        acks.awaitAck((Pending) publish);
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
        TopicFilter.parse(filter);
        checkQos(qos);
        checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = acks.register(PacketType.SUBACK, f, 0);
        byte[] packet = SubscribeEncoder.encode(p.id, f, qos);
        outbound.writePacket(packet);
        int granted = acks.awaitAck(p);
        if (granted == SubackDecoder.FAILURE) {
            throw new MqttException(Reason.SUBSCRIPTION_REFUSED, granted, "broker " + settings.broker()
                    + " refused the subscription to '" + filter + "' (SUBACK return code 0x80)");
        }
        return granted;
    }

    /** Unsubscribes a topic filter and waits for the UNSUBACK. */
    public void unsubscribe(String filter) throws IOException {
        TopicFilter.parse(filter);
        checkConnected();
        byte[] f = filter.getBytes(StandardCharsets.UTF_8);
        Pending p = acks.register(PacketType.UNSUBACK, f, 0);
        byte[] packet = UnsubscribeEncoder.encode(p.id, f);
        outbound.writePacket(packet);
        acks.awaitAck(p);
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
     * Validates PUBLISH arguments as {@link #publish(byte[], byte[], boolean, int)} does.
     *
     * @throws IllegalArgumentException naming the bad argument
     */
    protected static void checkPublishArguments(byte[] topic, byte[] msg, int qos) {
        TopicFilter.validateTopicName(topic);
        if (msg == null) {
            throw new IllegalArgumentException("msg must not be null (use an empty array)");
        }
        checkQos(qos);
        PublishEncoder.remainingLength(topic.length, msg.length, qos);
    }

    /** Validates a QoS: 0 or 1 ({@code IllegalArgumentException} otherwise, with QoS 2 named). */
    protected static void checkQos(int qos) {
        if (qos == 2) {
            throw new IllegalArgumentException("QoS 2 is not supported by this client (umqtt supports QoS 0 and 1)");
        }
        if (qos != 0 && qos != 1) {
            throw new IllegalArgumentException("qos must be 0 or 1, found " + qos);
        }
    }

    private void checkConnected() throws IOException {
        if (state != ConnectionState.CONNECTED) {
            throw lifecycle.notConnected();
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

    /** For tests: makes {@code id} the last packet id handed out. */
    void setLastPacketId(int id) {
        acks.setLastPacketId(id);
    }

    /** The read buffer's capacity (tests: a huge announced packet is not allocated up front). */
    int readBufferCapacity() {
        return reader.capacity();
    }

    /** How many PUBLISHes wait for the running callback to return; call on the reader (tests). */
    int deferredCount() {
        return inbound.deferredCount();
    }

    /** The packet ids currently awaiting acks (tests). */
    List<Integer> pendingPacketIds() {
        return acks.pendingIds();
    }

    @Override
    public String toString() {
        return "MqttClient[" + settings.clientId + "@" + settings.broker() + (settings.tls != null ? " tls" : "")
                + ", " + state + "]";
    }

    /**
     * A QoS 1 PUBLISH sent with {@link MqttClient#sendPublish} and not yet acknowledged; also a
     * {@link PublishToken} (since 1.1).
     */
    protected abstract static class InFlight extends PublishToken {
        InFlight() {
        }

        /** Its packet identifier. */
        @Override
        public abstract int packetId();
    }
}
