package io.umqtt.robust;

/**
 * Names the robust connection component adds to {@link io.umqtt.api.MqttConstants}: its service
 * properties and the OSGi EventAdmin topics and event properties it posts when EventAdmin is
 * present.
 */
public final class RobustConstants {
    private RobustConstants() {
    }

    /** The value of {@link io.umqtt.api.MqttConstants#KIND} for robust connections. */
    public static final String KIND = "robust";

    // ------------------------------------------------------------------ service properties
    // refreshed on every state change; the counters among them are as of that moment (the
    // methods of RobustConnection are exact)

    /** Service property: the Session Present flag of the current connection (Boolean; false when down). */
    public static final String SESSION_PRESENT = "mqtt.session.present";
    /** Service property: failed connect attempts since the connection was last up (Integer; 0 when connected). */
    public static final String RECONNECT_ATTEMPT = "mqtt.reconnect.attempt";
    /** Service property: the message of the last connection failure (String; absent before the first one). */
    public static final String LAST_FAILURE = "mqtt.last.failure";
    /** Service property: successful reconnects so far (Long). */
    public static final String RECONNECTS = "mqtt.reconnects";
    /** Service property: messages dropped or refused by the offline queue so far (Long). */
    public static final String DROPPED = "mqtt.dropped";
    /** Service property: messages waiting in the offline queue (Integer). */
    public static final String QUEUED = "mqtt.queued";
    /** Service property: every server tried, in order, as {@code host:port} (String[]); the first is the primary. */
    public static final String SERVERS = "mqtt.servers";

    // ------------------------------------------------------------------ events

    /** Prefix of every event topic. */
    public static final String TOPIC_PREFIX = "io/umqtt/connection/";
    /** Posted when a connection is up (CONNACK accepted); property {@link #EVENT_SESSION_PRESENT}. */
    public static final String TOPIC_CONNECTED = TOPIC_PREFIX + "CONNECTED";
    /** Posted when an established connection is lost; property {@link #EVENT_CAUSE}. */
    public static final String TOPIC_LOST = TOPIC_PREFIX + "LOST";
    /** Posted when a connect attempt failed; {@link #EVENT_ATTEMPT}, {@link #EVENT_DELAY}, {@link #EVENT_CAUSE}. */
    public static final String TOPIC_RECONNECT_FAILED = TOPIC_PREFIX + "RECONNECT_FAILED";
    /** Posted when the configured maximum attempts are used up: the connection stays closed. */
    public static final String TOPIC_GAVE_UP = TOPIC_PREFIX + "GAVE_UP";
    /** Posted for every message the offline queue drops or refuses. */
    public static final String TOPIC_MESSAGE_DROPPED = TOPIC_PREFIX + "MESSAGE_DROPPED";
    /** Posted when a remembered subscription could not be restored after a reconnect. */
    public static final String TOPIC_SUBSCRIPTION_FAILED = TOPIC_PREFIX + "SUBSCRIPTION_FAILED";

    // every event also carries MqttConstants.NAME, KIND, SERVER, PORT and CLIENT_ID

    /** Event property: the failure's message (String). */
    public static final String EVENT_CAUSE = "cause";
    /** Event property: the failure's exception class name (String). */
    public static final String EVENT_CAUSE_CLASS = "exception.class";
    /** Event property: the number of the failed attempt, from 1 (Integer). */
    public static final String EVENT_ATTEMPT = "attempt";
    /** Event property: milliseconds until the next attempt (Long). */
    public static final String EVENT_DELAY = "delay";
    /** Event property: the Session Present flag (Boolean). */
    public static final String EVENT_SESSION_PRESENT = "session.present";
    /** Event property: the dropped message's topic (String, UTF-8 decoded). */
    public static final String EVENT_MESSAGE_TOPIC = "message.topic";
    /** Event property: the dropped message's QoS (Integer). */
    public static final String EVENT_MESSAGE_QOS = "message.qos";
    /** Event property: the dropped message's payload size in bytes (Integer). */
    public static final String EVENT_MESSAGE_SIZE = "message.size";
    /** Event property: why the message was dropped (String). */
    public static final String EVENT_REASON = "reason";
    /** Event property: the topic filter whose subscription failed (String). */
    public static final String EVENT_FILTER = "filter";
}
