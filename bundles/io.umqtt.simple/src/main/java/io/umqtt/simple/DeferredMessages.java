package io.umqtt.simple;

import java.util.ArrayDeque;

import io.umqtt.api.MqttProperties;

/**
 * The PUBLISHes read while a callback waits for an ack (its own QoS 1 operation reads on), queued
 * here and delivered by {@link Inbound} after the callback returns, so that callbacks never nest.
 * Bounded: at {@link MqttClient#MAX_QUEUED_WHILE_CALLBACK_WAITS} messages or 16 MiB of topics and
 * payloads it is {@linkplain #full() full}, and the reader reads no more PUBLISHes until the
 * callback returns (TCP holds the broker back).
 * <p>
 * Threading: owned by the thread holding the reader role, like {@link Inbound}; no lock.
 * {@link ReaderRole} looks at {@link #isEmpty()} under the client's lock when no reader runs.
 */
final class DeferredMessages {
    /** The bytes of PUBLISHes queued while a callback waits, beyond which reading pauses. */
    static final long MAX_BYTES = 16L * 1024 * 1024;

    /** Allocated with the first message queued. */
    private ArrayDeque<Received> queue;
    private long bytes;

    /** Queues a PUBLISH for delivery after the running callback ({@code deliver}: see {@link Received}). */
    void add(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id, boolean deliver,
            MqttProperties properties) {
        if (queue == null) {
            queue = new ArrayDeque<>();
        }
        queue.add(new Received(topic, payload, retain, dup, qos, id, deliver, properties));
        bytes += topic.length + payload.length;
    }

    /** The oldest message queued, taken out, or null. */
    Received poll() {
        Received r = queue == null ? null : queue.poll();
        if (r != null) {
            bytes -= r.topic.length + r.payload.length;
        }
        return r;
    }

    /** Whether nothing waits for delivery. */
    boolean isEmpty() {
        return queue == null || queue.isEmpty();
    }

    /** How many messages wait. */
    int count() {
        return queue == null ? 0 : queue.size();
    }

    /** Whether the bound is reached: the reader reads no more PUBLISHes until the callback returns. */
    boolean full() {
        return queue != null && (queue.size() >= MqttClient.MAX_QUEUED_WHILE_CALLBACK_WAITS || bytes >= MAX_BYTES);
    }

    /** Why an ack wait timed out while reading was paused for the queue (appended to its message). */
    String pausedReason() {
        return ": reading paused while the " + count() + " messages (" + bytes
                + " bytes) received meanwhile wait for the running callback to return (at most "
                + MqttClient.MAX_QUEUED_WHILE_CALLBACK_WAITS + " messages or " + MAX_BYTES
                + " bytes are queued); the ack may be behind them";
    }

    /** A new connection: nothing queued. */
    void clear() {
        bytes = 0;
        if (queue != null) {
            queue.clear();
        }
    }

    /** A PUBLISH read while a callback ran, delivered after it. */
    static final class Received {
        final byte[] topic;
        final byte[] payload;
        final boolean retain;
        final boolean dup;
        final int qos;
        final int id;
        /** False for a QoS 2 duplicate or a request's response: acknowledged, not delivered. */
        final boolean deliver;
        final MqttProperties properties;

        Received(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id, boolean deliver,
                MqttProperties properties) {
            this.properties = properties;
            this.deliver = deliver;
            this.topic = topic;
            this.payload = payload;
            this.retain = retain;
            this.dup = dup;
            this.qos = qos;
            this.id = id;
        }
    }
}
