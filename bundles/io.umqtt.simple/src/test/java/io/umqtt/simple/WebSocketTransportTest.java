package io.umqtt.simple;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.simple.testing.Waits;

/**
 * {@link WebSocketTransport} as a byte stream, driven through its listener methods as the JDK's
 * WebSocket calls them, with a fake {@link WebSocket}: packets split across and packed into
 * frames, backpressure (the next part is asked for only when there is room or the reader consumed
 * the part), bounded memory, read timeouts, end of stream, text frames refused, and close ending
 * blocked reads and writes from another thread.
 */
@Timeout(value = 20, unit = SECONDS)
class WebSocketTransportTest {
    /** The pool's threads, so that a test can see one blocked (there is no event for "parked"). */
    private final List<Thread> poolThreads = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread th = new Thread(r, "ws-transport-test");
        th.setDaemon(true);
        poolThreads.add(th);
        return th;
    });
    private final FakeWebSocket ws = new FakeWebSocket();
    private final WebSocketTransport t = new WebSocketTransport(null, "/mqtt");

    WebSocketTransportTest() {
        t.attach(ws);
        t.onOpen(ws);
    }

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void severalPacketsInOneFrameAreReadAsOneStream() throws IOException {
        byte[] two = { 0x40, 0x02, 0x00, 0x01, (byte) 0xD0, 0x00 }; // PUBACK 1, PINGRESP
        assertNull(t.onBinary(ws, ByteBuffer.wrap(two), true));
        byte[] b = new byte[4];
        assertEquals(4, t.read(b, 0, 4, 1000));
        assertArrayEquals(Arrays.copyOf(two, 4), b);
        assertEquals(2, t.readAvailable(b, 0, 4));
        assertEquals((byte) 0xD0, b[0]);
        assertEquals(0, t.readAvailable(b, 0, 4));
        assertEquals(2, ws.requested.get(), "onOpen asked for one part, the copied frame for the next");
    }

    @Test
    void aPacketSplitAcrossFramesAndMessagePartsIsReadWhole() throws IOException {
        byte[] packet = new byte[300];
        for (int i = 0; i < packet.length; i++) {
            packet[i] = (byte) i;
        }
        int[] cuts = { 0, 1, 2, 7, 150, 299, 300 };
        for (int i = 0; i + 1 < cuts.length; i++) {
            assertNull(t.onBinary(ws, ByteBuffer.wrap(packet, cuts[i], cuts[i + 1] - cuts[i]), i == cuts.length - 2));
        }
        byte[] got = new byte[300];
        int n = 0;
        while (n < 300) {
            int r = t.read(got, n, 300 - n, 1000);
            assertTrue(r > 0);
            n += r;
        }
        assertArrayEquals(packet, got);
    }

    @Test
    void aPartBeyondTheBufferIsHeldAndTheNextAskedForOnlyOnceItIsRead() throws Exception {
        byte[] small = new byte[1000];
        assertNull(t.onBinary(ws, ByteBuffer.wrap(small), true));
        int before = ws.requested.get();
        byte[] big = new byte[WebSocketTransport.MAX_BUFFER + 10];
        Arrays.fill(big, (byte) 7);
        CompletionStage<?> release = t.onBinary(ws, ByteBuffer.wrap(big), false);
        assertTrue(release != null && !release.toCompletableFuture().isDone(), "the big part is held, not copied");
        assertEquals(before, ws.requested.get(), "no further part asked for while one is held: backpressure");

        byte[] b = new byte[4096];
        int total = 0;
        while (total < small.length + big.length - 1) {
            int r = t.read(b, 0, Math.min(b.length, small.length + big.length - 1 - total), 1000);
            assertTrue(r > 0);
            total += r;
            assertFalse(release.toCompletableFuture().isDone());
        }
        assertEquals(before, ws.requested.get());
        assertEquals(1, t.read(b, 0, 1, 1000));
        assertTrue(release.toCompletableFuture().isDone(), "released once read");
        assertEquals(before + 1, ws.requested.get(), "and the next part asked for");
    }

    @Test
    void readTimesOutWithZeroAndEndsWithMinusOneAfterTheBrokerClosed() throws IOException {
        byte[] b = new byte[10];
        assertEquals(0, t.read(b, 0, 10, 50));
        t.onBinary(ws, ByteBuffer.wrap(new byte[] { 1, 2, 3 }), true);
        t.onClose(ws, 1000, "");
        assertEquals(3, t.read(b, 0, 10, 50), "what arrived before the close is read first");
        assertEquals(-1, t.read(b, 0, 10, 50));
        assertEquals(0, t.readAvailable(b, 0, 10));
    }

    @Test
    void aTextFrameFailsTheStreamSayingWhy() {
        t.onText(ws, "hello", true);
        IOException e = assertThrows(IOException.class, () -> t.read(new byte[4], 0, 4, 1000));
        assertTrue(e.getMessage().contains("text frame"), e.getMessage());
        assertTrue(ws.aborted);
    }

    @Test
    void anErrorFailsTheStream() {
        t.onError(ws, new IOException("connection reset"));
        IOException e = assertThrows(IOException.class, () -> t.read(new byte[4], 0, 4, 1000));
        assertTrue(e.getMessage().contains("connection reset"), e.getMessage());
    }

    @Test
    void closeFromAnotherThreadEndsABlockedRead() throws Exception {
        Future<Integer> read = pool.submit(() -> t.read(new byte[4], 0, 4, 0));
        waitUntilParked(read);
        t.close();
        Exception e = assertThrows(Exception.class, () -> read.get(5, SECONDS));
        assertTrue(e.getCause() instanceof SocketException, String.valueOf(e.getCause()));
        assertTrue(ws.closeSent);
    }

    @Test
    void abortEndsABlockedWriteAndReleasesAHeldPart() throws Exception {
        CompletionStage<?> release = t.onBinary(ws, ByteBuffer.wrap(new byte[WebSocketTransport.MAX_BUFFER + 1]),
                true);
        ws.sendBlocks = true;
        Future<?> write = pool.submit(() -> {
            t.write(new byte[] { (byte) 0xC0, 0 }, 0, 2);
            return null;
        });
        waitUntilParked(write);
        t.abort();
        Exception e = assertThrows(Exception.class, () -> write.get(5, SECONDS));
        assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
        assertTrue(ws.aborted);
        assertTrue(release.toCompletableFuture().isDone(), "the JDK's buffer is given back");
        assertThrows(IOException.class, () -> t.write(new byte[1], 0, 1));
    }

    @Test
    void eachWriteIsOneBinaryFrameWithExactlyItsBytes() throws IOException {
        byte[] b = { 9, 1, 2, 3, 9 };
        t.write(b, 1, 3);
        assertEquals(1, ws.sent.size());
        assertArrayEquals(new byte[] { 1, 2, 3 }, ws.sent.get(0));
    }

    @Test
    void aLongWriteGoesOutInFramesOfAtMostMaxFrame() throws IOException {
        byte[] b = new byte[2 * WebSocketTransport.MAX_FRAME + 5];
        Arrays.fill(b, (byte) 3);
        t.write(b, 0, b.length);
        assertEquals(3, ws.sent.size());
        assertEquals(WebSocketTransport.MAX_FRAME, ws.sent.get(0).length);
        assertEquals(WebSocketTransport.MAX_FRAME, ws.sent.get(1).length);
        assertEquals(5, ws.sent.get(2).length);
    }

    /** Waits (at most 10 s) until the task's thread is blocked, then checks the task is not done. */
    private void waitUntilParked(Future<?> f) throws InterruptedException {
        // a thread's state has no event for "now blocked": poll it, bounded
        Waits.until(() -> f.isDone() || poolThreads.stream().anyMatch(th -> th.getState() == Thread.State.WAITING
                || th.getState() == Thread.State.TIMED_WAITING), 10, SECONDS, "the task's thread blocks");
        assertFalse(f.isDone(), "blocks until closed");
    }

    /** Records requests, sends and closes; sends complete at once unless {@link #sendBlocks}. */
    static final class FakeWebSocket implements WebSocket {
        final AtomicInteger requested = new AtomicInteger();
        final java.util.List<byte[]> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean sendBlocks;
        volatile boolean aborted;
        volatile boolean closeSent;

        @Override
        public CompletableFuture<WebSocket> sendText(CharSequence data, boolean last) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<WebSocket> sendBinary(ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            sent.add(b);
            return sendBlocks ? new CompletableFuture<>() : CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPing(ByteBuffer message) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendPong(ByteBuffer message) {
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public CompletableFuture<WebSocket> sendClose(int statusCode, String reason) {
            closeSent = true;
            return CompletableFuture.completedFuture(this);
        }

        @Override
        public void request(long n) {
            requested.addAndGet((int) n);
        }

        @Override
        public String getSubprotocol() {
            return "mqtt";
        }

        @Override
        public boolean isOutputClosed() {
            return closeSent || aborted;
        }

        @Override
        public boolean isInputClosed() {
            return aborted;
        }

        @Override
        public void abort() {
            aborted = true;
        }
    }
}
