package io.umqtt.simple.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Captures what the umqtt classes log through {@link System.Logger}, which the JDK routes to
 * java.util.logging when no other backend is installed. Captures every level.
 */
public final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.umqtt");
    private final Level oldLevel;
    private final List<LogRecord> records = new ArrayList<>();
    private volatile java.util.function.Consumer<LogRecord> onLogged = r -> { };

    public LogCapture() {
        oldLevel = logger.getLevel();
        logger.setLevel(Level.ALL);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        synchronized (this) {
            records.add(record);
        }
        onLogged.accept(record); // on the logging thread, while the logging call is still running
    }

    /**
     * Calls {@code action} for each record from now on, on the thread that logs it and before its
     * logging call returns: to check what else was true at the moment a line was logged.
     */
    public void onLogged(java.util.function.Consumer<LogRecord> action) {
        onLogged = action;
    }

    public synchronized List<LogRecord> records() {
        return new ArrayList<>(records);
    }

    /** Every record as one text: level, formatted message and the whole cause chain. */
    public synchronized String text() {
        StringBuilder s = new StringBuilder();
        for (LogRecord r : records) {
            s.append(r.getLevel()).append(' ').append(new java.util.logging.SimpleFormatter().formatMessage(r));
            for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
                s.append(" | ").append(t);
            }
            s.append('\n');
        }
        return s.toString();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(oldLevel);
    }
}
