package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.simple.testing.Waits;

/**
 * The plain TCP transport on a non-blocking channel keeps what the client relies on from a
 * {@code java.net.Socket}: the read timeout, a close from another thread ending a blocked read or
 * write at once (and closing the descriptor: the peer sees the end of stream), polling without
 * blocking, the end of stream, data larger than one pooled buffer either way, and an interrupt
 * that neither ends a read nor closes the connection.
 */
@Timeout(30)
class TcpTransportTest {
    private ServerSocket server;
    private Socket peer;
    private TcpTransport transport;

    @BeforeEach
    void connect() throws Exception {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        transport = open(server.getLocalPort());
        peer = server.accept();
        peer.setSoTimeout(10_000);
    }

    @AfterEach
    void close() throws IOException {
        transport.close();
        peer.close();
        server.close();
    }

    private static TcpTransport open(int port) throws IOException {
        TcpTransport t = new TcpTransport();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        TlsConnector.Deadline guard = TlsConnector.Deadline.at(deadline);
        try {
            t.open("127.0.0.1", port, 5000, deadline, guard);
        } finally {
            guard.disarm();
        }
        return t;
    }

    @Test
    void aReadWithATimeoutReturnsZeroWhenNothingArrivesThenReadsWhatDoes() throws Exception {
        byte[] b = new byte[16];
        long t0 = System.nanoTime();
        assertEquals(0, transport.read(b, 0, b.length, 200));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(190), "returned before its timeout");
        peer.getOutputStream().write(new byte[] {1, 2, 3});
        assertEquals(3, transport.read(b, 0, b.length, 5000));
        assertArrayEquals(new byte[] {1, 2, 3}, Arrays.copyOf(b, 3));
        assertTrue(transport.tcp().getTcpNoDelay(), "Nagle's algorithm is off");
    }

    @Test
    void readAvailableNeverBlocksAndReturnsWhatArrived() throws Exception {
        byte[] b = new byte[16];
        assertEquals(0, transport.readAvailable(b, 0, b.length));
        peer.getOutputStream().write(new byte[] {7, 8});
        int n = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (n == 0 && System.nanoTime() < deadline) {
            n = transport.readAvailable(b, 0, b.length);
            Thread.onSpinWait();
        }
        assertEquals(2, n);
        assertArrayEquals(new byte[] {7, 8}, Arrays.copyOf(b, 2));
        assertEquals(0, transport.readAvailable(b, 0, b.length));
    }

    @Test
    void theEndOfStreamIsZeroForAPollAndMinusOneForEveryReadAfter() throws Exception {
        peer.getOutputStream().write(5);
        peer.shutdownOutput();
        byte[] b = new byte[4];
        assertEquals(1, transport.read(b, 0, b.length, 5000));
        assertEquals(-1, transport.read(b, 0, b.length, 5000));
        assertEquals(0, transport.readAvailable(b, 0, b.length), "a poll does not report the end of stream");
        assertEquals(-1, transport.read(b, 0, b.length, 0), "the end of stream is remembered");
    }

    @Test
    void closeFromAnotherThreadEndsAReadWithoutTimeoutAndClosesTheSocket() throws Exception {
        Future<Integer> read = readInThread(0);
        awaitWaitingIn("read");
        transport.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof SocketException, "fails as a closed socket: " + e.getCause());
        assertEquals("Socket closed", e.getCause().getMessage());
        assertEquals(-1, peer.getInputStream().read(), "the peer sees the connection closed");
    }

    @Test
    void abortFromAnotherThreadEndsAReadWithATimeout() throws Exception {
        Future<Integer> read = readInThread(60_000);
        awaitWaitingIn("read");
        transport.abort();
        ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof SocketException, "fails as a closed socket: " + e.getCause());
        assertEquals(-1, peer.getInputStream().read());
    }

    @Test
    void closeFromAnotherThreadEndsAWriteTheBrokerDoesNotRead() throws Exception {
        byte[] big = new byte[16 * 1024 * 1024]; // more than both sockets' buffers hold
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            started.countDown();
            try {
                transport.write(big, 0, big.length);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        started.await();
        // the peer reads nothing: the write blocks once the buffers are full; then close it
        while (!write.isDone() && !waitingIn("write")) {
            Thread.onSpinWait();
        }
        transport.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> write.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getCause() instanceof SocketException, "fails as a closed socket: " + e.getCause());
    }

    @Test
    void aWriteThatWaitsForTheBrokerToReadCompletesIntactOnceItReads() throws Exception {
        byte[] big = new byte[16 * 1024 * 1024]; // more than both sockets' buffers hold
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 7 + i / 4096);
        }
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            try {
                transport.write(big, 0, big.length);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        while (!write.isDone() && !waitingIn("write")) {
            Thread.onSpinWait();
        }
        assertFalse(write.isDone(), "the write did not wait: the buffers took 16 MiB");
        byte[] got = peer.getInputStream().readNBytes(big.length); // the broker reads: the write goes on
        write.get(10, TimeUnit.SECONDS);
        assertArrayEquals(big, got);
    }

    /** Whether some thread waits in a selector inside {@code TcpTransport.<method>}. */
    private static boolean waitingIn(String method) {
        for (StackTraceElement[] stack : Thread.getAllStackTraces().values()) {
            if (waitingIn(method, stack)) {
                return true;
            }
        }
        return false;
    }

    private static boolean waitingIn(String method, StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            if (frame.getClassName().equals(TcpTransport.class.getName()) && frame.getMethodName().equals(method)
                    && stack[0].getMethodName().toLowerCase(java.util.Locale.ROOT).contains("wait")) {
                return true;
            }
        }
        return false;
    }

    /** Until {@code thread} waits in {@code TcpTransport.<method>} (bounded by the test's timeout). */
    private static void awaitWaitingIn(String method, Thread thread) {
        while (!waitingIn(method, thread.getStackTrace())) {
            Thread.onSpinWait();
        }
    }

    /** Until a thread waits in {@code TcpTransport.<method>} (bounded by the test's timeout). */
    private static void awaitWaitingIn(String method) {
        while (!waitingIn(method)) {
            Thread.onSpinWait();
        }
    }

    @Test
    void dataLargerThanOnePooledBufferGoesBothWaysIntact() throws Exception {
        byte[] out = new byte[5 * DirectBuffers.SIZE + 123];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (i * 31 + 7);
        }
        CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
            try {
                InputStream in = peer.getInputStream();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] b = new byte[4096];
                while (got.size() < out.length) {
                    int n = in.read(b);
                    if (n < 0) {
                        break;
                    }
                    got.write(b, 0, n);
                }
                peer.getOutputStream().write(got.toByteArray());
                return got.toByteArray();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        transport.write(out, 0, out.length);
        assertArrayEquals(out, echoed.get(10, TimeUnit.SECONDS));
        byte[] in = new byte[out.length];
        int total = 0;
        while (total < in.length) {
            int n = transport.read(in, total, in.length - total, 5000);
            assertTrue(n > 0, "read " + n + " after " + total + " bytes");
            total += n;
        }
        assertArrayEquals(out, in);
    }

    @Test
    void anInterruptNeitherEndsAReadNorClosesTheConnection() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        byte[] b = new byte[8];
        CompletableFuture<Boolean> flagAfter = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                reading.countDown();
                int n = transport.read(b, 0, b.length, 0);
                assertEquals(2, n);
                flagAfter.complete(Thread.currentThread().isInterrupted());
            } catch (Throwable e) {
                flagAfter.completeExceptionally(e);
            }
        });
        reader.start();
        reading.await();
        awaitWaitingIn("read", reader);
        reader.interrupt();
        assertFalse(flagAfter.isDone(), "the interrupt ended the read");
        peer.getOutputStream().write(new byte[] {4, 2});
        assertTrue(flagAfter.get(10, TimeUnit.SECONDS), "the interrupt flag is kept for the caller");
        assertArrayEquals(new byte[] {4, 2}, Arrays.copyOf(b, 2));
        assertTrue(transport.tcp().getChannel().isOpen(), "the interrupt did not close the channel");
        transport.write(new byte[] {9}, 0, 1);
        assertEquals(9, peer.getInputStream().read());
    }

    @Test
    void anInterruptedThreadStillWaitsForTheReadTimeout() throws Exception {
        byte[] b = new byte[8];
        Thread.currentThread().interrupt();
        try {
            long t0 = System.nanoTime();
            assertEquals(0, transport.read(b, 0, b.length, 200));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(190), "returned before its timeout");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag is kept");
        } finally {
            Thread.interrupted();
        }
        assertTrue(transport.tcp().getChannel().isOpen());
    }

    /**
     * umqtt lets the application's own threads read (waitMsg, checkMsg): interrupting one must not
     * close its connection (as it would a blocking channel) nor end its wait; the flag is kept.
     */
    @Test
    void interruptingTheThreadInWaitMsgKeepsTheConnectionAndTheWait() throws Exception {
        try (MosquittoBroker broker = MosquittoBroker.start();
                MqttClient receiver = new MqttClient("nio-receiver", broker.host(), broker.port());
                MqttClient sender = new MqttClient("nio-sender", broker.host(), broker.port())) {
            CompletableFuture<String> got = new CompletableFuture<>();
            receiver.setCallback((topic, msg, retain, dup, qos) -> got.complete(new String(msg,
                    java.nio.charset.StandardCharsets.UTF_8)));
            receiver.connect(true);
            receiver.subscribe("nio/interrupt", 1);
            sender.connect(true);
            CompletableFuture<Boolean> flagAfter = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    receiver.waitMsg();
                    flagAfter.complete(Thread.currentThread().isInterrupted());
                } catch (Throwable e) {
                    flagAfter.completeExceptionally(e);
                }
            }, "nio-wait-msg");
            reader.start();
            awaitWaitingIn("read", reader);
            reader.interrupt();
            sender.publish("nio/interrupt", "after the interrupt", false, 1);
            assertEquals("after the interrupt", got.get(10, TimeUnit.SECONDS));
            assertTrue(flagAfter.get(10, TimeUnit.SECONDS), "the interrupt flag is kept for the caller");
            assertEquals(io.umqtt.api.ConnectionState.CONNECTED, receiver.state());
            receiver.publish("nio/interrupt", "still connected", false, 1); // its PUBACK is read by this thread
        }
    }

    @Test
    void aTransportClosedBeforeItOpensDoesNotConnect() {
        TcpTransport t = new TcpTransport();
        t.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        TlsConnector.Deadline guard = TlsConnector.Deadline.at(deadline);
        try {
            SocketException e = assertThrows(SocketException.class,
                    () -> t.open("127.0.0.1", server.getLocalPort(), 5000, deadline, guard));
            assertEquals("Socket closed", e.getMessage());
        } finally {
            guard.disarm();
        }
    }

    @Test
    void theSystemPropertyChoosesTheSocketTransportForPlainTcp() {
        String before = System.getProperty(TcpTransport.PROPERTY);
        try {
            System.clearProperty(TcpTransport.PROPERTY);
            assertEquals(TcpTransport.class, TcpTransport.plain().getClass());
            System.setProperty(TcpTransport.PROPERTY, "socket");
            assertEquals(SocketTransport.class, TcpTransport.plain().getClass());
        } finally {
            if (before == null) {
                System.clearProperty(TcpTransport.PROPERTY);
            } else {
                System.setProperty(TcpTransport.PROPERTY, before);
            }
        }
    }

    @Test
    void aRefusedConnectFailsAsASocketConnectDoes() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThrows(ConnectException.class, () -> open(port));
    }

    /**
     * Twenty transports opened, read from and closed leave none of the descriptors they opened. Only
     * what was opened during the loop counts (by number and target, so a number reused elsewhere is
     * no leftover), of the kinds a transport opens (its socket, its selector's epoll and wake-up
     * descriptors): other threads of the test JVM open and close files and sockets meanwhile. A
     * transport that keeps any one of its descriptors leaves at least one per iteration; fewer than
     * that must be another thread's, still closing or kept (a bounded wait lets those closing go).
     */
    @Test
    void closingReleasesEveryDescriptor() throws Exception {
        File fds = new File("/proc/self/fd");
        assumeTrue(fds.isDirectory(), "descriptors are listed on Linux only");
        transport.close();
        peer.close();
        int iterations = 20;
        java.util.Set<String> before = descriptors(fds);
        for (int i = 0; i < iterations; i++) {
            TcpTransport t = open(server.getLocalPort());
            try (Socket accepted = server.accept()) {
                accepted.getOutputStream().write(1);
                byte[] b = new byte[1];
                assertEquals(1, t.read(b, 0, 1, 5000)); // the reader's selector is in use
                t.close();
                assertEquals(-1, accepted.getInputStream().read());
            }
        }
        java.util.Set<String> left = new java.util.TreeSet<>();
        try {
            Waits.until(() -> {
                left.clear();
                left.addAll(descriptors(fds));
                left.removeAll(before);
                return left.size() < iterations;
            }, 5, TimeUnit.SECONDS, "fewer than one descriptor per closed transport left open");
        } catch (AssertionError leak) {
            fail(leak.getMessage() + "; opened in the loop and still open: " + left, leak);
        }
    }

    /** The process's open sockets, pipes and anonymous inodes (epoll, eventfd) as "fd -> target". */
    private static java.util.Set<String> descriptors(File fds) {
        java.util.Set<String> out = new java.util.HashSet<>();
        String[] names = fds.list();
        for (String name : names == null ? new String[0] : names) {
            try {
                String target = java.nio.file.Files.readSymbolicLink(new File(fds, name).toPath()).toString();
                if (target.startsWith("socket:") || target.startsWith("pipe:") || target.startsWith("anon_inode:")) {
                    out.add(name + " -> " + target);
                }
            } catch (IOException closedMeanwhile) {
                // listed, then closed by another thread before its link was read: not open any more
            }
        }
        return out;
    }

    private Future<Integer> readInThread(int timeoutMillis) throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Integer> f = CompletableFuture.supplyAsync(() -> {
            started.countDown();
            try {
                return transport.read(new byte[8], 0, 8, timeoutMillis);
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        started.await();
        return f;
    }
}
