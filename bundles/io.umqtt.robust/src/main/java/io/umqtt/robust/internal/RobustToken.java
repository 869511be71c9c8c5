package io.umqtt.robust.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.PublishToken;

/**
 * The token of one {@code RobustMqttClient.publishAsync}: it follows its message through the
 * offline queue and every resend, completing when the message was written (QoS 0) or acknowledged
 * (QoS 1: PUBACK, QoS 2: PUBCOMP), failing only when the message was dropped by the queue's policy or the client was
 * closed. Lock-free: its outcome is a {@link CompletableFuture}, completed once; later attempts
 * to complete or fail it are ignored.
 */
public final class RobustToken extends PublishToken {
    private final Outbox outbox;
    private final int qos;
    private final CompletableFuture<Void> outcome = new CompletableFuture<>();
    /** The packet id of its last send (QoS 1), for {@link #packetId()}. */
    private volatile int packetId;
    /** The PUBACK handle of its send on the current connection, or null while queued. */
    private volatile PublishToken inFlight;

    RobustToken(Outbox outbox, int qos) {
        this.outbox = outbox;
        this.qos = qos;
    }

    /** A message sent on the current connection: its PUBACK handle (null at QoS 0). */
    void sent(PublishToken handle) {
        if (handle != null) {
            packetId = handle.packetId();
        }
        inFlight = handle;
    }

    /** Back in the offline queue: no handle until it is sent again. */
    void queued() {
        inFlight = null;
    }

    /** Written (QoS 0) or acknowledged (QoS 1). */
    void complete() {
        inFlight = null;
        outbox.forget(this);
        outcome.complete(null);
    }

    /** Dropped by policy, refused, or the client closed: {@code why} names the connection. */
    void fail(IOException why) {
        inFlight = null;
        outbox.forget(this);
        outcome.completeExceptionally(why);
    }

    PublishToken inFlight() {
        return inFlight;
    }

    @Override
    public int packetId() {
        return packetId;
    }

    /** Whether complete or failed (without looking at its PUBACK handle). */
    boolean finished() {
        return outcome.isDone();
    }

    /** Never blocks and does no I/O: a PUBACK another thread read completes it here. */
    @Override
    public boolean isDone() {
        PublishToken h = inFlight;
        if (!outcome.isDone() && h != null && h.isDone()) {
            IOException f = h.failure();
            if (f == null) {
                complete(); // the outbox drops it from its in-flight list when it next settles
            } else if (Outbox.isRefusal(f)) {
                fail(f); // MQTT 5: the broker refused it; final
            }
        }
        return outcome.isDone();
    }

    /**
     * Waits until the message was written (QoS 0) or acknowledged (QoS 1: PUBACK, QoS 2:
     * PUBCOMP), or dropped, at most the client's ack timeout. Unlike the simple client's token, a
     * TIMEOUT does not give the message up: it stays queued (or in flight) and this token completes later; call it again.
     */
    @Override
    public void await() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(outbox.ackTimeoutMillis());
        while (!outcome.isDone()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new MqttException(Reason.TIMEOUT, "publish of " + outbox.clientId() + " not "
                        + (qos == 0 ? "written" : "acknowledged") + " within " + outbox.ackTimeoutMillis() + " ms; "
                        + "the message stays queued and is sent when the connection allows: this token completes then");
            }
            if (!outbox.advance(this)) {
                try {
                    outcome.get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    // checked below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while awaiting the publish of " + outbox.clientId());
                }
            }
        }
        IOException f = failure();
        if (f != null) {
            throw f;
        }
    }

    @Override
    public IOException failure() {
        if (!outcome.isCompletedExceptionally()) {
            return null;
        }
        try {
            outcome.getNow(null);
            return null;
        } catch (java.util.concurrent.CompletionException e) {
            return (IOException) e.getCause();
        }
    }

    @Override
    public String toString() {
        IOException f = failure();
        return "PublishToken[robust, QoS " + qos + (packetId != 0 ? ", packet id " + packetId : "")
                + (!outcome.isDone() ? (inFlight != null ? ", in flight" : ", queued")
                        : f == null ? (qos == 0 ? ", written" : ", acknowledged") : ", failed: " + f.getMessage())
                + "]";
    }
}
