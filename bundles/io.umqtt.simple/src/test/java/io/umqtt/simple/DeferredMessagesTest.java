package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The queue of PUBLISHes read while a callback waits: order, its two bounds, and a new connection. */
class DeferredMessagesTest {
    private static final byte[] TOPIC = { 't' };

    @Test
    void deliversInTheOrderRead() {
        DeferredMessages q = new DeferredMessages();
        assertTrue(q.isEmpty());
        assertNull(q.poll(), "nothing queued: nothing allocated, nothing to poll");
        byte[] first = { 1 };
        byte[] second = { 2 };
        q.add(TOPIC, first, false, false, 1, 7, true, null);
        q.add(TOPIC, second, true, true, 2, 8, false, null);
        assertEquals(2, q.count());
        DeferredMessages.Received r = q.poll();
        assertSame(first, r.payload);
        assertEquals(7, r.id);
        assertTrue(r.deliver);
        r = q.poll();
        assertSame(second, r.payload);
        assertTrue(r.retain && r.dup);
        assertEquals(2, r.qos);
        assertFalse(r.deliver, "a QoS 2 duplicate is queued as ack-only");
        assertTrue(q.isEmpty());
    }

    @Test
    void fullAtTheMessageBound() {
        DeferredMessages q = new DeferredMessages();
        for (int i = 0; i < MqttClient.MAX_QUEUED_WHILE_CALLBACK_WAITS - 1; i++) {
            q.add(TOPIC, new byte[0], false, false, 0, 0, true, null);
        }
        assertFalse(q.full());
        q.add(TOPIC, new byte[0], false, false, 0, 0, true, null);
        assertTrue(q.full());
        q.poll();
        assertFalse(q.full());
    }

    @Test
    void fullAtTheByteBoundAndEmptyAfterANewConnection() {
        DeferredMessages q = new DeferredMessages();
        byte[] big = new byte[(int) (DeferredMessages.MAX_BYTES / 2)];
        q.add(TOPIC, big, false, false, 1, 1, true, null);
        assertFalse(q.full());
        q.add(TOPIC, big, false, false, 1, 2, true, null); // topics push it over 16 MiB
        assertTrue(q.full());
        assertTrue(q.pausedReason().contains("2 messages (" + (2 * big.length + 2) + " bytes)"), q.pausedReason());
        q.clear();
        assertTrue(q.isEmpty());
        assertFalse(q.full());
        q.add(TOPIC, new byte[1], false, false, 0, 0, true, null);
        assertTrue(q.pausedReason().contains("1 messages (2 bytes)"), "the byte count starts again: " + q.pausedReason());
    }
}
