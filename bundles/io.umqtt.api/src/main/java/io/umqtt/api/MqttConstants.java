package io.umqtt.api;

/** Service property names of {@link MqttConnection} services and protocol limits. */
public final class MqttConstants {
    private MqttConstants() {
    }

    /** Service property: the connection's name (String), unique per gateway. */
    public static final String NAME = "mqtt.connection.name";
    /** Service property: which component provides it, {@code simple} or {@code robust} (String). */
    public static final String KIND = "mqtt.connection.kind";
    /** Service property: the broker's host name or address (String). */
    public static final String SERVER = "mqtt.server";
    /** Service property: the broker's port (Integer). */
    public static final String PORT = "mqtt.port";
    /** Service property: whether the connection uses TLS (Boolean). */
    public static final String TLS = "mqtt.tls";
    /** Service property: the MQTT client identifier (String). */
    public static final String CLIENT_ID = "mqtt.client.id";
    /** Service property: the {@link ConnectionState} name (String). */
    public static final String STATE = "mqtt.state";
    /** Service property: whether the connection is up (Boolean). */
    public static final String CONNECTED = "mqtt.connected";
    /**
     * Service property, present only while the connection is out of service because its
     * configuration is invalid (String): what is wrong, naming the property and its value, for
     * example {@code invalid configuration of io.umqtt.robust~a: port=70000 is outside 0..65535}.
     * The state is then {@link ConnectionState#CLOSED}, publish and subscribe throw an
     * {@code IOException} with this text, and the component recovers by itself once the
     * configuration is fixed.
     *
     * @since 1.2
     */
    public static final String ERROR = "mqtt.error";

    /**
     * Service property: the MQTT protocol level the connection speaks (Integer): {@link #MQTT_3_1_1}
     * or {@link #MQTT_5}.
     *
     * @since 1.5
     */
    public static final String PROTOCOL_VERSION = "mqtt.protocol.version";
    /**
     * Service property, present after an MQTT 5 server ended the connection with a DISCONNECT
     * (String): its reason code and reason string, e.g. {@code 0x8B server shutting down: maintenance}.
     *
     * @since 1.5
     */
    public static final String DISCONNECT_REASON = "mqtt.disconnect.reason";
    /** Protocol level 4: MQTT 3.1.1, the default. @since 1.5 */
    public static final int MQTT_3_1_1 = 4;
    /** Protocol level 5: MQTT 5.0. @since 1.5 */
    public static final int MQTT_5 = 5;

    /** QoS 0: at most once. */
    public static final int QOS_AT_MOST_ONCE = 0;
    /** QoS 1: at least once. */
    public static final int QOS_AT_LEAST_ONCE = 1;
    /**
     * QoS 2: exactly once (PUBREC, PUBREL, PUBCOMP).
     *
     * @since 1.4
     */
    public static final int QOS_EXACTLY_ONCE = 2;
    /** The largest remaining length MQTT 3.1.1 can express (268,435,455 bytes). */
    public static final int MAX_REMAINING_LENGTH = 268_435_455;
    /** The longest topic or filter, in UTF-8 bytes. */
    public static final int MAX_TOPIC_LENGTH = 65_535;
}
