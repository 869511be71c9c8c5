/**
 * The umqtt API: the {@link io.umqtt.api.MqttConnection} service registered by the client
 * components, the {@link io.umqtt.api.MqttMessage} view of received messages, listeners,
 * connection states, the {@link io.umqtt.api.MqttException} carrying MQTT return codes,
 * compiled {@link io.umqtt.api.TopicFilter}s, {@link io.umqtt.api.MatchingListener}s that match
 * topics in an index of their own, and the service property names in
 * {@link io.umqtt.api.MqttConstants}. {@link io.umqtt.api.MessageHandler} is the whiteboard
 * contract: handlers registered as services with the properties of
 * {@link io.umqtt.api.HandlerConstants} receive the messages of their topic filters.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.5.0")
package io.umqtt.api;
