/**
 * umqtt.simple in Java: {@link io.umqtt.simple.MqttClient}, a small caller-driven MQTT 3.1.1
 * client with no dependencies beyond the JDK and the umqtt API.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.5.0")
package io.umqtt.simple;
