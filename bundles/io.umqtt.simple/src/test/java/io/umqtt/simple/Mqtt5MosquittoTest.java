package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.Waits;

/**
 * The MQTT 5 client against mosquitto 2.0 (which speaks MQTT 5): CONNECT and CONNACK
 * properties, session expiry across reconnects, message expiry while a subscriber is offline,
 * topic aliases, properties end to end, the will with disconnect reason 0x04, session takeover
 * (DISCONNECT 0x8E), and the limits a configured mosquitto announces (server keepalive, maximum
 * packet size, receive maximum), publish refusals by an ACL.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Mqtt5MosquittoTest {
    private final List<MqttClient> clients = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        for (MqttClient c : clients) {
            c.close();
        }
        pool.shutdownNow();
    }

    /** A client of {@code broker}; MQTT 5 unless {@code version} says 4. */
    private MqttClient client(MosquittoBroker broker, String id, int version) {
        MqttClient c = new MqttClient(id, broker.host(), broker.port(), null, (byte[]) null, 30, null);
        c.setProtocolVersion(version);
        c.setAckTimeout(10_000);
        clients.add(c);
        return c;
    }

    /** A received message: topic, payload and properties. */
    static final class Message {
        final String topic;
        final String payload;
        final MqttProperties properties;

        Message(byte[] topic, byte[] payload, MqttProperties properties) {
            this.topic = new String(topic, StandardCharsets.UTF_8);
            this.payload = new String(payload, StandardCharsets.UTF_8);
            this.properties = properties;
        }

        @Override
        public String toString() {
            return topic + "=" + payload + " " + properties;
        }
    }

    private static BlockingQueue<Message> collect(MqttClient c) {
        BlockingQueue<Message> q = new ArrayBlockingQueue<>(1000);
        c.setCallback(new MessageCallback() {
            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos) {
                throw new AssertionError("not called");
            }

            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos,
                    MqttProperties properties) {
                q.add(new Message(topic, msg, properties));
            }
        });
        return q;
    }

    private Future<Void> loop(MqttClient c) {
        return pool.submit(() -> {
            c.loop();
            return null;
        });
    }

    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static MosquittoBroker broker;
    /** With limits and an ACL: server keepalive 10, maximum packet size 200, receive maximum 3. */
    private static MosquittoBroker configured;
    private static Path acl;

    @BeforeAll
    static void start() throws IOException {
        broker = MosquittoBroker.start();
        acl = Files.createTempFile("umqtt-acl", ".txt");
        Files.writeString(acl, "topic readwrite open/#\ntopic read closed/#\n");
        configured = MosquittoBroker.builder().config("max_keepalive 10").config("max_packet_size 200")
                .config("max_inflight_messages 3").config("acl_file " + acl.toAbsolutePath()).start();
    }

    @AfterAll
    static void stop() throws IOException {
        broker.close();
        configured.close();
        Files.deleteIfExists(acl);
    }


    @Test
    void connectWithPropertiesAndReadTheConnack() throws Exception {
        MqttClient c = client(broker, "props", 5);
        c.setSessionExpiryInterval(60);
        c.setReceiveMaximum(10);
        c.setTopicAliasMaximum(10);
        c.setRequestProblemInformation(true);
        c.setConnectUserProperties(List.of(new UserProperty("site", "lab")));
        assertFalse(c.connect(true));
        ServerSettings s = c.serverSettings();
        assertNotNull(s);
        assertFalse(s.sessionPresent());
        assertEquals(10, s.topicAliasMaximum(), "mosquitto's max_topic_alias default: " + s);
        assertTrue(s.receiveMaximum() >= 1, s.toString());
        assertEquals(60, s.sessionExpiryInterval());
        assertNull(s.assignedClientIdentifier());
        c.publish("props/t", utf8("x"), false, 1);
        c.disconnect();
    }

    @Test
    void assignedClientIdentifier() throws Exception {
        MqttClient c = client(broker, "", 5);
        c.connect(true);
        String assigned = c.serverSettings().assignedClientIdentifier();
        assertNotNull(assigned, "mosquitto assigns an identifier to an empty one (MQTT-3.2.2-16)");
        assertEquals("", c.clientId());
        c.disconnect();
    }

    @Test
    void sessionExpiryKeepsTheSessionAcrossReconnects() throws Exception {
        MqttClient sub = client(broker, "expiry-sub", 5);
        sub.setSessionExpiryInterval(300);
        BlockingQueue<Message> got = collect(sub);
        assertFalse(sub.connect(true));
        sub.subscribe("sess/#", 1);
        sub.disconnect();
        MqttClient pub = client(broker, "expiry-pub", 5);
        pub.connect(true);
        pub.publish("sess/a", utf8("while away"), false, 1);
        assertTrue(sub.connect(false), "the session outlived the connection");
        assertTrue(sub.serverSettings().sessionPresent());
        loop(sub);
        Message m = got.poll(10, TimeUnit.SECONDS);
        assertNotNull(m);
        assertEquals("sess/a=while away", m.topic + "=" + m.payload);
        sub.disconnect();
        // session expiry 0: the session ends with the connection
        sub.setSessionExpiryInterval(0);
        assertTrue(sub.connect(false));
        sub.disconnect();
        assertFalse(sub.connect(false), "the session ended with the last connection (expiry 0)");
        sub.disconnect();
    }

    @Test
    void messageExpiryWhileTheSubscriberIsOffline() throws Exception {
        MqttClient sub = client(broker, "mexp-sub", 5);
        sub.setSessionExpiryInterval(300);
        BlockingQueue<Message> got = collect(sub);
        sub.connect(true);
        sub.subscribe("mexp/#", 1);
        sub.disconnect();
        MqttClient pub = client(broker, "mexp-pub", 5);
        pub.connect(true);
        pub.publish("mexp/short", utf8("s"), false, 1, MqttProperties.builder().messageExpiryInterval(1).build());
        long shortStored = System.nanoTime(); // its PUBACK is back: the broker stored it by now
        pub.publish("mexp/long", utf8("l"), false, 1, MqttProperties.builder().messageExpiryInterval(100).build());
        // Only the broker's clock passing the expiry expires a message; no packet signals it. The
        // broker counts whole seconds and expires once its second is past (stored second + 1), so
        // 2 s after the PUBACK the 1 s message is expired whatever the phase of its clock.
        Waits.until(() -> System.nanoTime() - shortStored >= TimeUnit.SECONDS.toNanos(2), 10, TimeUnit.SECONDS,
                "2 s since the 1 s message was stored (the broker's clock past its expiry)");
        assertTrue(sub.connect(false));
        loop(sub);
        Message m = got.poll(10, TimeUnit.SECONDS);
        assertNotNull(m);
        assertEquals("mexp/long", m.topic, "the expired message is not delivered: " + m);
        long left = m.properties.messageExpiryInterval();
        assertTrue(left >= 90 && left <= 98, "what is left of the 100 s: " + left);
        sub.publish("mexp/end", utf8("e"), false, 1);
        Message end = got.poll(10, TimeUnit.SECONDS);
        assertEquals("mexp/end", end.topic, "nothing between: the short-lived message expired");
        sub.disconnect();
    }

    @Test
    void propertiesRoundTrip() throws Exception {
        MqttClient sub = client(broker, "rt-sub", 5);
        BlockingQueue<Message> got = collect(sub);
        sub.connect(true);
        sub.subscribe("rt/#", 1);
        loop(sub);
        MqttClient pub = client(broker, "rt-pub", 5);
        pub.connect(true);
        MqttProperties sent = MqttProperties.builder().payloadFormat(MqttProperties.FORMAT_UTF8)
                .contentType("application/json").responseTopic("rt/reply").correlationData(new byte[] {1, 2, 3})
                .userProperty("a", "1").userProperty("a", "2").userProperty("\u00e9", "\u20ac").build();
        pub.publish("rt/x", utf8("{}"), false, 1, sent);
        pub.publish("rt/y", utf8("plain"), false, 0);
        Message m = got.poll(10, TimeUnit.SECONDS);
        assertEquals("rt/x", m.topic);
        assertEquals(sent, m.properties, "every property arrives as sent, user properties in order");
        Message plain = got.poll(10, TimeUnit.SECONDS);
        assertEquals("rt/y", plain.topic);
        assertTrue(plain.properties.isEmpty());
        assertTrue(plain.properties == MqttProperties.EMPTY);
    }

    @Test
    void outboundTopicAliasesAreUsedAndUnderstood() throws Exception {
        MqttClient sub = client(broker, "alias-sub", 4);
        BlockingQueue<Message> got = collect(sub);
        sub.connect(true);
        sub.subscribe("alias/#", 1);
        loop(sub);
        MqttClient pub = client(broker, "alias-pub", 5);
        pub.connect(true);
        assertTrue(pub.serverSettings().topicAliasMaximum() > 0);
        for (int i = 0; i < 5; i++) {
            pub.publish("alias/a/long/topic/name", utf8("m" + i), false, 1);
        }
        pub.publish("alias/b", utf8("b"), false, 1);
        synchronized (pub.outbound.writeLock()) {
            assertEquals(2, pub.session5.aliases.used());
        }
        for (int i = 0; i < 5; i++) {
            Message m = got.poll(10, TimeUnit.SECONDS);
            assertEquals("alias/a/long/topic/name=m" + i, m.topic + "=" + m.payload);
        }
        assertEquals("alias/b", got.poll(10, TimeUnit.SECONDS).topic);
    }

    /**
     * Whether mosquitto sends topic aliases to a client that accepts them: mosquitto 2.0 does
     * not (it only accepts them), which this probe on the raw bytes records; inbound aliases
     * are therefore tested with a scripted broker (Mqtt5ClientTest).
     */
    @Test
    void mosquittoSendsNoTopicAliasesToClients() throws Exception {
        try (Socket s = new Socket(broker.host(), broker.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            // CONNECT v5, clean start, keepalive 30, Topic Alias Maximum 10, client id "raw"
            out.write(HexFormat.of().parseHex("101300044d5154540502001e0322000a0003726177"));
            byte[] connack = readPacket(in);
            assertEquals(0x20, connack[0] & 0xFF);
            // SUBSCRIBE v5: id 1, no properties, "raw/t" QoS 0
            out.write(HexFormat.of().parseHex("820b00010000057261772f7400"));
            assertEquals(0x90, readPacket(in)[0] & 0xFF);
            MqttClient pub = client(broker, "raw-pub", 5);
            pub.connect(true);
            pub.publish("raw/t", utf8("1"), false, 0);
            pub.publish("raw/t", utf8("2"), false, 0);
            for (int i = 0; i < 2; i++) {
                byte[] p = readPacket(in);
                assertEquals(0x30, p[0] & 0xFF);
                // fixed header 2 bytes, topic 2 + 5 bytes, then the property length: 0 = no alias
                assertEquals(0, p[9], "mosquitto 2.0 sent properties (a topic alias?): "
                        + HexFormat.of().formatHex(p));
            }
        }
    }

    @Test
    void disconnectWithWillPublishesTheWill() throws Exception {
        MqttClient watcher = client(broker, "will-watch", 5);
        BlockingQueue<Message> got = collect(watcher);
        watcher.connect(true);
        watcher.subscribe("will/#", 0);
        loop(watcher);
        MqttClient c = client(broker, "will-5", 5);
        c.setLastWill("will/gone", utf8("bye"), false, 0,
                MqttProperties.builder().userProperty("why", "test").build(), 0);
        c.connect(true);
        c.disconnect(0x04);
        Message m = got.poll(10, TimeUnit.SECONDS);
        assertNotNull(m, "DISCONNECT 0x04 publishes the will");
        assertEquals("will/gone=bye", m.topic + "=" + m.payload);
        assertEquals("test", m.properties.userProperty("why"));
    }

    /**
     * Will Delay Interval: a lost connection's will is published after the delay; a reconnect of
     * the same session within the delay cancels it.
     */
    @Test
    void willDelayInterval() throws Exception {
        MqttClient watcher = client(broker, "delay-watch", 5);
        BlockingQueue<Message> got = collect(watcher);
        watcher.connect(true);
        watcher.subscribe("delayed/#", 0);
        loop(watcher);
        MqttClient cancelled = client(broker, "delay-cancelled", 5);
        cancelled.setSessionExpiryInterval(60);
        cancelled.setLastWill("delayed/cancelled", utf8("no"), false, 0, null, 30);
        cancelled.connect(true);
        cancelled.close(); // lost: the will waits 30 s
        assertTrue(cancelled.connect(false), "back within the delay, in the same session");
        MqttClient c = client(broker, "delay-1", 5);
        c.setSessionExpiryInterval(60);
        c.setLastWill("delayed/gone", utf8("late"), false, 0, null, 1);
        c.connect(true);
        long lost = System.nanoTime();
        c.close(); // no DISCONNECT: the will is published, after its delay
        Message m = got.poll(15, TimeUnit.SECONDS);
        assertNotNull(m, "the delayed will arrives");
        assertEquals("delayed/gone=late", m.topic + "=" + m.payload, "the cancelled will never comes first");
        assertTrue(System.nanoTime() - lost >= TimeUnit.MILLISECONDS.toNanos(900),
                "published after the 1 s delay, not at once");
        cancelled.disconnect();
    }

    /**
     * Session takeover: MQTT 5 lets the server send DISCONNECT 0x8E (session taken over) to the
     * old connection; mosquitto 2.0.11 closes it without one, so the client reports a lost
     * connection. (A server DISCONNECT with 0x8E is tested with a scripted broker in
     * Mqtt5ClientTest.)
     */
    @Test
    void sessionTakeoverByMosquittoClosesTheOldConnection() throws Exception {
        MqttClient first = client(broker, "takeover", 5);
        first.connect(true);
        Future<Void> loop = loop(first);
        MqttClient second = client(broker, "takeover", 5);
        second.connect(true);
        Exception e = assertThrows(Exception.class, () -> within(loop));
        if (e instanceof MqttException) { // a mosquitto that sends DISCONNECT 0x8E
            assertEquals(Reason.DISCONNECTED_BY_SERVER, ((MqttException) e).reason());
            assertEquals(0x8E, ((MqttException) e).returnCode(), e.getMessage());
        } else {
            assertTrue(e instanceof java.io.EOFException, e.toString());
        }
        assertTrue(second.isConnected());
    }

    @Test
    void qos2BothWaysOnMqtt5() throws Exception {
        MqttClient c = client(broker, "q2-5", 5);
        BlockingQueue<Message> got = collect(c);
        c.connect(true);
        c.subscribe("q2five/#", 2);
        loop(c);
        c.publish("q2five/t", utf8("once"), false, 2, MqttProperties.builder().contentType("t").build());
        Message m = got.poll(10, TimeUnit.SECONDS);
        assertEquals("q2five/t=once", m.topic + "=" + m.payload);
        assertEquals("t", m.properties.contentType());
    }

    private static byte[] readPacket(InputStream in) throws IOException {
        int first = in.read();
        int rem = 0;
        int shift = 0;
        int digit;
        do {
            digit = in.read();
            rem |= (digit & 0x7F) << shift;
            shift += 7;
        } while ((digit & 0x80) != 0);
        byte[] p = new byte[2 + rem];
        p[0] = (byte) first;
        p[1] = (byte) rem;
        byte[] body = in.readNBytes(rem);
        System.arraycopy(body, 0, p, 2, rem);
        return p;
    }


    @Test
    void serverKeepAliveMaximumPacketSizeAndReceiveMaximum() throws Exception {
        MqttClient c = client(configured, "limits", 5);
        c.connect(true);
        ServerSettings s = c.serverSettings();
        assertEquals(10, s.serverKeepAlive(), s.toString());
        assertEquals(10, c.keepAlive.seconds(), "the client keeps the server's keepalive");
        assertEquals(200, s.maximumPacketSize(), s.toString());
        assertEquals(3, s.receiveMaximum(), s.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.publish("open/t", new byte[300], false, 0));
        assertTrue(e.getMessage().contains("the broker's Maximum Packet Size is 200"), e.getMessage());
        loop(c);
        List<PublishToken> tokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            tokens.add(c.publishAsync("open/t", utf8("m" + i), false, 1, null));
        }
        for (PublishToken t : tokens) {
            t.await();
        }
        assertTrue(c.isConnected(), "20 publishes through a window of 3");
    }

    /** A publish the ACL denies: mosquitto 2.0 answers the QoS 1 PUBLISH with PUBACK 0x87. */
    @Test
    void publishDeniedByTheAcl() throws Exception {
        MqttClient c = client(configured, "acl", 5);
        c.connect(true);
        loop(c);
        MqttException e = assertThrows(MqttException.class, () -> c.publish("closed/t", utf8("x"), false, 1));
        assertEquals(Reason.PUBLISH_REFUSED, e.reason());
        assertEquals(0x87, e.returnCode(), "mosquitto answers PUBACK 0x87 not authorized: " + e.getMessage());
        assertTrue(e.getMessage().contains("not authorized (PUBACK reason code 0x87)"), e.getMessage());
        c.publish("open/t", utf8("x"), false, 1);
        assertTrue(c.isConnected());
    }
}
