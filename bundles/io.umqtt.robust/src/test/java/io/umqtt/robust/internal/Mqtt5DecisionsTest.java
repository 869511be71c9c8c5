package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.robust.internal.OfflineQueue.Entry;

/**
 * The robust client's MQTT 5 decisions without a wire: Clean Start from the session expiry
 * interval, what remains of a queued message's expiry interval, and the SUBSCRIBE packets that
 * restore subscriptions with options.
 */
class Mqtt5DecisionsTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);

    @Test
    void theFirstConnectUsesTheConfiguredCleanStart() {
        SessionExpiry s = new SessionExpiry();
        assertTrue(s.cleanStart(true, 0));
        assertFalse(s.cleanStart(false, 0));
    }

    @Test
    void aReconnectResumesTheSessionWhileItShouldExistAndStartsCleanOnceItExpired() {
        SessionExpiry s = new SessionExpiry();
        s.accepted(60);
        assertFalse(s.cleanStart(true, 5 * S), "still connected: the session exists (configured clean start is for the first connect)");
        s.connectionEnded(10 * S);
        s.connectionEnded(30 * S); // reported twice: the first time counts
        assertFalse(s.cleanStart(true, 69 * S), "59 s after the loss: resume");
        assertTrue(s.cleanStart(false, 70 * S), "60 s after the loss: expired, clean start");
        assertTrue(s.cleanStart(true, 70 * S));
    }

    @Test
    void sessionExpiryZeroEndsTheSessionWithTheConnectionAndNeverNeverExpires() {
        SessionExpiry zero = new SessionExpiry();
        zero.accepted(0);
        zero.connectionEnded(0);
        assertTrue(zero.cleanStart(false, 0), "expiry 0: nothing to resume, even right after the loss");
        SessionExpiry never = new SessionExpiry();
        never.accepted(SessionExpiry.NEVER);
        never.connectionEnded(0);
        assertFalse(never.cleanStart(true, 1_000_000L * S));
    }

    @Test
    void theApplicationsConnectIsAFirstConnectAgain() {
        SessionExpiry s = new SessionExpiry();
        s.accepted(3600);
        s.connectionEnded(0);
        s.firstConnect();
        assertTrue(s.cleanStart(true, S));
        assertFalse(s.cleanStart(false, S));
        s.accepted(10); // the broker's CONNACK lowered the interval
        s.connectionEnded(100 * S);
        assertTrue(s.cleanStart(false, 110 * S));
    }

    private static Entry dated(long interval, long at, int qos) {
        MqttProperties p = MqttProperties.builder().messageExpiryInterval(interval).contentType("c").build();
        return new Entry("t".getBytes(StandardCharsets.UTF_8), new byte[0], qos, false, 0, 0, null, false, p, at);
    }

    @Test
    void aQueuedMessageGoesOutWithWhatRemainsOfItsExpiryOrIsDropped() {
        Entry e = dated(10, 1_000_000, 1);
        assertSame(e.properties, MessageExpiry.toSend(e, 1_000_999, false), "under a second waited: unchanged");
        MqttProperties later = MessageExpiry.toSend(e, 1_002_700, false);
        assertEquals(8, later.messageExpiryInterval(), "2.7 s waited: 10 - 2");
        assertEquals("c", later.contentType(), "the other properties stay");
        assertEquals(1, MessageExpiry.toSend(e, 1_009_999, false).messageExpiryInterval());
        assertNull(MessageExpiry.toSend(e, 1_010_000, false), "10 s waited: expired");
        assertEquals(10, MessageExpiry.toSend(e, 999_000, false).messageExpiryInterval(), "clock set back: no wait");
        assertEquals(1, MessageExpiry.toSend(e, 2_000_000, true).messageExpiryInterval(),
                "a QoS 2 flow resumed in a kept session is never dropped");
        assertNull(MessageExpiry.toSend(dated(0, 5, 0), 5, false), "interval 0: a message that had to wait is dropped");
        Entry none = new Entry("t".getBytes(StandardCharsets.UTF_8), new byte[0], 1, false, 0);
        assertSame(MqttProperties.EMPTY, MessageExpiry.toSend(none, Long.MAX_VALUE, false));
    }

    @Test
    void subscriptionsWithOptionsAreRestoredInOneSubscribePerIdentifier() {
        Map<String, SubscriptionOptions> plain = new LinkedHashMap<>();
        plain.put("a", SubscriptionOptions.qos(1));
        plain.put("b", SubscriptionOptions.qos(2));
        assertEquals(List.of(plain), Subscriptions.packets(plain), "plain options: one SUBSCRIBE as before");

        Map<String, SubscriptionOptions> mixed = new LinkedHashMap<>();
        mixed.put("a", SubscriptionOptions.qos(1).withSubscriptionIdentifier(7));
        mixed.put("b", SubscriptionOptions.qos(0).withNoLocal(true));
        mixed.put("c", SubscriptionOptions.qos(2).withSubscriptionIdentifier(7).withRetainHandling(2));
        mixed.put("d", SubscriptionOptions.qos(1));
        mixed.put("e", SubscriptionOptions.qos(1).withSubscriptionIdentifier(9));
        List<Map<String, SubscriptionOptions>> packets = Subscriptions.packets(mixed);
        assertEquals(3, packets.size());
        assertEquals(List.of("a", "c"), List.copyOf(packets.get(0).keySet()));
        assertEquals(List.of("b", "d"), List.copyOf(packets.get(1).keySet()));
        assertEquals(List.of("e"), List.copyOf(packets.get(2).keySet()));
        assertEquals(mixed.get("c"), packets.get(0).get("c"), "each filter keeps its options");
    }

    @Test
    void anMqtt5ReasonCodeOf0x80OrMoreIsARefusal() {
        assertFalse(Subscriptions.isRefusal(2));
        assertTrue(Subscriptions.isRefusal(0x80));
        assertTrue(Subscriptions.isRefusal(0x87));
        assertTrue(Subscriptions.isRefusal(0xA2));
    }

    @Test
    void aServerReferenceIsHostHostPortOrBracketedIpv6AndOnlyTheFirstCounts() {
        assertEquals(List.of("b.example", "1883"), List.of(ServerReference.parse("b.example", 1883)));
        assertEquals(List.of("b.example", "8883"), List.of(ServerReference.parse(" b.example:8883 c:1 ", 1883)));
        assertEquals(List.of("fe80::1", "1884"), List.of(ServerReference.parse("[fe80::1]:1884", 1883)));
        assertEquals(List.of("::1", "1883"), List.of(ServerReference.parse("[::1]", 1883)));
        for (String bad : new String[] {"", "  ", "fe80::1", "h:0", "h:65536", "h:x", "[::1", "[::1]x", "[g::]",
            "h/path", "-h", "user@h", "h:"}) {
            assertNull(ServerReference.parse(bad, 1883), bad);
        }
        assertNull(ServerReference.parse(null, 1883));
        String[] configured = {"B.Example", "8883"};
        assertSame(configured, ServerReference.configuredOr(new String[] {"b.example", "8883"},
                List.of(new String[] {"a", "1883"}, configured)), "a configured server is used as configured");
    }
}
