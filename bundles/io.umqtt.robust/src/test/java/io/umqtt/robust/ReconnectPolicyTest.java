package io.umqtt.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {

    @Test
    void doublesFromTheInitialDelayUpToTheCap() {
        ReconnectPolicy p = new ReconnectPolicy(100, 1_000, 0, 0);
        assertEquals(100, p.baseDelayMillis(1, false));
        assertEquals(200, p.baseDelayMillis(2, false));
        assertEquals(400, p.baseDelayMillis(3, false));
        assertEquals(800, p.baseDelayMillis(4, false));
        assertEquals(1_000, p.baseDelayMillis(5, false));
        assertEquals(1_000, p.baseDelayMillis(1_000_000, false), "no overflow after many attempts");
    }

    @Test
    void aRefusalWaitsTheMaximum() {
        ReconnectPolicy p = new ReconnectPolicy(100, 30_000, 0, 0);
        assertEquals(30_000, p.baseDelayMillis(1, true));
    }

    @Test
    void jitterTakesARandomPartOff() {
        ReconnectPolicy p = new ReconnectPolicy(1_000, 1_000, 0.5, 0);
        assertEquals(1_000, p.delayMillis(1, false, 0.0));
        assertEquals(750, p.delayMillis(1, false, 0.5));
        assertTrue(p.delayMillis(1, false, 0.999_999) >= 500);
    }

    @Test
    void umqttsFixedTwoSecondsIsOneSetting() {
        ReconnectPolicy umqtt = new ReconnectPolicy(2_000, 2_000, 0, 0);
        for (int attempt = 1; attempt < 10; attempt++) {
            assertEquals(2_000, umqtt.delayMillis(attempt, false, 0.7));
        }
    }

    @Test
    void badSettingsNameTheirParameter() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReconnectPolicy(0, 10, 0, 0)).getMessage()
                .contains("initialDelayMillis must be >= 1 (0 would retry in a tight loop)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReconnectPolicy(10, 5, 0, 0)).getMessage()
                .contains("maxDelayMillis"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReconnectPolicy(1, 5, 1.5, 0)).getMessage()
                .contains("jitter"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new ReconnectPolicy(1, 5, 0, -2)).getMessage()
                .contains("maxAttempts"));
    }
}
