package io.umqtt.simple.internal.codec;

import static io.umqtt.simple.internal.codec.Packets.b;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.umqtt.api.SubscriptionOptions;
import io.umqtt.api.UserProperty;

/** MQTT 5 SUBSCRIBE and UNSUBSCRIBE (sections 3.8, 3.10 of MQTT 5), byte for byte. */
class Subscribe5CodecTest {

    private static byte[][] filters(String... f) {
        byte[][] out = new byte[f.length][];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    @Test
    void theOptionsByteCarriesQosNoLocalRetainAsPublishedAndRetainHandling() {
        assertEquals(0x00, SubscriptionOptions.qos(0).optionsByte());
        assertEquals(0x02, SubscriptionOptions.qos(2).optionsByte());
        assertEquals(0x05, SubscriptionOptions.qos(1).withNoLocal(true).optionsByte());
        assertEquals(0x08, SubscriptionOptions.qos(0).withRetainAsPublished(true).optionsByte());
        assertEquals(0x10, SubscriptionOptions.qos(0).withRetainHandling(1).optionsByte());
        assertEquals(0x2E, SubscriptionOptions.qos(2).withNoLocal(true).withRetainAsPublished(true)
                .withRetainHandling(2).optionsByte());
    }

    @Test
    void aSubscribeWithoutPropertiesHasAPropertyLengthOfZero() {
        byte[] expected = b(
                0x82, 0x09,                    // SUBSCRIBE, remaining 9
                0x00, 0x0A,                    // packet id 10
                0x00,                          // property length 0
                0x00, 0x03, 'a', '/', '#',     // a/#
                0x2D);                         // QoS 1, no local, retain as published, retain handling 2
        int options = SubscriptionOptions.qos(1).withNoLocal(true).withRetainAsPublished(true).withRetainHandling(2)
                .optionsByte();
        assertArrayEquals(expected, SubscribeEncoder.encode5(10, new PropertyWriter(Properties.SUBSCRIBE), filters("a/#"), new int[] {options}, 0, 1));
        assertEquals(9, SubscribeEncoder.remainingLength5(1, filters("a/#"), 0, 1));
    }

    @Test
    void thePropertiesFollowThePacketIdWithTheirLength() {
        PropertyWriter props = new PropertyWriter(Properties.SUBSCRIBE)
                .putVarInt(Properties.SUBSCRIPTION_IDENTIFIER, 129); // a two-byte variable byte integer
        byte[] expected = b(
                0x82, 0x0E,
                0x12, 0x34,
                0x03, 0x0B, 0x81, 0x01,        // properties
                0x00, 0x01, 'x', 0x00,         // x at QoS 0
                0x00, 0x01, 'y', 0x12);        // y at QoS 2, retain handling 1
        assertArrayEquals(expected, SubscribeEncoder.encode5(0x1234, props, filters("w", "x", "y"),
                new int[] {1, 0x00, 0x12}, 1, 3));
        assertEquals(14, SubscribeEncoder.remainingLength5(4, filters("w", "x", "y"), 1, 3));
    }

    @Test
    void aLongPropertyBlockHasATwoByteLength() {
        PropertyWriter props = new PropertyWriter(Properties.SUBSCRIBE)
                .putUserProperty(new UserProperty("n", "x".repeat(193))); // 1 + 2 + 1 + 2 + 193 = 199 bytes
        byte[] packet = SubscribeEncoder.encode5(1, props, filters("t"), new int[] {0}, 0, 1);
        int rem = 2 + 2 + 199 + 4;
        assertEquals(1 + 2 + rem, packet.length);
        assertEquals((byte) 0xC7, packet[5]); // 199 = 0xC7 0x01
        assertEquals(0x01, packet[6]);
        assertEquals(0x26, packet[7]);
    }

    @Test
    void userPropertiesFollowTheSubscriptionIdentifierInTheOrderGiven() {
        PropertyWriter props = new PropertyWriter(Properties.SUBSCRIBE).putVarInt(Properties.SUBSCRIPTION_IDENTIFIER, 5)
                .putUserProperties(List.of(new UserProperty("a", "1"), new UserProperty("a", "2")));
        byte[] expected = b(
                0x82, 0x17,
                0x00, 0x01,
                0x10, 0x0B, 0x05,
                0x26, 0x00, 0x01, 'a', 0x00, 0x01, '1',
                0x26, 0x00, 0x01, 'a', 0x00, 0x01, '2',
                0x00, 0x01, 't', 0x01);
        assertArrayEquals(expected, SubscribeEncoder.encode5(1, props, filters("t"), new int[] {1}, 0, 1));
    }

    @Test
    void anUnsubscribeCarriesItsPropertiesAfterThePacketId() {
        PropertyWriter props = new PropertyWriter(Properties.UNSUBSCRIBE).putUserProperty(new UserProperty("k", "v"));
        byte[] expected = b(
                0xA2, 0x0E,
                0x00, 0x07,
                0x07, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',
                0x00, 0x02, 'a', 'b');
        assertArrayEquals(expected, UnsubscribeEncoder.encode5(7, props, filters("ab"), 0, 1));
        assertEquals(14, UnsubscribeEncoder.remainingLength5(8, filters("ab"), 0, 1));
        assertArrayEquals(b(0xA2, 0x06, 0x00, 0x07, 0x00, 0x00, 0x01, 'z'),
                UnsubscribeEncoder.encode5(7, new PropertyWriter(Properties.UNSUBSCRIBE), filters("z"), 0, 1));
    }
}
