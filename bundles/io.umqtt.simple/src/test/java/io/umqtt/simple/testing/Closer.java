package io.umqtt.simple.testing;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a test opened (clients, brokers, bridges, proxies), closed in reverse order after it. A
 * close that fails is printed, not thrown: the test's own outcome is what counts.
 */
public final class Closer implements AutoCloseable {
    private final Deque<AutoCloseable> open = new ArrayDeque<>();

    /** Registers {@code c} to be closed and returns it. */
    public <T extends AutoCloseable> T add(T c) {
        open.push(c);
        return c;
    }

    @Override
    public void close() {
        while (!open.isEmpty()) {
            AutoCloseable c = open.pop();
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("closing " + c + " after the test failed: " + e);
            }
        }
    }
}
