package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Arrays;

import io.umqtt.api.AckHold;
import io.umqtt.api.ConnectionState;
import io.umqtt.simple.internal.codec.ShortPackets;

/**
 * The one place that decides when the ack of a received QoS 1 or 2 PUBLISH is written (the
 * PUBACK; at QoS 2 the PUBREC, which follows the same rule).
 * <p>
 * <b>Default</b> ({@link MqttClient#setAckAfterProcessing(boolean)} off): the ack is written as
 * soon as the callback returns, also when it throws ({@link #afterCallback}, exactly the write the
 * client always made).
 * <p>
 * <b>Ack after processing</b>: every received QoS 1 or 2 PUBLISH gets a slot (a QoS 2 duplicate
 * too, without a hold, so that its PUBREC keeps its place), in the order the
 * PUBLISHes were received ({@link #received}). A slot starts with one hold, the running callback;
 * the callback may take more ({@link MqttClient#holdAck()}) and hand them to other threads. The
 * callback's hold is released when it returns normally; when it throws, the connection is failed
 * and nothing is acknowledged (the broker redelivers on a reconnect with the session kept). Acks
 * are written in slot order: a slot whose holds are all released is written only once every slot
 * before it was (MQTT 3.1.1 section 4.6: PUBACKs in the order the PUBLISHes were received); a run
 * of them leaves in one write, through the client's {@code WriteCombiner} like every PUBACK. A
 * hold released with {@link AckHold#fail} fails the connection too. A new connection drops every
 * slot (its packet ids belonged to the old connection); holds of an old connection do nothing. The
 * QoS 2 packet ids among the dropped slots are handed back ({@link #connecting}): their PUBREC was
 * never written, so the broker's resend in the kept session must be delivered again.
 * <p>
 * Allocation: the slots are two {@code int} rings, made at the first slot (16 each), that grow (doubling) to the most PUBLISHes
 * ever awaiting their ack at once and are reused; a callback that returns without taking a hold
 * allocates nothing here; each {@link MqttClient#holdAck()} allocates one small {@link Hold}.
 * <p>
 * Threading: the reader calls {@link #received} and {@link #afterCallback}; holds are released
 * on any thread. The slots are guarded by this object's monitor, which is also held while the
 * acks of a run are written, so that they reach the write path in slot order. Lock order: this
 * monitor, then {@code Outbound.writeLock}, then the client's lock; none of them is ever held
 * when this monitor is taken.
 */
final class InboundAcks {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());
    /** No slot: the default mode, or a message without ack. */
    static final long NO_SLOT = -1;

    private final MqttClient client;
    /** The opt-in mode; read at each received PUBLISH. */
    volatile boolean afterProcessing;

    // ---- guarded by this ----
    /** Packet id | QoS &lt;&lt; 16 by slot, a ring: slot {@code s} is at {@code s & (ids.length - 1)}. */
    private int[] ids = EMPTY;
    /** Holds still open by slot (same ring). */
    private int[] holds = EMPTY;
    /** The oldest slot not written yet, and the next slot to hand out. */
    private long head;
    private long tail;
    /** Counts connections: holds of an earlier one are void. */
    private int connection;
    /** The slot of the message whose callback runs, its QoS and the thread running it (reader only). */
    private long current = NO_SLOT;
    private int currentQos;
    private Thread callbackThread;
    /** The connection of {@link #current} (reader only). */
    private int currentConnection;

    InboundAcks(MqttClient client) {
        this.client = client;
    }

    private static final int[] NONE = new int[0];
    /** The rings before the first slot: a client that never acknowledges after processing keeps no ring. */
    private static final int[] EMPTY = new int[0];

    /**
     * A new connection: drops the slots of the previous one and returns the QoS 2 packet ids among
     * them (their PUBREC was never written); warns once when nothing will be redelivered.
     */
    synchronized int[] connecting(boolean cleanSession) {
        int[] unacknowledged = NONE;
        for (long s = head; s < tail; s++) {
            int v = ids[(int) (s & (ids.length - 1))];
            if (v >>> 16 == 2) {
                unacknowledged = Arrays.copyOf(unacknowledged, unacknowledged.length + 1);
                unacknowledged[unacknowledged.length - 1] = v & 0xFFFF;
            }
        }
        connection++;
        head = 0;
        tail = 0;
        current = NO_SLOT;
        if (afterProcessing && cleanSession) {
            LOG.log(Level.WARNING, () -> "MQTT client " + client.settings.clientId + " acknowledges after processing "
                    + "but connects to " + client.settings.broker() + " with clean session: a message whose processing "
                    + "fails is not acknowledged, but the broker drops the session when the connection closes and "
                    + "does not redeliver it; connect with clean session false for at-least-once to the callback");
        }
        return unacknowledged;
    }

    /**
     * The reader received a PUBLISH whose callback is about to run (or a QoS 2 duplicate, acked
     * at once): in the opt-in mode a QoS 1 or 2 message gets the next slot, held by the callback. Returns the slot or {@link #NO_SLOT}.
     */
    long received(int qos, int id) {
        callbackThread = Thread.currentThread(); // reader-only fields, read by holdAck on the reader
        currentQos = qos;
        if (qos == 0 || !afterProcessing) {
            current = NO_SLOT;
            return NO_SLOT;
        }
        synchronized (this) {
            if (tail - head == ids.length) {
                grow();
            }
            int i = (int) (tail & (ids.length - 1));
            ids[i] = id | qos << 16;
            holds[i] = 1;
            current = tail;
            currentConnection = connection;
            return tail++;
        }
    }

    private void grow() {
        int n = ids.length;
        int m = n == 0 ? 16 : n * 2;
        int[] newIds = new int[m];
        int[] newHolds = new int[m];
        for (long s = head; s < tail; s++) {
            newIds[(int) (s & (m - 1))] = ids[(int) (s & (n - 1))];
            newHolds[(int) (s & (m - 1))] = holds[(int) (s & (n - 1))];
        }
        ids = newIds;
        holds = newHolds;
    }

    /**
     * The callback of a QoS 1 or 2 message returned ({@code thrown} null) or threw. Default mode:
     * writes the PUBACK or PUBREC (held while {@code more} PUBLISHes follow, see
     * {@link Outbound#writePuback}).
     * Opt-in: releases the callback's hold, or fails the connection and returns the failure to
     * throw instead of {@code thrown}. Call only while connected.
     */
    IOException afterCallback(long slot, int qos, int id, Throwable thrown, boolean more) throws IOException {
        if (slot == NO_SLOT) {
            write(qos, id, more);
            return null;
        }
        if (thrown != null) {
            return failed(slot, currentConnection, "the message callback threw " + thrown, thrown, false);
        }
        release(slot, currentConnection, more);
        return null;
    }

    /** The callback of the message {@link #received} last has returned or thrown: no more holds. */
    void callbackEnded() {
        callbackThread = null;
        current = NO_SLOT;
    }

    /** {@link MqttClient#holdAck()}: one more hold on the slot of the running callback's message. */
    AckHold hold() {
        if (!afterProcessing) {
            throw new IllegalStateException("MQTT client " + client.settings.clientId
                    + " acknowledges on receipt: holdAck() needs setAckAfterProcessing(true)");
        }
        if (callbackThread != Thread.currentThread()) {
            throw new IllegalStateException("holdAck() called outside the message callback of MQTT client "
                    + client.settings.clientId + " (call it on the thread running the callback, while it runs)");
        }
        long slot = current;
        if (slot == NO_SLOT) {
            return AckHold.NONE; // QoS 0 (or a message received before the mode was switched on): no ack to hold
        }
        synchronized (this) {
            int i = (int) (slot & (ids.length - 1));
            holds[i]++;
            return new Hold(slot, connection, ids[i] & 0xFFFF);
        }
    }

    /** Releases one hold of {@code slot}; writes the acks that are due, in order. */
    private void release(long slot, int conn, boolean more) throws IOException {
        synchronized (this) {
            if (conn != connection || slot < head || slot >= tail) {
                return; // a hold of an earlier connection
            }
            int i = (int) (slot & (ids.length - 1));
            if (--holds[i] > 0 || slot != head) {
                return; // later, with the earlier slots
            }
            // write the run of released slots from the head, in order; all but the last are held
            // back in the write path so that the run leaves in one write
            while (head < tail && holds[(int) (head & (ids.length - 1))] == 0) {
                int v = ids[(int) (head & (ids.length - 1))];
                head++;
                if (client.state != ConnectionState.CONNECTED) {
                    return; // lost: nothing to ack on, the next connection drops the slots
                }
                boolean last = head == tail || holds[(int) (head & (ids.length - 1))] != 0;
                write(v >>> 16, v & 0xFFFF, !last || more);
            }
        }
    }

    /** Writes the ack of a received PUBLISH: PUBACK at QoS 1, PUBREC at QoS 2. */
    private void write(int qos, int id, boolean more) throws IOException {
        if (qos == 1) {
            client.outbound.writePuback(id, more);
        } else {
            client.outbound.writeAck(ShortPackets.PUBREC, id, more);
        }
    }

    /**
     * A hold's processing failed: no ack; the connection is failed so that the broker redelivers.
     * Logged when {@code log} (a hold failed on some thread); else the reader throws the failure.
     */
    private IOException failed(long slot, int conn, String what, Throwable cause, boolean log) {
        int id;
        synchronized (this) {
            if (conn != connection || slot < head || slot >= tail) {
                return null; // a hold of an earlier connection: the broker redelivers anyway
            }
            id = ids[(int) (slot & (ids.length - 1))] & 0xFFFF;
            holds[(int) (slot & (ids.length - 1))] = Integer.MAX_VALUE; // never written
        }
        IOException e = new IOException("MQTT client " + client.settings.clientId + ": " + what
                + "; message with packet id " + id + " is not acknowledged: connection to " + client.settings.broker()
                + " closed so that the broker redelivers it (with a session kept: clean session false)", cause);
        if (log) {
            LOG.log(Level.WARNING, e.getMessage(), cause);
        }
        return client.fail(e);
    }

    /** A hold on the ack of one received message (see {@link MqttClient#holdAck()}). */
    private final class Hold implements AckHold {
        private final long slot;
        private final int conn;
        private final int id;
        private boolean settled;

        Hold(long slot, int conn, int id) {
            this.slot = slot;
            this.conn = conn;
            this.id = id;
        }

        private boolean settle() {
            synchronized (InboundAcks.this) {
                if (settled) {
                    return false;
                }
                settled = true;
                return true;
            }
        }

        @Override
        public void release() {
            if (!settle()) {
                return;
            }
            try {
                InboundAcks.this.release(slot, conn, false);
            } catch (IOException e) {
                // the write failed the connection, which reports it (state, failure(), the loop)
                LOG.log(Level.DEBUG, () -> "MQTT client " + client.settings.clientId + ": writing the ack of packet id "
                        + id + " failed: " + e.getMessage());
            }
        }

        @Override
        public void fail(Throwable cause) {
            if (settle()) {
                failed(slot, conn, "processing failed: " + cause, cause, true);
            }
        }

        @Override
        public String toString() {
            return "AckHold[packet id " + id + " of " + client.settings.clientId + "]";
        }
    }
}
