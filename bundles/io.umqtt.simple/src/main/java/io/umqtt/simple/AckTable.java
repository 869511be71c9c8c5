package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.Wire;
import io.umqtt.simple.internal.PacketIds;

/**
 * The operations awaiting their acks, by packet id: a QoS 1 PUBLISH its PUBACK, a QoS 2 PUBLISH
 * its PUBREC and then its PUBCOMP (one entry for the whole flow, see {@link #pubrec}), a SUBSCRIBE
 * its SUBACK, an UNSUBSCRIBE its UNSUBACK. Hands out packet ids, keeps the {@code publishAsync} window
 * (at most {@code maxInflight} unacknowledged, oldest first), completes an entry when the reader
 * reads its ack, gives it up at the ack timeout (a late ack then counts as stray), and fails all
 * when the connection is lost.
 * <p>
 * How a thread waits for an entry is {@link AckWaits}; the waits without a packet id (MQTT 5) are
 * {@link UnnumberedWaits}; both are this table's parts, under the same lock.
 * <p>
 * Threading: everything here is guarded by the client's lock (shared with {@link ReaderRole} and
 * the connection state); threads are unparked after it is released, and nothing blocks under it.
 */
final class AckTable {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());

    private final MqttClient client;
    private final Object lock;
    /** Packet id to the operation awaiting its ack; guarded by {@link #lock}. */
    private final Map<Integer, Pending> pending = new HashMap<>();
    /** Guarded by {@link #lock}. */
    private final PacketIds packetIds = new PacketIds();
    /** The unacknowledged {@code publishAsync} publishes, oldest first; guarded by {@link #lock}. */
    private Pending asyncHead;
    private Pending asyncTail;
    private int asyncCount;
    volatile long strayAcks;
    /** Waiting for an entry: reading, or parked for the reader. */
    final AckWaits waits;

    AckTable(MqttClient client, Object lock) {
        this.client = client;
        this.lock = lock;
        this.waits = new AckWaits(client, this, lock);
    }

    /** Enters an operation awaiting {@code ackType}, under {@code wantedId} when that is free. */
    Pending register(PacketType ackType, byte[] subject, int wantedId) throws IOException {
        return register(ackType, subject, wantedId, 1);
    }

    /**
     * {@link #register(PacketType, byte[], int)} for a SUBSCRIBE of {@code filters} filters: its
     * SUBACK must carry that many return codes.
     */
    Pending register(PacketType ackType, byte[] subject, int wantedId, int filters) throws IOException {
        boolean publish = ackType == PacketType.PUBACK || ackType == PacketType.PUBREC;
        while (true) {
            Pending full;
            synchronized (lock) {
                full = publish ? slotsFull() : null;
                if (full == null) {
                    Pending p = registerNow(ackType, subject, wantedId, filters);
                    takeSlot(p, publish);
                    return p;
                }
            }
            awaitSlot(full);
        }
    }

    // ---- MQTT 5 (core5): the broker's Receive Maximum over every QoS 1 and 2 publish in flight ----

    /** Publishes holding a Receive Maximum slot; guarded by {@link #lock}. */
    private int publishSlots;

    /**
     * On MQTT 5 with every slot of the broker's Receive Maximum taken, a publish that holds one (to
     * wait for); else null. Caller holds {@link #lock}.
     */
    private Pending slotsFull() {
        if (!Session5.v5(client) || publishSlots < client.session5.serverReceiveMaximum) {
            return null;
        }
        for (Pending p : pending.values()) {
            if (p.slot) {
                return p;
            }
        }
        return null;
    }

    /** Gives {@code p} a slot when it is an MQTT 5 publish; caller holds {@link #lock}. */
    private void takeSlot(Pending p, boolean publish) {
        if (publish && Session5.v5(client)) {
            p.slot = true;
            publishSlots++;
        }
    }

    /** A publish holding a slot is done ({@link Pending#finish}); caller holds {@link #lock}. */
    void slotFreed() {
        publishSlots--;
    }

    /** A new connection: no slot taken; caller holds {@link #lock}. */
    void resetSlots() {
        publishSlots = 0;
    }

    /** Waits until {@code full}, holding a slot, is done; a timeout means nothing was sent. */
    private void awaitSlot(Pending full) throws IOException {
        waits.awaitDone(full, waits.ackDeadline(), false);
        if (full.error != null && !full.lost) {
            throw new MqttException(Reason.TIMEOUT, "publish not sent: the broker's Receive Maximum of "
                    + client.session5.serverReceiveMaximum + " publishes awaited their acks and the one waited for "
                    + "was given up: " + full.error.getMessage());
        }
    }

    /** {@link #register(PacketType, byte[], int, int)} at once; caller holds {@link #lock}. */
    private Pending registerNow(PacketType ackType, byte[] subject, int wantedId, int filters) throws IOException {
        if (client.state != ConnectionState.CONNECTED) {
            throw client.lifecycle.notConnected();
        }
        if (ackType == PacketType.PUBREC && wantedId > 0 && !free(wantedId)) {
            // a QoS 2 resend under another id would be a second message to the broker
            throw new IOException("cannot resend the QoS 2 publish of packet id " + wantedId + " to "
                    + client.settings.broker() + " now: another operation awaits its "
                    + pending.get(wantedId).ackType + " under that id; it stays queued");
        }
        int id = wantedId > 0 && wantedId <= PacketIds.MAX && free(wantedId) ? wantedId
                : packetIds.next(pending::containsKey);
        Pending p = new Pending(this, id, ackType, subject);
        p.filters = filters;
        pending.put(id, p);
        return p;
    }

    /**
     * Whether {@code id} may be used for a resend: nothing awaits it, or only a QoS 2 flow given up
     * earlier (the resend takes it over); caller holds {@link #lock}.
     */
    private boolean free(int id) {
        Pending held = pending.get(id);
        return held == null || held.abandoned;
    }

    /**
     * Enters a QoS 2 flow resumed at its PUBREL (its PUBREC was read on an earlier connection of
     * the same session) under {@code id}, which must be free: its PUBCOMP completes it.
     *
     * @throws IOException when another operation awaits an ack under {@code id} (it stays queued)
     */
    Pending registerReleased(byte[] topic, int id) throws IOException {
        synchronized (lock) {
            if (client.state != ConnectionState.CONNECTED) {
                throw client.lifecycle.notConnected();
            }
            if (id < 1 || id > PacketIds.MAX) {
                throw new IllegalArgumentException("packet id must be 1..65535, found " + id);
            }
            if (!free(id)) {
                throw new IOException("cannot resume the QoS 2 flow of packet id " + id + " on "
                        + client.settings.broker() + " now: another operation awaits its " + pending.get(id).ackType
                        + " under that id");
            }
            Pending p = new Pending(this, id, PacketType.PUBCOMP, topic);
            p.released = true;
            pending.put(id, p);
            takeSlot(p, true); // in flight at the broker already: counted, never held back
            return p;
        }
    }

    /** The publishAsync publishes awaiting their PUBACK; read without the lock: a hint. */
    int asyncInFlight() {
        return asyncCount;
    }

    /** Registers a {@code publishAsync} PUBACK wait, first waiting for the oldest while the window is full. */
    Pending registerAsync(byte[] topic, int qos) throws IOException {
        while (true) {
            Pending oldest;
            int max = client.settings.maxInflight;
            if (Session5.v5(client)) {
                max = Math.min(max, client.session5.serverReceiveMaximum); // MQTT 5: the server's Receive Maximum
            }
            synchronized (lock) {
                if (client.state != ConnectionState.CONNECTED) {
                    throw client.lifecycle.notConnected();
                }
                Pending full = slotsFull(); // MQTT 5: synchronous publishes hold slots too
                if (asyncCount < max && full == null) {
                    Pending p = new Pending(this, packetIds.next(pending::containsKey),
                            qos == 2 ? PacketType.PUBREC : PacketType.PUBACK, topic);
                    pending.put(p.id, p);
                    takeSlot(p, true);
                    p.async = true;
                    p.previous = asyncTail;
                    if (asyncTail == null) {
                        asyncHead = p;
                    } else {
                        asyncTail.next = p;
                    }
                    asyncTail = p;
                    asyncCount++;
                    return p;
                }
                oldest = asyncCount >= max ? asyncHead : full;
            }
            // a broker acks QoS 1 in order (MQTT-4.6.0-2): the oldest is the next to free a slot
            // (a QoS 2 flow holds its slot until its PUBCOMP)
            waits.awaitDone(oldest, waits.ackDeadline(), false);
            if (oldest.error != null && !oldest.lost) {
                throw new MqttException(Reason.TIMEOUT, "publish not sent: " + max
                        + " publishAsync publishes (maxInflight) awaited their PUBACK and the oldest was given up: "
                        + oldest.error.getMessage());
            }
        }
    }

    /** Gives {@code p} up as timed out, unless its ack arrived meanwhile; {@code why} adds to the message. */
    void timeOut(Pending p, String why) {
        giveUp(p, new MqttException(Reason.TIMEOUT, "no " + p.ackType + " for packet id " + p.id + " ('"
                + new String(p.subject, StandardCharsets.UTF_8) + "') from " + client.settings.broker()
                + " within " + client.settings.ackTimeoutMillis + " ms" + why));
    }

    /**
     * Stops awaiting the ack of {@code p}, unless it arrived meanwhile: the operation fails with
     * {@code why}, and a late ack counts as stray.
     */
    void giveUp(Pending p, IOException why) {
        ReaderRole.Waiter woken;
        synchronized (lock) {
            if (pending.get(p.id) != p || p.done) {
                return;
            }
            if (p.ackType == PacketType.PUBREC || p.ackType == PacketType.PUBCOMP) {
                p.abandoned = true; // the broker may hold the flow: its id stays taken until PUBCOMP
            } else {
                pending.remove(p.id);
            }
            unlinkAsync(p);
            p.error = why;
            woken = p.finish();
        }
        ReaderRole.unparkAll(woken);
    }

    /** Takes {@code p}, registered but never written, out again; its packet id is free. */
    void forget(Pending p) {
        ReaderRole.Waiter woken;
        synchronized (lock) {
            if (!pending.remove(p.id, p)) {
                return;
            }
            unlinkAsync(p);
            p.error = new IOException("not sent");
            woken = p.finish();
        }
        ReaderRole.unparkAll(woken);
    }

    /**
     * The reader read a PUBREC: the QoS 2 flow of {@code id} now awaits its PUBCOMP. Returns the
     * flow, or null when nothing awaits {@code id} (a late PUBREC, counted as stray); either way the
     * caller answers with PUBREL (section 4.3.3: the sender releases what the receiver recorded, so
     * that the broker does not keep the packet id). A repeated PUBREC is answered again.
     *
     * @throws IOException PROTOCOL_ERROR, failing the connection, when {@code id} awaits another
     *         kind of ack (a QoS 1 PUBLISH, a SUBSCRIBE, an UNSUBSCRIBE)
     */
    Pending pubrec(int id) throws IOException {
        PacketType awaited;
        synchronized (lock) {
            Pending p = pending.get(id);
            if (p == null) {
                strayAcks++;
                LOG.log(Level.DEBUG, () -> "answering PUBREC for packet id " + id + ", which nothing awaits, with PUBREL");
                return null;
            }
            awaited = p.ackType;
            if (awaited == PacketType.PUBREC || awaited == PacketType.PUBCOMP) {
                p.ackType = PacketType.PUBCOMP;
                p.released = true;
                return p;
            }
        }
        throw client.fail(Wire.protocol("received PUBREC for packet id " + id + " from " + client.settings.broker()
                + ", which awaits a " + awaited + " (a PUBREC answers only a QoS 2 PUBLISH)"));
    }

    /** The reader read an ack: completes its operation and unparks the threads waiting for it. */
    void complete(int id, PacketType type, int code) throws IOException {
        complete(id, type, code, null);
    }

    /**
     * {@link #complete(int, PacketType, int)} with a SUBACK's return codes ({@code code} is the
     * first), which must be as many as the SUBSCRIBE had filters, else the connection fails with a
     * protocol error.
     */
    void complete(int id, PacketType type, int code, int[] codes) throws IOException {
        complete(id, type, code, codes, null);
    }

    /**
     * {@link #complete(int, PacketType, int, int[])} with the MQTT 5 reason string of the ack (a
     * SUBACK's or UNSUBACK's codes must then be as many as its packet had filters).
     */
    void complete(int id, PacketType type, int code, int[] codes, String reasonString) throws IOException {
        ReaderRole.Waiter woken;
        PacketType awaited;
        MqttException mismatch = null;
        synchronized (lock) {
            Pending p = pending.get(id);
            if (p == null || p.abandoned) {
                if (p != null && type == PacketType.PUBCOMP) {
                    pending.remove(id); // a QoS 2 flow given up has ended: its packet id is free again
                }
                strayAcks++;
                LOG.log(Level.DEBUG, () -> "ignoring " + type + " for packet id " + id + ", which nothing awaits");
                return;
            }
            awaited = p.ackType;
            if (awaited == type && codes != null) {
                mismatch = SubackDecoder.countMismatch(type, id, codes.length, p.filters);
            }
            if (awaited == type && mismatch == null) {
                p.codes = codes;
                p.reasonString = reasonString;
                woken = finish(p, code);
            } else {
                woken = null;
            }
        }
        if (mismatch != null) {
            throw client.fail(mismatch);
        }
        if (awaited != type) {
            // failed outside the lock: the write path first writes what it holds (see Lifecycle)
            throw client.fail(Wire.protocol("received " + type + " for packet id " + id + " from "
                    + client.settings.broker() + ", which awaits a " + awaited));
        }
        ReaderRole.unparkAll(woken);
    }

    /**
     * MQTT 5 (core5): the reader read an ack of {@code type} whose reason code refuses the
     * publish of {@code id} (PUBACK or PUBREC 0x80 or more, PUBCOMP 0x92): the publish fails with
     * {@code refusal} (its topic added), its packet id is free again (a refused PUBREC ends the
     * QoS 2 flow, section 4.3.3).
     */
    void refused(int id, PacketType type, MqttException refusal) throws IOException {
        ReaderRole.Waiter woken;
        PacketType awaited;
        synchronized (lock) {
            Pending p = pending.get(id);
            if (p == null || p.abandoned) {
                if (p != null) {
                    pending.remove(id); // a QoS 2 flow given up has ended
                }
                strayAcks++;
                LOG.log(Level.DEBUG, () -> "ignoring refusing " + type + " for packet id " + id + ", which nothing awaits");
                return;
            }
            awaited = p.ackType;
            if (awaited == type) {
                pending.remove(p.id);
                unlinkAsync(p);
                p.error = new MqttException(refusal.reason(), refusal.returnCode(), refusal.reasonString(),
                        refusal.getMessage() + " (topic '" + new String(p.subject, StandardCharsets.UTF_8) + "')");
                woken = p.finish();
            } else {
                woken = null;
            }
        }
        if (awaited != type) {
            throw client.fail(Wire.protocol("received " + type + " for packet id " + id + " from "
                    + client.settings.broker() + ", which awaits a " + awaited));
        }
        ReaderRole.unparkAll(woken);
    }

    /** Completes {@code p} with {@code code}; caller holds {@link #lock}. Returns the threads to unpark. */
    private ReaderRole.Waiter finish(Pending p, int code) {
        pending.remove(p.id);
        unlinkAsync(p);
        p.code = code;
        return p.finish();
    }

    /** Takes a {@code publishAsync} publish out of the window; caller holds {@link #lock}. */
    private void unlinkAsync(Pending p) {
        if (!p.async) {
            return;
        }
        p.async = false;
        if (p.previous == null) {
            asyncHead = p.next;
        } else {
            p.previous.next = p.next;
        }
        if (p.next == null) {
            asyncTail = p.previous;
        } else {
            p.next.previous = p.previous;
        }
        p.previous = null;
        p.next = null;
        asyncCount--;
    }

    /** Fails every pending operation and unparks their threads; caller holds {@link #lock}. */
    void failAll(IOException cause) {
        Session5 s5 = client.session5;
        if (s5 != null) {
            s5.unnumbered.failAll(cause); // MQTT 5: the waits without a packet id
        }
        if (pending.isEmpty()) {
            return;
        }
        for (Pending p : pending.values()) {
            if (p.done) {
                continue; // a QoS 2 flow given up earlier (abandoned): it keeps its own failure
            }
            p.error = cause;
            p.lost = true;
            p.async = false;
            p.previous = null;
            p.next = null;
            ReaderRole.unparkAll(p.finish());
        }
        pending.clear();
        asyncHead = null;
        asyncTail = null;
        asyncCount = 0;
    }

    /** Makes {@code id} the last packet id handed out (tests). */
    void setLastPacketId(int id) {
        synchronized (lock) {
            packetIds.setLast(id);
        }
    }

    /** The packet ids currently awaiting acks (tests). */
    List<Integer> pendingIds() {
        synchronized (lock) {
            return new ArrayList<>(pending.keySet());
        }
    }

}
