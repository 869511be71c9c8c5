package io.umqtt.simple.connection;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.util.Hashtable;
import java.util.UUID;
import java.util.function.UnaryOperator;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.TlsSettings;

/**
 * The validated settings of one broker connection, built from a configuration by
 * {@link #builder(String)}. Every check names the configuration property and the bad value
 * ({@code invalid configuration of io.umqtt.simple~a: port=70000 is outside 0..65535}); secrets
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

    /** Prefix of generated client identifiers. */
    public static final String GENERATED_CLIENT_ID_PREFIX = "umqtt-";
    /** Upper bound of both timeouts, in seconds (one day). */
    public static final int MAX_TIMEOUT_SECONDS = 86_400;
    private static final int MAX_KEEPALIVE = 65_535;
    private static final int MAX_PORT = 65_535;
    private static final int MIN_PACKET_SIZE = 2;
    /** MQTT strings (client id, user name, password, will message) carry a 16-bit length. */
    private static final int MAX_STRING_BYTES = 65_535;

    private final String pid;
    private final String name;
    private final String server;
    private final int port;
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
    /** The configured values as the builder took them (secrets included; never shown): see {@link #sameAs}. */
    private final java.util.List<Object> inputs;

    private ConnectionSettings(Builder b, String name, String server, String clientId, boolean generated,
            String username, String password, TlsSettings tls, String lwtTopic, String lwtMessage) {
        this.pid = b.pid;
        this.name = name;
        this.server = server;
        this.port = b.port;
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
        this.inputs = b.inputs();
    }

    /**
     * Maps a component's configuration onto validated settings: the one mapping of the simple and
     * the robust components.
     *
     * @throws IllegalArgumentException naming the bad property and value
     */
    public static ConnectionSettings of(String pid, SimpleConnectionConfig c) {
        return of(pid, pid, c, UnaryOperator.identity());
    }

    /**
     * As {@link #of(String, SimpleConnectionConfig)}, for a component: the connection is named
     * {@code defaultName} when the configuration names none (Kura's {@code kura.service.pid}, or
     * the PID), and the three passwords go through {@code secrets} first (Kura's decryption, see
     * {@link KuraCrypto}).
     *
     * @throws IllegalArgumentException naming the bad property and value
     */
    public static ConnectionSettings of(String pid, String defaultName, SimpleConnectionConfig c,
            UnaryOperator<String> secrets) {
        return builder(pid)
                .defaultName(defaultName)
                .name(c.name())
                .server(c.server())
                .port(c.port())
                .clientId(c.client_id())
                .username(c.username())
                .password(secrets.apply(c.password()))
                .keepAlive(c.keepalive())
                .cleanSession(c.clean_session())
                .connectTimeout(c.connect_timeout())
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

    /** The port connected to: the configured one, or 1883, or 8883 with TLS. */
    public int effectivePort() {
        if (port != 0) {
            return port;
        }
        return tls != null ? MqttClient.DEFAULT_TLS_PORT : MqttClient.DEFAULT_PORT;
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

    public boolean lwtRetain() {
        return lwtRetain;
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
     * packet size and last will. It is not connected.
     */
    public MqttClient newClient() {
        return newClient(MqttClient::new);
    }

    /**
     * As {@link #newClient()}, with a client made by {@code factory} (for example a subclass of
     * {@link MqttClient}).
     */
    public <C extends MqttClient> C newClient(ClientFactory<C> factory) {
        C client = factory.create(clientId, server, port, username, password, keepAliveSeconds, tls);
        client.setConnectTimeout(connectTimeoutSeconds * 1000);
        client.setAckTimeout(ackTimeoutSeconds * 1000);
        client.setMaxPacketSize(maxPacketSize);
        if (lwtTopic != null) {
            client.setLastWill(lwtTopic.getBytes(StandardCharsets.UTF_8), lwtMessage.getBytes(StandardCharsets.UTF_8),
                    lwtRetain, lwtQos);
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
        Hashtable<String, Object> props = new Hashtable<>();
        props.put(MqttConstants.NAME, name);
        props.put(MqttConstants.KIND, kind);
        props.put(MqttConstants.STATE, ConnectionState.CLOSED.name());
        props.put(MqttConstants.CONNECTED, false);
        props.put(MqttConstants.ERROR, error);
        return props;
    }

    /**
     * The one log line of a connection put out of service by the configuration error {@code failure}
     * (both components log it once, at ERROR).
     */
    public static String outOfServiceMessage(String name, String failure) {
        return "MQTT connection " + name + " is out of service: " + failure + ". The connection starts once its "
                + "configuration is fixed; meanwhile its service says " + MqttConstants.STATE + "="
                + ConnectionState.CLOSED + " and " + MqttConstants.ERROR + ".";
    }

    /**
     * A failure as operators should read it: its message, except that an
     * {@link java.net.UnknownHostException} (whose message is the bare host name) reads
     * {@code unknown host <name> (the name does not resolve)}.
     */
    public static String describe(Throwable t) {
        if (t == null) {
            return "unknown cause";
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof java.net.UnknownHostException) {
                String m = c.getMessage();
                // the client names it already; a bare UnknownHostException's message is just the name
                return m != null && m.startsWith("unknown host ") ? m : "unknown host " + m + " (the name does not resolve)";
            }
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getName();
    }

    /** The settings without any secret: a password shows as {@code ***}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("ConnectionSettings[").append(pid)
                .append(", name=").append(name)
                .append(", server=").append(server).append(':').append(effectivePort())
                .append(", client.id=").append(clientId).append(clientIdGenerated ? " (generated)" : "")
                .append(", username=").append(username == null ? "" : username)
                .append(", password=").append(password == null ? "" : "***")
                .append(", keepalive=").append(keepAliveSeconds)
                .append(", clean.session=").append(cleanSession)
                .append(", connect.timeout=").append(connectTimeoutSeconds)
                .append(", ack.timeout=").append(ackTimeoutSeconds)
                .append(", max.packet.size=").append(maxPacketSize)
                .append(", tls=").append(tls == null ? "off" : tls.toString());
        if (lwtTopic != null) {
            s.append(", lwt.topic=").append(lwtTopic).append(", lwt.qos=").append(lwtQos)
                    .append(", lwt.retain=").append(lwtRetain);
        }
        return s.append(']').toString();
    }

    // ------------------------------------------------------------------ builder

    /**
     * Collects raw configuration values; {@link #build()} validates them. {@code null} strings
     * count as empty. Not thread-safe.
     */
    public static final class Builder {
        private final String pid;
        private String defaultName;
        private String name = "";
        private String server = "localhost";
        private int port;
        private String clientId = "";
        private String username = "";
        private String password = "";
        private int keepAliveSeconds = 60;
        private boolean cleanSession = true;
        private int connectTimeoutSeconds = 30;
        private int ackTimeoutSeconds = 30;
        private int maxPacketSize = MqttClient.DEFAULT_MAX_PACKET_SIZE;
        private boolean tlsEnabled;
        private String trustStore = "";
        private String trustStorePassword = "";
        private String keyStore = "";
        private String keyStorePassword = "";
        private String storeType = TlsSettings.DEFAULT_STORE_TYPE;
        private boolean verifyHostname = true;
        private String lwtTopic = "";
        private String lwtMessage = "";
        private int lwtQos;
        private boolean lwtRetain;

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
            return java.util.Arrays.asList(defaultName, trim(name), trim(server), port, trim(clientId), trim(username),
                    password == null ? "" : password, keepAliveSeconds, cleanSession, connectTimeoutSeconds,
                    ackTimeoutSeconds, maxPacketSize, tlsEnabled, trim(trustStore),
                    trustStorePassword == null ? "" : trustStorePassword, trim(keyStore),
                    keyStorePassword == null ? "" : keyStorePassword, trim(storeType), verifyHostname,
                    trim(lwtTopic), lwtMessage == null ? "" : lwtMessage, lwtQos, lwtRetain);
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

        /**
         * Validates the values and returns the settings. With TLS enabled it also loads the key
         * stores, so that a missing file or a wrong password is reported now.
         *
         * @throws IllegalArgumentException naming the first bad property and its value
         */
        public ConnectionSettings build() {
            String n = trim(name);
            if (n.isEmpty()) {
                n = defaultName;
            }
            checkNoControl(NAME, n);

            String host = trim(server);
            if (host.isEmpty()) {
                throw invalid(SERVER + " is empty: it must name the broker's host or IP address");
            }
            if (host.contains("://")) {
                throw invalid(SERVER, host, "must be a host name or address, not a URI; put the port in '"
                        + PORT + "' and use '" + TLS_ENABLED + "' for TLS");
            }
            if (host.chars().anyMatch(Character::isWhitespace) || host.chars().anyMatch(Character::isISOControl)) {
                throw invalid(SERVER, host, "contains white space or control characters");
            }
            if (port < 0 || port > MAX_PORT) {
                throw invalid(PORT, port, "is outside 0..65535 (0 = 1883, or 8883 with TLS)");
            }
            if (keepAliveSeconds < 0 || keepAliveSeconds > MAX_KEEPALIVE) {
                throw invalid(KEEPALIVE, keepAliveSeconds, "is outside 0..65535 seconds (0 = off)");
            }
            checkTimeout(CONNECT_TIMEOUT, connectTimeoutSeconds);
            checkTimeout(ACK_TIMEOUT, ackTimeoutSeconds);
            if (maxPacketSize < MIN_PACKET_SIZE || maxPacketSize > MqttConstants.MAX_REMAINING_LENGTH) {
                throw invalid(MAX_PACKET_SIZE, maxPacketSize, "is outside " + MIN_PACKET_SIZE + ".."
                        + MqttConstants.MAX_REMAINING_LENGTH + " bytes");
            }

            String id = trim(clientId);
            boolean generated = id.isEmpty();
            if (generated) {
                if (!cleanSession) {
                    throw invalid(CLEAN_SESSION + "=false needs a fixed " + CLIENT_ID
                            + ": a generated identifier changes with every start, so the session could never be "
                            + "resumed");
                }
                id = GENERATED_CLIENT_ID_PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
            } else {
                checkMqttString(CLIENT_ID, id);
            }

            String user = emptyToNull(username);
            if (user != null) {
                checkMqttString(USERNAME, user);
            }
            String pass = password == null || password.isEmpty() ? null : password;
            if (pass != null) {
                if (user == null) {
                    throw invalid(PASSWORD + " is set but " + USERNAME
                            + " is empty: MQTT 3.1.1 sends no password without a user name");
                }
                checkEncodable(PASSWORD, null, pass); // the password is never shown
                if (pass.getBytes(StandardCharsets.UTF_8).length > MAX_STRING_BYTES) {
                    throw invalid(PASSWORD + " is longer than " + MAX_STRING_BYTES + " bytes of UTF-8");
                }
            }

            TlsSettings tls = tlsEnabled ? tls() : null;

            String willTopic = emptyToNull(lwtTopic);
            String willMessage = lwtMessage == null ? "" : lwtMessage;
            if (willTopic == null) {
                if (!willMessage.isEmpty()) {
                    throw invalid(LWT_MESSAGE + " is set but " + LWT_TOPIC
                            + " is empty: a last will needs a topic");
                }
                willMessage = null;
            } else {
                checkEncodable(LWT_TOPIC, willTopic, willTopic);
                checkEncodable(LWT_MESSAGE, willMessage, willMessage);
                try {
                    TopicFilter.validateTopicName(willTopic.getBytes(StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw invalid(LWT_TOPIC, willTopic, "is not a valid topic name: " + e.getMessage());
                }
                int length = willMessage.getBytes(StandardCharsets.UTF_8).length;
                if (length > MAX_STRING_BYTES) {
                    throw invalid(LWT_MESSAGE + " is " + length + " bytes of UTF-8, the maximum is "
                            + MAX_STRING_BYTES);
                }
            }
            if (lwtQos != 0 && lwtQos != 1) {
                throw invalid(LWT_QOS, lwtQos, "must be 0 or 1");
            }
            return new ConnectionSettings(this, n, host, id, generated, user, pass, tls, willTopic, willMessage);
        }

        private TlsSettings tls() {
            String type = trim(storeType);
            if (type.isEmpty()) {
                type = TlsSettings.DEFAULT_STORE_TYPE;
            }
            try {
                KeyStore.getInstance(type);
            } catch (KeyStoreException e) {
                throw invalid(TLS_STORE_TYPE, type, "is not a key store type this Java runtime supports");
            }
            Path trust = storePath(TLS_TRUSTSTORE, trustStore);
            char[] trustPassword = chars(trustStorePassword);
            Path key = storePath(TLS_KEYSTORE, keyStore);
            char[] keyPassword = chars(keyStorePassword);
            TlsSettings settings;
            if (trust == null && key == null) {
                settings = TlsSettings.defaults();
            } else {
                if (trust != null) {
                    checkStore(TLS_TRUSTSTORE, trust, trustPassword, type, TLS_TRUSTSTORE_PASSWORD);
                }
                if (key != null) {
                    checkStore(TLS_KEYSTORE, key, keyPassword, type, TLS_KEYSTORE_PASSWORD);
                }
                settings = TlsSettings.fromStores(trust, trustPassword, key, keyPassword, type);
                try {
                    settings.socketFactory();
                } catch (IOException e) {
                    throw invalid((key != null ? TLS_KEYSTORE + "=" + key : TLS_TRUSTSTORE + "=" + trust)
                            + " cannot be used for TLS: " + e.getMessage());
                }
            }
            return settings.withHostnameVerification(verifyHostname);
        }

        private Path storePath(String property, String value) {
            String v = trim(value);
            if (v.isEmpty()) {
                return null;
            }
            Path p;
            try {
                p = Path.of(v);
            } catch (InvalidPathException e) {
                throw invalid(property, v, "is not a valid path: " + e.getMessage());
            }
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw invalid(property, v, "is not a readable file");
            }
            return p;
        }

        /** Loads a store once so that a wrong type, a damaged file or a wrong password fail here. */
        private void checkStore(String property, Path file, char[] storePassword, String type,
                String passwordProperty) {
            try (InputStream in = Files.newInputStream(file)) {
                KeyStore.getInstance(type).load(in, storePassword);
            } catch (IOException | GeneralSecurityException e) {
                String hint = e.getCause() instanceof java.security.UnrecoverableKeyException
                        ? " (is " + passwordProperty + " right?)" : "";
                throw invalid(property, file, "cannot be read as a " + type + " key store: " + e.getMessage() + hint);
            }
        }

        private void checkTimeout(String property, int seconds) {
            if (seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
                throw invalid(property, seconds, "is outside 1.." + MAX_TIMEOUT_SECONDS + " seconds");
            }
        }

        private void checkNoControl(String property, String value) {
            if (value.chars().anyMatch(Character::isISOControl)) {
                throw invalid(property, value.replaceAll("\\p{Cntrl}", "?"), "contains control characters");
            }
        }

        /**
         * Refuses a lone surrogate (half of a UTF-16 pair), which UTF-8 cannot encode: the client
         * would otherwise send '?' in its place. {@code shown} is the value for the message, or
         * null to show none (a password).
         */
        private void checkEncodable(String property, String shown, String value) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    String why = String.format("contains a lone surrogate U+%04X at index %d (half of a UTF-16 pair "
                            + "without its other half), which UTF-8 cannot encode", (int) c, i);
                    throw shown == null ? invalid(property + " " + why) : invalid(property, shown, why);
                }
            }
        }

        private void checkMqttString(String property, String value) {
            checkEncodable(property, value, value);
            if (value.indexOf('\u0000') >= 0) {
                throw invalid(property, value.replace('\u0000', '?'), "contains U+0000");
            }
            int length = value.getBytes(StandardCharsets.UTF_8).length;
            if (length > MAX_STRING_BYTES) {
                throw invalid(property, value.substring(0, 32) + "...", "is " + length
                        + " bytes of UTF-8, the maximum is " + MAX_STRING_BYTES);
            }
        }

        private IllegalArgumentException invalid(String property, Object value, String why) {
            return invalid(property + "=" + value + " " + why);
        }

        private IllegalArgumentException invalid(String what) {
            return new IllegalArgumentException("invalid configuration of " + pid + ": " + what);
        }

        private static String trim(String s) {
            return s == null ? "" : s.strip();
        }

        private static String emptyToNull(String s) {
            String t = trim(s);
            return t.isEmpty() ? null : t;
        }

        private static char[] chars(String s) {
            return s == null || s.isEmpty() ? null : s.toCharArray();
        }
    }
}
