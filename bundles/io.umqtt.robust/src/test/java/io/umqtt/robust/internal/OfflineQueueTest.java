package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.internal.OfflineQueue.Entry;

class OfflineQueueTest {

    static Entry msg(String payload) {
        return new Entry("t".getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8), 1, false, 0);
    }

    static List<String> payloads(List<Entry> entries) {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) {
            out.add(new String(e.payload, StandardCharsets.UTF_8));
        }
        return out;
    }

    @Test
    void rejectNewestKeepsWhatIsQueued() throws IOException {
        OfflineQueue q = new OfflineQueue(2, 1_000, OverflowPolicy.REJECT_NEWEST);
        List<Entry> dropped = new ArrayList<>();
        assertTrue(q.offer(msg("a"), dropped));
        assertTrue(q.offer(msg("b"), dropped));
        assertFalse(q.offer(msg("c"), dropped));
        assertTrue(dropped.isEmpty());
        assertEquals(List.of("a", "b"), payloads(q.take(10)));
    }

    @Test
    void dropOldestMakesRoomAndSaysWhatItDropped() throws IOException {
        OfflineQueue q = new OfflineQueue(2, 1_000, OverflowPolicy.DROP_OLDEST);
        List<Entry> dropped = new ArrayList<>();
        for (String p : new String[] {"a", "b", "c", "d"}) {
            assertTrue(q.offer(msg(p), dropped));
        }
        assertEquals(List.of("a", "b"), payloads(dropped));
        assertEquals(List.of("c", "d"), payloads(q.take(10)));
    }

    @Test
    void theByteBoundCountsTopicAndPayload() throws IOException {
        OfflineQueue q = new OfflineQueue(100, 10, OverflowPolicy.DROP_OLDEST); // "t" + 4 bytes = 5 each
        List<Entry> dropped = new ArrayList<>();
        q.offer(msg("1111"), dropped);
        q.offer(msg("2222"), dropped);
        assertEquals(10, q.bytes());
        q.offer(msg("3333"), dropped);
        assertEquals(List.of("1111"), payloads(dropped));
        assertFalse(q.offer(msg("x".repeat(20)), dropped), "a message larger than the whole queue is refused");
    }

    @Test
    void requeuedMessagesGoBackToTheFrontInOrderEvenBeyondTheBound() throws IOException {
        OfflineQueue q = new OfflineQueue(2, 1_000, OverflowPolicy.REJECT_NEWEST);
        List<Entry> dropped = new ArrayList<>();
        q.offer(msg("c"), dropped);
        q.offer(msg("d"), dropped);
        q.requeue(List.of(msg("a").withPacketId(7), msg("b")));
        assertEquals(4, q.size());
        List<Entry> all = q.take(10);
        assertEquals(List.of("a", "b", "c", "d"), payloads(all));
        assertEquals(7, all.get(0).packetId);
        assertEquals(0, q.bytes());
    }
}
