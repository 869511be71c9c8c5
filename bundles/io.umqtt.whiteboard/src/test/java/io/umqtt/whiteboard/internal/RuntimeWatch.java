package io.umqtt.whiteboard.internal;

import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * Waits until a whiteboard's runtime view satisfies a condition, woken by its change listener
 * (every change of subscriptions, handlers and connections is announced; message counters are
 * not, so no condition should wait for them). Replaces the test's change listener.
 */
final class RuntimeWatch {
    private final Whiteboard whiteboard;
    private final long waitSeconds;
    private final Semaphore changes = new Semaphore(0);

    RuntimeWatch(Whiteboard whiteboard, long waitSeconds) {
        this.whiteboard = whiteboard;
        this.waitSeconds = waitSeconds;
        whiteboard.setChangeListener(count -> changes.release());
    }

    /** Returns once {@code condition} holds, or fails naming {@code what} and the last view seen. */
    void await(Predicate<WhiteboardRuntimeDTO> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        while (true) {
            WhiteboardRuntimeDTO dto = whiteboard.runtimeDTO();
            if (condition.test(dto)) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("not within " + waitSeconds + " s: " + what + "; last view: " + dto);
            }
            changes.tryAcquire(left, TimeUnit.NANOSECONDS);
        }
    }

    /** Whether the first connection's subscription of {@code filter} has {@code status}. */
    static boolean status(WhiteboardRuntimeDTO dto, String filter, String status) {
        return dto.connections.length > 0 && Arrays.stream(dto.connections[0].subscriptions)
                .anyMatch(s -> s.filter.equals(filter) && status.equals(s.status));
    }
}
