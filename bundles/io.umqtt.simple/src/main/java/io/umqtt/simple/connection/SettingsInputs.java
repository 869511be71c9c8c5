package io.umqtt.simple.connection;

import static io.umqtt.simple.connection.ConnectionAttributes.*;

import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The raw values of one connection's configuration, as {@link ConnectionSettings.Builder} collects
 * them (starting from the defaults of {@link ConnectionAttributes}) and before
 * {@code SettingsValidator} turns them into {@link ConnectionSettings}: {@code null} strings count
 * as empty, nothing is checked yet. Also the mapping of a {@link ConnectionConfig} onto a builder
 * ({@link #configure}), and the comparable form of the values that
 * {@link ConnectionSettings#sameAs} compares ({@link #values()}).
 * <p>
 * Mutable and not thread-safe: it belongs to one builder, used on one thread.
 */
final class SettingsInputs {
    // set by the builder, read by SettingsValidator, Mqtt5Settings and ConnectionSettings
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

    /** @param pid the configuration's PID, also the default name */
    SettingsInputs(String pid) {
        this.pid = pid;
        this.defaultName = pid;
    }

    /**
     * Every value as configured, normalised as the validation reads it (strings stripped, null as
     * empty; secrets as they are), for {@link ConnectionSettings#sameAs}. The PID is not part of it.
     */
    List<Object> values() {
        return Arrays.asList(defaultName, trim(name), trim(server), port, trim(transport),
                trim(webSocketPath), trim(clientId), trim(username),
                password == null ? "" : password, keepAliveSeconds, cleanSession, connectTimeoutSeconds,
                ackTimeoutSeconds, maxPacketSize, tlsEnabled, trim(trustStore),
                trustStorePassword == null ? "" : trustStorePassword, trim(keyStore),
                keyStorePassword == null ? "" : keyStorePassword, trim(storeType), verifyHostname,
                trim(lwtTopic), lwtMessage == null ? "" : lwtMessage, lwtQos, lwtRetain, ackAfterProcessing,
                trim(webSocketProxy), protocolVersion, sessionExpiryInterval, receiveMaximum, topicAliasMaximum,
                outboundTopicAliases, requestResponseInformation,
                Arrays.asList(userProperties == null ? new String[0] : userProperties),
                willDelayInterval);
    }

    /**
     * Maps a component's configuration onto {@code b}, see
     * {@link ConnectionSettings#of(String, String, ConnectionConfig, int, UnaryOperator)}: the three
     * passwords go through {@code secrets} first.
     */
    static ConnectionSettings.Builder configure(ConnectionSettings.Builder b, ConnectionConfig c,
            UnaryOperator<String> secrets) {
        return Mqtt5Settings.configure(b
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
                .ackAfterProcessing(c.ack_after_processing()), c);
    }

    private static String trim(String s) {
        return s == null ? "" : s.strip();
    }
}
