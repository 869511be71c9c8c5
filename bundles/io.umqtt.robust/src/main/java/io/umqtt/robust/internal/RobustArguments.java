package io.umqtt.robust.internal;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.MqttClient;

/**
 * The checks the robust client makes on its caller's arguments beyond the simple client's, before
 * anything is remembered, queued or sent (a configuration error no reconnect could fix must never
 * reach the reconnect loop), and the MQTT 5 properties a queued message is sent with on the
 * connection's protocol version. Each message names the client. Stateless; any thread.
 */
public final class RobustArguments {
    private RobustArguments() {
    }

    /**
     * Refuses clean session off with an empty client id on MQTT 3.1.1, which forbids it
     * (MQTT-3.1.3-7). MQTT 5 allows it: the server assigns an identifier (section 3.1.3.1), which
     * the client's next connects use, so the session can be resumed.
     *
     * @throws IllegalArgumentException naming the server and the fix
     */
    public static void requireIdForSession(MqttClient client, boolean cleanSession) {
        if (!cleanSession && client.clientId().isEmpty() && client.protocolVersion() != MqttConstants.MQTT_5) {
            throw new IllegalArgumentException("MQTT client to " + client.server() + ":" + client.port()
                    + " speaking MQTT 3.1.1 (setProtocolVersion(5) first for a server-assigned identifier) cannot "
                    + "keep a session (clean session false) with an empty client id: MQTT 3.1.1 allows an empty "
                    + "client id only with clean session (MQTT-3.1.3-7); give the client an id");
        }
    }

    /**
     * A failover server: a host name or address and a port of 0 (the default port) to 65535.
     *
     * @throws IllegalArgumentException naming what was wrong
     */
    public static void checkServer(String server, int port) {
        if (server == null || server.trim().isEmpty()) {
            throw new IllegalArgumentException("failover server must be a host name or address, found '" + server + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("failover port must be 0..65535, found " + port);
        }
    }

    /**
     * Properties to publish with, never null ({@link MqttProperties#EMPTY} for none).
     *
     * @throws IllegalArgumentException for properties on an MQTT 3.1.1 client or with subscription
     *         identifiers (MQTT-3.3.4-6)
     */
    public static MqttProperties publishProperties(MqttClient client, MqttProperties properties) {
        if (properties == null || properties.isEmpty()) {
            return MqttProperties.EMPTY;
        }
        if (client.protocolVersion() < MqttConstants.MQTT_5) {
            throw new IllegalArgumentException("MQTT client '" + client.clientId() + "' speaks MQTT 3.1.1, which has "
                    + "no message properties: call setProtocolVersion(5) before connect to publish " + properties);
        }
        if (properties.subscriptionIdentifiers().length > 0) {
            throw new IllegalArgumentException("MQTT client '" + client.clientId() + "': a PUBLISH a client sends "
                    + "must not carry subscription identifiers (MQTT-3.3.4-6), found " + properties);
        }
        return properties;
    }

    /**
     * At least one filter, each a valid topic filter.
     *
     * @throws IllegalArgumentException naming the index and the filter
     */
    public static void checkFilters(MqttClient client, String[] filters) {
        if (filters == null || filters.length == 0) {
            throw new IllegalArgumentException("MQTT client '" + client.clientId() + "': subscribe needs at least one "
                    + "filter");
        }
        for (int i = 0; i < filters.length; i++) {
            try {
                TopicFilter.parse(filters[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("MQTT client '" + client.clientId() + "': filter " + i + " '"
                        + filters[i] + "': " + e.getMessage(), e);
            }
        }
    }

    /**
     * One options object per filter, none null; options beyond the QoS only on MQTT 5.
     *
     * @throws IllegalArgumentException naming what is missing or needs MQTT 5
     */
    public static void checkOptions(MqttClient client, SubscriptionOptions[] options, int filters) {
        if (options == null || options.length != filters) {
            throw new IllegalArgumentException("MQTT client '" + client.clientId() + "': one subscription options "
                    + "object per filter is needed, found " + (options == null ? "none" : options.length) + " for "
                    + filters);
        }
        for (int i = 0; i < options.length; i++) {
            if (options[i] == null) {
                throw new IllegalArgumentException("MQTT client '" + client.clientId() + "': subscription options " + i
                        + " are null");
            }
            if (options[i].needsMqtt5() && client.protocolVersion() < MqttConstants.MQTT_5) {
                throw new IllegalArgumentException("MQTT client '" + client.clientId() + "' speaks MQTT 3.1.1, which "
                        + "has no subscription options beyond the QoS: call setProtocolVersion(5) before connect to "
                        + "subscribe with " + options[i]);
            }
        }
    }

    /**
     * The properties to send the queued message {@code e} with: null for none; on an MQTT 3.1.1
     * connection (a durable queue written by an MQTT 5 client, loaded by one set to 3.1.1) the
     * message goes out without them, with a warning on the client's logger.
     */
    public static MqttProperties onTheWire(MqttClient client, OfflineQueue.Entry e, MqttProperties properties) {
        if (properties.isEmpty()) {
            return null;
        }
        if (client.protocolVersion() < MqttConstants.MQTT_5) {
            System.getLogger(Outbox.LOGGER).log(System.Logger.Level.WARNING, () -> "MQTT client " + client.clientId()
                    + " to " + client.server() + ":" + client.port() + " speaks MQTT 3.1.1: its queued message to '"
                    + new String(e.topic, StandardCharsets.UTF_8) + "' goes out without its MQTT 5 properties "
                    + properties);
            return null;
        }
        return properties;
    }
}
