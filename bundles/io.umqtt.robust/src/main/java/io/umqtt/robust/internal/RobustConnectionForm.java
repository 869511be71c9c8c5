package io.umqtt.robust.internal;

import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.umqtt.simple.connection.ConnectionConfig;

/**
 * The Metatype form of the robust component ({@code OSGI-INF/metatype/io.umqtt.robust.xml}, where
 * Kura looks for it): the connection attributes shared with the simple component
 * ({@link ConnectionConfig}, imported from the simple bundle) followed by the component's own
 * ({@link RobustConnectionConfig}). It declares no attribute itself and nothing implements it: bnd
 * generates the form from the types it extends, and the component reads its configuration through
 * those two types.
 */
@ObjectClassDefinition(
        id = RobustConnectionComponent.PID, // OSGI-INF/metatype/<pid>.xml, where Kura looks for it
        name = "umqtt robust MQTT connection",
        description = "One MQTT 3.1.1 connection that heals itself: it reconnects with capped exponential backoff "
                + "and jitter (also when the first connect fails), restores subscriptions, resends unacknowledged "
                + "QoS 1 messages and keeps publishes made while disconnected in a bounded offline queue. It is "
                + "registered as an io.umqtt.api.MqttConnection service at once, whose properties say which "
                + "broker it talks to and whether it is connected.")
interface RobustConnectionForm extends ConnectionConfig, RobustConnectionConfig {
}
