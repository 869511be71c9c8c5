package io.umqtt.simple;

import java.io.IOException;

/**
 * An operation awaiting its ack (PUBACK, SUBACK, UNSUBACK; for a QoS 2 PUBLISH first PUBREC, then
 * PUBCOMP), entered in the {@link AckTable} under its packet id, and the token {@code publishAsync}
 * returns. The fields after {@code subject} are guarded by the client's lock; {@code done},
 * {@code code} and {@code error} are read without it once {@code done} is seen.
 */
final class Pending extends MqttClient.InFlight {
    /** The token of a QoS 0 publish: complete once written. */
    static final Pending WRITTEN = new Pending(null, 0, PacketType.PUBACK, new byte[0]);

    static {
        WRITTEN.done = true;
    }

    final AckTable acks;
    final int id;
    /** The ack awaited; a QoS 2 PUBLISH moves from PUBREC to PUBCOMP when its PUBREC is read. */
    volatile PacketType ackType;
    final byte[] subject;
    /** QoS 2: its PUBREC was read (or it was resumed at PUBREL); the PUBREL is (being) sent. */
    volatile boolean released;
    /**
     * QoS 2, given up (ack timeout, interrupt): kept in the ack table so that its packet id is not
     * used again while the broker may still hold the flow; removed by its PUBCOMP or the connection's end.
     */
    boolean abandoned;
    volatile boolean done;
    int code;
    IOException error;
    /** Whether {@code error} is the connection's failure (else the operation was given up). */
    boolean lost;
    /** The threads parked for this ack, linked through {@link ReaderRole.Waiter#next}. */
    ReaderRole.Waiter waiters;
    /** Whether in the {@code publishAsync} window, linked oldest first. */
    boolean async;
    Pending previous;
    Pending next;
    /** How many return codes its SUBACK (MQTT 5: UNSUBACK) must carry: the filters of its (UN)SUBSCRIBE. */
    int filters = 1;
    /** The return codes of its SUBACK (MQTT 5: also UNSUBACK), one per filter; null for the other acks. */
    int[] codes;
    /** MQTT 5: the reason string of its ack, or null. */
    String reasonString;
    /** MQTT 5: it holds one of the broker's Receive Maximum slots ({@link AckTable}); guarded by the client's lock. */
    boolean slot;
    /** Where its PUBLISH ended in the client's write path; written once that is (see {@link Outbound#mayWaitHolding}). */
    volatile long mark = Long.MAX_VALUE;

    Pending(AckTable acks, int id, PacketType ackType, byte[] subject) {
        this.acks = acks;
        this.id = id;
        this.ackType = ackType;
        this.subject = subject;
    }

    /** Marks it done and returns the waiters to unpark; caller holds the client's lock. */
    ReaderRole.Waiter finish() {
        done = true;
        if (slot) {
            slot = false;
            acks.slotFreed();
        }
        ReaderRole.Waiter w = waiters;
        waiters = null;
        return w;
    }

    @Override
    public int packetId() {
        return id;
    }

    @Override
    public boolean isDone() {
        return done;
    }

    @Override
    public void await() throws IOException {
        if (acks != null) {
            acks.waits.awaitToken(this);
        }
    }

    @Override
    public boolean pubrecReceived() {
        return released;
    }

    @Override
    public IOException failure() {
        return done ? error : null;
    }

    @Override
    public String toString() {
        if (acks == null) {
            return "PublishToken[QoS 0, written]";
        }
        return "PublishToken[packet id " + id + (!done ? ", awaiting " + ackType
                : error == null ? ", acknowledged" : ", failed: " + error.getMessage()) + "]";
    }
}
