package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.UserProperty;
import io.umqtt.simple.internal.codec.Properties;
import io.umqtt.simple.internal.codec.PropertyWriter;
import io.umqtt.simple.internal.codec.SubscribeEncoder;
import io.umqtt.simple.internal.codec.UnsubscribeEncoder;

/**
 * MQTT 5 SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK on the wire, against a broker whose every byte
 * the test writes: the options byte, subscription identifiers per packet, user properties, reason
 * codes, and the strict checks of the broker's acks.
 */
class Subscriptions5WireTest {
    /** CONNACK of MQTT 5: no session, success, no properties. */
    static final byte[] CONNACK5 = bytes(0x20, 0x03, 0x00, 0x00, 0x00);

    private final ExecutorService pool = Executors.newCachedThreadPool();
    private ScriptedBroker broker;
    private ScriptedBroker.Peer peer;
    private MqttClient client;

    private void connect(int version) throws Exception {
        connect(version, version == 5 ? CONNACK5 : ScriptedBroker.connack(0, 0));
    }

    private void connect(int version, byte[] connack) throws Exception {
        broker = new ScriptedBroker();
        client = new MqttClient("sub5", "127.0.0.1", broker.port());
        client.setProtocolVersion(version);
        Future<Boolean> connected = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        byte[] connect = peer.readPacket();
        assertEquals(0x10, connect[0] & 0xFF);
        peer.write(connack);
        connected.get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        if (client != null) {
            client.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (broker != null) {
            broker.close();
        }
        pool.shutdownNow();
    }

    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private static byte[][] utf8(String... f) {
        byte[][] out = new byte[f.length][];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    private static PropertyWriter none(int packet) {
        return new PropertyWriter(packet);
    }

    @Test
    void theOptionsByteAndTheSubscriptionIdentifierGoOnTheWire() throws Exception {
        connect(5);
        SubscriptionOptions o = SubscriptionOptions.qos(1).withNoLocal(true).withRetainAsPublished(true)
                .withRetainHandling(SubscriptionOptions.DO_NOT_SEND_RETAINED).withSubscriptionIdentifier(300);
        Future<Integer> subscribing = pool.submit(() -> client.subscribe("a/#", o));
        byte[] expected = bytes(0x82, 0x0C, 0x00, 0x01,
                0x03, 0x0B, 0xAC, 0x02,         // subscription identifier 300
                0x00, 0x03, 'a', '/', '#', 0x2D);
        assertArrayEquals(expected, peer.readPacket());
        peer.write(0x90, 0x04, 0x00, 0x01, 0x00, 0x01);
        assertEquals(1, within(subscribing));
    }

    @Test
    void aPlainSubscribeOnMqtt5HasAnEmptyPropertyBlock() throws Exception {
        connect(5);
        Future<Integer> subscribing = pool.submit(() -> client.subscribe("t", 2));
        assertArrayEquals(bytes(0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x02), peer.readPacket());
        peer.write(0x90, 0x04, 0x00, 0x01, 0x00, 0x02);
        assertEquals(2, within(subscribing));
    }

    @Test
    void filtersWithDifferentSubscriptionIdentifiersGoInDifferentPackets() throws Exception {
        connect(5);
        String[] filters = {"a", "b", "c", "d"};
        SubscriptionOptions[] options = {
            SubscriptionOptions.qos(0).withSubscriptionIdentifier(7),
            SubscriptionOptions.qos(1).withSubscriptionIdentifier(7),
            SubscriptionOptions.qos(1),
            SubscriptionOptions.qos(2).withSubscriptionIdentifier(8)
        };
        List<UserProperty> user = List.of(new UserProperty("app", "x"));
        Future<int[]> subscribing = pool.submit(() -> client.subscribe(filters, options, user));
        byte[][] f = utf8(filters);
        int[] bytes = {0, 1, 1, 2};
        assertArrayEquals(SubscribeEncoder.encode5(1, none(Properties.SUBSCRIBE)
                .putVarInt(Properties.SUBSCRIPTION_IDENTIFIER, 7).putUserProperties(user), f, bytes, 0, 2),
                peer.readPacket());
        assertArrayEquals(SubscribeEncoder.encode5(2, none(Properties.SUBSCRIBE).putUserProperties(user), f, bytes,
                2, 3), peer.readPacket());
        assertArrayEquals(SubscribeEncoder.encode5(3, none(Properties.SUBSCRIBE)
                .putVarInt(Properties.SUBSCRIPTION_IDENTIFIER, 8).putUserProperties(user), f, bytes, 3, 4),
                peer.readPacket());
        peer.write(bytes(0x90, 0x04, 0x00, 0x03, 0x00, 0xA1), bytes(0x90, 0x05, 0x00, 0x01, 0x00, 0x00, 0x87),
                bytes(0x90, 0x04, 0x00, 0x02, 0x00, 0x01));
        assertArrayEquals(new int[] {0, 0x87, 1, 0xA1}, within(subscribing));
        assertEquals(List.of(), client.acks.pendingIds());
    }

    @Test
    void aRefusedFilterFailsTheSingleSubscribeWithItsReasonCodeAndString() throws Exception {
        connect(5);
        Future<Integer> subscribing = pool.submit(() -> client.subscribe("secret/#", SubscriptionOptions.qos(1)));
        peer.readPacket();
        peer.write(0x90, 0x0B, 0x00, 0x01, 0x07, 0x1F, 0x00, 0x04, 'n', 'o', 'p', 'e', 0x87);
        MqttException e = assertThrows(MqttException.class, () -> within(subscribing));
        assertEquals(Reason.SUBSCRIPTION_REFUSED, e.reason());
        assertEquals(0x87, e.returnCode());
        assertEquals("nope", e.reasonString());
        assertTrue(e.getMessage().contains("'secret/#'") && e.getMessage().contains("0x87, not authorized"),
                e.getMessage());
        assertTrue(client.isConnected());
    }

    @Test
    void theOldSeveralFilterSubscribeKeepsReporting0x80ForEveryRefusal() throws Exception {
        connect(5);
        Future<int[]> subscribing = pool.submit(() -> client.subscribe(new String[] {"a", "b", "c"},
                new int[] {1, 1, 1}));
        assertArrayEquals(bytes(0x82, 0x0F, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x01, 0x00, 0x01, 'b', 0x01,
                0x00, 0x01, 'c', 0x01), peer.readPacket());
        peer.write(0x90, 0x06, 0x00, 0x01, 0x00, 0x01, 0x87, 0x97);
        assertArrayEquals(new int[] {1, MqttClient.SUBSCRIPTION_FAILURE, MqttClient.SUBSCRIPTION_FAILURE},
                within(subscribing), "callers that test == SUBSCRIPTION_FAILURE stay right");
    }

    @Test
    void theOldSubscribeGetsTheMqtt5CodeInItsException() throws Exception {
        connect(5);
        Future<Integer> subscribing = pool.submit(() -> client.subscribe("x", 0));
        peer.readPacket();
        peer.write(0x90, 0x04, 0x00, 0x01, 0x00, 0x8F);
        MqttException e = assertThrows(MqttException.class, () -> within(subscribing));
        assertEquals(0x8F, e.returnCode());
    }

    @Test
    void unsubackReasonCodesComeBackPerFilter() throws Exception {
        connect(5);
        Future<int[]> unsubscribing = pool.submit(() -> client.unsubscribeWithCodes(new String[] {"a", "b", "c"},
                List.of(new UserProperty("k", "v"))));
        assertArrayEquals(UnsubscribeEncoder.encode5(1, none(Properties.UNSUBSCRIBE)
                .putUserProperty(new UserProperty("k", "v")), utf8("a", "b", "c"), 0, 3), peer.readPacket());
        peer.write(0xB0, 0x06, 0x00, 0x01, 0x00, 0x00, 0x11, 0x87);
        assertArrayEquals(new int[] {0x00, 0x11, 0x87}, within(unsubscribing));
    }

    @Test
    void aRefusedUnsubscribeFailsTheOldCallsButNoSubscriptionExistedIsSuccess() throws Exception {
        connect(5);
        Future<?> first = pool.submit(() -> {
            client.unsubscribe("gone");
            return null;
        });
        assertArrayEquals(bytes(0xA2, 0x09, 0x00, 0x01, 0x00, 0x00, 0x04, 'g', 'o', 'n', 'e'), peer.readPacket());
        peer.write(0xB0, 0x04, 0x00, 0x01, 0x00, 0x11);
        assertNull(within(first));

        Future<?> second = pool.submit(() -> {
            client.unsubscribe(new String[] {"a", "kept"});
            return null;
        });
        peer.readPacket();
        peer.write(0xB0, 0x0A, 0x00, 0x02, 0x05, 0x1F, 0x00, 0x02, 'n', 'o', 0x00, 0x87);
        MqttException e = assertThrows(MqttException.class, () -> within(second));
        assertEquals(Reason.UNSUBSCRIBE_REFUSED, e.reason());
        assertEquals(0x87, e.returnCode());
        assertEquals("no", e.reasonString());
        assertTrue(e.getMessage().contains("'kept'"), e.getMessage());
    }

    /** A malformed ack fails the operation and the connection with a protocol error naming the rule. */
    private void expectProtocolError(Future<?> op, byte[] ack, String fragment) throws Exception {
        peer.readPacket();
        peer.write(ack);
        assertThrows(IOException.class, () -> within(op));
        assertEquals(ConnectionState.LOST, client.state());
        MqttException failure = (MqttException) client.failure();
        assertEquals(Reason.PROTOCOL_ERROR, failure.reason());
        assertTrue(failure.getMessage().contains(fragment), failure.getMessage());
        assertTrue(peer.awaitClosed(10_000));
    }

    @Test
    void aSubackWithAnUnsubackCodeIsAProtocolError() throws Exception {
        connect(5);
        expectProtocolError(pool.submit(() -> client.subscribe("t", 1)), bytes(0x90, 0x04, 0x00, 0x01, 0x00, 0x11),
                "SUBACK reason code 0x11 is not a Subscribe Reason Code");
    }

    @Test
    void aSubackWithTwoReasonStringsIsAProtocolError() throws Exception {
        connect(5);
        expectProtocolError(pool.submit(() -> client.subscribe("t", 1)),
                bytes(0x90, 0x0C, 0x00, 0x01, 0x08, 0x1F, 0x00, 0x01, 'a', 0x1F, 0x00, 0x01, 'b', 0x00),
                "more than once");
    }

    @Test
    void aSubackWithAPropertyItMustNotCarryIsAProtocolError() throws Exception {
        connect(5);
        expectProtocolError(pool.submit(() -> client.subscribe("t", 1)),
                bytes(0x90, 0x07, 0x00, 0x01, 0x02, 0x23, 0x00, 0x01, 0x00), "SUBACK must not carry Topic Alias");
    }

    @Test
    void anUnsubackWithASubackCodeIsAProtocolError() throws Exception {
        connect(5);
        expectProtocolError(pool.submit(() -> client.unsubscribeWithCodes(new String[] {"t"}, null)),
                bytes(0xB0, 0x04, 0x00, 0x01, 0x00, 0x01), "is not an Unsubscribe Reason Code");
    }

    @Test
    void anUnsubackWithFewerCodesThanFiltersIsAProtocolError() throws Exception {
        connect(5);
        expectProtocolError(pool.submit(() -> client.unsubscribeWithCodes(new String[] {"a", "b"}, null)),
                bytes(0xB0, 0x04, 0x00, 0x01, 0x00, 0x00), "carries 1 reason code, but its UNSUBSCRIBE had 2 filters");
    }

    @Test
    void theMqtt311UnsubackIsMalformedOnMqtt5() throws Exception {
        connect(5);
        expectProtocolError(pool.submit(() -> client.unsubscribeWithCodes(new String[] {"a"}, null)),
                bytes(0xB0, 0x02, 0x00, 0x01), "UNSUBACK remaining length must be at least 4");
    }

    @Test
    void noLocalOnASharedSubscriptionIsRefusedBeforeSending() throws Exception {
        connect(5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client.subscribe("$share/g/t", SubscriptionOptions.qos(0).withNoLocal(true)));
        assertTrue(e.getMessage().contains("MQTT-3.8.3-4"), e.getMessage());
        Future<Integer> shared = pool.submit(() -> client.subscribe("$share/g/t", SubscriptionOptions.qos(1)));
        assertArrayEquals(bytes(0x82, 0x10, 0x00, 0x01, 0x00, 0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g',
                '/', 't', 0x01), peer.readPacket());
        peer.write(0x90, 0x04, 0x00, 0x01, 0x00, 0x01);
        assertEquals(1, within(shared));
    }

    @Test
    void whatTheBrokerSaidItDoesNotSupportIsRefusedBeforeSending() throws Exception {
        // CONNACK: Wildcard Subscription, Subscription Identifier and Shared Subscription Available 0
        connect(5, bytes(0x20, 0x09, 0x00, 0x00, 0x06, 0x28, 0x00, 0x29, 0x00, 0x2A, 0x00));
        IllegalArgumentException ids = assertThrows(IllegalArgumentException.class,
                () -> client.subscribe("t", SubscriptionOptions.qos(0).withSubscriptionIdentifier(1)));
        assertTrue(ids.getMessage().contains("does not support subscription identifiers"), ids.getMessage());
        IllegalArgumentException shared = assertThrows(IllegalArgumentException.class,
                () -> client.subscribe("$share/g/t", 0));
        assertTrue(shared.getMessage().contains("does not support shared subscriptions"), shared.getMessage());
        IllegalArgumentException wildcard = assertThrows(IllegalArgumentException.class,
                () -> client.subscribe(new String[] {"t", "a/+"}, new int[] {0, 0}));
        assertTrue(wildcard.getMessage().contains("filter 2 of 2 ('a/+')")
                && wildcard.getMessage().contains("does not support wildcard subscriptions"), wildcard.getMessage());
        Future<Integer> plain = pool.submit(() -> client.subscribe("t", 0));
        assertArrayEquals(bytes(0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 't', 0x00), peer.readPacket());
        peer.write(0x90, 0x04, 0x00, 0x01, 0x00, 0x00);
        assertEquals(0, within(plain));
    }

    @Test
    void filtersAreSplitWithinTheBrokersMaximumPacketSize() throws Exception {
        // CONNACK: Maximum Packet Size 12: a SUBSCRIBE of remaining length 10 at most
        connect(5, bytes(0x20, 0x08, 0x00, 0x00, 0x05, 0x27, 0x00, 0x00, 0x00, 0x0C));
        Future<int[]> subscribing = pool.submit(() -> client.subscribe(new String[] {"a", "b", "c"},
                new int[] {0, 1, 2}));
        byte[][] f = utf8("a", "b", "c");
        int[] q = {0, 1, 2};
        assertArrayEquals(SubscribeEncoder.encode5(1, none(Properties.SUBSCRIBE), f, q, 0, 1), peer.readPacket());
        assertArrayEquals(SubscribeEncoder.encode5(2, none(Properties.SUBSCRIBE), f, q, 1, 2), peer.readPacket());
        assertArrayEquals(SubscribeEncoder.encode5(3, none(Properties.SUBSCRIBE), f, q, 2, 3), peer.readPacket());
        peer.write(bytes(0x90, 0x04, 0x00, 0x01, 0x00, 0x00), bytes(0x90, 0x04, 0x00, 0x02, 0x00, 0x01),
                bytes(0x90, 0x04, 0x00, 0x03, 0x00, 0x02));
        assertArrayEquals(new int[] {0, 1, 2}, within(subscribing));
        assertEquals(10, Subscriber.fittingRemaining(12));
        assertEquals(126, Subscriber.fittingRemaining(128));
        assertEquals(127, Subscriber.fittingRemaining(129));
        assertEquals(127, Subscriber.fittingRemaining(130)); // 128 would need a two-byte length
        assertEquals(128, Subscriber.fittingRemaining(131));
    }

    @Test
    void onMqtt311OptionsBeyondTheQosAreRefusedAndPlainOnesSendTheSameBytes() throws Exception {
        connect(4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client.subscribe("t", SubscriptionOptions.qos(1).withRetainHandling(1)));
        assertTrue(e.getMessage().contains("only MQTT 5 can send"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> client.subscribe(new String[] {"t"},
                new SubscriptionOptions[] {SubscriptionOptions.qos(0)}, List.of(new UserProperty("a", "b"))));
        Future<Integer> subscribing = pool.submit(() -> client.subscribe("t", SubscriptionOptions.qos(1)));
        assertArrayEquals(SubscribeEncoder.encode(1, "t".getBytes(StandardCharsets.UTF_8), 1), peer.readPacket());
        peer.write(0x90, 0x03, 0x00, 0x01, 0x01);
        assertEquals(1, within(subscribing));
        Future<int[]> unsubscribing = pool.submit(() -> client.unsubscribeWithCodes(new String[] {"t", "u"}, null));
        assertArrayEquals(UnsubscribeEncoder.encode(2, utf8("t", "u"), 0, 2), peer.readPacket());
        peer.write(0xB0, 0x02, 0x00, 0x02);
        assertArrayEquals(new int[] {0, 0}, within(unsubscribing));
    }

    @Test
    void badOptionsArgumentsNameTheFilter() throws Exception {
        connect(5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.subscribe(
                new String[] {"a", "b"}, new SubscriptionOptions[] {SubscriptionOptions.qos(0), null}, null));
        assertTrue(e.getMessage().contains("filter 2 of 2 ('b')"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> client.subscribe(new String[] {"a"},
                new SubscriptionOptions[0], null));
        assertThrows(IllegalArgumentException.class, () -> client.subscribe("a", (SubscriptionOptions) null));
        IllegalArgumentException nullProperty = assertThrows(IllegalArgumentException.class, () -> client.subscribe(
                new String[] {"a"}, new SubscriptionOptions[] {SubscriptionOptions.qos(0)},
                java.util.Arrays.asList(new UserProperty("k", "v"), null)));
        assertTrue(nullProperty.getMessage().contains("must not contain null")
                && nullProperty.getMessage().contains("client 'sub5'"), nullProperty.getMessage());
        assertThrows(IllegalArgumentException.class, () -> client.unsubscribeWithCodes(new String[] {"a"},
                java.util.Arrays.asList((UserProperty) null)));
    }
}
