package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.internal.LogCapture;

/**
 * The on-disk queue: what is written comes back in order after a reopen, what is done does not,
 * overflow drops reach the disk, damaged files are recovered up to the damage with a warning,
 * compaction keeps the directory small, and the lock and the file handles are released.
 */
class QueueLogTest {
    private static final long SEGMENT = 64 * 1024;

    @TempDir
    Path dir;
    private final List<QueueLog> open = new ArrayList<>();
    private LogCapture log;

    @BeforeEach
    void captureLog() {
        log = new LogCapture();
    }

    @AfterEach
    void closeAll() {
        for (QueueLog l : open) {
            l.close();
        }
        log.close();
    }

    private QueueLog open() throws IOException {
        return open(SEGMENT);
    }

    private QueueLog open(long segment) throws IOException {
        QueueLog l = QueueLog.open(dir, segment, 0);
        open.add(l);
        return l;
    }

    private static Entry msg(String payload) {
        return new Entry("t/x".getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8), 1, false, 0);
    }

    private static List<String> payloads(List<Entry> entries) {
        return entries.stream().map(e -> new String(e.payload, StandardCharsets.UTF_8)).collect(Collectors.toList());
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(QueueLog.SEGMENT_PREFIX)).sorted()
                    .collect(Collectors.toList());
        }
    }

    /** Writes a..(a+n-1) through a durable queue and closes it. */
    private void queue(String... payloads) throws IOException {
        QueueLog l = open();
        OfflineQueue q = new OfflineQueue(1_000, 1_000_000, OverflowPolicy.DROP_OLDEST, l);
        for (String p : payloads) {
            assertTrue(q.offer(msg(p), new ArrayList<>()));
        }
        l.close();
    }

    @Test
    void messagesComeBackInOrderWithTheirFlagsAndDoneOnesDoNot() throws IOException {
        QueueLog l = open();
        OfflineQueue q = new OfflineQueue(100, 100_000, OverflowPolicy.DROP_OLDEST, l);
        List<Entry> none = new ArrayList<>();
        q.offer(new Entry("a/b".getBytes(StandardCharsets.UTF_8), new byte[0], 0, true, 0), none);
        for (String p : new String[] {"1", "2", "3", "4"}) {
            q.offer(msg(p), none);
        }
        List<Entry> taken = q.take(2); // the retained QoS 0 one and "1"
        q.done(taken.subList(0, 1)); // sent: the QoS 0 one
        q.requeue(taken.subList(1, 2)); // "1" not acknowledged: stays
        assertEquals(4, l.pendingCount());
        l.close();

        QueueLog again = open();
        List<Entry> back = again.recovered();
        assertEquals(List.of("1", "2", "3", "4"), payloads(back));
        assertEquals(1, back.get(0).qos);
        assertFalse(back.get(0).retain);
        assertTrue(again.recovered().isEmpty(), "handed out once");

        again.done(back.subList(0, 3));
        again.close();
        List<Entry> last = open().recovered();
        assertEquals(List.of("4"), payloads(last));
    }

    @Test
    void qosRetainTopicAndEmptyPayloadSurvive() throws IOException {
        QueueLog l = open();
        l.append(new Entry("ü/ß".getBytes(StandardCharsets.UTF_8), new byte[0], 0, true, 0), List.of());
        l.append(new Entry("t".getBytes(StandardCharsets.UTF_8), new byte[] {0, 1, 2}, 1, false, 9), List.of());
        l.close();
        List<Entry> back = open().recovered();
        assertEquals("ü/ß", new String(back.get(0).topic, StandardCharsets.UTF_8));
        assertEquals(0, back.get(0).payload.length);
        assertEquals(0, back.get(0).qos);
        assertTrue(back.get(0).retain);
        assertEquals(1, back.get(1).qos);
        assertEquals(0, back.get(1).packetId, "packet ids are not kept: a new run sends them as new messages");
        assertEquals(List.of((byte) 0, (byte) 1, (byte) 2), List.of(back.get(1).payload[0], back.get(1).payload[1],
                back.get(1).payload[2]));
    }

    @Test
    void dropOldestRemovesTheDroppedOnesFromDiskToo() throws IOException {
        QueueLog l = open();
        OfflineQueue q = new OfflineQueue(2, 1_000, OverflowPolicy.DROP_OLDEST, l);
        List<Entry> dropped = new ArrayList<>();
        for (String p : new String[] {"a", "b", "c", "d"}) {
            assertTrue(q.offer(msg(p), dropped));
        }
        assertEquals(List.of("a", "b"), payloads(dropped));
        assertEquals(2, l.pendingCount());
        l.close();
        assertEquals(List.of("c", "d"), payloads(open().recovered()));
    }

    @Test
    void rejectNewestWritesNothingForTheRejectedOne() throws IOException {
        QueueLog l = open();
        OfflineQueue q = new OfflineQueue(2, 1_000, OverflowPolicy.REJECT_NEWEST, l);
        List<Entry> dropped = new ArrayList<>();
        assertTrue(q.offer(msg("a"), dropped));
        assertTrue(q.offer(msg("b"), dropped));
        long bytes = l.diskBytes();
        assertFalse(q.offer(msg("c"), dropped));
        assertEquals(bytes, l.diskBytes());
        l.close();
        assertEquals(List.of("a", "b"), payloads(open().recovered()));
    }

    @Test
    void aTruncatedTailIsCutOffWithAWarningAndTheRestLoads() throws IOException {
        queue("one", "two", "three");
        Path file = segments().get(0);
        long size = Files.size(file);
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size - 3); // the last record torn by a crash
        }
        QueueLog l = open();
        assertEquals(List.of("one", "two"), payloads(l.recovered()));
        String text = log.text();
        assertTrue(text.contains("WARNING offline queue file " + file + " ends in an incomplete record"), text);
        l.close();
        assertEquals(List.of("one", "two"), payloads(open().recovered()), "the cut file loads cleanly");
    }

    @Test
    void aTruncatedHeaderIsCutOffToo() throws IOException {
        queue("one", "two");
        Path file = segments().get(0);
        Files.write(file, new byte[] {0, 0, 0}, StandardOpenOption.APPEND); // 3 bytes of a next header
        assertEquals(List.of("one", "two"), payloads(open().recovered()));
        assertTrue(log.text().contains("ends in an incomplete record"), log.text());
    }

    @Test
    void aFlippedByteSkipsThatRecordOnlyWithAWarning() throws IOException {
        queue("one", "two", "three");
        Path file = segments().get(0);
        byte[] data = Files.readAllBytes(file);
        // the payload "two" of the second record: find it and flip one bit
        String text = new String(data, StandardCharsets.ISO_8859_1);
        int at = text.indexOf("two");
        data[at] ^= 0x01;
        Files.write(file, data);
        assertEquals(List.of("one", "three"), payloads(open().recovered()));
        assertTrue(log.text().contains("WARNING offline queue file " + file + ": the record at offset"), log.text());
        assertTrue(log.text().contains("fails its CRC check and is skipped"), log.text());
    }

    @Test
    void aFileThatIsNoSegmentIsMovedAsideNotThrown() throws IOException {
        queue("one");
        Path bad = dir.resolve(String.format("%s%016x%s", QueueLog.SEGMENT_PREFIX, 99L, QueueLog.SEGMENT_SUFFIX));
        Files.write(bad, "garbage".getBytes(StandardCharsets.US_ASCII));
        assertEquals(List.of("one"), payloads(open().recovered()));
        assertTrue(Files.exists(bad.resolveSibling(bad.getFileName() + QueueLog.CORRUPT_SUFFIX)));
        assertTrue(log.text().contains("is not a queue segment"), log.text());
    }

    @Test
    void aSegmentCutBeforeItsMagicIsDeletedWithAWarning() throws IOException {
        queue("one");
        Path torn = dir.resolve(String.format("%s%016x%s", QueueLog.SEGMENT_PREFIX, 7L, QueueLog.SEGMENT_SUFFIX));
        Files.write(torn, new byte[] {0x55, 0x4D});
        assertEquals(List.of("one"), payloads(open().recovered()));
        assertFalse(Files.exists(torn));
        assertTrue(log.text().contains("WARNING offline queue file " + torn + " holds only 2 bytes"), log.text());
    }

    @Test
    void segmentsRotateAndDoneOnesAreDeletedSoDiskStaysBounded() throws IOException {
        long segment = 4 * 1024;
        QueueLog l = open(segment);
        int max = 50; // 50 x (3 + 100) bytes ~ 5 KB of messages
        OfflineQueue q = new OfflineQueue(max, 1_000_000, OverflowPolicy.DROP_OLDEST, l);
        String payload = "x".repeat(100);
        long most = 0;
        for (int i = 0; i < 5_000; i++) {
            q.offer(msg(payload + i), new ArrayList<>());
            most = Math.max(most, l.diskBytes());
        }
        assertEquals(max, l.pendingCount());
        // pending: 50 records of ~125 bytes; plus at most one segment of done records and slack
        long bound = max * (QueueRecords.RECORD_HEADER_BYTES + QueueRecords.ADD_FIXED_BYTES + 3 + 104) + 2 * segment;
        assertTrue(most <= bound, "disk use " + most + " exceeded " + bound);
        assertTrue(segments().size() <= 4, segments().toString());
        assertEquals(segments().size(), l.segmentCount());

        // sending everything leaves no segment at all
        List<Entry> all = q.take(Integer.MAX_VALUE);
        q.done(all);
        assertEquals(0, l.pendingCount());
        assertEquals(List.of(), segments());
        l.close();
        assertTrue(open().recovered().isEmpty());
    }

    @Test
    void aDirectoryInUseIsRefusedNamingIt() throws IOException {
        open();
        IOException e = assertThrows(IOException.class, () -> QueueLog.open(dir, SEGMENT, 0));
        assertEquals("offline queue directory " + dir.toAbsolutePath().normalize() + " is in use by another client "
                + "(lock " + dir.toAbsolutePath().normalize().resolve(QueueLog.LOCK_FILE) + " is held); give each "
                + "client its own directory", e.getMessage());
    }

    @Test
    void aFileWhereTheDirectoryShouldBeIsRefusedNamingIt() throws IOException {
        Path file = dir.resolve("plain-file");
        Files.write(file, new byte[1]);
        IOException e = assertThrows(IOException.class, () -> QueueLog.open(file, SEGMENT, 0));
        assertTrue(e.getMessage().startsWith("offline queue directory " + file + " "), e.getMessage());
        IOException below = assertThrows(IOException.class, () -> QueueLog.open(file.resolve("q"), SEGMENT, 0));
        assertTrue(below.getMessage().startsWith("offline queue directory " + file.resolve("q") + " cannot be created"),
                below.getMessage());
    }

    @Test
    void closeReleasesTheLockAndEveryHandle() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd (Linux)");
        long before = openHandles(fds, dir); // handles into the queue directory only: other threads open files meanwhile
        QueueLog l = QueueLog.open(dir, SEGMENT, 0);
        OfflineQueue q = new OfflineQueue(10, 10_000, OverflowPolicy.DROP_OLDEST, l);
        q.offer(msg("a"), new ArrayList<>());
        assertEquals(before + 2, openHandles(fds, dir), "the lock file and the segment being written");
        l.close();
        l.close(); // idempotent
        assertEquals(before, openHandles(fds, dir));
        assertThrows(IOException.class, () -> q.offer(msg("b"), new ArrayList<>()), "closed: nothing is accepted");

        QueueLog other = QueueLog.open(dir, SEGMENT, 0); // the lock is free again
        assertEquals(List.of("a"), payloads(other.recovered()));
        other.close();
        assertEquals(before, openHandles(fds, dir));
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p); // nothing holds the directory any more
            }
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void reopenAfterCloseLocksAgainAndKeepsGoing() throws IOException {
        QueueLog l = open();
        OfflineQueue q = new OfflineQueue(10, 10_000, OverflowPolicy.DROP_OLDEST, l);
        q.offer(msg("a"), new ArrayList<>());
        l.close();
        l.reopen();
        q.offer(msg("b"), new ArrayList<>());
        assertThrows(IOException.class, () -> QueueLog.open(dir, SEGMENT, 0));
        l.close();
        assertEquals(List.of("a", "b"), payloads(open().recovered()));
    }

    /**
     * The open file descriptors of this JVM that point into {@code under}: counting every
     * descriptor would count the files other tests' threads open meanwhile.
     */
    private static long openHandles(Path fds, Path under) throws IOException {
        Path root = under.toRealPath();
        try (Stream<Path> s = Files.list(fds)) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).startsWith(root);
                } catch (IOException e) { // the descriptor closed while listing (the listing's own, another thread's)
                    return false;
                }
            }).count();
        }
    }

    // ------------------------------------------------------------------ QoS 2 steps

    private static Entry qos2(String payload) {
        return new Entry("t/2".getBytes(StandardCharsets.UTF_8), payload.getBytes(StandardCharsets.UTF_8), 2, false, 0);
    }

    /** The files as a kill -9 leaves them: copied while the log is open, nothing forced or closed. */
    private Path crashCopy() throws IOException {
        Path copy = dir.resolve("crashed");
        Files.createDirectories(copy);
        for (Path p : segments()) {
            Files.copy(p, copy.resolve(p.getFileName()));
        }
        return copy;
    }

    @Test
    void qos2StepsComeBackWithTheirMessageAfterACrashAndTheLastOneWins() throws IOException {
        QueueLog l = open();
        Entry a = l.append(qos2("a"), List.of());
        Entry b = l.append(qos2("b"), List.of());
        Entry c = l.append(qos2("c"), List.of());
        Entry d = l.append(qos2("d"), List.of());
        l.step(a.seq, 7, false); // PUBLISH written under 7
        l.step(b.seq, 8, false);
        l.step(b.seq, 8, true); // then its PUBREC read
        l.done(List.of(c));
        l.step(c.seq, 9, true); // done already: not written
        QueueLog after = QueueLog.open(crashCopy(), SEGMENT, 0);
        open.add(after);
        List<Entry> back = after.recovered();
        assertEquals(List.of("a", "b", "d"), payloads(back));
        assertEquals(7, back.get(0).packetId);
        assertFalse(back.get(0).released, "PUBLISH written, no PUBREC: resent with DUP");
        assertEquals(8, back.get(1).packetId);
        assertTrue(back.get(1).released, "PUBREC read: resumed at PUBREL");
        assertEquals(0, back.get(2).packetId, "never sent: a new message");
        assertEquals(2, back.get(0).qos);
    }

    @Test
    void aQos2MessagePutBackWithItsStepKeepsItOnDisk() throws IOException {
        QueueLog l = open();
        OfflineQueue q = new OfflineQueue(100, 100_000, OverflowPolicy.DROP_OLDEST, l);
        // sent directly (never queued), its PUBREC read, then the connection was lost
        q.requeue(List.of(qos2("x").withStep(42, true), qos2("y").withStep(43, false)));
        QueueLog after = QueueLog.open(crashCopy(), SEGMENT, 0);
        open.add(after);
        List<Entry> back = after.recovered();
        assertEquals(List.of("x", "y"), payloads(back));
        assertEquals(42, back.get(0).packetId);
        assertTrue(back.get(0).released);
        assertEquals(43, back.get(1).packetId);
        assertFalse(back.get(1).released);
    }
}
