package io.umqtt.simple;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.BitSet;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.simple.internal.WriteCombiner;
import io.umqtt.simple.internal.codec.ConnackDecoder;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.PingrespDecoder;
import io.umqtt.simple.internal.codec.PubackDecoder;
import io.umqtt.simple.internal.codec.PubcompDecoder;
import io.umqtt.simple.internal.codec.PubcompEncoder;
import io.umqtt.simple.internal.codec.PubrecDecoder;
import io.umqtt.simple.internal.codec.PubrelDecoder;
import io.umqtt.simple.internal.codec.PubrelEncoder;
import io.umqtt.simple.internal.codec.PublishDecoder;
import io.umqtt.simple.internal.codec.SubackDecoder;
import io.umqtt.simple.internal.codec.UnsubackDecoder;
import io.umqtt.simple.internal.codec.Wire;

/**
 * What the reader does with a packet: decodes it in the read buffer ({@link #readConnack},
 * {@link #process}), completes acks in the {@link AckTable}, and delivers PUBLISHes to the
 * callback, acknowledging QoS 1 and 2 after it returns ({@link #acknowledge}; when
 * exactly: {@link InboundAcks}). QoS 2: each packet id
 * is delivered once until its PUBREL ({@link #firstReceipt}); our own QoS 2 publishes are
 * released (PUBREL) when their PUBREC is read. Also the loop ({@link #waitMsg},
 * {@link #checkMsg}, {@link #loop}) and the reading an ack wait does ({@link #readUntilDone}).
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
    /**
     * The packet ids of QoS 2 PUBLISHes received (delivered, or queued for delivery) whose PUBREL
     * has not come: the session's receiving state, kept across connections of this client object
     * while the broker keeps the session (CONNACK session present), cleared when it does not.
     * Allocated with the first QoS 2 message.
     */
    private BitSet awaitingRelease;
    private long deferredBytes;

    Inbound(MqttClient client, PacketReader reader, AckTable acks, KeepAlive keepAlive) {
        this.client = client;
        this.reader = reader;
        this.acks = acks;
        this.keepAlive = keepAlive;
    }

    /** Starts a new connection: nothing queued, no callback running. */
    void reset() {
        if (client.session5.v5) { // MQTT 5 (core5): a new topic alias table for this connection
            publishDecoder.mqtt5(client.session5.sentTopicAliasMaximum);
        } else {
            publishDecoder.mqtt311();
        }
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

    private void complete(int id, PacketType type, int code, int[] codes) throws IOException {
        acks.complete(id, type, code, codes);
    }

    boolean readConnack(int total, boolean cleanSession) throws IOException {
        byte[] rbuf = reader.rbuf; // the packet: rbuf[rpos..rpos+total)
        int rpos = reader.rpos;
        String server = client.settings.server;
        int port = client.settings.port;
        try {
            boolean sessionPresent = client.session5.v5
                    ? client.session5.readConnack(rbuf, rpos, total, cleanSession)
                    : ConnackDecoder.decode(rbuf, rpos, total, cleanSession, server, port);
            if (!sessionPresent && awaitingRelease != null) {
                awaitingRelease.clear(); // a new session: the broker resends none of the old QoS 2 messages
            }
            if (client.session5.v5) {
                client.session5.inboundInFlight.set(awaitingReleaseCount()); // in flight until their PUBCOMP
            }
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
        if (client.session5.v5 && type != PacketType.PUBLISH && type != PacketType.PINGRESP) {
            return process5(type, total);
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
                    id = PubackDecoder.decode(rbuf, rpos, total);
                    break;
                case PUBREC:
                    id = PubrecDecoder.decode(rbuf, rpos, total);
                    break;
                case PUBREL:
                    id = PubrelDecoder.decode(rbuf, rpos, total);
                    break;
                case PUBCOMP:
                    id = PubcompDecoder.decode(rbuf, rpos, total);
                    break;
                case UNSUBACK:
                    id = UnsubackDecoder.decode(rbuf, rpos, total);
                    break;
                case SUBACK:
                    id = SubackDecoder.decode(rbuf, rpos, total);
                    codes = SubackDecoder.returnCodes(rbuf, rpos, total);
                    code = codes[0];
                    break;
                case PINGRESP:
                    PingrespDecoder.decode(rbuf, rpos, total);
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
            release(id);
        } else if (type == PacketType.PUBREL) {
            released(id);
        } else {
            complete(id, type, code, codes);
        }
        return type;
    }

    // ------------------------------------------------------------------ QoS 2

    /**
     * Our QoS 2 PUBLISH {@code id} was received by the broker (PUBREC): lets the client record the
     * step ({@link MqttClient#beforePubrel}, the robust client's durable queue), then answers
     * PUBREL (in the order the PUBRECs arrive, MQTT-4.6.0-4). A PUBREC nothing awaits is answered
     * too, so that the broker releases the packet id.
     */
    private void release(int id) throws IOException {
        Pending p = acks.pubrec(id);
        if (client.state != ConnectionState.CONNECTED) {
            return; // lost meanwhile: the flow (its PUBREC seen) resumes at PUBREL on the next connection of the session
        }
        if (p != null && !p.abandoned) {
            try {
                client.beforePubrel(p);
            } catch (IOException | RuntimeException e) {
                // the step could not be recorded: no PUBREL now; the robust client records it before it resumes
                throw fail(new IOException("MQTT client " + client.settings.clientId + " on " + client.settings.broker()
                        + ": could not record the PUBREC of packet id " + id + " before its PUBREL: " + e, e));
            }
        }
        client.outbound.writeAck(PubrelEncoder.HEADER, id, false);
    }

    /**
     * The broker released a QoS 2 PUBLISH it sent us (PUBREL): the packet id may be delivered again
     * as a new message; answers PUBCOMP, also for an id not awaiting PUBREL (section 4.3.3: the
     * receiver responds to every PUBREL, e.g. one resent after a reconnect whose PUBCOMP was lost).
     */
    private void released(int id) throws IOException {
        if (awaitingRelease == null || !awaitingRelease.get(id)) {
            LOG.log(Level.DEBUG, () -> "MQTT client " + client.settings.clientId + ": PUBREL for packet id " + id
                    + ", which awaits no PUBREL; answering PUBCOMP");
        } else {
            awaitingRelease.clear(id);
            if (client.session5.v5) {
                client.session5.acknowledged(); // its PUBCOMP follows: out of the Receive Maximum
            }
        }
        if (client.state == ConnectionState.CONNECTED) {
            client.outbound.writeAck(PubcompEncoder.HEADER, id, false);
        }
    }

    /**
     * Records that the QoS 2 PUBLISH {@code id} was received; false when it already was and its
     * PUBREL has not come yet: then it is a duplicate (the broker resends it, with DUP, until it
     * has our PUBREC; MQTT-4.3.3-2), acknowledged again but not delivered again.
     */
    private boolean firstReceipt(int id) {
        if (awaitingRelease == null) {
            awaitingRelease = new BitSet();
        }
        if (awaitingRelease.get(id)) {
            return false;
        }
        awaitingRelease.set(id);
        return true;
    }

    /** The QoS 2 packet ids received and awaiting PUBREL (tests). */
    /**
     * Forgets QoS 2 packet ids received on the previous connection whose PUBREC was never written
     * (acknowledging after processing: their processing failed or had not finished), so that the
     * broker's resend in the kept session is delivered again instead of taken for a duplicate.
     * Called while no reader runs (connecting).
     */
    void forgetReceived(int[] ids) {
        if (awaitingRelease != null) {
            for (int id : ids) {
                awaitingRelease.clear(id);
            }
        }
    }

    int awaitingReleaseCount() {
        return awaitingRelease == null ? 0 : awaitingRelease.cardinality();
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
        boolean deliver = qos < 2 || firstReceipt(id);
        boolean inFlight = deliver;
        if (deliver && client.session5.v5 && client.requests.offer(topic, payload, retain, qos, properties)) {
            deliver = false; // sub5: a response to a request (or a late one), not for the callback; acknowledged
        }
        if (qos > 0 && inFlight && client.session5.v5) {
            try {
                client.session5.received(id); // MQTT 5: within the Receive Maximum the client announced
            } catch (MqttException e) {
                throw fail(e);
            }
        }
        if (callbackDepth > 0) {
            if (deferred == null) {
                deferred = new ArrayDeque<>();
            }
            deferred.add(new Received(topic, payload, retain, dup, qos, id, deliver, properties));
            deferredBytes += topic.length + payload.length;
            return;
        }
        dispatch(topic, payload, retain, dup, qos, id, deliver, properties);
        drainDeferred();
    }

    private void drainDeferred() throws IOException {
        while (deferred != null && !deferred.isEmpty()) {
            Received r = deferred.poll();
            deferredBytes -= r.topic.length + r.payload.length;
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
                    + "callback: " + (qos == 2 && !client.requests.isResponseTopic(topic)
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
        reader.acking = qos == 1; // coalesced reads pay off where PUBACKs are written (see PacketReader)
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
     * {@link #forgetReceived}).
     */
    private void acknowledge(long slot, int qos, int id, Throwable thrown) throws IOException {
        if (qos == 0 || client.state != ConnectionState.CONNECTED) {
            return;
        }
        // held while a PUBLISH follows that the reader processes at once (written before it blocks)
        IOException notAcked = client.inboundAcks.afterCallback(slot, qos, id, thrown,
                hasDeferred() || reader.wholePublishNext());
        if (notAcked != null) {
            throw notAcked; // acknowledging after processing: the callback threw, the connection is closed
        }
    }

    // ------------------------------------------------------------------ MQTT 5 (core5)

    private final io.umqtt.simple.internal.codec.Acks5 acks5 = new io.umqtt.simple.internal.codec.Acks5();
    private final io.umqtt.simple.internal.codec.Disconnect5 disconnect5 = new io.umqtt.simple.internal.codec.Disconnect5();
    private final io.umqtt.simple.internal.codec.PropertyReader properties5 =
            new io.umqtt.simple.internal.codec.PropertyReader();

    /**
     * {@link #process} on an MQTT 5 connection for what is not PUBLISH or PINGRESP: the acks of
     * QoS 1 and 2 with reason codes (a refusal, 0x80 or more, fails the publish with
     * PUBLISH_REFUSED; a refused PUBREC ends the flow without PUBREL, section 4.3.3), SUBACK and
     * UNSUBACK with their reason codes (sub5: {@link io.umqtt.simple.internal.codec.SubscribeAck5}),
     * AUTH of a re-authentication ({@link AuthExchange}), and the server's DISCONNECT, which ends the
     * connection with DISCONNECTED_BY_SERVER.
     */
    private PacketType process5(PacketType type, int total) throws IOException {
        byte[] rbuf = reader.rbuf;
        int rpos = reader.rpos;
        int id = 0;
        io.umqtt.simple.internal.codec.SubscribeAck5 subscribeAck = null;
        io.umqtt.simple.internal.codec.AuthCodec auth = null;
        try {
            switch (type) {
                case PUBACK:
                case PUBREC:
                case PUBREL:
                case PUBCOMP:
                    acks5.decode(type, rbuf, rpos, total);
                    id = acks5.packetId();
                    break;
                case SUBACK: // sub5
                    subscribeAck = io.umqtt.simple.internal.codec.SubscribeAck5.suback(rbuf, rpos, total, properties5);
                    id = subscribeAck.packetId;
                    break;
                case UNSUBACK: // sub5
                    subscribeAck = io.umqtt.simple.internal.codec.SubscribeAck5.unsuback(rbuf, rpos, total,
                            properties5);
                    id = subscribeAck.packetId;
                    break;
                case AUTH: // sub5
                    auth = io.umqtt.simple.internal.codec.AuthCodec.decode(rbuf, rpos, total, properties5);
                    break;
                case DISCONNECT:
                    disconnect5.decode(rbuf, rpos, total);
                    break;
                case CONNACK:
                    throw io.umqtt.simple.internal.codec.Properties.protocolError(
                            "unexpected CONNACK on an established connection (MQTT-3.2.0-2)");
                default: // client-only types were refused when framing
                    throw io.umqtt.simple.internal.codec.Properties.protocolError("unexpected " + type + " from "
                            + client.settings.broker());
            }
        } catch (MqttException e) {
            throw fail(e);
        }
        consume(total);
        switch (type) {
            case DISCONNECT:
                throw fail(client.session5.serverDisconnected(disconnect5));
            case PUBREC:
                if (acks5.reasonCode() >= 0x80) {
                    acks.refused(id, type, refusal(type, id, acks5.reasonCode(), acks5.reasonString()));
                } else {
                    release(id);
                }
                break;
            case PUBREL:
                released(id);
                break;
            case PUBACK:
            case PUBCOMP:
                if (acks5.reasonCode() >= 0x80) {
                    acks.refused(id, type, refusal(type, id, acks5.reasonCode(), acks5.reasonString()));
                } else {
                    complete(id, type, acks5.reasonCode(), null);
                }
                break;
            case SUBACK:
            case UNSUBACK: // sub5: one reason code per filter, checked against the (UN)SUBSCRIBE
                acks.complete(id, type, subscribeAck.codes[0], subscribeAck.codes, subscribeAck.reasonString);
                break;
            default: // AUTH (sub5): a step of the re-authentication the client started
                authenticated(auth);
                break;
        }
        return type;
    }

    // ------------------------------------------------------------------ MQTT 5 (sub5)

    /**
     * The reader is connecting (MQTT 5) and read an AUTH before CONNACK: hands it to the
     * {@link AuthExchange}, which answers the broker's challenge (written here) or fails.
     */
    void readAuth(int total) throws IOException {
        io.umqtt.simple.internal.codec.AuthCodec auth;
        try {
            auth = io.umqtt.simple.internal.codec.AuthCodec.decode(reader.rbuf, reader.rpos, total, properties5);
        } catch (MqttException e) {
            throw fail(e);
        } finally {
            consume(total);
        }
        authenticated(auth);
    }

    /** Lets the {@link AuthExchange} handle the broker's AUTH, writing its answer, if any. */
    private void authenticated(io.umqtt.simple.internal.codec.AuthCodec auth) throws IOException {
        byte[] answer;
        try {
            answer = client.auth.received(auth);
        } catch (MqttException e) {
            throw fail(e);
        }
        if (answer != null) {
            client.outbound.writePacket(answer);
        }
    }

    /** The failure of a publish its ack refused: PUBLISH_REFUSED with the reason code and string. */
    private MqttException refusal(PacketType type, int id, int code, String reasonString) {
        return new MqttException(MqttException.Reason.PUBLISH_REFUSED, code, reasonString, "broker "
                + client.settings.broker() + " refused the publish of packet id " + id + ": "
                + MqttException.reasonCodeName(code) + String.format(" (%s reason code 0x%02X)", type, code)
                + (reasonString != null ? ": " + reasonString : ""));
    }

    /** A PUBLISH read while a callback ran, delivered after it. */
    private static final class Received {
        final byte[] topic;
        final byte[] payload;
        final boolean retain;
        final boolean dup;
        final int qos;
        final int id;
        /** False for a QoS 2 duplicate: acknowledged, not delivered. */
        final boolean deliver;
        final io.umqtt.api.MqttProperties properties;

        Received(byte[] topic, byte[] payload, boolean retain, boolean dup, int qos, int id, boolean deliver,
                io.umqtt.api.MqttProperties properties) {
            this.properties = properties;
            this.deliver = deliver;
            this.topic = topic;
            this.payload = payload;
            this.retain = retain;
            this.dup = dup;
            this.qos = qos;
            this.id = id;
        }
    }
}
