package io.umqtt.robust.internal;

import static io.umqtt.robust.internal.QueueRecords.LOG;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import io.umqtt.robust.internal.OfflineQueue.Entry;

/**
 * The on-disk half of a durable offline queue: an append-only log of records in segment files
 * {@code segment-<16 hex digits>.log} of one directory, locked by {@code queue.lock}
 * ({@link DirectoryLock}). This class writes the records and keeps the segments; its parts are
 * the record format ({@link QueueRecords}, where the format is documented) and the loading of a
 * directory with the recovery of what a crash left ({@link QueueRecovery}).
 *
 * <h2>When data reaches the disk</h2>
 * Every {@link #append} and {@link #done} is one {@code write} to the file (no buffering in the
 * JVM), so when it returns the record is with the operating system: it survives the JVM being
 * killed. The file is forced to the device ({@code fsync}) when a segment is full and another is
 * started, on {@link #close()}, and at most once per {@code syncIntervalMillis} while appending;
 * a power loss can lose the records of that last interval.
 *
 * <h2>Disk use</h2>
 * A segment is deleted once every message added in it is done and all older segments are gone
 * (so that no DONE record that still matters is lost); when no message is pending, all segments
 * are deleted. Disk use therefore stays near the bytes of the pending messages plus one segment.
 *
 * <h2>Handles and threads</h2>
 * Open: the lock file's channel and the channel of the segment being appended, nothing else;
 * {@link #close()} releases both. Thread-safe: every method synchronizes on this; the parts it
 * uses take no lock of their own.
 */
public final class QueueLog implements AutoCloseable {
    static final String LOCK_FILE = "queue.lock";
    static final String SEGMENT_PREFIX = "segment-";
    static final String SEGMENT_SUFFIX = ".log";
    static final String CORRUPT_SUFFIX = ".corrupt";

    /** A segment file and what is pending in it. Guarded by the log (or owned by the loading thread). */
    static final class Segment {
        final long index;
        final Path path;
        long size;
        /** Messages added in this segment and not done. */
        int pending;

        Segment(long index, Path path, long size) {
            this.index = index;
            this.path = path;
            this.size = size;
        }
    }

    private final Path directory;
    private final long segmentBytes;
    private final long syncIntervalNanos;

    // all guarded by this
    /** The directory's lock; null while closed. */
    private DirectoryLock lock;
    /** The segments on disk, oldest first; the last is {@link #current} when that is open. */
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();
    /** The segment being appended to and its channel; null until the next write. */
    private Segment current;
    private FileChannel channel;
    /** Pending message to the segment holding its ADD record. */
    private final Map<Long, Segment> pending = new HashMap<>();
    /** What loading found, in order; handed out once by {@link #recovered()}. */
    private List<Entry> recovered;
    private long nextSeq = 1;
    private long nextSegment = 1;
    private long lastSync = System.nanoTime();
    private boolean closed;

    private QueueLog(Path directory, long segmentBytes, long syncIntervalMillis) {
        this.directory = directory;
        this.segmentBytes = segmentBytes;
        this.syncIntervalNanos = TimeUnit.MILLISECONDS.toNanos(syncIntervalMillis);
    }

    /**
     * Creates {@code directory} if needed, locks it and loads what it holds.
     *
     * @param segmentBytes a segment is closed (and forced) and another started beyond this size
     * @param syncIntervalMillis appends force the file at most this often; 0 = only on rotation and close
     * @throws IOException naming the directory when it cannot be created, is not a writable
     *         directory, or another client holds its lock
     */
    public static QueueLog open(Path directory, long segmentBytes, long syncIntervalMillis) throws IOException {
        if (segmentBytes < 1) {
            throw new IllegalArgumentException("segment size must be > 0 bytes, found " + segmentBytes);
        }
        Path dir = directory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("offline queue directory " + dir + " cannot be created: " + e, e);
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException("offline queue directory " + dir + " is not a directory");
        }
        if (!Files.isWritable(dir)) {
            throw new IOException("offline queue directory " + dir + " is not writable");
        }
        QueueLog log = new QueueLog(dir, segmentBytes, syncIntervalMillis);
        synchronized (log) {
            log.lock();
            try {
                log.load();
            } catch (IOException | RuntimeException e) {
                log.close();
                throw e;
            }
        }
        return log;
    }

    private void lock() throws IOException {
        lock = DirectoryLock.acquire(directory);
        closed = false;
    }

    /**
     * Locks the directory again after {@link #close()}, keeping what this log knows (for a client
     * that is used again after close). No-op when open.
     */
    public synchronized void reopen() throws IOException {
        if (!closed) {
            return;
        }
        lock();
    }

    // ------------------------------------------------------------------ loading

    private void load() throws IOException {
        QueueRecovery found = QueueRecovery.load(directory);
        segments.addAll(found.segments);
        pending.putAll(found.pending);
        recovered = found.recovered;
        nextSeq = found.nextSeq;
        nextSegment = found.nextSegment;
        compact();
    }

    /** The messages loaded from disk, in order, each with its {@code seq}; empty after the first call. */
    public synchronized List<Entry> recovered() {
        List<Entry> r = recovered == null ? List.of() : recovered;
        recovered = null;
        return r;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code added} (when not null) and marks {@code done} done, in one write.
     *
     * @return {@code added} with its new {@code seq}, or null when {@code added} was null
     * @throws IOException when the write fails or the log is closed; nothing is then changed in memory
     */
    public synchronized Entry append(Entry added, List<Entry> done) throws IOException {
        int size = 0;
        if (added != null) {
            size += QueueRecords.addRecordBytes(added);
        }
        int doneCount = 0;
        for (Entry d : done) {
            if (d.seq != 0 && pending.containsKey(d.seq)) {
                doneCount++;
            }
        }
        size += doneCount * (QueueRecords.RECORD_HEADER_BYTES + QueueRecords.DONE_BODY_BYTES);
        if (size == 0) {
            return null;
        }
        checkOpen();
        ByteBuffer buf = ByteBuffer.allocate(size);
        CRC32 crc = new CRC32();
        Entry withSeq = null;
        if (added != null) {
            long seq = nextSeq;
            withSeq = added.withSeq(seq);
            QueueRecords.putAdd(buf, added, seq, crc);
        }
        for (Entry d : done) {
            if (d.seq != 0 && pending.containsKey(d.seq)) {
                QueueRecords.putDone(buf, d.seq, crc);
            }
        }
        write(buf);
        if (withSeq != null) {
            nextSeq++;
            current.pending++;
            pending.put(withSeq.seq, current);
        }
        if (doneCount > 0) {
            forget(done);
        }
        maybeSync();
        return withSeq;
    }

    /**
     * Writes the STEP record of the QoS 2 message {@code seq} (see {@link QueueRecords}), when it
     * is pending here: its PUBLISH goes out under {@code packetId}, or ({@code pubrec}) its PUBREC
     * was read and its PUBREL goes out. One write: when it returns, the record survives the JVM
     * being killed.
     *
     * @throws IOException when the write fails or the log is closed
     */
    public synchronized void step(long seq, int packetId, boolean pubrec) throws IOException {
        if (!pending.containsKey(seq)) {
            return;
        }
        checkOpen();
        ByteBuffer buf = ByteBuffer.allocate(QueueRecords.RECORD_HEADER_BYTES + QueueRecords.STEP_BODY_BYTES);
        QueueRecords.putStep(buf, seq, packetId, pubrec, new CRC32());
        write(buf);
        maybeSync();
    }

    /** Writes the DONE records of those {@code entries} that are pending here, in one write. */
    public synchronized void done(List<Entry> entries) throws IOException {
        append(null, entries);
    }

    /**
     * Adds several entries in one write (those with a {@code seq} are already here and kept as they
     * are); a QoS 2 entry sent once gets its STEP record after its ADD.
     */
    public synchronized List<Entry> appendAll(List<Entry> entries) throws IOException {
        int size = 0;
        for (Entry e : entries) {
            if (e.seq == 0) {
                size += QueueRecords.addRecordBytes(e);
                if (e.qos == 2 && e.packetId != 0) {
                    size += QueueRecords.RECORD_HEADER_BYTES + QueueRecords.STEP_BODY_BYTES;
                }
            }
        }
        if (size == 0) {
            return entries;
        }
        checkOpen();
        ByteBuffer buf = ByteBuffer.allocate(size);
        CRC32 crc = new CRC32();
        List<Entry> out = new ArrayList<>(entries.size());
        long seq = nextSeq;
        for (Entry e : entries) {
            if (e.seq != 0) {
                out.add(e);
                continue;
            }
            QueueRecords.putAdd(buf, e, seq, crc);
            if (e.qos == 2 && e.packetId != 0) {
                QueueRecords.putStep(buf, seq, e.packetId, e.released, crc);
            }
            out.add(e.withSeq(seq++));
        }
        write(buf);
        for (long added = nextSeq; added < seq; added++) {
            current.pending++;
            pending.put(added, current);
        }
        nextSeq = seq;
        maybeSync();
        return out;
    }

    private void forget(List<Entry> done) throws IOException {
        for (Entry d : done) {
            Segment s = d.seq == 0 ? null : pending.remove(d.seq);
            if (s != null) {
                s.pending--;
            }
        }
        compact();
    }

    private void write(ByteBuffer buf) throws IOException {
        if (current == null || current.size >= segmentBytes) {
            rotate();
        }
        buf.flip();
        long at = channel.position();
        try {
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            // leave no half record behind, or the next one would follow garbage
            try {
                channel.truncate(at);
                channel.position(at);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IOException("offline queue directory " + directory + ": writing " + current.path
                    + " failed: " + e.getMessage(), e);
        }
        current.size = channel.position();
    }

    /** Closes the current segment (forced to the device) and starts a new one. */
    private void rotate() throws IOException {
        closeChannel(true);
        Path file = directory.resolve(String.format("%s%016x%s", SEGMENT_PREFIX, nextSegment, SEGMENT_SUFFIX));
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            ByteBuffer magic = ByteBuffer.allocate(QueueRecords.MAGIC_BYTES).putInt(QueueRecords.MAGIC);
            magic.flip();
            while (magic.hasRemaining()) {
                ch.write(magic);
            }
        } catch (IOException e) {
            ch.close();
            Files.deleteIfExists(file);
            throw e;
        }
        nextSegment++;
        channel = ch;
        current = new Segment(nextSegment - 1, file, QueueRecords.MAGIC_BYTES);
        segments.addLast(current);
    }

    private void maybeSync() throws IOException {
        if (syncIntervalNanos > 0 && channel != null && System.nanoTime() - lastSync >= syncIntervalNanos) {
            channel.force(false);
            lastSync = System.nanoTime();
        }
    }

    /** Forces what was written to the device. */
    public synchronized void sync() throws IOException {
        if (channel != null) {
            channel.force(false);
            lastSync = System.nanoTime();
        }
    }

    /**
     * Deletes the oldest segments whose messages are all done, in order; all of them (and the
     * current one) when nothing is pending.
     */
    private void compact() throws IOException {
        if (pending.isEmpty()) {
            closeChannel(false); // nothing in it is needed any more
            current = null;
        }
        Iterator<Segment> it = segments.iterator();
        while (it.hasNext()) {
            Segment s = it.next();
            if (s.pending > 0 || s == current) {
                break;
            }
            Files.deleteIfExists(s.path);
            it.remove();
        }
    }

    private void closeChannel(boolean force) throws IOException {
        FileChannel ch = channel;
        channel = null;
        if (ch == null) {
            return;
        }
        try {
            if (force) {
                ch.force(false);
                lastSync = System.nanoTime();
            }
        } finally {
            ch.close();
        }
        current = null;
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("offline queue directory " + directory + " is closed");
        }
    }

    // ------------------------------------------------------------------ state

    /** Messages written and not done. */
    public synchronized int pendingCount() {
        return pending.size();
    }

    /** Bytes of the segment files now. */
    public synchronized long diskBytes() {
        long sum = 0;
        for (Segment s : segments) {
            sum += s.size;
        }
        return sum;
    }

    /** Segment files now. */
    public synchronized int segmentCount() {
        return segments.size();
    }

    public Path directory() {
        return directory;
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    /**
     * Forces what was written to the device, closes the segment and releases the lock. The files
     * stay for the next {@link #open}. Idempotent; never throws (failures are logged).
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeChannel(true);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "offline queue directory " + directory + ": the last records may not be on the "
                    + "device (" + e + "); they are with the operating system");
        }
        if (lock != null) {
            lock.release();
            lock = null;
        }
    }

    @Override
    public String toString() {
        return "QueueLog[" + directory + "]";
    }
}
