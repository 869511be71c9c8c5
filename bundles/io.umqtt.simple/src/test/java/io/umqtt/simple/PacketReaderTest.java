package io.umqtt.simple;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;

import io.umqtt.api.MqttException;

/**
 * The read buffer and framing of {@link PacketReader} over a {@link Transport} that hands over
 * the bytes the test gives it, in the chunks it gives them: no socket, no broker.
 */
class PacketReaderTest {
    private static final byte[] PUBACK_7 = {0x40, 0x02, 0x00, 0x07};
    private static final byte[] PINGRESP = {(byte) 0xD0, 0x00};

    private final MqttClient client = new MqttClient("reader-test", "broker.invalid");
    private final FakeTransport transport = new FakeTransport();
    private final PacketReader reader = client.reader;

    PacketReaderTest() {
        reader.reset(transport);
    }

    private int readWithin(long millis) throws IOException {
        return reader.readPacket(PacketReader.WAIT, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis), false);
    }

    @Test
    void aPacketArrivingByteByByteIsFramedWhole() throws IOException {
        for (byte b : PUBACK_7) {
            transport.arrive(b);
        }
        assertEquals(4, readWithin(10_000));
        assertEquals(PacketType.PUBACK, reader.headType());
    }

    @Test
    void aPollFramesNothingUntilThePacketIsWhole() throws IOException {
        transport.arrive(PUBACK_7[0], PUBACK_7[1]);
        assertEquals(0, reader.readPacket(PacketReader.POLL, 0, true));
        transport.arrive(PUBACK_7[2], PUBACK_7[3]);
        assertEquals(4, reader.readPacket(PacketReader.POLL, 0, true));
    }

    @Test
    void twoPacketsReadAtOnceAreFramedOneAfterTheOther() throws IOException {
        transport.arrive(PUBACK_7[0], PUBACK_7[1], PUBACK_7[2], PUBACK_7[3], PINGRESP[0], PINGRESP[1]);
        assertEquals(4, readWithin(10_000));
        reader.consume(4);
        assertEquals(PacketType.PINGRESP, reader.headType());
        assertEquals(2, readWithin(10_000));
        reader.consume(2);
        assertEquals(PacketType.NONE, reader.headType());
    }

    @Test
    void theEndOfStreamInAPacketsMiddleSaysHowMuchOfItArrived() {
        transport.arrive((byte) 0x30, (byte) 0x0A, (byte) 0x00);
        transport.end();
        EOFException e = assertThrows(EOFException.class, () -> readWithin(10_000));
        assertTrue(e.getMessage().contains("in the middle of a packet (3 bytes of it had arrived)"), e.getMessage());
    }

    @Test
    void theRestOfAPacketMustComeWithinTheReadTimeout() {
        client.setReadTimeout(50);
        transport.arrive((byte) 0x30, (byte) 0x0A, (byte) 0x00);
        MqttException e = assertThrows(MqttException.class, () -> readWithin(10_000));
        assertEquals(MqttException.Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("3 bytes of a PUBLISH packet arrived"), e.getMessage());
    }

    @Test
    void theBufferGrowsWithThePacketsBytesNotWithItsAnnouncedSize() throws IOException {
        // PUBLISH announcing 2,000,000 bytes (remaining length 80 89 7A), of which 1,000 arrive
        byte[] start = new byte[1_000];
        start[0] = 0x30;
        start[1] = (byte) 0x80;
        start[2] = (byte) 0x89;
        start[3] = (byte) 0x7A;
        transport.arrive(start);
        assertEquals(0, readWithin(100));
        assertTrue(reader.capacity() < 4_096, "capacity " + reader.capacity() + " after 1,000 bytes");
    }

    private int readAndConsume() throws IOException {
        int total = readWithin(10_000);
        reader.consume(total);
        return total;
    }

    /** Arrivals at least {@code PacketReader.STREAM_GAP_NANOS} apart: what one message at a time looks like. */
    private static void pause() {
        long until = System.nanoTime() + 2 * PacketReader.STREAM_GAP_NANOS;
        while (System.nanoTime() - until < 0) {
            LockSupport.parkNanos(PacketReader.STREAM_GAP_NANOS);
        }
    }

    @Test
    void oneMessageAtATimeIsReadByABlockingReadEachWithoutParking() throws IOException {
        for (int i = 0; i < 20; i++) {
            pause();
            transport.arrive(PUBACK_7);
            assertEquals(4, readAndConsume());
            assertFalse(reader.streaming(), "after message " + i);
        }
        assertEquals(20, transport.blockingReads);
    }

    @Test
    void aReadBringingTwoPacketsStartsAStreamAndTheNextReadParksFirst() throws IOException {
        transport.arrive(PUBACK_7[0], PUBACK_7[1], PUBACK_7[2], PUBACK_7[3], PINGRESP[0], PINGRESP[1]);
        assertEquals(4, readAndConsume());
        assertEquals(2, readAndConsume());
        assertTrue(reader.streaming());
        transport.arrive(PUBACK_7);
        assertEquals(4, readAndConsume());
        assertEquals(1, transport.blockingReads, "the packet after the park came without a blocking read");
        assertTrue(reader.streaming(), "a park that brought a packet keeps the stream");
    }

    /**
     * QoS 0 PUBLISHes (topic "t", payload "x"): a stream of them parks as any other does. Until
     * December 2026 only a QoS 1 stream parked; on a quiet machine parking in QoS 0 too saves the
     * broker a quarter of its CPU per message (docs/benchmarks.md).
     */
    @Test
    void aStreamOfQos0PublishesParksBeforeItsNextReadToo() throws IOException {
        byte[] publish = {0x30, 0x04, 0x00, 0x01, 't', 'x'};
        byte[] two = new byte[2 * publish.length];
        System.arraycopy(publish, 0, two, 0, publish.length);
        System.arraycopy(publish, 0, two, publish.length, publish.length);
        transport.arrive(two);
        assertEquals(publish.length, readAndConsume());
        assertEquals(publish.length, readAndConsume());
        assertTrue(reader.streaming(), "a read that brought two QoS 0 PUBLISHes starts a stream");
        transport.arrive(publish);
        assertEquals(publish.length, readAndConsume());
        assertEquals(1, transport.blockingReads, "the PUBLISH after the park came without a blocking read");
    }

    /**
     * Arrivals {@code STREAM_GAP_NANOS} apart, on the reader's arrival clock stepped by the test: real
     * reads in a row are 30 µs apart only on an idle machine (this flaked under load).
     */
    @Test
    void closeArrivalsInARowStartAStream() throws IOException {
        long[] clock = {10 * PacketReader.STREAM_GAP_NANOS}; // the first arrival is far from any before it
        reader.arrivalClock = () -> clock[0] += PacketReader.STREAM_GAP_NANOS;
        for (int i = 0; i < PacketReader.STREAM_ARRIVALS + 1; i++) {
            transport.arrive(PUBACK_7);
        }
        for (int i = 0; i < PacketReader.STREAM_ARRIVALS; i++) {
            assertEquals(4, readAndConsume());
        }
        assertFalse(reader.streaming(), "one arrival short of a stream");
        assertEquals(4, readAndConsume());
        assertTrue(reader.streaming());
    }

    @Test
    void arrivalsFartherApartThanTheGapStartNoStream() throws IOException {
        long[] clock = {0};
        reader.arrivalClock = () -> clock[0] += PacketReader.STREAM_GAP_NANOS + 1;
        for (int i = 0; i < 2 * PacketReader.STREAM_ARRIVALS; i++) {
            transport.arrive(PUBACK_7);
        }
        for (int i = 0; i < 2 * PacketReader.STREAM_ARRIVALS; i++) {
            assertEquals(4, readAndConsume());
            assertFalse(reader.streaming(), "after arrival " + i);
        }
    }

    @Test
    void theStreamEndsWhenAParkBringsNothingAndTheReaderBlocksAsUsual() throws IOException {
        transport.arrive(PUBACK_7[0], PUBACK_7[1], PUBACK_7[2], PUBACK_7[3], PINGRESP[0], PINGRESP[1]);
        assertEquals(4, readAndConsume());
        assertEquals(2, readAndConsume());
        assertTrue(reader.streaming());
        assertEquals(0, readWithin(20)); // parks, finds nothing, blocks until the deadline
        assertFalse(reader.streaming());
        assertTrue(transport.blockingReads >= 2, "blocking reads " + transport.blockingReads);
    }

    /**
     * A publisher keeping many QoS 1 publishes in flight reads their PUBACKs itself while it waits
     * for the oldest: in a stream it parks too (until December 2026 it never did), so one read takes
     * several PUBACKs.
     */
    @Test
    void aReaderWaitingForItsOwnAckParksInAStreamToo() throws IOException {
        transport.arrive(PUBACK_7[0], PUBACK_7[1], PUBACK_7[2], PUBACK_7[3], PINGRESP[0], PINGRESP[1]);
        assertEquals(4, readAndConsume());
        assertEquals(2, readAndConsume());
        assertTrue(reader.streaming());
        reader.awaiting = new Pending(null, 7, PacketType.PUBACK, new byte[0]);
        transport.arrive(PUBACK_7);
        assertEquals(4, readAndConsume());
        assertEquals(1, transport.blockingReads, "the ack after the park came without a blocking read");
        assertTrue(reader.streaming());
    }

    @Test
    void aReaderNeverParksWhileAnotherThreadWaitsForTheReaderRoleOrAnAck() throws IOException {
        transport.arrive(PUBACK_7[0], PUBACK_7[1], PUBACK_7[2], PUBACK_7[3], PINGRESP[0], PINGRESP[1]);
        assertEquals(4, readAndConsume());
        assertEquals(2, readAndConsume());
        assertTrue(reader.streaming());
        client.readers.threadsWaiting = true;
        transport.arrive(PUBACK_7);
        assertEquals(4, readAndConsume());
        assertEquals(2, transport.blockingReads, "read by a blocking read, no park first");
        assertFalse(reader.streaming());
    }

    /** The bytes given by the test, read in the chunks given; an empty chunk is the end of stream. */
    private static final class FakeTransport implements Transport {
        private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
        /** Calls of {@link #read} (which may block), as opposed to {@link #readAvailable}. */
        int blockingReads;
        private byte[] current = new byte[0];
        private int pos;

        void arrive(byte... bytes) {
            chunks.add(bytes.clone());
        }

        void end() {
            chunks.add(new byte[0]);
        }

        @Override
        public void open(String server, int port, int timeoutMillis, long deadline, TlsConnector.Deadline guard) {
            throw new UnsupportedOperationException("opened by the test");
        }

        @Override
        public int readAvailable(byte[] b, int off, int len) {
            if (pos == current.length) {
                byte[] next = chunks.peek();
                if (next == null || next.length == 0) {
                    return 0;
                }
                current = chunks.poll();
                pos = 0;
            }
            return copy(b, off, len);
        }

        @Override
        public int read(byte[] b, int off, int len, int timeoutMillis) throws IOException {
            blockingReads++;
            if (pos == current.length) {
                byte[] next;
                try {
                    next = timeoutMillis == 0 ? chunks.take() : chunks.poll(timeoutMillis, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted");
                }
                if (next == null) {
                    return 0;
                }
                if (next.length == 0) {
                    chunks.add(next); // the end stays the end
                    return -1;
                }
                current = next;
                pos = 0;
            }
            return copy(b, off, len);
        }

        private int copy(byte[] b, int off, int len) {
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }

        @Override
        public boolean pollsByReading() {
            return false;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            throw new UnsupportedOperationException("nothing is written in these tests");
        }

        @Override
        public void close() {
        }

        @Override
        public void abort() {
        }

        @Override
        public Socket tcp() {
            return null;
        }

        @Override
        public IOException explainFailure(String server, int port, IOException e) {
            return null;
        }
    }
}
