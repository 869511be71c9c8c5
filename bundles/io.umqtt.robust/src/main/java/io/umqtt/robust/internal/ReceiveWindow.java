package io.umqtt.robust.internal;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import io.umqtt.simple.PublishToken;

/**
 * How many QoS 1 and 2 messages an {@link Outbox} may have in flight at once: the broker's MQTT 5
 * Receive Maximum (section 3.2.2.3.3), shared by direct sends and the windows in which the queue
 * is sent. The simple client windows only its own {@code publishAsync}; the robust client sends
 * through {@code sendPublish}, so it counts its own sends: {@link #publishing} (direct sends that
 * {@link #reserve() reserved} room, until {@link #release() released}) plus the unacknowledged
 * direct {@code publishAsync} messages of the {@link AsyncPublishes}. A broker that announced no
 * Receive Maximum below 65,535 (and MQTT 3.1.1) sets no bound: the queue goes in windows of
 * {@value #FLUSH_WINDOW}.
 * <p>
 * Locks: {@link #gate} makes the check and the reservation one step, so that concurrent
 * publishers and the flush's room never together exceed the bound. It is taken alone or under the
 * outbox's flush lock, and inside it only the {@link AsyncPublishes} monitor (a leaf) is taken.
 * Without a Receive Maximum below 65,535 it is never taken. {@link #roomForWindow()} runs on the
 * thread holding the flush lock and may read a PUBACK (the simple client's locks) outside the gate.
 */
final class ReceiveWindow {
    /** How many queued QoS 1 messages are in flight at once while the queue is sent. */
    static final int FLUSH_WINDOW = 256;
    /** The Receive Maximum of a broker that announced none (MQTT 5 section 3.2.2.3.3), and of MQTT 3.1.1. */
    private static final int NO_RECEIVE_MAXIMUM = 65_535;

    private final ClientPort port;
    private final Reconnector reconnector;
    private final AsyncPublishes async;
    /** The outbox's flush lock: while it is held, the queue is being sent and direct sends queue. */
    private final ReentrantLock flushLock;
    /**
     * Direct QoS 1 and 2 sends that reserved room under the broker's Receive Maximum ({@link #reserve()}):
     * blocking {@code publish} calls until their ack, {@code publishAsync} until it is in the in-flight list.
     */
    private final AtomicInteger publishing = new AtomicInteger();
    /**
     * Makes the Receive Maximum check and the reservation one step ({@link #reserve()},
     * {@link #roomForWindow()}); inside it only the {@link AsyncPublishes} monitor (a leaf) is taken.
     */
    private final Object gate = new Object();

    ReceiveWindow(ClientPort port, Reconnector reconnector, AsyncPublishes async, ReentrantLock flushLock) {
        this.port = port;
        this.reconnector = reconnector;
        this.async = async;
        this.flushLock = flushLock;
    }

    /**
     * Reserves room for one direct QoS 1 or 2 send under the broker's MQTT 5 Receive Maximum (when
     * it announced one below 65,535; always granted otherwise, as on MQTT 3.1.1), counted in
     * {@link #publishing} until {@link #release() released}. Refused while the queue is being sent
     * or no room is left: the message then goes through the queue, whose windows wait for room.
     * Check and count are one step under {@link #gate}.
     */
    boolean reserve() {
        int max = port.receiveMaximum();
        if (max >= NO_RECEIVE_MAXIMUM) {
            publishing.incrementAndGet();
            return true;
        }
        synchronized (gate) {
            if (flushLock.isLocked() || publishing.get() + async.unacked() >= max) {
                return false;
            }
            publishing.incrementAndGet();
            return true;
        }
    }

    /**
     * Gives back what {@link #reserve()} granted: the blocking send ended, or a {@code publishAsync}
     * message is counted by the in-flight list from now on.
     */
    void release() {
        publishing.decrementAndGet();
    }

    /**
     * The room the broker's Receive Maximum leaves for a window of the queue next to the direct
     * sends awaiting their acks; waits for the oldest direct publishAsync ack while there is none.
     *
     * @throws IOException when that ack does not come (a timeout also fails the connection)
     */
    int roomForWindow() throws IOException {
        int max = port.receiveMaximum();
        if (max >= NO_RECEIVE_MAXIMUM) {
            return FLUSH_WINDOW;
        }
        while (true) {
            async.settle();
            int room;
            synchronized (gate) {
                room = max - publishing.get() - async.unacked();
            }
            if (room > 0) {
                return Math.min(FLUSH_WINDOW, room);
            }
            PublishToken oldest = async.oldestUnacked();
            if (oldest == null) {
                return 1; // only blocking publishes in flight: one at a time until they are acknowledged
            }
            try {
                port.awaitPuback(oldest);
            } catch (IOException e) {
                if (Outbox.isTimeout(e) && !reconnector.isClosed()) {
                    port.fail(e); // as publish: an ack that never comes breaks the connection
                }
                throw e;
            }
        }
    }
}
