package io.umqtt.whiteboard.internal;

/** The whiteboard's validated configuration. Immutable. */
final class Settings {
    static final int DEFAULT_THREADS = 2;
    static final int MAX_THREADS = 64;
    static final int DEFAULT_QUEUE_CAPACITY = 1000;
    static final int MAX_QUEUE_CAPACITY = 1_000_000;

    static final Settings DEFAULTS = new Settings(DEFAULT_THREADS, DEFAULT_QUEUE_CAPACITY);

    private final int threads;
    private final int queueCapacity;

    private Settings(int threads, int queueCapacity) {
        this.threads = threads;
        this.queueCapacity = queueCapacity;
    }

    /**
     * Validates the configuration.
     *
     * @throws IllegalArgumentException naming the property and the bad value
     */
    static Settings of(int threads, int queueCapacity) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be between 1 and " + MAX_THREADS + ", found " + threads);
        }
        if (queueCapacity < 1 || queueCapacity > MAX_QUEUE_CAPACITY) {
            throw new IllegalArgumentException("queue.capacity must be between 1 and " + MAX_QUEUE_CAPACITY
                    + ", found " + queueCapacity);
        }
        return new Settings(threads, queueCapacity);
    }

    int threads() {
        return threads;
    }

    int queueCapacity() {
        return queueCapacity;
    }

    @Override
    public String toString() {
        return "threads=" + threads + ", queue.capacity=" + queueCapacity;
    }
}
