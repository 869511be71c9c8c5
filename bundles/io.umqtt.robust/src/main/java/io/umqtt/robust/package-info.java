/**
 * umqtt.robust in Java: {@link io.umqtt.robust.RobustMqttClient}, a
 * {@link io.umqtt.simple.MqttClient} that heals its connection and loses nothing it accepted.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.7.0")
package io.umqtt.robust;
