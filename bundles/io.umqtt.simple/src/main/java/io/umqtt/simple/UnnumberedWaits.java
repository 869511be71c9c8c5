package io.umqtt.simple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.umqtt.api.ConnectionState;

/**
 * The waits without a packet id (MQTT 5, sub5): a request's response ({@link Requests}), a
 * re-authentication's AUTH ({@link AuthExchange}). They are waited for like the {@link AckTable}'s
 * acks ({@link AckWaits#awaitDone}, reading while no other thread reads), completed by the reader
 * when what they await arrives, failed with the connection; their timeout is the caller's.
 * <p>
 * Threading: any thread; the list is guarded by the client's lock (the ack table's), and threads
 * are unparked after it is released.
 */
final class UnnumberedWaits {
    private final MqttClient client;
    private final AckTable acks;
    private final Object lock;

    UnnumberedWaits(MqttClient client, AckTable acks, Object lock) {
        this.client = client;
        this.acks = acks;
        this.lock = lock;
    }

    /** The waits without a packet id; guarded by the client's lock, allocated with the first. */
    private List<Pending> waits;

    /**
     * Enters a wait for something that has no packet id ({@code awaited}: PUBLISH for a request's
     * response, AUTH for a re-authentication): {@link AckWaits#awaitDone} waits for it as for an ack (reading
     * while no other thread reads), {@link #complete} completes it, and the connection's
     * loss fails it. Its timeout is the caller's: {@link #end} after {@code awaitDone}.
     */
    Pending register(PacketType awaited, byte[] subject) throws IOException {
        synchronized (lock) {
            if (client.state != ConnectionState.CONNECTED) {
                throw client.lifecycle.notConnected();
            }
            if (waits == null) {
                waits = new ArrayList<>(2);
            }
            Pending p = new Pending(acks, 0, awaited, subject);
            waits.add(p);
            return p;
        }
    }

    /** Completes a wait {@link #register} entered; false when it has ended already. */
    boolean complete(Pending p, int code) {
        ReaderRole.Waiter woken;
        synchronized (lock) {
            if (p.done || waits == null || !waits.remove(p)) {
                return false;
            }
            p.code = code;
            woken = p.finish();
        }
        ReaderRole.unparkAll(woken);
        return true;
    }

    /**
     * Ends a wait {@link #register} entered, failing it with {@code why} unless it is done
     * (completed or failed meanwhile); returns its code, or throws its failure ({@code subject}
     * says what was awaited, e.g. "the response to the request on 'a/b'").
     */
    int end(Pending p, IOException why) throws IOException {
        ReaderRole.Waiter woken = null;
        synchronized (lock) {
            if (!p.done) {
                waits.remove(p);
                p.error = why;
                woken = p.finish();
            }
        }
        ReaderRole.unparkAll(woken);
        IOException e = p.error;
        if (e == null) {
            return p.code;
        }
        if (!p.lost) {
            throw e;
        }
        throw new IOException("connection to " + client.settings.broker() + " lost while waiting for "
                + new String(p.subject, StandardCharsets.UTF_8) + ": " + e.getMessage(), e);
    }

    /** Fails the waits without a packet id (the connection is lost); caller holds the client's lock. */
    void failAll(IOException cause) {
        if (waits == null || waits.isEmpty()) {
            return;
        }
        for (Pending p : waits) {
            p.error = cause;
            p.lost = true;
            ReaderRole.unparkAll(p.finish());
        }
        waits.clear();
    }
}
