package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.simple.internal.WriteCombiner;
import io.umqtt.simple.internal.codec.ConnackDecoder;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.PingrespDecoder;
import io.umqtt.simple.internal.codec.PubackDecoder;
import io.umqtt.simple.internal.codec.PublishDecoder;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.UnsubackDecoder;
import io.umqtt.simple.internal.codec.Wire;

/**
 * What the reader does with a packet: decodes it in the read buffer ({@link #readConnack},
 * {@link #process}), completes acks in the {@link AckTable}, and delivers PUBLISHes to the
 * callback, acknowledging QoS 1 after it returns (when exactly: {@link InboundAcks}). Also the
 * loop ({@link #waitMsg}, {@link #checkMsg}, {@link #loop}) and the reading an ack wait does
 * ({@link #readUntilDone}).
 * <p>
 * The callback runs on the reader; a QoS 1 operation it makes reads on until its own ack arrives,
 * and PUBLISHes read meanwhile are queued here and delivered after the callback returns, so
 * callbacks never nest. The queue is bounded ({@link MqttClient#MAX_QUEUED_WHILE_CALLBACK_WAITS}
 * messages or 16 MiB): when it is full the reader stops reading (TCP holds the broker back).
 * <p>
 * Threading: owned by the thread holding the reader role, like {@link PacketReader}; no lock of
 * its own (the ack table takes the client's lock to complete an ack).
 */
final class Inbound {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());
    /** The bytes of PUBLISHes queued while a callback waits, beyond which reading pauses. */
    private static final long MAX_QUEUED_BYTES_WHILE_CALLBACK_WAITS = 16L * 1024 * 1024;

    private final MqttClient client;
    private final PacketReader reader;
    private final AckTable acks;
    private final KeepAlive keepAlive;
    private int callbackDepth;
    /** The PUBLISH last decoded (a flyweight over the read buffer). */
    private final PublishDecoder publishDecoder = new PublishDecoder();
    private ArrayDeque<Received> deferred;
    private long deferredBytes;

    Inbound(MqttClient client, PacketReader reader, AckTable acks, KeepAlive keepAlive) {
        this.client = client;
        this.reader = reader;
        this.acks = acks;
        this.keepAlive = keepAlive;
    }

    /** Starts a new connection: nothing queued, no callback running. */
    void reset() {
        deferredBytes = 0;
        callbackDepth = 0;
        if (deferred != null) {
            deferred.clear();
        }
    }

    /** {@link MqttClient#waitMsg()}: one step as the reader, waiting for a packet. */
    PacketType waitMsg() throws IOException {
        ReaderRole readers = client.readers;
        boolean owner = readers.acquire(true) == ReaderRole.OWNER;
        try {
            return step(PacketReader.WAIT);
        } finally {
            readers.release(owner);
        }
    }

    /** {@link MqttClient#checkMsg()}: one step without waiting, unless another thread reads. */
    PacketType checkMsg() throws IOException {
        ReaderRole readers = client.readers;
        int role = readers.acquire(false);
        if (role == ReaderRole.BUSY) {
            return PacketType.NONE; // another thread is reading and will process what comes
        }
        boolean owner = role == ReaderRole.OWNER;
        try {
            return step(PacketReader.POLL);
        } finally {
            readers.release(owner);
        }
    }

    /** {@link MqttClient#loop()}: steps as the reader until the connection is closed or lost. */
    void loop() throws IOException {
        ReaderRole readers = client.readers;
        boolean owner = false;
        try {
            owner = readers.acquire(true) == ReaderRole.OWNER;
            while (true) {
                try {
                    step(PacketReader.WAIT);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "message callback of MQTT client " + client.settings.clientId
                            + " threw; continuing", e);
                }
            }
        } catch (IOException e) {
            if (client.state == ConnectionState.CLOSED) {
                return;
            }
            throw e;
        } finally {
            readers.release(owner);
        }
    }

    /**
     * One loop step: delivers the messages queued while a callback ran, or reads (as {@code mode}
     * says) and processes one packet. Returns its type, NONE when nothing complete was read.
     */
    PacketType step(int mode) throws IOException {
        if (callbackDepth == 0 && hasDeferred()) {
            drainDeferred();
            return PacketType.PUBLISH;
        }
        if (client.state != ConnectionState.CONNECTED) {
            // lost while a callback ran (its own publish read on): the messages read before the loss
            // were delivered above; nothing buffered after the loss is framed, delivered or acked
            throw client.lifecycle.notConnected();
        }
        if (queueFull()) { // waitMsg or checkMsg called by a callback: no more PUBLISHes are read
            PacketType head = reader.headType();
            int total = reader.bufferedAck();
            if (total == 0) {
                return PacketType.NONE;
            }
            process(total);
            return head;
        }
        int total = reader.readPacket(mode, 0, true);
        if (total == 0) {
            return PacketType.NONE;
        }
        return process(total);
    }

    /**
     * The reader waiting for the ack of {@code p} (see {@link AckTable#awaitDone}): reads and
     * processes packets until {@code p} is done or the deadline passes (then gives it up).
     */
    void readUntilDone(Pending p, long deadline, boolean abandon) throws IOException {
        boolean paused = false;
        while (!p.done) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                acks.timeOut(p, paused ? pausedReason() : "");
                break;
            }
            if (queueFull()) {
                // back-pressure: read no more PUBLISHes until the callback returns
                paused = true;
                int total = reader.bufferedAck(); // an ack may be buffered already
                if (total > 0) {
                    process(total);
                } else {
                    acks.pauseReading(p, left, abandon);
                }
                continue;
            }
            reader.awaiting = p; // it may block for p's ack while only corked PUBLISHes are held
            int total;
            try {
                total = reader.readPacket(PacketReader.WAIT, deadline, false);
            } finally {
                reader.awaiting = null;
            }
            if (total > 0) {
                process(total);
            }
        }
    }

    /**
     * Whether the PUBLISHes queued while a callback runs reached their bound: then the reader reads
     * no more until the callback returns, and the broker is held back by TCP.
     */
    private boolean queueFull() {
        return callbackDepth > 0 && deferred != null && (deferred.size() >= MqttClient.MAX_QUEUED_WHILE_CALLBACK_WAITS
                || deferredBytes >= MAX_QUEUED_BYTES_WHILE_CALLBACK_WAITS);
    }

    private String pausedReason() {
        return ": reading paused while the " + deferred.size() + " messages (" + deferredBytes
                + " bytes) received meanwhile wait for the running callback to return (at most "
                + MqttClient.MAX_QUEUED_WHILE_CALLBACK_WAITS + " messages or " + MAX_QUEUED_BYTES_WHILE_CALLBACK_WAITS
                + " bytes are queued); the ack may be behind them";
    }

    /** Whether PUBLISHes read while a callback ran wait for delivery. */
    boolean hasDeferred() {
        return deferred != null && !deferred.isEmpty();
    }

    /** How many PUBLISHes wait for the running callback to return (tests). */
    int deferredCount() {
        return deferred == null ? 0 : deferred.size();
    }

    // ------------------------------------------------------------------ decoding
    // The packet read is framed at the head of the read buffer: reader.rbuf[reader.rpos], total
    // bytes. The methods below decode it there with the codec (io.umqtt.simple.internal.codec).

    private IOException fail(IOException e) {
        return client.fail(e);
    }

    private void consume(int total) {
        reader.consume(total);
    }

    private void complete(int id, PacketType type, int code) throws IOException {
        acks.complete(id, type, code);
    }

    boolean readConnack(int total, boolean cleanSession) throws IOException {
        byte[] rbuf = reader.rbuf; // the packet: rbuf[rpos..rpos+total)
        int rpos = reader.rpos;
        String server = client.settings.server;
        int port = client.settings.port;
        try {
            return ConnackDecoder.decode(rbuf, rpos, total, cleanSession, server, port);
        } catch (MqttException e) {
            throw fail(e);
        } finally {
            consume(total);
        }
    }

    PacketType process(int total) throws IOException {
        byte[] rbuf = reader.rbuf; // the packet: rbuf[rpos..rpos+total)
        int rpos = reader.rpos;
        String server = client.settings.server;
        int port = client.settings.port;
        PacketType type = FixedHeader.type(rbuf, rpos);
        int id = 0;
        int code = 0;
        try {
            switch (type) {
                case PUBLISH:
                    publishDecoder.decode(rbuf, rpos, total, server, port);
                    break;
                case PUBACK:
                    id = PubackDecoder.decode(rbuf, rpos, total);
                    break;
                case UNSUBACK:
                    id = UnsubackDecoder.decode(rbuf, rpos, total);
                    break;
                case SUBACK:
                    id = SubackDecoder.decode(rbuf, rpos, total);
                    code = SubackDecoder.returnCode(rbuf, rpos, total);
                    break;
                case PINGRESP:
                    PingrespDecoder.decode(rbuf, rpos, total);
                    break;
                case CONNACK:
                    throw Wire.protocol("unexpected CONNACK on an established connection");
                default: // PUBREC, PUBREL, PUBCOMP; client-only types were refused when framing
                    throw Wire.protocol("unexpected " + type + ": this client never uses QoS 2");
            }
        } catch (MqttException e) {
            throw fail(e);
        }
        if (type == PacketType.PUBLISH) {
            processPublish(total);
            return type;
        }
        consume(total);
        if (type == PacketType.PINGRESP) {
            keepAlive.pingOutstanding = false;
        } else {
            complete(id, type, code);
        }
        return type;
    }

    /** Delivers (or queues, while a callback runs) the PUBLISH {@link #publishDecoder} decoded. */
    private void processPublish(int total) throws IOException {
        byte[] rbuf = reader.rbuf;
        byte[] topic = publishDecoder.topic();
        byte[] payload = Arrays.copyOfRange(rbuf, publishDecoder.payloadOffset(), publishDecoder.payloadEnd());
        int qos = publishDecoder.qos();
        int id = publishDecoder.packetId();
        boolean retain = publishDecoder.retain();
        boolean dup = publishDecoder.dup();
        consume(total);
        if (callbackDepth > 0) {
            if (deferred == null) {
                deferred = new ArrayDeque<>();
            }
            deferred.add(new Received(topic, payload, retain, dup, qos, id));
            deferredBytes += topic.length + payload.length;
            return;
        }
        dispatch(topic, payload, retain, dup, qos, id);
        drainDeferred();
    }

    private void drainDeferred() throws IOException {
        while (deferred != null && !deferred.isEmpty()) {
            Received r = deferred.poll();
            deferredBytes -= r.topic.length + r.payload.length;
            dispatch(r.topic, r.payload, r.retain, r.dup, r.qos, r.id);
        }
    }

    private void dispatch(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id)
            throws IOException {
        MessageCallback cb = client.settings.callback;
        if (client.outbound.holding()
                && System.nanoTime() - client.outbound.heldSince() - WriteCombiner.FLUSH_DELAY_NANOS > 0) {
            client.outbound.flushHeld(); // PUBACKs held for a while: written before another callback may take long
        }
        callbackDepth++;
        long slot = client.inboundAcks.received(qos, id); // when its ack is written: InboundAcks decides
        Throwable thrown = null;
        try {
            if (cb != null) {
                cb.message(topic, payload, retain, dup, qos);
            } else {
                LOG.log(Level.WARNING, () -> "MQTT client " + client.settings.clientId + " has no callback: message on '"
                        + new String(topic, StandardCharsets.UTF_8) + "' (" + payload.length + " bytes) not delivered");
            }
        } catch (RuntimeException | Error e) {
            thrown = e;
            throw e;
        } finally {
            callbackDepth--;
            client.inboundAcks.callbackEnded();
            // once the connection is lost (say while the callback's own publish read on) there is
            // nothing to ack on: the messages read before the loss are still delivered, then the
            // loss is reported, and an operation whose ack was read before the loss still succeeds
            if (qos == 1 && client.state == ConnectionState.CONNECTED) {
                // held while a PUBLISH follows that the reader processes at once (written before it blocks)
                IOException notAcked = client.inboundAcks.afterCallback(slot, id, thrown,
                        hasDeferred() || reader.wholePublishNext());
                if (notAcked != null) {
                    throw notAcked; // acknowledging after processing: the callback threw, the connection is closed
                }
            }
        }
    }

    /** A PUBLISH read while a callback ran, delivered after it. */
    private static final class Received {
        final byte[] topic;
        final byte[] payload;
        final boolean retain;
        final boolean dup;
        final int qos;
        final int id;

        Received(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id) {
            this.topic = topic;
            this.payload = payload;
            this.retain = retain;
            this.dup = dup;
            this.qos = qos;
            this.id = id;
        }
    }
}
