package io.umqtt.simple;

import org.osgi.annotation.versioning.ConsumerType;

import io.umqtt.api.MqttProperties;

/**
 * Receives PUBLISH packets, like umqtt's {@code set_callback} function. It runs on the thread
 * that reads the packet ({@link MqttClient#waitMsg()}, {@link MqttClient#checkMsg()},
 * {@link MqttClient#loop()}, or a QoS 1 operation waiting for its ack). An incoming QoS 1
 * message is acknowledged (PUBACK; QoS 2: PUBREC) after the callback returns, also when it throws;
 * the exception then propagates to the caller of the loop step. With
 * {@link MqttClient#setAckAfterProcessing(boolean)} on, it is acknowledged only when the callback
 * returned normally (and every {@link MqttClient#holdAck() hold} it took was released); when it
 * throws, the connection is closed without the ack so that the broker redelivers the message. A
 * QoS 2 message is delivered once per packet id until the broker releases it (PUBREL), also when
 * the broker resends it after a reconnect in a kept session (acknowledging after processing: once
 * its PUBREC was written).
 * <p>
 * The callback may publish, subscribe and unsubscribe at any QoS. Messages that arrive while
 * it does so are delivered after it returns, in order, so callbacks never nest.
 */
@ConsumerType
@FunctionalInterface
public interface MessageCallback {
    /**
     * @param topic the topic name bytes (owned by the callee)
     * @param msg the payload bytes (owned by the callee)
     * @param retain the RETAIN flag
     * @param dup the DUP flag
     * @param qos the delivery QoS, 0, 1 or 2
     */
    void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos);

    /**
     * What the client calls for every PUBLISH: with the message's MQTT 5 properties, which are
     * {@link MqttProperties#EMPTY} (no allocation) when it carried none and on MQTT 3.1.1
     * connections. The default calls {@link #message(byte[], byte[], boolean, boolean, int)};
     * override this one to read the properties.
     *
     * @param properties the PUBLISH properties, never null (its Topic Alias is resolved, not shown)
     * @since 1.5
     */
    default void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos, MqttProperties properties) {
        message(topic, msg, retain, dup, qos);
    }
}
