package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;

/**
 * The loss of a connection (end of stream, a protocol error) while the shared flusher is writing
 * what was corked: the close must not cut that write off. Fuzzer findings 661102, 1661125, 2814032
 * (PUBLISHes never written) and 4549509 (a PUBACK owed never written) of the 10M-stream run: the
 * reader saw the end of stream and closed the socket while the flusher wrote the corked PUBLISH
 * (and the PUBACK held behind it), so those bytes were lost although the write side worked.
 * <p>
 * A fake transport whose writes take a while (a slow socket, not a blocked one) makes the
 * interleaving certain: the connection fails while the flusher is inside its write.
 */
class CloseDuringFlushTest {
    /** A write side that takes {@link #WRITE_NANOS} per write, then records, unless closed meanwhile. */
    private static final class SlowTransport implements Transport {
        static final long WRITE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final CountDownLatch flusherWriting = new CountDownLatch(1);
        private boolean closed;

        @Override
        public void open(String server, int port, int timeoutMillis, long deadline, TlsConnector.Deadline guard) {
        }

        @Override
        public int readAvailable(byte[] b, int off, int len) {
            return 0;
        }

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) {
            return -1;
        }

        @Override
        public boolean pollsByReading() {
            return false;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (Thread.currentThread().getName().equals(io.umqtt.simple.internal.WriteCombiner.FLUSHER_NAME)) {
                flusherWriting.countDown();
                long end = System.nanoTime() + WRITE_NANOS;
                for (long left; (left = end - System.nanoTime()) > 0;) {
                    java.util.concurrent.locks.LockSupport.parkNanos(left);
                }
            }
            synchronized (this) {
                if (closed) {
                    throw new SocketException("Socket closed");
                }
                written.write(b, off, len);
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
        }

        @Override
        public synchronized void abort() {
            closed = true;
        }

        @Override
        public Socket tcp() {
            return null;
        }

        @Override
        public IOException explainFailure(String server, int port, IOException e) {
            return null;
        }

        synchronized byte[] bytes() {
            return written.toByteArray();
        }
    }

    /** A client attached to {@code t} as if CONNECT was written and CONNACK read. */
    private static MqttClient connectedOn(SlowTransport t) throws IOException {
        MqttClient client = new MqttClient("close-during-flush", "127.0.0.1", 1883);
        synchronized (client.lock) {
            client.state = ConnectionState.CONNECTING;
            client.lifecycle.transport = t;
            client.outbound.attach(t);
        }
        byte[] connect = {0x10, 0};
        client.outbound.writeConnect(t, connect, TimeUnit.SECONDS.toNanos(5));
        synchronized (client.lock) {
            client.state = ConnectionState.CONNECTED;
        }
        return client;
    }

    @Test
    void corkedPublishBeingFlushedIsWrittenBeforeTheLostConnectionIsClosed() throws Exception {
        SlowTransport t = new SlowTransport();
        MqttClient client = connectedOn(t);
        byte[] topic = "t".getBytes(StandardCharsets.UTF_8);
        // pipelined: corked however long ago the last write was; the flusher writes it within 1 ms
        client.outbound.writePublish(topic, new byte[] {'p'}, 1, false, false, 1, true);
        assertTrue(t.flusherWriting.await(10, TimeUnit.SECONDS), "the flusher never wrote the corked PUBLISH");

        client.fail(new EOFException("connection closed by the broker")); // the reader saw the end of stream

        byte[] publish = {0x32, 6, 0, 1, 't', 0, 1, 'p'};
        byte[] expected = new byte[2 + publish.length];
        expected[0] = 0x10;
        System.arraycopy(publish, 0, expected, 2, publish.length);
        assertArrayEquals(expected, t.bytes(), "the corked PUBLISH the flusher was writing was cut off by the close");
        client.close();
    }
}
