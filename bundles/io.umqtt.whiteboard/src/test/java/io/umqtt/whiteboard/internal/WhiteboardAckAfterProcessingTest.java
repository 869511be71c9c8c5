package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.Constants;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttMessage;

/**
 * Handlers with {@link HandlerConstants#ACK_AFTER_PROCESSING}: their processing holds the ack of
 * QoS 1 messages on a connection that acknowledges after processing ({@link FakeConnection}
 * records the holds' outcomes in {@code acks}); "not yet" is shown by an outcome of a later
 * action arriving first, or by a handler still blocked.
 */
@Timeout(30)
class WhiteboardAckAfterProcessingTest {
    private static final String OWNER = "com.example.acks [7]";
    private Whiteboard whiteboard;
    private LogCapture log;
    private FakeConnection c;
    private final AtomicLong ids = new AtomicLong(100);

    @BeforeEach
    void start() throws Exception {
        log = new LogCapture();
        whiteboard = new Whiteboard(Settings.of(2, 3));
        c = new FakeConnection(1, "plant");
        c.ackAfterProcessing = true;
        whiteboard.addConnection(c.properties(true), c);
    }

    @AfterEach
    void stop() {
        whiteboard.close();
        log.close();
    }

    private long register(MessageHandler h, String topic, boolean ack) throws InterruptedException {
        long id = ids.incrementAndGet();
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, id);
        p.put(Constants.SERVICE_BUNDLEID, 7L);
        p.put(HandlerConstants.TOPIC, topic);
        p.put(HandlerConstants.QOS, 1);
        if (ack) {
            p.put(HandlerConstants.ACK_AFTER_PROCESSING, "true");
        }
        whiteboard.addHandler(p, OWNER, h);
        String op = c.nextOp();
        assertTrue(op == null || op.startsWith("SUBSCRIBE"), op);
        return id;
    }

    private static String text(MqttMessage m) {
        return m.topicString() + " " + new String(m.payload(), StandardCharsets.UTF_8);
    }

    @Test
    void theAckWaitsForTheHandlerToReturn() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        BlockingQueue<String> handled = new LinkedBlockingQueue<>();
        register(m -> {
            go.await(10, TimeUnit.SECONDS);
            handled.add(text(m));
        }, "a/#", true);

        c.deliver("a/1", "x", 1);
        c.deliver("a/2", "y", 0); // QoS 0: nothing to hold
        assertEquals(1, c.holdsTaken.get(), "one hold, taken while the message was delivered");
        assertNull(c.acks.poll(), "the handler has not returned");
        go.countDown();
        assertEquals("released a/1 x", c.acks.poll(5, TimeUnit.SECONDS));
        assertEquals("a/1 x", handled.poll(5, TimeUnit.SECONDS));
        assertEquals("a/2 y", handled.poll(5, TimeUnit.SECONDS));
        assertNull(c.acks.poll(), "nothing held for QoS 0");
    }

    @Test
    void aHandlerThatThrowsFailsTheHold() throws Exception {
        register(m -> {
            throw new IllegalStateException("cannot store " + text(m));
        }, "a/#", true);
        c.deliver("a/1", "x", 1);
        assertEquals("failed a/1 x: cannot store a/1 x", c.acks.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void onlyHandlersWithThePropertyHoldTheAck() throws Exception {
        CountDownLatch plainDone = new CountDownLatch(1);
        register(m -> {
            plainDone.countDown();
            throw new IllegalStateException("plain handler broke"); // does not count: logged only
        }, "a/#", false);
        CountDownLatch go = new CountDownLatch(1);
        register(m -> go.await(10, TimeUnit.SECONDS), "a/+", true);

        assertEquals(java.util.Set.of(false, true), java.util.Arrays.stream(whiteboard.runtimeDTO().handlers)
                .map(h -> h.ackAfterProcessing).collect(java.util.stream.Collectors.toSet()), "shown in the DTO");
        c.deliver("a/1", "x", 1);
        assertTrue(plainDone.await(5, TimeUnit.SECONDS));
        assertEquals(1, c.holdsTaken.get(), "the handler without the property takes no hold");
        assertNull(c.acks.poll(), "the holding handler has not returned; the plain one's failure does not count");
        go.countDown();
        assertEquals("released a/1 x", c.acks.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void twoHoldingHandlersEachHoldTheAck() throws Exception {
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(1);
        register(m -> first.await(10, TimeUnit.SECONDS), "a/#", true);
        register(m -> second.await(10, TimeUnit.SECONDS), "a/+", true);
        c.deliver("a/1", "x", 1);
        assertEquals(2, c.holdsTaken.get());
        second.countDown();
        assertEquals("released a/1 x", c.acks.poll(5, TimeUnit.SECONDS));
        assertNull(c.acks.poll(), "the other handler's hold is still open");
        first.countDown();
        assertEquals("released a/1 x", c.acks.poll(5, TimeUnit.SECONDS));
    }

    @Test
    void heldMessagesAreNotDroppedWhenTheQueueOverflows() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        BlockingQueue<String> handled = new LinkedBlockingQueue<>();
        register(m -> {
            blocked.countDown();
            go.await(10, TimeUnit.SECONDS);
            handled.add(text(m));
        }, "a/#", true);
        c.deliver("a/0", "first", 1); // taken by the handler, which blocks
        assertTrue(blocked.await(5, TimeUnit.SECONDS));
        // capacity 3: three held messages and QoS 0 ones beyond it
        c.deliver("a/1", "h1", 1);
        c.deliver("a/2", "q0", 0);
        c.deliver("a/3", "h2", 1);
        c.deliver("a/4", "h3", 1);
        c.deliver("a/5", "h4", 1);
        go.countDown();
        for (String expected : new String[] {"a/0 first", "a/1 h1", "a/3 h2", "a/4 h3", "a/5 h4"}) {
            assertEquals(expected, handled.poll(5, TimeUnit.SECONDS), "held messages are kept, in order");
        }
        for (String expected : new String[] {"a/0 first", "a/1 h1", "a/3 h2", "a/4 h3", "a/5 h4"}) {
            assertEquals("released " + expected, c.acks.poll(5, TimeUnit.SECONDS));
        }
        log.await(Level.WARNING, "is too slow"); // the QoS 0 message was the one dropped
    }

    @Test
    void messagesQueuedWhenTheHandlerGoesAreNotAcknowledged() throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        long id = register(m -> {
            blocked.countDown();
            go.await(10, TimeUnit.SECONDS);
        }, "a/#", true);
        c.deliver("a/0", "running", 1);
        assertTrue(blocked.await(5, TimeUnit.SECONDS));
        c.deliver("a/1", "queued", 1);
        whiteboard.removeHandler(id);
        assertTrue(c.acks.poll(5, TimeUnit.SECONDS).startsWith("failed a/1 queued: "));
        go.countDown();
        assertEquals("released a/0 running", c.acks.poll(5, TimeUnit.SECONDS), "the call under way completes");
    }

    @Test
    void thePropertyIsABooleanOrItsString() {
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, 1L);
        p.put(HandlerConstants.TOPIC, "a");
        assertEquals(false, HandlerInfo.parse(p, OWNER).ackAfterProcessing(), "off by default");
        p.put(HandlerConstants.ACK_AFTER_PROCESSING, Boolean.TRUE);
        assertEquals(true, HandlerInfo.parse(p, OWNER).ackAfterProcessing());
        p.put(HandlerConstants.ACK_AFTER_PROCESSING, " TRUE ");
        assertEquals(true, HandlerInfo.parse(p, OWNER).ackAfterProcessing());
        p.put(HandlerConstants.ACK_AFTER_PROCESSING, "false");
        assertEquals(false, HandlerInfo.parse(p, OWNER).ackAfterProcessing());
        p.put(HandlerConstants.ACK_AFTER_PROCESSING, "yes");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HandlerInfo.parse(p, OWNER));
        assertEquals("mqtt.ack.after.processing must be true or false (a Boolean or a String), found 'yes'",
                e.getMessage());
    }

    @Test
    void onAConnectionThatAcknowledgesOnReceiptThePropertyIsLoggedOnce() throws Exception {
        c.ackAfterProcessing = false;
        BlockingQueue<String> handled = new LinkedBlockingQueue<>();
        register(m -> handled.add(text(m)), "a/#", true);
        c.deliver("a/1", "x", 1);
        c.deliver("a/2", "y", 1);
        assertEquals("a/1 x", handled.poll(5, TimeUnit.SECONDS));
        assertEquals("a/2 y", handled.poll(5, TimeUnit.SECONDS));
        log.await(Level.WARNING, "connection plant acknowledges messages on receipt");
        assertEquals(1, log.lines(Level.WARNING).stream().filter(l -> l.contains("acknowledges messages on receipt"))
                .count(), "logged once");
        assertNull(c.acks.poll());
    }
}
