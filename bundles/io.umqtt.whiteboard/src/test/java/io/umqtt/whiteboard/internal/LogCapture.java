package io.umqtt.whiteboard.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Collects what the whiteboard logs through {@link System.Logger} (routed to java.util.logging
 * when no other backend is present), every level.
 */
final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.umqtt.whiteboard");
    private final Level previous;
    private final List<LogRecord> records = new ArrayList<>();

    LogCapture() {
        previous = logger.getLevel();
        logger.setLevel(Level.ALL);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    private final Semaphore published = new Semaphore(0);

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
        published.release();
    }

    /** Waits up to 5 s, woken by each new record, until a record at {@code level} or above contains {@code fragment}. */
    void await(Level level, String fragment) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!text(level).contains(fragment)) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !published.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                throw new AssertionError("not logged within 5 s: " + fragment + "\n--- the log ---\n" + text(Level.ALL));
            }
        }
    }

    /** The records at {@code level} or above, each as "LEVEL message | cause...". */
    synchronized List<String> lines(Level level) {
        List<String> lines = new ArrayList<>();
        SimpleFormatter f = new SimpleFormatter();
        for (LogRecord r : records) {
            if (r.getLevel().intValue() >= level.intValue()) {
                StringBuilder s = new StringBuilder(r.getLevel().getName()).append(' ').append(f.formatMessage(r));
                for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
                    s.append(" | ").append(t);
                }
                lines.add(s.toString());
            }
        }
        return lines;
    }

    /** Every record at {@code level} or above, one per line. */
    String text(Level level) {
        return String.join("\n", lines(level));
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(previous);
    }
}
