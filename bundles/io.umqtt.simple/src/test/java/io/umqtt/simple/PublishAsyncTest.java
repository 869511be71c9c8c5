package io.umqtt.simple;

import static io.umqtt.simple.ScriptedBroker.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.umqtt.api.ConnectionState;
import io.umqtt.api.MqttException;
import io.umqtt.api.MqttException.Reason;
import io.umqtt.simple.ScriptedBroker.Peer;

/**
 * {@link MqttClient#publishAsync} and its {@link PublishToken}s against a scripted broker: the
 * window of unacknowledged publishes, who reads the PUBACKs, timeouts, lost connections and bad
 * arguments.
 */
class PublishAsyncTest {
    private ScriptedBroker broker;
    private ExecutorService pool;
    private MqttClient client;
    private Peer peer;

    @BeforeEach
    void setUp() throws Exception {
        broker = new ScriptedBroker();
        pool = Executors.newCachedThreadPool();
        client = new MqttClient("test", "127.0.0.1", broker.port(), null, (byte[]) null, 0, null);
        Future<Boolean> connected = pool.submit(() -> client.connect(true));
        peer = broker.accept();
        peer.acceptConnect();
        assertFalse(connected.get(10, TimeUnit.SECONDS));
    }

    @AfterEach
    void tearDown() throws IOException {
        client.close();
        peer.close();
        broker.close();
        pool.shutdownNow();
    }

    private static <T> T within(Future<T> f) throws Exception {
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }

    /** The packet id of a QoS 1 PUBLISH to a one-byte topic: 32 len 00 01 t id id payload. */
    private static int idOf(byte[] publish) {
        return ((publish[5] & 0xFF) << 8) | (publish[6] & 0xFF);
    }

    private static byte[] puback(int id) {
        return bytes(0x40, 0x02, id >> 8, id & 0xFF);
    }

    /** Asserts that the client writes nothing more for a while (a wrong client would write now). */
    private void assertNothingWritten() throws IOException {
        peer.setReadTimeout(300);
        try {
            byte[] p = peer.readPacket();
            throw new AssertionError("expected nothing from the client, received " + p.length + " bytes, type 0x"
                    + Integer.toHexString(p[0] & 0xFF));
        } catch (SocketTimeoutException expected) {
            // nothing was written
        } finally {
            peer.setReadTimeout(10_000);
        }
    }

    @Test
    void returnsOnceWrittenAndTheTokenCompletesWithItsPuback() throws Exception {
        PublishToken token = client.publishAsync("t", "m", false, 1);

        // 32 06 | 00 01 't' | id 00 01 | 'm'
        assertArrayEquals(bytes(0x32, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 'm'), peer.readPacket());
        assertEquals(1, token.packetId());
        assertFalse(token.isDone(), "no PUBACK yet");
        assertNull(token.failure());
        assertEquals(List.of(1), client.acks.pendingIds());

        peer.write(puback(1));
        token.await(); // reads the PUBACK itself: no other thread reads
        assertTrue(token.isDone());
        assertNull(token.failure());
        assertTrue(client.acks.pendingIds().isEmpty());
        token.await(); // again: returns at once
    }

    @Test
    void qos0ReturnsACompletedToken() throws Exception {
        PublishToken token = client.publishAsync("t", "m", true, 0);

        assertArrayEquals(bytes(0x31, 0x04, 0x00, 0x01, 't', 'm'), peer.readPacket());
        assertTrue(token.isDone());
        assertEquals(0, token.packetId());
        assertNull(token.failure());
        token.await();
    }

    @Test
    void aFullWindowWaitsForTheOldestPuback() throws Exception {
        client.setMaxInflight(2);
        PublishToken first = client.publishAsync("t", "1", false, 1);
        PublishToken second = client.publishAsync("t", "2", false, 1);
        assertEquals(1, idOf(peer.readPacket()));
        assertEquals(2, idOf(peer.readPacket()));

        Future<PublishToken> third = pool.submit(() -> client.publishAsync("t", "3", false, 1));
        assertNothingWritten(); // two await their PUBACK: the third waits
        assertFalse(third.isDone());

        peer.write(puback(1));
        assertEquals(3, idOf(peer.readPacket()), "the oldest's PUBACK made room");
        PublishToken t3 = within(third);
        assertTrue(first.isDone(), "read by the publishing thread while it waited");
        assertFalse(second.isDone());

        peer.write(puback(2), puback(3));
        second.await();
        t3.await();
        assertTrue(client.acks.pendingIds().isEmpty());
    }

    @Test
    void aLoopThreadCompletesTokensInAnyOrder() throws Exception {
        Future<?> loop = pool.submit(() -> {
            client.loop();
            return null;
        });
        List<PublishToken> tokens = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tokens.add(client.publishAsync("t", "m", false, 1));
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(i + 1, idOf(peer.readPacket()));
        }
        for (int id = 5; id >= 1; id--) {
            peer.write(puback(id));
        }
        for (PublishToken t : tokens) {
            t.await();
            assertTrue(t.isDone());
        }
        assertTrue(client.acks.pendingIds().isEmpty());
        assertEquals(0, client.strayAcks());
        client.disconnect();
        within(loop);
    }

    @Test
    void severalThreadsAwaitingOneTokenAllReturn() throws Exception {
        PublishToken token = client.publishAsync("t", "m", false, 1);
        peer.readPacket();
        List<Future<?>> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiting.add(pool.submit(() -> {
                token.await();
                return null;
            }));
        }
        peer.write(puback(1));
        for (Future<?> f : waiting) {
            within(f);
        }
        assertTrue(token.isDone());
    }

    @Test
    void aLostConnectionFailsEveryToken() throws Exception {
        List<PublishToken> tokens = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tokens.add(client.publishAsync("t", "m", false, 1));
            peer.readPacket();
        }
        peer.close();

        IOException e = assertThrows(IOException.class, () -> tokens.get(1).await());
        assertEquals(ConnectionState.LOST, client.state());
        for (PublishToken t : tokens) {
            assertTrue(t.isDone());
            assertTrue(t.failure() != null, "a token of a lost connection reports why: " + t);
            IOException again = assertThrows(IOException.class, t::await);
            assertTrue(again.getMessage().contains("lost while waiting for the PUBACK of packet id " + t.packetId()),
                    again.getMessage());
        }
        assertTrue(client.acks.pendingIds().isEmpty());
        IOException notConnected = assertThrows(IOException.class, () -> client.publishAsync("t", "m", false, 1));
        assertTrue(notConnected.getMessage().contains("not connected"), notConnected.getMessage());
        assertTrue(e.getMessage().contains("connection closed by"), e.getMessage());
    }

    @Test
    void aPubackThatNeverComesFailsTheTokenAndALateOneIsStray() throws Exception {
        client.setAckTimeout(300);
        PublishToken token = client.publishAsync("t", "m", false, 1);
        peer.readPacket();

        MqttException e = assertThrows(MqttException.class, token::await);
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("no PUBACK for packet id 1 ('t')"), e.getMessage());
        assertTrue(token.isDone());
        assertInstanceOf(MqttException.class, token.failure());
        assertTrue(client.isConnected(), "an ack timeout fails the publish, not the connection");

        PublishToken next = client.publishAsync("t", "n", false, 1);
        assertEquals(2, idOf(peer.readPacket()));
        peer.write(puback(1), puback(2));
        next.await();
        assertEquals(1, client.strayAcks());
    }

    @Test
    void aFullWindowWhoseOldestIsNeverAcknowledgedFailsThePublishWithoutSendingIt() throws Exception {
        client.setAckTimeout(300);
        client.setMaxInflight(1);
        PublishToken first = client.publishAsync("t", "1", false, 1);
        peer.readPacket();

        MqttException e = assertThrows(MqttException.class, () -> client.publishAsync("t", "2", false, 1));
        assertEquals(Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("publish not sent: 1 publishAsync publishes (maxInflight) awaited their "
                + "PUBACK and the oldest was given up: no PUBACK for packet id 1"), e.getMessage());
        assertTrue(first.isDone());
        assertInstanceOf(MqttException.class, first.failure());

        // the slot is free again
        PublishToken third = client.publishAsync("t", "3", false, 1);
        byte[] p = peer.readPacket();
        assertEquals('3', p[7], "the refused publish was never written");
        peer.write(puback(idOf(p)));
        third.await();
    }

    @Test
    void anInterruptEndsTheWaitButNotThePublish() throws Exception {
        PublishToken token = client.publishAsync("t", "m", false, 1);
        peer.readPacket();
        // a loop thread holds the reader role (it delivered a message), so the awaiting thread parks
        CountDownLatch delivered = new CountDownLatch(1);
        client.setCallback((topic, msg, retain, dup, qos) -> delivered.countDown());
        Future<?> loop = pool.submit(() -> {
            client.loop();
            return null;
        });
        peer.write(bytes(0x30, 0x04, 0x00, 0x01, 'x', 'm'));
        assertTrue(delivered.await(10, TimeUnit.SECONDS));
        AtomicReference<Thread> awaiting = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Future<Boolean> interrupted = pool.submit(() -> {
            awaiting.set(Thread.currentThread());
            started.countDown();
            try {
                token.await();
                return false;
            } catch (InterruptedIOException e) {
                return Thread.currentThread().isInterrupted();
            }
        });
        started.await();
        awaiting.get().interrupt();
        assertTrue(within(interrupted), "InterruptedIOException with the interrupt flag kept");
        assertFalse(token.isDone(), "the publish still awaits its PUBACK");

        peer.write(puback(1));
        token.await();
        assertEquals(0, client.strayAcks());
        client.disconnect();
        within(loop);
    }

    @Test
    void aCallbackPublishingAsyncIntoAFullWindowReadsItsOwnAcks() throws Exception {
        client.setMaxInflight(1);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<PublishToken> second = new CompletableFuture<>();
        client.setCallback((topic, msg, retain, dup, qos) -> {
            String m = new String(msg, StandardCharsets.UTF_8);
            seen.add(m);
            if (m.equals("go")) {
                try {
                    client.publishAsync("t", "1", false, 1);
                    second.complete(client.publishAsync("t", "2", false, 1)); // window full: reads the first PUBACK
                } catch (IOException | RuntimeException e) {
                    second.completeExceptionally(e);
                }
            }
        });
        Future<?> loop = pool.submit(() -> {
            client.loop();
            return null;
        });
        peer.write(bytes(0x30, 0x05, 0x00, 0x01, 'x', 'g', 'o'));
        assertEquals(1, idOf(peer.readPacket()));
        // a message arriving while the callback waits is delivered after it
        peer.write(bytes(0x30, 0x05, 0x00, 0x01, 'x', 'm', '2'), puback(1));
        assertEquals(2, idOf(peer.readPacket()));
        peer.write(puback(2));
        within(second).await();
        client.disconnect();
        within(loop);
        assertEquals(List.of("go", "m2"), seen);
    }

    @Test
    void badArgumentsAreRefusedWithTheirName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.setMaxInflight(0));
        assertEquals("maxInflight must be 1..65535, found 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> client.setMaxInflight(65_536));
        assertEquals("maxInflight must be 1..65535, found 65536", e.getMessage());
        assertEquals(MqttClient.DEFAULT_MAX_INFLIGHT, client.maxInflight());

        e = assertThrows(IllegalArgumentException.class, () -> client.publishAsync("t", "m", false, 3));
        assertTrue(e.getMessage().contains("qos must be 0, 1 or 2, found 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> client.publishAsync((String) null, "m", false, 1));
        assertEquals("topic must not be null", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> client.publishAsync("t".getBytes(StandardCharsets.UTF_8),
                null, false, 1));
        assertTrue(e.getMessage().contains("msg must not be null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> client.publishAsync("a/+", "m", false, 1));
        assertTrue(e.getMessage().contains("topic must not contain wildcards"), e.getMessage());
        assertTrue(client.acks.pendingIds().isEmpty(), "nothing registered for a refused publish");
    }
}
