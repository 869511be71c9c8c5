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
    /** The WebSocket request path (with any query) when the client connects over WebSocket, else null (TCP). */
    volatile String webSocketPath;
    /** The HTTP proxy for WebSocket connections (unresolved), or null for the JVM's default {@link java.net.ProxySelector}. */
    volatile java.net.InetSocketAddress webSocketProxy;
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
        Target target = parse(server, port);
        if (target.webSocket && target.secure && tls == null) {
            tls = TlsSettings.defaults(); // wss:// with the JDK's trust store
        } else if (target.webSocket && !target.secure && tls != null) {
            throw new IllegalArgumentException("server " + server.trim() + " is WebSocket without TLS, but TLS "
                    + "settings were given: use a wss:// URI for WebSocket over TLS");
        }
        if (keepAliveSeconds < 0 || keepAliveSeconds > 65_535) {
            throw new IllegalArgumentException("keepAliveSeconds must be 0..65535, found " + keepAliveSeconds);
        }
        this.clientId = clientId;
        this.tls = tls;
        setServer(target);
        this.user = user == null ? null : MqttStrings.connectString("user", user);
        if (password != null) {
            MqttStrings.checkConnectField("password", password);
        }
        this.password = password == null ? null : password.clone();
        this.keepAliveSeconds = keepAliveSeconds;
    }

    /**
     * Refuses, before a connect, a password without user name on MQTT 3.1.1 (MQTT-3.1.2-22); MQTT 5
     * allows it (section 3.1.2.9).
     */
    void checkPasswordNeedsUser(int protocolVersion) {
        if (password != null && user == null && protocolVersion != MqttConstants.MQTT_5) {
            throw new IllegalArgumentException("cannot connect to " + broker() + " as client '" + clientId + "': "
                    + "password requires a user name on MQTT 3.1.1 (MQTT-3.1.2-22); give a user name, or "
                    + "setProtocolVersion(5): MQTT 5 sends a password without user name");
        }
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

    /**
     * Where to connect: a host with a port, or a {@code ws://} or {@code wss://} URI (WebSocket,
     * its path the request path, {@value MqttClient#DEFAULT_WEBSOCKET_PATH} when it has none; a
     * port in the URI and a nonzero {@code port} must agree).
     *
     * @throws IllegalArgumentException saying what is wrong with the server or port
     */
    static Target parse(String server, int port) {
        checkServer(server, port);
        String s = server.trim();
        int scheme = s.indexOf("://");
        if (scheme < 0) {
            return new Target(s, port, false, false, null);
        }
        String name = s.substring(0, scheme).toLowerCase(java.util.Locale.ROOT);
        if (!name.equals("ws") && !name.equals("wss")) {
            throw new IllegalArgumentException("server " + s + " is a URI with the scheme '" + name + "': only ws:// "
                    + "and wss:// (MQTT over WebSocket) are URIs here; for MQTT over TCP give the host name alone "
                    + "and the port apart");
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(s);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("server " + s + " is not a valid URI: " + e.getMessage(), e);
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("server " + s + " names no host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("server " + s + " has a user or fragment part, which a WebSocket URI "
                    + "for MQTT must not have (give the user name and password to the client)");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int p = port;
        if (uri.getPort() >= 0) {
            if (port != 0 && port != uri.getPort()) {
                throw new IllegalArgumentException("server " + s + " names port " + uri.getPort() + " but port "
                        + port + " was given: give one of them, or the same");
            }
            p = uri.getPort();
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? MqttClient.DEFAULT_WEBSOCKET_PATH
                : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        return new Target(host, p, true, name.equals("wss"), path);
    }

    /** A parsed server: host and port, and for a WebSocket URI whether it is TLS and the path. */
    static final class Target {
        final String host;
        final int port;
        final boolean webSocket;
        final boolean secure;
        final String path;

        Target(String host, int port, boolean webSocket, boolean secure, String path) {
            this.host = host;
            this.port = port;
            this.webSocket = webSocket;
            this.secure = secure;
            this.path = path;
        }
    }

    /** Sets the checked server; port 0 is the default port (with TLS or without). */
    void setServer(String server, int port) {
        setServer(parse(server, port));
    }

    /**
     * Sets the server; a host alone keeps the transport (TCP, or WebSocket with its path: failover
     * servers given as {@code host:port} are reached the same way), a WebSocket URI switches to
     * WebSocket with its path. Port 0 is the default port of the transport, with TLS or without.
     *
     * @throws IllegalArgumentException when the URI asks for TLS and the client has none, or the reverse
     */
    void setServer(Target target) {
        if (target.webSocket) {
            if (target.secure != (tls != null)) {
                throw new IllegalArgumentException("cannot connect to " + target.host + " over "
                        + (target.secure ? "wss:// (TLS): the client was made without" : "ws:// (no TLS): the client was made with")
                        + " TLS settings");
            }
            this.webSocketPath = target.path;
        }
        this.server = target.host;
        int defaultPort = webSocketPath != null ? tls != null ? MqttClient.DEFAULT_WSS_PORT : MqttClient.DEFAULT_WS_PORT
                : tls != null ? MqttClient.DEFAULT_TLS_PORT : MqttClient.DEFAULT_PORT;
        this.port = target.port != 0 ? target.port : defaultPort;
    }

    /** The broker as "host:port", for messages. */
    String broker() {
        String path = webSocketPath;
        return path == null ? server + ":" + port
                : WebSocketTransport.uri(tls != null, server, port, path).toString();
    }

    /**
     * The checked WebSocket proxy address (unresolved: resolved at each connect), or null for a
     * null host.
     *
     * @throws IllegalArgumentException naming the client, for an empty host or a port beyond 1..65535
     */
    java.net.InetSocketAddress webSocketProxy(String host, int port) {
        if (host == null) {
            return null;
        }
        String h = host.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.isEmpty() || h.indexOf(' ') >= 0 || h.contains("://") || h.indexOf('/') >= 0) {
            throw new IllegalArgumentException("client '" + clientId + "': the WebSocket proxy host must be a host name "
                    + "or address (null for the JVM's default proxy selector), found '" + host + "'");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("client '" + clientId + "': the WebSocket proxy port must be 1..65535, "
                    + "found " + port + " (proxy host " + h + ")");
        }
        return java.net.InetSocketAddress.createUnresolved(h, port);
    }

    /** {@link MqttClient#webSocketProxy()}: the proxy as {@code host:port} ({@code [v6]:port}), or null. */
    String webSocketProxyName() {
        java.net.InetSocketAddress p = webSocketProxy;
        return p == null ? null
                : (p.getHostString().indexOf(':') >= 0 ? "[" + p.getHostString() + "]" : p.getHostString()) + ":"
                        + p.getPort();
    }

    /** {@link MqttClient#checkQos(int)}: 0, 1 or 2, else {@code IllegalArgumentException}. */
    static void checkQos(int qos) {
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("qos must be 0, 1 or 2, found " + qos);
        }
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

    /**
     * MQTT 5 (core5): the CONNECT packet of MQTT 5 with the properties {@link Session5} filled;
     * caller holds the client's lock (the last will).
     */
    byte[] connect5(boolean cleanStart, byte[] id, io.umqtt.simple.internal.codec.PropertyWriter properties,
            io.umqtt.simple.internal.codec.PropertyWriter willProperties) {
        return ConnectEncoder.encode5(id, cleanStart, keepAliveSeconds, properties,
                willTopic, willMessage, willQos, willRetain, willProperties, user, password);
    }

    /** The CONNECT packet; caller holds the client's lock (the last will). */
    byte[] connect(boolean cleanSession) {
        return ConnectEncoder.encode(clientId.getBytes(StandardCharsets.UTF_8), cleanSession, keepAliveSeconds, willTopic,
                willMessage, willQos, willRetain, user, password);
    }
}
