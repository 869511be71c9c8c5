package io.umqtt.simple.connection;

import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.function.UnaryOperator;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.TlsSettings;

/**
 * The validated settings of one broker connection, built from a configuration by
 * {@link #builder(String)} or {@link #of}, and checked by {@code SettingsValidator} (the one
 * validation of both client components). Every check names the configuration property and the
 * bad value ({@code invalid configuration of io.umqtt.simple~a: port=70000 is outside 0..65535}); secrets
 * are never part of a message, of {@link #toString()} or of {@link #serviceProperties}.
 * <p>
 * It depends on nothing but the JDK and the client classes, so any component that drives an
 * {@link MqttClient} can use it. Immutable and thread-safe.
 */
public final class ConnectionSettings {
    /** Property ids, as in the configuration. */
    public static final String NAME = "name";
    public static final String SERVER = "server";
    public static final String PORT = "port";
    public static final String TRANSPORT = "transport";
    public static final String WEBSOCKET_PATH = "websocket.path";
    /** The HTTP proxy of WebSocket connections, {@code host:port}; empty: the JVM's default proxy selector. */
    public static final String WEBSOCKET_PROXY = "websocket.proxy";
    public static final String CLIENT_ID = "client.id";
    public static final String USERNAME = "username";
    public static final String PASSWORD = "password";
    public static final String KEEPALIVE = "keepalive";
    public static final String CLEAN_SESSION = "clean.session";
    public static final String CONNECT_TIMEOUT = "connect.timeout";
    public static final String ACK_TIMEOUT = "ack.timeout";
    public static final String MAX_PACKET_SIZE = "max.packet.size";
    public static final String TLS_ENABLED = "tls.enabled";
    public static final String TLS_TRUSTSTORE = "tls.truststore";
    public static final String TLS_TRUSTSTORE_PASSWORD = "tls.truststore.password";
    public static final String TLS_KEYSTORE = "tls.keystore";
    public static final String TLS_KEYSTORE_PASSWORD = "tls.keystore.password";
    public static final String TLS_STORE_TYPE = "tls.store.type";
    public static final String TLS_VERIFY_HOSTNAME = "tls.verify.hostname";
    public static final String LWT_TOPIC = "lwt.topic";
    public static final String LWT_MESSAGE = "lwt.message";
    public static final String LWT_QOS = "lwt.qos";
    public static final String LWT_RETAIN = "lwt.retain";
    /** Acknowledge received QoS 1 messages after processing (see docs/ack-after-processing.md). */
    public static final String ACK_AFTER_PROCESSING = "ack.after.processing";
    /** Default of {@link #ACK_AFTER_PROCESSING}: acknowledge on receipt, as umqtt does. */
    public static final boolean DEFAULT_ACK_AFTER_PROCESSING = false;

    // MQTT 5 (docs/mqtt5-components.md): the protocol version and the connect settings only MQTT 5 has
    /** {@value}: 4 (MQTT 3.1.1, the default) or 5 (MQTT 5). */
    public static final String PROTOCOL_VERSION = "protocol.version";
    /** {@value}: MQTT 5 session expiry interval in seconds; -1 follows {@link #CLEAN_SESSION}. */
    public static final String SESSION_EXPIRY_INTERVAL = "session.expiry.interval";
    /** {@value}: MQTT 5 Receive Maximum announced to the broker. */
    public static final String RECEIVE_MAXIMUM = "receive.maximum";
    /** {@value}: MQTT 5 Topic Alias Maximum announced to the broker (inbound aliases). */
    public static final String TOPIC_ALIAS_MAXIMUM = "topic.alias.maximum";
    /** {@value}: MQTT 5 topic aliases the client uses at most when publishing. */
    public static final String OUTBOUND_TOPIC_ALIASES = "outbound.topic.aliases";
    /** {@value}: MQTT 5 Request Response Information. */
    public static final String REQUEST_RESPONSE_INFORMATION = "request.response.information";
    /** {@value}: MQTT 5 CONNECT user properties, each "name=value". */
    public static final String USER_PROPERTIES = "user.properties";
    /** {@value}: MQTT 5 Will Delay Interval in seconds. */
    public static final String WILL_DELAY_INTERVAL = "will.delay.interval";
    /** {@link #PROTOCOL_VERSION} value: MQTT 3.1.1. */
    public static final int MQTT_3_1_1 = MqttConstants.MQTT_3_1_1;
    /** {@link #PROTOCOL_VERSION} value: MQTT 5. */
    public static final int MQTT_5 = MqttConstants.MQTT_5;
    /** Default {@link #PROTOCOL_VERSION}: MQTT 3.1.1. */
    public static final int DEFAULT_PROTOCOL_VERSION = MQTT_3_1_1;
    /** Default {@link #SESSION_EXPIRY_INTERVAL}: follow clean session (0 with it, never expiring without). */
    public static final long DEFAULT_SESSION_EXPIRY_INTERVAL = -1;
    /** The session expiry interval that means "never expires", and the largest MQTT four byte integer. */
    public static final long MAX_FOUR_BYTE_INTEGER = 0xFFFF_FFFFL;
    /** The largest MQTT two byte integer (receive maximum, topic alias maximum). */
    public static final int MAX_TWO_BYTE_INTEGER = 65_535;
    /** Default {@link #RECEIVE_MAXIMUM}: MQTT 5's own default, 65535 (so none is announced). */
    public static final int DEFAULT_RECEIVE_MAXIMUM = MAX_TWO_BYTE_INTEGER;
    /** Default {@link #TOPIC_ALIAS_MAXIMUM}: the broker may use no topic aliases towards us (MQTT 5's default). */
    public static final int DEFAULT_TOPIC_ALIAS_MAXIMUM = 0;
    /** Default {@link #OUTBOUND_TOPIC_ALIASES}: up to 16 topics, within the broker's maximum. */
    public static final int DEFAULT_OUTBOUND_TOPIC_ALIASES = MqttClient.DEFAULT_OUTBOUND_TOPIC_ALIASES;

    /** Prefix of generated client identifiers. */
    public static final String GENERATED_CLIENT_ID_PREFIX = "umqtt-";

    // The defaults and limits of the configuration: the builder starts from these, the validation
    // checks these and the Metatype forms state these (ConnectionConfig); nowhere a second literal.
    /** Default broker host. */
    public static final String DEFAULT_SERVER = "localhost";
    /** {@link #TRANSPORT} value: MQTT over TCP (the default). */
    public static final String TRANSPORT_TCP = "tcp";
    /** {@link #TRANSPORT} value: MQTT over WebSocket. */
    public static final String TRANSPORT_WEBSOCKET = "websocket";
    /** Default transport. */
    public static final String DEFAULT_TRANSPORT = TRANSPORT_TCP;
    /** Default WebSocket path. */
    public static final String DEFAULT_WEBSOCKET_PATH = MqttClient.DEFAULT_WEBSOCKET_PATH;
    /** Default MQTT keepalive, in seconds. */
    public static final int DEFAULT_KEEPALIVE_SECONDS = 60;
    /** The simple connection's default connect timeout, in seconds (the robust component has its own). */
    public static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 30;
    /** Default acknowledgement timeout, in seconds. */
    public static final int DEFAULT_ACK_TIMEOUT_SECONDS = 30;
    /** Default largest packet accepted from the broker: the client's, 4 MiB. */
    public static final int DEFAULT_MAX_PACKET_SIZE = MqttClient.DEFAULT_MAX_PACKET_SIZE;
    /** Default type of the TLS key stores. */
    public static final String DEFAULT_STORE_TYPE = TlsSettings.DEFAULT_STORE_TYPE;
    /** Upper bound of both timeouts, in seconds (one day). */
    public static final int MAX_TIMEOUT_SECONDS = 86_400;
    /** Upper bound of the keepalive, in seconds (a 16-bit field); 0 turns keepalive off. */
    public static final int MAX_KEEPALIVE_SECONDS = 65_535;
    /** Upper bound of the port; 0 stands for the default port. */
    public static final int MAX_PORT = 65_535;
    /** Lower bound of the maximum packet size, in bytes (remaining length). */
    public static final int MIN_PACKET_SIZE_BYTES = 2;
    /** Upper bound of the maximum packet size: the largest remaining length MQTT can encode. */
    public static final int MAX_PACKET_SIZE_BYTES = MqttConstants.MAX_REMAINING_LENGTH;
    /** MQTT strings (client id, user name, password, will message) carry a 16-bit length. */
    static final int MAX_STRING_BYTES = 65_535;

    private final String pid;
    private final String name;
    private final String server;
    private final int port;
    /** The WebSocket path and proxy (path null over TCP). */
    private final WebSocketSettings webSocket;
    private final String clientId;
    private final boolean clientIdGenerated;
    private final String username;
    private final String password;
    private final int keepAliveSeconds;
    private final boolean cleanSession;
    private final int connectTimeoutSeconds;
    private final int ackTimeoutSeconds;
    private final int maxPacketSize;
    private final TlsSettings tls;
    private final String lwtTopic;
    private final String lwtMessage;
    private final int lwtQos;
    private final boolean lwtRetain;
    private final boolean ackAfterProcessing;
    /** The protocol version and the MQTT 5 connect settings. */
    private final Mqtt5Settings mqtt5;
    /** The configured values as the builder took them (secrets included; never shown): see {@link #sameAs}. */
    private final java.util.List<Object> inputs;

    ConnectionSettings(Builder b, String name, String server, int port, String webSocketPath, String clientId,
            boolean generated, String username, String password, TlsSettings tls, String lwtTopic, String lwtMessage,
            java.util.List<io.umqtt.api.UserProperty> userProperties) {
        this.pid = b.pid;
        this.name = name;
        this.server = server;
        this.port = port;
        this.webSocket = new WebSocketSettings(webSocketPath, b.webSocketProxy); // validated already
        this.clientId = clientId;
        this.clientIdGenerated = generated;
        this.username = username;
        this.password = password;
        this.keepAliveSeconds = b.keepAliveSeconds;
        this.cleanSession = b.cleanSession;
        this.connectTimeoutSeconds = b.connectTimeoutSeconds;
        this.ackTimeoutSeconds = b.ackTimeoutSeconds;
        this.maxPacketSize = b.maxPacketSize;
        this.tls = tls;
        this.lwtTopic = lwtTopic;
        this.lwtMessage = lwtMessage;
        this.lwtQos = b.lwtQos;
        this.lwtRetain = b.lwtRetain;
        this.ackAfterProcessing = b.ackAfterProcessing;
        this.mqtt5 = new Mqtt5Settings(b, userProperties);
        this.inputs = b.inputs();
    }

    /**
     * Maps the shared connection attributes onto validated settings, with the default connect
     * timeout ({@value #DEFAULT_CONNECT_TIMEOUT_SECONDS} s) and the PID as the default name.
     *
     * @throws IllegalArgumentException naming the bad property and value
     */
    public static ConnectionSettings of(String pid, ConnectionConfig c) {
        return of(pid, pid, c, DEFAULT_CONNECT_TIMEOUT_SECONDS, UnaryOperator.identity());
    }

    /**
     * Maps a component's configuration onto validated settings: the one mapping of the simple and
     * the robust components. The connection is named {@code defaultName} when the configuration
     * names none (Kura's {@code kura.service.pid}, or the PID), the connect timeout is the
     * component's own attribute ({@code connect.timeout}, validated here), and the three passwords
     * go through {@code secrets} first (Kura's decryption, see {@link KuraCrypto}).
     *
     * @throws IllegalArgumentException naming the bad property and value
     */
    public static ConnectionSettings of(String pid, String defaultName, ConnectionConfig c, int connectTimeoutSeconds,
            UnaryOperator<String> secrets) {
        return Mqtt5Settings.configure(builder(pid)
                .defaultName(defaultName)
                .name(c.name())
                .server(c.server())
                .port(c.port())
                .transport(c.transport())
                .webSocketPath(c.websocket_path())
                .webSocketProxy(c.websocket_proxy())
                .clientId(c.client_id())
                .username(c.username())
                .password(secrets.apply(c.password()))
                .keepAlive(c.keepalive())
                .cleanSession(c.clean_session())
                .connectTimeout(connectTimeoutSeconds)
                .ackTimeout(c.ack_timeout())
                .maxPacketSize(c.max_packet_size())
                .tlsEnabled(c.tls_enabled())
                .trustStore(c.tls_truststore())
                .trustStorePassword(secrets.apply(c.tls_truststore_password()))
                .keyStore(c.tls_keystore())
                .keyStorePassword(secrets.apply(c.tls_keystore_password()))
                .storeType(c.tls_store_type())
                .verifyHostname(c.tls_verify_hostname())
                .lwtTopic(c.lwt_topic())
                .lwtMessage(c.lwt_message())
                .lwtQos(c.lwt_qos())
                .lwtRetain(c.lwt_retain())
                .ackAfterProcessing(c.ack_after_processing()), c)
                .build();
    }

    /**
     * A builder holding the defaults of the configuration.
     *
     * @param pid the configuration's PID: named in error messages, and the connection name when
     *        none is configured
     */
    public static Builder builder(String pid) {
        if (pid == null || pid.isEmpty()) {
            throw new IllegalArgumentException("pid must not be empty");
        }
        return new Builder(pid);
    }

    // ------------------------------------------------------------------ accessors

    /** The configuration's PID. */
    public String pid() {
        return pid;
    }

    /** The connection name (the PID when none was configured). */
    public String name() {
        return name;
    }

    public String server() {
        return server;
    }

    /** The configured port; 0 stands for the default, see {@link #effectivePort()}. */
    public int port() {
        return port;
    }

    /** The port connected to: the configured one, or 1883, or 8883 with TLS (WebSocket: 80, or 443 with TLS). */
    public int effectivePort() {
        return port != 0 ? port : webSocket.defaultPort(tls != null);
    }

    /** {@value #TRANSPORT_TCP} or {@value #TRANSPORT_WEBSOCKET} (also when the server was a ws:// or wss:// URI). */
    public String transport() {
        return webSocket.enabled() ? TRANSPORT_WEBSOCKET : TRANSPORT_TCP;
    }

    /** The WebSocket HTTP proxy as {@code host:port}, or null for the JVM's default proxy selector. */
    public String webSocketProxy() {
        return webSocket.proxyText();
    }

    /** The WebSocket path (with any query) over WebSocket, else null. */
    public String webSocketPath() {
        return webSocket.path;
    }

    /** The client identifier, configured or generated. */
    public String clientId() {
        return clientId;
    }

    /** Whether {@link #clientId()} was generated because none was configured. */
    public boolean clientIdGenerated() {
        return clientIdGenerated;
    }

    /** The user name, or {@code null}. */
    public String username() {
        return username;
    }

    /** Whether a password is configured (the password itself is only handed to the client). */
    public boolean hasPassword() {
        return password != null;
    }

    public int keepAliveSeconds() {
        return keepAliveSeconds;
    }

    public boolean cleanSession() {
        return cleanSession;
    }

    public int connectTimeoutSeconds() {
        return connectTimeoutSeconds;
    }

    public int ackTimeoutSeconds() {
        return ackTimeoutSeconds;
    }

    public int maxPacketSize() {
        return maxPacketSize;
    }

    /** Whether TLS is enabled. */
    public boolean tls() {
        return tls != null;
    }

    /** The TLS settings, or {@code null} without TLS. */
    public TlsSettings tlsSettings() {
        return tls;
    }

    /** The last will topic, or {@code null} for none. */
    public String lwtTopic() {
        return lwtTopic;
    }

    /** The last will payload ({@code ""} when a topic but no message is set), or {@code null}. */
    public String lwtMessage() {
        return lwtMessage;
    }

    public int lwtQos() {
        return lwtQos;
    }

    /** Whether received QoS 1 messages are acknowledged after processing ({@value #ACK_AFTER_PROCESSING}). */
    public boolean ackAfterProcessing() {
        return ackAfterProcessing;
    }

    public boolean lwtRetain() {
        return lwtRetain;
    }

    /** {@value #MQTT_3_1_1} (MQTT 3.1.1) or {@value #MQTT_5} (MQTT 5). */
    public int protocolVersion() {
        return mqtt5.protocolVersion;
    }

    /**
     * The MQTT 5 session expiry interval sent in CONNECT, in seconds: the configured one, or when
     * none is ({@value #DEFAULT_SESSION_EXPIRY_INTERVAL}) 0 with clean session and
     * {@value #MAX_FOUR_BYTE_INTEGER} (never expires) without, which is how MQTT 3.1.1 keeps a session.
     */
    public long sessionExpiryInterval() {
        return mqtt5.sessionExpiryInterval(cleanSession);
    }

    /** The MQTT 5 Receive Maximum announced. */
    public int receiveMaximum() {
        return mqtt5.receiveMaximum;
    }

    /** The MQTT 5 Topic Alias Maximum announced (aliases the broker may use towards us). */
    public int topicAliasMaximum() {
        return mqtt5.topicAliasMaximum;
    }

    /** How many outbound topic aliases the client uses at most (MQTT 5; 0: none). */
    public int outboundTopicAliases() {
        return mqtt5.outboundTopicAliases;
    }

    /** Whether CONNECT asks for Response Information (MQTT 5). */
    public boolean requestResponseInformation() {
        return mqtt5.requestResponseInformation;
    }

    /** The CONNECT user properties (MQTT 5), in the configured order; unmodifiable, empty when none. */
    public java.util.List<io.umqtt.api.UserProperty> userProperties() {
        return mqtt5.userProperties;
    }

    /** The MQTT 5 Will Delay Interval in seconds (0 without a last will). */
    public long willDelayInterval() {
        return mqtt5.willDelayInterval;
    }

    // ------------------------------------------------------------------ use

    /**
     * Creates a client of some {@link MqttClient} class from the connection parameters, the
     * arguments of the {@link MqttClient#MqttClient(String, String, int, String, String, int, TlsSettings)}
     * constructor; {@link ConnectionSettings#newClient(ClientFactory)} applies the other settings.
     * This is how a component with its own client class (the robust one) reuses these settings
     * without the password ever leaving this class except into the client.
     *
     * @param <C> the client class
     */
    @FunctionalInterface
    public interface ClientFactory<C extends MqttClient> {
        C create(String clientId, String server, int port, String user, String password, int keepAliveSeconds,
                TlsSettings tls);
    }

    /**
     * A new client with these settings: server, credentials, keepalive, TLS, timeouts, maximum
     * packet size, last will, and on MQTT 5 the protocol version and the MQTT 5 connect settings
     * (an MQTT 3.1.1 client is made exactly as before). It is not connected.
     */
    public MqttClient newClient() {
        return newClient(MqttClient::new);
    }

    /**
     * As {@link #newClient()}, with a client made by {@code factory} (for example a subclass of
     * {@link MqttClient}).
     */
    public <C extends MqttClient> C newClient(ClientFactory<C> factory) {
        C client = factory.create(clientId, webSocket.clientServer(server, port, tls != null), port, username, password,
                keepAliveSeconds, tls);
        client.setConnectTimeout(connectTimeoutSeconds * 1000);
        client.setAckTimeout(ackTimeoutSeconds * 1000);
        client.setMaxPacketSize(maxPacketSize);
        webSocket.applyTo(client);
        if (ackAfterProcessing) {
            client.setAckAfterProcessing(true);
        }
        mqtt5.applyTo(client, cleanSession);
        if (lwtTopic != null) {
            if (mqtt5.willDelayInterval != 0) { // MQTT 5 only (validated)
                client.setLastWill(lwtTopic, lwtMessage.getBytes(StandardCharsets.UTF_8), lwtRetain, lwtQos,
                        io.umqtt.api.MqttProperties.EMPTY, mqtt5.willDelayInterval);
            } else {
                client.setLastWill(lwtTopic.getBytes(StandardCharsets.UTF_8),
                        lwtMessage.getBytes(StandardCharsets.UTF_8), lwtRetain, lwtQos);
            }
        }
        return client;
    }

    /**
     * The properties of the {@link io.umqtt.api.MqttConnection} service for these settings in the
     * given state. No secret is among them.
     *
     * @param kind {@code simple} or {@code robust}
     */
    public Hashtable<String, Object> serviceProperties(String kind, ConnectionState state) {
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MqttConstants.NAME, name);
        props.put(MqttConstants.KIND, kind);
        props.put(MqttConstants.SERVER, server);
        props.put(MqttConstants.PORT, effectivePort());
        props.put(MqttConstants.TLS, tls != null);
        props.put(MqttConstants.CLIENT_ID, clientId);
        props.put(MqttConstants.STATE, state.name());
        props.put(MqttConstants.CONNECTED, state == ConnectionState.CONNECTED);
        props.put(MqttConstants.PROTOCOL_VERSION, mqtt5.protocolVersion);
        return props;
    }

    /**
     * Whether {@code other} has the same effective settings: every configured value equal (the
     * passwords as decrypted), so that a client made from either behaves the same. Two generated
     * client identifiers count as equal (each build generates a new one); the PID is not compared.
     */
    public boolean sameAs(ConnectionSettings other) {
        return other != null && inputs.equals(other.inputs);
    }

    /**
     * The service properties of a connection whose configuration is invalid: its name, kind,
     * {@code mqtt.state=CLOSED}, {@code mqtt.connected=false} and {@link MqttConstants#ERROR}, the
     * error naming the property and value. The server and port are those configured, where they
     * could be read.
     */
    public static Hashtable<String, Object> failedProperties(String name, String kind, String error) {
        return ConnectionReports.failedProperties(name, kind, error);
    }

    /**
     * The one log line of a connection put out of service by the configuration error {@code failure}
     * (both components log it once, at ERROR).
     */
    public static String outOfServiceMessage(String name, String failure) {
        return ConnectionReports.outOfServiceMessage(name, failure);
    }

    /**
     * A failure as operators should read it: its message, except that an
     * {@link java.net.UnknownHostException} (whose message is the bare host name) reads
     * {@code unknown host <name> (the name does not resolve)}.
     */
    public static String describe(Throwable t) {
        return ConnectionReports.describe(t);
    }

    /**
     * The value of the {@link MqttConstants#DISCONNECT_REASON} service property for a connection
     * that ended with {@code failure}: when an MQTT 5 server ended it with a DISCONNECT
     * ({@link io.umqtt.api.MqttException.Reason#DISCONNECTED_BY_SERVER}, also as a cause), its
     * reason code, name and reason string, e.g. {@code 0x8B server shutting down: maintenance};
     * otherwise null.
     */
    public static String disconnectReason(Throwable failure) {
        return ConnectionReports.disconnectReason(failure);
    }

    /** The settings without any secret: a password shows as {@code ***}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ConnectionSettings[").append(pid)
                .append(", name=").append(name)
                .append(", server=").append(server).append(':').append(effectivePort());
        webSocket.appendTo(s);
        s.append(", client.id=").append(clientId).append(clientIdGenerated ? " (generated)" : "")
                .append(", username=").append(username == null ? "" : username)
                .append(", password=").append(password == null ? "" : "***")
                .append(", keepalive=").append(keepAliveSeconds)
                .append(", clean.session=").append(cleanSession)
                .append(", connect.timeout=").append(connectTimeoutSeconds)
                .append(", ack.timeout=").append(ackTimeoutSeconds)
                .append(", max.packet.size=").append(maxPacketSize)
                .append(", tls=").append(tls == null ? "off" : tls.toString());
        if (ackAfterProcessing) {
            s.append(", ack.after.processing=true");
        }
        if (lwtTopic != null) {
            s.append(", lwt.topic=").append(lwtTopic).append(", lwt.qos=").append(lwtQos)
                    .append(", lwt.retain=").append(lwtRetain);
        }
        mqtt5.appendTo(s, cleanSession);
        return s.append(']').toString();
    }

    // ------------------------------------------------------------------ builder

    /**
     * Collects raw configuration values; {@link #build()} validates them. {@code null} strings
     * count as empty. Not thread-safe.
     */
    public static final class Builder {
        // read by SettingsValidator
        final String pid;
        String defaultName;
        String name = "";
        String server = DEFAULT_SERVER;
        int port;
        String transport = DEFAULT_TRANSPORT;
        String webSocketPath = DEFAULT_WEBSOCKET_PATH;
        String webSocketProxy = "";
        String clientId = "";
        String username = "";
        String password = "";
        int keepAliveSeconds = DEFAULT_KEEPALIVE_SECONDS;
        boolean cleanSession = true;
        int connectTimeoutSeconds = DEFAULT_CONNECT_TIMEOUT_SECONDS;
        int ackTimeoutSeconds = DEFAULT_ACK_TIMEOUT_SECONDS;
        int maxPacketSize = DEFAULT_MAX_PACKET_SIZE;
        boolean tlsEnabled;
        String trustStore = "";
        String trustStorePassword = "";
        String keyStore = "";
        String keyStorePassword = "";
        String storeType = DEFAULT_STORE_TYPE;
        boolean verifyHostname = true;
        String lwtTopic = "";
        String lwtMessage = "";
        int lwtQos;
        boolean lwtRetain;
        boolean ackAfterProcessing = DEFAULT_ACK_AFTER_PROCESSING;
        int protocolVersion = DEFAULT_PROTOCOL_VERSION;
        long sessionExpiryInterval = DEFAULT_SESSION_EXPIRY_INTERVAL;
        int receiveMaximum = DEFAULT_RECEIVE_MAXIMUM;
        int topicAliasMaximum = DEFAULT_TOPIC_ALIAS_MAXIMUM;
        int outboundTopicAliases = DEFAULT_OUTBOUND_TOPIC_ALIASES;
        boolean requestResponseInformation;
        String[] userProperties = {};
        long willDelayInterval;

        private Builder(String pid) {
            this.pid = pid;
            this.defaultName = pid;
        }

        /** The connection name when {@link #name} is empty; the PID unless set. */
        public Builder defaultName(String v) {
            defaultName = v == null || v.isBlank() ? pid : v.strip();
            return this;
        }

        /** Every value as configured, normalised as {@link #build()} reads it, for {@link ConnectionSettings#sameAs}. */
        java.util.List<Object> inputs() {
            return java.util.Arrays.asList(defaultName, trim(name), trim(server), port, trim(transport),
                    trim(webSocketPath), trim(clientId), trim(username),
                    password == null ? "" : password, keepAliveSeconds, cleanSession, connectTimeoutSeconds,
                    ackTimeoutSeconds, maxPacketSize, tlsEnabled, trim(trustStore),
                    trustStorePassword == null ? "" : trustStorePassword, trim(keyStore),
                    keyStorePassword == null ? "" : keyStorePassword, trim(storeType), verifyHostname,
                    trim(lwtTopic), lwtMessage == null ? "" : lwtMessage, lwtQos, lwtRetain, ackAfterProcessing,
                    trim(webSocketProxy), protocolVersion, sessionExpiryInterval, receiveMaximum, topicAliasMaximum,
                    outboundTopicAliases, requestResponseInformation,
                    java.util.Arrays.asList(userProperties == null ? new String[0] : userProperties),
                    willDelayInterval);
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder server(String v) {
            server = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        /** {@value ConnectionSettings#TRANSPORT_TCP} or {@value ConnectionSettings#TRANSPORT_WEBSOCKET}; empty: tcp. */
        public Builder transport(String v) {
            transport = v;
            return this;
        }

        /** The WebSocket path (used with transport websocket); empty: {@value ConnectionSettings#DEFAULT_WEBSOCKET_PATH}. */
        public Builder webSocketPath(String v) {
            webSocketPath = v;
            return this;
        }

        /** The WebSocket HTTP proxy, {@code host:port}; empty: the JVM's default proxy selector. */
        public Builder webSocketProxy(String v) {
            webSocketProxy = v;
            return this;
        }

        public Builder clientId(String v) {
            clientId = v;
            return this;
        }

        public Builder username(String v) {
            username = v;
            return this;
        }

        public Builder password(String v) {
            password = v;
            return this;
        }

        public Builder keepAlive(int seconds) {
            keepAliveSeconds = seconds;
            return this;
        }

        public Builder cleanSession(boolean v) {
            cleanSession = v;
            return this;
        }

        public Builder connectTimeout(int seconds) {
            connectTimeoutSeconds = seconds;
            return this;
        }

        public Builder ackTimeout(int seconds) {
            ackTimeoutSeconds = seconds;
            return this;
        }

        public Builder maxPacketSize(int bytes) {
            maxPacketSize = bytes;
            return this;
        }

        public Builder tlsEnabled(boolean v) {
            tlsEnabled = v;
            return this;
        }

        public Builder trustStore(String path) {
            trustStore = path;
            return this;
        }

        public Builder trustStorePassword(String v) {
            trustStorePassword = v;
            return this;
        }

        public Builder keyStore(String path) {
            keyStore = path;
            return this;
        }

        public Builder keyStorePassword(String v) {
            keyStorePassword = v;
            return this;
        }

        public Builder storeType(String v) {
            storeType = v;
            return this;
        }

        public Builder verifyHostname(boolean v) {
            verifyHostname = v;
            return this;
        }

        public Builder lwtTopic(String v) {
            lwtTopic = v;
            return this;
        }

        public Builder lwtMessage(String v) {
            lwtMessage = v;
            return this;
        }

        public Builder lwtQos(int v) {
            lwtQos = v;
            return this;
        }

        public Builder lwtRetain(boolean v) {
            lwtRetain = v;
            return this;
        }

        /** {@value ConnectionSettings#ACK_AFTER_PROCESSING}; needs clean session off. */
        public Builder ackAfterProcessing(boolean v) {
            ackAfterProcessing = v;
            return this;
        }

        /** {@value ConnectionSettings#PROTOCOL_VERSION}: {@value ConnectionSettings#MQTT_3_1_1} or {@value ConnectionSettings#MQTT_5}. */
        public Builder protocolVersion(int v) {
            protocolVersion = v;
            return this;
        }

        /** {@value ConnectionSettings#SESSION_EXPIRY_INTERVAL} in seconds; -1 follows clean session (MQTT 5). */
        public Builder sessionExpiryInterval(long seconds) {
            sessionExpiryInterval = seconds;
            return this;
        }

        /** {@value ConnectionSettings#RECEIVE_MAXIMUM}, 1..65535 (MQTT 5). */
        public Builder receiveMaximum(int v) {
            receiveMaximum = v;
            return this;
        }

        /** {@value ConnectionSettings#TOPIC_ALIAS_MAXIMUM}, 0..65535 (MQTT 5). */
        public Builder topicAliasMaximum(int v) {
            topicAliasMaximum = v;
            return this;
        }

        /** {@value ConnectionSettings#OUTBOUND_TOPIC_ALIASES}, 0..65535 (MQTT 5). */
        public Builder outboundTopicAliases(int v) {
            outboundTopicAliases = v;
            return this;
        }

        /** {@value ConnectionSettings#REQUEST_RESPONSE_INFORMATION} (MQTT 5). */
        public Builder requestResponseInformation(boolean v) {
            requestResponseInformation = v;
            return this;
        }

        /** {@value ConnectionSettings#USER_PROPERTIES}: each "name=value" (MQTT 5); null or empty entries are skipped. */
        public Builder userProperties(String... v) {
            userProperties = v == null ? new String[0] : v.clone();
            return this;
        }

        /** {@value ConnectionSettings#WILL_DELAY_INTERVAL} in seconds (MQTT 5). */
        public Builder willDelayInterval(long seconds) {
            willDelayInterval = seconds;
            return this;
        }

        /**
         * Validates the values and returns the settings ({@link SettingsValidator}, the one
         * validation of both components). With TLS enabled it also loads the key stores, so that a
         * missing file or a wrong password is reported now.
         *
         * @throws IllegalArgumentException naming the first bad property and its value
         */
        public ConnectionSettings build() {
            return new SettingsValidator(this).validate();
        }

        private static String trim(String s) {
            return s == null ? "" : s.strip();
        }
    }
}
