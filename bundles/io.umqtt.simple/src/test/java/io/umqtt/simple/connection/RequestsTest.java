package io.umqtt.simple.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.MqttProperties;

/**
 * The request/response bookkeeping without a broker: correlation data per request, completion by
 * the matching response, timeouts on the shared timer, failures of the send and of the
 * connection, and that callers' dependent stages never run on the thread that delivers the
 * response (the connection's I/O thread).
 */
@Timeout(30)
class RequestsTest {
    private final BlockingQueue<byte[]> sent = new LinkedBlockingQueue<>();
    private final Requests requests = new Requests(() -> "req");

    private CompletableFuture<MqttMessage> start(long timeoutMillis) {
        return requests.start("request on 'svc/x'", timeoutMillis, sent::add);
    }

    private byte[] nextSent() throws InterruptedException {
        return nextSent(sent);
    }

    /** The correlation data a request was sent with (the sends run on a shared pool, in any order). */
    private static byte[] nextSent(BlockingQueue<byte[]> sent) throws InterruptedException {
        byte[] d = sent.poll(5, TimeUnit.SECONDS);
        assertTrue(d != null, "the sender was not called within 5 s");
        return d;
    }

    private static MqttMessage response(byte[] correlation, String payload) {
        MqttProperties p = correlation == null ? MqttProperties.EMPTY
                : MqttProperties.builder().correlationData(correlation).contentType("text/plain").build();
        return new ReceivedMessage("umqtt/response/c".getBytes(StandardCharsets.UTF_8),
                payload.getBytes(StandardCharsets.UTF_8), 1, false, false, null, null, p);
    }

    private static String payload(CompletableFuture<MqttMessage> f) throws Exception {
        return new String(f.get(5, TimeUnit.SECONDS).payload(), StandardCharsets.UTF_8);
    }

    @Test
    void eachRequestHasItsOwnCorrelationDataAndTheMatchingResponseCompletesIt() throws Exception {
        BlockingQueue<byte[]> sentA = new LinkedBlockingQueue<>();
        BlockingQueue<byte[]> sentB = new LinkedBlockingQueue<>();
        CompletableFuture<MqttMessage> a = requests.start("request on 'svc/x'", 10_000, sentA::add);
        CompletableFuture<MqttMessage> b = requests.start("request on 'svc/x'", 10_000, sentB::add);
        byte[] da = nextSent(sentA);
        byte[] db = nextSent(sentB);
        assertEquals(Requests.CORRELATION_BYTES, da.length);
        assertNotEquals(java.nio.ByteBuffer.wrap(da), java.nio.ByteBuffer.wrap(db));
        assertEquals(2, requests.pending());

        requests.listener.messageArrived(response(db, "for b")); // out of order
        assertEquals("for b", payload(b));
        assertTrue(!a.isDone());
        requests.listener.messageArrived(response(da, "for a"));
        MqttMessage m = a.get(5, TimeUnit.SECONDS);
        assertEquals("for a", new String(m.payload(), StandardCharsets.UTF_8));
        assertEquals("text/plain", m.properties().contentType(), "the response's properties are handed over");
        assertEquals(0, requests.pending());
    }

    @Test
    void aResponseWithoutMatchingCorrelationDataIsCountedAndCompletesNothing() throws Exception {
        CompletableFuture<MqttMessage> f = start(10_000);
        byte[] d = nextSent();
        requests.listener.messageArrived(response(null, "none"));
        requests.listener.messageArrived(response(new byte[] {1, 2, 3}, "other"));
        assertEquals(2, requests.unmatched());
        assertTrue(!f.isDone());
        requests.listener.messageArrived(response(d, "ok"));
        assertEquals("ok", payload(f));
        requests.listener.messageArrived(response(d, "twice"));
        assertEquals(3, requests.unmatched(), "a second response to a completed request matches nothing");
    }

    @Test
    void noResponseInTimeFailsWithATimeoutNamingTheConnectionAndTheRequest() throws Exception {
        CompletableFuture<MqttMessage> f = start(50);
        byte[] d = nextSent();
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        MqttException m = assertInstanceOf(MqttException.class, e.getCause());
        assertEquals(MqttException.Reason.TIMEOUT, m.reason());
        assertEquals("MQTT connection req: no response to the request on 'svc/x' within 50 ms", m.getMessage());
        assertEquals(0, requests.pending());
        requests.listener.messageArrived(response(d, "late"));
        assertEquals(1, requests.unmatched(), "a late response is not an error");
    }

    @Test
    void aFailedSendFailsTheRequest() throws Exception {
        IOException down = new IOException("not connected");
        CompletableFuture<MqttMessage> f = requests.start("request on 'svc/y'", 10_000, d -> {
            throw down;
        });
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertSame(down, e.getCause());
        assertEquals(0, requests.pending());
    }

    @Test
    void failAllFailsEveryPendingRequest() throws Exception {
        CompletableFuture<MqttMessage> a = start(10_000);
        CompletableFuture<MqttMessage> b = start(10_000);
        nextSent();
        nextSent();
        IOException closed = new IOException("closed");
        requests.failAll(closed);
        assertSame(closed, assertThrows(ExecutionException.class, () -> a.get(5, TimeUnit.SECONDS)).getCause());
        assertSame(closed, assertThrows(ExecutionException.class, () -> b.get(5, TimeUnit.SECONDS)).getCause());
        assertEquals(0, requests.pending());
    }

    @Test
    void aCancelledRequestIsForgotten() throws Exception {
        CompletableFuture<MqttMessage> f = start(10_000);
        byte[] d = nextSent();
        f.cancel(false);
        assertEquals(0, requests.pending());
        requests.listener.messageArrived(response(d, "after cancel"));
        assertThrows(CancellationException.class, f::join);
    }

    @Test
    void dependentStagesRunOnARequestWorkerNotOnTheThreadThatDeliversTheResponse() throws Exception {
        CompletableFuture<MqttMessage> f = start(10_000);
        byte[] d = nextSent();
        CompletableFuture<String> ranOn = f.thenApply(m -> Thread.currentThread().getName());
        Thread io = new Thread(() -> {
            try {
                requests.listener.messageArrived(response(d, "x"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "fake-io-thread");
        io.start();
        io.join(5_000);
        String thread = ranOn.get(5, TimeUnit.SECONDS);
        assertTrue(thread.startsWith("umqtt-request-"), thread);
    }

    @Test
    void theResponseTopicIsTheClientsOwnUnderTheDefaultPrefixOrTheBrokersResponseInformation() {
        assertEquals("umqtt/response/gw-1", ClientConnection.responseTopicOf(null, "gw-1"));
        assertEquals("umqtt/response/a_b_c_d", ClientConnection.responseTopicOf("", "a/b+c#d"),
                "a client id cannot add levels or wildcards");
        assertEquals("resp/xyz/gw-1", ClientConnection.responseTopicOf("resp/xyz/", "gw-1"));
        assertEquals("umqtt/response/gw-1", ClientConnection.responseTopicOf("bad/#", "gw-1"));
    }
}
