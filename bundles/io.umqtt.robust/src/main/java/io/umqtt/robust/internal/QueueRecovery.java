package io.umqtt.robust.internal;

import static io.umqtt.robust.internal.QueueRecords.LOG;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.robust.internal.QueueLog.Segment;

/**
 * Loading a durable offline queue's directory when its {@link QueueLog} opens: reads every
 * segment file in order, replays its records ({@link QueueRecords}) and finds the messages added
 * and not done, in sequence order, with the QoS 2 step each reached.
 *
 * <h2>Recovery</h2>
 * A record whose length runs past the end of its file (a write torn by a crash) ends that file:
 * it is cut off there. A record whose CRC does not match is skipped. Either way a WARNING names the
 * file and offset; everything before is recovered. A file without the magic is renamed to
 * {@code *.corrupt} and left for a person to look at; one too short to hold the magic (its creation
 * was interrupted) is deleted.
 * <p>
 * Threading: one instance per load, used by the thread opening the log while it holds the log's
 * monitor and the directory's lock; it takes no lock of its own.
 */
final class QueueRecovery {
    private final Path directory;
    /** The segments read, oldest first, each with how many of its messages are pending. */
    final List<Segment> segments = new ArrayList<>();
    /** Pending message to the segment holding its ADD record. */
    final Map<Long, Segment> pending = new HashMap<>();
    /** The pending messages, in order, each with its {@code seq}. */
    List<Entry> recovered = List.of();
    /** The {@code seq} of the next message: one past the highest found. */
    long nextSeq = 1;
    /** The index of the next segment file: one past the highest found. */
    long nextSegment = 1;

    private QueueRecovery(Path directory) {
        this.directory = directory;
    }

    /**
     * Reads the segment files of {@code directory}, repairing what a crash left (see the class
     * documentation).
     *
     * @throws IOException when a file cannot be read, cut, moved aside or deleted
     */
    static QueueRecovery load(Path directory) throws IOException {
        QueueRecovery r = new QueueRecovery(directory);
        r.load();
        return r;
    }

    private void load() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory,
                QueueLog.SEGMENT_PREFIX + "*" + QueueLog.SEGMENT_SUFFIX)) {
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
            if (data.length < QueueRecords.MAGIC_BYTES || ByteBuffer.wrap(data).getInt() != QueueRecords.MAGIC) {
                if (data.length < QueueRecords.MAGIC_BYTES) { // created, then the process died before its magic
                    LOG.log(Level.WARNING, "offline queue file " + file + " holds only " + data.length + " bytes, a "
                            + "segment whose creation a crash interrupted; deleted, it held no message");
                    Files.deleteIfExists(file);
                    continue;
                }
                Path aside = file.resolveSibling(file.getFileName() + QueueLog.CORRUPT_SUFFIX);
                LOG.log(Level.WARNING, "offline queue file " + file + " is not a queue segment (no magic); "
                        + "moved aside to " + aside + ", its messages are not loaded");
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
                continue;
            }
            Segment seg = new Segment(index, file, data.length);
            segments.add(seg);
            maxSeq = Math.max(maxSeq, replay(seg, data, live, where));
        }
        nextSeq = maxSeq + 1;
        for (Map.Entry<Long, Segment> e : where.entrySet()) {
            e.getValue().pending++;
            pending.put(e.getKey(), e.getValue());
        }
        recovered = new ArrayList<>(live.values());
    }

    /**
     * Replays the records of {@code seg}, whose bytes are {@code data}, into {@code live} (seq to
     * message) and {@code where} (seq to the segment of its ADD).
     *
     * @return the highest seq seen, 0 when none
     */
    private static long replay(Segment seg, byte[] data, TreeMap<Long, Entry> live, Map<Long, Segment> where)
            throws IOException {
        Path file = seg.path;
        long maxSeq = 0;
        ByteBuffer buf = ByteBuffer.wrap(data);
        buf.position(QueueRecords.MAGIC_BYTES);
        CRC32 crc = new CRC32();
        while (buf.remaining() > 0) {
            int at = buf.position();
            if (buf.remaining() < QueueRecords.RECORD_HEADER_BYTES) {
                cutTail(seg, at, "a record header is incomplete");
                break;
            }
            int length = buf.getInt();
            int sum = buf.getInt();
            if (length < QueueRecords.DONE_BODY_BYTES || length > QueueRecords.MAX_BODY_BYTES
                    || length > buf.remaining()) {
                cutTail(seg, at, "its length field says " + length + " bytes, " + (data.length - at
                        - QueueRecords.RECORD_HEADER_BYTES) + " are left in the file");
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
            if (type == QueueRecords.TYPE_DONE && length == QueueRecords.DONE_BODY_BYTES) {
                live.remove(seq);
                where.remove(seq);
            } else if (type == QueueRecords.TYPE_STEP && length == QueueRecords.STEP_BODY_BYTES) {
                int id = b.getShort() & 0xFFFF;
                boolean pubrec = b.get() != 0;
                Entry stepped = live.get(seq);
                if (stepped != null) {
                    live.put(seq, stepped.withStep(id, pubrec));
                }
            } else if ((type == QueueRecords.TYPE_ADD && length >= QueueRecords.ADD_FIXED_BYTES)
                    || (type == QueueRecords.TYPE_ADD5 && length >= QueueRecords.ADD5_FIXED_BYTES)) {
                Entry e = type == QueueRecords.TYPE_ADD ? QueueRecords.readAdd(b, seq, length, file, at)
                        : QueueRecords.readAdd5(b, seq, length, file, at);
                if (e != null) {
                    live.put(seq, e);
                    where.put(seq, seg);
                }
            } else {
                LOG.log(Level.WARNING, "offline queue file " + file + ": the record at offset " + at
                        + " has unknown type " + type + " or length " + length + "; skipped");
            }
        }
        return maxSeq;
    }

    private static void cutTail(Segment seg, int offset, String why) throws IOException {
        LOG.log(Level.WARNING, "offline queue file " + seg.path + " ends in an incomplete record at offset " + offset
                + " (" + why + "), probably from a crash while writing; cut off there, the records before it are "
                + "loaded");
        try (FileChannel ch = FileChannel.open(seg.path, StandardOpenOption.WRITE)) {
            ch.truncate(offset);
        }
        seg.size = offset;
    }

    /** The index in the name {@code segment-<16 hex digits>.log}, or -1 when the name is not a segment's. */
    private static long segmentIndex(Path file) {
        String name = file.getFileName().toString();
        if (!name.startsWith(QueueLog.SEGMENT_PREFIX) || !name.endsWith(QueueLog.SEGMENT_SUFFIX)) {
            return -1;
        }
        String hex = name.substring(QueueLog.SEGMENT_PREFIX.length(), name.length() - QueueLog.SEGMENT_SUFFIX.length());
        if (hex.length() != 16) {
            return -1;
        }
        try {
            return Long.parseUnsignedLong(hex, 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
