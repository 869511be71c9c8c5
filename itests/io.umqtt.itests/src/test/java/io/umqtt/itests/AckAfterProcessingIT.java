package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * {@code ack.after.processing} end to end in the framework: a robust connection configured
 * through ConfigAdmin, whiteboard handlers with and without {@code mqtt.ack.after.processing},
 * mosquitto. A holding handler that throws makes the connection close without the PUBACK; the
 * robust connection reconnects with its session, and mosquitto delivers the message again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AckAfterProcessingIT extends UmqttTestSupport {
    private final List<ServiceRegistration<MessageHandler>> handlers = new CopyOnWriteArrayList<>();

    /** Adds the broker harness inside the framework, for the test that starts its own broker. */
    @Override
    @Configuration
    public Option[] configuration() throws IOException {
        return OptionUtils.combine(super.configuration(), brokerHarness());
    }

    @After
    public void unregister() {
        for (ServiceRegistration<MessageHandler> r : handlers) {
            r.unregister();
        }
    }

    private void register(MessageHandler handler, String connection, String topic, boolean ack) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(HandlerConstants.TOPIC, topic);
        p.put(HandlerConstants.QOS, 1);
        p.put(HandlerConstants.TARGET, "(" + MqttConstants.NAME + "=" + connection + ")");
        if (ack) {
            p.put(HandlerConstants.ACK_AFTER_PROCESSING, Boolean.TRUE);
        }
        handlers.add(context.registerService(MessageHandler.class, handler, p));
    }

    @Test
    public void aFailingHandlerGetsTheMessageAgainAfterTheRobustReconnect() throws Exception {
        configure(ROBUST_PID, "ack-it", "client.id", "ack-it-" + (KURA_RUNTIME ? "kura" : "felix"),
                "clean.session", false, "ack.after.processing", true, "reconnect.initial.delay", 50L,
                "reconnect.max.delay", 200L);
        awaitConnected("ack-it");
        BlockingQueue<String> holding = new LinkedBlockingQueue<>();
        BlockingQueue<String> plain = new LinkedBlockingQueue<>();
        BlockingQueue<String> probes = new LinkedBlockingQueue<>();
        AtomicInteger failuresLeft = new AtomicInteger(0);
        register(m -> {
            if (m.topicString().equals("ack/it/probe")) {
                return; // late probes may still come: recorded apart
            }
            holding.add(new String(m.payload(), StandardCharsets.UTF_8) + (m.dup() ? " dup" : ""));
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("deliberate failure: the database is down");
            }
        }, "ack-it", "ack/it/#", true);
        register(m -> (m.topicString().equals("ack/it/probe") ? probes : plain)
                .add(new String(m.payload(), StandardCharsets.UTF_8) + (m.dup() ? " dup" : "")),
                "ack-it", "ack/it/#", false);
        ServiceTracker<MqttConnection, MqttConnection> subscribed = track("(" + MqttConstants.NAME + "=ack-it)");
        try {
            MqttConnection c = subscribed.waitForService(TIMEOUT_MILLIS);
            assertNotNull(c);
            MqttClient publisher = new MqttClient("ack-it-pub", brokerHost(), brokerPort());
            publisher.connect(true);
            try {
                // the whiteboard subscribes asynchronously: publish until the plain handler sees a probe
                String probe = null;
                for (int i = 0; i < 50 && probe == null; i++) {
                    publisher.publish("ack/it/probe", "probe", false, 0);
                    probe = probes.poll(200, TimeUnit.MILLISECONDS);
                }
                assertEquals("probe", probe);
                failuresLeft.set(1);

                publisher.publish("ack/it/m", "m1", false, 1);
                assertEquals("m1", holding.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("m1 dup", holding.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("m1", plain.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("the handler without the property gets the redelivery too (at least once)", "m1 dup",
                        plain.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                publisher.publish("ack/it/m", "m2", false, 1);
                assertEquals("m2", holding.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("m2", plain.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            } finally {
                publisher.disconnect();
            }
        } finally {
            subscribed.close();
        }
    }

    /**
     * Two handlers on the pool, the first blocked while the second is done: the broker (a raw
     * socket here, reading what the client writes) sees no PUBACK until the first returns, then
     * PUBACK 1 before PUBACK 2 (MQTT 3.1.1 4.6).
     */
    @Test
    public void acksOfHandlersFinishingOutOfOrderLeaveInReceiveOrder() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout((int) TIMEOUT_MILLIS);
            configureSimple("ack-order", "server", "127.0.0.1", "port", server.getLocalPort(), "client.id",
                    "ack-order-" + (KURA_RUNTIME ? "kura" : "felix"), "clean.session", false,
                    "ack.after.processing", true);
            CountDownLatch releaseFirst = new CountDownLatch(1);
            CountDownLatch secondDone = new CountDownLatch(1);
            register(m -> releaseFirst.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS), "ack-order", "ord/1", true);
            register(m -> secondDone.countDown(), "ack-order", "ord/2", true);
            try (Socket peer = server.accept()) {
                peer.setSoTimeout((int) TIMEOUT_MILLIS);
                DataInputStream in = new DataInputStream(peer.getInputStream());
                OutputStream out = peer.getOutputStream();
                assertEquals(0x10, readPacket(in)[0] & 0xFF); // CONNECT
                out.write(new byte[] {0x20, 2, 0, 0});
                Set<String> subscribed = new HashSet<>();
                while (subscribed.size() < 2) { // the whiteboard subscribes both filters, in one or two packets
                    byte[] sub = readPacket(in);
                    assertEquals("SUBSCRIBE expected: " + HexFormat.of().formatHex(sub), 0x82, sub[0] & 0xFF);
                    int p = headerLength(sub) + 2;
                    ByteArrayOutputStream codes = new ByteArrayOutputStream();
                    while (p < sub.length) {
                        int len = ((sub[p] & 0xFF) << 8) | (sub[p + 1] & 0xFF);
                        subscribed.add(new String(sub, p + 2, len, StandardCharsets.UTF_8));
                        codes.write(sub[p + 2 + len]); // granted as asked
                        p += 3 + len;
                    }
                    int idAt = headerLength(sub);
                    out.write(new byte[] {(byte) 0x90, (byte) (2 + codes.size()), sub[idAt], sub[idAt + 1]});
                    out.write(codes.toByteArray());
                }
                assertEquals(Set.of("ord/1", "ord/2"), subscribed);
                out.write(publish("ord/1", 1));
                out.write(publish("ord/2", 2));
                assertTrue("the second handler ran", secondDone.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                ServiceTracker<MqttConnection, MqttConnection> t = track("(" + MqttConstants.NAME + "=ack-order)");
                try {
                    t.waitForService(TIMEOUT_MILLIS).publish("ord/marker", new byte[0], 0, false);
                } finally {
                    t.close();
                }
                assertEquals("no PUBACK while the first handler runs: the marker comes first", 0x30,
                        readPacket(in)[0] & 0xFF);
                releaseFirst.countDown();
                assertEquals("40020001", HexFormat.of().formatHex(readPacket(in)));
                assertEquals("40020002", HexFormat.of().formatHex(readPacket(in)));
            }
        }
    }

    /**
     * A slow handler with the property holds the acks: mosquitto ({@code max_inflight_messages 2})
     * stops sending QoS 1 to the connection after two, QoS 0 still flows, and the rest follows
     * once the handler goes on. A handler without the property shows what arrives, in order.
     */
    @Test
    public void aSlowHandlerHoldsTheBrokersInflightWindow() throws Exception {
        try (MosquittoBroker own = MosquittoBroker.builder().config("max_inflight_messages 2").start()) {
            configure(ROBUST_PID, "ack-window", "server", own.host(), "port", own.port(), "client.id",
                    "ack-window-" + (KURA_RUNTIME ? "kura" : "felix"), "clean.session", false,
                    "ack.after.processing", true);
            CountDownLatch go = new CountDownLatch(1);
            BlockingQueue<String> seen = new LinkedBlockingQueue<>();
            BlockingQueue<String> probes = new LinkedBlockingQueue<>();
            register(m -> go.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS), "ack-window", "win/#", true);
            register(m -> (m.topicString().equals("win/probe") ? probes : seen)
                    .add(new String(m.payload(), StandardCharsets.UTF_8)), "ack-window", "win/#", false);
            awaitConnected("ack-window");
            MqttClient pub = new MqttClient("ack-window-pub", own.host(), own.port());
            pub.connect(true);
            try {
                String probe = null; // the whiteboard subscribes asynchronously
                for (int i = 0; i < 50 && probe == null; i++) {
                    pub.publish("win/probe", "probe", false, 0);
                    probe = probes.poll(200, TimeUnit.MILLISECONDS);
                }
                assertEquals("probe", probe);
                for (int i = 1; i <= 5; i++) {
                    pub.publish("win/q1", "q1-" + i, false, 1);
                }
                pub.publish("win/q0", "q0", false, 0);
                assertEquals("q1-1", seen.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("q1-2", seen.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("no third QoS 1 message while two await their ack; QoS 0 flows", "q0",
                        seen.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                go.countDown();
                for (int i = 3; i <= 5; i++) {
                    assertEquals("q1-" + i, seen.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                }
            } finally {
                pub.disconnect();
            }
        }
    }

    private static byte[] publish(String topic, int id) {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[2 + 2 + t.length + 2];
        b[0] = 0x32;
        b[1] = (byte) (b.length - 2);
        b[3] = (byte) t.length;
        System.arraycopy(t, 0, b, 4, t.length);
        b[4 + t.length] = (byte) (id >> 8);
        b[5 + t.length] = (byte) id;
        return b;
    }

    /** The length of the fixed header of {@code packet}. */
    private static int headerLength(byte[] packet) {
        int i = 1;
        while ((packet[i] & 0x80) != 0) {
            i++;
        }
        return i + 1;
    }

    private static byte[] readPacket(DataInputStream in) throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        packet.write(in.readUnsignedByte());
        int remaining = 0;
        int shift = 0;
        int digit;
        do {
            digit = in.readUnsignedByte();
            packet.write(digit);
            remaining |= (digit & 0x7F) << shift;
            shift += 7;
        } while ((digit & 0x80) != 0);
        byte[] body = new byte[remaining];
        in.readFully(body);
        packet.write(body);
        return packet.toByteArray();
    }

    @Test
    public void ackAfterProcessingWithACleanSessionIsRefusedNamingBothProperties() throws Exception {
        configureSimple("ack-bad", "ack.after.processing", true);
        ServiceTracker<MqttConnection, MqttConnection> tracker = track("(" + MqttConstants.NAME + "=ack-bad)("
                + MqttConstants.ERROR + "=*)");
        try {
            assertNotNull(tracker.waitForService(TIMEOUT_MILLIS));
            String error = (String) tracker.getServiceReference().getProperty(MqttConstants.ERROR);
            assertTrue(error, error.contains("ack.after.processing=true needs clean.session=false"));
        } finally {
            tracker.close();
        }
    }
}
