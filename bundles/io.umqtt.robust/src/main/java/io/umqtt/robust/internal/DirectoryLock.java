package io.umqtt.robust.internal;

import static io.umqtt.robust.internal.QueueRecords.LOG;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The lock of a durable offline queue's directory: an exclusive {@link FileLock} on its
 * {@value QueueLog#LOCK_FILE} file, so that two clients (in this JVM or another) never write one
 * queue. The lock file itself stays in the directory; only the lock is released.
 * <p>
 * Threading: owned by its {@link QueueLog}, which acquires and releases it under its monitor; it
 * holds one open channel (the lock file's) from {@link #acquire} to {@link #release()}.
 */
final class DirectoryLock {
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code directory} (absolute and normalised), creating its lock file if needed.
     *
     * @throws IOException naming the directory and the lock file when another client holds the
     *         lock, or when the lock file cannot be opened
     */
    static DirectoryLock acquire(Path directory) throws IOException {
        Path file = directory.resolve(QueueLog.LOCK_FILE);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by another channel of this JVM
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (l == null) {
            ch.close();
            throw new IOException("offline queue directory " + directory + " is in use by another client (lock "
                    + file + " is held); give each client its own directory");
        }
        return new DirectoryLock(ch, l);
    }

    /** Releases the lock and closes the lock file's channel. Never throws (failures are logged at DEBUG). */
    void release() {
        try {
            lock.release();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "offline queue lock release: " + e);
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.DEBUG, () -> "offline queue lock close: " + e);
            }
        }
    }
}
