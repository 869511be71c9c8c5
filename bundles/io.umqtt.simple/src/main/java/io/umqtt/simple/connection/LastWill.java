package io.umqtt.simple.connection;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttProperties;
import io.umqtt.simple.MqttClient;

/**
 * The last will part of {@link ConnectionSettings}: topic, message, QoS and retain flag as
 * {@code SettingsValidator} accepted them, how the will reaches the client, and its part of
 * {@link ConnectionSettings#toString()}. The MQTT 5 Will Delay Interval is one of the MQTT 5
 * settings ({@link Mqtt5Settings}) and is handed in. Immutable and thread-safe.
 */
final class LastWill {
    /** The will topic, or null for none. */
    final String topic;
    /** The will payload ({@code ""} when a topic but no message is set), or null without a topic. */
    final String message;
    /** As configured, also without a topic (validated 0..2). */
    final int qos;
    /** As configured, also without a topic. */
    final boolean retain;

    LastWill(String topic, String message, int qos, boolean retain) {
        this.topic = topic;
        this.message = message;
        this.qos = qos;
        this.retain = retain;
    }

    /**
     * Sets the will on {@code client} when there is one: with {@code delayInterval} (MQTT 5 only,
     * validated) when it is not 0, else as MQTT 3.1.1 knows it.
     */
    void applyTo(MqttClient client, long delayInterval) {
        if (topic == null) {
            return;
        }
        if (delayInterval != 0) {
            client.setLastWill(topic, message.getBytes(StandardCharsets.UTF_8), retain, qos, MqttProperties.EMPTY,
                    delayInterval);
        } else {
            client.setLastWill(topic.getBytes(StandardCharsets.UTF_8), message.getBytes(StandardCharsets.UTF_8),
                    retain, qos);
        }
    }

    /** When there is a will, appends its part of {@link ConnectionSettings#toString()}. */
    void appendTo(StringBuilder s) {
        if (topic != null) {
            s.append(", lwt.topic=").append(topic).append(", lwt.qos=").append(qos)
                    .append(", lwt.retain=").append(retain);
        }
    }
}
