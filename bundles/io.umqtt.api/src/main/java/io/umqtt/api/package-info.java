/**
 * The umqtt API: the {@link io.umqtt.api.MqttConnection} service registered by the client
 * components, the {@link io.umqtt.api.MqttMessage} view of received messages, listeners,
 * connection states, the {@link io.umqtt.api.MqttException} carrying MQTT return codes,
 * compiled {@link io.umqtt.api.TopicFilter}s and the service property names in
 * {@link io.umqtt.api.MqttConstants}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.umqtt.api;
