package io.umqtt.api;

/** The state of an {@link MqttConnection}, also published as the {@link MqttConstants#STATE} service property. */
public enum ConnectionState {
    /** Opening the socket, handshaking or waiting for CONNACK. */
    CONNECTING,
    /** CONNACK accepted; packets flow. */
    CONNECTED,
    /** The connection was lost (I/O error, protocol error, dead keepalive) or refused by the broker. */
    LOST,
    /** Closed on purpose (disconnect, configuration deleted or changed). */
    CLOSED
}
