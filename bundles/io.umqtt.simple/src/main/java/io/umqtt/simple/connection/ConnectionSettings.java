package io.umqtt.simple.connection;

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
 * The ids, defaults and limits of the configuration are the constants of
 * {@link ConnectionAttributes}, which this class implements (so they read
 * {@code ConnectionSettings.PORT}, as always). The parts: the raw values the {@link Builder}
 * collects ({@code SettingsInputs}), their validation ({@code SettingsValidator}), the WebSocket, last
 * will and MQTT 5 parts ({@code WebSocketSettings}, {@code LastWill}, {@code Mqtt5Settings}), and the service
 * properties and wording ({@code ConnectionReports}).
 * <p>
 * It depends on nothing but the JDK and the client classes, so any component that drives an
 * {@link MqttClient} can use it. Immutable and thread-safe.
 */
public final class ConnectionSettings implements ConnectionAttributes {
    private final String pid;
    private final String name;
    private final String server;
    private final int port;
    /** The WebSocket path and proxy (path null over TCP); read by {@link ConnectionReports}. */
    final WebSocketSettings webSocket;
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
    /** The last will (its topic null for none); read by {@link ConnectionReports}. */
    final LastWill will;
    private final boolean ackAfterProcessing;
    /** The protocol version and the MQTT 5 connect settings; read by {@link ConnectionReports}. */
    final Mqtt5Settings mqtt5;
    /** The configured values as the builder took them (secrets included; never shown): see {@link #sameAs}. */
    private final java.util.List<Object> inputs;

    /** The validated values ({@code SettingsValidator}), and the rest as {@code b} holds them. */
    ConnectionSettings(SettingsInputs b, String name, String server, int port, String webSocketPath, String clientId,
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
        this.will = new LastWill(lwtTopic, lwtMessage, b.lwtQos, b.lwtRetain);
        this.ackAfterProcessing = b.ackAfterProcessing;
        this.mqtt5 = new Mqtt5Settings(b, userProperties);
        this.inputs = b.values();
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
        return SettingsInputs.configure(builder(pid).defaultName(defaultName), c, secrets)
                .connectTimeout(connectTimeoutSeconds)
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
        return will.topic;
    }

    /** The last will payload ({@code ""} when a topic but no message is set), or {@code null}. */
    public String lwtMessage() {
        return will.message;
    }

    public int lwtQos() {
        return will.qos;
    }

    /** Whether received QoS 1 messages are acknowledged after processing ({@value #ACK_AFTER_PROCESSING}). */
    public boolean ackAfterProcessing() {
        return ackAfterProcessing;
    }

    public boolean lwtRetain() {
        return will.retain;
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
        will.applyTo(client, mqtt5.willDelayInterval);
        return client;
    }

    /**
     * The properties of the {@link io.umqtt.api.MqttConnection} service for these settings in the
     * given state. No secret is among them.
     *
     * @param kind {@code simple} or {@code robust}
     */
    public Hashtable<String, Object> serviceProperties(String kind, ConnectionState state) {
        return ConnectionReports.serviceProperties(this, kind, state);
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
        return ConnectionReports.text(this);
    }

    // ------------------------------------------------------------------ builder

    /**
     * Collects raw configuration values; {@link #build()} validates them. {@code null} strings
     * count as empty. Not thread-safe.
     */
    public static final class Builder {
        /** The values as set; {@link #build()} hands them to the validation. */
        private final SettingsInputs in;

        private Builder(String pid) {
            this.in = new SettingsInputs(pid);
        }

        /** The connection name when {@link #name} is empty; the PID unless set. */
        public Builder defaultName(String v) {
            in.defaultName = v == null || v.isBlank() ? in.pid : v.strip();
            return this;
        }

        public Builder name(String v) {
            in.name = v;
            return this;
        }

        public Builder server(String v) {
            in.server = v;
            return this;
        }

        public Builder port(int v) {
            in.port = v;
            return this;
        }

        /** {@value ConnectionSettings#TRANSPORT_TCP} or {@value ConnectionSettings#TRANSPORT_WEBSOCKET}; empty: tcp. */
        public Builder transport(String v) {
            in.transport = v;
            return this;
        }

        /** The WebSocket path (used with transport websocket); empty: {@value ConnectionSettings#DEFAULT_WEBSOCKET_PATH}. */
        public Builder webSocketPath(String v) {
            in.webSocketPath = v;
            return this;
        }

        /** The WebSocket HTTP proxy, {@code host:port}; empty: the JVM's default proxy selector. */
        public Builder webSocketProxy(String v) {
            in.webSocketProxy = v;
            return this;
        }

        public Builder clientId(String v) {
            in.clientId = v;
            return this;
        }

        public Builder username(String v) {
            in.username = v;
            return this;
        }

        public Builder password(String v) {
            in.password = v;
            return this;
        }

        public Builder keepAlive(int seconds) {
            in.keepAliveSeconds = seconds;
            return this;
        }

        public Builder cleanSession(boolean v) {
            in.cleanSession = v;
            return this;
        }

        public Builder connectTimeout(int seconds) {
            in.connectTimeoutSeconds = seconds;
            return this;
        }

        public Builder ackTimeout(int seconds) {
            in.ackTimeoutSeconds = seconds;
            return this;
        }

        public Builder maxPacketSize(int bytes) {
            in.maxPacketSize = bytes;
            return this;
        }

        public Builder tlsEnabled(boolean v) {
            in.tlsEnabled = v;
            return this;
        }

        public Builder trustStore(String path) {
            in.trustStore = path;
            return this;
        }

        public Builder trustStorePassword(String v) {
            in.trustStorePassword = v;
            return this;
        }

        public Builder keyStore(String path) {
            in.keyStore = path;
            return this;
        }

        public Builder keyStorePassword(String v) {
            in.keyStorePassword = v;
            return this;
        }

        public Builder storeType(String v) {
            in.storeType = v;
            return this;
        }

        public Builder verifyHostname(boolean v) {
            in.verifyHostname = v;
            return this;
        }

        public Builder lwtTopic(String v) {
            in.lwtTopic = v;
            return this;
        }

        public Builder lwtMessage(String v) {
            in.lwtMessage = v;
            return this;
        }

        public Builder lwtQos(int v) {
            in.lwtQos = v;
            return this;
        }

        public Builder lwtRetain(boolean v) {
            in.lwtRetain = v;
            return this;
        }

        /** {@value ConnectionSettings#ACK_AFTER_PROCESSING}; needs clean session off. */
        public Builder ackAfterProcessing(boolean v) {
            in.ackAfterProcessing = v;
            return this;
        }

        /** {@value ConnectionSettings#PROTOCOL_VERSION}: {@value ConnectionSettings#MQTT_3_1_1} or {@value ConnectionSettings#MQTT_5}. */
        public Builder protocolVersion(int v) {
            in.protocolVersion = v;
            return this;
        }

        /** {@value ConnectionSettings#SESSION_EXPIRY_INTERVAL} in seconds; -1 follows clean session (MQTT 5). */
        public Builder sessionExpiryInterval(long seconds) {
            in.sessionExpiryInterval = seconds;
            return this;
        }

        /** {@value ConnectionSettings#RECEIVE_MAXIMUM}, 1..65535 (MQTT 5). */
        public Builder receiveMaximum(int v) {
            in.receiveMaximum = v;
            return this;
        }

        /** {@value ConnectionSettings#TOPIC_ALIAS_MAXIMUM}, 0..65535 (MQTT 5). */
        public Builder topicAliasMaximum(int v) {
            in.topicAliasMaximum = v;
            return this;
        }

        /** {@value ConnectionSettings#OUTBOUND_TOPIC_ALIASES}, 0..65535 (MQTT 5). */
        public Builder outboundTopicAliases(int v) {
            in.outboundTopicAliases = v;
            return this;
        }

        /** {@value ConnectionSettings#REQUEST_RESPONSE_INFORMATION} (MQTT 5). */
        public Builder requestResponseInformation(boolean v) {
            in.requestResponseInformation = v;
            return this;
        }

        /** {@value ConnectionSettings#USER_PROPERTIES}: each "name=value" (MQTT 5); null or empty entries are skipped. */
        public Builder userProperties(String... v) {
            in.userProperties = v == null ? new String[0] : v.clone();
            return this;
        }

        /** {@value ConnectionSettings#WILL_DELAY_INTERVAL} in seconds (MQTT 5). */
        public Builder willDelayInterval(long seconds) {
            in.willDelayInterval = seconds;
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
            return new SettingsValidator(in).validate();
        }
    }
}
