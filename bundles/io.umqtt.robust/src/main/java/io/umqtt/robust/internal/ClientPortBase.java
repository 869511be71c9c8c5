package io.umqtt.robust.internal;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.ServerSettings;

/**
 * The part of a {@link ClientPort} that the client's public API answers: the protocol version and
 * what the broker's CONNACK or DISCONNECT told it (session expiry interval, Receive Maximum,
 * Server Reference). {@code RobustMqttClient}'s adapter (in {@code DrivenMqttClient}) extends it
 * with what needs the simple client's protected operations and the robust hooks. Stateless beyond
 * the client; any thread.
 */
public abstract class ClientPortBase implements ClientPort {
    private final MqttClient client;

    protected ClientPortBase(MqttClient client) {
        this.client = client;
    }

    @Override
    public String serverReference(MqttException disconnect) {
        return disconnect.serverReference();
    }

    @Override
    public int receiveMaximum() {
        ServerSettings s = client.serverSettings();
        return s == null || client.protocolVersion() < MqttConstants.MQTT_5 ? 65_535 : s.receiveMaximum();
    }

    @Override
    public int protocolVersion() {
        return client.protocolVersion();
    }

    @Override
    public long sessionExpiryInterval() {
        ServerSettings s = client.serverSettings();
        return s == null ? 0 : s.sessionExpiryInterval();
    }
}
