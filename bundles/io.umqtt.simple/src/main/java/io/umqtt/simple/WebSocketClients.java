package io.umqtt.simple;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JDK HTTP clients that open WebSocket connections, shared: each {@link HttpClient} has one
 * selector thread of its own, so connections with interchangeable TLS settings (plain {@code ws},
 * or equal {@link TlsSettings#sharingKey()}) use the same client and thereby the same selector
 * thread; the HTTP proxy is part of the sharing key too (a client has one proxy selector). At most {@value #MAX_CLIENTS} clients are kept (least recently used dropped; a dropped
 * client lives on while its connections do and its thread ends once it is unreachable). All
 * clients run their callbacks on one small shared executor ({@code umqtt-ws-N}, at most
 * {@value #EXECUTOR_THREADS} daemon threads, ending after 30 s idle). Proxies: a connection's own
 * HTTP proxy ({@link MqttClient#setWebSocketProxy}) through {@link ProxySelector#of}, else the
 * JVM's default {@link ProxySelector} (the {@code http(s).proxyHost} system properties). The JDK
 * client tunnels WebSocket connections through an HTTP proxy with {@code CONNECT}.
 * <p>
 * Thread-safe (the class lock guards the cache; building a client happens under it).
 */
final class WebSocketClients {
    static final int MAX_CLIENTS = 8;
    static final int EXECUTOR_THREADS = 2;
    private static final Object PLAIN = new Object();
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** The callbacks' executor, shared by all clients. */
    static final Executor EXECUTOR;

    static {
        ThreadPoolExecutor e = new ThreadPoolExecutor(EXECUTOR_THREADS, EXECUTOR_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "umqtt-ws-" + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        e.allowCoreThreadTimeOut(true);
        EXECUTOR = e;
    }

    private static final Map<Object, HttpClient> CLIENTS = new LinkedHashMap<Object, HttpClient>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, HttpClient> eldest) {
            return size() > MAX_CLIENTS;
        }
    };

    private WebSocketClients() {
    }

    /**
     * The shared client for {@code tls} (null: plain {@code ws}) and {@code proxy} (null: the JVM's
     * default proxy selector); builds it (loading the key stores) if needed.
     */
    static HttpClient get(TlsSettings tls, InetSocketAddress proxy, String broker) throws IOException {
        // an unresolved InetSocketAddress is equal to another by host string and port
        Object key = Arrays.asList(tls == null ? PLAIN : tls.sharingKey(), proxy);
        synchronized (WebSocketClients.class) {
            HttpClient client = CLIENTS.get(key);
            if (client == null) {
                HttpClient.Builder b = HttpClient.newBuilder().executor(EXECUTOR);
                if (proxy != null) {
                    b.proxy(ProxySelector.of(proxy));
                }
                if (tls != null) {
                    b.sslContext(tls.webSocketContext(broker));
                }
                client = b.build();
                CLIENTS.put(key, client);
            }
            return client;
        }
    }

    /** How many clients are cached (tests). */
    static synchronized int cached() {
        return CLIENTS.size();
    }
}
