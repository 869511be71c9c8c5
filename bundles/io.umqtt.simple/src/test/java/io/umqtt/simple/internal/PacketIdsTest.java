package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class PacketIdsTest {

    @Test
    void startsAtOneAndCountsUp() {
        PacketIds ids = new PacketIds();
        assertEquals(1, ids.next(id -> false));
        assertEquals(2, ids.next(id -> false));
    }

    @Test
    void wrapsAfter65535ToOneNeverZero() {
        // umqtt #94/#754: its pid reaches 0 after 65535 publishes
        PacketIds ids = new PacketIds();
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 65_535 * 2 + 3; i++) {
            int id = ids.next(x -> false);
            assertNotEquals(0, id);
            seen.add(id);
        }
        assertEquals(65_535, seen.size());
        ids.setLast(65_534);
        assertEquals(65_535, ids.next(x -> false));
        assertEquals(1, ids.next(x -> false));
    }

    @Test
    void skipsIdsStillInFlight() {
        PacketIds ids = new PacketIds();
        ids.setLast(65_533);
        Set<Integer> inFlight = Set.of(65_534, 65_535, 1, 2);
        assertEquals(3, ids.next(inFlight::contains));
    }

    @Test
    void allInFlightIsAnError() {
        PacketIds ids = new PacketIds();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ids.next(x -> true));
        assertEquals("all 65535 packet identifiers are awaiting acknowledgements", e.getMessage());
    }
}
