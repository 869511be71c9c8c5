package io.umqtt.benchmarks;

/**
 * One MQTT client library as the scenarios use it: each implementation does what a user of that
 * library would naturally do, and nothing the library does not do by itself.
 */
interface Lib {
    /**
     * The topic of a run: each run has its own, so that a message a broker still delivers from an
     * earlier run can never be counted; all have the same length (11 bytes).
     */
    static String topic(int run) {
        return String.format(java.util.Locale.ROOT, "bench/r%04d", run % 10_000);
    }

    String name();

    /** A connected client subscribed to the run's topic at {@code qos} that counts into {@code sink}. */
    AutoCloseable subscriber(String clientId, int qos, Sink sink) throws Exception;

    /**
     * A connected client that publishes {@code payload} to the run's topic; {@code blocking} asks
     * for the library's blocking flavour where it has a separate one (Paho's {@code MqttClient}).
     */
    Pub publisher(String clientId, byte[] payload, boolean blocking) throws Exception;

    /**
     * A connected client doing nothing, as a long-running application keeps one (for the
     * footprint counts).
     */
    AutoCloseable idle(String clientId) throws Exception;

    /** Waits until every client from {@link #idle} is connected (for libraries that connect asynchronously). */
    default void awaitIdleConnected() throws Exception {
    }

    /** A publishing client. */
    interface Pub extends AutoCloseable {
        /**
         * Publishes {@code count} messages the library's natural pipelined way and returns when
         * every one is complete: written (QoS 0) or acknowledged (QoS 1).
         */
        default void publishAll(int qos, int count) throws Exception {
            publishAll(qos, count, Pace.NONE);
        }

        /**
         * As {@link #publishAll(int, int)}, each publish started no earlier than {@code pace}
         * says ({@link Pace#await} with the message's index right before it; the wait for room in
         * the window of outstanding publishes comes first).
         */
        void publishAll(int qos, int count, Pace pace) throws Exception;

        /** Publishes {@code count} messages one at a time, each complete before the next starts. */
        void publishEach(int qos, int count) throws Exception;

        /** Starts one publish; {@link #awaitDone} waits for it to complete. */
        Object publishOne(int qos) throws Exception;

        void awaitDone(Object handle) throws Exception;

        /** How often the library refused a publish for lack of room (and the harness retried). */
        default long retries() {
            return 0;
        }
    }
}
