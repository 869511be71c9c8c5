package io.umqtt.whiteboard.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Constants;

import io.umqtt.api.AckHold;
import io.umqtt.api.ConnectionState;
import io.umqtt.api.MatchingListener;
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.TopicFilter;

/**
 * An {@link MqttConnection} without a broker: it records every SUBSCRIBE and UNSUBSCRIBE in
 * {@link #ops} (as {@code "SUBSCRIBE a/# 1"}, {@code "UNSUBSCRIBE a/#"}), can refuse filters,
 * lower the granted QoS or fail as if down, and {@link #deliver}s live messages (RETAIN=0) to its
 * listeners the way the simple connection does (each listener once per message; a
 * {@link MatchingListener} gets every message to match itself, unless {@link #legacy}).
 * <p>
 * Like a broker it keeps retained messages ({@link #retain}) and answers every SUBSCRIBE, also a
 * repeated one, with those matching the filter (RETAIN=1, in the order they were first retained),
 * handed to every listener whose filter matches, before {@code subscribe} returns (a broker may
 * send them before its SUBACK). With {@link #holdRetained} it holds them back until
 * {@link #releaseRetained()}, as if still on the wire; with a {@link #gate} a SUBSCRIBE waits
 * before it starts, as if the broker were slow; with an {@link #answerGate} it waits after it
 * was answered, as a caller not yet scheduled after its SUBACK. Deliveries are serialised, as on a connection's
 * one I/O thread.
 */
final class FakeConnection implements MqttConnection {
    final long serviceId;
    final String name;
    final BlockingQueue<String> ops = new LinkedBlockingQueue<>();
    /**
     * Every call of the several-filter methods, one per packet a real connection sends, as
     * {@code "SUBSCRIBE a/# 1, b 0"} or {@code "UNSUBSCRIBE a/#, b"}; recorded when the call starts.
     * Their filters also show in {@link #ops}, one by one.
     */
    final BlockingQueue<String> packets = new LinkedBlockingQueue<>();
    final Set<String> refused = ConcurrentHashMap.newKeySet();
    final List<String> published = new CopyOnWriteArrayList<>();
    private final Map<String, MessageListener> listeners = new ConcurrentHashMap<>();
    /** Topic to payload, in the order first retained; guarded by itself. */
    private final Map<String, String> retained = new LinkedHashMap<>();
    /** Serialises deliveries, as the connection's one I/O thread does. */
    private final Object io = new Object();
    /** The retained messages of SUBSCRIBEs held back, oldest SUBSCRIBE first. */
    private final BlockingQueue<List<TestMessage>> held = new LinkedBlockingQueue<>();
    volatile int maxQos = 1;
    /** Answer a several-filter subscribe with one return code too few, as a buggy implementation might. */
    volatile boolean oneCodeShort;
    /**
     * Behave as a connection of API 1.2 and earlier, which does not know {@link MatchingListener}:
     * it matches every listener's filters itself and calls {@code messageArrived}.
     */
    volatile boolean legacy;
    volatile boolean down;
    /** Hold the retained messages a SUBSCRIBE brings until {@link #releaseRetained()}. */
    volatile boolean holdRetained;
    /** When set, each SUBSCRIBE waits for it to open before it starts, after releasing {@link #atGate}. */
    volatile CountDownLatch gate;
    /** Released once by each SUBSCRIBE that reached the {@link #gate}. */
    final Semaphore atGate = new Semaphore(0);
    /**
     * When set, each SUBSCRIBE, once answered and its retained messages sent, waits for it to open
     * before it returns, after releasing {@link #atAnswer}: the SUBACK came, the caller has not
     * seen it yet, and the I/O thread goes on delivering.
     */
    volatile CountDownLatch answerGate;
    /** Released once by each SUBSCRIBE that reached the {@link #answerGate}. */
    final Semaphore atAnswer = new Semaphore(0);
    /**
     * Acknowledge after processing: {@link MqttMessage#holdAck()} of a QoS 1 message hands out a
     * hold that records {@code "released <topic> <payload>"} or {@code "failed <topic> <payload>: <cause>"}
     * in {@link #acks}; off, it returns null as a connection that acknowledges on receipt.
     */
    volatile boolean ackAfterProcessing;
    final BlockingQueue<String> acks = new LinkedBlockingQueue<>();
    /** Holds taken. */
    final java.util.concurrent.atomic.AtomicInteger holdsTaken = new java.util.concurrent.atomic.AtomicInteger();

    FakeConnection(long serviceId, String name) {
        this.serviceId = serviceId;
        this.name = name;
    }

    /** Service properties as the simple component registers them. */
    Map<String, Object> properties(boolean connected, Object... extra) {
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, serviceId);
        p.put(MqttConstants.NAME, name);
        p.put(MqttConstants.CONNECTED, connected);
        p.put(MqttConstants.STATE, (connected ? ConnectionState.CONNECTED : ConnectionState.LOST).name());
        for (int i = 0; i < extra.length; i += 2) {
            p.put((String) extra[i], extra[i + 1]);
        }
        return p;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ConnectionState state() {
        return down ? ConnectionState.LOST : ConnectionState.CONNECTED;
    }

    @Override
    public void publish(byte[] topic, byte[] payload, int qos, boolean retain) throws IOException {
        if (down) {
            throw new IOException("not connected");
        }
        published.add(new String(topic, StandardCharsets.UTF_8) + " " + new String(payload, StandardCharsets.UTF_8)
                + " qos " + qos);
    }

    /** Closes the {@link #gate}: the next SUBSCRIBEs wait at it until {@link #openGate()}. */
    void closeGate() {
        gate = new CountDownLatch(1);
    }

    /** Waits until a SUBSCRIBE has reached the closed gate; fails after {@code seconds}. */
    void awaitAtGate(long seconds) throws InterruptedException {
        if (!atGate.tryAcquire(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("no SUBSCRIBE reached the gate within " + seconds + " s");
        }
    }

    /** Closes the {@link #answerGate}: the next SUBSCRIBEs are answered but return only at {@link #openAnswerGate()}. */
    void closeAnswerGate() {
        answerGate = new CountDownLatch(1);
    }

    /** Waits until a SUBSCRIBE was answered and waits at the closed answer gate; fails after {@code seconds}. */
    void awaitAnswered(long seconds) throws InterruptedException {
        if (!atAnswer.tryAcquire(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("no SUBSCRIBE reached the answer gate within " + seconds + " s");
        }
    }

    /** Opens the answer gate: answered SUBSCRIBEs return, later ones do not stop. */
    void openAnswerGate() {
        CountDownLatch g = answerGate;
        answerGate = null;
        if (g != null) {
            g.countDown();
        }
    }

    /** Opens the gate: waiting SUBSCRIBEs go on, later ones do not stop. */
    void openGate() {
        CountDownLatch g = gate;
        gate = null;
        if (g != null) {
            g.countDown();
        }
    }

    @Override
    public int subscribe(String filter, int qos, MessageListener listener) throws IOException {
        CountDownLatch g = gate;
        if (g != null) {
            atGate.release();
            try {
                if (!g.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted at the gate", e);
            }
        }
        try {
            if (down) {
                throw new IOException("not connected");
            }
            if (refused.contains(filter)) {
                throw new MqttException(MqttException.Reason.SUBSCRIPTION_REFUSED, 0x80,
                        "SUBACK refused '" + filter + "' (0x80)");
            }
            listeners.put(filter, listener);
            int granted = Math.min(qos, maxQos);
            sendRetained(filter, granted);
            CountDownLatch answered = answerGate;
            if (answered != null) {
                atAnswer.release();
                try {
                    if (!answered.await(30, TimeUnit.SECONDS)) {
                        throw new IOException("the test never opened the answer gate");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted at the answer gate", e);
                }
            }
            return granted;
        } finally {
            // recorded last, so a test that saw the operation sees its effect
            ops.add("SUBSCRIBE " + filter + " " + qos);
        }
    }

    @Override
    public void unsubscribe(String filter) throws IOException {
        try {
            if (down) {
                throw new IOException("not connected");
            }
            listeners.remove(filter);
        } finally {
            ops.add("UNSUBSCRIBE " + filter);
        }
    }

    /** One listener per filter here: dropping it is unsubscribing the filter. */
    @Override
    public boolean unsubscribe(String filter, MessageListener listener) throws IOException {
        try {
            if (down) {
                throw new IOException("not connected");
            }
            return listeners.remove(filter, listener);
        } finally {
            ops.add("UNSUBSCRIBE " + filter);
        }
    }

    /** One SUBSCRIBE packet of several filters: recorded in {@link #packets}, then filter by filter. */
    @Override
    public int[] subscribe(String[] filters, int[] qos, MessageListener listener) throws IOException {
        StringBuilder s = new StringBuilder("SUBSCRIBE ");
        for (int i = 0; i < filters.length; i++) {
            s.append(i > 0 ? ", " : "").append(filters[i]).append(' ').append(qos[i]);
        }
        packets.add(s.toString());
        int[] granted = MqttConnection.super.subscribe(filters, qos, listener);
        return oneCodeShort ? Arrays.copyOf(granted, granted.length - 1) : granted;
    }

    /** What {@link #protocolVersion()} says: 4 (MQTT 3.1.1) unless a test makes it 5. */
    volatile int protocolVersion = MqttConstants.MQTT_3_1_1;

    @Override
    public int protocolVersion() {
        return protocolVersion;
    }

    /**
     * MQTT 5 options: recorded in {@link #packets} as {@code "SUBSCRIBE a/# [qos 1, no local]"},
     * then filter by filter at the QoS (this fake's broker applies no option).
     */
    @Override
    public int[] subscribe(String[] filters, io.umqtt.api.SubscriptionOptions[] options, MessageListener listener)
            throws IOException {
        if (protocolVersion != MqttConstants.MQTT_5) {
            return MqttConnection.super.subscribe(filters, options, listener); // refuses the options
        }
        StringBuilder s = new StringBuilder("SUBSCRIBE ");
        int[] qos = new int[filters.length];
        for (int i = 0; i < filters.length; i++) {
            s.append(i > 0 ? ", " : "").append(filters[i]).append(" [").append(options[i]).append(']');
            qos[i] = options[i].maxQos();
        }
        packets.add(s.toString());
        int[] granted = MqttConnection.super.subscribe(filters, qos, listener);
        for (int i = 0; i < filters.length; i++) {
            Integer code = refusedWith.get(filters[i]);
            if (code != null) {
                granted[i] = code;
            }
        }
        return granted;
    }

    /** MQTT 5 only: filters the broker refuses with this SUBACK reason code (0x80 and up). */
    final Map<String, Integer> refusedWith = new ConcurrentHashMap<>();

    /** A live message published with RETAIN=1 as a broker forwards it to a Retain As Published subscription. */
    int deliverRetainedAsPublished(String topic, String payload) throws Exception {
        return dispatch(new TestMessage(topic, payload, 0, true, this));
    }

    /** One UNSUBSCRIBE packet of several filters: recorded in {@link #packets}, then filter by filter. */
    @Override
    public boolean[] unsubscribe(String[] filters, MessageListener listener) throws IOException {
        packets.add("UNSUBSCRIBE " + String.join(", ", filters));
        return MqttConnection.super.unsubscribe(filters, listener);
    }

    /** The next packet (see {@link #packets}), or null after 5 s. */
    String nextPacket() throws InterruptedException {
        return packets.poll(5, TimeUnit.SECONDS);
    }

    /** Hands a live message (RETAIN=0, QoS 0) to every listener whose filter matches, each listener once. */
    int deliver(String topic, String payload) throws Exception {
        return deliver(topic, payload, 0);
    }

    /** Hands a live message (RETAIN=0) at {@code qos} to every listener whose filter matches, each once. */
    int deliver(String topic, String payload, int qos) throws Exception {
        return dispatch(new TestMessage(topic, payload, qos, false, this));
    }

    /**
     * Keeps {@code payload} as the retained message of {@code topic} (an empty one deletes it),
     * as a broker does with a retained PUBLISH; no live copy is delivered (see {@link #deliver}).
     */
    void retain(String topic, String payload) {
        synchronized (retained) {
            if (payload.isEmpty()) {
                retained.remove(topic);
            } else {
                retained.put(topic, payload);
            }
        }
    }

    /**
     * A retained PUBLISH from elsewhere: keeps it ({@link #retain}) and forwards it to the
     * subscribed listeners as a live message (RETAIN=0, MQTT 3.1.1 section 3.3.1.3).
     */
    int publishRetained(String topic, String payload, int qos) throws Exception {
        retain(topic, payload);
        return deliver(topic, payload, qos);
    }

    /**
     * The retained messages of {@code filter} as the connection's own re-subscription brings
     * them (a robust connection restoring its subscriptions after a reconnect); not recorded in
     * {@link #ops}.
     */
    void restore(String filter) throws IOException {
        sendRetained(filter, 0);
    }

    /** The retained messages matching a new subscription, sent or held back. */
    private void sendRetained(String filter, int qos) throws IOException {
        TopicFilter parsed = TopicFilter.parse(filter);
        List<TestMessage> flow = new ArrayList<>();
        synchronized (retained) {
            for (Map.Entry<String, String> r : retained.entrySet()) {
                if (parsed.matches(r.getKey())) {
                    flow.add(new TestMessage(r.getKey(), r.getValue(), qos, true, this));
                }
            }
        }
        if (holdRetained) {
            held.add(flow);
            return;
        }
        try {
            for (TestMessage m : flow) {
                dispatch(m);
            }
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** Delivers the retained messages of the oldest SUBSCRIBE held back; returns how many. */
    int releaseRetained() throws Exception {
        List<TestMessage> flow = held.poll(5, TimeUnit.SECONDS);
        if (flow == null) {
            throw new AssertionError("no SUBSCRIBE's retained messages held back");
        }
        for (TestMessage m : flow) {
            dispatch(m);
        }
        return flow.size();
    }

    /**
     * Hands the message to each listener once: a {@link MatchingListener} gets every message
     * through {@code route} (unless {@link #legacy}), any other listener the messages its filters
     * match. Returns how many listeners took it.
     */
    private int dispatch(TestMessage m) throws Exception {
        synchronized (io) {
            List<MessageListener> targets = new ArrayList<>();
            List<MatchingListener> routers = new ArrayList<>();
            for (Map.Entry<String, MessageListener> e : listeners.entrySet()) {
                MessageListener l = e.getValue();
                if (!legacy && l instanceof MatchingListener) {
                    if (!routers.contains(l)) {
                        routers.add((MatchingListener) l);
                    }
                } else if (TopicFilter.parse(e.getKey()).matches(m.topicString()) && !targets.contains(l)) {
                    targets.add(l);
                }
            }
            for (MessageListener l : targets) {
                l.messageArrived(m);
            }
            int taken = targets.size();
            for (MatchingListener r : routers) {
                if (r.route(m)) {
                    taken++;
                }
            }
            return taken;
        }
    }

    /** The listener subscribed under {@code filter}, or null. */
    MessageListener listener(String filter) {
        return listeners.get(filter);
    }

    /** The next recorded operation, waiting up to 5 s; null when none came. */
    String nextOp() throws InterruptedException {
        return ops.poll(5, TimeUnit.SECONDS);
    }

    /** A received message as a connection hands it over. */
    static final class TestMessage implements MqttMessage {
        private final byte[] topic;
        private final byte[] payload;
        private final int qos;
        private final boolean retain;
        private final MqttConnection connection;

        /** A live message at QoS 0. */
        TestMessage(String topic, String payload, MqttConnection connection) {
            this(topic, payload, 0, false, connection);
        }

        TestMessage(String topic, String payload, int qos, boolean retain, MqttConnection connection) {
            this.topic = topic.getBytes(StandardCharsets.UTF_8);
            this.payload = payload.getBytes(StandardCharsets.UTF_8);
            this.qos = qos;
            this.retain = retain;
            this.connection = connection;
        }

        private TestMessage(byte[] topic, byte[] payload, int qos, boolean retain, MqttConnection connection) {
            this.topic = topic;
            this.payload = payload;
            this.qos = qos;
            this.retain = retain;
            this.connection = connection;
        }

        @Override
        public TestMessage copy() {
            return new TestMessage(topic.clone(), payload.clone(), qos, retain, connection);
        }

        @Override
        public AckHold holdAck() {
            FakeConnection c = (FakeConnection) connection;
            if (!c.ackAfterProcessing) {
                return null;
            }
            if (qos == 0) {
                return AckHold.NONE;
            }
            c.holdsTaken.incrementAndGet();
            String what = this.toString();
            return new AckHold() {
                private final java.util.concurrent.atomic.AtomicBoolean settled =
                        new java.util.concurrent.atomic.AtomicBoolean();

                @Override
                public void release() {
                    if (settled.compareAndSet(false, true)) {
                        c.acks.add("released " + what);
                    }
                }

                @Override
                public void fail(Throwable cause) {
                    if (settled.compareAndSet(false, true)) {
                        c.acks.add("failed " + what + ": " + cause.getMessage());
                    }
                }
            };
        }

        @Override
        public byte[] topic() {
            return topic;
        }

        @Override
        public String topicString() {
            return new String(topic, StandardCharsets.UTF_8);
        }

        @Override
        public byte[] payload() {
            return payload;
        }

        @Override
        public int qos() {
            return qos;
        }

        @Override
        public boolean retain() {
            return retain;
        }

        @Override
        public boolean dup() {
            return false;
        }

        @Override
        public MqttConnection connection() {
            return connection;
        }

        @Override
        public String toString() {
            return topicString() + " " + new String(payload, StandardCharsets.UTF_8) + (retain ? " (retained)" : "");
        }
    }
}
