package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static io.umqtt.simple.ScriptedBroker.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.ScriptedBroker.Peer;

/**
 * One test per umqtt.simple defect (ANCHORS.md), against a scripted broker on a loopback socket.
 * Each of them hangs, desynchronises or fails on umqtt's behaviour.
 */
class UmqttDefectsTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private MqttClient client;
    private Peer peer;
    private final BlockingQueue<String> received = new ArrayBlockingQueue<>(1000);

    @BeforeEach
    void setUp() throws IOException {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (client != null) {
            client.close();
        }
        if (peer != null) {
            peer.close();
        }
        broker.close();
        pool.shutdownNow();
    }

    /** A connected client (keepalive as given) and the broker's side of its socket. */
    private void connect(int keepAlive) throws Exception {
        client = new MqttClient("test", "127.0.0.1", broker.port(), null, (byte[]) null, keepAlive, null);
        client.setCallback((topic, msg, retain, dup, qos) -> received.add(
                new String(topic, StandardCharsets.UTF_8) + "=" + new String(msg, StandardCharsets.UTF_8) + " q" + qos
                        + (retain ? " r" : "") + (dup ? " d" : "")));
        Future<Boolean> connected = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        peer.acceptConnect();
        assertFalse(connected.get(10, TimeUnit.SECONDS));
    }

    private <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Nested
    class EveryPacketIsReadWhole {
        @Test
        void strayAcksDoNotDesynchroniseTheStream() throws Exception {
            // umqtt's wait_msg reads only the first bytes of a stray PUBACK/SUBACK and then parses
            // the rest of its body as the next packet
            connect(0);
            peer.write(
                    bytes(0x40, 0x02, 0x00, 0x07),                         // PUBACK id 7, nobody waits
                    bytes(0x90, 0x03, 0x00, 0x08, 0x01),                   // SUBACK id 8
                    bytes(0xB0, 0x02, 0x00, 0x09),                         // UNSUBACK id 9
                    bytes(0xD0, 0x00),                                     // PINGRESP
                    bytes(0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i')); // PUBLISH a/b "hi"
            assertEquals(PacketType.PUBACK, client.waitMsg());
            assertEquals(PacketType.SUBACK, client.waitMsg());
            assertEquals(PacketType.UNSUBACK, client.waitMsg());
            assertEquals(PacketType.PINGRESP, client.waitMsg());
            assertEquals(PacketType.PUBLISH, client.waitMsg());
            assertEquals("a/b=hi q0", received.poll());
            assertEquals(3, client.strayAcks());
            assertTrue(client.isConnected());
        }

        /**
         * The client closes the connection for a malformed packet: a few rows of each kind (framing,
         * a decoder, the client's own refusals). Every malformed packet the decoders refuse is in
         * the byte-level {@code io.umqtt.simple.internal.codec.MalformedPacketsTest}.
         */
        @ParameterizedTest(name = "{0}")
        @CsvSource(delimiter = '|', value = {
            "PUBACK too long             | 40 03 00 01 00       | PUBACK remaining length must be 2, found 3",
            "SUBACK bad return code      | 90 03 00 01 03       | SUBACK return code must be 0, 1, 2 or 0x80, found 0x03",
            "reserved type 15            | F0 00                | reserved packet type 15",
            "second CONNACK              | 20 02 00 00          | unexpected CONNACK",
            "PUBREL with flags 0000      | 60 02 00 01          | PUBREL fixed header flags must be 0x2, found 0x0",
            "PUBCOMP packet id 0         | 70 02 00 00          | PUBCOMP with packet id 0",
            "PUBLISH QoS 1 id 0          | 32 05 00 01 74 00 00 | packet id 0",
            "remaining length 5 bytes    | 30 FF FF FF FF 01    | malformed remaining length"})
        void malformedPacketsAreProtocolErrors(String name, String hex, String message) throws Exception {
            connect(0);
            String[] parts = hex.trim().split(" ");
            byte[] packet = new byte[parts.length];
            for (int i = 0; i < parts.length; i++) {
                packet[i] = (byte) Integer.parseInt(parts[i], 16);
            }
            peer.write(packet);
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
            assertEquals(Reason.PROTOCOL_ERROR, e.reason());
            assertTrue(e.getMessage().contains(message), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
            assertTrue(peer.awaitClosed(10_000), "the client closes the socket after a protocol error");
        }

        @Test
        void aPacketAboveTheMaximumSizeIsRefusedWithoutReadingIt() throws Exception {
            connect(0);
            client.setMaxPacketSize(1024);
            // PUBLISH announcing 2,097,152 bytes; the body is never sent
            peer.write(bytes(0x30, 0x80, 0x80, 0x80, 0x01));
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
            assertTrue(e.getMessage().contains("exceeds the maximum packet size 1024"), e.getMessage());
        }

        @Test
        void aTruncatedPacketIsAnErrorNotAHang() throws Exception {
            connect(0);
            peer.write(bytes(0x30, 0x0A, 0x00, 0x03, 'a')); // 3 of 10 bytes, then close
            peer.close();
            EOFException e = assertThrows(EOFException.class, () -> within(pool.submit(client::waitMsg)));
            assertTrue(e.getMessage().contains("in the middle of a packet"), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
        }

        @Test
        void aPacketArrivingByteByByteIsAssembled() throws Exception {
            connect(0);
            byte[] publish = bytes(0x31, 0x08, 0x00, 0x03, 'x', '/', 'y', 'a', 'b', 'c');
            Future<PacketType> step = pool.submit(client::waitMsg);
            for (byte b : publish) {
                peer.write(new byte[] {b});
            }
            assertEquals(PacketType.PUBLISH, within(step));
            assertEquals("x/y=abc q0 r", received.poll());
        }
    }

    @Nested
    class PacketIds {
        @Test
        void packetIdsWrapSkipIdsInFlightAndAreNeverZero() throws Exception {
            connect(0);
            client.acks.setLastPacketId(65_534);
            Future<?> first = pool.submit(() -> {
                client.publish("t", "one", false, 1);
                return null;
            });
            byte[] p1 = peer.readPacket();
            assertEquals(65_535, packetIdOf(p1));
            // make 65535 the next candidate again: it is in flight, so the client must skip it and wrap to 1
            client.acks.setLastPacketId(65_534);
            Future<?> second = pool.submit(() -> {
                client.publish("t", "two", false, 1);
                return null;
            });
            byte[] p2 = peer.readPacket();
            assertEquals(1, packetIdOf(p2));
            peer.write(bytes(0x40, 0x02, 0x00, 0x01), bytes(0x40, 0x02, 0xFF, 0xFF));
            within(second);
            within(first);
            assertTrue(client.acks.pendingIds().isEmpty());
        }

        private int packetIdOf(byte[] publish) {
            int topicLength = ((publish[2] & 0xFF) << 8) | (publish[3] & 0xFF);
            int at = 4 + topicLength;
            return ((publish[at] & 0xFF) << 8) | (publish[at + 1] & 0xFF);
        }
    }

    @Nested
    class Timeouts {
        @Test
        void connectTimesOutWhenNoConnackComes() throws Exception {
            client = new MqttClient("test", "127.0.0.1", broker.port(), null, (byte[]) null, 0, null);
            Future<Boolean> connecting = pool.submit(() -> client.connect(true, 300));
            peer = broker.accept();
            peer.readPacket(); // CONNECT, never answered
            MqttException e = assertThrows(MqttException.class, () -> within(connecting));
            assertEquals(Reason.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("no CONNACK"), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
            assertTrue(peer.awaitClosed(10_000));
        }

        @Test
        void closeAbortsAConnectWaitingForConnack() throws Exception {
            client = new MqttClient("test", "127.0.0.1", broker.port());
            Future<Boolean> connecting = pool.submit(() -> client.connect(true, 60_000));
            peer = broker.accept();
            peer.readPacket(); // CONNECT, never answered
            client.close();
            IOException e = assertThrows(IOException.class, () -> within(connecting));
            assertEquals(ConnectionState.CLOSED, client.state(), e.toString());
            assertTrue(peer.awaitClosed(10_000));
        }

        @Test
        void closeAbortsATlsHandshake() throws Exception {
            client = new MqttClient("test", "127.0.0.1", broker.port(), null, (byte[]) null, 0, TlsSettings.defaults());
            Future<Boolean> connecting = pool.submit(() -> client.connect(true, 60_000));
            peer = broker.accept(); // never speaks TLS
            peer.readPacket(); // the ClientHello, read as if it were a packet: the client is in the handshake
            client.close();
            assertThrows(IOException.class, () -> within(connecting));
            assertEquals(ConnectionState.CLOSED, client.state());
        }

        @Test
        void loopReturnsWhenTheClientWasClosedBeforeItStarted() throws Exception {
            connect(0);
            client.disconnect();
            within(pool.submit(() -> {
                client.loop();
                return null;
            }));
            assertEquals(ConnectionState.CLOSED, client.state());
        }

        @Test
        void tlsHandshakeTimesOutWhenTheServerNeverAnswers() throws Exception {
            client = new MqttClient("test", "127.0.0.1", broker.port(), null, (byte[]) null, 0, TlsSettings.defaults());
            Future<Boolean> connecting = pool.submit(() -> client.connect(true, 300));
            peer = broker.accept(); // accepts TCP, never speaks TLS
            MqttException e = assertThrows(MqttException.class, () -> within(connecting));
            assertEquals(Reason.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("TLS handshake"), e.getMessage());
        }

        @Test
        void aReadThatStallsMidPacketTimesOut() throws Exception {
            connect(0);
            client.setReadTimeout(300);
            peer.write(bytes(0x30, 0x0A, 0x00, 0x03, 'a')); // 5 of 12 bytes, then nothing
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
            assertEquals(Reason.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("stalled in the middle of a packet"), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
        }

        @Test
        void aPubackThatNeverComesTimesOutAndALateOneIsIgnored() throws Exception {
            connect(0);
            client.setAckTimeout(300);
            Future<?> publishing = pool.submit(() -> {
                client.publish("t", "m", false, 1);
                return null;
            });
            byte[] p = peer.readPacket();
            MqttException e = assertThrows(MqttException.class, () -> within(publishing));
            assertEquals(Reason.TIMEOUT, e.reason());
            assertTrue(e.getMessage().contains("no PUBACK for packet id 1"), e.getMessage());
            assertTrue(client.isConnected(), "an ack timeout fails the operation, not the connection");

            // the late PUBACK arrives before the next publish's: ignored, and the next publish completes
            Future<?> next = pool.submit(() -> {
                client.publish("t", "n", false, 1);
                return null;
            });
            byte[] p2 = peer.readPacket();
            assertEquals(2, p2[6]);
            peer.write(bytes(0x40, 0x02, 0x00, 0x01), bytes(0x40, 0x02, 0x00, 0x02));
            within(next);
            assertEquals(1, client.strayAcks());
            assertEquals(0x32, p[0] & 0xFF);
        }

        @Test
        void aSubackThatNeverComesTimesOut() throws Exception {
            connect(0);
            client.setAckTimeout(300);
            Future<Integer> subscribing = pool.submit(() -> client.subscribe("a/#", 1));
            peer.readPacket();
            MqttException e = assertThrows(MqttException.class, () -> within(subscribing));
            assertTrue(e.getMessage().contains("no SUBACK for packet id 1 ('a/#')"), e.getMessage());
        }

        @Test
        void checkMsgDoesNotBlockForTheRestOfAPacketAndKeepsTheTimeouts() throws Exception {
            connect(0);
            client.setReadTimeout(500);
            byte[] publish = bytes(0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i');
            assertEquals(PacketType.NONE, within(pool.submit(client::checkMsg)), "nothing pending");
            peer.write(java.util.Arrays.copyOf(publish, 4)); // first 4 bytes
            // umqtt blocks here until the rest arrives; ours returns NONE and keeps the 4 bytes
            assertEquals(PacketType.NONE, within(pool.submit(client::checkMsg)));
            peer.write(java.util.Arrays.copyOfRange(publish, 4, publish.length));
            assertEquals(PacketType.PUBLISH, within(pool.submit(client::waitMsg)));
            assertEquals("a/b=hi q0", received.poll());

            // umqtt's check_msg leaves the socket without its timeout; ours keeps the read timeout
            peer.write(bytes(0x30, 0x0A, 0x00));
            assertEquals(PacketType.NONE, within(pool.submit(client::checkMsg)));
            MqttException e = assertThrows(MqttException.class, () -> within(pool.submit(client::waitMsg)));
            assertEquals(Reason.TIMEOUT, e.reason());
        }
    }

    @Nested
    class KeepAlive {
        @Test
        void pingsWhenIdleAndDeclaresASilentBrokerDead() throws Exception {
            connect(1);
            CompletableFuture<IOException> loopEnded = new CompletableFuture<>();
            pool.submit(() -> {
                try {
                    client.loop();
                    loopEnded.complete(null);
                } catch (IOException e) {
                    loopEnded.complete(e);
                }
            });
            // idle: the client sends PINGREQ by itself, twice, and we answer each
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(bytes(0xC0, 0x00), peer.readPacket());
                peer.write(bytes(0xD0, 0x00));
            }
            assertTrue(client.isConnected());
            // now the broker goes silent (half-open connection): dead after 1.5 x keepalive
            assertArrayEquals(bytes(0xC0, 0x00), peer.readPacket());
            IOException e = loopEnded.get(10, TimeUnit.SECONDS);
            assertInstanceOf(MqttException.class, e);
            assertEquals(Reason.TIMEOUT, ((MqttException) e).reason());
            assertTrue(e.getMessage().contains("connection declared dead"), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
        }

        @Test
        void pingsWhileOnlyPublishingAtQos0() throws Exception {
            // sending alone does not prove the broker is alive: a ping is due when nothing was received
            connect(1);
            pool.submit(() -> {
                client.loop();
                return null;
            });
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean pinged = false;
            peer.setReadTimeout(50);
            while (!pinged && System.nanoTime() < until) {
                client.publish("t", "x", false, 0);
                try {
                    byte[] packet = peer.readPacket();
                    pinged = (packet[0] & 0xFF) == 0xC0;
                    while (!pinged) {
                        packet = peer.readPacket();
                        pinged = (packet[0] & 0xFF) == 0xC0;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    // no packet pending right now: publish the next
                }
            }
            assertTrue(pinged, "PINGREQ sent although the client kept publishing");
        }
    }

    @Nested
    class CallbacksThatPublish {
        @Test
        void qos1PublishInsideTheCallbackDoesNotSwallowTheOuterPuback() throws Exception {
            // umqtt: the inner publish's wait loop consumes the outer PUBACK, the outer publish hangs
            connect(0);
            AtomicInteger depth = new AtomicInteger();
            AtomicInteger maxDepth = new AtomicInteger();
            List<String> calls = Collections.synchronizedList(new ArrayList<>());
            client.setCallback((topic, msg, retain, dup, qos) -> {
                maxDepth.accumulateAndGet(depth.incrementAndGet(), Math::max);
                calls.add(new String(msg, StandardCharsets.UTF_8));
                try {
                    if (new String(msg, StandardCharsets.UTF_8).equals("in")) {
                        client.publish("inner", "reply", false, 1);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                } finally {
                    depth.decrementAndGet();
                }
            });
            Future<?> outer = pool.submit(() -> {
                client.publish("outer", "o", false, 1);
                return null;
            });
            byte[] outerPublish = peer.readPacket();
            assertEquals(1, outerPublish[10]); // packet id 1 (after 32 0A 00 05 "outer" 00)
            peer.write(bytes(0x32, 0x07, 0x00, 0x01, 'x', 0x00, 0x0A, 'i', 'n')); // PUBLISH QoS 1 id 10 "in"
            byte[] inner = peer.readPacket();
            assertEquals("inner", new String(inner, 4, 5, StandardCharsets.UTF_8));
            // a message arriving while the callback waits, then the OUTER ack first, then the inner one
            peer.write(bytes(0x30, 0x05, 0x00, 0x01, 'x', 'm', '2'),
                    bytes(0x40, 0x02, 0x00, 0x01),
                    bytes(0x40, 0x02, 0x00, 0x02));
            within(outer);
            // after the callback returned, PUBACK for the incoming id 10
            assertArrayEquals(bytes(0x40, 0x02, 0x00, 0x0A), peer.readPacket());
            assertEquals(List.of("in", "m2"), calls);
            assertEquals(1, maxDepth.get(), "callbacks never nest");
        }

        @Test
        void echoingCallbacksDoNotRecurse() throws Exception {
            // the callback publishes at QoS 1 to a topic whose messages come back: umqtt recurses without bound
            connect(0);
            AtomicInteger depth = new AtomicInteger();
            AtomicInteger maxDepth = new AtomicInteger();
            AtomicInteger count = new AtomicInteger();
            client.setCallback((topic, msg, retain, dup, qos) -> {
                maxDepth.accumulateAndGet(depth.incrementAndGet(), Math::max);
                try {
                    if (count.incrementAndGet() < 200) {
                        client.publish("echo", "again", false, 1);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                } finally {
                    depth.decrementAndGet();
                }
            });
            Future<?> echo = pool.submit(() -> {
                // the broker: echo every PUBLISH back before acking it
                for (int i = 1; i < 200; i++) {
                    byte[] p = peer.readPacket();
                    int id = ((p[8] & 0xFF) << 8) | (p[9] & 0xFF);
                    peer.write(bytes(0x30, 0x07, 0x00, 0x04, 'e', 'c', 'h', 'o', '!'));
                    peer.write(bytes(0x40, 0x02, id >> 8, id & 0xFF));
                }
                return null;
            });
            peer.write(bytes(0x30, 0x07, 0x00, 0x04, 'e', 'c', 'h', 'o', '!'));
            Future<?> loop = pool.submit(() -> {
                while (count.get() < 200) {
                    client.waitMsg();
                }
                return null;
            });
            within(echo);
            within(loop);
            assertEquals(200, count.get());
            assertEquals(1, maxDepth.get(), "200 echoes handled without nesting");
        }
    }

    @Nested
    class Concurrency {
        @Test
        void manyThreadsPublishAtQos1WhileAnotherRunsTheLoop() throws Exception {
            connect(0);
            pool.submit(() -> {
                client.loop();
                return null;
            });
            manyThreadsPublishAtQos1();
        }

        @Test
        void manyThreadsPublishAtQos1WithoutALoopAndHandTheReadingOn() throws Exception {
            // each reads until its own PUBACK, then hands the reader role to a thread still waiting
            connect(0);
            manyThreadsPublishAtQos1();
        }

        @Test
        void aLoopStartedWhileAPublisherReadsTakesOverWhenItLeaves() throws Exception {
            connect(0);
            Future<?> publishing = pool.submit(() -> {
                client.publish("t", "m", false, 1);
                return null;
            });
            peer.readPacket(); // the publisher now reads, waiting for its PUBACK
            Future<?> loop = pool.submit(() -> {
                client.loop();
                return null;
            });
            peer.write(bytes(0x40, 0x02, 0x00, 0x01));
            within(publishing);
            peer.write(bytes(0x30, 0x05, 0x00, 0x01, 'x', 'm', '2'));
            assertEquals("x=m2 q0", received.poll(10, TimeUnit.SECONDS), "the loop reads once the publisher left");
            client.disconnect();
            within(loop);
        }

        @Test
        void anInterruptedPublisherGivesItsAckUpAndTheLateAckIsStray() throws Exception {
            connect(0);
            pool.submit(() -> {
                client.loop();
                return null;
            });
            peer.write(bytes(0x30, 0x05, 0x00, 0x01, 'x', 'm', '1'));
            assertEquals("x=m1 q0", received.poll(10, TimeUnit.SECONDS)); // the loop thread is the reader
            CompletableFuture<Thread> publisher = new CompletableFuture<>();
            Future<Boolean> publishing = pool.submit(() -> {
                publisher.complete(Thread.currentThread());
                try {
                    client.publish("t", "m", false, 1);
                    return false;
                } catch (java.io.InterruptedIOException e) {
                    return Thread.currentThread().isInterrupted();
                }
            });
            peer.readPacket();
            publisher.get(10, TimeUnit.SECONDS).interrupt();
            assertTrue(within(publishing), "InterruptedIOException with the interrupt flag kept");
            assertTrue(client.acks.pendingIds().isEmpty(), "the interrupted publish no longer awaits its PUBACK");

            peer.write(bytes(0x40, 0x02, 0x00, 0x01), bytes(0x30, 0x05, 0x00, 0x01, 'x', 'm', '3'));
            assertEquals("x=m3 q0", received.poll(10, TimeUnit.SECONDS));
            assertEquals(1, client.strayAcks());
        }

        /** 8 threads x 200 QoS 1 publishes; the broker acks each batch in reverse order. */
        private void manyThreadsPublishAtQos1() throws Exception {
            int threads = 8;
            int each = 200;
            ConcurrentHashMap<String, Boolean> acked = new ConcurrentHashMap<>();
            AtomicInteger early = new AtomicInteger();
            // the broker collects one publish per thread, then acks them in reverse order
            Future<Integer> brokerSide = pool.submit(() -> {
                int total = 0;
                while (total < threads * each) {
                    List<byte[]> batch = new ArrayList<>();
                    peer.setReadTimeout(200);
                    while (batch.size() < threads && total + batch.size() < threads * each) {
                        try {
                            batch.add(peer.readPacket());
                        } catch (java.net.SocketTimeoutException e) {
                            break; // fewer threads still publishing
                        }
                    }
                    Collections.reverse(batch);
                    for (byte[] p : batch) {
                        int topicLength = ((p[2] & 0xFF) << 8) | (p[3] & 0xFF);
                        int at = 4 + topicLength;
                        int id = ((p[at] & 0xFF) << 8) | (p[at + 1] & 0xFF);
                        acked.put(new String(p, at + 2, p.length - at - 2, StandardCharsets.UTF_8), true);
                        peer.write(bytes(0x40, 0x02, id >> 8, id & 0xFF));
                    }
                    total += batch.size();
                }
                return total;
            });
            List<Future<?>> publishers = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                int thread = t;
                publishers.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        String payload = thread + ":" + i;
                        client.publish("t/" + thread, payload, false, 1);
                        if (!acked.containsKey(payload)) {
                            early.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : publishers) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(threads * each, (int) brokerSide.get(60, TimeUnit.SECONDS));
            assertEquals(0, early.get(), "a publish returned before its own PUBACK");
            assertEquals(threads * each, acked.size());
            assertTrue(client.acks.pendingIds().isEmpty());
        }
    }

    @Nested
    class Refusals {
        @ParameterizedTest(name = "return code {0}")
        @CsvSource({"1, unacceptable protocol version", "2, identifier rejected", "3, server unavailable",
            "4, bad user name or password", "5, not authorized"})
        void connackRefusalCarriesTheReturnCode(int code, String name) throws Exception {
            client = new MqttClient("test", "127.0.0.1", broker.port());
            Future<Boolean> connecting = pool.submit(() -> client.connect(true));
            peer = broker.accept();
            peer.readPacket();
            peer.write(ScriptedBroker.connack(0, code));
            MqttException e = assertThrows(MqttException.class, () -> within(connecting));
            assertEquals(Reason.CONNECTION_REFUSED, e.reason());
            assertEquals(code, e.returnCode());
            assertTrue(e.getMessage().contains(name), e.getMessage());
            assertEquals(ConnectionState.LOST, client.state());
        }

        @Test
        void subackFailureCarries0x80() throws Exception {
            connect(0);
            Future<Integer> subscribing = pool.submit(() -> client.subscribe("$SYS/#", 1));
            byte[] subscribe = peer.readPacket();
            assertEquals(0x82, subscribe[0] & 0xFF);
            peer.write(bytes(0x90, 0x03, 0x00, 0x01, 0x80));
            MqttException e = assertThrows(MqttException.class, () -> within(subscribing));
            assertEquals(Reason.SUBSCRIPTION_REFUSED, e.reason());
            assertEquals(0x80, e.returnCode());
            assertTrue(e.getMessage().contains("'$SYS/#'"), e.getMessage());
            assertTrue(client.isConnected());
        }

        @Test
        void sessionPresentIsReturned() throws Exception {
            client = new MqttClient("test", "127.0.0.1", broker.port());
            Future<Boolean> connecting = pool.submit(() -> client.connect(false));
            peer = broker.accept();
            byte[] connect = peer.readPacket();
            assertEquals(0x00, connect[9], "clean session off");
            peer.write(ScriptedBroker.connack(1, 0));
            assertTrue(within(connecting));
        }

        @Test
        void sessionPresentWithCleanSessionIsAProtocolError() throws Exception {
            client = new MqttClient("test", "127.0.0.1", broker.port());
            Future<Boolean> connecting = pool.submit(() -> client.connect(true));
            peer = broker.accept();
            peer.readPacket();
            peer.write(ScriptedBroker.connack(1, 0));
            MqttException e = assertThrows(MqttException.class, () -> within(connecting));
            assertEquals(Reason.PROTOCOL_ERROR, e.reason());
        }
    }

    @Nested
    class Arguments {
        @Test
        void badArgumentsNameTheArgument() throws Exception {
            connect(0);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.publish("t", "m", false, 3))
                    .getMessage().contains("qos must be 0, 1 or 2, found 3"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.subscribe("t", -1))
                    .getMessage().contains("qos must be 0, 1 or 2, found -1"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.publish("t", "m", false, 7))
                    .getMessage().contains("qos must be 0, 1 or 2, found 7"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.publish("a/+", "m", false, 0))
                    .getMessage().contains("wildcards"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.subscribe("a/#/b", 0))
                    .getMessage().contains("'a/#/b'"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.publish((byte[]) null, new byte[0], false, 0))
                    .getMessage().contains("topic"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.publish(utf8("t"), null, false, 0))
                    .getMessage().contains("msg"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> new MqttClient("c", "h", 70_000, null, (byte[]) null, 0, null)).getMessage().contains("port"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> new MqttClient("c", "", 0, null, (byte[]) null, 0, null)).getMessage().contains("server"));
            // MQTT 5 allows a password without user name, so MQTT 3.1.1 refuses it at connect (Mqtt5ConnectRulesTest)
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> new MqttClient("c", "h", 0, null, "pw", 0, null).connect(true)).getMessage()
                    .contains("password requires a user"));
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> new MqttClient("c", "h", 0, null, (byte[]) null, 70_000, null)).getMessage()
                    .contains("keepAliveSeconds"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> client.setLastWill("t/#", "m", false, 0))
                    .getMessage().contains("wildcards"));
        }

        @Test
        void operationsWhenNotConnectedSayWhy() throws Exception {
            connect(0);
            peer.close();
            IOException lost = assertThrows(IOException.class, () -> within(pool.submit(client::waitMsg)));
            IOException e = assertThrows(IOException.class, () -> client.publish("t", "m", false, 0));
            assertTrue(e.getMessage().contains("not connected") && e.getMessage().contains("connection lost"),
                    e.getMessage());
            assertEquals(lost, e.getCause());
        }

        @Test
        void wireBytesOfOperationsAreUmqtts() throws Exception {
            client = new MqttClient("cid", "127.0.0.1", broker.port(), "u", "p", 30, null);
            client.setLastWill("w", "x", true, 1);
            Future<Boolean> connecting = pool.submit(() -> client.connect(true));
            peer = broker.accept();
            assertArrayEquals(bytes(
                    0x10, 0x1B, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
                    0xEE,                    // user | password | will retain | will QoS 1 | will | clean
                    0x00, 0x1E,              // keepalive 30
                    0x00, 0x03, 'c', 'i', 'd', 0x00, 0x01, 'w', 0x00, 0x01, 'x', 0x00, 0x01, 'u', 0x00, 0x01, 'p'),
                    peer.readPacket());
            peer.write(ScriptedBroker.connack(0, 0));
            within(connecting);
            client.publish("a", "b", false, 0);
            assertArrayEquals(bytes(0x30, 0x04, 0x00, 0x01, 'a', 'b'), peer.readPacket());
            client.ping();
            assertArrayEquals(bytes(0xC0, 0x00), peer.readPacket());
            Future<Integer> sub = pool.submit(() -> client.subscribe("s", 1));
            assertArrayEquals(bytes(0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 's', 0x01), peer.readPacket());
            peer.write(bytes(0x90, 0x03, 0x00, 0x01, 0x01));
            assertEquals(1, within(sub));
            Future<?> unsub = pool.submit(() -> {
                client.unsubscribe("s");
                return null;
            });
            assertArrayEquals(bytes(0xA2, 0x05, 0x00, 0x02, 0x00, 0x01, 's'), peer.readPacket());
            peer.write(bytes(0xB0, 0x02, 0x00, 0x02));
            within(unsub);
            client.disconnect();
            assertArrayEquals(bytes(0xE0, 0x00), peer.readPacket());
            assertTrue(peer.awaitClosed(10_000));
            assertEquals(ConnectionState.CLOSED, client.state());
        }
    }

    @Test
    void largeMessagesRoundTripThroughTheBuffers() throws Exception {
        connect(0);
        byte[] payload = new byte[1 << 20];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }
        byte[] publish = concat(bytes(0x30, 0x85, 0x80, 0x40, 0x00, 0x03, 'b', 'i', 'g'), payload);
        // remaining length 2 + 3 + 1,048,576 = 1,048,581 = 85 80 40
        assertEquals(1 + 3 + 1_048_581, publish.length);
        CompletableFuture<byte[]> got = new CompletableFuture<>();
        client.setCallback((topic, msg, retain, dup, qos) -> got.complete(msg));
        Future<PacketType> step = pool.submit(client::waitMsg);
        peer.write(publish);
        assertEquals(PacketType.PUBLISH, within(step));
        assertArrayEquals(payload, got.get(10, TimeUnit.SECONDS));

        client.publish(utf8("big"), payload, false, 0);
        byte[] sent = peer.readPacket();
        assertArrayEquals(publish, sent);
        assertNotEquals(0, sent.length);
    }

    @Test
    void connectFailsClearlyWhenNothingListens() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        client = new MqttClient("test", "127.0.0.1", port);
        IOException e = assertThrows(IOException.class, () -> client.connect(true, 2000));
        assertEquals(ConnectionState.LOST, client.state());
        assertTrue(e instanceof java.net.ConnectException, e.toString());
    }
}
