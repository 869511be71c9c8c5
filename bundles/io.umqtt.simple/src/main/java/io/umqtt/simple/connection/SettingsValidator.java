package io.umqtt.simple.connection;

import static io.umqtt.simple.connection.ConnectionSettings.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.util.UUID;

import io.umqtt.api.TopicFilter;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.TlsSettings;

/**
 * The one validation of a connection's configuration, for the simple and the robust component
 * alike: the raw values a {@link ConnectionSettings.Builder} collected ({@link SettingsInputs}) in,
 * {@link ConnectionSettings} or an {@link IllegalArgumentException} out. Every check names the
 * configuration property and the bad value
 * ({@code invalid configuration of io.umqtt.simple~a: port=70000 is outside 0..65535});
 * a secret is never part of a message. The limits are {@link ConnectionSettings}'s constants, the
 * same the Metatype forms state ({@link ConnectionConfig}). With TLS the key stores are loaded once
 * here, so that a missing file, a wrong type or a wrong password is reported at configuration time.
 * <p>
 * One use per instance, on one thread.
 */
final class SettingsValidator {
    /** MQTT strings (client id, user name, password, will message) carry a 16-bit length. */
    static final int MAX_STRING_BYTES = 65_535;

    private final SettingsInputs builder;
    private final String pid;
    private final String defaultName;
    private final String name;
    private final String server;
    private final int port;
    private final String transport;
    private final String webSocketPath;
    private final String clientId;
    private final String username;
    private final String password;
    private final int keepAliveSeconds;
    private final boolean cleanSession;
    private final int connectTimeoutSeconds;
    private final int ackTimeoutSeconds;
    private final int maxPacketSize;
    private final boolean tlsEnabled;
    private final String trustStore;
    private final String trustStorePassword;
    private final String keyStore;
    private final String keyStorePassword;
    private final String storeType;
    private final boolean verifyHostname;
    private final String lwtTopic;
    private final String lwtMessage;
    private final int lwtQos;

    SettingsValidator(SettingsInputs b) {
        this.builder = b;
        this.pid = b.pid;
        this.defaultName = b.defaultName;
        this.name = b.name;
        this.server = b.server;
        this.port = b.port;
        this.transport = b.transport;
        this.webSocketPath = b.webSocketPath;
        this.clientId = b.clientId;
        this.username = b.username;
        this.password = b.password;
        this.keepAliveSeconds = b.keepAliveSeconds;
        this.cleanSession = b.cleanSession;
        this.connectTimeoutSeconds = b.connectTimeoutSeconds;
        this.ackTimeoutSeconds = b.ackTimeoutSeconds;
        this.maxPacketSize = b.maxPacketSize;
        this.tlsEnabled = b.tlsEnabled;
        this.trustStore = b.trustStore;
        this.trustStorePassword = b.trustStorePassword;
        this.keyStore = b.keyStore;
        this.keyStorePassword = b.keyStorePassword;
        this.storeType = b.storeType;
        this.verifyHostname = b.verifyHostname;
        this.lwtTopic = b.lwtTopic;
        this.lwtMessage = b.lwtMessage;
        this.lwtQos = b.lwtQos;
    }

    /**
     * Validates the values and returns the settings. With TLS enabled it also loads the key
     * stores, so that a missing file or a wrong password is reported now.
     *
     * @throws IllegalArgumentException naming the first bad property and its value
     */
    ConnectionSettings validate() {
        String n = trim(name);
        if (n.isEmpty()) {
            n = defaultName;
        }
        checkNoControl(NAME, n);

        String host = trim(server);
        if (host.isEmpty()) {
            throw invalid(SERVER + " is empty: it must name the broker's host or IP address");
        }
        if (host.chars().anyMatch(Character::isWhitespace) || host.chars().anyMatch(Character::isISOControl)) {
            throw invalid(SERVER, host, "contains white space or control characters");
        }
        if (port < 0 || port > MAX_PORT) {
            throw invalid(PORT, port, "is outside 0.." + MAX_PORT + " (0 = 1883, or 8883 with TLS)");
        }
        String t = trim(transport).toLowerCase(java.util.Locale.ROOT);
        if (t.isEmpty()) {
            t = DEFAULT_TRANSPORT;
        }
        if (!t.equals(TRANSPORT_TCP) && !t.equals(TRANSPORT_WEBSOCKET)) {
            throw invalid(TRANSPORT, transport, "must be " + TRANSPORT_TCP + " or " + TRANSPORT_WEBSOCKET);
        }
        String path = trim(webSocketPath);
        boolean pathConfigured = !path.isEmpty() && !path.equals(DEFAULT_WEBSOCKET_PATH);
        if (path.isEmpty()) {
            path = DEFAULT_WEBSOCKET_PATH;
        }
        if (!path.startsWith("/") || path.chars().anyMatch(Character::isWhitespace)
                || path.chars().anyMatch(Character::isISOControl) || path.indexOf('#') >= 0) {
            throw invalid(WEBSOCKET_PATH, path.replaceAll("\\p{Cntrl}", "?"),
                    "must start with / and hold no white space, control characters or #");
        }
        int effectivePort = port;
        boolean secure = tlsEnabled;
        boolean webSocket = t.equals(TRANSPORT_WEBSOCKET);
        if (host.contains("://")) {
            java.net.URI uri = webSocketUri(host);
            boolean wss = uri.getScheme().equalsIgnoreCase("wss");
            if (!wss && tlsEnabled) {
                throw invalid(SERVER, host, "is WebSocket without TLS, but " + TLS_ENABLED
                        + "=true: use a wss:// URI for WebSocket over TLS, or turn TLS off");
            }
            if (uri.getPort() >= 0) {
                if (port != 0 && port != uri.getPort()) {
                    throw invalid(SERVER, host, "names port " + uri.getPort() + " but " + PORT + "=" + port
                            + ": give one of them, or the same");
                }
                effectivePort = uri.getPort();
            }
            String uriPath = uri.getRawPath() == null ? "" : uri.getRawPath();
            if (uri.getRawQuery() != null) {
                uriPath += "?" + uri.getRawQuery();
            }
            if (!uriPath.isEmpty()) {
                if (pathConfigured && !uriPath.equals(path)) {
                    throw invalid(SERVER, host, "has the path " + uriPath + " but " + WEBSOCKET_PATH + "=" + path
                            + ": give one of them, or the same");
                }
                path = uriPath;
            }
            host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                    : uri.getHost();
            secure = wss;
            webSocket = true;
        }
        String proxy = trim(builder.webSocketProxy);
        if (!proxy.isEmpty()) {
            try {
                WebSocketSettings.proxyAddress(proxy);
            } catch (IllegalArgumentException e) {
                throw invalid(WEBSOCKET_PROXY, proxy.replaceAll("\\p{Cntrl}", "?"), e.getMessage());
            }
            if (!webSocket) {
                throw invalid(WEBSOCKET_PROXY, proxy, "is set but " + TRANSPORT + "=" + TRANSPORT_TCP
                        + ": the proxy is used only for MQTT over WebSocket; clear it, or set " + TRANSPORT + "="
                        + TRANSPORT_WEBSOCKET);
            }
        }
        if (keepAliveSeconds < 0 || keepAliveSeconds > MAX_KEEPALIVE_SECONDS) {
            throw invalid(KEEPALIVE, keepAliveSeconds, "is outside 0.." + MAX_KEEPALIVE_SECONDS + " seconds (0 = off)");
        }
        checkTimeout(CONNECT_TIMEOUT, connectTimeoutSeconds);
        checkTimeout(ACK_TIMEOUT, ackTimeoutSeconds);
        if (maxPacketSize < MIN_PACKET_SIZE_BYTES || maxPacketSize > MAX_PACKET_SIZE_BYTES) {
            throw invalid(MAX_PACKET_SIZE, maxPacketSize, "is outside " + MIN_PACKET_SIZE_BYTES + ".."
                    + MAX_PACKET_SIZE_BYTES + " bytes");
        }

        if (builder.ackAfterProcessing && cleanSession) {
            throw invalid(ACK_AFTER_PROCESSING + "=true needs " + CLEAN_SESSION + "=false: a message whose "
                    + "processing fails is not acknowledged and the connection is closed, but MQTT 3.1.1 brokers "
                    + "redeliver unacknowledged messages only to a session kept across the reconnect; with a clean "
                    + "session the message would be dropped instead");
        }
        String id = trim(clientId);
        boolean mqtt5 = builder.protocolVersion == MQTT_5;
        boolean generated = id.isEmpty() && (cleanSession || !mqtt5); // MQTT 5: the broker assigns one (3.1.3.1)
        if (generated) {
            if (!cleanSession) {
                throw invalid(CLEAN_SESSION + "=false needs a fixed " + CLIENT_ID
                        + ": a generated identifier changes with every start, so the session could never be "
                        + "resumed (with " + PROTOCOL_VERSION + "=" + MQTT_5 + " the broker assigns one instead)");
            }
            id = GENERATED_CLIENT_ID_PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        } else if (!id.isEmpty()) {
            checkMqttString(CLIENT_ID, id);
        }

        String user = emptyToNull(username);
        if (user != null) {
            checkMqttString(USERNAME, user);
        }
        String pass = password == null || password.isEmpty() ? null : password;
        if (pass != null) {
            if (user == null && !mqtt5) { // MQTT 5 allows it (3.1.2.9)
                throw invalid(PASSWORD + " is set but " + USERNAME + " is empty: MQTT 3.1.1 sends no password "
                        + "without a user name (" + PROTOCOL_VERSION + "=" + MQTT_5 + " does)");
            }
            checkEncodable(PASSWORD, null, pass); // the password is never shown
            if (pass.getBytes(StandardCharsets.UTF_8).length > MAX_STRING_BYTES) {
                throw invalid(PASSWORD + " is longer than " + MAX_STRING_BYTES + " bytes of UTF-8");
            }
        }

        TlsSettings tls = secure ? tls() : null;

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
        if (lwtQos < 0 || lwtQos > 2) {
            throw invalid(LWT_QOS, lwtQos, "must be 0, 1 or 2");
        }
        java.util.List<UserProperty> userProperties = mqtt5(willTopic);
        checkSessionEnds(trim(clientId).isEmpty());
        return new ConnectionSettings(builder, n, host, effectivePort, webSocket ? path : null, id, generated, user,
                pass, tls, willTopic, willMessage, userProperties);
    }

    /**
     * The MQTT 5 settings: {@value ConnectionSettings#PROTOCOL_VERSION} is 4 or 5; each MQTT 5
     * setting is in its range; on an MQTT 3.1.1 connection each keeps its default (a setting that
     * would be silently ignored is a configuration error naming it); the will delay needs a last
     * will; acknowledging after processing needs a session that outlives the connection.
     *
     * @return the parsed {@value ConnectionSettings#USER_PROPERTIES}
     */
    private java.util.List<UserProperty> mqtt5(String willTopic) {
        SettingsInputs b = builder;
        if (b.protocolVersion != MQTT_3_1_1 && b.protocolVersion != MQTT_5) {
            throw invalid(PROTOCOL_VERSION, b.protocolVersion, "must be " + MQTT_3_1_1 + " (MQTT 3.1.1) or " + MQTT_5
                    + " (MQTT 5)");
        }
        if (b.sessionExpiryInterval < -1 || b.sessionExpiryInterval > MAX_FOUR_BYTE_INTEGER) {
            throw invalid(SESSION_EXPIRY_INTERVAL, b.sessionExpiryInterval, "is outside 0.." + MAX_FOUR_BYTE_INTEGER
                    + " seconds (-1: follow " + CLEAN_SESSION + ")");
        }
        if (b.receiveMaximum < 1 || b.receiveMaximum > MAX_TWO_BYTE_INTEGER) {
            throw invalid(RECEIVE_MAXIMUM, b.receiveMaximum, "is outside 1.." + MAX_TWO_BYTE_INTEGER);
        }
        if (b.topicAliasMaximum < 0 || b.topicAliasMaximum > MAX_TWO_BYTE_INTEGER) {
            throw invalid(TOPIC_ALIAS_MAXIMUM, b.topicAliasMaximum, "is outside 0.." + MAX_TWO_BYTE_INTEGER
                    + " (0: none)");
        }
        if (b.outboundTopicAliases < 0 || b.outboundTopicAliases > MAX_TWO_BYTE_INTEGER) {
            throw invalid(OUTBOUND_TOPIC_ALIASES, b.outboundTopicAliases, "is outside 0.." + MAX_TWO_BYTE_INTEGER
                    + " (0: none)");
        }
        if (b.willDelayInterval < 0 || b.willDelayInterval > MAX_FOUR_BYTE_INTEGER) {
            throw invalid(WILL_DELAY_INTERVAL, b.willDelayInterval, "is outside 0.." + MAX_FOUR_BYTE_INTEGER
                    + " seconds");
        }
        java.util.List<UserProperty> properties = new java.util.ArrayList<>();
        String[] entries = b.userProperties == null ? new String[0] : b.userProperties;
        for (int i = 0; i < entries.length; i++) {
            String entry = entries[i];
            if (entry == null || entry.isEmpty()) {
                continue; // the web console sends an empty field as ""
            }
            String shown = entry.replaceAll("\\p{Cntrl}", "?");
            int eq = entry.indexOf('=');
            if (eq < 0) {
                throw invalid(USER_PROPERTIES + "[" + i + "]", shown, "must be name=value");
            }
            try {
                properties.add(new UserProperty(entry.substring(0, eq).strip(), entry.substring(eq + 1)));
            } catch (IllegalArgumentException e) {
                throw invalid(USER_PROPERTIES + "[" + i + "]", shown, "is not a valid user property: " + e.getMessage());
            }
        }
        if (b.willDelayInterval != 0 && willTopic == null) {
            throw invalid(WILL_DELAY_INTERVAL + "=" + b.willDelayInterval + " is set but " + LWT_TOPIC
                    + " is empty: the delay is that of the last will");
        }
        if (b.protocolVersion == MQTT_3_1_1) {
            onlyMqtt5(SESSION_EXPIRY_INTERVAL, b.sessionExpiryInterval, DEFAULT_SESSION_EXPIRY_INTERVAL);
            onlyMqtt5(RECEIVE_MAXIMUM, b.receiveMaximum, DEFAULT_RECEIVE_MAXIMUM);
            onlyMqtt5(TOPIC_ALIAS_MAXIMUM, b.topicAliasMaximum, DEFAULT_TOPIC_ALIAS_MAXIMUM);
            onlyMqtt5(OUTBOUND_TOPIC_ALIASES, b.outboundTopicAliases, DEFAULT_OUTBOUND_TOPIC_ALIASES);
            onlyMqtt5(REQUEST_RESPONSE_INFORMATION, b.requestResponseInformation, false);
            onlyMqtt5(USER_PROPERTIES, properties, java.util.List.of());
            onlyMqtt5(WILL_DELAY_INTERVAL, b.willDelayInterval, 0L);
        } else if (b.ackAfterProcessing && b.sessionExpiryInterval == 0) {
            throw invalid(ACK_AFTER_PROCESSING + "=true needs a session that outlives the connection, but "
                    + SESSION_EXPIRY_INTERVAL + "=0 ends it when the connection closes: the broker could not redeliver "
                    + "a message whose processing failed; set it above 0, or to -1 (follow " + CLEAN_SESSION + ")");
        }
        return properties;
    }

    /**
     * Refuses, on MQTT 5, a session that never expires (MQTT 5 section 3.1.2.11.2) under a client
     * identifier that is not configured: each start of the connection (a restart, a configuration
     * change) connects under a new identifier, assigned by the broker or generated, so every
     * previous session would stay on the broker for ever, with its subscriptions and queued QoS 1
     * and 2 messages. {@value ConnectionSettings#SESSION_EXPIRY_INTERVAL}=-1 without clean session
     * sends "never" too. A finite expiry is allowed: the previous session then stays until it
     * expires (documented in docs/mqtt5-components.md; the validation has no warning channel).
     */
    private void checkSessionEnds(boolean noClientId) {
        boolean follows = builder.sessionExpiryInterval < 0;
        boolean never = Mqtt5Settings.sessionExpiryInterval(builder.sessionExpiryInterval, cleanSession)
                == MAX_FOUR_BYTE_INTEGER;
        if (!noClientId || builder.protocolVersion != MQTT_5 || !never) {
            return;
        }
        String what = follows
                ? CLIENT_ID + " is empty and " + CLEAN_SESSION + "=false with " + SESSION_EXPIRY_INTERVAL
                        + "=-1 (follow " + CLEAN_SESSION + ") asks the broker to keep the session for ever ("
                        + MAX_FOUR_BYTE_INTEGER + ", never expires)"
                : CLIENT_ID + " is empty and " + SESSION_EXPIRY_INTERVAL + "=" + MAX_FOUR_BYTE_INTEGER
                        + " asks the broker to keep the session for ever (never expires)";
        throw invalid(what + " on " + PROTOCOL_VERSION + "=" + MQTT_5 + ": every start of the connection (a "
                + "restart of the gateway or of the component, a configuration change) connects under a new client "
                + "identifier (assigned by the broker, or generated), so each previous session would stay on the "
                + "broker with its subscriptions and queued QoS 1 and 2 messages, never resumed and never removed; "
                + "give the connection a " + CLIENT_ID + " (its session is then resumed), or a finite "
                + SESSION_EXPIRY_INTERVAL + " (0.." + (MAX_FOUR_BYTE_INTEGER - 1) + " seconds)");
    }

    /** Refuses an MQTT 5 setting that differs from its default on an MQTT 3.1.1 connection. */
    private void onlyMqtt5(String property, Object value, Object defaultValue) {
        if (!value.equals(defaultValue)) {
            throw invalid(property, value, "is an MQTT 5 setting, but " + PROTOCOL_VERSION + "=" + MQTT_3_1_1
                    + " (MQTT 3.1.1): set " + PROTOCOL_VERSION + "=" + MQTT_5 + ", or put it back to its default "
                    + defaultValue);
        }
    }

    /** {@code server} as a ws:// or wss:// URI, or the reason it is none, naming the property. */
    private java.net.URI webSocketUri(String host) {
        String scheme = host.substring(0, host.indexOf("://")).toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("ws") && !scheme.equals("wss")) {
            throw invalid(SERVER, host, "is a URI with the scheme '" + scheme + "': only ws:// and wss:// (MQTT over "
                    + "WebSocket) are accepted; for MQTT over TCP give the host name alone, put the port in '" + PORT
                    + "' and use '" + TLS_ENABLED + "' for TLS");
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(host);
        } catch (java.net.URISyntaxException e) {
            throw invalid(SERVER, host, "is not a valid URI: " + e.getMessage());
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw invalid(SERVER, host, "names no host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw invalid(SERVER, host, "has a user or fragment part; give the user name in '" + USERNAME + "'");
        }
        return uri;
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
