package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.internal.codec.ConnackDecoder5;
import io.umqtt.simple.internal.codec.Disconnect5;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.Properties;
import io.umqtt.simple.internal.codec.PropertyWriter;
import io.umqtt.simple.internal.codec.PublishEncoder;

/**
 * The MQTT 5 part of {@link MqttClient}: the protocol version and the MQTT 5 connect settings,
 * the CONNECT and CONNACK of MQTT 5, what the server's CONNACK set for the connection
 * ({@link ServerSettings}: receive maximum, maximum packet size, topic alias maximum, keepalive,
 * assigned client identifier), the outbound topic aliases ({@link TopicAliases}), the count of
 * received QoS 1 and 2 messages not yet acknowledged (our Receive Maximum), a server's DISCONNECT
 * and the DISCONNECT the client sends on a protocol error; it holds the client's other MQTT 5
 * parts, {@link AuthExchange}, {@link Requests} and {@link UnnumberedWaits}. On an MQTT 3.1.1
 * connection ({@link #v5} false) it does nothing and the client behaves byte for byte as before.
 * <p>
 * A client has none until it needs one ({@link #of}: {@code setProtocolVersion(5)} or another MQTT 5
 * setting or call), so an MQTT 3.1.1 client holds no MQTT 5 state; once made it stays. The parts
 * test {@link #v5(MqttClient)}, which is false while there is none.
 * <p>
 * Threading: made under the client's lock and published through the volatile
 * {@code MqttClient.session5} (its parts are final fields), so every thread that reads that field
 * sees it whole. The settings are volatile (read at each connect); the will's MQTT 5 part is guarded
 * by the client's lock like the will; {@link #v5}, {@link #server} and the limits taken from it are
 * written by the connecting thread (holding the reader role) before the connection is CONNECTED
 * and read by any thread after; the topic aliases are guarded by {@code Outbound.writeLock}; the
 * inbound count is atomic.
 */
final class Session5 {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());

    private final MqttClient c;

    // ---- settings ----
    volatile int protocolVersion = MqttConstants.MQTT_3_1_1;
    volatile long sessionExpiryInterval;
    volatile int receiveMaximum = 65_535;
    volatile int topicAliasMaximum;
    volatile int outboundTopicAliases = MqttClient.DEFAULT_OUTBOUND_TOPIC_ALIASES;
    volatile boolean requestResponseInformation;
    volatile boolean requestProblemInformation = true;
    volatile List<UserProperty> connectUserProperties = Collections.emptyList();
    /** Enhanced authentication (filled by the authenticator's part): method and initial data, or null. */
    volatile String authenticationMethod;
    volatile byte[] authenticationData;
    /** The will's MQTT 5 part; guarded by the client's lock. */
    MqttProperties willProperties = MqttProperties.EMPTY;
    long willDelayInterval;

    // ---- the connection (see the class threading notes) ----
    /** Whether the current (or last) connection speaks MQTT 5. */
    volatile boolean v5;
    /** The Topic Alias Maximum and Session Expiry Interval the CONNECT sent. */
    int sentTopicAliasMaximum;
    private long sentSessionExpiry;
    private int receiveMaximumSent = 65_535;
    /** The client identifier the server assigned on a connection of this client, used by its next CONNECTs. */
    private volatile String assignedClientId;
    volatile ServerSettings server;
    /** The server's Receive Maximum: our in-flight window for QoS 1 and 2 publishes. */
    volatile int serverReceiveMaximum = 65_535;
    /** The server's Maximum Packet Size, or {@link ServerSettings#NO_LIMIT}. */
    volatile long serverMaximumPacketSize = ServerSettings.NO_LIMIT;
    /** Guarded by {@code Outbound.writeLock}. */
    final TopicAliases aliases = new TopicAliases();
    /** Received QoS 1 and 2 PUBLISHes whose PUBACK (QoS 2: PUBCOMP) is not written yet. */
    final AtomicInteger inboundInFlight = new AtomicInteger();
    /** Made on the first MQTT 5 CONNACK; used by the connecting thread. */
    private ConnackDecoder5 connack;
    /** The waits without a packet id: a request's response, a re-authentication's end. */
    final UnnumberedWaits unnumbered;
    /** Enhanced authentication (section 4.12). */
    final AuthExchange auth;
    /** Request/response (section 4.10). */
    final Requests requests;

    private Session5(MqttClient client) {
        this.c = client;
        this.unnumbered = new UnnumberedWaits(client, client.acks, client.lock);
        this.auth = new AuthExchange(client, this);
        this.requests = new Requests(client, unnumbered);
    }

    /** The MQTT 5 part of {@code c}, made now (under the client's lock) if it has none yet. */
    static Session5 of(MqttClient c) {
        Session5 s = c.session5;
        if (s != null) {
            return s;
        }
        synchronized (c.lock) {
            if (c.session5 == null) {
                c.session5 = new Session5(c);
            }
            return c.session5;
        }
    }

    /** Whether the current (or last) connection of {@code c} speaks MQTT 5; false without an MQTT 5 part. */
    static boolean v5(MqttClient c) {
        Session5 s = c.session5;
        return s != null && s.v5;
    }

    /** Whether {@code topic} is the response topic of {@code c}'s requests (for messages). */
    static boolean isResponseTopic(MqttClient c, byte[] topic) {
        Session5 s = c.session5;
        return s != null && s.requests.isResponseTopic(topic);
    }

    /** {@link MqttClient#protocolVersion()}: 4 without an MQTT 5 part. */
    static int protocolVersion(MqttClient c) {
        Session5 s = c.session5;
        return s == null ? MqttConstants.MQTT_3_1_1 : s.protocolVersion;
    }

    /**
     * The CONNECT of the next connection of {@code c} (MQTT 3.1.1 or 5), and its per-connection
     * state reset; caller holds the client's lock (the will).
     */
    static byte[] connectPacket(MqttClient c, boolean cleanStart) {
        c.keepAlive.use(c.settings.keepAliveSeconds);
        c.acks.resetSlots();
        Session5 s = c.session5;
        return s == null ? c.settings.connect(cleanStart) : s.connectPacket(cleanStart);
    }

    /** Refuses a setting that only MQTT 5 has while the client is set to MQTT 3.1.1. */
    void requireMqtt5(String setting) {
        if (protocolVersion != MqttConstants.MQTT_5) {
            throw new IllegalStateException("client '" + c.settings.clientId + "': " + setting + " is an MQTT 5 "
                    + "setting, but the client speaks MQTT 3.1.1; call setProtocolVersion(5) first");
        }
    }

    /** {@link #connectPacket(MqttClient, boolean)} with an MQTT 5 part: its connection state reset. */
    private byte[] connectPacket(boolean cleanStart) {
        v5 = protocolVersion == MqttConstants.MQTT_5;
        server = null;
        serverReceiveMaximum = 65_535;
        serverMaximumPacketSize = ServerSettings.NO_LIMIT;
        inboundInFlight.set(0);
        if (!v5) {
            return c.settings.connect(cleanStart);
        }
        sentTopicAliasMaximum = topicAliasMaximum;
        sentSessionExpiry = sessionExpiryInterval;
        receiveMaximumSent = receiveMaximum;
        PropertyWriter p = new PropertyWriter(Properties.CONNECT);
        if (sentSessionExpiry > 0) {
            p.putFourByte(Properties.SESSION_EXPIRY_INTERVAL, sentSessionExpiry);
        }
        if (receiveMaximum != 65_535) {
            p.putTwoByte(Properties.RECEIVE_MAXIMUM, receiveMaximum);
        }
        p.putFourByte(Properties.MAXIMUM_PACKET_SIZE, announcedMaximumPacketSize(c.settings.maxPacketSize));
        if (sentTopicAliasMaximum > 0) {
            p.putTwoByte(Properties.TOPIC_ALIAS_MAXIMUM, sentTopicAliasMaximum);
        }
        if (requestResponseInformation) {
            p.putByte(Properties.REQUEST_RESPONSE_INFORMATION, 1);
        }
        if (!requestProblemInformation) {
            p.putByte(Properties.REQUEST_PROBLEM_INFORMATION, 0);
        }
        p.putUserProperties(connectUserProperties);
        String method = authenticationMethod;
        if (method != null) {
            p.putString(Properties.AUTHENTICATION_METHOD, method.getBytes(StandardCharsets.UTF_8));
            byte[] data = authenticationData;
            if (data != null) {
                p.putBinary(Properties.AUTHENTICATION_DATA, data);
            }
        }
        PropertyWriter will = new PropertyWriter(Properties.WILL);
        if (willDelayInterval > 0) {
            will.putFourByte(Properties.WILL_DELAY_INTERVAL, willDelayInterval);
        }
        MqttProperties wp = willProperties;
        if (!wp.isEmpty()) {
            if (wp.payloadFormat() != MqttProperties.FORMAT_UNSPECIFIED) {
                will.putByte(Properties.PAYLOAD_FORMAT_INDICATOR, wp.payloadFormat());
            }
            if (wp.messageExpiryInterval() != MqttProperties.NO_EXPIRY) {
                will.putFourByte(Properties.MESSAGE_EXPIRY_INTERVAL, wp.messageExpiryInterval());
            }
            if (wp.contentType() != null) {
                will.putString(Properties.CONTENT_TYPE, wp.contentType().getBytes(StandardCharsets.UTF_8));
            }
            if (wp.responseTopic() != null) {
                will.putString(Properties.RESPONSE_TOPIC, wp.responseTopic().getBytes(StandardCharsets.UTF_8));
            }
            if (wp.correlationData() != null) {
                will.putBinary(Properties.CORRELATION_DATA, wp.correlationData());
            }
            will.putUserProperties(wp.userProperties());
        }
        String id = c.settings.clientId;
        if (id.isEmpty() && assignedClientId != null) {
            id = assignedClientId; // the server's name for this client: its session can be resumed
        }
        return c.settings.connect5(cleanStart, id.getBytes(StandardCharsets.UTF_8), p, will);
    }

    /**
     * The Maximum Packet Size announced for a client that accepts remaining lengths up to
     * {@code maxRemaining}: the largest whole packet with such a remaining length, so that every
     * packet the server may send (section 3.1.2.11.4 counts the whole packet) is one the client reads.
     */
    static long announcedMaximumPacketSize(int maxRemaining) {
        return 1L + FixedHeader.varIntSize(maxRemaining) + maxRemaining;
    }

    /**
     * Decodes the MQTT 5 CONNACK at {@code b[off..off+len)} and takes what it sets for the
     * connection; returns Session Present.
     */
    boolean readConnack(byte[] b, int off, int len, boolean cleanStart) throws MqttException {
        if (connack == null) {
            connack = new ConnackDecoder5();
        }
        connack.decode(b, off, len, cleanStart, c.settings.server, c.settings.port);
        ServerSettings s = new ServerSettings(connack, sentSessionExpiry);
        if (s.assignedClientIdentifier() != null) {
            if (!c.settings.clientId.isEmpty()) {
                LOG.log(Level.DEBUG, () -> "MQTT client " + c.settings.clientId + ": the server assigned the client "
                        + "identifier '" + s.assignedClientIdentifier() + "' although the CONNECT carried one");
            }
            assignedClientId = s.assignedClientIdentifier();
        }
        if (s.serverKeepAlive() >= 0) {
            c.keepAlive.use(s.serverKeepAlive()); // MQTT-3.2.2-21: the server's keepalive replaces ours
        }
        serverReceiveMaximum = s.receiveMaximum();
        serverMaximumPacketSize = s.maximumPacketSize();
        synchronized (aliasLock()) {
            aliases.reset(Math.min(outboundTopicAliases, s.topicAliasMaximum()));
        }
        server = s;
        return s.sessionPresent();
    }

    private Object aliasLock() {
        return c.outbound.writeLock();
    }

    /**
     * The exception a server's DISCONNECT ends the connection with: DISCONNECTED_BY_SERVER with
     * its reason code and string.
     */
    MqttException serverDisconnected(Disconnect5 d) {
        int code = d.reasonCode();
        return new MqttException(Reason.DISCONNECTED_BY_SERVER, code, d.reasonString(), d.serverReference(), "broker "
                + c.settings.broker() + " disconnected client '" + c.settings.clientId + "': "
                + MqttException.reasonCodeName(code) + String.format(" (DISCONNECT reason code 0x%02X)", code)
                + (d.reasonString() != null ? ": " + d.reasonString() : "")
                + (d.serverReference() != null ? "; server reference: " + d.serverReference() : ""));
    }

    /**
     * The DISCONNECT to send before closing a connection that fails with {@code e}, or null: on an
     * MQTT 5 connection whose server broke the protocol, with the reason code the error carries
     * (0x81 malformed packet, 0x82 protocol error, 0x93, 0x94, 0x95), 0x82 when it carries none
     * (section 4.13.1).
     */
    byte[] disconnectFor(IOException e) {
        if (!v5 || !(e instanceof MqttException) || ((MqttException) e).reason() != Reason.PROTOCOL_ERROR) {
            return null;
        }
        int code = ((MqttException) e).returnCode();
        return Disconnect5.encode(Disconnect5.fromClient(code) && code >= 0x80 ? code : Properties.PROTOCOL_ERROR, null);
    }

    /**
     * Refuses a PUBLISH the server would not accept: one above its Maximum Packet Size (sent in
     * full, without alias) or, with properties, on an MQTT 3.1.1 connection.
     *
     * @param props the encoded properties, or null
     */
    static void checkPublish(MqttClient c, byte[] topic, byte[] msg, int qos, MqttProperties properties, byte[] props) {
        Session5 s = c.session5;
        if (s == null || !s.v5) {
            if (properties != null && !properties.isEmpty()) {
                throw new IllegalArgumentException("client '" + c.settings.clientId + "' speaks MQTT 3.1.1, which has "
                        + "no message properties: call setProtocolVersion(5) before connect to publish " + properties);
            }
            return;
        }
        long max = s.serverMaximumPacketSize;
        if (max == ServerSettings.NO_LIMIT) {
            return;
        }
        int propsLength = props == null ? 0 : props.length;
        long rem = PublishEncoder.remainingLength5(topic.length, msg.length, qos, propsLength);
        if (rem > io.umqtt.api.MqttConstants.MAX_REMAINING_LENGTH) {
            return; // the encoder refuses it, naming MQTT's limit
        }
        long total = 1 + FixedHeader.varIntSize((int) rem) + rem;
        if (total > max) {
            throw new IllegalArgumentException("message too large for broker " + c.settings.broker() + " (client '"
                    + c.settings.clientId + "'): the PUBLISH on '" + new String(topic, StandardCharsets.UTF_8)
                    + "' would be " + total + " bytes, the broker's Maximum Packet Size is " + max
                    + " (MQTT-3.1.2-24); nothing was sent");
        }
    }

    /**
     * A QoS 1 or 2 PUBLISH arrived that must be acknowledged (not a QoS 2 duplicate): counts it
     * against the Receive Maximum the client announced.
     *
     * @throws MqttException PROTOCOL_ERROR with reason code 0x93 when the server sends more than that
     *         unacknowledged (MQTT-3.3.4-9)
     */
    void received(int packetId) throws MqttException {
        int now = inboundInFlight.incrementAndGet();
        if (now > receiveMaximumSent) {
            throw new MqttException(Reason.PROTOCOL_ERROR, 0x93, "broker " + c.settings.broker() + " sent client '"
                    + c.settings.clientId + "' a QoS 1/2 PUBLISH (packet id " + packetId + ") while " + (now - 1)
                    + " await their acknowledgement, more than the Receive Maximum " + receiveMaximumSent
                    + " the client announced (MQTT-3.3.4-9)");
        }
    }

    /** A received QoS 1 message's PUBACK (QoS 2: PUBCOMP) is written: one fewer in flight. */
    void acknowledged() {
        while (true) {
            int n = inboundInFlight.get();
            if (n <= 0 || inboundInFlight.compareAndSet(n, n - 1)) {
                return;
            }
        }
    }

    // ---- the settings' checks (MqttClient delegates) ----

    private String name() {
        return "client '" + c.settings.clientId + "'";
    }

    /** {@link MqttClient#setProtocolVersion}: version 5 makes the MQTT 5 part. */
    static void setProtocolVersion(MqttClient c, int version) {
        String name = "client '" + c.settings.clientId + "'";
        if (version != MqttConstants.MQTT_3_1_1 && version != MqttConstants.MQTT_5) {
            throw new IllegalArgumentException(name + ": protocol version must be 4 (MQTT 3.1.1) or 5 (MQTT 5), "
                    + "found " + version);
        }
        synchronized (c.lock) {
            if (c.state == io.umqtt.api.ConnectionState.CONNECTED
                    || c.state == io.umqtt.api.ConnectionState.CONNECTING) {
                throw new IllegalStateException(name + ": cannot change the protocol version while " + c.state
                        + "; it takes effect at the next connect");
            }
            if (version == MqttConstants.MQTT_5 || c.session5 != null) {
                of(c).protocolVersion = version;
            }
        }
    }

    void setSessionExpiryInterval(long seconds) {
        if (seconds < 0 || seconds > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(name() + ": session expiry interval must be 0..4294967295 seconds, "
                    + "found " + seconds);
        }
        if (seconds != 0) {
            requireMqtt5("the session expiry interval");
        }
        sessionExpiryInterval = seconds;
    }

    void setReceiveMaximum(int max) {
        if (max < 1 || max > 65_535) {
            throw new IllegalArgumentException(name() + ": receive maximum must be 1..65535, found " + max);
        }
        if (max != 65_535) {
            requireMqtt5("the receive maximum");
        }
        receiveMaximum = max;
    }

    void setTopicAliasMaximum(int max) {
        if (max < 0 || max > 65_535) {
            throw new IllegalArgumentException(name() + ": topic alias maximum must be 0..65535, found " + max);
        }
        if (max != 0) {
            requireMqtt5("the topic alias maximum");
        }
        topicAliasMaximum = max;
    }

    void setOutboundTopicAliases(int max) {
        if (max < 0 || max > 65_535) {
            throw new IllegalArgumentException(name() + ": outbound topic aliases must be 0..65535, found " + max);
        }
        outboundTopicAliases = max;
    }

    void setRequestResponseInformation(boolean request) {
        if (request) {
            requireMqtt5("request response information");
        }
        requestResponseInformation = request;
    }

    void setRequestProblemInformation(boolean request) {
        if (!request) {
            requireMqtt5("request problem information");
        }
        requestProblemInformation = request;
    }

    void setConnectUserProperties(List<UserProperty> properties) {
        List<UserProperty> copy = copyUserProperties(properties);
        if (!copy.isEmpty()) {
            requireMqtt5("connect user properties");
        }
        connectUserProperties = copy;
    }

    /** {@link MqttClient#setLastWill(String, byte[], boolean, int, MqttProperties, long)}. */
    void setLastWill(byte[] topic, byte[] msg, boolean retain, int qos, MqttProperties willProperties,
            long willDelaySeconds) {
        Settings.checkWill(topic, msg, qos);
        MqttProperties p = willProperties == null ? MqttProperties.EMPTY : willProperties;
        if (willDelaySeconds < 0 || willDelaySeconds > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(name() + ": will delay interval must be 0..4294967295 seconds, found "
                    + willDelaySeconds);
        }
        if (p.subscriptionIdentifiers().length > 0) {
            throw new IllegalArgumentException(name() + ": will properties must not carry subscription identifiers");
        }
        if (!p.isEmpty() || willDelaySeconds != 0) {
            requireMqtt5("a will with properties or a will delay");
        }
        synchronized (c.lock) {
            c.settings.setWill(topic, msg, retain, qos);
            this.willProperties = p;
            willDelayInterval = willDelaySeconds;
        }
    }

    /** Forgets the will's MQTT 5 part; caller holds the client's lock. */
    void clearWill() {
        willProperties = MqttProperties.EMPTY;
        willDelayInterval = 0;
    }

    /** The DISCONNECT of {@link MqttClient#disconnect(int)}, checked; null for the plain one (not connected on MQTT 5). */
    byte[] disconnectPacket(int reasonCode) {
        if (!Disconnect5.fromClient(reasonCode)) {
            throw new IllegalArgumentException(String.format("%s: 0x%02X (%s) is not a reason code a client may send "
                    + "in DISCONNECT (MQTT 5 section 3.14.2.1)", name(), reasonCode,
                    MqttException.reasonCodeName(reasonCode)));
        }
        if (!v5 && protocolVersion != MqttConstants.MQTT_5) {
            throw new IllegalStateException(name() + " speaks MQTT 3.1.1, whose DISCONNECT has no reason code; use "
                    + "disconnect()");
        }
        return v5 ? Disconnect5.encode(reasonCode, null) : null;
    }

    /** {@link MqttClient#setConnectUserProperties}. */
    static List<UserProperty> copyUserProperties(List<UserProperty> properties) {
        if (properties == null || properties.isEmpty()) {
            return Collections.emptyList();
        }
        for (UserProperty p : properties) {
            if (p == null) {
                throw new IllegalArgumentException("user properties must not contain null");
            }
        }
        return Collections.unmodifiableList(new java.util.ArrayList<>(properties));
    }
}
