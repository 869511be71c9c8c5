package io.umqtt.simple.internal;

import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.umqtt.simple.connection.ConnectionConfig;

/**
 * The Metatype form of the simple component ({@code OSGI-INF/metatype/io.umqtt.simple.xml}, where
 * Kura looks for it): the shared connection attributes ({@link ConnectionConfig}) followed by the
 * component's own ({@link SimpleConnectionConfig}). It declares no attribute itself and nothing
 * implements it: bnd generates the form from the types it extends, and the component reads its
 * configuration through those two types.
 */
@ObjectClassDefinition(
        id = SimpleConnectionComponent.PID, // OSGI-INF/metatype/<pid>.xml, where Kura looks for it
        name = "umqtt simple MQTT connection",
        description = "One MQTT 3.1.1 connection driven by the umqtt simple client. It connects once and does not "
                + "reconnect; it is registered as an io.umqtt.api.MqttConnection service whose properties say "
                + "which broker it talks to and whether it is connected.")
interface SimpleConnectionForm extends ConnectionConfig, SimpleConnectionConfig {
}
