package io.umqtt.robust.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.umqtt.api.MqttException;
import io.umqtt.api.MqttProperties;
import io.umqtt.api.SubscriptionOptions;
import io.umqtt.robust.MessageExpiredException;
import io.umqtt.robust.OverflowPolicy;
import io.umqtt.robust.RobustListener;
import io.umqtt.robust.internal.OfflineQueue.Entry;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.PublishToken;
import io.umqtt.simple.internal.LogCapture;

/**
 * The outbox's MQTT 5 bookkeeping against a recording port (no wire): queued messages keep their
 * properties, go out with what remains of their message expiry interval or are dropped (counted,
 * logged naming the client, token failed, listener told), and the queue is sent in windows no
 * larger than the broker's Receive Maximum.
 */
class OutboxMqtt5Test {
    @TempDir
    Path dir;
    private final AtomicLong now = new AtomicLong(1_000_000);
    private volatile boolean connected;
    private int receiveMaximum = 65_535;
    private final List<String> wire = new ArrayList<>();
    private final List<MqttProperties> sentProperties = new ArrayList<>();
    /** The ack awaits seen, as the number of sends before each: shows the window. */
    private final List<Integer> awaitsAfter = new ArrayList<>();
    private final List<String> droppedReasons = new ArrayList<>();
    /** Whether the listener was called while its thread held the flush lock, per drop. */
    private final List<Boolean> droppedUnderFlushLock = new ArrayList<>();
    /** Acks arrive only when awaited (else at once); counts what is unacknowledged. */
    private boolean slowAcks;
    private int outstanding;
    private int maxOutstanding;
    private LogCapture log;
    private MqttClient client;
    private Outbox outbox;
    private Reconnector reconnector;

    @BeforeEach
    void setUp() throws IOException {
        log = new LogCapture();
        client = new MqttClient("outbox-5", "broker.invalid", 1883) {
            @Override
            public boolean isConnected() {
                return connected;
            }
        };
        ClientPort port = new RecordingPort();
        reconnector = new Reconnector(client, port, 60);
        reconnector.setListener(new RobustListener() {
            @Override
            public void messageDropped(byte[] topic, byte[] payload, int qos, String reason) {
                droppedReasons.add(new String(topic, StandardCharsets.UTF_8) + ": " + reason);
                droppedUnderFlushLock.add(outbox.flushingOnThisThread());
            }
        });
        outbox = new Outbox(client, port, reconnector, 1_000, 1_000_000, OverflowPolicy.DROP_OLDEST, null);
        outbox.setClock(now::get);
        reconnector.start("unused", () -> { }, () -> { }); // thread-driven: publishes never reconnect here
    }

    @AfterEach
    void tearDown() {
        reconnector.stop();
        log.close();
    }

    private static MqttProperties expiring(long seconds) {
        return MqttProperties.builder().messageExpiryInterval(seconds).userProperty("k", "v").build();
    }

    @Test
    void aQueuedMessageGoesOutWithWhatRemainsOfItsExpiryAndTheOthersUnchanged() throws IOException {
        outbox.publishAsync(b("t/10"), b("a"), false, 1, expiring(10));
        outbox.publishAsync(b("t/none"), b("b"), false, 1, MqttProperties.EMPTY);
        MqttProperties ct = MqttProperties.builder().contentType("text/plain").build();
        outbox.publishAsync(b("t/ct"), b("c"), false, 0, ct);
        now.addAndGet(3_500);
        connected = true;
        outbox.flush();
        assertEquals(List.of("t/10", "t/none", "t/ct"), wire);
        assertEquals(7, sentProperties.get(0).messageExpiryInterval(), "10 s - 3 whole seconds waited");
        assertEquals("v", sentProperties.get(0).userProperty("k"), "the other properties stay");
        assertTrue(sentProperties.get(1).isEmpty());
        assertEquals(ct, sentProperties.get(2));
        assertEquals(0, outbox.expired());
    }

    @Test
    void aQueuedMessageWhoseExpiryPassedIsDroppedCountedLoggedAndItsTokenFails() throws IOException {
        PublishToken gone = outbox.publishAsync(b("t/2"), b("a"), false, 1, expiring(2));
        PublishToken kept = outbox.publishAsync(b("t/5"), b("b"), false, 1, expiring(5));
        now.addAndGet(2_000);
        connected = true;
        outbox.flush();
        assertEquals(List.of("t/5"), wire);
        assertEquals(3, sentProperties.get(0).messageExpiryInterval());
        assertEquals(1, outbox.expired());
        assertEquals(1, outbox.dropped());
        assertTrue(gone.isDone());
        assertInstanceOf(MessageExpiredException.class, gone.failure());
        assertTrue(gone.failure().getMessage().contains("MQTT client outbox-5"), gone.failure().getMessage());
        assertTrue(kept.isDone());
        assertEquals(null, kept.failure());
        assertEquals(1, droppedReasons.size());
        assertTrue(droppedReasons.get(0).startsWith("t/2: expired in the offline queue: its message expiry interval "
                + "of 2 s passed while it waited 2.000 s"), droppedReasons.get(0));
        assertTrue(log.text().contains("MQTT client outbox-5 to broker.invalid:1883: message to 't/2' (1 bytes, QoS 1) "
                + "expired in the offline queue"), log.text());
    }

    @Test
    void theListenerHearsOfADropFoundWhileSendingAfterTheFlushLockIsReleased() throws IOException {
        // a listener may publish (e.g. to a dead-letter topic): under the lock that would re-enter the flush
        outbox.publishAsync(b("t/1"), b("a"), false, 1, expiring(1));
        outbox.publishAsync(b("t/9"), b("b"), false, 1, expiring(9));
        now.addAndGet(1_000);
        connected = true;
        outbox.flush();
        assertEquals(List.of("t/9"), wire);
        assertEquals(1, droppedReasons.size(), droppedReasons.toString());
        assertEquals(List.of(false), droppedUnderFlushLock);
    }

    @Test
    void anExpiredMessageInADurableQueueIsDoneOnDiskAndItsPropertiesSurviveARestart() throws IOException {
        Outbox durable = new Outbox(client, new RecordingPort(), reconnector, 100, 100_000,
                OverflowPolicy.DROP_OLDEST, dir);
        durable.setClock(now::get);
        durable.publish(b("t/1"), b("x"), false, 1, expiring(1));
        durable.publish(b("t/60"), b("y"), false, 2, expiring(60));
        durable.closeLog();
        Outbox reloaded = new Outbox(client, new RecordingPort(), reconnector, 100, 100_000,
                OverflowPolicy.DROP_OLDEST, dir);
        reloaded.setClock(now::get);
        now.addAndGet(30_000); // the restart took 30 s
        connected = true;
        reloaded.flush();
        assertEquals(List.of("t/60"), wire);
        assertEquals(30, sentProperties.get(0).messageExpiryInterval(), "60 s - 30 s waited, across the restart");
        assertEquals("v", sentProperties.get(0).userProperty("k"));
        assertEquals(1, reloaded.expired());
        reloaded.closeLog();
        assertEquals(0, QueueLog.open(dir, 64 * 1024, 0).recovered().size(), "both are done on disk");
    }

    @Test
    void theQueueIsSentInWindowsNoLargerThanTheBrokersReceiveMaximum() throws IOException {
        receiveMaximum = 3;
        for (int i = 0; i < 7; i++) {
            outbox.publishAsync(b("t/" + i), b("m"), false, 1, MqttProperties.EMPTY);
        }
        connected = true;
        outbox.flush();
        assertEquals(7, wire.size());
        // no more than 3 sent before the acks of a window are awaited
        assertEquals(List.of(3, 3, 3, 6, 6, 6, 7), awaitsAfter);
    }

    @Test
    void directSendsAndTheQueueTogetherNeverExceedTheReceiveMaximum() throws IOException {
        receiveMaximum = 2;
        slowAcks = true;
        connected = true;
        List<PublishToken> tokens = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            tokens.add(outbox.publishAsync(b("t/" + i), b("m"), false, 1 + i % 2, MqttProperties.EMPTY));
        }
        outbox.flush();
        assertEquals(9, wire.size());
        assertEquals(List.of("t/0", "t/1", "t/2", "t/3", "t/4", "t/5", "t/6", "t/7", "t/8"), wire, "in order");
        assertEquals(2, maxOutstanding, "never more unacknowledged QoS 1/2 PUBLISHes than the Receive Maximum");
        assertTrue(outstanding <= 2, "the last ones await acks nobody has read yet: " + outstanding);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Records what is sent; QoS 1 and 2 come back acknowledged at once. */
    private final class RecordingPort implements ClientPort {
        @Override
        public PublishToken send(Entry e, MqttProperties properties, boolean dup, int packetId) {
            wire.add(new String(e.topic, StandardCharsets.UTF_8));
            sentProperties.add(properties);
            if (e.qos == 0) {
                return null;
            }
            if (!slowAcks) {
                return new Done(wire.size());
            }
            outstanding++;
            maxOutstanding = Math.max(maxOutstanding, outstanding);
            Done d = new Done(wire.size());
            d.done = false;
            return d;
        }

        @Override
        public PublishToken sendQos2(Entry e, MqttProperties properties, boolean dup, int packetId,
                StepRecorder beforeWrite) throws IOException {
            beforeWrite.record(wire.size() + 1);
            return send(e, properties, dup, packetId);
        }

        @Override
        public void awaitPuback(PublishToken sent) {
            awaitsAfter.add(wire.size());
            Done d = (Done) sent;
            if (!d.done) {
                d.done = true; // its ack arrives
                outstanding--;
            }
        }

        @Override
        public int receiveMaximum() {
            return receiveMaximum;
        }

        @Override
        public boolean pubrecReceived(PublishToken sent) {
            return false;
        }

        @Override
        public PublishToken sendPubrel(Entry e) {
            throw new AssertionError();
        }

        @Override
        public void fail(IOException cause) {
            connected = false;
        }

        @Override
        public void closeConnection() {
            connected = false;
        }

        @Override
        public int subscribeNow(String filter, int qos) {
            throw new AssertionError();
        }

        @Override
        public void unsubscribeNow(String filter) {
            throw new AssertionError();
        }

        @Override
        public int[] subscribeNow(String[] filters, int[] qos) {
            throw new AssertionError();
        }

        @Override
        public int subscribeNow(String filter, SubscriptionOptions options) {
            throw new AssertionError();
        }

        @Override
        public int[] subscribeNow(String[] filters, SubscriptionOptions[] options,
                List<io.umqtt.api.UserProperty> userProperties) {
            throw new AssertionError();
        }

        @Override
        public int[] unsubscribeWithCodesNow(String[] filters, List<io.umqtt.api.UserProperty> userProperties) {
            throw new AssertionError();
        }

        @Override
        public void unsubscribeNow(String[] filters) {
            throw new AssertionError();
        }

        @Override
        public String serverReference(MqttException disconnect) {
            return null;
        }

        @Override
        public int protocolVersion() {
            return 5;
        }

        @Override
        public long sessionExpiryInterval() {
            return 0;
        }

        @Override
        public void connectAttempt(String host, int port) throws IOException {
            throw new IOException("no connects here");
        }

        @Override
        public void delay(int attempt) throws InterruptedIOException {
        }

        @Override
        public long backoffMillis(int attempt) {
            return 0;
        }

        @Override
        public void log(boolean inReconnect, Throwable e) {
        }
    }

    /** An acknowledged publish. */
    private static final class Done extends PublishToken {
        private final int id;
        volatile boolean done = true;

        Done(int id) {
            this.id = id;
        }

        @Override
        public int packetId() {
            return id;
        }

        @Override
        public boolean isDone() {
            return done;
        }

        @Override
        public void await() {
        }

        @Override
        public IOException failure() {
            return null;
        }
    }
}
