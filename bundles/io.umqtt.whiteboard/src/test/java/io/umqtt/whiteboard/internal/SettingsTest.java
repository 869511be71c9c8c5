package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.annotation.Annotation;

import org.junit.jupiter.api.Test;

/** The whiteboard's configuration: defaults, limits, and messages that name the property. */
class SettingsTest {

    @Test
    void defaultsComeFromTheConfigurationAnnotation() {
        Settings s = WhiteboardComponent.settings(config(Settings.DEFAULT_THREADS, Settings.DEFAULT_QUEUE_CAPACITY));
        assertEquals(2, s.threads());
        assertEquals(1000, s.queueCapacity());
    }

    @Test
    void refusesValuesOutsideTheLimitsNamingPropertyAndValue() {
        assertEquals("threads must be between 1 and 64, found 0",
                assertThrows(IllegalArgumentException.class, () -> WhiteboardComponent.settings(config(0, 10)))
                        .getMessage());
        assertEquals("threads must be between 1 and 64, found 65",
                assertThrows(IllegalArgumentException.class, () -> Settings.of(65, 10)).getMessage());
        assertEquals("queue.capacity must be between 1 and 1000000, found 0",
                assertThrows(IllegalArgumentException.class, () -> Settings.of(1, 0)).getMessage());
        assertEquals("queue.capacity must be between 1 and 1000000, found -5",
                assertThrows(IllegalArgumentException.class, () -> WhiteboardComponent.settings(config(1, -5)))
                        .getMessage());
    }

    private static WhiteboardConfig config(int threads, int capacity) {
        return new WhiteboardConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return WhiteboardConfig.class;
            }

            @Override
            public int threads() {
                return threads;
            }

            @Override
            public int queue_capacity() {
                return capacity;
            }
        };
    }
}
