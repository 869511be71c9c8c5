package io.umqtt.simple;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.internal.codec.FixedHeader;

/**
 * The read side of a connection: the read buffer and the framing of packets in it. It
 * {@link #readPacket reads} from the {@link Transport} until a whole packet is buffered at
 * {@code rbuf[rpos]} ({@link Inbound} decodes it there and {@link #consume consumes} it), bounds
 * the rest of a packet begun by the read timeout, and lets {@link KeepAlive} act while it waits.
 * The buffer grows with the packet being read (never before its bytes arrive, whatever size its
 * header announces) and shrinks back after a large one. While QoS 1 messages stream in, it parks
 * briefly before a read instead of blocking in it, so one read takes several packets and their
 * PUBACKs leave in one write (read coalescing, see {@link #noteArrival}); each park is bounded
 * (50-100 µs) and one message at a time never causes one.
 * <p>
 * Threading: owned by the thread holding the client's reader role ({@link ReaderRole}); no lock.
 * The fields are handed from reader to reader through the client's lock, which every reader
 * takes to get the role.
 */
final class PacketReader {
    /** {@link #readPacket} modes: wait for a packet (with keepalive), poll, or wait for the CONNACK. */
    static final int WAIT = 0;
    static final int POLL = 1;
    static final int CONNACK = 2;

    private static final int INITIAL_READ_BUFFER = 512;
    /** How long a poll lets a TLS connection look for a record (TLS hides what is buffered). */
    private static final int TLS_POLL_MILLIS = 1;
    /**
     * How often a poll on a plain socket with nothing available reads for 1 ms to see the end of
     * stream ({@code available()} is 0 both when nothing arrived and at the end); it also reads
     * once as soon as nothing is available after bytes arrived, so a close right after the last
     * packet is seen by the next poll.
     */
    private static final long EOF_PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * How long the reader parks before a read while messages stream in (see {@link #coalesce});
     * Linux adds its timer slack (50 µs for a normal thread), so the park lasts 50-100 µs.
     */
    static final long COALESCE_PARK_NANOS = 50_000;
    /** Arrivals this close after the previous one count towards a stream. */
    static final long STREAM_GAP_NANOS = 30_000;
    /** How many close arrivals in a row make a stream. */
    static final int STREAM_ARRIVALS = 4;

    private final MqttClient client;
    private final Settings settings;
    /** The current connection; set by the connecting thread (as reader) in {@link #reset}. */
    private volatile Transport transport;
    byte[] rbuf = new byte[INITIAL_READ_BUFFER];
    int rpos;
    /** The publish whose ack the reader waits for in {@link Inbound#readUntilDone}, or null. */
    Pending awaiting;
    private int rlen;
    private long partialSinceNanos;
    /** Whether {@code partialSinceNanos} runs: from when the reader began waiting for the packet's rest. */
    private boolean stallClockRunning;
    private long lastEofProbeNanos;
    /** When the last bytes arrived (a read returned them). */
    private long lastArrivalNanos;
    /** Arrivals in a row, each within {@link #STREAM_GAP_NANOS} of the previous. */
    private int closeArrivals;
    /** Whether messages stream in: the reader parks before a read (see {@link #coalesce}). */
    private boolean streaming;
    /** Whether the last read filled the buffer (more is likely waiting: no park then). */
    private boolean lastReadFilled;
    /**
     * The arrival times {@link #noteArrival} compares, set by tests (real reads in a row are not
     * within {@link #STREAM_GAP_NANOS} of each other on a loaded machine); null: {@code System.nanoTime()}
     * at the read. Read by the reader thread only.
     */
    LongSupplier arrivalClock;

    PacketReader(MqttClient client, Settings settings) {
        this.client = client;
        this.settings = settings;
    }

    /** Starts reading a new connection, from an empty buffer. */
    void reset(Transport t) {
        transport = t;
        rpos = 0;
        rlen = 0;
        stallClockRunning = false;
        lastEofProbeNanos = System.nanoTime() - EOF_PROBE_NANOS;
        streaming = false;
        closeArrivals = 0;
        if (rbuf.length > INITIAL_READ_BUFFER * 16) {
            rbuf = new byte[INITIAL_READ_BUFFER];
        }
    }

    /**
     * Reads until a whole packet is buffered at {@code rbuf[rpos]}; returns its total length, or 0
     * when none is complete: in POLL mode when no more bytes are available, otherwise when the
     * deadline (if not {@code forever}) passed; a packet begun stays buffered for the next call.
     * <p>
     * A packet begun must be complete within the read timeout, counted from when the reader began
     * waiting for its rest (not from when its first bytes arrived: the reader may have been busy in
     * a callback meanwhile); bytes that arrived meanwhile are read before a stall is declared.
     */
    int readPacket(int mode, long deadline, boolean forever) throws IOException {
        while (true) {
            long framed;
            try {
                framed = FixedHeader.frame(rbuf, rpos, rlen - rpos, settings.maxPacketSize, Session5.v5(client));
            } catch (MqttException e) {
                throw client.fail(e);
            }
            if (framed >= 0) {
                return (int) framed;
            }
            long now = System.nanoTime();
            long waitNanos;
            if (rlen > rpos) {
                if (!stallClockRunning) {
                    stallClockRunning = true;
                    partialSinceNanos = now;
                }
                long stallDeadline = partialSinceNanos + TimeUnit.MILLISECONDS.toNanos(settings.readTimeoutMillis);
                waitNanos = stallDeadline - now;
                if (waitNanos <= 0) {
                    if (fill(-1) > 0) {
                        continue; // the rest may have arrived while the reader was busy
                    }
                    throw client.fail(new MqttException(Reason.TIMEOUT, "read from " + client.settings.broker()
                            + " stalled in the middle of a packet: " + (rlen - rpos) + " bytes of a "
                            + headType() + " packet arrived, the rest did not within "
                            + TimeUnit.NANOSECONDS.toMillis(now - partialSinceNanos) + " ms"));
                }
                if (!forever && mode != POLL) {
                    long left = deadline - now;
                    if (left <= 0) {
                        return 0; // this wait's own deadline; the packet's rest is read by the next wait
                    }
                    waitNanos = Math.min(waitNanos, left);
                }
            } else {
                waitNanos = forever ? Long.MAX_VALUE : deadline - now;
                if (waitNanos <= 0 && mode != POLL) {
                    return 0;
                }
                if (mode != CONNACK) {
                    waitNanos = Math.min(waitNanos, client.keepAlive.due(now));
                }
            }
            if (fill(mode == POLL ? -1 : waitNanos) == 0 && mode == POLL) {
                return 0;
            }
        }
    }

    /**
     * The total length of the packet at the head of the buffer if it is whole and not a PUBLISH
     * (an ack may be there while reading is paused); else 0. Reads nothing.
     */
    int bufferedAck() throws IOException {
        long framed;
        try {
            framed = FixedHeader.frame(rbuf, rpos, rlen - rpos, settings.maxPacketSize, Session5.v5(client));
        } catch (MqttException e) {
            throw client.fail(e);
        }
        if (framed < 0 || headType() == PacketType.PUBLISH) {
            return 0;
        }
        return (int) framed;
    }

    /**
     * Whether a whole PUBLISH is buffered next (a malformed packet counts as not: it fails when
     * read). A PUBACK is held only while PUBLISHes follow: an ack that fails the connection (say
     * one of the wrong type) is processed under the client's lock, where the PUBACK could not be
     * written first.
     */
    boolean wholePublishNext() {
        try {
            return FixedHeader.frame(rbuf, rpos, rlen - rpos, settings.maxPacketSize, Session5.v5(client)) >= 0
                    && headType() == PacketType.PUBLISH;
        } catch (MqttException e) {
            return false;
        }
    }

    /** The type of the packet at the head of the buffer, NONE when the buffer is empty. */
    PacketType headType() {
        return rlen > rpos ? PacketType.of((rbuf[rpos] & 0xFF) >>> 4) : PacketType.NONE;
    }

    /**
     * Reads what the transport has into the buffer. {@code waitNanos < 0} polls without blocking.
     * Returns the number of bytes read, 0 on timeout or when polling found nothing.
     */
    private int fill(long waitNanos) throws IOException {
        Transport t = transport;
        if (t == null) {
            throw client.lifecycle.notConnected();
        }
        makeRoom();
        int arrived = 0;
        boolean parked = false;
        if (client.outbound.holding()) {
            // no whole packet is buffered (else it would not read): before it may block, the reader
            // reads what already arrived, and writes what is held if nothing did (a broker that
            // waits for what is held sends nothing more); a poll writes it (the caller may not come
            // back soon); a wait for the ack of a PUBLISH written keeps corked PUBLISHes
            // (while messages stream in it parks first, after writing what it holds: see coalesce)
            if (waitNanos >= 0 && !client.outbound.mayWaitHolding(awaiting)) {
                try {
                    arrived = t.readAvailable(rbuf, rlen, rbuf.length - rlen);
                    if (arrived == 0 && mayPark()) {
                        // a broker with a small in-flight window (mosquitto's default: 20) sends
                        // nothing more until these PUBACKs arrive: never sleep on them
                        client.outbound.flushHeld();
                        arrived = coalesce(t, waitNanos);
                        parked = arrived > 0;
                    }
                } catch (IOException e) {
                    throw client.fail(client.outbound.connectionError("connection to", e));
                }
            }
            if (arrived == 0 && (waitNanos < 0 || !client.outbound.mayWaitHolding(awaiting))) {
                client.outbound.flushHeld();
            }
        }
        int n;
        try {
            if (arrived > 0) {
                n = arrived;
            } else if (waitNanos < 0) {
                n = t.readAvailable(rbuf, rlen, rbuf.length - rlen);
                long now = System.nanoTime();
                if (n == 0) {
                    if (t.pollsByReading() || rlen > rpos || client.keepAlive.lastReceivedNanos - lastEofProbeNanos > 0
                            || now - lastEofProbeNanos >= EOF_PROBE_NANOS) {
                        // TLS hides what is buffered; a plain socket's available() is 0 also at the end of
                        // stream, which only a read sees: read for 1 ms (every time in a packet's middle,
                        // the first time nothing is available after bytes arrived, else every 100 ms)
                        lastEofProbeNanos = now;
                        n = t.read(rbuf, rlen, rbuf.length - rlen, TLS_POLL_MILLIS);
                    }
                    if (n == 0) {
                        return 0;
                    }
                }
            } else {
                n = mayPark() ? coalesce(t, waitNanos) : 0;
                if (n == 0) {
                    n = t.read(rbuf, rlen, rbuf.length - rlen, toTimeoutMillis(waitNanos));
                    if (n == 0) {
                        return 0;
                    }
                } else {
                    parked = true;
                }
            }
        } catch (IOException e) {
            throw client.fail(client.outbound.connectionError("connection to", e));
        }
        if (n < 0) {
            throw client.fail(new EOFException("connection closed by " + client.settings.broker()
                    + (rlen > rpos ? " in the middle of a packet (" + (rlen - rpos) + " bytes of it had arrived)" : "")));
        }
        long now = System.nanoTime();
        if (rlen == rpos) {
            partialSinceNanos = now; // a packet's first bytes arrived while the reader reads
            stallClockRunning = true;
        }
        lastReadFilled = rlen + n == rbuf.length;
        rlen += n;
        client.keepAlive.lastReceivedNanos = now;
        noteArrival(arrivalClock == null ? now : arrivalClock.getAsLong(), parked);
        return n;
    }

    /**
     * Read coalescing. A reader that keeps up with a stream of small messages blocks in
     * {@code read} before each one, and the broker's {@code write} of every message then pays for
     * waking it (on loopback the wake-up runs in the broker's system call), and the reader writes
     * the PUBACKs of each read on their own. While packets stream in (QoS 0 and 1 alike), the
     * reader instead parks briefly before it reads ({@link #coalesce}), so that one read takes
     * several packets, the broker's writes find nobody to wake, and the PUBACKs of what one read
     * brought leave in one write (until December 2026 only QoS 1 streams parked: measured under
     * load, parking in QoS 0 cost the broker more than it saved; on a quiet machine it saves a
     * quarter of the broker's CPU per message, see docs/benchmarks.md). A stream begins with a read that brought two packets or
     * more, or with {@link #STREAM_ARRIVALS} arrivals in a row each within
     * {@link #STREAM_GAP_NANOS} of the previous; it ends when a park brings nothing, or with an
     * arrival after a longer gap. One message at a time (a request and its reply, a sensor's
     * reading every second) never starts a stream, so it is never delayed.
     */
    private void noteArrival(long now, boolean parked) {
        boolean several = wholePackets(2) >= 2;
        if (parked) {
            closeArrivals = 0; // streaming goes on: the park brought something
        } else if (several) {
            streaming = true;
        } else if (now - lastArrivalNanos <= STREAM_GAP_NANOS) {
            if (++closeArrivals >= STREAM_ARRIVALS) {
                streaming = true;
            }
        } else {
            streaming = false;
            closeArrivals = 0;
        }
        lastArrivalNanos = now;
    }

    /**
     * Whether the reader may {@link #coalesce} before its next read: while a stream goes on, between
     * packets (never in a packet's middle: its rest is read at once) and not right after a read that
     * filled the buffer (more is waiting then).
     */
    private boolean mayPark() {
        return streaming && !lastReadFilled && rlen == rpos;
    }

    /**
     * Parks for {@link #COALESCE_PARK_NANOS} and reads what arrived meanwhile; returns 0 (and the
     * stream has ended) when nothing did, and the caller then blocks in {@code read} as usual.
     * PUBACKs held for what the last read brought are written before the park (one write for the
     * read's messages), never kept over it: a broker whose in-flight window they fill would send
     * nothing more meanwhile, and under load a park lasts longer than asked. The reader parks only when no
     * other thread could be waiting for what it reads: not while another thread is parked for the
     * reader role or an ack ({@link ReaderRole#threadsWaiting}), in a poll, near its deadline or
     * keepalive, or on TLS (which hides what arrived). A reader that waits for an ack itself
     * ({@link #awaiting}) parks in a stream too: a publisher that keeps many QoS 1 publishes in
     * flight then takes several PUBACKs per read (until December 2026 it never parked; one
     * publish at a time starts no stream, so its ack is read at once as before).
     */
    private int coalesce(Transport t, long waitNanos) throws IOException {
        if (client.readers.threadsWaiting || t.pollsByReading()
                || waitNanos < 2 * COALESCE_PARK_NANOS) {
            streaming = false;
            closeArrivals = 0;
            return 0;
        }
        LockSupport.parkNanos(this, COALESCE_PARK_NANOS);
        int n = t.readAvailable(rbuf, rlen, rbuf.length - rlen);
        if (n == 0) {
            streaming = false;
            closeArrivals = 0;
        }
        return n;
    }

    /** How many whole packets are buffered, counting up to {@code max}. */
    private int wholePackets(int max) {
        int count = 0;
        int pos = rpos;
        try {
            while (count < max) {
                long framed = FixedHeader.frame(rbuf, pos, rlen - pos, settings.maxPacketSize, Session5.v5(client));
                if (framed < 0) {
                    break;
                }
                pos += (int) framed;
                count++;
            }
        } catch (MqttException e) {
            // malformed: read as usual, where it fails the connection
        }
        return count;
    }

    private static int toTimeoutMillis(long nanos) {
        if (nanos >= TimeUnit.DAYS.toNanos(1)) {
            return 0; // no timeout: blocks until data or close
        }
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
    }

    /**
     * Makes space after {@code rlen}: compacts when little is left, and grows a full buffer that
     * holds part of one packet by doubling, up to the packet's size: a packet is never allocated
     * before its bytes arrive, whatever size its header announces.
     */
    private void makeRoom() {
        if (rpos == rlen) {
            rpos = 0;
            rlen = 0;
        }
        if (rpos > 0 && rbuf.length - rlen < rbuf.length / 4) {
            System.arraycopy(rbuf, rpos, rbuf, 0, rlen - rpos);
            rlen -= rpos;
            rpos = 0;
        }
        if (rlen == rbuf.length) {
            int need = packetSizeHint(); // > rbuf.length, or the packet would be complete
            int grown = (int) Math.min(Math.max(need, rbuf.length + 1L), rbuf.length * 2L);
            rbuf = Arrays.copyOf(rbuf, grown);
        }
    }

    /** The total size of the packet at rpos if its remaining length is complete, else 0. */
    private int packetSizeHint() {
        int value = 0;
        for (int i = 1; i <= 4 && rpos + i < rlen; i++) {
            int digit = rbuf[rpos + i] & 0xFF;
            value |= (digit & 0x7F) << (7 * (i - 1));
            if ((digit & 0x80) == 0) {
                return i + 1 + value;
            }
        }
        return 0;
    }

    /** Drops the packet of {@code total} bytes at the head of the buffer (it was processed). */
    void consume(int total) {
        rpos += total;
        stallClockRunning = false; // the next packet's clock starts when the reader waits for it
        if (rpos >= rlen) {
            rpos = 0;
            rlen = 0;
            if (rbuf.length > INITIAL_READ_BUFFER * 128) {
                rbuf = new byte[INITIAL_READ_BUFFER]; // give a large message's buffer back
            }
        }
    }

    /** Whether the reader takes the messages as a stream and parks before reading (tests). */
    boolean streaming() {
        return streaming;
    }

    /** The read buffer's capacity (tests). */
    int capacity() {
        return rbuf.length;
    }
}
