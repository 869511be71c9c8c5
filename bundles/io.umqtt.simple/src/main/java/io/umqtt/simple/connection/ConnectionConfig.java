package io.umqtt.simple.connection;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Option;

/**
 * The connection attributes that the simple and the robust component share, written once: the
 * broker, credentials, session, limits, TLS and last will of one connection. Property ids are the
 * method names with {@code _} read as {@code .} ({@code client_id()} is {@code client.id}, the
 * constants of {@link ConnectionSettings}); the defaults are {@link ConnectionSettings}'s
 * {@code DEFAULT_*} constants, the same the settings builder starts from, and every value is
 * validated by {@link ConnectionSettings#of} alone.
 * <p>
 * Two uses, no copy:
 * <ul>
 * <li>A Declarative Services component property type: each component takes it as a parameter of
 * its activate and modified methods, next to a type of its own attributes.</li>
 * <li>The shared part of each component's Metatype: the component's
 * {@code @ObjectClassDefinition} is an interface extending this type and the component's own
 * annotation type (bnd's Metatype processing takes the attributes of the extended types, in the
 * order they are extended), so these attributes come first in both forms.</li>
 * </ul>
 * <p>
 * {@code connect.timeout} is not here: each component declares it with its own default (the
 * simple connection's 30 s, the robust client's 10 s per attempt) and hands it to
 * {@link ConnectionSettings#of(String, String, ConnectionConfig, int, java.util.function.UnaryOperator)}.
 * The Felix web console's name hint is the component's too.
 */
public @interface ConnectionConfig {

    @AttributeDefinition(name = "Connection name",
            description = "The name other bundles select this connection by (service property "
                    + "mqtt.connection.name). Empty: the name given in Kura (kura.service.pid), else the "
                    + "configuration's PID.",
            required = false)
    String name() default "";

    @AttributeDefinition(name = "Broker host",
            description = "Host name or IP address of the MQTT broker; or a ws://host:port/path or "
                    + "wss://host:port/path URI for MQTT over WebSocket (wss: with TLS, using the TLS settings below).")
    String server() default ConnectionSettings.DEFAULT_SERVER;

    @AttributeDefinition(name = "Broker port",
            description = "TCP port of the broker, 1..65535. 0: 1883, or 8883 when TLS is enabled; over WebSocket "
                    + "the URI's port, else 80, or 443 with TLS.",
            min = "0", max = "" + ConnectionSettings.MAX_PORT)
    int port() default 0;

    @AttributeDefinition(name = "Transport",
            description = "How MQTT reaches the broker: tcp (MQTT over TCP, with TLS when enabled) or websocket (MQTT "
                    + "over WebSocket, subprotocol mqtt, on the path below; with TLS when enabled). A ws:// or wss:// "
                    + "URI as broker host means websocket.",
            options = {@Option(label = "TCP", value = ConnectionSettings.TRANSPORT_TCP),
                    @Option(label = "WebSocket", value = ConnectionSettings.TRANSPORT_WEBSOCKET)})
    String transport() default ConnectionSettings.DEFAULT_TRANSPORT;

    @AttributeDefinition(name = "WebSocket path",
            description = "HTTP path (and query) of the broker's WebSocket endpoint, starting with /; used with "
                    + "transport websocket when the broker host is no URI with a path of its own.",
            required = false)
    String websocket_path() default ConnectionSettings.DEFAULT_WEBSOCKET_PATH;

    @AttributeDefinition(name = "WebSocket HTTP proxy",
            description = "HTTP proxy for transport websocket, as host:port ([v6-address]:port); the connection "
                    + "tunnels through it with CONNECT (ws and wss alike). Empty: the JVM's default proxy selector "
                    + "(http.proxyHost / https.proxyHost system properties). Not allowed with transport tcp. A proxy "
                    + "asking for authentication is not supported.",
            required = false)
    String websocket_proxy() default "";

    @AttributeDefinition(name = "Client identifier",
            description = "The MQTT client identifier. Empty: a unique identifier \"umqtt-...\" generated on each "
                    + "start (then clean session must stay on; with protocol version 5 the broker assigns one "
                    + "instead; a session expiry interval that never expires is then refused, since each start "
                    + "leaves the previous session on the broker until it expires). Two clients with the same "
                    + "identifier disconnect each other.",
            required = false)
    String client_id() default "";

    @AttributeDefinition(name = "User name", description = "The user name sent to the broker. Empty: none.",
            required = false)
    String username() default "";

    @AttributeDefinition(name = "Password",
            description = "The password sent to the broker; needs a user name on MQTT 3.1.1. Never logged.",
            type = AttributeType.PASSWORD, required = false)
    String password() default "";

    @AttributeDefinition(name = "Keepalive (s)",
            description = "Seconds between the client's packets, 0..65535; the client pings when it has nothing "
                    + "else to send and declares the connection dead (a robust connection then reconnects) after "
                    + "1.5 times this without a packet from the broker. 0 turns keepalive off: a dead connection "
                    + "is then only noticed when a write fails.",
            min = "0", max = "" + ConnectionSettings.MAX_KEEPALIVE_SECONDS)
    int keepalive() default ConnectionSettings.DEFAULT_KEEPALIVE_SECONDS;

    @AttributeDefinition(name = "Clean session",
            description = "Start with a fresh session (a robust connection: every connection, reconnects "
                    + "included; the client restores its subscriptions itself). Off: the broker keeps "
                    + "subscriptions and QoS 1 messages for this client identifier while it is away (needs a "
                    + "fixed client identifier).")
    boolean clean_session() default true;

    @AttributeDefinition(name = "Acknowledgement timeout (s)",
            description = "How long a QoS 1 publish, a subscribe or an unsubscribe waits for the broker's "
                    + "acknowledgement, 1..86400 seconds (a robust connection resends a publish whose PUBACK "
                    + "does not come in time on a new connection).",
            min = "1", max = "" + ConnectionSettings.MAX_TIMEOUT_SECONDS)
    int ack_timeout() default ConnectionSettings.DEFAULT_ACK_TIMEOUT_SECONDS;

    @AttributeDefinition(name = "Maximum packet size (bytes)",
            description = "The largest packet accepted from the broker (remaining length), 2..268435455 bytes; "
                    + "a larger one is a protocol error that ends the connection.",
            min = "" + ConnectionSettings.MIN_PACKET_SIZE_BYTES, max = "" + ConnectionSettings.MAX_PACKET_SIZE_BYTES)
    int max_packet_size() default ConnectionSettings.DEFAULT_MAX_PACKET_SIZE;

    @AttributeDefinition(name = "Use TLS", description = "Connect with TLS. The server certificate is verified.")
    boolean tls_enabled() default false;

    @AttributeDefinition(name = "TLS trust store",
            description = "Path of a key store with the CA certificates to trust. Empty: the JVM's default "
                    + "trust store.",
            required = false)
    String tls_truststore() default "";

    @AttributeDefinition(name = "TLS trust store password", description = "Password of the trust store.",
            type = AttributeType.PASSWORD, required = false)
    String tls_truststore_password() default "";

    @AttributeDefinition(name = "TLS key store",
            description = "Path of a key store with the client certificate and its private key. Empty: no "
                    + "client certificate.",
            required = false)
    String tls_keystore() default "";

    @AttributeDefinition(name = "TLS key store password",
            description = "Password of the key store and of the private key in it.",
            type = AttributeType.PASSWORD, required = false)
    String tls_keystore_password() default "";

    @AttributeDefinition(name = "TLS key store type",
            description = "Type of both key stores, e.g. PKCS12 or JKS. Empty: PKCS12.", required = false)
    String tls_store_type() default ConnectionSettings.DEFAULT_STORE_TYPE;

    @AttributeDefinition(name = "Verify TLS host name",
            description = "Check that the server certificate names the broker host (a robust connection: each "
                    + "failover server too). Turn off only for tests or a private CA that issues certificates "
                    + "without host names.")
    boolean tls_verify_hostname() default true;

    @AttributeDefinition(name = "Last will topic",
            description = "Topic the broker publishes the last will to when the connection ends without a "
                    + "DISCONNECT. Empty: no last will.",
            required = false)
    String lwt_topic() default "";

    @AttributeDefinition(name = "Last will message", description = "Payload of the last will (UTF-8 text).",
            required = false)
    String lwt_message() default "";

    @AttributeDefinition(name = "Last will QoS", description = "QoS of the last will: 0, 1 or 2.",
            options = {@Option(label = "0: at most once", value = "0"), @Option(label = "1: at least once", value = "1"),
                @Option(label = "2: exactly once", value = "2")})
    int lwt_qos() default 0;

    @AttributeDefinition(name = "Retain last will", description = "Publish the last will as a retained message.")
    boolean lwt_retain() default false;

    @AttributeDefinition(name = "Acknowledge after processing",
            description = "Send a received QoS 1 message's PUBACK only after the listeners returned and every "
                    + "whiteboard handler with mqtt.ack.after.processing=true has processed it, in the order the "
                    + "messages arrived. When processing fails the message is not acknowledged and the connection "
                    + "is closed, so that the broker redelivers it: needs clean session off (and a fixed client "
                    + "identifier). A simple connection does not reconnect by itself. Off: acknowledge on receipt.")
    boolean ack_after_processing() default ConnectionSettings.DEFAULT_ACK_AFTER_PROCESSING;

    // ------------------------------------------------------------------ MQTT 5 (protocol.version=5)

    @AttributeDefinition(name = "MQTT version",
            description = "The protocol the connection speaks: 4 = MQTT 3.1.1 (the default), 5 = MQTT 5. The settings "
                    + "below are MQTT 5's: on an MQTT 3.1.1 connection each must keep its default (a configuration "
                    + "error names the one that does not).",
            options = {@Option(label = "MQTT 3.1.1", value = "" + ConnectionSettings.MQTT_3_1_1),
                @Option(label = "MQTT 5", value = "" + ConnectionSettings.MQTT_5)})
    int protocol_version() default ConnectionSettings.DEFAULT_PROTOCOL_VERSION;

    @AttributeDefinition(name = "Session expiry interval (s)",
            description = "MQTT 5: how long the broker keeps the session after the connection ends, 0..4294967295 "
                    + "seconds (4294967295: never expires). -1: follows clean session (0 with clean session on, "
                    + "4294967295 with it off, as MQTT 3.1.1 keeps a session). Never expiring needs a client "
                    + "identifier.",
            min = "-1", max = "" + ConnectionSettings.MAX_FOUR_BYTE_INTEGER)
    long session_expiry_interval() default ConnectionSettings.DEFAULT_SESSION_EXPIRY_INTERVAL;

    @AttributeDefinition(name = "Receive maximum",
            description = "MQTT 5: how many QoS 1 and 2 messages the broker may send unacknowledged at once, "
                    + "1..65535.",
            min = "1", max = "" + ConnectionSettings.MAX_TWO_BYTE_INTEGER)
    int receive_maximum() default ConnectionSettings.DEFAULT_RECEIVE_MAXIMUM;

    @AttributeDefinition(name = "Inbound topic aliases",
            description = "MQTT 5: how many topic aliases the broker may use towards this client (Topic Alias "
                    + "Maximum), 0..65535; 0: none.",
            min = "0", max = "" + ConnectionSettings.MAX_TWO_BYTE_INTEGER)
    int topic_alias_maximum() default ConnectionSettings.DEFAULT_TOPIC_ALIAS_MAXIMUM;

    @AttributeDefinition(name = "Outbound topic aliases",
            description = "MQTT 5: how many topics the client replaces by a topic alias when it publishes to them "
                    + "again (fewer bytes on the wire), 0..65535, at most as many as the broker allows; 0: none.",
            min = "0", max = "" + ConnectionSettings.MAX_TWO_BYTE_INTEGER)
    int outbound_topic_aliases() default ConnectionSettings.DEFAULT_OUTBOUND_TOPIC_ALIASES;

    @AttributeDefinition(name = "Request response information",
            description = "MQTT 5: ask the broker for Response Information, the topic prefix it wants responses of "
                    + "request/response under; MqttConnection.request then uses it for its response topic.")
    boolean request_response_information() default false;

    @AttributeDefinition(name = "Connect user properties",
            description = "MQTT 5: user properties sent with CONNECT, each as name=value (the first '=' separates; "
                    + "the name may repeat). Empty: none.",
            required = false)
    String[] user_properties() default {};

    @AttributeDefinition(name = "Last will delay (s)",
            description = "MQTT 5: how long the broker waits after the connection ended before it publishes the "
                    + "last will, 0..4294967295 seconds (a reconnect within it cancels the will); needs a last will "
                    + "topic unless 0.",
            min = "0", max = "" + ConnectionSettings.MAX_FOUR_BYTE_INTEGER)
    long will_delay_interval() default 0;
}
