package io.umqtt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SubscriptionOptions}: plain options, the options byte of MQTT 5 section 3.8.3.1, checks. */
class SubscriptionOptionsTest {
    @Test
    void plainOptionsAreShared() {
        for (int q = 0; q <= 2; q++) {
            SubscriptionOptions o = SubscriptionOptions.qos(q);
            assertSame(o, SubscriptionOptions.qos(q));
            assertEquals(q, o.maxQos());
            assertEquals(q, o.optionsByte(), "the 3.1.1 byte: the QoS alone");
            assertFalse(o.needsMqtt5());
            assertFalse(o.noLocal() || o.retainAsPublished());
            assertEquals(SubscriptionOptions.SEND_RETAINED, o.retainHandling());
            assertEquals(0, o.subscriptionIdentifier());
            assertEquals("qos " + q, o.toString());
        }
    }

    @ParameterizedTest
    @CsvSource({"1, true, false, 0, 0x05", "2, false, true, 0, 0x0A", "0, false, false, 1, 0x10",
        "2, true, true, 2, 0x2E"})
    void optionsByte(int qos, boolean noLocal, boolean rap, int handling, String expected) {
        SubscriptionOptions o = SubscriptionOptions.qos(qos).withNoLocal(noLocal).withRetainAsPublished(rap)
                .withRetainHandling(handling);
        assertEquals(Integer.decode(expected), o.optionsByte());
        assertEquals(noLocal || rap || handling != 0, o.needsMqtt5());
    }

    @Test
    void subscriptionIdentifier() {
        SubscriptionOptions o = SubscriptionOptions.qos(1).withSubscriptionIdentifier(268_435_455);
        assertEquals(268_435_455, o.subscriptionIdentifier());
        assertTrue(o.needsMqtt5());
        assertEquals(1, o.optionsByte(), "the identifier is a property, not part of the byte");
        assertEquals("qos 1, subscription identifier 268435455", o.toString());
        assertNotEquals(SubscriptionOptions.qos(1), o);
        assertEquals(SubscriptionOptions.qos(1).withSubscriptionIdentifier(268_435_455), o);
        assertEquals(o.hashCode(), SubscriptionOptions.qos(1).withSubscriptionIdentifier(268_435_455).hashCode());
        assertEquals(SubscriptionOptions.qos(1), o.withSubscriptionIdentifier(0));
    }

    @Test
    void withReturnsCopies() {
        SubscriptionOptions plain = SubscriptionOptions.qos(0);
        SubscriptionOptions nl = plain.withNoLocal(true);
        assertFalse(plain.noLocal());
        assertTrue(nl.noLocal());
        assertEquals("qos 0, no local, retain as published, retain handling 2",
                nl.withRetainAsPublished(true).withRetainHandling(2).toString());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 3})
    void badValues(int v) {
        assertThrows(IllegalArgumentException.class, () -> SubscriptionOptions.qos(v));
        assertThrows(IllegalArgumentException.class, () -> SubscriptionOptions.qos(0).withRetainHandling(v));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 268_435_456})
    void badSubscriptionIdentifier(int id) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SubscriptionOptions.qos(0).withSubscriptionIdentifier(id));
        assertTrue(e.getMessage().endsWith("found " + id), e.getMessage());
    }
}
