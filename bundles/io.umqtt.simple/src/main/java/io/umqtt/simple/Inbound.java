package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.simple.internal.WriteCombiner;
import io.umqtt.simple.internal.codec.ConnackDecoder;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.PublishDecoder;
import io.umqtt.simple.internal.codec.ShortPackets;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.Wire;

/**
 * What the reader does with a packet: decodes it in the read buffer ({@link #readConnack},
 * {@link #process}), completes acks in the {@link AckTable}, and delivers PUBLISHes to the
 * callback, acknowledging QoS 1 and 2 after it returns ({@link #acknowledge}; when exactly:
 * {@link InboundAcks}). Also the loop ({@link #waitMsg}, {@link #checkMsg}, {@link #loop}) and the
 * reading an ack wait does ({@link #readUntilDone}). Its parts: {@link DeferredMessages}, the
 * PUBLISHes read while a callback waits for an ack (delivered after it returns, so callbacks never
 * nest; when it is full the reader stops reading); {@link Qos2Handshakes}, PUBREL, PUBCOMP and
 * once-only delivery of QoS 2; {@link Inbound5}, the MQTT 5 packets other than PUBLISH and PINGRESP.
 * <p>
 * Threading: owned by the thread holding the reader role, like {@link PacketReader}, and so are its
 * parts; no lock of its own (the ack table takes the client's lock to complete an ack).
 */
final class Inbound {
    private static final System.Logger LOG = System.getLogger(MqttClient.class.getName());

    private final MqttClient client;
    private final PacketReader reader;
    private final AckTable acks;
    private final KeepAlive keepAlive;
    private int callbackDepth;
    /** The PUBLISH last decoded (a flyweight over the read buffer). */
    private final PublishDecoder publishDecoder = new PublishDecoder();
    /** The PUBLISHes read while a callback waits, delivered after it returns. */
    final DeferredMessages deferred = new DeferredMessages();
    /** The QoS 2 handshakes: PUBREL for our PUBRECs, once-only delivery, PUBCOMP for PUBRELs. */
    final Qos2Handshakes qos2;
    /** MQTT 5: the packets other than PUBLISH and PINGRESP; made with the first ({@link #mqtt5()}). */
    private Inbound5 mqtt5;

    Inbound(MqttClient client, PacketReader reader, AckTable acks, KeepAlive keepAlive) {
        this.client = client;
        this.reader = reader;
        this.acks = acks;
        this.keepAlive = keepAlive;
        this.qos2 = new Qos2Handshakes(client);
    }

    /** The MQTT 5 part, made on the first MQTT 5 packet that needs it (an MQTT 3.1.1 client has none). */
    Inbound5 mqtt5() {
        if (mqtt5 == null) {
            mqtt5 = new Inbound5(client, reader, acks, qos2);
        }
        return mqtt5;
    }

    /** Starts a new connection: nothing queued, no callback running. */
    void reset() {
        if (Session5.v5(client)) { // MQTT 5 (core5): a new topic alias table for this connection
            publishDecoder.mqtt5(client.session5.sentTopicAliasMaximum);
        } else {
            publishDecoder.mqtt311();
        }
        callbackDepth = 0;
        deferred.clear();
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
        if (callbackDepth == 0 && !deferred.isEmpty()) {
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
     * The reader waiting for the ack of {@code p} (see {@link AckWaits#awaitDone}): reads and
     * processes packets until {@code p} is done or the deadline passes (then gives it up).
     */
    void readUntilDone(Pending p, long deadline, boolean abandon) throws IOException {
        boolean paused = false;
        while (!p.done) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                acks.timeOut(p, paused ? deferred.pausedReason() : "");
                break;
            }
            if (queueFull()) {
                // back-pressure: read no more PUBLISHes until the callback returns
                paused = true;
                int total = reader.bufferedAck(); // an ack may be buffered already
                if (total > 0) {
                    process(total);
                } else {
                    acks.waits.pauseReading(p, left, abandon);
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
        return callbackDepth > 0 && deferred.full();
    }

    /** How many PUBLISHes wait for the running callback to return (tests). */
    int deferredCount() {
        return deferred.count();
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

    private void complete(int id, PacketType type, int code, int[] codes) throws IOException {
        acks.complete(id, type, code, codes);
    }

    boolean readConnack(int total, boolean cleanSession) throws IOException {
        byte[] rbuf = reader.rbuf; // the packet: rbuf[rpos..rpos+total)
        int rpos = reader.rpos;
        String server = client.settings.server;
        int port = client.settings.port;
        try {
            boolean sessionPresent = Session5.v5(client)
                    ? client.session5.readConnack(rbuf, rpos, total, cleanSession)
                    : ConnackDecoder.decode(rbuf, rpos, total, cleanSession, server, port);
            qos2.connected(sessionPresent);
            return sessionPresent;
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
        if (Session5.v5(client) && type != PacketType.PUBLISH && type != PacketType.PINGRESP) {
            return mqtt5().process(type, total);
        }
        int id = 0;
        int code = 0;
        int[] codes = null;
        try {
            switch (type) {
                case PUBLISH:
                    publishDecoder.decode(rbuf, rpos, total, server, port);
                    break;
                case PUBACK:
                    id = ShortPackets.decodePuback(rbuf, rpos, total);
                    break;
                case PUBREC:
                    id = ShortPackets.decodePubrec(rbuf, rpos, total);
                    break;
                case PUBREL:
                    id = ShortPackets.decodePubrel(rbuf, rpos, total);
                    break;
                case PUBCOMP:
                    id = ShortPackets.decodePubcomp(rbuf, rpos, total);
                    break;
                case UNSUBACK:
                    id = ShortPackets.decodeUnsuback(rbuf, rpos, total);
                    break;
                case SUBACK:
                    id = SubackDecoder.decode(rbuf, rpos, total);
                    codes = SubackDecoder.returnCodes(rbuf, rpos, total);
                    code = codes[0];
                    break;
                case PINGRESP:
                    ShortPackets.decodePingresp(rbuf, rpos, total);
                    break;
                case CONNACK:
                    throw Wire.protocol("unexpected CONNACK on an established connection");
                default: // client-only types were refused when framing
                    throw Wire.protocol("unexpected " + type + " from " + server + ":" + port);
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
        } else if (type == PacketType.PUBREC) {
            qos2.release(id);
        } else if (type == PacketType.PUBREL) {
            qos2.released(id);
        } else {
            complete(id, type, code, codes);
        }
        return type;
    }

    /** The QoS 2 packet ids received and awaiting PUBREL (tests). */
    int awaitingReleaseCount() {
        return qos2.awaitingReleaseCount();
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
        io.umqtt.api.MqttProperties properties = publishDecoder.properties();
        consume(total);
        boolean deliver = qos < 2 || qos2.firstReceipt(id);
        boolean inFlight = deliver;
        if (deliver && Session5.v5(client) && client.session5.requests.offer(topic, payload, retain, qos, properties)) {
            deliver = false; // sub5: a response to a request (or a late one), not for the callback; acknowledged
        }
        if (qos > 0 && inFlight && Session5.v5(client)) {
            try {
                client.session5.received(id); // MQTT 5: within the Receive Maximum the client announced
            } catch (MqttException e) {
                throw fail(e);
            }
        }
        if (callbackDepth > 0) {
            deferred.add(topic, payload, retain, dup, qos, id, deliver, properties);
            return;
        }
        dispatch(topic, payload, retain, dup, qos, id, deliver, properties);
        drainDeferred();
    }

    private void drainDeferred() throws IOException {
        DeferredMessages.Received r;
        while ((r = deferred.poll()) != null) {
            dispatch(r.topic, r.payload, r.retain, r.dup, r.qos, r.id, r.deliver, r.properties);
        }
    }

    /**
     * Calls the callback with a received PUBLISH (unless {@code deliver} is false: a QoS 2
     * duplicate, only acknowledged), then {@link #acknowledge}s it.
     */
    private void dispatch(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id,
            boolean deliver, io.umqtt.api.MqttProperties properties) throws IOException {
        if (!deliver) {
            LOG.log(Level.DEBUG, () -> "MQTT client " + client.settings.clientId + ": PUBLISH packet id " + id
                    + " on '" + new String(topic, StandardCharsets.UTF_8) + "' acknowledged, not delivered to the "
                    + "callback: " + (qos == 2 && !Session5.isResponseTopic(client, topic)
                            ? "QoS 2, received again before its PUBREL" : "a response to a request"));
            long slot = client.inboundAcks.received(qos, id); // in order behind the acks still held
            client.inboundAcks.callbackEnded();
            acknowledge(slot, qos, id, null);
            return;
        }
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
                cb.message(topic, payload, retain, dup, qos, properties);
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
            acknowledge(slot, qos, id, thrown);
        }
    }

    /**
     * The one place that decides when a received PUBLISH is acknowledged, once its delivery is
     * over (or, for a QoS 2 duplicate, at once): PUBACK at QoS 1, PUBREC at QoS 2, in the order the
     * PUBLISHes were received (MQTT-4.6.0-2, -3); with acknowledging after processing on, only once
     * the callback returned normally and its holds were released ({@link InboundAcks}). Once the
     * connection is lost (say while the callback's own publish read on) there is nothing to ack on:
     * the messages read before the loss are still delivered, then the loss is reported, and an
     * operation whose ack was read before the loss still succeeds; a QoS 2 message stays recorded
     * as received, so the broker's resend in the same session is acknowledged without a second
     * delivery (acknowledging after processing: only if its PUBREC was written, see
     * {@link Qos2Handshakes#forgetReceived}).
     */
    private void acknowledge(long slot, int qos, int id, Throwable thrown) throws IOException {
        if (qos == 0 || client.state != ConnectionState.CONNECTED) {
            return;
        }
        // held while a PUBLISH follows that the reader processes at once (written before it blocks)
        IOException notAcked = client.inboundAcks.afterCallback(slot, qos, id, thrown,
                !deferred.isEmpty() || reader.wholePublishNext());
        if (notAcked != null) {
            throw notAcked; // acknowledging after processing: the callback threw, the connection is closed
        }
    }
}
