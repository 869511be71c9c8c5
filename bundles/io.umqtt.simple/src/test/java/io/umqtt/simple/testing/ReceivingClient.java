package io.umqtt.simple.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.umqtt.simple.MqttClient;

/**
 * A connected {@link MqttClient} whose callback queues every message and whose {@code loop()}
 * runs on its own daemon thread. Tests wait for messages with {@link #poll(long, TimeUnit)} or
 * {@link #next()} (bounded waits, no sleeps) and for the loop's end with
 * {@link #awaitLoopEnd(long, TimeUnit)}. Plain JDK, no test framework.
 */
public final class ReceivingClient implements AutoCloseable {
    /** How long {@link #next()} waits. */
    public static final long DEFAULT_WAIT_SECONDS = 10;

    private final MqttClient client;
    private final BlockingQueue<Message> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch loopEnded = new CountDownLatch(1);
    private final Thread thread;
    private volatile IOException loopFailure;

    private ReceivingClient(MqttClient client) {
        this.client = client;
        client.setCallback((topic, msg, retain, dup, qos) -> queue.add(new Message(topic, msg, retain, dup, qos)));
        this.thread = new Thread(this::runLoop, "loop-" + client.clientId());
        thread.setDaemon(true);
    }

    /**
     * Sets the callback on {@code client}, connects it and starts its loop thread. (Connect
     * yourself and use {@link #start(MqttClient)} when you need the session-present flag.)
     */
    public static ReceivingClient connect(MqttClient client, boolean cleanSession) throws IOException {
        ReceivingClient r = new ReceivingClient(client);
        client.connect(cleanSession);
        r.thread.start();
        return r;
    }

    /** Sets the callback on an already connected {@code client} and starts its loop thread. */
    public static ReceivingClient start(MqttClient client) {
        ReceivingClient r = new ReceivingClient(client);
        r.thread.start();
        return r;
    }

    private void runLoop() {
        try {
            client.loop();
        } catch (IOException e) {
            loopFailure = e;
        } finally {
            loopEnded.countDown();
        }
    }

    /** The client. */
    public MqttClient client() {
        return client;
    }

    /** The next message, or {@code null} when none arrives within the timeout. */
    public Message poll(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.poll(timeout, unit);
    }

    /**
     * The next message within {@value #DEFAULT_WAIT_SECONDS} s.
     *
     * @throws AssertionError when none arrives (with the loop's failure, if any, as cause)
     */
    public Message next() throws InterruptedException {
        Message m = queue.poll(DEFAULT_WAIT_SECONDS, TimeUnit.SECONDS);
        if (m == null) {
            AssertionError e = new AssertionError("no message for " + client + " within " + DEFAULT_WAIT_SECONDS
                    + " s" + (loopFailure != null ? "; its loop failed: " + loopFailure : ""));
            if (loopFailure != null) {
                e.initCause(loopFailure);
            }
            throw e;
        }
        return m;
    }

    /** Messages received and not yet taken. */
    public int pending() {
        return queue.size();
    }

    /** Waits for {@code loop()} to return or throw; true if it did within the timeout. */
    public boolean awaitLoopEnd(long timeout, TimeUnit unit) throws InterruptedException {
        return loopEnded.await(timeout, unit);
    }

    /** Why the loop ended with an exception, or {@code null}. */
    public IOException loopFailure() {
        return loopFailure;
    }

    /** Disconnects (DISCONNECT, no last will) if still connected, and waits for the loop thread. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            if (client.isConnected()) {
                client.disconnect();
            } else {
                client.close();
            }
        } finally {
            thread.join(TimeUnit.SECONDS.toMillis(DEFAULT_WAIT_SECONDS));
        }
    }

    @Override
    public String toString() {
        return "ReceivingClient[" + client + ", " + queue.size() + " queued]";
    }

    /** A received PUBLISH as the callback saw it. */
    public static final class Message {
        private final byte[] topic;
        private final byte[] payload;
        private final boolean retain;
        private final boolean dup;
        private final int qos;

        Message(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos) {
            this.topic = topic;
            this.payload = payload;
            this.retain = retain;
            this.dup = dup;
            this.qos = qos;
        }

        public byte[] topic() {
            return topic.clone();
        }

        public String topicString() {
            return new String(topic, StandardCharsets.UTF_8);
        }

        public byte[] payload() {
            return payload.clone();
        }

        public String payloadString() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public boolean retain() {
            return retain;
        }

        public boolean dup() {
            return dup;
        }

        public int qos() {
            return qos;
        }

        @Override
        public String toString() {
            return "Message['" + topicString() + "', " + payload.length + " bytes, qos " + qos
                    + (retain ? ", retain" : "") + (dup ? ", dup" : "") + "]";
        }
    }
}
