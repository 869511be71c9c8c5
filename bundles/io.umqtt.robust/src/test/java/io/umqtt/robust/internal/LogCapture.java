package io.umqtt.robust.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Captures what the umqtt classes log through {@link System.Logger}, which the JDK routes to
 * java.util.logging when no other backend is installed. Captures every level.
 */
final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.umqtt");
    private final Level oldLevel;
    private final List<LogRecord> records = new ArrayList<>();

    LogCapture() {
        oldLevel = logger.getLevel();
        logger.setLevel(Level.ALL);
        setLevel(Level.ALL);
        logger.addHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    /** Every record as one text: level, formatted message and the whole cause chain. */
    synchronized String text() {
        StringBuilder s = new StringBuilder();
        for (LogRecord r : records) {
            s.append(r.getLevel()).append(' ').append(new SimpleFormatter().formatMessage(r));
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
