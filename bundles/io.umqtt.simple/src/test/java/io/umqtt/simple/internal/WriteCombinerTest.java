package io.umqtt.simple.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WriteCombiner} on a stream that records each write call: what is combined, in which order it
 * leaves, and that the shared flusher writes what is held within a bounded time, its write bounded
 * by the {@link WriteWatchdog} like every other.
 */
class WriteCombinerTest {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);
    private final Object lock = new Object();
    private final List<IOException> failures = new ArrayList<>();
    private WriteWatchdog.Watch watch;

    @AfterEach
    void unwatch() {
        if (watch != null) {
            watch.unregister();
        }
    }

    /** Records every write call as one element. */
    private static final class Recording extends OutputStream {
        final List<byte[]> writes = new ArrayList<>();
        final CountDownLatch wrote = new CountDownLatch(1);

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            byte[] copy = new byte[len];
            System.arraycopy(b, off, copy, 0, len);
            writes.add(copy);
            wrote.countDown();
        }

        synchronized byte[] all() {
            ByteArrayOutputStream o = new ByteArrayOutputStream();
            writes.forEach(w -> o.write(w, 0, w.length));
            return o.toByteArray();
        }

        synchronized int calls() {
            return writes.size();
        }
    }

    private WriteCombiner outbound(OutputStream out, long window, long delay) {
        WriteCombiner o = new WriteCombiner(lock, (e, w) -> {
            failures.add(e);
            return e;
        }, 64, window, delay);
        watch = WriteWatchdog.register(w -> {
            try {
                out.close(); // as the client closes the socket: the blocked write fails
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        synchronized (lock) {
            o.connected(out::write, watch);
        }
        return o;
    }

    private static byte[] packet(int i) {
        return new byte[] {(byte) 0x30, 2, (byte) i, (byte) (i >> 8)};
    }

    @Test
    void aWriteTakesWhatIsHeldAlongInOrderInOneCall() throws IOException {
        Recording out = new Recording();
        WriteCombiner o = outbound(out, HOUR, HOUR);
        synchronized (lock) {
            o.hold(packet(1), 0, 4, TIMEOUT);
            o.hold(packet(2), 0, 4, TIMEOUT);
            assertTrue(o.holding());
            assertEquals(0, out.calls(), "held packets are not written yet");

            o.write(packet(3), 0, 4, TIMEOUT);
        }
        assertEquals(1, out.calls(), "held packets and the write leave in one write call");
        assertArrayEquals(concat(packet(1), packet(2), packet(3)), out.all());
        assertFalse(o.holding());
    }

    @Test
    void corkWritesTheFirstPacketAtOnceAndCombinesTheStreamThatFollows() throws IOException {
        Recording out = new Recording();
        WriteCombiner o = outbound(out, HOUR, HOUR);
        synchronized (lock) {
            for (int i = 0; i < 40; i++) {
                o.cork(packet(i), 0, 4, TIMEOUT, false);
            }
            assertEquals(1 + 2, out.calls(), "the first at once, then one write per 64 bytes held (16 packets)");
            o.flush();
        }
        assertEquals(4, out.calls());
        byte[][] all = new byte[40][];
        for (int i = 0; i < 40; i++) {
            all[i] = packet(i);
        }
        assertArrayEquals(concat(all), out.all(), "every packet, in order");
    }

    /** A clock the test moves (starting at {@code System.nanoTime()}, as the shared flusher schedules by it). */
    private static final class Clock {
        long now = System.nanoTime();
    }

    private static final long WINDOW = TimeUnit.MICROSECONDS.toNanos(20);

    /**
     * A combiner whose stream window is {@link #WINDOW} on {@code clock}, writing to {@code out};
     * each write call lasts {@code writeMicros[i]} µs of the clock (the last entry for the rest).
     */
    private WriteCombiner timed(Recording out, Clock clock, long... writeMicros) {
        WriteCombiner o = new WriteCombiner(lock, (e, w) -> {
            failures.add(e);
            return e;
        }, 64, WINDOW, HOUR, () -> clock.now);
        watch = WriteWatchdog.register(w -> { });
        synchronized (lock) {
            o.connected((b, off, len) -> {
                int call = out.calls();
                out.write(b, off, len);
                clock.now += TimeUnit.MICROSECONDS.toNanos(writeMicros[Math.min(call, writeMicros.length - 1)]);
            }, watch);
        }
        return o;
    }

    @Test
    void aOneAtATimePublishIsNotCorkedWhenThePreviousWriteLastedLongerThanTheWindow() throws IOException {
        // issue 12: on loopback the publisher's write may last the whole round trip (its thread is
        // descheduled inside the system call while the broker and the subscriber run); the next
        // publish then came 1 µs after that write's end, was corked and waited 1 ms for the flusher
        Recording out = new Recording();
        Clock clock = new Clock();
        WriteCombiner o = timed(out, clock, 35);
        synchronized (lock) {
            o.cork(packet(1), 0, 4, TIMEOUT, false); // after a pause: at once; its write lasts 35 µs
            clock.now += TimeUnit.MICROSECONDS.toNanos(1);
            o.cork(packet(2), 0, 4, TIMEOUT, false); // 36 µs after the previous one began
            assertFalse(o.holding(), "the second publish is written at once, not corked");
            assertEquals(2, out.calls());
            clock.now += TimeUnit.MICROSECONDS.toNanos(1);
            o.cork(packet(3), 0, 4, TIMEOUT, false);
            assertEquals(3, out.calls(), "and so is every one that follows such a write");
        }
        assertArrayEquals(concat(packet(1), packet(2), packet(3)), out.all());
    }

    @Test
    void aStreamIsCorkedFromItsSecondPacketWhenTheFirstWriteIsQuick() throws IOException {
        Recording out = new Recording();
        Clock clock = new Clock();
        WriteCombiner o = timed(out, clock, 5);
        synchronized (lock) {
            o.cork(packet(1), 0, 4, TIMEOUT, false); // at once, 5 µs
            for (int i = 2; i <= 10; i++) {
                clock.now += TimeUnit.MICROSECONDS.toNanos(2);
                o.cork(packet(i), 0, 4, TIMEOUT, false);
            }
            assertEquals(1, out.calls(), "packets 2-10 are corked: each came within 20 µs of the previous");
            assertTrue(o.holding());
            o.flush();
        }
        assertEquals(2, out.calls());
    }

    @Test
    void aStreamGoesOnCorkingAfterASlowWriteOfWhatWasCorked() throws IOException {
        // the write of a full cork (64 bytes here) lasts longer than the window: the stream goes on,
        // counted from that write's end (it was counted from when the packet that filled the cork
        // came, so such a write ended the stream and the next packet was written alone)
        Recording out = new Recording();
        Clock clock = new Clock();
        WriteCombiner o = timed(out, clock, 5, 50);
        synchronized (lock) {
            o.cork(packet(1), 0, 4, TIMEOUT, false); // at once, 5 µs
            for (int i = 2; i <= 30; i++) {
                clock.now += TimeUnit.MICROSECONDS.toNanos(1);
                o.cork(packet(i), 0, 4, TIMEOUT, false); // the 18th fills the cork: a 50 µs write
            }
            assertEquals(2, out.calls(), "one write at once, one of the full cork; the rest corked again");
            assertTrue(o.holding());
            o.flush();
        }
        byte[][] all = new byte[30][];
        for (int i = 0; i < 30; i++) {
            all[i] = packet(i + 1);
        }
        assertArrayEquals(concat(all), out.all(), "every packet, in order");
    }

    @Test
    void aPacketLargerThanTheLimitIsWrittenAfterWhatIsHeld() throws IOException {
        Recording out = new Recording();
        WriteCombiner o = outbound(out, HOUR, HOUR);
        byte[] large = new byte[100];
        large[0] = 0x30;
        synchronized (lock) {
            o.hold(packet(1), 0, 4, TIMEOUT);
            o.cork(large, 0, large.length, TIMEOUT, false);
        }
        assertEquals(2, out.calls());
        assertArrayEquals(concat(packet(1), large), out.all());
    }

    @Test
    void theFlusherWritesWhatIsCorkedWithNothingWrittenAfterIt() throws Exception {
        Recording out = new Recording();
        WriteCombiner o = outbound(out, HOUR, TimeUnit.MILLISECONDS.toNanos(1));
        synchronized (lock) {
            o.cork(packet(1), 0, 4, TIMEOUT, false); // at once
            o.cork(packet(2), 0, 4, TIMEOUT, false); // held: nothing else will be written
        }
        assertTrue(out.wrote.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 1000 && out.calls() < 2; i++) {
            synchronized (lock) {
                lock.wait(10); // wait for the flusher's write (it takes this lock to write)
            }
        }
        assertEquals(2, out.calls(), "the flusher wrote the held packet: " + out.calls());
        assertArrayEquals(concat(packet(1), packet(2)), out.all());
        assertFalse(o.holding());
    }

    @Test
    void aFlushToAStreamThatStopsTakingBytesIsEndedByTheWriteWatchdog() throws Exception {
        CountDownLatch closed = new CountDownLatch(1);
        AtomicReference<Thread> writer = new AtomicReference<>();
        OutputStream stalled = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writer.set(Thread.currentThread());
                try {
                    if (closed.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("socket closed");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("not closed within 60 s");
            }

            @Override
            public void close() {
                closed.countDown();
            }
        };
        WriteCombiner o = outbound(stalled, HOUR, TimeUnit.MILLISECONDS.toNanos(1));
        long writeTimeout = TimeUnit.MILLISECONDS.toNanos(200);
        synchronized (lock) {
            o.cork(packet(1), 0, 4, writeTimeout, true); // pipelined: held, and only the flusher writes it
        }

        assertTrue(closed.await(30, TimeUnit.SECONDS), "the watchdog ended the flusher's blocked write");
        for (int i = 0; i < 1000; i++) {
            synchronized (lock) {
                if (!failures.isEmpty()) {
                    break;
                }
                lock.wait(10);
            }
        }
        synchronized (lock) {
            assertEquals(1, failures.size(), "the failed write is reported as the connection's failure");
        }
        assertEquals(WriteCombiner.FLUSHER_NAME, writer.get().getName());
        assertTrue(watch.fired());
    }

    @Test
    void aFailedWriteIsReportedAndWhatWasHeldWithItIsGone() throws IOException {
        IOException broken = new IOException("broken pipe");
        OutputStream failing = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw broken;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw broken;
            }
        };
        WriteCombiner o = outbound(failing, HOUR, HOUR);
        synchronized (lock) {
            o.hold(packet(1), 0, 4, TIMEOUT);
            IOException e = assertThrows(IOException.class, () -> o.write(packet(2), 0, 4, TIMEOUT));
            assertSame(broken, e);
            assertFalse(o.holding(), "written with the failed write");
        }
        assertEquals(List.of(broken), failures);
    }

    @Test
    void aClientWhoseWriteIsBlockedDoesNotHoldUpTheTimedFlushOfAnother() throws Exception {
        // client A: a broker that stopped reading; its writer blocks in the sink with A's write lock held
        Object lockA = new Object();
        CountDownLatch aBlocked = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        Recording aWritten = new Recording();
        WriteCombiner a = new WriteCombiner(lockA, (e, w) -> e, 64, HOUR, TimeUnit.MILLISECONDS.toNanos(1));
        WriteWatchdog.Watch watchA = WriteWatchdog.register(w -> releaseA.countDown());
        Recording bWritten = new Recording();
        WriteCombiner b = outbound(bWritten, HOUR, TimeUnit.MILLISECONDS.toNanos(1));
        try {
            synchronized (lockA) {
                a.connected((buf, off, len) -> {
                    aBlocked.countDown();
                    try {
                        assertTrue(releaseA.await(60, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                    aWritten.write(buf, off, len);
                }, watchA);
            }
            List<Throwable> writerFailures = new ArrayList<>();
            Thread writerA = new Thread(() -> {
                try {
                    synchronized (lockA) {
                        a.cork(packet(1), 0, 4, TIMEOUT, true); // held: the flusher is due for A in 1 ms
                        a.write(packet(2), 0, 4, TIMEOUT); // takes it along and blocks, lock held
                    }
                } catch (Throwable e) {
                    synchronized (writerFailures) {
                        writerFailures.add(e);
                    }
                }
            }, "writer-A");
            writerA.start();
            assertTrue(aBlocked.await(10, TimeUnit.SECONDS));

            synchronized (lock) {
                b.cork(packet(3), 0, 4, TIMEOUT, true); // held: only the flusher writes it
            }
            assertTrue(bWritten.wrote.await(2, TimeUnit.SECONDS),
                    "B's corked packet is flushed while A's write is blocked");
            assertEquals(1, releaseA.getCount(), "A is still blocked");
            assertArrayEquals(packet(3), bWritten.all());

            releaseA.countDown();
            writerA.join(10_000);
            assertFalse(writerA.isAlive());
            synchronized (writerFailures) {
                assertEquals(List.of(), writerFailures);
            }
            synchronized (lockA) {
                a.cork(packet(4), 0, 4, TIMEOUT, true); // held again: the flusher writes it after the rest
            }
            for (int i = 0; i < 1000 && aWritten.calls() < 2; i++) {
                synchronized (lockA) {
                    lockA.wait(10);
                }
            }
            assertArrayEquals(concat(packet(1), packet(2), packet(4)), aWritten.all(), "A's bytes, in order");
            assertEquals(2, aWritten.calls());
        } finally {
            releaseA.countDown();
            watchA.unregister();
        }
    }

    @Test
    void aWriteThatStartsWhileTheFlusherWaitsForItsLockHandsTheFlusherRoleOn() throws Exception {
        Object lockA = new Object();
        CountDownLatch corked = new CountDownLatch(1);
        CountDownLatch startWrite = new CountDownLatch(1);
        CountDownLatch aBlocked = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        Recording aWritten = new Recording();
        WriteCombiner a = new WriteCombiner(lockA, (e, w) -> e, 64, HOUR, TimeUnit.MILLISECONDS.toNanos(1));
        WriteWatchdog.Watch watchA = WriteWatchdog.register(w -> releaseA.countDown());
        Recording bWritten = new Recording();
        WriteCombiner b = outbound(bWritten, HOUR, TimeUnit.MILLISECONDS.toNanos(1));
        try {
            synchronized (lockA) {
                a.connected((buf, off, len) -> {
                    aBlocked.countDown();
                    try {
                        assertTrue(releaseA.await(60, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                    aWritten.write(buf, off, len);
                }, watchA);
            }
            List<Throwable> writerFailures = new ArrayList<>();
            Thread writerA = new Thread(() -> {
                try {
                    synchronized (lockA) {
                        a.cork(packet(1), 0, 4, TIMEOUT, true); // the flusher comes for it and waits for lockA
                        corked.countDown();
                        assertTrue(startWrite.await(30, TimeUnit.SECONDS));
                        a.write(packet(2), 0, 4, TIMEOUT); // then this write blocks, lockA still held
                    }
                } catch (Throwable e) {
                    synchronized (writerFailures) {
                        writerFailures.add(e);
                    }
                }
            }, "writer-A");
            writerA.start();
            assertTrue(corked.await(10, TimeUnit.SECONDS));
            assertTrue(flusherBlocked(TimeUnit.SECONDS.toNanos(10)), "the flusher waits for lockA");
            startWrite.countDown();
            assertTrue(aBlocked.await(10, TimeUnit.SECONDS));

            synchronized (lock) {
                b.cork(packet(3), 0, 4, TIMEOUT, true);
            }
            assertTrue(bWritten.wrote.await(2, TimeUnit.SECONDS),
                    "B's corked packet is flushed by another flusher while the first waits for A");
            assertEquals(1, releaseA.getCount(), "A is still blocked");

            releaseA.countDown();
            writerA.join(10_000);
            assertFalse(writerA.isAlive());
            synchronized (writerFailures) {
                assertEquals(List.of(), writerFailures);
            }
            assertArrayEquals(concat(packet(1), packet(2)), aWritten.all(), "A's bytes, in order");
        } finally {
            releaseA.countDown();
            startWrite.countDown();
            watchA.unregister();
        }
    }

    /** Whether a flusher thread is blocked on a monitor within {@code nanos}. */
    private static boolean flusherBlocked(long nanos) throws InterruptedException {
        long end = System.nanoTime() + nanos;
        Object pause = new Object();
        while (System.nanoTime() - end < 0) {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (WriteCombiner.FLUSHER_NAME.equals(t.getName()) && t.getState() == Thread.State.BLOCKED) {
                    return true;
                }
            }
            synchronized (pause) {
                pause.wait(5);
            }
        }
        return false;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.write(p, 0, p.length);
        }
        return o.toByteArray();
    }
}
