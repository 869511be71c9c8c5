package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.Constants;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * The reconciler sends one SUBSCRIBE for all the filters that need one and one UNSUBSCRIBE for
 * all that are no longer wanted: handlers registered before the connection is up, handlers
 * registered during one reconcile pass, a connection coming back, handlers leaving, the
 * whiteboard closing. Packets are counted by {@link FakeConnection#packets}; a refused filter is
 * still reported on its own handlers.
 */
@Timeout(30)
class WhiteboardBatchingTest {
    private static final long WAIT_SECONDS = 5;
    private static final String OWNER = "com.example.batch [9]";

    private Whiteboard whiteboard;
    private LogCapture log;
    private RuntimeWatch runtime;
    private final AtomicLong nextServiceId = new AtomicLong(500);
    private final MessageHandler handler = m -> { };

    @BeforeEach
    void start() {
        log = new LogCapture();
        whiteboard = new Whiteboard(Settings.of(2, 1000));
        runtime = new RuntimeWatch(whiteboard, WAIT_SECONDS);
    }

    @AfterEach
    void stop() {
        whiteboard.close();
        log.close();
    }

    private long register(String topic, int qos) {
        long id = nextServiceId.incrementAndGet();
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, id);
        p.put(Constants.SERVICE_BUNDLEID, 9L);
        p.put(HandlerConstants.TOPIC, topic);
        p.put(HandlerConstants.QOS, qos);
        whiteboard.addHandler(p, OWNER, handler);
        return id;
    }

    private SubscriptionDTO subscription(WhiteboardRuntimeDTO dto, String filter) {
        return Arrays.stream(dto.connections[0].subscriptions).filter(s -> s.filter.equals(filter)).findFirst()
                .orElse(null);
    }


    /** The packet's type and filters, in any order (the reconciler keeps its filters in a hash map). */
    private static void assertPacket(String expected, String actual) {
        assertEquals(items(expected), items(actual), actual);
    }

    private static Set<String> items(String packet) {
        if (packet == null) {
            return null;
        }
        int space = packet.indexOf(' ');
        Set<String> items = new HashSet<>(Arrays.asList(packet.substring(space + 1).split(", ")));
        items.add(packet.substring(0, space));
        assertEquals(packet.split(", ").length + 1, items.size(), "no filter twice in " + packet);
        return items;
    }

    private boolean status(WhiteboardRuntimeDTO dto, String filter, String status) {
        SubscriptionDTO s = subscription(dto, filter);
        return s != null && status.equals(s.status);
    }

    @Test
    void handlersRegisteredBeforeTheConnectionIsUpShareOneSubscribeAndARefusalStaysWithItsHandler()
            throws Exception {
        FakeConnection c = new FakeConnection(1, "plant");
        c.refused.add("c/#");
        whiteboard.addConnection(c.properties(false), c);
        register("a/1", 0);
        register("b/+", 1);
        long refusedHandler = register("c/#", 0);
        register("d", 0);
        assertNull(c.packets.poll(), "nothing while the connection is down");

        whiteboard.modifiedConnection(c.properties(true));
        assertPacket("SUBSCRIBE a/1 0, b/+ 1, c/# 0, d 0", c.nextPacket());
        runtime.await(dto -> status(dto, "a/1", SubscriptionDTO.SUBSCRIBED) && status(dto, "b/+",
                SubscriptionDTO.SUBSCRIBED) && status(dto, "d", SubscriptionDTO.SUBSCRIBED) && status(dto, "c/#",
                        SubscriptionDTO.REFUSED), "three subscribed, c/# refused");
        SubscriptionDTO refused = subscription(whiteboard.runtimeDTO(), "c/#");
        assertArrayEquals(new long[] {refusedHandler}, refused.handlerServiceIds);
        assertTrue(refused.failure.contains("refused"), refused.failure);
        assertTrue(refused.failure.contains("'c/#'"), refused.failure);
        assertNull(subscription(whiteboard.runtimeDTO(), "a/1").failure);
        log.await(java.util.logging.Level.WARNING, "c/#");
        assertNull(c.packets.poll(), "one packet only: " + c.packets);
    }

    @Test
    void aConnectionComingBackIsRestoredWithOneSubscribe() throws Exception {
        FakeConnection c = new FakeConnection(1, "plant");
        whiteboard.addConnection(c.properties(true), c);
        register("x/1", 1);
        assertEquals("SUBSCRIBE x/1 1", c.nextPacket());
        register("x/2", 0);
        assertEquals("SUBSCRIBE x/2 0", c.nextPacket());
        register("x/3", 0);
        assertEquals("SUBSCRIBE x/3 0", c.nextPacket());
        runtime.await(dto -> status(dto, "x/3", SubscriptionDTO.SUBSCRIBED), "x/3 subscribed");

        whiteboard.modifiedConnection(c.properties(false));
        whiteboard.modifiedConnection(c.properties(true));
        assertPacket("SUBSCRIBE x/1 1, x/2 0, x/3 0", c.nextPacket());
        runtime.await(dto -> status(dto, "x/1", SubscriptionDTO.SUBSCRIBED) && status(dto, "x/2",
                SubscriptionDTO.SUBSCRIBED) && status(dto, "x/3", SubscriptionDTO.SUBSCRIBED), "all back");
        assertNull(c.packets.poll());
    }

    @Test
    void handlersRegisteredDuringOnePassShareTheNextSubscribeAndLeaversShareOneUnsubscribe() throws Exception {
        FakeConnection c = new FakeConnection(1, "plant");
        whiteboard.addConnection(c.properties(true), c);
        c.closeGate();
        register("first", 0);
        c.awaitAtGate(WAIT_SECONDS); // the SUBSCRIBE of 'first' is on its way
        long y = register("y", 0);
        long z = register("z/#", 1);
        long w = register("w/+", 0);
        c.openGate();
        assertEquals("SUBSCRIBE first 0", c.nextPacket());
        assertPacket("SUBSCRIBE y 0, z/# 1, w/+ 0", c.nextPacket()); // the three that came meanwhile, together
        runtime.await(dto -> status(dto, "w/+", SubscriptionDTO.SUBSCRIBED), "w/+ subscribed");

        c.closeGate();
        register("hold", 0);
        c.awaitAtGate(WAIT_SECONDS);
        whiteboard.removeHandler(y);
        whiteboard.removeHandler(z);
        whiteboard.removeHandler(w);
        c.openGate();
        assertEquals("SUBSCRIBE hold 0", c.nextPacket());
        assertPacket("UNSUBSCRIBE y, z/#, w/+", c.nextPacket()); // the three that left, together
        runtime.await(dto -> subscription(dto, "y") == null && subscription(dto, "z/#") == null
                && subscription(dto, "w/+") == null, "the three gone");
    }

    @Test
    void closingTheWhiteboardUnsubscribesEveryFilterInOnePacket() throws Exception {
        FakeConnection c = new FakeConnection(1, "plant");
        whiteboard.addConnection(c.properties(false), c);
        register("p/1", 0);
        register("p/2", 0);
        whiteboard.modifiedConnection(c.properties(true));
        assertEquals("SUBSCRIBE p/1 0, p/2 0", c.nextPacket());
        runtime.await(dto -> status(dto, "p/2", SubscriptionDTO.SUBSCRIBED), "p/2 subscribed");
        whiteboard.close();
        assertPacket("UNSUBSCRIBE p/1, p/2", c.nextPacket());
    }

    @Test
    void aConnectionAnsweringTheWrongNumberOfCodesFailsThoseFiltersAndTheReconcilerGoesOn() throws Exception {
        FakeConnection c = new FakeConnection(1, "plant");
        c.oneCodeShort = true;
        whiteboard.addConnection(c.properties(false), c);
        register("q/1", 0);
        register("q/2", 0);
        whiteboard.modifiedConnection(c.properties(true));
        assertPacket("SUBSCRIBE q/1 0, q/2 0", c.nextPacket());
        runtime.await(dto -> status(dto, "q/1", SubscriptionDTO.FAILED) && status(dto, "q/2", SubscriptionDTO.FAILED),
                "both FAILED");
        String failure = subscription(whiteboard.runtimeDTO(), "q/1").failure;
        assertTrue(failure.contains("the connection answered 1 return codes for a SUBSCRIBE of 2 filters"), failure);
        c.oneCodeShort = false;
        register("q/3", 0);
        assertPacket("SUBSCRIBE q/3 0", c.nextPacket()); // the reconcile task is not stuck
        runtime.await(dto -> status(dto, "q/3", SubscriptionDTO.SUBSCRIBED), "q/3 subscribed");
    }
}
