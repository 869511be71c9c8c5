package io.umqtt.simple;

import java.nio.charset.StandardCharsets;

import io.umqtt.api.MqttConstants;
import io.umqtt.api.TopicFilter;
import io.umqtt.simple.internal.codec.ConnectEncoder;
import io.umqtt.simple.internal.MqttStrings;
import io.umqtt.simple.internal.PacketIds;

/**
 * A client's configuration, validated: what it was constructed with, the settings its setters
 * change (read at each use), and the last will. Every bad value is refused with an
 * {@code IllegalArgumentException} naming it.
 * <p>
 * Threading: the settings are volatile; the server changes only between connections, and the last
 * will is guarded by the client's lock (see {@link MqttClient#setServer} and
 * {@link MqttClient#setLastWill}).
 */
final class Settings {
    final String clientId;
    /** The broker; changed only between connections. */
    volatile String server;
    volatile int port;
    final byte[] user;
    final byte[] password;
    final int keepAliveSeconds;
    final TlsSettings tls;

    volatile int connectTimeoutMillis = MqttClient.DEFAULT_CONNECT_TIMEOUT_MILLIS;
    volatile int ackTimeoutMillis = MqttClient.DEFAULT_ACK_TIMEOUT_MILLIS;
    volatile int readTimeoutMillis = MqttClient.DEFAULT_READ_TIMEOUT_MILLIS;
    volatile int maxPacketSize = MqttClient.DEFAULT_MAX_PACKET_SIZE;
    volatile int writeTimeoutMillis = MqttClient.DEFAULT_WRITE_TIMEOUT_MILLIS;
    volatile int maxInflight = MqttClient.DEFAULT_MAX_INFLIGHT;
    volatile MessageCallback callback;

    /** The last will; guarded by the client's lock. */
    private byte[] willTopic;
    private byte[] willMessage;
    private int willQos;
    private boolean willRetain;

    /** See {@link MqttClient#MqttClient(String, String, int, String, byte[], int, TlsSettings)}. */
    Settings(String clientId, String server, int port, String user, byte[] password, int keepAliveSeconds,
            TlsSettings tls) {
        MqttStrings.connectString("clientId", clientId);
        checkServer(server, port);
        if (keepAliveSeconds < 0 || keepAliveSeconds > 65_535) {
            throw new IllegalArgumentException("keepAliveSeconds must be 0..65535, found " + keepAliveSeconds);
        }
        if (password != null && user == null) {
            throw new IllegalArgumentException("password requires a user: MQTT 3.1.1 has no password without user name");
        }
        this.clientId = clientId;
        this.tls = tls;
        setServer(server, port);
        this.user = user == null ? null : MqttStrings.connectString("user", user);
        if (password != null) {
            MqttStrings.checkConnectField("password", password);
        }
        this.password = password == null ? null : password.clone();
        this.keepAliveSeconds = keepAliveSeconds;
    }

    /** Refuses a server that is no host name or address, and a port beyond 0..65535. */
    static void checkServer(String server, int port) {
        if (server == null || server.trim().isEmpty()) {
            throw new IllegalArgumentException("server must be a host name or address, found '" + server + "'");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0..65535 (0 = default), found " + port);
        }
    }

    /** Sets the checked server; port 0 is the default port (with TLS or without). */
    void setServer(String server, int port) {
        this.server = server.trim();
        this.port = port != 0 ? port : tls != null ? MqttClient.DEFAULT_TLS_PORT : MqttClient.DEFAULT_PORT;
    }

    /** The broker as "host:port", for messages. */
    String broker() {
        return server + ":" + port;
    }

    static int positive(String name, int millis) {
        if (millis <= 0) {
            throw new IllegalArgumentException(name + " must be > 0 ms, found " + millis);
        }
        return millis;
    }

    static int maxPacketSize(int bytes) {
        if (bytes < 2 || bytes > MqttConstants.MAX_REMAINING_LENGTH) {
            throw new IllegalArgumentException("maxPacketSize must be 2.." + MqttConstants.MAX_REMAINING_LENGTH
                    + ", found " + bytes);
        }
        return bytes;
    }

    static int maxInflight(int max) {
        if (max < 1 || max > PacketIds.MAX) {
            throw new IllegalArgumentException("maxInflight must be 1.." + PacketIds.MAX + ", found " + max);
        }
        return max;
    }

    /** Refuses a bad last will (topic, null or oversized message, QoS). */
    static void checkWill(byte[] topic, byte[] msg, int qos) {
        TopicFilter.validateTopicName(topic);
        if (msg == null) {
            throw new IllegalArgumentException("last will message must not be null (use an empty array)");
        }
        if (msg.length > MqttConstants.MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("last will message is " + msg.length + " bytes, the maximum is 65535");
        }
        MqttClient.checkQos(qos);
    }

    /** Sets the checked last will; caller holds the client's lock. */
    void setWill(byte[] topic, byte[] msg, boolean retain, int qos) {
        willTopic = topic.clone();
        willMessage = msg.clone();
        willRetain = retain;
        willQos = qos;
    }

    /** Removes the last will; caller holds the client's lock. */
    void clearWill() {
        willTopic = null;
        willMessage = null;
    }

    /** The CONNECT packet; caller holds the client's lock (the last will). */
    byte[] connect(boolean cleanSession) {
        return ConnectEncoder.encode(clientId.getBytes(StandardCharsets.UTF_8), cleanSession, keepAliveSeconds, willTopic,
                willMessage, willQos, willRetain, user, password);
    }
}
