package io.umqtt.simple.connection;

import io.umqtt.api.MqttConstants;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.TlsSettings;

/**
 * The vocabulary of a connection's configuration: the ids of the connection attributes, their
 * defaults and their limits, written once. The settings builder starts from these defaults,
 * {@code SettingsValidator} checks these limits, and the Metatype forms state both
 * ({@link ConnectionConfig}, the components' own attribute types); nowhere a second literal.
 * <p>
 * {@link ConnectionSettings} implements this interface, so every constant is also, and as before
 * this interface existed, {@code ConnectionSettings.NAME}, {@code ConnectionSettings.DEFAULT_SERVER}
 * and so on; this interface has no methods and is not meant to be implemented elsewhere.
 *
 * @since 1.2 (of this package)
 */
public interface ConnectionAttributes {
    /** Property ids, as in the configuration. */
    String NAME = "name";
    String SERVER = "server";
    String PORT = "port";
    String TRANSPORT = "transport";
    String WEBSOCKET_PATH = "websocket.path";
    /** The HTTP proxy of WebSocket connections, {@code host:port}; empty: the JVM's default proxy selector. */
    String WEBSOCKET_PROXY = "websocket.proxy";
    String CLIENT_ID = "client.id";
    String USERNAME = "username";
    String PASSWORD = "password";
    String KEEPALIVE = "keepalive";
    String CLEAN_SESSION = "clean.session";
    String CONNECT_TIMEOUT = "connect.timeout";
    String ACK_TIMEOUT = "ack.timeout";
    String MAX_PACKET_SIZE = "max.packet.size";
    String TLS_ENABLED = "tls.enabled";
    String TLS_TRUSTSTORE = "tls.truststore";
    String TLS_TRUSTSTORE_PASSWORD = "tls.truststore.password";
    String TLS_KEYSTORE = "tls.keystore";
    String TLS_KEYSTORE_PASSWORD = "tls.keystore.password";
    String TLS_STORE_TYPE = "tls.store.type";
    String TLS_VERIFY_HOSTNAME = "tls.verify.hostname";
    String LWT_TOPIC = "lwt.topic";
    String LWT_MESSAGE = "lwt.message";
    String LWT_QOS = "lwt.qos";
    String LWT_RETAIN = "lwt.retain";
    /** Acknowledge received QoS 1 messages after processing (see docs/ack-after-processing.md). */
    String ACK_AFTER_PROCESSING = "ack.after.processing";
    /** Default of {@link #ACK_AFTER_PROCESSING}: acknowledge on receipt, as umqtt does. */
    boolean DEFAULT_ACK_AFTER_PROCESSING = false;

    // MQTT 5 (docs/mqtt5-components.md): the protocol version and the connect settings only MQTT 5 has
    /** {@value}: 4 (MQTT 3.1.1, the default) or 5 (MQTT 5). */
    String PROTOCOL_VERSION = "protocol.version";
    /** {@value}: MQTT 5 session expiry interval in seconds; -1 follows {@link #CLEAN_SESSION}. */
    String SESSION_EXPIRY_INTERVAL = "session.expiry.interval";
    /** {@value}: MQTT 5 Receive Maximum announced to the broker. */
    String RECEIVE_MAXIMUM = "receive.maximum";
    /** {@value}: MQTT 5 Topic Alias Maximum announced to the broker (inbound aliases). */
    String TOPIC_ALIAS_MAXIMUM = "topic.alias.maximum";
    /** {@value}: MQTT 5 topic aliases the client uses at most when publishing. */
    String OUTBOUND_TOPIC_ALIASES = "outbound.topic.aliases";
    /** {@value}: MQTT 5 Request Response Information. */
    String REQUEST_RESPONSE_INFORMATION = "request.response.information";
    /** {@value}: MQTT 5 CONNECT user properties, each "name=value". */
    String USER_PROPERTIES = "user.properties";
    /** {@value}: MQTT 5 Will Delay Interval in seconds. */
    String WILL_DELAY_INTERVAL = "will.delay.interval";
    /** {@link #PROTOCOL_VERSION} value: MQTT 3.1.1. */
    int MQTT_3_1_1 = MqttConstants.MQTT_3_1_1;
    /** {@link #PROTOCOL_VERSION} value: MQTT 5. */
    int MQTT_5 = MqttConstants.MQTT_5;
    /** Default {@link #PROTOCOL_VERSION}: MQTT 3.1.1. */
    int DEFAULT_PROTOCOL_VERSION = MQTT_3_1_1;
    /** Default {@link #SESSION_EXPIRY_INTERVAL}: follow clean session (0 with it, never expiring without). */
    long DEFAULT_SESSION_EXPIRY_INTERVAL = -1;
    /** The session expiry interval that means "never expires", and the largest MQTT four byte integer. */
    long MAX_FOUR_BYTE_INTEGER = 0xFFFF_FFFFL;
    /** The largest MQTT two byte integer (receive maximum, topic alias maximum). */
    int MAX_TWO_BYTE_INTEGER = 65_535;
    /** Default {@link #RECEIVE_MAXIMUM}: MQTT 5's own default, 65535 (so none is announced). */
    int DEFAULT_RECEIVE_MAXIMUM = MAX_TWO_BYTE_INTEGER;
    /** Default {@link #TOPIC_ALIAS_MAXIMUM}: the broker may use no topic aliases towards us (MQTT 5's default). */
    int DEFAULT_TOPIC_ALIAS_MAXIMUM = 0;
    /** Default {@link #OUTBOUND_TOPIC_ALIASES}: up to 16 topics, within the broker's maximum. */
    int DEFAULT_OUTBOUND_TOPIC_ALIASES = MqttClient.DEFAULT_OUTBOUND_TOPIC_ALIASES;

    /** Prefix of generated client identifiers. */
    String GENERATED_CLIENT_ID_PREFIX = "umqtt-";

    // The defaults and limits of the configuration: the builder starts from these, the validation
    // checks these and the Metatype forms state these (ConnectionConfig); nowhere a second literal.
    /** Default broker host. */
    String DEFAULT_SERVER = "localhost";
    /** {@link #TRANSPORT} value: MQTT over TCP (the default). */
    String TRANSPORT_TCP = "tcp";
    /** {@link #TRANSPORT} value: MQTT over WebSocket. */
    String TRANSPORT_WEBSOCKET = "websocket";
    /** Default transport. */
    String DEFAULT_TRANSPORT = TRANSPORT_TCP;
    /** Default WebSocket path. */
    String DEFAULT_WEBSOCKET_PATH = MqttClient.DEFAULT_WEBSOCKET_PATH;
    /** Default MQTT keepalive, in seconds. */
    int DEFAULT_KEEPALIVE_SECONDS = 60;
    /** The simple connection's default connect timeout, in seconds (the robust component has its own). */
    int DEFAULT_CONNECT_TIMEOUT_SECONDS = 30;
    /** Default acknowledgement timeout, in seconds. */
    int DEFAULT_ACK_TIMEOUT_SECONDS = 30;
    /** Default largest packet accepted from the broker: the client's, 4 MiB. */
    int DEFAULT_MAX_PACKET_SIZE = MqttClient.DEFAULT_MAX_PACKET_SIZE;
    /** Default type of the TLS key stores. */
    String DEFAULT_STORE_TYPE = TlsSettings.DEFAULT_STORE_TYPE;
    /** Upper bound of both timeouts, in seconds (one day). */
    int MAX_TIMEOUT_SECONDS = 86_400;
    /** Upper bound of the keepalive, in seconds (a 16-bit field); 0 turns keepalive off. */
    int MAX_KEEPALIVE_SECONDS = 65_535;
    /** Upper bound of the port; 0 stands for the default port. */
    int MAX_PORT = 65_535;
    /** Lower bound of the maximum packet size, in bytes (remaining length). */
    int MIN_PACKET_SIZE_BYTES = 2;
    /** Upper bound of the maximum packet size: the largest remaining length MQTT can encode. */
    int MAX_PACKET_SIZE_BYTES = MqttConstants.MAX_REMAINING_LENGTH;
    /** MQTT strings (client id, user name, password, will message) carry a 16-bit length. */
    static final int MAX_STRING_BYTES = 65_535;
}
