package io.umqtt.api;

/**
 * Service property names of {@link MessageHandler} services, read by the whiteboard once per
 * registration and once per property change.
 */
public final class HandlerConstants {
    private HandlerConstants() {
    }

    /**
     * Service property, required: the MQTT topic filters the handler receives, as a
     * {@code String}, a {@code String[]} or a {@code Collection<String>}. Filters may use
     * {@code +} (one level) and {@code #} (the last level, any number of levels including none,
     * so {@code a/#} also matches {@code a}); wildcards in the first level do not match topics
     * that start with {@code $}. A filter {@code $share/<group>/<filter>} is a shared
     * subscription: the broker splits the stream of {@code <filter>} among the subscribers of the
     * group. See {@link TopicFilter} for the full rules.
     */
    public static final String TOPIC = "mqtt.topic";

    /**
     * Service property, optional: the QoS the handler asks for, 0 (at most once, the default),
     * 1 (at least once) or 2 (exactly once), as an {@code Integer}, {@code Long} or a
     * {@code String} holding the number. A filter is subscribed on the broker with the highest
     * QoS its handlers ask for, and at least at QoS 1 when it overlaps a filter asked at QoS 1 or
     * 2 on the same connection (brokers such as mosquitto deliver a message matching several
     * subscriptions of a client once, at the QoS of the most specific one).
     */
    public static final String QOS = "mqtt.qos";

    /**
     * Service property, optional: an LDAP filter over the service properties of the
     * {@link MqttConnection} services (see {@link MqttConstants}) selecting the connections the
     * handler's filters are subscribed on, for example {@code (mqtt.connection.name=plant)}.
     * Without it the handler receives from every connection.
     */
    public static final String TARGET = "mqtt.target";

    /** The QoS a handler gets when it names none. */
    public static final int DEFAULT_QOS = MqttConstants.QOS_AT_MOST_ONCE;
}
