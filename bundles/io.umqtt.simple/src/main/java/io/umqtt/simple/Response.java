package io.umqtt.simple;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttProperties;

/**
 * The response to an MQTT 5 request made with
 * {@link MqttClient#request(String, byte[], int, MqttProperties, long)}: the PUBLISH that came back
 * on the client's response topic with the request's correlation data. Immutable; the arrays belong
 * to the receiver.
 *
 * @since 1.5
 */
public final class Response {
    private final byte[] topic;
    private final byte[] payload;
    private final int qos;
    private final boolean retain;
    private final MqttProperties properties;

    Response(byte[] topic, byte[] payload, int qos, boolean retain, MqttProperties properties) {
        this.topic = topic;
        this.payload = payload;
        this.qos = qos;
        this.retain = retain;
        this.properties = properties;
    }

    /** The topic it arrived on (the client's response topic), as UTF-8 bytes. */
    public byte[] topic() {
        return topic;
    }

    /** The topic decoded from UTF-8. */
    public String topicString() {
        return new String(topic, StandardCharsets.UTF_8);
    }

    /** The payload (possibly empty, never null). */
    public byte[] payload() {
        return payload;
    }

    /** The QoS it was delivered with. */
    public int qos() {
        return qos;
    }

    /** Its RETAIN flag. */
    public boolean retain() {
        return retain;
    }

    /** Its properties: the correlation data of the request, and whatever else the responder set. */
    public MqttProperties properties() {
        return properties;
    }

    @Override
    public String toString() {
        return "Response[" + topicString() + ", " + payload.length + " bytes, qos " + qos + ", " + properties + "]";
    }
}
