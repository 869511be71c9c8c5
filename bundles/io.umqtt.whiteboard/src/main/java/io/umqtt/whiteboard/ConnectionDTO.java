package io.umqtt.whiteboard;

import org.osgi.dto.DTO;

/** A tracked {@code MqttConnection} service and the whiteboard's subscriptions on it. */
public class ConnectionDTO extends DTO {
    /** The connection's {@code service.id}. */
    public long serviceId;

    /** Its {@code mqtt.connection.name}, or {@code null}. */
    public String name;

    /** Whether its service properties say it is connected. */
    public boolean connected;

    /** One entry per topic filter that some handler wants on it, or that is still being unsubscribed. */
    public SubscriptionDTO[] subscriptions;

    /** Messages it delivered to the whiteboard. */
    public long received;

    /**
     * Received messages that matched no handler (for example after the last handler left), or
     * whose topic was not a valid MQTT topic name, so that they went to no handler.
     */
    public long unmatched;

    /**
     * Retained messages (RETAIN=1) that matched handlers but went to none of them, because each
     * had already received the retained messages of its filters (a SUBSCRIBE sent again for a
     * handler that joined later brings them to all; see the bundle's README).
     *
     * @since 1.1
     */
    public long retainedWithheld;
}
