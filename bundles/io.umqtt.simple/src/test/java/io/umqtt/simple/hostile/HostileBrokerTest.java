package io.umqtt.simple.hostile;

import static io.umqtt.simple.testing.HostileBroker.header;
import static io.umqtt.simple.testing.HostileBroker.prefix;
import static io.umqtt.simple.testing.HostileBroker.publish;
import static io.umqtt.simple.testing.HostileBroker.puback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.ClientProbe;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PacketType;
import io.umqtt.simple.internal.WriteWatchdog;
import io.umqtt.simple.testing.HostileBroker;
import io.umqtt.simple.testing.HostileBroker.Conn;
import io.umqtt.simple.testing.HostileBroker.Session;
import io.umqtt.simple.testing.HostileBroker.ThreadCheck;
import io.umqtt.simple.testing.Waits;

/**
 * The simple client against a broker that misbehaves: each case plays a {@link HostileBroker}
 * script and asserts the documented outcome (docs/failure-behaviour.md), that it came before a
 * generous deadline (a few times the configured timeout, never a tight timing), and that the
 * client closed its socket and left no thread behind.
 * <p>
 * To add a case: write the broker's behaviour as a script ({@code broker.play(c -> ...)}), drive
 * the client with {@link #connect} and {@link #within}, then assert the exception, the state and
 * {@link Conn#awaitClientClose(long)}; {@link #tearDown()} checks the threads.
 */
class HostileBrokerTest {
    /** Generous: what "failed in time" means for timeouts of at most 1 s in these tests. */
    private static final long DEADLINE_MILLIS = 10_000;

    private HostileBroker broker;
    private ThreadCheck threads;
    private int watchedBefore;
    private ExecutorService pool;
    private MqttClient client;
    private final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        watchedBefore = WriteWatchdog.watched();
        threads = ThreadCheck.start();
        broker = new HostileBroker();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        broker.close();
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(DEADLINE_MILLIS, TimeUnit.MILLISECONDS), "a client call is still blocked");
        threads.assertNoneLeft(DEADLINE_MILLIS);
        assertTrue(WriteWatchdog.watched() <= watchedBefore, "the closed client's writes are still watched");
    }

    /** A client of the hostile broker with a callback recording "topic=payload". */
    private MqttClient client(int keepAlive) {
        client = new MqttClient("hostile", HostileBroker.HOST, broker.port(), null, (byte[]) null, keepAlive, null);
        client.setCallback((topic, msg, retain, dup, qos) -> received.add(
                new String(topic, StandardCharsets.UTF_8) + "=" + new String(msg, StandardCharsets.UTF_8)));
        return client;
    }

    /** Connects {@code c} to a broker playing {@code script}. */
    private Session connect(MqttClient c, HostileBroker.Script script) throws Exception {
        Session s = broker.play(script);
        c.connect(true, (int) DEADLINE_MILLIS);
        return s;
    }

    /** The result of {@code f}, or its exception, within the generous deadline. */
    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError("still blocked after " + DEADLINE_MILLIS + " ms", e);
        }
    }

    /** The exception {@code f} ends with, within the generous deadline. */
    private static <X extends Throwable> X failsWith(Class<X> type, Future<?> f) throws Exception {
        try {
            Object result = within(f);
            throw new AssertionError("expected " + type.getSimpleName() + ", but returned " + result);
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            return assertInstanceOf(type, e);
        }
    }

    // ---------------------------------------------------------------- defect 1: a broker that stops reading

    @Test
    void aBrokerThatStopsReadingFailsTheStalledWriteAtTheWriteDeadline() throws Exception {
        broker.receiveBufferSize(4096);
        MqttClient c = client(0);
        c.setWriteTimeout(500);
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            conn.stopReading(60_000);
        });
        byte[] big = new byte[32 * 1024 * 1024]; // more than any socket buffer holds
        long start = System.nanoTime();
        MqttException e = failsWith(MqttException.class, pool.submit(() -> {
            c.publish("big", big, false, 0);
            return null;
        }));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("write to 127.0.0.1:" + broker.port()) && e.getMessage().contains("500 ms"),
                e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(5 * 500 + 2_000), "failed late");
        assertEquals(ConnectionState.LOST, c.state());
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS), "the client closes the socket");
    }

    @Test
    void aFloodWithoutReadingDoesNotFreezeTheReaderAndDisconnectIsBounded() throws Exception {
        broker.receiveBufferSize(4096);
        MqttClient c = client(0);
        c.setWriteTimeout(500);
        CountDownLatch flooding = new CountDownLatch(1);
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            flooding.countDown();
            conn.flood(i -> publish("flood", "x", 1, i % 65_535 + 1), 10_000_000); // and never reads
        });
        Future<Object> loop = pool.submit(() -> {
            c.loop();
            return null;
        });
        assertTrue(flooding.await(DEADLINE_MILLIS, TimeUnit.MILLISECONDS));
        // fill the pipe so that the reader's PUBACKs cannot be written
        Future<Object> publisher = pool.submit(() -> {
            c.publish("big", new byte[32 * 1024 * 1024], false, 0);
            return null;
        });
        MqttException e = failsWith(MqttException.class, loop);
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("stopped reading"), e.getMessage());
        failsWith(IOException.class, publisher);
        within(pool.submit(() -> {
            try {
                c.disconnect();
            } catch (IOException lost) {
                // not connected any more: nothing to send
            }
            return null;
        }));
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS), "the client closes the socket");
    }

    @Test
    void disconnectWhileAWriteIsStalledReturnsWithinTheWriteTimeout() throws Exception {
        broker.receiveBufferSize(4096);
        MqttClient c = client(0);
        c.setWriteTimeout(500);
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            conn.stopReading(60_000);
        });
        AtomicReference<Thread> writer = new AtomicReference<>();
        Future<Object> publisher = pool.submit(() -> {
            writer.set(Thread.currentThread());
            c.publish("big", new byte[32 * 1024 * 1024], false, 0);
            return null;
        });
        awaitBlockedInSocketWrite(writer);
        Future<Object> disconnect = pool.submit(() -> {
            c.disconnect();
            return null;
        });
        try {
            within(disconnect); // may report that DISCONNECT could not be sent
        } catch (IOException expected) {
            assertTrue(expected.getMessage().contains("DISCONNECT"), expected.getMessage());
        }
        failsWith(IOException.class, publisher);
        assertEquals(ConnectionState.CLOSED, c.state());
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS), "the client closes the socket");
    }

    /** Waits (bounded) until the thread is blocked in a socket write: the pipe to the broker is full. */
    private static void awaitBlockedInSocketWrite(AtomicReference<Thread> thread) throws InterruptedException {
        // a thread's state has no event for "blocked in write": poll it, bounded
        Waits.until(() -> isBlockedInSocketWrite(thread.get()), DEADLINE_MILLIS, TimeUnit.MILLISECONDS,
                "the publisher blocks in a socket write");
    }

    private static boolean isBlockedInSocketWrite(Thread t) {
        if (t == null || t.getState() != Thread.State.RUNNABLE) {
            return false;
        }
        StackTraceElement[] stack = t.getStackTrace();
        for (StackTraceElement f : stack) {
            if (f.getMethodName().startsWith("write") && (f.getClassName().contains("NioSocketImpl")
                    || f.getClassName().contains("SocketOutputStream")
                    // plain TCP on a channel: the write waits in its selector
                    || f.getClassName().endsWith(".TcpTransport") && stack.length > 0
                            && stack[0].getMethodName().toLowerCase(java.util.Locale.ROOT).contains("wait"))) {
                return t.getState() == Thread.State.RUNNABLE;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- defect 4: checkMsg and end of stream

    @Test
    void checkMsgSeesTheBrokersCloseWithKeepaliveOff() throws Exception {
        MqttClient c = client(0);
        connect(c, conn -> {
            conn.acceptConnect();
            conn.close();
        });
        EOFException e = failsWith(EOFException.class, pool.submit(() -> pollUntilFailure(c)));
        assertTrue(e.getMessage().contains("connection closed by 127.0.0.1:" + broker.port()), e.getMessage());
        assertEquals(ConnectionState.LOST, c.state());
    }

    @Test
    void checkMsgReportsAPartialPacketThenCloseAsEndOfStream() throws Exception {
        MqttClient c = client(0);
        c.setReadTimeout(1_000);
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            conn.write(prefix(publish("t", "payload", 0, 0), 5));
            conn.close();
        });
        EOFException e = failsWith(EOFException.class, pool.submit(() -> pollUntilFailure(c)));
        assertTrue(e.getMessage().contains("in the middle of a packet"), e.getMessage());
        s.awaitEnd(DEADLINE_MILLIS);
    }

    @Test
    void waitMsgReportsAPartialPacketThenCloseAsEndOfStream() throws Exception {
        MqttClient c = client(0);
        c.setReadTimeout(1_000);
        connect(c, conn -> {
            conn.acceptConnect();
            conn.write(prefix(publish("t", "payload", 0, 0), 5));
            conn.close();
        });
        EOFException e = failsWith(EOFException.class, pool.submit(c::waitMsg));
        assertTrue(e.getMessage().contains("in the middle of a packet (5 bytes of it had arrived)"), e.getMessage());
    }

    /** Calls checkMsg every 10 ms (how umqtt users poll) until it throws; fails after the deadline. */
    private static Object pollUntilFailure(MqttClient c) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MILLIS / 2);
        while (System.nanoTime() - deadline < 0) {
            c.checkMsg();
            Waits.pace(10); // the caller's polling interval: the scenario, not a wait for a result
        }
        throw new AssertionError("checkMsg still returned without error " + DEADLINE_MILLIS / 2 + " ms later");
    }

    // ---------------------------------------------------------------- defect 8: a slow callback

    @Test
    void aSlowCallbackDoesNotMakeTheNextBufferedPacketAStall() throws Exception {
        MqttClient c = client(0);
        c.setReadTimeout(300);
        CountDownLatch inCallback = new CountDownLatch(1);
        c.setCallback((topic, msg, retain, dup, qos) -> {
            received.add(new String(topic, StandardCharsets.UTF_8));
            if (received.size() == 1) {
                inCallback.countDown();
                try {
                    Waits.pace(1_200); // a callback slower than the read timeout: the scenario itself
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        byte[] second = publish("second", "2", 0, 0);
        connect(c, conn -> {
            conn.acceptConnect();
            conn.write(publish("first", "1", 0, 0), prefix(second, 3)); // both arrive in one read
            inCallback.await(DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
            conn.write(Arrays.copyOfRange(second, 3, second.length)); // the rest waits in the socket
            conn.silence(60_000);
        });
        assertEquals(PacketType.PUBLISH, within(pool.submit(c::waitMsg)));
        assertEquals(PacketType.PUBLISH, within(pool.submit(c::waitMsg)));
        assertEquals(List.of("first", "second"), received);
        assertTrue(c.isConnected());
    }

    // ---------------------------------------------------------------- defect 9: bounded queue while a callback waits

    @Test
    void messagesReadWhileACallbackWaitsForItsAckAreBounded() throws Exception {
        MqttClient c = client(0);
        c.setAckTimeout(1_000);
        int flood = 3_000;
        AtomicReference<IOException> publishFailure = new AtomicReference<>();
        AtomicInteger queuedAtMost = new AtomicInteger(-1);
        AtomicInteger delivered = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(1);
        c.setCallback((topic, msg, retain, dup, qos) -> {
            if (delivered.incrementAndGet() == 1) {
                try {
                    c.publish("out", "from the callback", false, 1);
                } catch (IOException e) {
                    publishFailure.set(e);
                }
                queuedAtMost.set(ClientProbe.deferredCount(c)); // nothing drains while this callback runs
            }
            if (delivered.get() == flood + 1) {
                all.countDown();
            }
        });
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            conn.write(publish("in", "first", 0, 0));
            byte[] callbacksPublish = conn.expect(3);
            int id = (callbacksPublish[callbacksPublish.length - 19] & 0xFF) << 8
                    | callbacksPublish[callbacksPublish.length - 18] & 0xFF; // before "from the callback"
            conn.flood(i -> publish("in", "m" + i, 0, 0), flood);
            conn.write(puback(id)); // behind the flood
            conn.silence(60_000);
        });
        Future<Object> loop = pool.submit(() -> {
            c.loop();
            return null;
        });
        assertTrue(all.await(DEADLINE_MILLIS * 3, TimeUnit.MILLISECONDS), "delivered " + delivered.get() + " of "
                + (flood + 1));
        assertTrue(queuedAtMost.get() <= MqttClient.MAX_QUEUED_WHILE_CALLBACK_WAITS, "queued " + queuedAtMost.get());
        IOException e = publishFailure.get();
        assertNotNull(e, "the PUBACK sat behind more PUBLISHes than may be queued: the publish must time out");
        assertInstanceOf(MqttException.class, e);
        assertTrue(e.getMessage().contains("reading paused"), e.getMessage());
        assertTrue(c.isConnected());
        c.disconnect();
        within(loop);
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS));
    }

    // ---------------------------------------------------------------- defect 10: every wait ends at its deadline

    @Test
    void aTricklingPacketDoesNotStretchAnAckWait() throws Exception {
        MqttClient c = client(0);
        c.setAckTimeout(1_000);
        CountDownLatch trickled = new CountDownLatch(1);
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            conn.expect(8); // SUBSCRIBE
            conn.trickle(publish("t", "slowly", 0, 0), 400); // 11 bytes: 4 s
            trickled.countDown();
            conn.silence(60_000);
        });
        long start = System.nanoTime();
        MqttException e = failsWith(MqttException.class, pool.submit(() -> c.subscribe("a/b", 0)));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("no SUBACK"), e.getMessage());
        assertEquals(1, trickled.getCount(), "the 1 s ack wait lasted until the trickled packet was complete");
        assertTrue(tookMillis < 5 * 1_000, "the 1 s ack wait took " + tookMillis + " ms");
        // the packet's rest is read by the next reader
        assertEquals(PacketType.PUBLISH, within(pool.submit(c::waitMsg)));
        assertEquals(List.of("t=slowly"), received);
        s.conn();
    }

    // ---------------------------------------------------------------- defect 11: no allocation up front

    @Test
    void aHugeAnnouncedPacketIsNotAllocatedUpFront() throws Exception {
        MqttClient c = client(0);
        c.setMaxPacketSize(MqttConstants.MAX_REMAINING_LENGTH);
        c.setReadTimeout(1_000);
        int sent = 300_000;
        connect(c, conn -> {
            conn.acceptConnect();
            conn.write(header(0x30, 100_000_000), new byte[] {0, 1, 't'}, new byte[sent - 3]);
            conn.stopReading(60_000);
        });
        MqttException e = failsWith(MqttException.class, pool.submit(c::waitMsg));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("stalled in the middle of a packet"), e.getMessage());
        int capacity = ClientProbe.readBufferCapacity(c);
        assertTrue(capacity < 2 * (sent + 5), "read buffer of " + capacity + " bytes after " + sent
                + " bytes of a 100 MB packet arrived");
    }

    // ---------------------------------------------------------------- general misbehaviour

    @Test
    void aBrokerThatNeverAnswersCONNECTFailsTheConnectAtItsTimeout() throws Exception {
        MqttClient c = client(0);
        Session s = broker.play(conn -> conn.silence(60_000));
        MqttException e = failsWith(MqttException.class, pool.submit(() -> c.connect(true, 1_000)));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("no CONNACK from 127.0.0.1:" + broker.port() + " within 1000 ms"),
                e.getMessage());
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS), "the client closes the socket");
    }

    @Test
    void garbageAfterConnackIsAProtocolError() throws Exception {
        MqttClient c = client(0);
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            conn.write(HostileBroker.bytes(0xF0, 0x00)); // reserved packet type 15
            conn.silence(60_000);
        });
        MqttException e = failsWith(MqttException.class, pool.submit(c::waitMsg));
        assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        assertEquals(ConnectionState.LOST, c.state());
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS), "the client closes the socket");
    }

    @Test
    void aBrokerThatGoesSilentIsDeclaredDeadAfterOneAndAHalfKeepalives() throws Exception {
        MqttClient c = client(1);
        Session s = connect(c, conn -> {
            conn.acceptConnect();
            conn.silence(60_000); // reads the PINGREQs, never answers
        });
        MqttException e = failsWith(MqttException.class, pool.submit(c::waitMsg));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("1.5 x keepalive of 1 s"), e.getMessage());
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS), "the client closes the socket");
    }

    // ---------------------------------------------------------------- helpers for the cases above

    @Test
    void theHarnessSeesTheClientCloseItsSocket() throws Exception {
        MqttClient c = client(0);
        Session s = connect(c, Conn::acceptConnect);
        s.awaitEnd(DEADLINE_MILLIS);
        c.close();
        assertTrue(s.conn().awaitClientClose(DEADLINE_MILLIS));
        if (c.isConnected()) {
            fail("closed client still connected");
        }
    }
}
