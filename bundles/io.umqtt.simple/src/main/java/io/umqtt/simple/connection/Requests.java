package io.umqtt.simple.connection;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.TopicFilter;

/**
 * The MQTT 5 request/response bookkeeping of one connection (MQTT 5 section 4.10): the pending
 * requests by correlation data, their timeouts, and the listener of the connection's response
 * topic that completes them.
 * <p>
 * Correlation data is 16 bytes: 8 random bytes drawn once per connection object, then a counter,
 * so no two requests of one connection (nor, in practice, of two) share it. A response whose
 * correlation data matches no pending request (it came after the timeout, or belongs to another
 * requester) is counted and logged at DEBUG.
 * <p>
 * Threads: every connection shares two small pools of daemon threads, each thread ending after
 * {@value #IDLE_SECONDS} s without work: {@link #TIMER} (one thread) fails requests whose time is
 * up, {@link #WORKERS} (at most {@value #WORKER_THREADS} threads) sends requests (a SUBSCRIBE of
 * the response topic on first use, then the PUBLISH, both of which may wait for the broker's
 * acknowledgement) and completes the futures, so that neither the caller (a listener on the I/O
 * thread, a whiteboard handler) nor the I/O thread delivering the response waits or runs the
 * caller's dependent stages. No thread per connection.
 * <p>
 * Thread-safe: the pending map is concurrent; a request completes exactly once (response,
 * timeout, failure of its send, or {@link #failAll}) and leaves the map then.
 */
final class Requests {
    private static final System.Logger LOG = System.getLogger(Requests.class.getName());
    static final int IDLE_SECONDS = 10;
    static final int WORKER_THREADS = 2;
    /** Length of the correlation data: 8 bytes per connection, 8 bytes counter. */
    static final int CORRELATION_BYTES = 16;

    /** Fails requests whose time is up; shared by every connection. */
    static final ScheduledThreadPoolExecutor TIMER;
    /** Sends requests and completes their futures; shared by every connection. */
    static final ThreadPoolExecutor WORKERS;

    static {
        TIMER = new ScheduledThreadPoolExecutor(1, daemons("umqtt-request-timer"));
        TIMER.setRemoveOnCancelPolicy(true);
        TIMER.setKeepAliveTime(IDLE_SECONDS, TimeUnit.SECONDS);
        TIMER.allowCoreThreadTimeOut(true);
        WORKERS = new ThreadPoolExecutor(WORKER_THREADS, WORKER_THREADS, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemons("umqtt-request-"));
        WORKERS.allowCoreThreadTimeOut(true);
    }

    private static ThreadFactory daemons(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix.endsWith("-") ? prefix + n.incrementAndGet() : prefix);
            t.setDaemon(true);
            return t;
        };
    }

    /** Sends one request with its correlation data; runs on a worker thread and may block. */
    @FunctionalInterface
    interface Sender {
        void send(byte[] correlationData) throws IOException;
    }

    /** Names the connection in messages. */
    private final java.util.function.Supplier<String> connection;
    private final byte[] prefix = new byte[8];
    private final AtomicLong counter = new AtomicLong();
    private final Map<ByteBuffer, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong unmatched = new AtomicLong();
    private final Executor workers;
    /** The listener of the response topic: completes the request its correlation data names. */
    final MessageListener listener = this::responseArrived;

    /** @param connection names the connection in messages */
    Requests(java.util.function.Supplier<String> connection) {
        this(connection, WORKERS);
    }

    Requests(java.util.function.Supplier<String> connection, Executor workers) {
        this.connection = connection;
        this.workers = workers;
        UUID u = UUID.randomUUID();
        ByteBuffer.wrap(prefix).putLong(u.getMostSignificantBits() ^ u.getLeastSignificantBits());
    }

    /** This connection's random 8 bytes (the first half of its correlation data) in hex. */
    String randomName() {
        return Long.toHexString(ByteBuffer.wrap(prefix).getLong());
    }

    /** One request awaiting its response. */
    private final class Pending {
        final ByteBuffer key;
        final String what;
        final CompletableFuture<MqttMessage> future = new CompletableFuture<>();
        volatile ScheduledFuture<?> timeout;

        Pending(ByteBuffer key, String what) {
            this.key = key;
            this.what = what;
        }

        /** Completes it once, on a worker thread (not the caller's or the I/O thread), and forgets it. */
        void complete(MqttMessage response, Throwable failure) {
            if (!pending.remove(key, this)) {
                return; // completed already
            }
            ScheduledFuture<?> t = timeout;
            if (t != null) {
                t.cancel(false);
            }
            Runnable done = failure == null ? () -> future.complete(response)
                    : () -> future.completeExceptionally(failure);
            try {
                workers.execute(done);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                done.run();
            }
        }
    }

    /**
     * Starts a request: registers it, arms its timeout and hands {@code sender} its correlation
     * data on a worker thread.
     *
     * @param what names the request in messages, e.g. {@code request on 'svc/time'}
     * @return completes with the response, or exceptionally with an {@link MqttException} of
     *         reason {@link MqttException.Reason#TIMEOUT}, the failure of the send, or that of
     *         {@link #failAll}; cancelling it forgets the request
     */
    CompletableFuture<MqttMessage> start(String what, long timeoutMillis, Sender sender) {
        byte[] data = new byte[CORRELATION_BYTES];
        ByteBuffer.wrap(data).put(prefix).putLong(counter.incrementAndGet());
        ByteBuffer key = ByteBuffer.wrap(data.clone());
        Pending p = new Pending(key, what);
        pending.put(key, p);
        p.future.whenComplete((r, e) -> {
            if (p.future.isCancelled()) {
                p.complete(null, e); // the caller gave up: forget it
            }
        });
        p.timeout = TIMER.schedule(() -> p.complete(null, new MqttException(MqttException.Reason.TIMEOUT,
                "MQTT connection " + connection.get() + ": no response to the " + what + " within " + timeoutMillis
                        + " ms")), timeoutMillis, TimeUnit.MILLISECONDS);
        try {
            workers.execute(() -> {
                try {
                    sender.send(data);
                } catch (IOException | RuntimeException e) {
                    p.complete(null, e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            p.complete(null, new IOException("MQTT connection " + connection.get() + ": the " + what
                    + " could not be sent: " + e.getMessage(), e));
        }
        return p.future;
    }

    /** The response listener: runs on the I/O thread, never blocks. */
    private void responseArrived(MqttMessage message) {
        byte[] data = message.properties().correlationData();
        Pending p = data == null ? null : pending.get(ByteBuffer.wrap(data));
        if (p == null) {
            long n = unmatched.incrementAndGet();
            LOG.log(Level.DEBUG, () -> "MQTT connection " + connection.get() + ": " + message + " on the response topic "
                    + "matches no pending request (late, or not ours; " + n + " so far)");
            return;
        }
        p.complete(message, null);
    }

    /** Fails every pending request with {@code failure} (the connection closed or changed). */
    void failAll(IOException failure) {
        for (Pending p : pending.values()) {
            p.complete(null, failure);
        }
    }

    /** Requests awaiting their response. */
    int pending() {
        return pending.size();
    }

    /** Responses that matched no pending request. */
    long unmatched() {
        return unmatched.get();
    }

    /**
     * Checks the arguments of {@link ClientConnection#request} on the connection {@code name}; returns
     * the request's properties ({@link MqttProperties#EMPTY} for null).
     *
     * @throws IllegalArgumentException naming the connection, for a bad topic, QoS, timeout or
     *         payload, or properties that carry a response topic or correlation data
     */
    static MqttProperties checkArguments(String name, String topic, byte[] payload, int qos,
            MqttProperties properties, long timeoutMillis) {
        try {
            TopicFilter.validateTopicName(io.umqtt.simple.internal.MqttStrings.utf8("topic", topic));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("MQTT connection " + name + ": request topic '" + topic + "' is not a "
                    + "valid topic name: " + e.getMessage(), e);
        }
        if (payload == null) {
            throw new IllegalArgumentException("MQTT connection " + name + ": the request's payload is null");
        }
        if (qos < 0 || qos > 2) {
            throw new IllegalArgumentException("MQTT connection " + name + ": qos must be 0, 1 or 2, found " + qos);
        }
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("MQTT connection " + name + ": the request's timeout must be more than "
                    + "0 ms, found " + timeoutMillis);
        }
        MqttProperties props = properties == null ? MqttProperties.EMPTY : properties;
        if (props.responseTopic() != null || props.correlationData() != null) {
            throw new IllegalArgumentException("MQTT connection " + name + ": a request's response topic and "
                    + "correlation data are set by the connection, found " + props);
        }
        return props;
    }

    /** See {@link ClientConnection#responseTopicOf(String, String)}. */
    static String responseTopicOf(String responseInformation, String clientId) {
        StringBuilder id = new StringBuilder(clientId.length());
        for (int i = 0; i < clientId.length(); i++) {
            char ch = clientId.charAt(i);
            id.append(ch == '/' || ch == '+' || ch == '#' || ch == 0 ? '_' : ch);
        }
        if (id.length() == 0) {
            id.append('_');
        }
        String base = responseInformation == null ? "" : responseInformation.strip();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return base.isEmpty() || base.indexOf('+') >= 0 || base.indexOf('#') >= 0
                ? ClientConnection.RESPONSE_TOPIC_PREFIX + id : base + "/" + id;
    }
}
