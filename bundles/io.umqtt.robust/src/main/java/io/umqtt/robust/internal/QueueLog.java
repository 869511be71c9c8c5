package io.umqtt.robust.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import io.umqtt.api.MqttProperties;
import io.umqtt.robust.internal.OfflineQueue.Entry;

/**
 * The on-disk half of a durable offline queue: an append-only log of records in segment files
 * {@code segment-<16 hex digits>.log} of one directory, locked by {@code queue.lock}.
 *
 * <h2>Format</h2>
 * A segment starts with the 4-byte magic {@code UMQ1}, then records, big-endian:
 * {@code [int length][int crc32 of the body][body of length bytes]}. A body is either
 * <ul>
 * <li>ADD: {@code [1][long seq][byte flags: qos in bits 0-1, retain in bit 2][int topic length][topic][payload]}
 * (a message without MQTT 5 properties: every message of an MQTT 3.1.1 client, so that its files
 * stay as they were before MQTT 5), or</li>
 * <li>ADD5: {@code [4][long seq][byte flags][int topic length][topic][long queued at: epoch milliseconds]
 * [int properties length][properties][payload]}: a message with MQTT 5 properties, kept as
 * {@link StoredProperties} writes them (with their own version byte), and the time it was
 * published, from which what remains of its message expiry interval is computed (also after a
 * restart). Files of earlier versions hold no ADD5 and load as before; an earlier version that
 * meets an ADD5 skips it with a warning (it does not know the type).</li>
 * <li>DONE: {@code [2][long seq]}: the message {@code seq} was sent (QoS 0), acknowledged (QoS 1),
 * its QoS 2 flow completed (PUBCOMP), or it was dropped; it is not loaded again.</li>
 * <li>STEP: {@code [3][long seq][unsigned short packet id][byte 0: PUBLISH written | 1: PUBREC read]}:
 * the step a QoS 2 message reached, written <em>before</em> the packet it leads to (its PUBLISH
 * under that packet id, its PUBREL); the last STEP of a message wins. Loading gives the message its
 * packet id and step, so that after a crash it is resumed in the broker's kept session (PUBLISH
 * with DUP, or PUBREL) instead of being published as a new message.</li>
 * </ul>
 * Sequence numbers grow by one per message; loading replays every segment in order, and the
 * messages added and not done are the queue, in sequence order.
 *
 * <h2>When data reaches the disk</h2>
 * Every {@link #append} and {@link #done} is one {@code write} to the file (no buffering in the
 * JVM), so when it returns the record is with the operating system: it survives the JVM being
 * killed. The file is forced to the device ({@code fsync}) when a segment is full and another is
 * started, on {@link #close()}, and at most once per {@code syncIntervalMillis} while appending;
 * a power loss can lose the records of that last interval.
 *
 * <h2>Recovery</h2>
 * A record whose length runs past the end of its file (a write torn by a crash) ends that file:
 * it is cut off there. A record whose CRC does not match is skipped. Either way a WARNING names the
 * file and offset; everything before is recovered. A file without the magic is renamed to
 * {@code *.corrupt} and left for a person to look at.
 *
 * <h2>Disk use</h2>
 * A segment is deleted once every message added in it is done and all older segments are gone
 * (so that no DONE record that still matters is lost); when no message is pending, all segments
 * are deleted. Disk use therefore stays near the bytes of the pending messages plus one segment.
 *
 * <h2>Handles and threads</h2>
 * Open: the lock file's channel and the channel of the segment being appended, nothing else;
 * {@link #close()} releases both. Thread-safe: every method synchronizes on this.
 */
public final class QueueLog implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QueueLog.class.getName());

    static final String LOCK_FILE = "queue.lock";
    static final String SEGMENT_PREFIX = "segment-";
    static final String SEGMENT_SUFFIX = ".log";
    static final String CORRUPT_SUFFIX = ".corrupt";
    static final int MAGIC = 0x554D5131; // "UMQ1"
    static final int MAGIC_BYTES = 4;
    /** Length and CRC in front of every body. */
    static final int RECORD_HEADER_BYTES = 8;
    static final byte TYPE_ADD = 1;
    static final byte TYPE_DONE = 2;
    static final byte TYPE_STEP = 3;
    static final byte TYPE_ADD5 = 4;
    /** Type, seq, packet id, step. */
    static final int STEP_BODY_BYTES = 1 + 8 + 2 + 1;
    /** Type, seq, flags, topic length. */
    static final int ADD_FIXED_BYTES = 1 + 8 + 1 + 4;
    /** Type, seq, flags, topic length, queued at, properties length. */
    static final int ADD5_FIXED_BYTES = ADD_FIXED_BYTES + 8 + 4;
    static final int DONE_BODY_BYTES = 1 + 8;
    private static final int FLAG_QOS_MASK = 0x03;
    private static final int FLAG_RETAIN = 0x04;
    /** The largest body: an MQTT topic (65535 bytes) and the largest MQTT payload. */
    static final int MAX_BODY_BYTES = ADD5_FIXED_BYTES + 65_535 + 268_435_455;

    /** A segment file and what is pending in it. Guarded by the log. */
    private static final class Segment {
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
    private FileChannel lockChannel;
    private FileLock lock;
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
        Path file = directory.resolve(LOCK_FILE);
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
        lockChannel = ch;
        lock = l;
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
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, SEGMENT_PREFIX + "*" + SEGMENT_SUFFIX)) {
            for (Path p : ds) {
                if (segmentIndex(p) >= 0) {
                    files.add(p);
                }
            }
        }
        files.sort((a, b) -> Long.compare(segmentIndex(a), segmentIndex(b)));
        TreeMap<Long, Entry> live = new TreeMap<>();
        Map<Long, Segment> where = new HashMap<>();
        long maxSeq = 0;
        for (Path file : files) {
            long index = segmentIndex(file);
            nextSegment = Math.max(nextSegment, index + 1);
            byte[] data = Files.readAllBytes(file);
            if (data.length < MAGIC_BYTES || ByteBuffer.wrap(data).getInt() != MAGIC) {
                if (data.length < MAGIC_BYTES) { // created, then the process died before the magic was written
                    LOG.log(Level.WARNING, "offline queue file " + file + " holds only " + data.length + " bytes, a "
                            + "segment whose creation a crash interrupted; deleted, it held no message");
                    Files.deleteIfExists(file);
                    continue;
                }
                Path aside = file.resolveSibling(file.getFileName() + CORRUPT_SUFFIX);
                LOG.log(Level.WARNING, "offline queue file " + file + " is not a queue segment (no magic); "
                        + "moved aside to " + aside + ", its messages are not loaded");
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                continue;
            }
            Segment seg = new Segment(index, file, data.length);
            segments.addLast(seg);
            ByteBuffer buf = ByteBuffer.wrap(data);
            buf.position(MAGIC_BYTES);
            CRC32 crc = new CRC32();
            while (buf.remaining() > 0) {
                int at = buf.position();
                if (buf.remaining() < RECORD_HEADER_BYTES) {
                    cutTail(seg, at, "a record header is incomplete");
                    break;
                }
                int length = buf.getInt();
                int sum = buf.getInt();
                if (length < DONE_BODY_BYTES || length > MAX_BODY_BYTES || length > buf.remaining()) {
                    cutTail(seg, at, "its length field says " + length + " bytes, " + (data.length - at
                            - RECORD_HEADER_BYTES) + " are left in the file");
                    break;
                }
                crc.reset();
                crc.update(data, buf.position(), length);
                int body = buf.position();
                buf.position(body + length);
                if ((int) crc.getValue() != sum) {
                    LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at + " ("
                            + length + " bytes) fails its CRC check and is skipped");
                    continue;
                }
                ByteBuffer b = ByteBuffer.wrap(data, body, length);
                byte type = b.get();
                long seq = b.getLong();
                maxSeq = Math.max(maxSeq, seq);
                if (type == TYPE_DONE && length == DONE_BODY_BYTES) {
                    live.remove(seq);
                    where.remove(seq);
                } else if (type == TYPE_STEP && length == STEP_BODY_BYTES) {
                    int id = b.getShort() & 0xFFFF;
                    boolean pubrec = b.get() != 0;
                    Entry stepped = live.get(seq);
                    if (stepped != null) {
                        live.put(seq, stepped.withStep(id, pubrec));
                    }
                } else if (type == TYPE_ADD && length >= ADD_FIXED_BYTES) {
                    int flags = b.get();
                    int topicLength = b.getInt();
                    if (topicLength < 0 || topicLength > length - ADD_FIXED_BYTES) {
                        LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                                + " has a topic length of " + topicLength + " in " + length + " bytes; skipped");
                        continue;
                    }
                    byte[] topic = new byte[topicLength];
                    b.get(topic);
                    byte[] payload = new byte[b.remaining()];
                    b.get(payload);
                    live.put(seq, new Entry(topic, payload, flags & FLAG_QOS_MASK, (flags & FLAG_RETAIN) != 0, 0, seq));
                    where.put(seq, seg);
                } else if (type == TYPE_ADD5 && length >= ADD5_FIXED_BYTES) {
                    Entry e = readAdd5(b, seq, length, file, at);
                    if (e != null) {
                        live.put(seq, e);
                        where.put(seq, seg);
                    }
                } else {
                    LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                            + " has unknown type " + type + " or length " + length + "; skipped");
                }
            }
        }
        nextSeq = maxSeq + 1;
        for (Map.Entry<Long, Segment> e : where.entrySet()) {
            e.getValue().pending++;
            pending.put(e.getKey(), e.getValue());
        }
        recovered = new ArrayList<>(live.values());
        compact();
    }

    /** The message of an ADD5 record whose type and seq were read from {@code b}; null (logged) when it is damaged. */
    private static Entry readAdd5(ByteBuffer b, long seq, int length, Path file, int at) {
        int flags = b.get();
        int topicLength = b.getInt();
        if (topicLength < 0 || topicLength > length - ADD5_FIXED_BYTES) {
            LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                    + " has a topic length of " + topicLength + " in " + length + " bytes; skipped");
            return null;
        }
        byte[] topic = new byte[topicLength];
        b.get(topic);
        long queuedAt = b.getLong();
        int propertiesLength = b.getInt();
        if (propertiesLength < 0 || propertiesLength > b.remaining()) {
            LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                    + " has a properties length of " + propertiesLength + " with " + b.remaining()
                    + " bytes left in it; skipped");
            return null;
        }
        MqttProperties properties;
        try {
            properties = StoredProperties.decode(b.array(), b.arrayOffset() + b.position(), propertiesLength);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                    + " holds properties this version cannot read (" + e.getMessage() + "); skipped");
            return null;
        }
        b.position(b.position() + propertiesLength);
        byte[] payload = new byte[b.remaining()];
        b.get(payload);
        return new Entry(topic, payload, flags & FLAG_QOS_MASK, (flags & FLAG_RETAIN) != 0, 0, seq, null, false,
                properties, queuedAt);
    }

    private void cutTail(Segment seg, int offset, String why) throws IOException {
        LOG.log(Level.WARNING, "offline queue file " + seg.path + " ends in an incomplete record at offset " + offset
                + " (" + why + "), probably from a crash while writing; cut off there, the records before it are "
                + "loaded");
        try (FileChannel ch = FileChannel.open(seg.path, StandardOpenOption.WRITE)) {
            ch.truncate(offset);
        }
        seg.size = offset;
    }

    private static long segmentIndex(Path file) {
        String name = file.getFileName().toString();
        if (!name.startsWith(SEGMENT_PREFIX) || !name.endsWith(SEGMENT_SUFFIX)) {
            return -1;
        }
        String hex = name.substring(SEGMENT_PREFIX.length(), name.length() - SEGMENT_SUFFIX.length());
        if (hex.length() != 16) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(hex, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
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
            size += addRecordBytes(added);
        }
        int doneCount = 0;
        for (Entry d : done) {
            if (d.seq != 0 && pending.containsKey(d.seq)) {
                doneCount++;
            }
        }
        size += doneCount * (RECORD_HEADER_BYTES + DONE_BODY_BYTES);
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
            putAdd(buf, added, seq, crc);
        }
        for (Entry d : done) {
            if (d.seq != 0 && pending.containsKey(d.seq)) {
                putDone(buf, d.seq, crc);
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

    /** The bytes of the ADD (ADD5 with properties) record of {@code e}, header included. */
    private static int addRecordBytes(Entry e) {
        int fixed = e.storedProperties.length == 0 ? ADD_FIXED_BYTES : ADD5_FIXED_BYTES + e.storedProperties.length;
        return RECORD_HEADER_BYTES + fixed + e.topic.length + e.payload.length;
    }

    /**
     * Puts the ADD record of {@code e} under {@code seq}, sealed with its length and CRC: ADD5 when
     * it has MQTT 5 properties, else ADD as before MQTT 5.
     */
    private static void putAdd(ByteBuffer buf, Entry e, long seq, CRC32 crc) {
        int length = addRecordBytes(e) - RECORD_HEADER_BYTES;
        int start = buf.position();
        boolean v5 = e.storedProperties.length > 0;
        buf.putInt(length).putInt(0).put(v5 ? TYPE_ADD5 : TYPE_ADD).putLong(seq)
                .put((byte) ((e.qos & FLAG_QOS_MASK) | (e.retain ? FLAG_RETAIN : 0)))
                .putInt(e.topic.length).put(e.topic);
        if (v5) {
            buf.putLong(e.queuedAtMillis).putInt(e.storedProperties.length).put(e.storedProperties);
        }
        buf.put(e.payload);
        seal(buf, start, length, crc);
    }

    /**
     * Writes the STEP record of the QoS 2 message {@code seq} (see the class documentation), when it
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
        ByteBuffer buf = ByteBuffer.allocate(RECORD_HEADER_BYTES + STEP_BODY_BYTES);
        putStep(buf, seq, packetId, pubrec, new CRC32());
        write(buf);
        maybeSync();
    }

    private static void putStep(ByteBuffer buf, long seq, int packetId, boolean pubrec, CRC32 crc) {
        int start = buf.position();
        buf.putInt(STEP_BODY_BYTES).putInt(0).put(TYPE_STEP).putLong(seq).putShort((short) packetId)
                .put((byte) (pubrec ? 1 : 0));
        seal(buf, start, STEP_BODY_BYTES, crc);
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
                size += addRecordBytes(e);
                if (e.qos == 2 && e.packetId != 0) {
                    size += RECORD_HEADER_BYTES + STEP_BODY_BYTES;
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
            putAdd(buf, e, seq, crc);
            if (e.qos == 2 && e.packetId != 0) {
                putStep(buf, seq, e.packetId, e.released, crc);
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

    private static void putDone(ByteBuffer buf, long seq, CRC32 crc) {
        int start = buf.position();
        buf.putInt(DONE_BODY_BYTES).putInt(0).put(TYPE_DONE).putLong(seq);
        seal(buf, start, DONE_BODY_BYTES, crc);
    }

    /** Fills in the CRC of the record written at {@code start}. */
    private static void seal(ByteBuffer buf, int start, int length, CRC32 crc) {
        crc.reset();
        crc.update(buf.array(), start + RECORD_HEADER_BYTES, length);
        buf.putInt(start + 4, (int) crc.getValue());
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
            ByteBuffer magic = ByteBuffer.allocate(MAGIC_BYTES).putInt(MAGIC);
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
        current = new Segment(nextSegment - 1, file, MAGIC_BYTES);
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
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "offline queue lock release: " + e);
        } finally {
            lock = null;
            try {
                if (lockChannel != null) {
                    lockChannel.close();
                }
            } catch (IOException e) {
                LOG.log(Level.DEBUG, () -> "offline queue lock close: " + e);
            }
            lockChannel = null;
        }
    }

    @Override
    public String toString() {
        return "QueueLog[" + directory + "]";
    }
}
