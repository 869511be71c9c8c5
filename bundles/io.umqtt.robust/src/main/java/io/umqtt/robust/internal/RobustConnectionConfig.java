package io.umqtt.robust.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * The configuration of one {@link RobustConnectionComponent}: one factory configuration of
 * {@value RobustConnectionComponent#PID} per broker connection. The connection properties are
 * those of the simple component (same ids, same checks, {@code ConnectionSettings}); the
 * reconnect, offline queue and failover properties are checked by {@link RobustSettings}. Property
 * ids are the method names with {@code _} read as {@code .}. Only {@code server} needs a value:
 * every other property has a working default.
 */
@ObjectClassDefinition(
        id = RobustConnectionComponent.PID, // OSGI-INF/metatype/<pid>.xml, where Kura looks for it
        name = "umqtt robust MQTT connection",
        description = "One MQTT 3.1.1 connection that heals itself: it reconnects with capped exponential backoff "
                + "and jitter (also when the first connect fails), restores subscriptions, resends unacknowledged "
                + "QoS 1 messages and keeps publishes made while disconnected in a bounded offline queue. It is "
                + "registered as an io.umqtt.api.MqttConnection service at once, whose properties say which "
                + "broker it talks to and whether it is connected.")
@interface RobustConnectionConfig {

    // ------------------------------------------------------------------ as the simple component

    @AttributeDefinition(name = "Connection name",
            description = "The name other bundles select this connection by (service property "
                    + "mqtt.connection.name). Empty: the name given in Kura (kura.service.pid), else the "
                    + "configuration's PID.",
            required = false)
    String name() default "";

    @AttributeDefinition(name = "Broker host", description = "Host name or IP address of the MQTT broker.")
    String server() default "localhost";

    @AttributeDefinition(name = "Broker port",
            description = "TCP port of the broker, 1..65535. 0: 1883, or 8883 when TLS is enabled.",
            min = "0", max = "65535")
    int port() default 0;

    @AttributeDefinition(name = "Client identifier",
            description = "The MQTT client identifier. Empty: a unique identifier \"umqtt-...\" generated on each "
                    + "start (then clean session must stay on). Two clients with the same identifier "
                    + "disconnect each other.",
            required = false)
    String client_id() default "";

    @AttributeDefinition(name = "User name", description = "The user name sent to the broker. Empty: none.",
            required = false)
    String username() default "";

    @AttributeDefinition(name = "Password",
            description = "The password sent to the broker; needs a user name. Never logged.",
            type = AttributeType.PASSWORD, required = false)
    String password() default "";

    @AttributeDefinition(name = "Keepalive (s)",
            description = "Seconds between the client's packets, 0..65535; the client pings when it has nothing "
                    + "else to send and declares the connection dead (and reconnects) after 1.5 times this "
                    + "without a packet from the broker. 0 turns keepalive off: a dead connection is then only "
                    + "noticed when a write fails.",
            min = "0", max = "65535")
    int keepalive() default 60;

    @AttributeDefinition(name = "Clean session",
            description = "Start every connection, reconnects included, with a fresh session; the client restores "
                    + "its subscriptions itself. Off: the broker keeps subscriptions and QoS 1 messages for this "
                    + "client identifier while it is away (needs a fixed client identifier).")
    boolean clean_session() default true;

    @AttributeDefinition(name = "Connect timeout (s)",
            description = "Longest time for TCP connect, TLS handshake and the broker's CONNACK together, "
                    + "1..86400 seconds, for every connect attempt. Short, so that an attempt lost in a network "
                    + "outage is soon retried; raise it for slow links where a TLS handshake takes longer.",
            min = "1", max = "86400")
    int connect_timeout() default 10;

    @AttributeDefinition(name = "Acknowledgement timeout (s)",
            description = "How long a QoS 1 publish, a subscribe or an unsubscribe waits for the broker's "
                    + "acknowledgement, 1..86400 seconds; a publish whose PUBACK does not come in time is resent "
                    + "on a new connection.",
            min = "1", max = "86400")
    int ack_timeout() default 30;

    @AttributeDefinition(name = "Maximum packet size (bytes)",
            description = "The largest packet accepted from the broker (remaining length), 2..268435455 bytes; "
                    + "a larger one is a protocol error that ends the connection.",
            min = "2", max = "268435455")
    int max_packet_size() default 4 * 1024 * 1024;

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
    String tls_store_type() default "PKCS12";

    @AttributeDefinition(name = "Verify TLS host name",
            description = "Check that the server certificate names the broker host (each failover server "
                    + "too). Turn off only for tests or a private CA that issues certificates without host names.")
    boolean tls_verify_hostname() default true;

    @AttributeDefinition(name = "Last will topic",
            description = "Topic the broker publishes the last will to when the connection ends without a "
                    + "DISCONNECT. Empty: no last will.",
            required = false)
    String lwt_topic() default "";

    @AttributeDefinition(name = "Last will message", description = "Payload of the last will (UTF-8 text).",
            required = false)
    String lwt_message() default "";

    @AttributeDefinition(name = "Last will QoS", description = "QoS of the last will: 0 or 1.",
            options = {@Option(label = "0: at most once", value = "0"), @Option(label = "1: at least once", value = "1")})
    int lwt_qos() default 0;

    @AttributeDefinition(name = "Retain last will", description = "Publish the last will as a retained message.")
    boolean lwt_retain() default false;

    // ------------------------------------------------------------------ reconnecting

    @AttributeDefinition(name = "First reconnect delay (ms)",
            description = "Wait after the first failed connect attempt, 1..86400000 ms; it doubles after each "
                    + "further failure up to the maximum delay.",
            min = "1", max = "86400000")
    long reconnect_initial_delay() default 1_000;

    @AttributeDefinition(name = "Maximum reconnect delay (ms)",
            description = "The cap of the doubling delay, at least the first delay and at most 86400000 ms. A "
                    + "broker that refuses the connection (bad credentials, not authorised) is retried only at "
                    + "this delay.",
            min = "1", max = "86400000")
    long reconnect_max_delay() default 60_000;

    @AttributeDefinition(name = "Reconnect jitter",
            description = "The random fraction taken off each delay, 0..1, so that many gateways do not "
                    + "reconnect in step after a broker restart. 0: exact delays.",
            min = "0", max = "1")
    double reconnect_jitter() default 0.5;

    @AttributeDefinition(name = "Maximum connect attempts",
            description = "Failed attempts in a row after which the connection gives up and closes (service "
                    + "state CLOSED). 0: never give up.",
            min = "0")
    int reconnect_max_attempts() default 0;

    // ------------------------------------------------------------------ offline queue

    @AttributeDefinition(name = "Offline queue size (messages)",
            description = "How many publishes made while disconnected are kept for sending when the connection "
                    + "is back. 0: none; a publish while disconnected then fails.",
            min = "0")
    int queue_max_messages() default 10_000;

    @AttributeDefinition(name = "Offline queue size (bytes)",
            description = "The most topic and payload bytes the offline queue holds. Each message must fit on "
                    + "its own.",
            min = "0")
    long queue_max_bytes() default 10L * 1024 * 1024;

    @AttributeDefinition(name = "When the offline queue is full",
            description = "What a publish into the full queue does. Either way the loss is logged, counted "
                    + "(service property mqtt.dropped) and posted as an event.",
            options = {
                @Option(label = "Drop the oldest queued message", value = "DROP_OLDEST"),
                @Option(label = "Reject the new message (publish fails)", value = "REJECT_NEWEST")})
    String queue_overflow() default "DROP_OLDEST";

    @AttributeDefinition(name = "Keep the offline queue on disk",
            description = "Write every queued message to disk before the publish returns, so that the queue "
                    + "survives a restart or a crash of the gateway; it is loaded and sent after the next connect. "
                    + "Messages leave the disk once sent (QoS 0) or acknowledged (QoS 1). The files are forced to "
                    + "the device at most once a second and when the connection stops, not per message: a power "
                    + "loss may lose the last second. Off: memory only.")
    boolean queue_persistent() default false;

    @AttributeDefinition(name = "Offline queue directory",
            description = "Absolute path of the directory that keeps the offline queue when it is on disk; one "
                    + "connection per directory. Empty: offline-queue/<connection name> in the bundle's persistent "
                    + "storage area, which does not survive a restart under Kura (osgi.clean=true): there this "
                    + "directory must be given.",
            required = false)
    String queue_directory() default "";

    // ------------------------------------------------------------------ failover

    @AttributeDefinition(name = "Failover servers",
            description = "Further brokers as host:port (IPv6 as [address]:port; host alone: the default port), "
                    + "tried in order after the broker above fails, then round again. Same credentials and TLS "
                    + "settings. Several may be given in one value, separated by commas (Kura's form shows at most "
                    + "10 values). Empty: none.",
            required = false)
    String[] failover_servers() default {};

    /** How the Felix web console lists the configurations of this factory. */
    @AttributeDefinition(name = "Felix web console name hint",
            description = "How the Felix web console lists these configurations; not used by the connection.",
            required = false)
    String webconsole_configurationFactory_nameHint() default "{name} {server}:{port}";
}
