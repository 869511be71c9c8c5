package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * When keepalive sends its PINGREQ, on a clock of its own (no socket): before the keepalive has
 * passed since the last packet sent, since the interval between packets sent must not exceed it
 * (MQTT 3.1.1 and 5, section 3.1.2.10), while the reader's wake-up and the write still take time.
 */
class KeepAliveTest {
    private int pings;
    private final MqttClient client = new MqttClient("keepalive-test", "broker.invalid", 1883) {
        @Override
        public void ping() {
            pings++;
        }
    };

    private static long ms(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    void thePingreqLeavesBeforeTheKeepaliveHasPassedSinceTheLastPacketSent() throws Exception {
        KeepAlive k = new KeepAlive(client, 10);
        k.connected(0);
        k.lastSentNanos = 0;
        long wait = k.due(0);
        assertEquals(0, pings);
        assertTrue(wait <= ms(9_500), "the reader must wake up in time to ping before 10 s: " + wait + " ns");
        k.lastReceivedNanos = ms(9_000); // traffic from the broker does not replace our own packets
        k.due(ms(9_400));
        assertEquals(0, pings, "not yet: 9.4 s of 10");
        k.due(ms(9_500));
        assertEquals(1, pings, "at 9.5 s of a 10 s keepalive (a twentieth early)");
    }

    @Test
    void theMarginIsAtMostOneSecond() throws Exception {
        KeepAlive k = new KeepAlive(client, 60);
        k.connected(0);
        k.lastSentNanos = 0;
        k.lastReceivedNanos = ms(58_000);
        k.due(ms(58_900));
        assertEquals(0, pings, "not yet: 58.9 s of 60");
        k.due(ms(59_000));
        assertEquals(1, pings, "at 59 s of a 60 s keepalive");
    }
}
