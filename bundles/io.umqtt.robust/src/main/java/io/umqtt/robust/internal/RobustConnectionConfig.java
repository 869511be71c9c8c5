package io.umqtt.robust.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Option;

import io.umqtt.robust.RobustMqttClient;
import io.umqtt.simple.connection.ConnectionConfig;
import io.umqtt.simple.connection.ConnectionSettings;

/**
 * The robust component's own attributes, next to the connection attributes it shares with the
 * simple component ({@link ConnectionConfig}, validated by {@code ConnectionSettings}): the connect
 * timeout of each attempt (its default is the robust client's), reconnecting, the offline queue
 * and failover, checked by {@link RobustSettings}. A Declarative Services component property type
 * of {@link RobustConnectionComponent}; its Metatype is part of {@link RobustConnectionForm}.
 * Property ids are the method names with {@code _} read as {@code .}. Every property has a working
 * default.
 */
@interface RobustConnectionConfig {

    @AttributeDefinition(name = "Connect timeout (s)",
            description = "Longest time for TCP connect, TLS handshake and the broker's CONNACK together, "
                    + "1..86400 seconds, for every connect attempt. Short, so that an attempt lost in a network "
                    + "outage is soon retried; raise it for slow links where a TLS handshake takes longer.",
            min = "1", max = "" + ConnectionSettings.MAX_TIMEOUT_SECONDS)
    int connect_timeout() default RobustSettings.DEFAULT_CONNECT_TIMEOUT_SECONDS;

    // ------------------------------------------------------------------ reconnecting

    @AttributeDefinition(name = "First reconnect delay (ms)",
            description = "Wait after the first failed connect attempt, 1..86400000 ms; it doubles after each "
                    + "further failure up to the maximum delay.",
            min = "1", max = "" + RobustSettings.MAX_DELAY_MILLIS)
    long reconnect_initial_delay() default RobustSettings.DEFAULT_RECONNECT_INITIAL_DELAY_MILLIS;

    @AttributeDefinition(name = "Maximum reconnect delay (ms)",
            description = "The cap of the doubling delay, at least the first delay and at most 86400000 ms. A "
                    + "broker that refuses the connection (bad credentials, not authorised) is retried only at "
                    + "this delay.",
            min = "1", max = "" + RobustSettings.MAX_DELAY_MILLIS)
    long reconnect_max_delay() default RobustSettings.DEFAULT_RECONNECT_MAX_DELAY_MILLIS;

    @AttributeDefinition(name = "Reconnect jitter",
            description = "The random fraction taken off each delay, 0..1, so that many gateways do not "
                    + "reconnect in step after a broker restart. 0: exact delays.",
            min = "0", max = "1")
    double reconnect_jitter() default RobustSettings.DEFAULT_RECONNECT_JITTER;

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
    int queue_max_messages() default RobustMqttClient.DEFAULT_QUEUE_MESSAGES;

    @AttributeDefinition(name = "Offline queue size (bytes)",
            description = "The most topic and payload bytes the offline queue holds. Each message must fit on "
                    + "its own.",
            min = "0")
    long queue_max_bytes() default RobustMqttClient.DEFAULT_QUEUE_BYTES;

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
