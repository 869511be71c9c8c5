package io.umqtt.fuzz;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.MessageCallback;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.PublishToken;

/**
 * Runs one {@link Case} against a real {@link MqttClient} over the {@link MemoryTransport} (the
 * client's {@code socket} transport) or a {@link LoopbackServer} (real loopback TCP, the client's
 * default {@code channel} transport): connect,
 * the case's operation, then its reader until the connection ends; then close. Records what the
 * client delivered and wrote, how the connection ended, every exception, and whether the socket
 * was closed. One driver per worker thread; the {@link Watch} lets the watchdog reach the client.
 */
final class Driver {
    /** Polls of {@code checkMsg()} without a byte read after which the reader is given up. */
    static final int CHECK_IDLE_POLLS = 64;
    private static final byte[] FILTER_TOPIC = "fuzz/out".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PAYLOAD = {'p'};
    private static final byte[] NESTED_TOPIC = "fuzz/nested".getBytes(StandardCharsets.UTF_8);

    /** Where the watchdog finds the client a worker is driving. */
    static final class Watch {
        volatile MqttClient client;
        volatile long startNanos;
        volatile long index = -1;
        volatile boolean closedByWatchdog;
        volatile String hangStack;
        final Thread thread;

        Watch(Thread thread) {
            this.thread = thread;
        }
    }

    private Driver() {
    }

    /** Runs {@code c} over the in-memory transport. */
    static Observed run(Case c, Watch watch) {
        return run(c, watch, null);
    }

    /** Runs {@code c} over {@code server}'s loopback TCP, or in memory when it is null. */
    static Observed run(Case c, Watch watch, LoopbackServer server) {
        ServerLink conn;
        int port = 1883;
        if (server == null) {
            MemoryTransport.Connection memory = new MemoryTransport.Connection(c.data, c.ends, c.late);
            MemoryTransport.prepare(memory);
            conn = memory;
        } else {
            conn = server.serve(c);
            port = server.port();
        }
        MqttClient client = new MqttClient("fuzz", "127.0.0.1", port);
        Observed o = new Observed();
        client.setConnectTimeout(60_000);
        client.setAckTimeout(60_000);
        client.setReadTimeout(60_000);
        client.setMaxPacketSize(c.maxPacket);
        if (c.version == 5) {
            client.setProtocolVersion(5);
            client.setTopicAliasMaximum(c.aliasMax);
        }
        client.setCallback(new MessageCallback() {
            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos) {
                o.problems.add("model: the client called the 5-argument callback, not the one with properties");
                delivered(topic, msg, retain, dup, qos, null);
            }

            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos, MqttProperties props) {
                String text = null;
                if (props == null) {
                    o.problems.add("properties-null: the callback was given null properties");
                } else if (c.version == 5) {
                    text = canonical(props);
                    if (props.isEmpty() && props != MqttProperties.EMPTY) {
                        o.problems.add("properties-allocated: a message without properties was given a new empty "
                                + "MqttProperties, not MqttProperties.EMPTY");
                    }
                } else if (props != MqttProperties.EMPTY) {
                    o.problems.add("properties-on-3.1.1: an MQTT 3.1.1 message came with " + props);
                }
                delivered(topic, msg, retain, dup, qos, text);
            }

            private void delivered(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos, String props) {
                o.delivered.add(new Message(topic, msg, qos, retain, dup, 0, props));
                if (c.nest && o.delivered.size() == 1) {
                    nestedPublish(client, o);
                }
            }
        });
        if (watch != null) {
            watch.closedByWatchdog = false;
            watch.client = client;
            watch.startNanos = System.nanoTime();
        }
        List<PublishToken> tokens = new ArrayList<>();
        boolean closedAfterClose;
        try {
            try {
                client.connect(true);
            } catch (Throwable e) {
                record(o, e);
                o.problems.add("connect-failed: " + e);
                return o;
            }
            operation(c, client, o, tokens);
            if (client.state() == ConnectionState.CONNECTED) {
                read(c, client, conn, o);
            }
            IOException failure = client.failure();
            o.end = failure == null ? Observed.NONE : endKind(failure);
            o.endMessage = failure == null ? null : failure.getMessage();
            if (failure != null) {
                if (!conn.clientClosed()) {
                    o.problems.add("leak:socket-open-after-loss");
                }
                if (client.state() != ConnectionState.LOST) {
                    o.problems.add("state-after-loss:" + client.state());
                }
            }
        } finally {
            client.close();
            if (watch != null) {
                watch.startNanos = 0;
                watch.client = null;
                o.hung = watch.closedByWatchdog;
                Thread.interrupted(); // an interrupt the watchdog sent must not reach the next stream
            }
            closedAfterClose = conn.clientClosed();
            conn.end();
        }
        if (!closedAfterClose) {
            o.problems.add("leak:socket-open-after-close");
        }
        o.tokenAcked = new boolean[tokens.size()];
        o.tokenDone = new boolean[tokens.size()];
        for (int i = 0; i < tokens.size(); i++) {
            PublishToken t = tokens.get(i);
            o.tokenDone[i] = t.isDone();
            o.tokenAcked[i] = t.isDone() && t.failure() == null;
        }
        outbound(c, conn.written(), o);
        return o;
    }

    /** MQTT 5 properties as delivered, in the reference's canonical form ({@link Reference5.Props#canonical()}). */
    static String canonical(MqttProperties p) {
        List<String[]> user = new ArrayList<>();
        for (UserProperty u : p.userProperties()) {
            user.add(new String[] {u.name(), u.value()});
        }
        List<Integer> ids = new ArrayList<>();
        for (int id : p.subscriptionIdentifiers()) {
            ids.add(id);
        }
        return Reference5.Props.canonical(p.payloadFormat(), p.messageExpiryInterval(), p.contentType(),
                p.responseTopic(), p.correlationData(), user, ids);
    }

    /** The callback's QoS 1 publish: it reads on until its PUBACK, deferring the messages read meanwhile. */
    private static void nestedPublish(MqttClient client, Observed o) {
        try {
            client.publish(NESTED_TOPIC, PAYLOAD, false, 1);
            o.nestResult = "ok";
        } catch (MqttException e) {
            record(o, e);
            o.nestResult = result(e);
        } catch (IOException e) {
            record(o, e);
            o.nestResult = "lost";
        } catch (RuntimeException e) {
            record(o, e);
            o.nestResult = "threw:" + e.getClass().getName();
        }
    }

    private static void operation(Case c, MqttClient client, Observed o, List<PublishToken> tokens) {
        try {
            switch (c.op) {
                case SUBSCRIBE:
                    o.opResult = "granted:" + client.subscribe("fuzz/#", Case.SUBSCRIBE_QOS);
                    break;
                case UNSUBSCRIBE:
                    client.unsubscribe("fuzz/#");
                    o.opResult = "ok";
                    break;
                case PUBLISH:
                    client.publish(FILTER_TOPIC, PAYLOAD, false, 1);
                    o.opResult = "ok";
                    break;
                case ASYNC:
                    for (int i = 0; i < c.asyncCount; i++) {
                        tokens.add(client.publishAsync(FILTER_TOPIC, PAYLOAD, false, 1));
                    }
                    o.opResult = "sent";
                    if (c.awaitFirst) {
                        tokens.get(0).await();
                    }
                    break;
                default:
                    break;
            }
        } catch (MqttException e) {
            record(o, e);
            if (c.op != Case.Op.ASYNC || e.reason() == MqttException.Reason.SUBSCRIPTION_REFUSED) {
                // a protocol error read while waiting for the ack is the connection's loss, thrown as it is
                o.opResult = result(e);
            }
        } catch (IOException e) {
            record(o, e);
            if (c.op != Case.Op.ASYNC) {
                o.opResult = "lost";
            }
        } catch (Throwable e) {
            record(o, e);
            o.opResult = "threw:" + e.getClass().getName();
        }
    }

    private static void read(Case c, MqttClient client, ServerLink conn, Observed o) {
        try {
            switch (c.reader) {
                case WAIT:
                    while (true) {
                        client.waitMsg();
                    }
                case LOOP:
                    client.loop();
                    o.problems.add("loop-returned: loop() returned normally on a connection nobody closed");
                    break;
                default:
                    long lastPosition = -1;
                    int idle = 0;
                    long idleSince = 0;
                    while (true) {
                        if (client.checkMsg() != PacketType.NONE) {
                            idle = 0;
                            idleSince = 0;
                            continue;
                        }
                        long position = conn.progress();
                        if (position != lastPosition) {
                            lastPosition = position;
                            idle = 0;
                            idleSince = 0;
                        } else {
                            if (idleSince == 0) {
                                idleSince = System.nanoTime();
                            }
                            if (++idle >= CHECK_IDLE_POLLS && conn.givesUp(idleSince)) {
                                o.checkStall = conn.stallReason(c.data.length);
                                return;
                            }
                        }
                        conn.pause();
                    }
            }
        } catch (Throwable e) {
            record(o, e);
        }
    }

    /**
     * An operation's MqttException as a result: "refused" (SUBACK, PUBACK or UNSUBACK with a refusing
     * code), "lost" (the connection ended: a protocol error, or the server's DISCONNECT), else its reason.
     */
    private static String result(MqttException e) {
        switch (e.reason()) {
            case SUBSCRIPTION_REFUSED:
            case PUBLISH_REFUSED:
            case UNSUBSCRIBE_REFUSED:
                return "refused";
            case PROTOCOL_ERROR:
            case DISCONNECTED_BY_SERVER:
                return "lost";
            default:
                return e.reason().name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static String endKind(IOException failure) {
        if (failure instanceof MqttException) {
            MqttException m = (MqttException) failure;
            MqttException.Reason r = m.reason();
            if (r == MqttException.Reason.DISCONNECTED_BY_SERVER) {
                return Observed.disconnected(m.returnCode());
            }
            return r == MqttException.Reason.PROTOCOL_ERROR ? Observed.PROTOCOL : r.name();
        }
        if (failure instanceof EOFException) {
            return Observed.EOF;
        }
        return failure.getClass().getName();
    }

    /** Records an exception a client call threw; one not documented for these calls is kept apart. */
    static void record(Observed o, Throwable e) {
        String name = e instanceof MqttException ? "MqttException:" + ((MqttException) e).reason()
                : e.getClass().getName();
        o.exceptions.add(name);
        if (!(e instanceof IOException)) {
            StackTraceElement[] st = e.getStackTrace();
            o.undocumented.add(e.getClass().getName() + ": " + e.getMessage() + (st.length > 0 ? " at " + st[0] : ""));
        }
    }

    /** Parses what the client wrote (its own small parser): CONNECT first, the operation's ids, the PUBACKs. */
    private static void outbound(Case c, byte[] w, Observed o) {
        List<Integer> opIds = new ArrayList<>();
        int p = 0;
        boolean first = true;
        while (p < w.length) {
            int type = (w[p] & 0xFF) >>> 4;
            int flags = w[p] & 0x0F;
            int value = 0;
            int digits = 0;
            int d;
            do {
                if (p + 1 + digits >= w.length) {
                    o.problems.add("model: the client wrote a truncated packet header at offset " + p);
                    return;
                }
                d = w[p + 1 + digits] & 0xFF;
                value |= (d & 0x7F) << (7 * digits);
                digits++;
            } while ((d & 0x80) != 0 && digits < 4);
            int body = p + 1 + digits;
            if (body + value > w.length) {
                o.problems.add("model: the client wrote a truncated packet at offset " + p);
                return;
            }
            if (first && type != Reference.CONNECT) {
                o.problems.add("model: the client's first packet is type " + type + ", not CONNECT");
            }
            first = false;
            int id = value >= 2 ? (w[body] & 0xFF) << 8 | (w[body + 1] & 0xFF) : -1;
            switch (type) {
                case Reference.PUBACK:
                    o.pubacks.add(id);
                    break;
                case Reference.DISCONNECT:
                    o.disconnectSent = value == 0 ? 0 : w[body] & 0xFF;
                    break;
                case Reference.SUBSCRIBE:
                case Reference.UNSUBSCRIBE:
                    opIds.add(id);
                    break;
                case Reference.PUBLISH:
                    if ((flags & 0x06) != 0) {
                        int tl = id;
                        int at = body + 2 + tl;
                        opIds.add(at + 2 <= body + value ? (w[at] & 0xFF) << 8 | (w[at + 1] & 0xFF) : -1);
                    }
                    break;
                default:
                    break;
            }
            p = body + value;
        }
        List<Integer> expected = new ArrayList<>();
        for (Integer id : c.awaited().keySet()) {
            expected.add(id);
        }
        if (!"none".equals(o.nestResult)) {
            expected.add(c.nestedId());
        }
        expected.sort(null);
        List<Integer> sent = new ArrayList<>(opIds);
        sent.sort(null);
        if (!sent.equals(expected) && !(sent.isEmpty() && o.opResult.equals("lost"))) {
            o.problems.add("model: the operation's packet ids are " + opIds + ", the fuzzer assumed " + expected);
        }
    }
}
