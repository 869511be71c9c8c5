package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.internal.WriteCombiner;
import io.umqtt.simple.internal.codec.PublishEncoder;
import io.umqtt.simple.internal.codec.ShortPackets;
import io.umqtt.simple.internal.WriteWatchdog;

/**
 * Everything the client writes to the broker. Every packet goes out through {@link #write}, the
 * one place that writes to the {@link Transport}; writes are serialised by {@link #writeLock},
 * which also guards the write buffer (a PUBLISH with a payload up to 16 KiB is encoded into it and
 * written at once, without allocation).
 * <p>
 * Small packets written close together leave in one write ({@link WriteCombiner}, which does the
 * transport writes): a PUBLISH that follows another within 20 &micro;s (counted from when the
 * previous write began, or ended if it carried corked packets) or is pipelined is corked, a
 * PUBACK is held while a whole PUBLISH follows in the read buffer; the parts flush what is held
 * before a thread blocks on anything that may depend on it ({@link #flushHeld},
 * {@link #mayWaitHolding}), on disconnect, close and failure, and a shared flusher thread writes
 * corked packets at the latest 1 ms later.
 * <p>
 * Every write is bounded in time: it is watched in chunks by the shared {@link WriteWatchdog},
 * which closes the connection when a chunk makes no progress for the write timeout (socket writes
 * have no timeout of their own); the connection is then declared dead with a TIMEOUT naming it.
 * <p>
 * Threading: any thread writes, one at a time under {@link #writeLock}; the transport and watch of
 * the current connection are volatile and replaced on connect. Lock order: {@link #writeLock}
 * before the client's lock, which is taken under it to check that a connect is still under way
 * before CONNECT, and when a failed write fails the connection. The client never takes
 * {@link #writeLock} while holding its own lock.
 */
final class Outbound implements WriteCombiner.Failure {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());
    private static final int INITIAL_WRITE_BUFFER = 256;
    /** Payloads up to this size are copied into the write buffer so a PUBLISH is one write. */
    private static final int MAX_INLINE_PAYLOAD = 16 * 1024;
    /** How long a close waits for a write under way before it takes it as blocked. */
    static final long CLOSE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long CLOSE_POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final MqttClient client;
    private final Settings settings;
    /** Serialises writes; guards {@link #wbuf} and {@link #connectWrittenOn}. */
    private final Object writeLock = new Object();
    /** Made by the first write that needs it ({@link #buffer}): an idle connection has none. */
    private byte[] wbuf;
    /** The transport whose CONNECT has been written; guarded by {@link #writeLock}. */
    private Transport connectWrittenOn;
    /** The current connection; replaced under the client's lock on connect. */
    private volatile Transport transport;
    /** The current connection's writes, as the shared {@link WriteWatchdog} sees them. */
    private volatile WriteWatchdog.Watch watch;
    /** Why the current connection was declared dead by a stalled write, or null. */
    private volatile MqttException stall;

    /**
     * Combines small packets written close together into one write (see {@link WriteCombiner}):
     * every write goes through it, under {@link #writeLock}.
     */
    private final WriteCombiner combiner;

    Outbound(MqttClient client, Settings settings) {
        this.client = client;
        this.settings = settings;
        this.combiner = new WriteCombiner(writeLock, this);
    }

    /**
     * A write of the {@link WriteCombiner} failed: the connection's failure; a late flush to an
     * earlier connection fails nothing.
     */
    @Override
    public IOException failed(IOException e, WriteWatchdog.Watch w) {
        return w == watch ? client.fail(connectionError("write to", e)) : e;
    }

    /** Writes go to {@code t} from now on, watched; caller holds the client's lock. */
    void attach(Transport t) {
        transport = t;
        stall = null;
        watch = WriteWatchdog.register(w -> stalled(w, t));
    }

    /** Stops watching the current connection's writes (it is closed). */
    void detach() {
        WriteWatchdog.Watch w = watch;
        if (w != null) {
            w.unregister();
        }
    }

    /** Whether a write is in progress (then closing must not write, see {@link Transport#abort()}). */
    boolean writing() {
        WriteWatchdog.Watch w = watch;
        return w != null && w.writing();
    }

    /**
     * Writes CONNECT on the transport just attached, within {@code timeoutNanos}, unless the
     * connect was aborted meanwhile; from then on a {@link #writeDisconnect} sends DISCONNECT.
     */
    void writeConnect(Transport t, byte[] connect, long timeoutNanos) throws IOException {
        synchronized (writeLock) {
            client.lifecycle.checkStillConnecting(
                    "aborted before CONNECT was sent: the client was disconnected or closed");
            combiner.connected(t, watch);
            write(connect, 0, connect.length, timeoutNanos);
            connectWrittenOn = t;
        }
    }

    /**
     * Writes DISCONNECT when {@code connected}, or while connecting once the CONNECT is written
     * (which {@link #writeConnect} does under the same lock), on the client's current transport.
     */
    void writeDisconnect(boolean connected) throws IOException {
        writeDisconnect(connected, ShortPackets.disconnect());
    }

    /** {@link #writeDisconnect(boolean)} with the DISCONNECT given (MQTT 5: with a reason code). */
    void writeDisconnect(boolean connected, byte[] packet) throws IOException {
        synchronized (writeLock) {
            if (connected || (connectWrittenOn != null && connectWrittenOn == client.lifecycle.transport)) {
                send(packet, 0, packet.length);
            }
        }
    }

    /** Writes a whole encoded packet. */
    void writePacket(byte[] packet) throws IOException {
        synchronized (writeLock) {
            send(packet, 0, packet.length);
        }
    }

    /**
     * Writes one PUBLISH packet; does not wait. Zero allocation for payloads that fit the write
     * buffer. A PUBLISH that follows another closely, or is {@code pipelined} (a publishAsync while
     * earlier ones await their PUBACK), is corked (see {@link WriteCombiner#cork}). Returns the
     * {@link WriteCombiner#mark()} after it (see {@link #mayWaitHolding}).
     */
    long writePublish(byte[] topic, byte[] msg, int qos, boolean retain, boolean dup, int packetId, boolean pipelined)
            throws IOException {
        return writePublish(topic, msg, qos, retain, dup, packetId, pipelined, null);
    }

    /**
     * {@link #writePublish(byte[], byte[], int, boolean, boolean, int, boolean)} with the MQTT 5
     * properties encoded ({@link PublishEncoder#properties}, null for none); on an MQTT 5
     * connection with a Topic Alias when {@link TopicAliases} gives the topic one.
     */
    long writePublish(byte[] topic, byte[] msg, int qos, boolean retain, boolean dup, int packetId, boolean pipelined,
            byte[] props) throws IOException {
        int inline = msg.length <= MAX_INLINE_PAYLOAD ? msg.length : 0;
        if (Session5.v5(client)) {
            return writePublish5(topic, msg, qos, retain, dup, packetId, pipelined, props, inline);
        }
        synchronized (writeLock) {
            byte[] b = buffer(5 + 2 + topic.length + 2 + inline);
            int p = PublishEncoder.head(b, topic, msg.length, qos, retain, dup, packetId);
            if (inline == msg.length) {
                System.arraycopy(msg, 0, b, p, msg.length);
                checkWritable();
                combiner.cork(b, 0, p + msg.length, TimeUnit.MILLISECONDS.toNanos(settings.writeTimeoutMillis),
                        pipelined);
                client.keepAlive.lastSentNanos = System.nanoTime();
            } else {
                send(b, 0, p);
                send(msg, 0, msg.length);
            }
            return combiner.mark();
        }
    }

    // ---- MQTT 5 (core5) ----

    /** The write lock (guards the outbound topic aliases of {@link Session5}). */
    Object writeLock() {
        return writeLock;
    }

    /** The MQTT 5 PUBLISH write: as the 3.1.1 one, with properties and the topic alias. */
    private long writePublish5(byte[] topic, byte[] msg, int qos, boolean retain, boolean dup, int packetId,
            boolean pipelined, byte[] props, int inline) throws IOException {
        synchronized (writeLock) {
            int propsLength = props == null ? 0 : props.length;
            byte[] b = buffer(PublishEncoder.HEAD5_OVERHEAD + topic.length + propsLength + inline);
            int alias = client.session5.aliases.lookup(topic);
            int p = PublishEncoder.head5(b, topic, alias <= 0, msg.length, qos, retain, dup, packetId, Math.abs(alias),
                    props);
            if (inline == msg.length) {
                System.arraycopy(msg, 0, b, p, msg.length);
                checkWritable();
                combiner.cork(b, 0, p + msg.length, TimeUnit.MILLISECONDS.toNanos(settings.writeTimeoutMillis),
                        pipelined);
                client.keepAlive.lastSentNanos = System.nanoTime();
            } else {
                send(b, 0, p);
                send(msg, 0, msg.length);
            }
            return combiner.mark();
        }
    }

    /**
     * Writes an MQTT 5 DISCONNECT before a connection failed by a protocol error is closed
     * (section 4.13.1), unless a write is blocked; a failure here is only logged.
     */
    void writeDisconnectBeforeClose(byte[] packet) {
        if (writing() || stall != null) {
            return;
        }
        try {
            synchronized (writeLock) {
                send(packet, 0, packet.length);
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "MQTT client " + settings.clientId + ": writing DISCONNECT before closing "
                    + "failed: " + e.getMessage());
        }
    }

    /**
     * Writes a PUBACK; no allocation. With {@code more} (a whole PUBLISH follows in the read
     * buffer, or a queued one: the reader processes it at once) it is held, and written with the next write, at the
     * latest before the reader blocks ({@link #flushHeld}); once the connection is lost it is
     * written at once, so that the write reports why.
     */
    void writePuback(int id, boolean more) throws IOException {
        if (Session5.v5(client)) {
            client.session5.acknowledged();
        }
        synchronized (writeLock) {
            byte[] b = buffer(ShortPackets.ACK_LENGTH);
            ShortPackets.encodePuback(b, 0, id);
            if (more && client.state == ConnectionState.CONNECTED) {
                checkWritable();
                combiner.hold(b, 0, ShortPackets.ACK_LENGTH, TimeUnit.MILLISECONDS.toNanos(settings.writeTimeoutMillis));
            } else {
                send(b, 0, ShortPackets.ACK_LENGTH);
            }
        }
    }

    /**
     * Writes a QoS 2 ack (PUBREC, PUBREL or PUBCOMP: {@code header} and the packet id, as
     * {@link io.umqtt.simple.internal.codec.ShortPackets} lays them out); no allocation. Held with
     * {@code more} as {@link #writePuback} holds a PUBACK.
     */
    void writeAck(int header, int id, boolean more) throws IOException {
        synchronized (writeLock) {
            byte[] b = buffer(ShortPackets.ACK_LENGTH);
            switch (header) {
                case ShortPackets.PUBREC:
                    ShortPackets.encodePubrec(b, 0, id);
                    break;
                case ShortPackets.PUBREL:
                    ShortPackets.encodePubrel(b, 0, id);
                    break;
                default:
                    ShortPackets.encodePubcomp(b, 0, id);
                    break;
            }
            if (more && client.state == ConnectionState.CONNECTED) {
                checkWritable();
                combiner.hold(b, 0, ShortPackets.ACK_LENGTH, TimeUnit.MILLISECONDS.toNanos(settings.writeTimeoutMillis));
            } else {
                send(b, 0, ShortPackets.ACK_LENGTH);
            }
        }
    }

    /**
     * The write buffer, at least {@code need} bytes long: made by the first write that needs it
     * (CONNECT, SUBSCRIBE and the like are encoded into arrays of their own, so an idle connection
     * never does), grown by doubling; caller holds {@link #writeLock}.
     */
    private byte[] buffer(int need) {
        byte[] b = wbuf;
        if (b == null || b.length < need) {
            b = new byte[Math.max(need, b == null ? INITIAL_WRITE_BUFFER : b.length * 2)];
            wbuf = b;
        }
        return b;
    }

    /** Whether packets are held back (a hint, without the lock). */
    boolean holding() {
        return combiner.holding();
    }

    /** Since when packets are held (valid while {@link #holding()}). */
    long heldSince() {
        return combiner.heldSince();
    }

    /**
     * Writes what is held back, before this thread blocks or stops reading (nothing written may
     * wait for a thread that waits itself).
     */
    void flushHeld() throws IOException {
        if (combiner.holding()) {
            synchronized (writeLock) {
                combiner.flush();
            }
        }
    }

    /** {@link #flushHeld()} where the caller cannot throw: a failure is the connection's, seen next. */
    void flushHeldQuietly() {
        try {
            flushHeld();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "MQTT client " + settings.clientId + ": writing held packets failed: "
                    + e.getMessage());
        }
    }

    /**
     * Writes what is held before the connection is closed, unless a write is blocked or the
     * connection was declared dead by a stalled write. A write under way that is not blocked (the
     * flusher's, or another thread's) is waited for, at most {@link #CLOSE_WAIT_NANOS}: closing the
     * socket under it would lose what it writes (the flusher takes what is held out of the
     * combiner before its write begins), and what is held is written after it under the write
     * lock. A write that starts meanwhile is bounded by the write timeout. A failure is the
     * connection's (logged here; the connection is being closed anyway).
     */
    void flushBeforeClose() {
        if (stall != null) {
            return;
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (writing()) {
            if (deadline - System.nanoTime() <= 0) {
                return; // blocked: the close aborts it
            }
            LockSupport.parkNanos(this, CLOSE_POLL_NANOS);
        }
        try {
            synchronized (writeLock) {
                combiner.flush();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "MQTT client " + settings.clientId + ": writing held packets before close failed: "
                    + e.getMessage());
        }
    }

    /** Writes held PUBACKs (not corked PUBLISHes, which have the flusher) when the reader role is given up. */
    void flushHeldAcksQuietly() {
        if (combiner.holding() && !combiner.holdingOnlyCorked()) {
            flushHeldQuietly();
        }
    }

    /**
     * Whether a thread may block for the ack of {@code p} while packets are held: only when
     * {@code p}'s PUBLISH was written (the broker acks it whatever follows) and only corked
     * PUBLISHes are held (no PUBACK the broker may wait for); the flusher writes them within its
     * delay. A pipelined publisher so combines the PUBLISHes it writes while it waits for the
     * oldest PUBACK.
     */
    boolean mayWaitHolding(Pending p) {
        return p != null && combiner.holdingOnlyCorked() && combiner.written(p.mark);
    }

    private void checkWritable() throws IOException {
        if (transport == null || watch == null) {
            throw client.lifecycle.notConnected();
        }
    }

    /** Writes bytes within the write timeout; caller holds {@link #writeLock}. */
    private void send(byte[] b, int off, int len) throws IOException {
        write(b, off, len, TimeUnit.MILLISECONDS.toNanos(settings.writeTimeoutMillis));
    }

    /**
     * The one write to the transport (after what the {@link WriteCombiner} holds): writes bytes, each chunk
     * within {@code timeoutNanos} (a chunk that takes longer makes the {@link WriteWatchdog}
     * close the connection). A failure fails the connection. Caller holds {@link #writeLock}.
     */
    private void write(byte[] b, int off, int len, long timeoutNanos) throws IOException {
        checkWritable();
        combiner.write(b, off, len, timeoutNanos); // after what it holds; a failure fails the connection
        client.keepAlive.lastSentNanos = System.nanoTime();
    }

    /**
     * Called by the {@link WriteWatchdog} when a write on {@code t} outlasted the write timeout:
     * the broker stopped reading. Closes the connection (which fails the blocked write) and
     * declares it dead.
     */
    private void stalled(WriteWatchdog.Watch w, Transport t) {
        w.unregister();
        if (watch != w) {
            return; // an earlier connection's
        }
        MqttException e = new MqttException(Reason.TIMEOUT, "write to " + client.settings.broker()
                + " made no progress for " + w.timeoutMillis()
                + " ms (write timeout): the broker stopped reading; connection declared dead");
        stall = e;
        LOG.log(Level.WARNING, () -> "MQTT client " + client.settings.clientId + ": " + e.getMessage());
        t.abort(); // first the TCP socket: closing TLS would try to write close_notify
        client.fail(e);
        t.close();
    }

    /**
     * The exception for an I/O failure of the connection: the write stall that closed it, if that
     * was the cause; {@code e} itself after a close by this client; else {@code e} with the broker named.
     */
    IOException connectionError(String action, IOException e) {
        MqttException stalled = stall;
        if (stalled != null) {
            return new MqttException(Reason.TIMEOUT, stalled.getMessage(), e);
        }
        if (client.state == ConnectionState.CLOSED) {
            return e;
        }
        return new IOException(action + " " + client.settings.broker() + " failed: " + e.getMessage(), e);
    }
}
