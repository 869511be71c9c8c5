package io.umqtt.simple.connection;

import java.net.InetSocketAddress;

import io.umqtt.simple.MqttClient;

/**
 * The WebSocket part of {@link ConnectionSettings}: the path (null over TCP) and the HTTP proxy,
 * the parsing of {@value ConnectionSettings#WEBSOCKET_PROXY}, and how both reach the client.
 * Immutable and thread-safe.
 */
final class WebSocketSettings {
    /** The WebSocket path over WebSocket, else null (TCP). */
    final String path;
    /** The WebSocket HTTP proxy (unresolved), or null for the JVM's default proxy selector. */
    final InetSocketAddress proxy;

    /** @param proxy a {@value ConnectionSettings#WEBSOCKET_PROXY} value, validated already */
    WebSocketSettings(String path, String proxy) {
        this.path = path;
        this.proxy = proxyAddress(proxy);
    }

    /** Whether the connection runs over WebSocket. */
    boolean enabled() {
        return path != null;
    }

    /** The default port: 80, or 443 with TLS over WebSocket; 1883, or 8883 with TLS over TCP. */
    int defaultPort(boolean tls) {
        if (path != null) {
            return tls ? MqttClient.DEFAULT_WSS_PORT : MqttClient.DEFAULT_WS_PORT;
        }
        return tls ? MqttClient.DEFAULT_TLS_PORT : MqttClient.DEFAULT_PORT;
    }

    /** The proxy as {@code host:port}, or null. */
    String proxyText() {
        return proxy == null ? null : proxyText(proxy);
    }

    private static String proxyText(InetSocketAddress a) {
        String h = a.getHostString();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /**
     * The server as the client takes it: the host, or over WebSocket its {@code ws://} or
     * {@code wss://} URI (the port left out when it is the default).
     */
    String clientServer(String server, int port, boolean tls) {
        if (path == null) {
            return server;
        }
        String host = server.indexOf(':') >= 0 ? "[" + server + "]" : server;
        return (tls ? "wss://" : "ws://") + host + (port != 0 ? ":" + port : "") + path;
    }

    /** Hands the proxy, if any, to {@code client}. */
    void applyTo(MqttClient client) {
        if (proxy != null) {
            client.setWebSocketProxy(proxy.getHostString(), proxy.getPort());
        }
    }

    /** Appends the WebSocket part of {@link ConnectionSettings#toString()}. */
    void appendTo(StringBuilder s) {
        s.append(path != null ? ", transport=websocket, websocket.path=" + path : "")
                .append(proxy != null ? ", websocket.proxy=" + proxyText(proxy) : "");
    }

    /**
     * The proxy address of a {@value ConnectionSettings#WEBSOCKET_PROXY} value ({@code host:port} or
     * {@code [v6-address]:port}), unresolved; null for an empty value.
     *
     * @throws IllegalArgumentException saying what is wrong with it (without naming the property)
     */
    static InetSocketAddress proxyAddress(String value) {
        String v = value == null ? "" : value.strip();
        if (v.isEmpty()) {
            return null;
        }
        if (v.contains("://") || v.indexOf('/') >= 0) {
            throw new IllegalArgumentException("must be host:port, without a scheme or path");
        }
        int colon = v.lastIndexOf(':');
        String host = colon < 0 ? "" : v.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("must be host:port; write an IPv6 address in brackets: [address]:port");
        }
        if (colon < 0 || host.isEmpty() || host.chars().anyMatch(ch -> Character.isWhitespace(ch)
                || Character.isISOControl(ch))) {
            throw new IllegalArgumentException("must be host:port (the proxy's host name or address and its port)");
        }
        int p;
        try {
            p = Integer.parseInt(v.substring(colon + 1));
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 1 || p > ConnectionSettings.MAX_PORT) {
            throw new IllegalArgumentException("must end in a port 1.." + ConnectionSettings.MAX_PORT);
        }
        return InetSocketAddress.createUnresolved(host, p);
    }
}
