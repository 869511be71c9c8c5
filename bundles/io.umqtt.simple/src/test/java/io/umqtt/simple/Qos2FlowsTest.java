package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static io.umqtt.simple.ScriptedBroker.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.ScriptedBroker.Peer;

/**
 * QoS 2 (exactly once) in the simple client, byte for byte against a scripted broker: our
 * publishes (PUBLISH, PUBREC, PUBREL, PUBCOMP), received messages (PUBLISH, PUBREC, PUBREL,
 * PUBCOMP, each packet id delivered once until its PUBREL, across connections of a kept session),
 * the acks' order, and a broker that breaks the flow.
 */
class Qos2FlowsTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private MqttClient client;
    private Peer peer;
    private final BlockingQueue<String> received = new ArrayBlockingQueue<>(1000);

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
        client = new MqttClient("q2", "127.0.0.1", broker.port(), null, (byte[]) null, 0, null);
        client.setAckTimeout(10_000);
        client.setCallback((topic, msg, retain, dup, qos) -> received.add(
                new String(topic, StandardCharsets.UTF_8) + "=" + new String(msg, StandardCharsets.UTF_8) + " q" + qos
                        + (dup ? " d" : "")));
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

    /** Connects with the given clean session flag; the broker answers with {@code sessionPresent}. */
    private byte[] connect(boolean cleanSession, int sessionPresent) throws Exception {
        Future<Boolean> connected = pool.submit(() -> client.connect(cleanSession));
        peer = broker.accept();
        byte[] connect = peer.readPacket();
        assertEquals(0x10, connect[0] & 0xFF);
        peer.write(ScriptedBroker.connack(sessionPresent, 0));
        assertEquals(sessionPresent == 1, within(connected));
        return connect;
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

    /** PUBLISH at QoS 2 on topic "t" with a one-byte payload. */
    private static byte[] publish2(int id, boolean dup, char payload) {
        return bytes(0x34 | (dup ? 0x08 : 0), 0x06, 0x00, 0x01, 't', id >> 8, id & 0xFF, payload);
    }

    private static int idOf(byte[] publish) {
        // fixed header (2 bytes for these small packets), topic length and topic, then the id
        int topicLength = ((publish[2] & 0xFF) << 8) | (publish[3] & 0xFF);
        return ((publish[4 + topicLength] & 0xFF) << 8) | (publish[5 + topicLength] & 0xFF);
    }

    private static byte[] ack(int header, int id) {
        return bytes(header, 0x02, id >> 8, id & 0xFF);
    }

    // ------------------------------------------------------------------ our publishes

    @Test
    void publishAtQos2SendsPubrelOnPubrecAndReturnsOnPubcomp() throws Exception {
        connect(true, 0);
        Future<?> published = pool.submit(() -> {
            client.publish("t", "m", false, 2);
            return null;
        });
        byte[] publish = peer.readPacket();
        assertEquals(0x34, publish[0] & 0xFF, "PUBLISH, QoS 2, no DUP");
        int id = idOf(publish);
        peer.write(ack(0x50, id)); // PUBREC
        assertArrayEquals(ack(0x62, id), peer.readPacket(), "PUBREL, flags 0010, same packet id");
        assertFalse(published.isDone(), "a QoS 2 publish is not complete before its PUBCOMP");
        peer.write(ack(0x70, id)); // PUBCOMP
        within(published);
        assertTrue(client.acks.pendingIds().isEmpty());
    }

    @Test
    void publishAsyncAtQos2CompletesOnPubcompAndTheWindowCountsItUntilThen() throws Exception {
        client.setMaxInflight(1);
        connect(true, 0);
        Future<?> loop = pool.submit(() -> {
            client.loop();
            return null;
        });
        PublishToken first = client.publishAsync("t", "1", false, 2);
        int id = idOf(peer.readPacket());
        assertEquals(first.packetId(), id);
        Future<PublishToken> second = pool.submit(() -> client.publishAsync("t", "2", false, 2));
        peer.write(ack(0x50, id));
        assertArrayEquals(ack(0x62, id), peer.readPacket()); // the loop thread released it
        assertFalse(first.isDone(), "complete only on PUBCOMP");
        assertFalse(second.isDone(), "the window of 1 is still taken by the first flow");
        peer.write(ack(0x70, id));
        byte[] next = peer.readPacket();
        assertEquals(0x34, next[0] & 0xFF, "the second publish goes out once the first flow is complete");
        first.await();
        assertNull(first.failure());
        PublishToken t2 = within(second);
        assertEquals(t2.packetId(), idOf(next));
        peer.write(ack(0x50, t2.packetId()));
        assertArrayEquals(ack(0x62, t2.packetId()), peer.readPacket());
        peer.write(ack(0x70, t2.packetId()));
        t2.await();
        client.disconnect();
        within(loop);
    }

    @Test
    void aRepeatedPubrecIsAnsweredWithPubrelAgain() throws Exception {
        connect(true, 0);
        Future<?> published = pool.submit(() -> {
            client.publish("t", "m", false, 2);
            return null;
        });
        int id = idOf(peer.readPacket());
        peer.write(ack(0x50, id));
        assertArrayEquals(ack(0x62, id), peer.readPacket());
        peer.write(ack(0x50, id));
        assertArrayEquals(ack(0x62, id), peer.readPacket());
        peer.write(ack(0x70, id));
        within(published);
    }

    @Test
    void subscribeAndLastWillAtQos2() throws Exception {
        client.setLastWill("w", "gone", true, 2);
        byte[] connect = connect(true, 0);
        int flags = connect[9] & 0xFF; // after 10 02 | 00 04 MQTT | 04
        assertEquals(2, (flags >> 3) & 0x03, "will QoS 2 in the connect flags");
        Future<Integer> granted = pool.submit(() -> client.subscribe("a/#", 2));
        byte[] subscribe = peer.readPacket();
        assertEquals(0x82, subscribe[0] & 0xFF);
        assertEquals(2, subscribe[subscribe.length - 1], "requested QoS 2");
        peer.write(bytes(0x90, 0x03, subscribe[2], subscribe[3], 0x02));
        assertEquals(2, within(granted));
    }

    // ------------------------------------------------------------------ received messages

    @Test
    void aQos2MessageIsDeliveredOncePerPacketIdUntilItsPubrel() throws Exception {
        connect(true, 0);
        peer.write(publish2(5, false, 'a'));
        assertEquals(PacketType.PUBLISH, within(pool.submit(client::waitMsg)));
        assertEquals("t=a q2", received.poll());
        assertArrayEquals(ack(0x50, 5), peer.readPacket(), "PUBREC after delivery");
        // the broker did not see our PUBREC in time and resends with DUP: acknowledged, not delivered
        peer.write(publish2(5, true, 'a'));
        assertEquals(PacketType.PUBLISH, within(pool.submit(client::waitMsg)));
        assertArrayEquals(ack(0x50, 5), peer.readPacket());
        assertNull(received.poll(), "not delivered a second time");
        peer.write(ack(0x62, 5)); // PUBREL
        assertEquals(PacketType.PUBREL, within(pool.submit(client::waitMsg)));
        assertArrayEquals(ack(0x70, 5), peer.readPacket(), "PUBCOMP");
        // the id is free again: a new message under it is delivered
        peer.write(publish2(5, false, 'b'));
        within(pool.submit(client::waitMsg));
        assertEquals("t=b q2", received.poll());
        assertArrayEquals(ack(0x50, 5), peer.readPacket());
    }

    @Test
    void aPubrelForAnUnknownIdIsAnsweredWithPubcomp() throws Exception {
        connect(true, 0);
        peer.write(ack(0x62, 77));
        assertEquals(PacketType.PUBREL, within(pool.submit(client::waitMsg)));
        assertArrayEquals(ack(0x70, 77), peer.readPacket());
        assertTrue(client.isConnected());
    }

    @Test
    void aPubrecNothingAwaitsIsAnsweredWithPubrelAndCountedStray() throws Exception {
        connect(true, 0);
        peer.write(ack(0x50, 9));
        assertEquals(PacketType.PUBREC, within(pool.submit(client::waitMsg)));
        assertArrayEquals(ack(0x62, 9), peer.readPacket(), "released, so that the broker frees the packet id");
        assertEquals(1, client.strayAcks());
        peer.write(ack(0x70, 9));
        assertEquals(PacketType.PUBCOMP, within(pool.submit(client::waitMsg)));
        assertEquals(2, client.strayAcks());
        assertTrue(client.isConnected());
    }

    @Test
    void acksGoOutInTheOrderThePublishesCameIn() throws Exception {
        connect(true, 0);
        peer.write(concat(
                bytes(0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 'x'), // QoS 1, id 1
                publish2(2, false, 'y'),
                bytes(0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x03, 'z'), // QoS 1, id 3
                publish2(4, false, 'w')));
        for (int i = 0; i < 4; i++) {
            within(pool.submit(client::waitMsg));
        }
        assertArrayEquals(ack(0x40, 1), peer.readPacket());
        assertArrayEquals(ack(0x50, 2), peer.readPacket());
        assertArrayEquals(ack(0x40, 3), peer.readPacket());
        assertArrayEquals(ack(0x50, 4), peer.readPacket());
        assertEquals(4, received.size());
    }

    @Test
    void theReceivedIdsSurviveAReconnectWithSessionPresentAndAreClearedWithout() throws Exception {
        connect(false, 0);
        peer.write(publish2(3, false, 'a'));
        within(pool.submit(client::waitMsg));
        assertEquals("t=a q2", received.poll());
        assertArrayEquals(ack(0x50, 3), peer.readPacket());
        peer.close(); // the PUBREL never comes on this connection
        assertThrows(IOException.class, () -> within(pool.submit(client::waitMsg)));

        connect(false, 1); // the session survived: the broker resends the PUBLISH with DUP
        peer.write(publish2(3, true, 'a'));
        within(pool.submit(client::waitMsg));
        assertArrayEquals(ack(0x50, 3), peer.readPacket());
        assertNull(received.poll(), "delivered once in the session");
        assertEquals(1, client.inbound.awaitingReleaseCount());
        peer.close();
        assertThrows(IOException.class, () -> within(pool.submit(client::waitMsg)));

        connect(false, 0); // the broker lost the session: id 3 is a new message
        assertEquals(0, client.inbound.awaitingReleaseCount());
        peer.write(publish2(3, false, 'c'));
        within(pool.submit(client::waitMsg));
        assertEquals("t=c q2", received.poll());
    }

    // ------------------------------------------------------------------ a broker that breaks the flow

    @Test
    void pubcompBeforePubrecIsAProtocolErrorNamingTheBroker() throws Exception {
        connect(true, 0);
        Future<?> published = pool.submit(() -> {
            client.publish("t", "m", false, 2);
            return null;
        });
        int id = idOf(peer.readPacket());
        peer.write(ack(0x70, id));
        IOException e = assertThrows(IOException.class, () -> within(published));
        MqttException cause = e instanceof MqttException ? (MqttException) e : (MqttException) e.getCause();
        assertEquals(Reason.PROTOCOL_ERROR, cause.reason());
        assertTrue(e.getMessage().contains("received PUBCOMP for packet id " + id + " from 127.0.0.1:" + broker.port()
                + ", which awaits a PUBREC"), e.getMessage());
        assertEquals(ConnectionState.LOST, client.state());
    }

    @Test
    void pubrecForAQos1PublishIsAProtocolError() throws Exception {
        connect(true, 0);
        Future<?> published = pool.submit(() -> {
            client.publish("t", "m", false, 1);
            return null;
        });
        int id = idOf(peer.readPacket());
        peer.write(ack(0x50, id));
        IOException e = assertThrows(IOException.class, () -> within(published));
        assertTrue(e.getMessage().contains("received PUBREC for packet id " + id + " from 127.0.0.1:" + broker.port()
                + ", which awaits a PUBACK"), e.getMessage());
        assertTrue(peer.awaitClosed(10_000));
    }

    @Test
    void aPubrelWithWrongFlagsClosesTheConnection() throws Exception {
        connect(true, 0);
        peer.write(bytes(0x60, 0x02, 0x00, 0x01));
        MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertTrue(e.getMessage().contains("PUBREL fixed header flags must be 0x2, found 0x0"), e.getMessage());
        assertTrue(peer.awaitClosed(10_000));
    }

    @Test
    void aQos2PublishGivenUpKeepsItsPacketIdUntilItsPubcomp() throws Exception {
        client.setAckTimeout(300);
        connect(true, 0);
        client.acks.setLastPacketId(0);
        Future<?> published = pool.submit(() -> {
            client.publish("t", "m", false, 2);
            return null;
        });
        int id = idOf(peer.readPacket());
        assertEquals(1, id);
        MqttException e = assertThrows(MqttException.class, () -> within(published));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("no PUBREC for packet id 1"), e.getMessage());
        assertTrue(client.acks.pendingIds().contains(1), "the broker may still hold the flow of id 1");
        client.acks.setLastPacketId(0);
        Future<?> next = pool.submit(() -> {
            client.publish("t", "n", false, 1);
            return null;
        });
        byte[] second = peer.readPacket();
        assertEquals(2, idOf(second), "id 1 is not used again while its flow may be open at the broker");
        peer.write(ack(0x40, 2));
        within(next);
    }
}
