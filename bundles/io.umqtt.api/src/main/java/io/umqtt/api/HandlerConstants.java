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

    /**
     * Service property, optional: {@code true} (a {@code Boolean} or the {@code String}
     * {@code "true"}) makes the handler's processing count before a QoS 1 message is acknowledged,
     * on connections that acknowledge after processing (the umqtt connection services'
     * {@code ack.after.processing=true}). The PUBACK of a message is then written only once this
     * handler's {@link MessageHandler#handle} returned normally for it (and every other such
     * handler's, and the acks of the messages received before it were written); when it throws, the
     * message is not acknowledged and the connection is closed, so that the broker redelivers it
     * after the reconnect (a kept session). Handlers without it get the message as before and do
     * not hold the ack. On a connection that acknowledges on receipt the property has no effect
     * (the whiteboard logs a warning once per handler). Default {@code false}.
     *
     * @since 1.4
     */
    public static final String ACK_AFTER_PROCESSING = "mqtt.ack.after.processing";

    /** The QoS a handler gets when it names none. */
    public static final int DEFAULT_QOS = MqttConstants.QOS_AT_MOST_ONCE;

    /**
     * Service property, optional, MQTT 5 connections only: {@code true} asks the broker not to
     * send this handler's filters the messages its own connection publishes (No Local, MQTT 5
     * 3.8.3.1). A Boolean or the String "true"/"false".
     *
     * @since 1.5
     */
    public static final String NO_LOCAL = "mqtt.no.local";
    /**
     * Service property, optional, MQTT 5 connections only: {@code true} keeps the RETAIN flag of
     * forwarded messages as published (Retain As Published, MQTT 5 3.8.3.1).
     *
     * @since 1.5
     */
    public static final String RETAIN_AS_PUBLISHED = "mqtt.retain.as.published";
    /**
     * Service property, optional, MQTT 5 connections only: 0 (send retained messages when the
     * subscription is made, the default), 1 (only if it is new) or 2 (never), an Integer or a
     * String holding the number (Retain Handling, MQTT 5 3.8.3.1).
     *
     * @since 1.5
     */
    public static final String RETAIN_HANDLING = "mqtt.retain.handling";
}
