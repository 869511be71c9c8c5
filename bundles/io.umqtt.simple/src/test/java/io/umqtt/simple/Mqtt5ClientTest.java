package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.AckHold;
import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.ScriptedBroker.Peer;

/**
 * The MQTT 5 client byte for byte against a scripted broker: CONNECT and CONNACK with their
 * properties, PUBLISH properties and topic aliases both ways, reason codes of the acks, the
 * server's DISCONNECT, flow control both ways, maximum packet size, and every malformed packet
 * the client decodes (refused with a DISCONNECT carrying the reason, then closed).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class Mqtt5ClientTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private MqttClient client;
    private Peer peer;
    private final BlockingQueue<String> received = new ArrayBlockingQueue<>(100);
    private final BlockingQueue<MqttProperties> receivedProperties = new ArrayBlockingQueue<>(100);

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
        client = new MqttClient("c5", "127.0.0.1", broker.port(), null, (byte[]) null, 60, null);
        client.setProtocolVersion(5);
        client.setAckTimeout(10_000);
        client.setCallback(new MessageCallback() {
            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos) {
                throw new AssertionError("the 6-argument method is called");
            }

            @Override
            public void message(byte[] topic, byte[] msg, boolean retain, boolean dup, int qos,
                    MqttProperties properties) {
                receivedProperties.add(properties); // first: a test polls it after the message
                received.add(new String(topic, StandardCharsets.UTF_8) + "=" + new String(msg, StandardCharsets.UTF_8)
                        + " q" + qos);
            }
        });
    }

    @AfterEach
    void tearDown() throws IOException {
        client.close();
        if (peer != null) {
            peer.close();
        }
        broker.close();
        pool.shutdownNow();
    }

    private static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(b);
    }

    private static byte[] hex(String s) {
        return HexFormat.ofDelimiter(" ").parseHex(s);
    }

    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    /** Connects; the broker answers {@code connack}; returns the CONNECT. */
    private byte[] connect(boolean cleanStart, String connack) throws Exception {
        Future<Boolean> connected = pool.submit(() -> client.connect(cleanStart));
        peer = broker.accept();
        byte[] connect = peer.readPacket();
        peer.write(hex(connack));
        within(connected);
        return connect;
    }

    /** Runs the loop on the pool; its future ends with what it threw. */
    private Future<Void> loop() {
        return pool.submit(() -> {
            client.loop();
            return null;
        });
    }

    // ------------------------------------------------------------------ connect

    @Test
    void connectCarriesThePropertiesAndConnackIsRead() throws Exception {
        client.setSessionExpiryInterval(3600);
        client.setReceiveMaximum(10);
        client.setTopicAliasMaximum(5);
        client.setRequestResponseInformation(true);
        client.setRequestProblemInformation(false);
        client.setConnectUserProperties(List.of(new UserProperty("k", "v")));
        client.setMaxPacketSize(1000);
        byte[] connect = connect(false, "20 25 00 00 22 22 00 0A 21 00 14 13 00 1E 27 00 00 01 00 24 01 25 00"
                + " 1A 00 01 72 26 00 01 61 00 01 62 11 00 00 00 3C");
        assertEquals("10 2A 00 04 4D 51 54 54 05 00 00 3C 1B 11 00 00 0E 10 21 00 0A 27 00 00 03 EB 22 00 05 19 01"
                + " 17 00 26 00 01 6B 00 01 76 00 02 63 35", hex(connect));
        ServerSettings s = client.serverSettings();
        assertFalse(s.sessionPresent());
        assertEquals(10, s.topicAliasMaximum());
        assertEquals(20, s.receiveMaximum());
        assertEquals(30, s.serverKeepAlive());
        assertEquals(256, s.maximumPacketSize());
        assertEquals(1, s.maximumQos());
        assertFalse(s.retainAvailable());
        assertEquals("r", s.responseInformation());
        assertEquals(List.of(new UserProperty("a", "b")), s.userProperties());
        assertEquals(60, s.sessionExpiryInterval(), "the server's interval replaces ours");
        assertEquals(30, client.keepAlive.seconds(), "the server's keepalive replaces ours (MQTT-3.2.2-21)");
        assertEquals(60, client.keepAliveSeconds(), "the configured keepalive is unchanged");
        assertEquals(5, client.protocolVersion());
    }

    @Test
    void plainConnectAndConnackDefaults() throws Exception {
        byte[] connect = connect(true, "20 03 00 00 00");
        assertEquals("10 14 00 04 4D 51 54 54 05 02 00 3C 05 27 00 40 00 05 00 02 63 35", hex(connect),
                "Clean Start, the Maximum Packet Size (4 MiB + 5) alone");
        ServerSettings s = client.serverSettings();
        assertEquals(65_535, s.receiveMaximum());
        assertEquals(ServerSettings.NO_LIMIT, s.maximumPacketSize());
        assertEquals(-1, s.serverKeepAlive());
        assertEquals(0, s.sessionExpiryInterval());
        assertEquals(60, client.keepAlive.seconds());
    }

    @Test
    void refusedConnectionCarriesTheReasonString() throws Exception {
        Future<Boolean> connected = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        peer.readPacket();
        peer.write(hex("20 0A 00 86 07 1F 00 04 6E 6F 70 65"));
        MqttException e = assertThrows(MqttException.class, () -> within(connected));
        assertEquals(Reason.CONNECTION_REFUSED, e.reason());
        assertEquals(0x86, e.returnCode());
        assertEquals("nope", e.reasonString());
        assertTrue(e.getMessage().contains("bad user name or password (CONNACK reason code 0x86): nope"), e.getMessage());
    }

    @Test
    void emptyClientIdWithoutCleanStartAndTheAssignedIdentifierIsReused() throws Exception {
        client = new MqttClient("", "127.0.0.1", broker.port(), null, (byte[]) null, 0, null);
        client.setProtocolVersion(5);
        client.setSessionExpiryInterval(60);
        byte[] first = connect(false, "20 0A 00 00 07 12 00 04 61 62 63 64");
        assertEquals("00 00", hex(first).substring(hex(first).length() - 5), "an empty client identifier");
        assertEquals("abcd", client.serverSettings().assignedClientIdentifier());
        assertEquals("", client.clientId());
        client.disconnect();
        peer.close();
        byte[] second = connect(false, "20 03 01 00 00");
        assertTrue(hex(second).endsWith("00 04 61 62 63 64"), "the assigned identifier resumes the session: "
                + hex(second));
        assertTrue(client.serverSettings().sessionPresent());
    }

    @Test
    void mqtt5SettingsAreRefusedOnMqtt311() throws Exception {
        MqttClient c = new MqttClient("c4", "127.0.0.1", broker.port());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.setSessionExpiryInterval(10));
        assertEquals("client 'c4': the session expiry interval is an MQTT 5 setting, but the client speaks MQTT 3.1.1; "
                + "call setProtocolVersion(5) first", e.getMessage());
        assertThrows(IllegalStateException.class, () -> c.setReceiveMaximum(5));
        assertThrows(IllegalStateException.class, () -> c.setTopicAliasMaximum(5));
        assertThrows(IllegalStateException.class, () -> c.setRequestResponseInformation(true));
        assertThrows(IllegalStateException.class,
                () -> c.setConnectUserProperties(List.of(new UserProperty("a", "b"))));
        assertThrows(IllegalStateException.class, () -> c.setLastWill("w", new byte[0], false, 0, null, 5));
        assertThrows(IllegalStateException.class, () -> c.disconnect(0x04));
        c.setSessionExpiryInterval(0); // the defaults change nothing on the wire
        c.setReceiveMaximum(65_535);
        c.setConnectUserProperties(null);
        assertThrows(IllegalArgumentException.class, () -> c.setProtocolVersion(3));
        assertThrows(IllegalArgumentException.class, () -> client.setSessionExpiryInterval(0x1_0000_0000L));
        assertThrows(IllegalArgumentException.class, () -> client.setReceiveMaximum(0));
        assertThrows(IllegalArgumentException.class, () -> client.setTopicAliasMaximum(65_536));
        assertThrows(IllegalArgumentException.class, () -> client.setOutboundTopicAliases(-1));
        assertThrows(IllegalArgumentException.class, () -> client.disconnect(0x8E));
        assertEquals(4, c.protocolVersion());
        assertNull(c.serverSettings());
    }

    @Test
    void protocolVersionCannotChangeWhileConnected() throws Exception {
        connect(true, "20 03 00 00 00");
        assertThrows(IllegalStateException.class, () -> client.setProtocolVersion(4));
    }

    @Test
    void willWithPropertiesAndDelay() throws Exception {
        client.setLastWill("w", new byte[] {'m'}, true, 1, MqttProperties.builder().contentType("c").build(), 7);
        byte[] connect = connect(true, "20 03 00 00 00");
        assertTrue(hex(connect).endsWith("2E 00 3C 05 27 00 40 00 05 00 02 63 35 09 18 00 00 00 07 03 00 01 63"
                + " 00 01 77 00 01 6D"), hex(connect));
    }

    // ------------------------------------------------------------------ publishing

    @Test
    void publishWithPropertiesAndOutboundAliases() throws Exception {
        connect(true, "20 06 00 00 03 22 00 02"); // the broker accepts aliases 1 and 2
        client.publish("a/b", new byte[] {'1'}, false, 0, MqttProperties.builder().userProperty("k", "v").build());
        client.publish("a/b", new byte[] {'2'}, false, 0);
        client.publish("c", new byte[] {'3'}, false, 0);
        client.publish("d", new byte[] {'4'}, false, 0);
        client.publish("c", new byte[] {'5'}, false, 0);
        assertEquals("30 11 00 03 61 2F 62 0A 23 00 01 26 00 01 6B 00 01 76 31", hex(peer.readPacket()),
                "topic and alias 1, then the user property");
        assertEquals("30 07 00 00 03 23 00 01 32", hex(peer.readPacket()), "alias 1 alone");
        assertEquals("30 08 00 01 63 03 23 00 02 33", hex(peer.readPacket()), "c gets alias 2");
        assertEquals("30 05 00 01 64 00 34", hex(peer.readPacket()), "no alias left for d");
        assertEquals("30 07 00 00 03 23 00 02 35", hex(peer.readPacket()));
    }

    @Test
    void noOutboundAliasesWhenTurnedOffOrTheBrokerTakesNone() throws Exception {
        client.setOutboundTopicAliases(0);
        connect(true, "20 06 00 00 03 22 00 02");
        client.publish("a", new byte[0], false, 0);
        client.publish("a", new byte[0], false, 0);
        assertEquals("30 04 00 01 61 00", hex(peer.readPacket()));
        assertEquals("30 04 00 01 61 00", hex(peer.readPacket()));
    }

    @Test
    void propertiesAreRefusedOnMqtt311() throws Exception {
        client.setProtocolVersion(4);
        connect(true, "20 02 00 00");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.publish("t",
                new byte[0], false, 0, MqttProperties.builder().contentType("x").build()));
        assertTrue(e.getMessage().startsWith("client 'c5' speaks MQTT 3.1.1, which has no message properties"),
                e.getMessage());
        client.publish("t", new byte[0], false, 0, MqttProperties.EMPTY);
        assertEquals("30 03 00 01 74", hex(peer.readPacket()), "3.1.1 bytes");
    }

    @ParameterizedTest
    @CsvSource({"40 04 00 01 87 00, 135, ''", "40 08 00 01 97 04 1F 00 01 71, 151, q"})
    void pubackRefusalFailsThePublish(String puback, int code, String reason) throws Exception {
        connect(true, "20 03 00 00 00");
        Future<Void> loop = loop();
        Future<?> published = pool.submit(() -> {
            client.publish("t", new byte[] {'x'}, false, 1);
            return null;
        });
        assertEquals("32 07 00 01 74 00 01 00 78", hex(peer.readPacket()));
        peer.write(hex(puback));
        MqttException e = assertThrows(MqttException.class, () -> within(published));
        assertEquals(Reason.PUBLISH_REFUSED, e.reason());
        assertEquals(code, e.returnCode());
        assertEquals(reason.isEmpty() ? null : reason, e.reasonString());
        assertTrue(e.getMessage().contains("(PUBACK reason code 0x"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(topic 't')"), e.getMessage());
        assertTrue(client.isConnected(), "a refusal is no protocol error");
        assertFalse(loop.isDone());
    }

    @Test
    void noMatchingSubscribersIsSuccess() throws Exception {
        connect(true, "20 03 00 00 00");
        Future<?> published = pool.submit(() -> {
            client.publish("t", new byte[] {'x'}, false, 1);
            return null;
        });
        peer.readPacket();
        peer.write(hex("40 03 00 01 10"));
        within(published);
    }

    @Test
    void pubrecRefusalEndsTheQos2FlowWithoutPubrel() throws Exception {
        connect(true, "20 03 00 00 00");
        loop();
        Future<?> published = pool.submit(() -> {
            client.publish("t", new byte[] {'x'}, false, 2);
            return null;
        });
        peer.readPacket();
        peer.write(hex("50 03 00 01 99"));
        MqttException e = assertThrows(MqttException.class, () -> within(published));
        assertEquals(0x99, e.returnCode());
        // the packet id is free: the next QoS 2 publish gets id 2 and its PUBREL is the next packet
        Future<?> next = pool.submit(() -> {
            client.publish("t", new byte[] {'y'}, false, 2);
            return null;
        });
        assertEquals("34 07 00 01 74 00 02 00 79", hex(peer.readPacket()), "no PUBREL for the refused flow");
        peer.write(hex("50 02 00 02"));
        assertEquals("62 02 00 02", hex(peer.readPacket()));
        peer.write(hex("70 02 00 02"));
        within(next);
    }

    @Test
    void theBrokersReceiveMaximumCapsPublishesInFlight() throws Exception {
        connect(true, "20 06 00 00 03 21 00 02");
        loop();
        PublishToken first = client.publishAsync("t", new byte[] {'1'}, false, 1, null);
        client.publishAsync("t", new byte[] {'2'}, false, 1, null);
        peer.readPacket();
        peer.readPacket();
        Future<PublishToken> third = pool.submit(() -> client.publishAsync("t", new byte[] {'3'}, false, 1, null));
        peer.setReadTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> peer.readPacket(), "a third in flight would exceed 2");
        peer.setReadTimeout(10_000);
        assertFalse(third.isDone());
        peer.write(hex("40 02 00 01"));
        assertEquals("32 07 00 01 74 00 03 00 33", hex(peer.readPacket()));
        within(third);
        first.await();
    }

    @Test
    void theBrokersReceiveMaximumHoldsBackSynchronousPublishesToo() throws Exception {
        connect(true, "20 06 00 00 03 21 00 01"); // one QoS 1/2 publish in flight at most
        loop();
        Future<?> first = pool.submit(() -> {
            client.publish("t", new byte[] {'1'}, false, 1);
            return null;
        });
        assertEquals("32 07 00 01 74 00 01 00 31", hex(peer.readPacket()));
        Future<?> second = pool.submit(() -> {
            client.publish("t", new byte[] {'2'}, false, 2);
            return null;
        });
        PublishToken[] third = new PublishToken[1];
        Future<?> async = pool.submit(() -> {
            third[0] = client.publishAsync("t", new byte[] {'3'}, false, 1, null);
            return null;
        });
        peer.setReadTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> peer.readPacket(), "a second in flight would exceed 1");
        peer.setReadTimeout(10_000);
        peer.write(hex("40 02 00 01"));
        within(first);
        byte[] next = peer.readPacket(); // the QoS 2 or the QoS 1 publish, whichever got the slot
        int id = next[6] & 0xFF; // after the topic "t"
        if ((next[0] & 0xFF) == 0x34) {
            peer.write(bytes(0x50, 0x02, 0x00, id));
            assertEquals("62 02 00 0" + id, hex(peer.readPacket()));
            peer.write(bytes(0x70, 0x02, 0x00, id));
            within(second);
            byte[] last = peer.readPacket();
            assertEquals(0x32, last[0] & 0xFF);
            peer.write(bytes(0x40, 0x02, 0x00, last[6]));
        } else {
            assertEquals(0x32, next[0] & 0xFF);
            peer.write(bytes(0x40, 0x02, 0x00, id));
            byte[] last = peer.readPacket();
            assertEquals(0x34, last[0] & 0xFF);
            int id2 = last[6] & 0xFF;
            peer.write(bytes(0x50, 0x02, 0x00, id2));
            assertEquals("62 02 00 0" + id2, hex(peer.readPacket()));
            peer.write(bytes(0x70, 0x02, 0x00, id2));
            within(second);
        }
        within(async);
        third[0].await();
    }

    @Test
    void theBrokersMaximumPacketSizeIsKept() throws Exception {
        connect(true, "20 08 00 00 05 27 00 00 00 14"); // 20 bytes
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client.publish("t", new byte[15], false, 0));
        assertEquals("message too large for broker 127.0.0.1:" + broker.port() + " (client 'c5'): the PUBLISH on 't' "
                + "would be 21 bytes, the broker's Maximum Packet Size is 20 (MQTT-3.1.2-24); nothing was sent",
                e.getMessage());
        client.publish("t", new byte[14], false, 0);
        assertEquals(20, peer.readPacket().length);
    }

    @Test
    void disconnectWithReasonCode() throws Exception {
        connect(true, "20 03 00 00 00");
        client.disconnect(0x04);
        assertEquals("E0 01 04", hex(peer.readPacket()));
        assertTrue(peer.awaitClosed(5_000));
        assertEquals(ConnectionState.CLOSED, client.state());
    }

    @Test
    void plainDisconnectIsTheShortForm() throws Exception {
        connect(true, "20 03 00 00 00");
        client.disconnect(0);
        assertEquals("E0 00", hex(peer.readPacket()));
    }

    @ParameterizedTest
    @CsvSource({"5, 20 06 00 00 03 22 00 04", "4, 20 02 00 00"})
    void qos0PublishWithoutPropertiesAllocatesNothing(int version, String connack) throws Exception {
        client.setProtocolVersion(version);
        connect(true, connack);
        Future<?> drain = pool.submit(() -> {
            byte[] buf = new byte[65_536];
            while (peer.socket.getInputStream().read(buf) >= 0) {
                // discard
            }
            return null;
        });
        byte[] topic = "alloc/t".getBytes(StandardCharsets.UTF_8);
        byte[] msg = new byte[16];
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            client.publish(topic, msg, false, 0);
        }
        long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
        for (int i = 0; i < 10_000; i++) {
            client.publish(topic, msg, false, 0);
        }
        long perMessage = (threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before) / 10_000;
        System.out.println("protocol version " + version + ": QoS 0 publish without properties: " + perMessage
                + " B allocated");
        assertTrue(perMessage < 8, "allocated " + perMessage + " bytes per QoS 0 publish, protocol version " + version);
        assertFalse(drain.isDone());
    }

    // ------------------------------------------------------------------ receiving

    @Test
    void inboundPropertiesAndTopicAliases() throws Exception {
        client.setTopicAliasMaximum(3);
        connect(true, "20 03 00 00 00");
        loop();
        peer.write(hex("30 10 00 03 61 2F 62 09 23 00 03 26 00 01 6B 00 00 31")); // maps alias 3, user property
        peer.write(hex("30 07 00 00 03 23 00 03 32"));
        assertEquals("a/b=1 q0", received.poll(10, TimeUnit.SECONDS));
        assertEquals("", receivedProperties.poll().userProperty("k"));
        assertEquals("a/b=2 q0", received.poll(10, TimeUnit.SECONDS));
        assertSame(MqttProperties.EMPTY, receivedProperties.poll(), "an alias alone is no property");
    }

    /**
     * Bytes the reader allocates per received QoS 0 message without properties: the topic and the
     * payload the callback gets, as on MQTT 3.1.1 (an alias-resolved topic too).
     */
    @ParameterizedTest
    @CsvSource({"4, 20 02 00 00, 30 07 00 03 61 2F 62 78 79", "5, 20 03 00 00 00, 30 08 00 03 61 2F 62 00 78 79",
        "5, 20 03 00 00 00, 30 08 00 00 03 23 00 01 78 79"})
    void receivingWithoutPropertiesAllocatesOnlyTopicAndPayload(int version, String connack, String publish)
            throws Exception {
        client.setProtocolVersion(version);
        if (version == 5) {
            client.setTopicAliasMaximum(1);
        }
        int warm = 20_000;
        int measured = 10_000;
        long[] at = new long[2];
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int[] count = {0};
        client.setCallback((topic, msg, retain, dup, qos) -> {
            int n = ++count[0];
            if (n == warm) {
                at[0] = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            } else if (n == warm + measured) {
                at[1] = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
                done.countDown();
            }
        });
        connect(true, connack);
        loop();
        byte[] packet = hex(publish);
        byte[] batch = new byte[packet.length * 1000];
        for (int i = 0; i < 1000; i++) {
            System.arraycopy(packet, 0, batch, i * packet.length, packet.length);
        }
        if (version == 5) {
            peer.write(hex("30 0B 00 03 61 2F 62 03 23 00 01 78 79")); // maps alias 1 to a/b
        }
        for (int i = 0; i < (warm + measured) / 1000 + 1; i++) {
            peer.write(batch);
        }
        assertTrue(done.await(20, TimeUnit.SECONDS));
        long perMessage = (at[1] - at[0]) / measured;
        System.out.println("protocol version " + version + ", " + publish + ": the reader allocates " + perMessage
                + " B per received QoS 0 message");
        assertTrue(perMessage <= 56, "topic (3 bytes) and payload (2 bytes) arrays only, found " + perMessage + " B");
    }

    @Test
    void ourReceiveMaximumIsEnforced() throws Exception {
        client.setReceiveMaximum(1);
        client.setAckAfterProcessing(true);
        BlockingQueue<AckHold> holds = new ArrayBlockingQueue<>(10);
        client.setCallback((topic, msg, retain, dup, qos) -> holds.add(client.holdAck()));
        connect(true, "20 03 00 00 00");
        Future<Void> loop = loop();
        peer.write(hex("32 06 00 01 74 00 01 00"));
        holds.poll(10, TimeUnit.SECONDS); // held: 1 in flight
        peer.write(hex("32 06 00 01 74 00 02 00"));
        MqttException e = assertThrows(MqttException.class, () -> within(loop));
        assertEquals(0x93, e.returnCode());
        assertTrue(e.getMessage().contains("more than the Receive Maximum 1 the client announced (MQTT-3.3.4-9)"),
                e.getMessage());
        assertEquals("E0 01 93", hex(peer.readPacket()));
    }

    @Test
    void receiveMaximumCountsOnlyUnacknowledged() throws Exception {
        client.setReceiveMaximum(1);
        connect(true, "20 03 00 00 00");
        loop();
        for (int id = 1; id <= 3; id++) {
            peer.write(bytes(0x32, 0x06, 0x00, 0x01, 't', 0x00, id, 0x00));
            assertEquals("40 02 00 0" + id, hex(peer.readPacket()));
        }
        assertEquals(3, received.size());
    }

    @Test
    void serverDisconnectIsReportedAsSuch() throws Exception {
        connect(true, "20 03 00 00 00");
        Future<Void> loop = loop();
        peer.write(hex("E0 0A 8B 08 1F 00 05 62 79 65 2E 2E"));
        MqttException e = assertThrows(MqttException.class, () -> within(loop));
        assertEquals(Reason.DISCONNECTED_BY_SERVER, e.reason());
        assertEquals(0x8B, e.returnCode());
        assertEquals("bye..", e.reasonString());
        assertEquals("broker 127.0.0.1:" + broker.port() + " disconnected client 'c5': server shutting down "
                + "(DISCONNECT reason code 0x8B): bye..", e.getMessage());
        assertSame(e, client.failure());
        assertEquals(ConnectionState.LOST, client.state());
        assertTrue(peer.awaitClosed(5_000), "closed without a DISCONNECT of ours");
    }

    /** A DISCONNECT "use another server" carries its Server Reference in the exception's field, not only its text. */
    @Test
    void serverDisconnectCarriesTheServerReference() throws Exception {
        connect(true, "20 03 00 00 00");
        Future<Void> loop = loop();
        // DISCONNECT 0x9C, properties: Server Reference (0x1C) "b:1884" (6 bytes)
        peer.write(hex("E0 0B 9C 09 1C 00 06 62 3A 31 38 38 34"));
        MqttException e = assertThrows(MqttException.class, () -> within(loop));
        assertEquals(Reason.DISCONNECTED_BY_SERVER, e.reason());
        assertEquals(0x9C, e.returnCode());
        assertEquals("b:1884", e.serverReference());
        assertTrue(e.getMessage().endsWith("use another server (DISCONNECT reason code 0x9C); server reference: b:1884"),
                e.getMessage());
    }

    /** Malformed or forbidden packets from the server: refused, a DISCONNECT with the reason, closed. */
    @ParameterizedTest
    @CsvSource({
        "30 07 00 00 03 23 00 01 78, 94, Topic Alias 1", // an alias never mapped
        "30 08 00 01 61 03 23 00 09 78, 94, above the Topic Alias Maximum 3",
        "30 08 00 01 61 04 01 01 01 01, 82, Payload Format Indicator (0x01) more than once",
        "30 06 00 01 61 02 24 01, 82, PUBLISH must not carry Maximum QoS (0x24)",
        "30 05 00 01 61 80 00, 81, not in its shortest form",
        "30 06 00 01 61 02 26 00, 81, ends inside its two byte length",
        "40 03 00 05 05, 82, PUBACK reason code 0x05",
        "40 05 00 05 00 02 1F, 81, property length 2 runs past the end",
        "50 03 00 05 92, 82, PUBREC reason code 0x92",
        "70 03 00 05 87, 82, PUBCOMP reason code 0x87",
        "62 05 00 05 00 00 01, 81, 1 bytes after its properties",
        "E0 07 00 05 11 00 00 00 01, 82, MQTT-3.14.2-2",
        "E0 01 04, 82, DISCONNECT reason code 0x04",
        "F0 00, 82, unexpected AUTH",
        "20 03 00 00 00, 82, unexpected CONNACK",
        "E2 00, 81, DISCONNECT fixed header flags",
        "90 04 00 01 00 03, 82, SUBACK reason code 0x03",
        "30 09 00 01 61 05 03 00 02 C0 80, 81, not a valid UTF-8 string",
    })
    void malformedPacketIsRefusedWithDisconnect(String packet, String code, String fragment) throws Exception {
        client.setTopicAliasMaximum(3);
        connect(true, "20 03 00 00 00");
        Future<Void> loop = loop();
        peer.write(hex(packet));
        MqttException e = assertThrows(MqttException.class, () -> within(loop));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertEquals(Integer.parseInt(code, 16), e.returnCode(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertEquals("E0 01 " + code, hex(peer.readPacket()), "DISCONNECT with the reason before closing");
        assertTrue(peer.awaitClosed(5_000));
        assertEquals(ConnectionState.LOST, client.state());
    }

    /** A malformed CONNACK: connect fails with the protocol error, after a DISCONNECT with its reason. */
    @ParameterizedTest
    @CsvSource({"20 02 00 00, 81, cannot hold the acknowledge flags", "20 03 00 05 00, 82, CONNACK reason code 0x05",
        "20 03 02 00 00, 81, acknowledge flags must be 0 or 1", "20 03 01 00 00, 82, MQTT-3.2.2-2",
        "20 05 00 00 02 23 00, 82, CONNACK must not carry Topic Alias", "20 04 00 00 00 00, 81, 1 bytes after",
        "20 06 00 00 03 21 00 00, 82, Receive Maximum (0x21) must not be 0",
        "20 08 00 00 05 12 00 02 C0 80, 81, Assigned Client Identifier (0x12) is not a valid UTF-8 string"})
    void malformedConnack(String connack, String code, String fragment) throws Exception {
        Future<Boolean> connected = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        peer.readPacket();
        peer.write(hex(connack));
        MqttException e = assertThrows(MqttException.class, () -> within(connected));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertEquals(Integer.parseInt(code, 16), e.returnCode(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        assertEquals("E0 01 " + code, hex(peer.readPacket()));
        assertTrue(peer.awaitClosed(5_000));
        assertFalse(client.isConnected());
    }

    @Test
    void packetAboveOurMaximumIsPacketTooLarge() throws Exception {
        client.setMaxPacketSize(10);
        connect(true, "20 03 00 00 00");
        Future<Void> loop = loop();
        peer.write(hex("30 0B 00 01 61 00 01 02 03 04 05 06 07"));
        MqttException e = assertThrows(MqttException.class, () -> within(loop));
        assertEquals(0x95, e.returnCode());
        assertEquals("E0 01 95", hex(peer.readPacket()));
    }

    @Test
    void mqtt311ClientStillRefusesDisconnectAndAuthFromTheServer() throws Exception {
        client.setProtocolVersion(4);
        connect(true, "20 02 00 00");
        Future<Void> loop = loop();
        peer.write(hex("E0 00"));
        MqttException e = assertThrows(MqttException.class, () -> within(loop));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertEquals(MqttException.NO_RETURN_CODE, e.returnCode());
        assertTrue(peer.awaitClosed(5_000), "no DISCONNECT on MQTT 3.1.1: closed at once");
    }

    @Test
    void subscribeAndUnsubscribeInTheirMqtt5Form() throws Exception {
        connect(true, "20 03 00 00 00");
        loop();
        Future<Integer> granted = pool.submit(() -> client.subscribe("a/#", 1));
        assertEquals("82 09 00 01 00 00 03 61 2F 23 01", hex(peer.readPacket()));
        peer.write(hex("90 04 00 01 00 01"));
        assertEquals(1, within(granted));
        Future<Integer> refused = pool.submit(() -> client.subscribe("b", 1));
        peer.readPacket();
        peer.write(hex("90 04 00 02 00 87"));
        MqttException e = assertThrows(MqttException.class, () -> within(refused));
        assertEquals(Reason.SUBSCRIPTION_REFUSED, e.reason());
        Future<?> unsubscribed = pool.submit(() -> {
            client.unsubscribe("a/#");
            return null;
        });
        assertEquals("A2 08 00 03 00 00 03 61 2F 23", hex(peer.readPacket()));
        peer.write(hex("B0 04 00 03 00 00"));
        within(unsubscribed);
    }
}
