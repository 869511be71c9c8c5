package io.umqtt.simple.hostile;

import static io.umqtt.simple.testing.HostileBroker.publish;
import static io.umqtt.simple.testing.HostileBroker.puback;
import static io.umqtt.simple.testing.HostileBroker.unsuback;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.umqtt.api.ConnectionState;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.HostileBroker;
import io.umqtt.simple.testing.HostileBroker.Conn;
import io.umqtt.simple.testing.HostileBroker.Session;

/**
 * The connection is lost while the message callback's own QoS 1 publish waits for its PUBACK and
 * reads on meanwhile (the PUBLISHes read then are queued until the callback returns): the messages
 * read completely before the loss are still delivered, in order, after the callback returns; an
 * operation whose ack was read before the loss succeeds; nothing buffered after the packet that
 * broke the protocol is delivered. Found by the fuzzer ({@code docs/fuzzing.md}); issue 11.
 */
class InCallbackLossTest {
    private static final long DEADLINE_MILLIS = 10_000;

    private HostileBroker broker;
    private ExecutorService pool;
    private MqttClient client;
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final AtomicReference<Exception> nested = new AtomicReference<>();

    @BeforeEach
    void setUp() throws IOException {
        broker = new HostileBroker();
        pool = Executors.newCachedThreadPool();
        client = new MqttClient("in-callback-loss", HostileBroker.HOST, broker.port(), null, (byte[]) null, 0, null);
        client.setAckTimeout((int) DEADLINE_MILLIS);
        // records "topic=payload"; the first message's callback publishes at QoS 1 and waits for the PUBACK
        client.setCallback((topic, msg, retain, dup, qos) -> {
            received.add(new String(topic, StandardCharsets.UTF_8) + "=" + new String(msg, StandardCharsets.UTF_8));
            if (received.size() == 1) {
                try {
                    client.publish("nested", "n", false, 1);
                } catch (IOException e) {
                    nested.set(e);
                }
            }
        });
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        broker.close();
        pool.shutdownNow();
        assertTrue(pool.awaitTermination(DEADLINE_MILLIS, TimeUnit.MILLISECONDS), "a client call is still blocked");
    }

    /** The packet id of a QoS 1 PUBLISH read from the client (remaining length below 128). */
    private static int packetId(byte[] publish) {
        int topicLength = (publish[2] & 0xFF) << 8 | publish[3] & 0xFF;
        return (publish[4 + topicLength] & 0xFF) << 8 | publish[5 + topicLength] & 0xFF;
    }

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

    @Test
    void messagesReadWhileTheCallbackWaitedAreDeliveredAfterItReturnsThenTheLossIsReported() throws Exception {
        Session s = broker.play(conn -> {
            conn.acceptConnect();
            conn.write(publish("first", "1", 1, 5));
            conn.expect(3); // the callback's publish
            conn.write(publish("second", "2", 0, 0), publish("third", "3", 1, 6));
            conn.close(); // end of stream before the callback's PUBACK
        });
        client.connect(true, (int) DEADLINE_MILLIS);
        within(pool.submit(() -> client.waitMsg()));
        assertEquals(List.of("first=1", "second=2", "third=3"), received,
                "the messages read before the loss are delivered after the callback returns, in order");
        assertInstanceOf(IOException.class, nested.get(), "the callback's publish fails: its PUBACK never came");
        IOException e = assertInstanceOf(IOException.class, catchFrom(pool.submit(() -> client.waitMsg())));
        assertTrue(e.getMessage().contains("connection lost"), e.getMessage());
        assertEquals(ConnectionState.LOST, client.state());
        s.awaitEnd(DEADLINE_MILLIS);
    }

    @Test
    void messagesReadWhileTheCallbackWaitedAreDeliveredByTheNextWaitMsgWhenTheCallbackThrew() throws Exception {
        client.setCallback((topic, msg, retain, dup, qos) -> {
            received.add(new String(topic, StandardCharsets.UTF_8) + "=" + new String(msg, StandardCharsets.UTF_8));
            if (received.size() == 1) {
                try {
                    client.publish("nested", "n", false, 1);
                } catch (IOException e) {
                    nested.set(e);
                }
                throw new IllegalStateException("the callback fails after its publish failed");
            }
        });
        Session s = broker.play(conn -> {
            conn.acceptConnect();
            conn.write(publish("first", "1", 1, 5));
            conn.expect(3); // the callback's publish
            conn.write(publish("second", "2", 0, 0), publish("third", "3", 1, 6));
            conn.close(); // end of stream before the callback's PUBACK
        });
        client.connect(true, (int) DEADLINE_MILLIS);
        assertInstanceOf(IllegalStateException.class, catchFrom(pool.submit(() -> client.waitMsg())));
        assertEquals(List.of("first=1"), received);
        within(pool.submit(() -> client.waitMsg()));
        assertEquals(List.of("first=1", "second=2", "third=3"), received,
                "the next waitMsg delivers the messages read before the loss, in order");
        IOException e = assertInstanceOf(IOException.class, catchFrom(pool.submit(() -> client.waitMsg())));
        assertTrue(e.getMessage().contains("connection lost"), e.getMessage());
        s.awaitEnd(DEADLINE_MILLIS);
    }

    @Test
    void anOperationWhoseAckWasReadBeforeTheLossSucceeds() throws Exception {
        Session s = broker.play(conn -> {
            conn.acceptConnect();
            int op = packetId(conn.expect(3)); // the caller's publish; its thread reads for the PUBACK
            conn.write(publish("first", "1", 1, 5));
            conn.expect(3); // the callback's publish, on the caller's thread
            conn.write(puback(op));
            conn.close(); // end of stream before the callback's PUBACK
        });
        client.connect(true, (int) DEADLINE_MILLIS);
        within(pool.submit(() -> {
            client.publish("op", "o", false, 1); // must not throw: its PUBACK arrived before the loss
            return null;
        }));
        assertEquals(List.of("first=1"), received);
        assertInstanceOf(IOException.class, nested.get(), "the callback's publish fails: its PUBACK never came");
        assertEquals(ConnectionState.LOST, client.state(), "the end of stream, read before publish returned, is the loss");
        s.awaitEnd(DEADLINE_MILLIS);
    }

    @Test
    void nothingBufferedAfterTheViolationIsDelivered() throws Exception {
        Session s = broker.play(conn -> {
            conn.acceptConnect();
            conn.write(publish("first", "1", 0, 0));
            int id = packetId(conn.expect(3)); // the callback's publish
            // an UNSUBACK for the PUBLISH's id breaks the protocol; a PUBLISH follows in the same write
            conn.write(concat(unsuback(id), publish("after", "x", 0, 0)));
            conn.awaitClientClose(DEADLINE_MILLIS);
        });
        client.connect(true, (int) DEADLINE_MILLIS);
        IOException e = assertInstanceOf(IOException.class, catchFrom(pool.submit(() -> {
            client.loop();
            return null;
        })));
        assertTrue(e.getMessage().contains("UNSUBACK"), e.getMessage());
        assertNotNull(nested.get(), "the callback's publish fails with the violation");
        assertEquals(List.of("first=1"), received, "nothing after the violating packet is delivered");
        s.awaitEnd(DEADLINE_MILLIS);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static Exception catchFrom(Future<?> f) throws Exception {
        try {
            Object r = within(f);
            throw new AssertionError("expected an exception, but returned " + r);
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            return e;
        }
    }
}
