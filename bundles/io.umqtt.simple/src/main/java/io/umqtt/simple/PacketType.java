package io.umqtt.simple;

/**
 * MQTT control packet types (3.1.1, and AUTH of MQTT 5), as returned by {@link MqttClient#waitMsg()} and
 * {@link MqttClient#checkMsg()}; {@link #NONE} means nothing was pending.
 */
public enum PacketType {
    /** No packet: {@link MqttClient#checkMsg()} found nothing pending. */
    NONE(0),
    CONNECT(1),
    CONNACK(2),
    PUBLISH(3),
    PUBACK(4),
    PUBREC(5),
    PUBREL(6),
    PUBCOMP(7),
    SUBSCRIBE(8),
    SUBACK(9),
    UNSUBSCRIBE(10),
    UNSUBACK(11),
    PINGREQ(12),
    PINGRESP(13),
    DISCONNECT(14),
    /**
     * MQTT 5 only: authentication exchange (section 3.15); type 15 is reserved in MQTT 3.1.1.
     *
     * @since 1.5
     */
    AUTH(15);

    private static final PacketType[] BY_CODE = values();

    private final int code;

    PacketType(int code) {
        this.code = code;
    }

    /** The 4-bit type code of the fixed header (0 for {@link #NONE}). */
    public int code() {
        return code;
    }

    /**
     * The type for a 4-bit code.
     *
     * @throws IllegalArgumentException for 0, which is reserved (15 is {@link #AUTH} of MQTT 5,
     *         reserved in MQTT 3.1.1: the client refuses it on such connections when framing)
     */
    public static PacketType of(int code) {
        if (code < 1 || code > 15) {
            throw new IllegalArgumentException("reserved MQTT packet type " + code);
        }
        return BY_CODE[code];
    }
}
