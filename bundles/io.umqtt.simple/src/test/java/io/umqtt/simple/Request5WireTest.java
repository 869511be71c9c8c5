package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.MqttProperties;
import io.umqtt.simple.internal.codec.FixedHeader;
import io.umqtt.simple.internal.codec.Properties;
import io.umqtt.simple.internal.codec.PropertyWriter;
import io.umqtt.simple.internal.codec.PublishDecoder;

/**
 * {@link MqttClient#request} on the wire, against a broker whose every byte the test writes: the
 * response topic's SUBSCRIBE, the request's Response Topic and Correlation Data, responses that
 * answer no request, and the connection's loss while a request waits.
 */
class Request5WireTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final BlockingQueue<String> delivered = new LinkedBlockingQueue<>();
    private ScriptedBroker broker;
    private ScriptedBroker.Peer peer;
    private MqttClient client;

    @BeforeEach
    void connect() throws Exception {
        broker = new ScriptedBroker();
        client = new MqttClient("req5", "127.0.0.1", broker.port());
        client.setProtocolVersion(5);
        client.setCallback((topic, msg, retain, dup, qos) -> delivered.add(new String(topic, StandardCharsets.UTF_8)
                + "=" + new String(msg, StandardCharsets.UTF_8)));
        Future<Boolean> connected = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        peer.readPacket();
        peer.write(0x20, 0x03, 0x00, 0x00, 0x00);
        connected.get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        client.close();
        peer.close();
        broker.close();
        pool.shutdownNow();
    }

    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    /** A QoS 0 PUBLISH from the broker with correlation data (null: none). */
    private static byte[] publish(String topic, String payload, byte[] correlation) {
        PropertyWriter w = new PropertyWriter(Properties.PUBLISH);
        if (correlation != null) {
            w.putBinary(Properties.CORRELATION_DATA, correlation);
        }
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        byte[] p = payload.getBytes(StandardCharsets.UTF_8);
        int rem = 2 + t.length + w.encodedLength() + p.length;
        byte[] b = new byte[1 + FixedHeader.varIntSize(rem) + rem];
        b[0] = 0x30;
        int at = FixedHeader.writeVarInt(b, 1, rem);
        b[at++] = (byte) (t.length >> 8);
        b[at++] = (byte) t.length;
        System.arraycopy(t, 0, b, at, t.length);
        at = w.writeTo(b, at + t.length);
        System.arraycopy(p, 0, b, at, p.length);
        return b;
    }

    /** The broker's side of the response topic's SUBSCRIBE: checks it, grants QoS 2; returns the topic. */
    private String grantResponseTopic(int packetId) throws IOException {
        byte[] sub = peer.readPacket();
        assertEquals(0x82, sub[0] & 0xFF);
        int body = FixedHeader.bodyOffset(sub, 0);
        assertEquals(packetId, ((sub[body] & 0xFF) << 8) | (sub[body + 1] & 0xFF));
        assertEquals(0, sub[body + 2], "no properties");
        int len = ((sub[body + 3] & 0xFF) << 8) | (sub[body + 4] & 0xFF);
        String topic = new String(sub, body + 5, len, StandardCharsets.UTF_8);
        assertEquals(2, sub[body + 5 + len], "subscribed at QoS 2: responses keep their QoS");
        assertEquals(sub.length, body + 6 + len, "one filter");
        peer.write(0x90, 0x04, packetId >> 8, packetId, 0x00, 0x02);
        return topic;
    }

    /** Reads the request's PUBLISH and returns its properties (it must be QoS 1, packet id {@code id}: PUBACKed). */
    private MqttProperties readRequest(String topic, String payload, int id) throws IOException {
        byte[] pub = peer.readPacket();
        PublishDecoder d = new PublishDecoder();
        d.mqtt5(0);
        d.decode(pub, 0, pub.length, "127.0.0.1", broker.port());
        assertEquals(topic, new String(d.topic(), StandardCharsets.UTF_8));
        assertEquals(payload, new String(pub, d.payloadOffset(), d.payloadEnd() - d.payloadOffset(),
                StandardCharsets.UTF_8));
        assertEquals(1, d.qos());
        assertEquals(id, d.packetId());
        peer.write(0x40, 0x02, id >> 8, id);
        return d.properties();
    }

    @Test
    void theRequestCarriesResponseTopicAndCorrelationDataAndOnlyItsResponseEndsIt() throws Exception {
        Future<Response> requesting = pool.submit(() -> client.request("svc/a", "q".getBytes(StandardCharsets.UTF_8),
                1, MqttProperties.builder().userProperty("k", "v").build(), 10_000));
        String responseTopic = grantResponseTopic(1);
        assertTrue(responseTopic.matches("umqtt/response/[0-9a-f]{16}"), responseTopic);
        MqttProperties p = readRequest("svc/a", "q", 2);
        assertEquals(responseTopic, p.responseTopic());
        byte[] correlation = p.correlationData();
        assertNotNull(correlation);
        assertEquals(16, correlation.length);
        assertEquals("v", p.userProperty("k"));

        byte[] other = correlation.clone();
        other[15] ^= 1; // another request's
        peer.write(publish(responseTopic, "not mine", other), publish(responseTopic, "no correlation", null),
                publish("elsewhere", "for the callback", null), publish(responseTopic, "mine", correlation));
        Response r = within(requesting);
        assertEquals("mine", new String(r.payload(), StandardCharsets.UTF_8));
        assertEquals(responseTopic, r.topicString());
        assertArrayEquals(correlation, r.properties().correlationData());
        assertEquals(2, client.session5.requests.lateResponses, "the two that answer no request were dropped");
        assertEquals("elsewhere=for the callback", delivered.poll(10, TimeUnit.SECONDS));

        // a late response: dropped, never delivered; the next message goes to the callback
        peer.write(publish(responseTopic, "late", correlation), publish("elsewhere", "next", null));
        Future<PacketType> step = pool.submit(() -> {
            PacketType t;
            while ((t = client.waitMsg()) != PacketType.PUBLISH || delivered.isEmpty()) {
                // the late response is a PUBLISH too: go on until the callback got one
            }
            return t;
        });
        within(step);
        assertEquals("elsewhere=next", delivered.poll());
        assertEquals(3, client.session5.requests.lateResponses);

        // a second request: same response topic, not subscribed again on this connection
        Future<Response> second = pool.submit(() -> client.request("svc/a", "r".getBytes(StandardCharsets.UTF_8), 1,
                MqttProperties.EMPTY, 10_000));
        MqttProperties p2 = readRequest("svc/a", "r", 3);
        assertEquals(responseTopic, p2.responseTopic());
        assertFalse(java.util.Arrays.equals(correlation, p2.correlationData()));
        peer.write(publish(responseTopic, "second", p2.correlationData()));
        assertEquals("second", new String(within(second).payload(), StandardCharsets.UTF_8));
    }

    @Test
    void aRequestWaitingWhenTheConnectionIsLostFailsWithTheLoss() throws Exception {
        Future<Response> requesting = pool.submit(() -> client.request("svc/b", new byte[0], 1, MqttProperties.EMPTY,
                10_000));
        grantResponseTopic(1);
        readRequest("svc/b", "", 2);
        peer.close();
        IOException e = assertThrows(IOException.class, () -> within(requesting));
        assertTrue(e.getMessage().contains("lost while waiting for the response to the request on 'svc/b'"),
                e.getMessage());
    }

    @Test
    void requestArgumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> client.request("svc/+", new byte[0], 1,
                MqttProperties.EMPTY, 1000));
        assertThrows(IllegalArgumentException.class, () -> client.request("svc", new byte[0], 1,
                MqttProperties.EMPTY, 0));
        assertThrows(IllegalArgumentException.class, () -> client.request("svc", new byte[0], 1, null, 1000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.request("svc",
                new byte[0], 1, MqttProperties.builder().responseTopic("mine").build(), 1000));
        assertTrue(e.getMessage().contains("set by the client"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> client.request("svc", new byte[0], 1,
                MqttProperties.builder().correlationData(bytes(1)).build(), 1000));
    }
}
