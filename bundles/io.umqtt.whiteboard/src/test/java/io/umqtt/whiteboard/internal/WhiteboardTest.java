package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
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
import io.umqtt.api.MessageListener;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.whiteboard.ConnectionDTO;
import io.umqtt.whiteboard.FailedHandlerDTO;
import io.umqtt.whiteboard.HandlerDTO;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * The whiteboard without a framework: service events are method calls, the connections are
 * {@link FakeConnection}s. Waits are bounded: queue polls, latches and the whiteboard's change
 * notifications.
 * <p>
 * To show that an action sent <em>no</em> SUBSCRIBE or UNSUBSCRIBE, a test follows it with a
 * "barrier" handler on a fresh filter: a connection's reconcile passes run one at a time in the
 * order its filters changed, so when the next SUBSCRIBE is the barrier's alone, the action
 * produced none.
 */
@Timeout(30)
class WhiteboardTest {
    private static final long WAIT_SECONDS = 5;
    private static final long BUNDLE_ID = 7;
    private static final String OWNER = "com.example.sensors [7]";

    private Whiteboard whiteboard;
    private LogCapture log;
    private RuntimeWatch runtime;
    private final AtomicLong nextServiceId = new AtomicLong(100);
    private final Map<Long, Map<String, Object>> handlerProperties = new HashMap<>();

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

    // ------------------------------------------------------------------ reference counting

    @Test
    void firstHandlerSubscribesHigherQosResubscribesLastHandlerUnsubscribes() throws Exception {
        FakeConnection c = connect(1, "plant");
        long h1 = register(new Recorder(), "a/#", 0);
        assertEquals("SUBSCRIBE a/# 0", c.nextOp());
        long h2 = register(new Recorder(), "a/#", 0);
        assertEquals("SUBSCRIBE a/# 0", c.nextOp(), "subscribed again, for h2's retained messages");
        barrier(c, "barrier/1");
        long h3 = register(new Recorder(), "a/#", 1);
        assertEquals("SUBSCRIBE a/# 1", c.nextOp());

        whiteboard.removeHandler(h1);
        whiteboard.removeHandler(h3);
        barrier(c, "barrier/2");
        SubscriptionDTO sub = subscription(1, "a/#");
        assertArrayEquals(new long[] {h2}, sub.handlerServiceIds);
        assertEquals(1, sub.grantedQos, "QoS is not lowered while the filter stays subscribed");

        whiteboard.removeHandler(h2);
        assertEquals("UNSUBSCRIBE a/#", c.nextOp());
        runtime.await(r -> Arrays.stream(connection(r, 1).subscriptions).noneMatch(s -> s.filter.equals("a/#")),
                "a/# gone from the runtime view");
    }

    @Test
    void filtersOverlappingOneAskedAtQos1AreSubscribedAtQos1() throws Exception {
        // mosquitto delivers a message matching several subscriptions once, at the QoS of the
        // most specific one; a QoS 0 'a/+' would turn the QoS 1 handler's 'a/b' into QoS 0
        FakeConnection c = connect(1, "plant");
        register(new Recorder(), "a/+", 0);
        assertEquals("SUBSCRIBE a/+ 0", c.nextOp());
        register(new Recorder(), "a/#", 1);
        assertEquals(java.util.Set.of("SUBSCRIBE a/+ 1", "SUBSCRIBE a/# 1"),
                java.util.Set.of(c.nextOp(), c.nextOp()));
        register(new Recorder(), "a/b/c", 0);
        assertEquals("SUBSCRIBE a/b/c 1", c.nextOp(), "a new filter overlapping 'a/#' starts at QoS 1");
        register(new Recorder(), "b/+", 0);
        assertEquals("SUBSCRIBE b/+ 0", c.nextOp(), "a filter overlapping none stays at QoS 0");
        assertEquals(1, subscription(1, "a/b/c").requestedQos);
    }

    @Test
    void aHandlerAskingQos2IsSubscribedAtQos2AndOverlappingFiltersAtLeastAtQos1() throws Exception {
        FakeConnection c = connect(1, "plant");
        register(new Recorder(), "q/+", 0);
        assertEquals("SUBSCRIBE q/+ 0", c.nextOp());
        register(new Recorder(), "q/#", 2);
        assertEquals(java.util.Set.of("SUBSCRIBE q/+ 1", "SUBSCRIBE q/# 2"),
                java.util.Set.of(c.nextOp(), c.nextOp()));
        // a handler asking QoS 2 on a filter raised to QoS 1 gets QoS 2, not the raise
        register(new Recorder(), "q/+", 2);
        assertEquals("SUBSCRIBE q/+ 2", c.nextOp());
        assertEquals(2, subscription(1, "q/+").requestedQos);
    }

    @Test
    void handlerRegisteredBeforeItsConnectionIsSubscribedOnceTheConnectionIsUp() throws Exception {
        Recorder r = new Recorder();
        long id = register(r, "plant/+/temp", 1);
        FakeConnection c = newConnection(1, "plant");
        whiteboard.addConnection(c.properties(false), c);
        SubscriptionDTO pending = subscription(1, "plant/+/temp");
        assertEquals(SubscriptionDTO.PENDING, pending.status);
        assertEquals(-1, pending.grantedQos);
        assertArrayEquals(new long[] {id}, pending.handlerServiceIds);
        assertNull(c.ops.poll(), "nothing is subscribed while the connection is down");

        whiteboard.modifiedConnection(c.properties(true));
        assertEquals("SUBSCRIBE plant/+/temp 1", c.nextOp());
        runtime.await(x -> SubscriptionDTO.SUBSCRIBED.equals(find(x, 1, "plant/+/temp").status), "SUBSCRIBED");
        c.deliver("plant/7/temp", "21.5");
        assertEquals("plant/7/temp 21.5", r.next());
    }

    @Test
    void everyFilterIsSubscribedAgainWhenTheConnectionComesBack() throws Exception {
        FakeConnection c = connect(1, "plant");
        register(new Recorder(), "a", 0);
        assertEquals("SUBSCRIBE a 0", c.nextOp());
        register(new Recorder(), "b", 1);
        assertEquals("SUBSCRIBE b 1", c.nextOp());

        c.down = true;
        whiteboard.modifiedConnection(c.properties(false));
        assertEquals(SubscriptionDTO.PENDING, subscription(1, "a").status);
        c.down = false;
        whiteboard.modifiedConnection(c.properties(true));
        List<String> again = List.of(c.nextOp(), c.nextOp());
        assertTrue(again.containsAll(List.of("SUBSCRIBE a 0", "SUBSCRIBE b 1")), again.toString());
        runtime.await(x -> Arrays.stream(connection(x, 1).subscriptions)
                .allMatch(s -> s.status.equals(SubscriptionDTO.SUBSCRIBED)), "both SUBSCRIBED again");
    }

    @Test
    void targetSelectsConnectionsAndFollowsTheirPropertyChanges() throws Exception {
        FakeConnection one = connect(1, "one");
        FakeConnection two = connect(2, "two");
        long id = register(new Recorder(), HandlerConstants.TOPIC, "t/#", HandlerConstants.TARGET,
                "(mqtt.connection.name=one)");
        assertEquals("SUBSCRIBE t/# 0", one.nextOp());
        barrier(two, "barrier/2");
        assertArrayEquals(new long[] {1}, handler(whiteboard.runtimeDTO(), id).connectionServiceIds);

        // connection two now matches the target too
        whiteboard.modifiedConnection(two.properties(true, "mqtt.connection.name", "one"));
        assertEquals("SUBSCRIBE t/# 0", two.nextOp());
        // and connection one no longer does
        whiteboard.modifiedConnection(one.properties(true, "mqtt.connection.name", "renamed"));
        assertEquals("UNSUBSCRIBE t/#", one.nextOp());
        runtime.await(x -> Arrays.equals(new long[] {2}, handler(x, id).connectionServiceIds), "bound to two only");
    }

    @Test
    void unchangedSubscriptionsOnAPropertyChangeDoNothingOtherChangesRebindKeepingTheQueue() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder r = new Recorder();
        long id = register(r, "a", 0);
        assertEquals("SUBSCRIBE a 0", c.nextOp());
        modify(id, "unrelated.property", "changed");
        barrier(c, "barrier/1");

        modify(id, HandlerConstants.TOPIC, new String[] {"b"});
        assertEquals("SUBSCRIBE b 0", c.nextOp());
        assertEquals("UNSUBSCRIBE a", c.nextOp());
        c.deliver("b", "after the change");
        assertEquals("b after the change", r.next());
    }

    @Test
    void sharedSubscriptionIsSubscribedAsGivenAndMatchesItsFilter() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder r = new Recorder();
        register(r, "$share/workers/jobs/+", 1);
        assertEquals("SUBSCRIBE $share/workers/jobs/+ 1", c.nextOp());
        // a broker delivers a shared subscription's messages under their own topic
        assertEquals(1, c.deliver("jobs/42", "do it"));
        assertEquals("jobs/42 do it", r.next());
    }

    /**
     * MQTT 3.1.1 does not say which subscription brought a PUBLISH: a '$share' handler next to an
     * overlapping plain filter on the same connection would get the messages of the plain one
     * too. The later registration is refused on that connection, in the runtime view and the log,
     * and attached once the overlap is gone.
     */
    @Test
    void aFilterOverlappingASharedOneOnTheSameConnectionIsRefused() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder shared = new Recorder();
        long s = register(shared, "$share/g1/t/z", 0);
        assertEquals("SUBSCRIBE $share/g1/t/z 0", c.nextOp());
        Recorder plain = new Recorder();
        long p = register(plain, "t/+", 0);
        barrier(c, "barrier/1");

        FailedHandlerDTO refused = failure(whiteboard.runtimeDTO(), p);
        assertTrue(refused.reason.contains("'t/+'") && refused.reason.contains("'$share/g1/t/z'")
                && refused.reason.contains("service " + s) && refused.reason.contains("connection 'plant'"),
                refused.reason);
        assertEquals(0, handler(whiteboard.runtimeDTO(), p).connectionServiceIds.length);
        String warning = log.text(Level.WARNING);
        assertTrue(warning.contains("MessageHandler service " + p) && warning.contains("'t/+'")
                && warning.contains("connection 'plant'"), warning);
        assertEquals(1, c.deliver("t/z", "1"));
        assertEquals("t/z 1", shared.next());
        assertNull(plain.received.poll(200, TimeUnit.MILLISECONDS), "the refused handler gets nothing");

        whiteboard.removeHandler(s);
        assertEquals(java.util.Set.of("SUBSCRIBE t/+ 0", "UNSUBSCRIBE $share/g1/t/z"),
                java.util.Set.of(c.nextOp(), c.nextOp()), "the refused handler is attached once the overlap is gone");
        runtime.await(r -> Arrays.stream(r.failedHandlers).noneMatch(f -> f.serviceId == p), "no longer refused");
        c.deliver("t/z", "2");
        assertEquals("t/z 2", plain.next());
    }

    @Test
    void aSharedFilterOverlappingAPlainOrAnotherGroupsOneIsRefusedButTheSameSharedFilterIsNot() throws Exception {
        FakeConnection c = connect(1, "plant");
        long plain = register(new Recorder(), "t/#", 0);
        assertEquals("SUBSCRIBE t/# 0", c.nextOp());
        long shared = register(new Recorder(), "$share/g1/t/z", 0);
        long otherGroup = register(new Recorder(), "$share/g2/u/v", 0);
        assertEquals("SUBSCRIBE $share/g2/u/v 0", c.nextOp(), "no overlap with anything");
        long sameGroupOtherFilter = register(new Recorder(), "$share/g2/u/+", 0);
        long sameFilter = register(new Recorder(), "$share/g2/u/v", 0);
        long unrelated = register(new Recorder(), "w", 0);
        assertEquals("SUBSCRIBE w 0", c.nextOp());

        WhiteboardRuntimeDTO dto = whiteboard.runtimeDTO();
        assertTrue(failure(dto, shared).reason.contains("'t/#'"), failure(dto, shared).reason);
        assertTrue(failure(dto, sameGroupOtherFilter).reason.contains("'$share/g2/u/v'"),
                failure(dto, sameGroupOtherFilter).reason);
        assertEquals(java.util.Set.of(shared, sameGroupOtherFilter),
                Arrays.stream(dto.failedHandlers).map(f -> f.serviceId).collect(java.util.stream.Collectors.toSet()));
        assertArrayEquals(new long[] {otherGroup, sameFilter}, find(dto, 1, "$share/g2/u/v").handlerServiceIds);
        assertArrayEquals(new long[] {1}, handler(dto, plain).connectionServiceIds);
        assertArrayEquals(new long[] {1}, handler(dto, unrelated).connectionServiceIds);
    }

    /**
     * Among many plain filters, a shared one conflicts only with those it overlaps, and a plain one
     * only with an overlapping shared one; a shared filter that went away conflicts no more. (The
     * check compares a plain filter with the shared entries only: this pins what it decides.)
     */
    @Test
    void amongManyPlainFiltersOnlyOverlapsWithASharedOneConflict() throws Exception {
        FakeConnection c = connect(1, "plant");
        for (int i = 0; i < 200; i++) {
            register(new Recorder(), "p/" + i, 0);
        }
        long sharedOverPlain = register(new Recorder(), "$share/g/p/42", 0);
        long sharedAlone = register(new Recorder(), "$share/g/q/+", 0);
        long plainUnderShared = register(new Recorder(), "q/7", 0);
        long plainElsewhere = register(new Recorder(), "r/7", 0);
        long sameShared = register(new Recorder(), "$share/g/q/+", 0);
        runtime.await(r -> r.failedHandlers.length == 2, "two refused handlers");

        WhiteboardRuntimeDTO dto = whiteboard.runtimeDTO();
        assertTrue(failure(dto, sharedOverPlain).reason.contains("'$share/g/p/42' overlaps 'p/42'"),
                failure(dto, sharedOverPlain).reason);
        assertTrue(failure(dto, plainUnderShared).reason.contains("'q/7' overlaps '$share/g/q/+'"),
                failure(dto, plainUnderShared).reason);
        for (long attached : new long[] {sharedAlone, plainElsewhere, sameShared}) {
            assertArrayEquals(new long[] {1}, handler(dto, attached).connectionServiceIds, "handler " + attached);
        }

        whiteboard.removeHandler(sharedAlone);
        whiteboard.removeHandler(sameShared);
        runtime.await(r -> r.failedHandlers.length == 1 && Arrays.stream(r.handlers).anyMatch(
                h -> h.serviceId == plainUnderShared && h.connectionServiceIds.length == 1),
                "'q/7' attached once '$share/g/q/+' is gone");
        assertTrue(failure(whiteboard.runtimeDTO(), sharedOverPlain).reason.contains("'p/42'"));
    }

    @Test
    void aConnectionAppearingLaterRefusesTheLaterOfTwoOverlappingHandlers() throws Exception {
        long shared = register(new Recorder(), "$share/g1/t/z", 0);
        long plain = register(new Recorder(), "t/z", 0);
        FakeConnection c = connect(1, "plant");
        assertEquals("SUBSCRIBE $share/g1/t/z 0", c.nextOp());
        barrier(c, "barrier/1");
        WhiteboardRuntimeDTO dto = whiteboard.runtimeDTO();
        assertTrue(failure(dto, plain).reason.contains("'$share/g1/t/z'"), failure(dto, plain).reason);
        assertArrayEquals(new long[] {1}, handler(dto, shared).connectionServiceIds);
    }

    /** The gateway's handlers of one shared subscription share its messages: round robin, each in order. */
    @Test
    void handlersOfOneSharedSubscriptionTakeTurns() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        register(a, "$share/g1/jobs/+", 1);
        assertEquals("SUBSCRIBE $share/g1/jobs/+ 1", c.nextOp());
        long idB = register(b, "$share/g1/jobs/+", 1);
        for (int i = 1; i <= 6; i++) {
            assertEquals(1, c.deliver("jobs/" + i, "job"));
        }
        assertEquals("jobs/1 job", a.next());
        assertEquals("jobs/3 job", a.next());
        assertEquals("jobs/5 job", a.next());
        assertEquals("jobs/2 job", b.next());
        assertEquals("jobs/4 job", b.next());
        assertEquals("jobs/6 job", b.next());

        whiteboard.removeHandler(idB);
        c.deliver("jobs/7", "job");
        c.deliver("jobs/8", "job");
        assertEquals("jobs/7 job", a.next());
        assertEquals("jobs/8 job", a.next());
        assertNull(b.received.poll(100, TimeUnit.MILLISECONDS));
    }

    /** Brokers send no retained messages for a shared subscription: a second handler causes no SUBSCRIBE. */
    @Test
    void aSecondSharedHandlerSendsNoSubscribeForRetainedMessages() throws Exception {
        FakeConnection c = connect(1, "plant");
        register(new Recorder(), "$share/g1/jobs/+", 0);
        assertEquals("SUBSCRIBE $share/g1/jobs/+ 0", c.nextOp());
        register(new Recorder(), "$share/g1/jobs/+", 0);
        barrier(c, "barrier/1");
        assertEquals(SubscriptionDTO.SUBSCRIBED, subscription(1, "$share/g1/jobs/+").status);
    }

    // ------------------------------------------------------------------ invalid registrations

    @Test
    void invalidRegistrationsAreLoggedWithBundleAndServiceIdAndIgnored() throws Exception {
        FakeConnection c = connect(1, "plant");
        long badFilter = register(new Recorder(), "a/#/b", 0);
        long badQos = register(new Recorder(), "a", 3);
        long badTarget = register(new Recorder(), HandlerConstants.TOPIC, "a", HandlerConstants.TARGET, "(oops");
        long noTopic = register(new Recorder(), "some.property", "x");
        Recorder good = new Recorder();
        long goodId = register(good, "a", 0);
        assertEquals("SUBSCRIBE a 0", c.nextOp(), "only the valid handler subscribes");

        WhiteboardRuntimeDTO dto = whiteboard.runtimeDTO();
        assertEquals(List.of(goodId), Arrays.stream(dto.handlers).map(h -> h.serviceId).collect(toList()));
        assertEquals(List.of(badFilter, badQos, badTarget, noTopic),
                Arrays.stream(dto.failedHandlers).map(f -> f.serviceId).collect(toList()));
        assertTrue(failure(dto, badFilter).reason.contains("'a/#/b'"), failure(dto, badFilter).reason);
        assertTrue(failure(dto, badFilter).reason.contains("'#' is allowed only as the last level"));
        assertTrue(failure(dto, badQos).reason.contains("mqtt.qos must be 0, 1 or 2, found 3"));
        assertTrue(failure(dto, badTarget).reason.contains("mqtt.target is not a valid LDAP filter: '(oops'"));
        assertTrue(failure(dto, noTopic).reason.contains("mqtt.topic must be"));
        assertEquals(BUNDLE_ID, failure(dto, badQos).bundleId);

        String warnings = log.text(Level.WARNING);
        for (long id : new long[] {badFilter, badQos, badTarget, noTopic}) {
            assertTrue(warnings.contains("MessageHandler service " + id + " of bundle " + OWNER + " is ignored: "),
                    warnings);
        }
        c.deliver("a", "still works");
        assertEquals("a still works", good.next());
    }

    @Test
    void aPropertyChangeCanMakeAnInvalidRegistrationValidAndBackAgain() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder r = new Recorder();
        long id = register(r, "a/#/b", 0);
        assertEquals(1, whiteboard.runtimeDTO().failedHandlers.length);
        modify(id, HandlerConstants.TOPIC, "a/#");
        assertEquals("SUBSCRIBE a/# 0", c.nextOp());
        assertEquals(0, whiteboard.runtimeDTO().failedHandlers.length);
        modify(id, HandlerConstants.QOS, "two");
        assertEquals("UNSUBSCRIBE a/#", c.nextOp());
        FailedHandlerDTO f = whiteboard.runtimeDTO().failedHandlers[0];
        assertEquals(id, f.serviceId);
        assertTrue(f.reason.contains("mqtt.qos must be 0, 1 or 2, found 'two'"), f.reason);
        whiteboard.removeHandler(id);
        assertEquals(0, whiteboard.runtimeDTO().failedHandlers.length);
    }

    // ------------------------------------------------------------------ dispatch

    @Test
    void aMessageMatchingSeveralFiltersOfOneHandlerReachesItOnce() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder both = new Recorder();
        register(both, HandlerConstants.TOPIC, new String[] {"a/+", "a/#", "a/b"});
        for (int i = 0; i < 3; i++) {
            assertTrue(c.nextOp().startsWith("SUBSCRIBE a"));
        }
        assertEquals(1, c.deliver("a/b", "one"), "one listener for the whole whiteboard");
        c.deliver("a/c", "marker");
        assertEquals("a/b one", both.next());
        assertEquals("a/c marker", both.next(), "no second copy of a/b before the marker");
        assertEquals(2, connection(whiteboard.runtimeDTO(), 1).received);
    }

    @Test
    void everyHandlerGetsItsOwnArraysAndMessagesInArrivalOrder() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder first = new Recorder();
        Recorder second = new Recorder();
        register(first, "s/#", 0);
        register(second, "s/+", 0);
        c.nextOp();
        c.nextOp();
        int n = 500;
        for (int i = 0; i < n; i++) {
            c.deliver("s/" + i, Integer.toString(i));
        }
        for (int i = 0; i < n; i++) {
            MqttMessage a = first.poll();
            MqttMessage b = second.poll();
            assertEquals("s/" + i, a.topicString());
            assertEquals("s/" + i, b.topicString());
            assertArrayEquals(a.payload(), b.payload());
            assertNotSame(a.payload(), b.payload());
            assertNotSame(a.topic(), b.topic());
            assertSame(c, a.connection());
            assertSame(c, b.connection());
        }
        HandlerDTO h = whiteboard.runtimeDTO().handlers[0];
        assertEquals(n, h.delivered);
        assertEquals(0, h.dropped);
    }

    @Test
    void aThrowingHandlerIsLoggedAndCountedAndTheOthersCarryOn() throws Exception {
        FakeConnection c = connect(1, "plant");
        CountDownLatch lastCall = new CountDownLatch(1);
        long thrower = register(message -> {
            if (new String(message.payload(), StandardCharsets.UTF_8).equals("last")) {
                lastCall.countDown();
                return;
            }
            throw new IllegalStateException("handler bug " + message.topicString());
        }, "x", 0);
        Recorder fine = new Recorder();
        register(fine, "x", 0);
        c.nextOp();
        for (int i = 0; i < 3; i++) {
            c.deliver("x", Integer.toString(i));
        }
        c.deliver("x", "last");
        for (int i = 0; i < 3; i++) {
            assertEquals("x " + i, fine.next());
        }
        assertEquals("x last", fine.next());
        // calls are serial: once the fourth runs, the three failures before it are counted
        assertTrue(lastCall.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(3, handler(whiteboard.runtimeDTO(), thrower).failed);
        List<String> warnings = log.lines(Level.WARNING);
        long logged = warnings.stream().filter(w -> w.contains("MessageHandler service " + thrower + " of bundle "
                + OWNER + " threw on") && w.contains("handler bug x")).count();
        assertEquals(2, logged, "failures 1 and 2 logged, 3 only counted:\n" + warnings);
        assertTrue(c.isConnected(), "the connection is untouched");
    }

    @Test
    void aSlowHandlerDoesNotStallTheOthers() throws Exception {
        FakeConnection c = connect(1, "plant");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        Recorder slow = new Recorder(m -> {
            blocked.countDown();
            release.await();
        });
        Recorder fast = new Recorder();
        register(slow, "x/#", 0);
        register(fast, "x/#", 0);
        c.nextOp();
        c.deliver("x/0", "first");
        assertTrue(blocked.await(WAIT_SECONDS, TimeUnit.SECONDS));
        for (int i = 1; i <= 50; i++) {
            c.deliver("x/" + i, "more");
        }
        for (int i = 0; i <= 50; i++) {
            assertEquals("x/" + i, fast.poll().topicString(), "the fast handler is not held up");
        }
        release.countDown();
        for (int i = 0; i <= 50; i++) {
            assertEquals("x/" + i, slow.poll().topicString());
        }
    }

    @Test
    void aFullQueueDropsItsOldestMessagesCountsAndLogsThem() throws Exception {
        whiteboard.update(Settings.of(2, 5));
        FakeConnection c = connect(1, "plant");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch markerStarted = new CountDownLatch(1);
        CountDownLatch markerRelease = new CountDownLatch(1);
        Recorder slow = new Recorder(m -> {
            if (m.topicString().equals("q/end")) {
                markerStarted.countDown();
                markerRelease.await();
            }
            blocked.countDown();
            release.await();
        });
        long id = register(slow, "q/+", 0);
        c.nextOp();
        c.deliver("q/0", "in the handler");
        assertTrue(blocked.await(WAIT_SECONDS, TimeUnit.SECONDS));
        for (int i = 1; i <= 12; i++) {
            c.deliver("q/" + i, "queued");
        }
        HandlerDTO dto = handler(whiteboard.runtimeDTO(), id);
        assertEquals(7, dto.dropped, "q/1..q/7 made room for q/8..q/12");
        assertEquals(5, dto.queued);
        release.countDown();
        assertEquals("q/0", slow.poll().topicString());
        for (int i = 8; i <= 12; i++) {
            assertEquals("q/" + i, slow.poll().topicString(), "the newest five survive, in order");
        }
        log.await(Level.INFO, "caught up: its queue ran empty after an overflow that dropped 7 messages");
        c.deliver("q/end", "marker");
        // calls are serial: while the marker's call waits, the six before it are counted
        assertTrue(markerStarted.await(WAIT_SECONDS, TimeUnit.SECONDS));
        dto = handler(whiteboard.runtimeDTO(), id);
        markerRelease.countDown();
        assertEquals("q/end", slow.poll().topicString());
        assertEquals(6, dto.delivered);
        assertEquals(7, dto.dropped);
        String text = log.text(Level.INFO);
        assertTrue(text.contains("MessageHandler service " + id + " of bundle " + OWNER + " is too slow: its queue of "
                + "5 messages is full"), text);
        assertEquals(1, log.lines(Level.WARNING).size(), "one warning per overflow, not per drop");
    }

    @Test
    void aHandlerMayPublishAndRegisterAndUnregisterHandlersFromHandle() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder late = new Recorder();
        long[] self = new long[1];
        self[0] = register(message -> {
            message.connection().publish("reply/" + message.topicString(), "ok".getBytes(StandardCharsets.UTF_8),
                    1, false);
            register(late, "late/topic", 1);
            whiteboard.removeHandler(self[0]);
        }, "control", 0);
        assertEquals("SUBSCRIBE control 0", c.nextOp());
        c.deliver("control", "go");
        assertEquals("SUBSCRIBE late/topic 1", c.nextOp());
        assertEquals("UNSUBSCRIBE control", c.nextOp());
        assertEquals(List.of("reply/control ok qos 1"), c.published);
        c.deliver("late/topic", "hello");
        assertEquals("late/topic hello", late.next());
    }

    @Test
    void anUnregisteredHandlerGetsNoMoreCallsAndItsQueueIsDiscarded() throws Exception {
        FakeConnection c = connect(1, "plant");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        Recorder slow = new Recorder(m -> {
            blocked.countDown();
            release.await();
        });
        long id = register(slow, "u", 0);
        c.nextOp();
        c.deliver("u", "0");
        assertTrue(blocked.await(WAIT_SECONDS, TimeUnit.SECONDS));
        c.deliver("u", "1");
        c.deliver("u", "2");
        whiteboard.removeHandler(id);
        release.countDown();
        assertEquals("u 0", slow.next(), "the call in progress finishes");
        log.await(Level.INFO, "MessageHandler service " + id + " of bundle " + OWNER
                + " was unregistered with 2 messages still queued; they were discarded");
        assertEquals("UNSUBSCRIBE u", c.nextOp());
        assertEquals(0, c.deliver("u", "3"), "unsubscribed: no listener left");
        assertNull(slow.received.poll(), "no call after unregistration");
    }

    /** A handler unregistered while its queue overflows: the drops of that overflow are logged with the discard. */
    @Test
    void aHandlerUnregisteredDuringAnOverflowLogsItsDrops() throws Exception {
        whiteboard.update(Settings.of(2, 5));
        FakeConnection c = connect(1, "plant");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        Recorder slow = new Recorder(m -> {
            blocked.countDown();
            release.await();
        });
        long id = register(slow, "q/+", 0);
        c.nextOp();
        c.deliver("q/0", "in the handler");
        assertTrue(blocked.await(WAIT_SECONDS, TimeUnit.SECONDS));
        for (int i = 1; i <= 12; i++) {
            c.deliver("q/" + i, "queued");
        }
        whiteboard.removeHandler(id);
        release.countDown();
        log.await(Level.INFO, "MessageHandler service " + id + " of bundle " + OWNER
                + " was unregistered with 5 messages still queued; they were discarded");
        String text = log.text(Level.INFO);
        assertTrue(text.contains("7 messages were dropped in the overflow it was in"), text);
    }

    // ------------------------------------------------------------------ retained messages

    @Test
    void aHandlerJoiningASubscribedFilterGetsItsRetainedMessagesAndTheEarlierOneNoSecondCopy() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("cfg/a", "1");
        c.retain("cfg/b", "2");
        Recorder early = new Recorder();
        register(early, "cfg/#", 0);
        assertEquals("SUBSCRIBE cfg/# 0", c.nextOp());
        assertRetained(early, "cfg/a 1", "cfg/b 2");

        Recorder late = new Recorder();
        register(late, "cfg/#", 0);
        assertEquals("SUBSCRIBE cfg/# 0", c.nextOp(), "subscribed again: the broker sends the retained messages again");
        assertRetained(late, "cfg/a 1", "cfg/b 2");
        // the SUBACK is recorded (a live message that comes before that tells nothing)
        barrier(c, "barrier/cfg");
        // per-handler order is arrival order: a second copy would come before the live message
        c.publishRetained("cfg/c", "3", 0);
        assertLive(early, "cfg/c 3");
        assertLive(late, "cfg/c 3");

        // that live message came after both SUBSCRIBEs' retained messages: a third handler
        // gets the current ones, the first two nothing again, not even the cfg/c they had live
        Recorder third = new Recorder();
        register(third, "cfg/#", 0);
        assertEquals("SUBSCRIBE cfg/# 0", c.nextOp());
        assertRetained(third, "cfg/a 1", "cfg/b 2", "cfg/c 3");
        c.deliver("cfg/marker", "m");
        for (Recorder r : List.of(early, late, third)) {
            assertLive(r, "cfg/marker m");
        }
        // cfg/a and cfg/b went to the third handler only: nothing was withheld from everyone
        assertEquals(0, connection(whiteboard.runtimeDTO(), 1).retainedWithheld);
    }

    @Test
    void theRepeatedSubscribeKeepsTheQosSubscribedAndAHigherQosOneBringsNoSecondCopy() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("q/x", "1");
        Recorder one = new Recorder();
        long oneId = register(one, "q/x", 1);
        assertEquals("SUBSCRIBE q/x 1", c.nextOp());
        assertRetained(one, "q/x 1");
        Recorder zero = new Recorder();
        register(zero, "q/x", 0);
        assertEquals("SUBSCRIBE q/x 1", c.nextOp(), "a QoS 0 handler joining does not lower the QoS");
        assertRetained(zero, "q/x 1");
        whiteboard.removeHandler(oneId);
        barrier(c, "barrier/q");
        Recorder another = new Recorder();
        register(another, "q/x", 0);
        assertEquals("SUBSCRIBE q/x 1", c.nextOp(), "never lowered while the filter stays subscribed");
        assertRetained(another, "q/x 1");
        assertEquals(1, subscription(1, "q/x").requestedQos);

        // a handler asking more raises the QoS with a SUBSCRIBE that brings the retained
        // messages to it alone; a QoS 1 live message tells that the earlier ones are complete
        c.retain("r/a", "1");
        Recorder low = new Recorder();
        register(low, "r/#", 0);
        assertEquals("SUBSCRIBE r/# 0", c.nextOp());
        assertRetained(low, "r/a 1");
        Recorder high = new Recorder();
        register(high, "r/#", 1);
        assertEquals("SUBSCRIBE r/# 1", c.nextOp());
        assertRetained(high, "r/a 1");
        barrier(c, "barrier/r");
        c.publishRetained("r/b", "2", 1);
        assertLive(low, "r/b 2");
        assertLive(high, "r/b 2");
        Recorder last = new Recorder();
        register(last, "r/#", 0);
        assertEquals("SUBSCRIBE r/# 1", c.nextOp());
        assertRetained(last, "r/a 1", "r/b 2");
        c.deliver("r/end", "marker");
        for (Recorder r : List.of(low, high, last)) {
            assertLive(r, "r/end marker");
        }
        c.deliver("q/x", "marker");
        assertLive(zero, "q/x marker");
        assertLive(another, "q/x marker");
    }

    @Test
    void overlappingFiltersGiveEachHandlerEachRetainedMessageOnce() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("o/a/b", "1");
        c.retain("o/c", "2");
        Recorder wide = new Recorder();
        register(wide, "o/#", 0);
        assertEquals("SUBSCRIBE o/# 0", c.nextOp());
        assertRetained(wide, "o/a/b 1", "o/c 2");

        // a new overlapping filter: its o/a/b matches o/# too, whose handler has it
        Recorder narrow = new Recorder();
        register(narrow, "o/a/+", 0);
        assertEquals("SUBSCRIBE o/a/+ 0", c.nextOp());
        assertRetained(narrow, "o/a/b 1");

        // a handler on both filters: both are subscribed again, o/a/b comes twice, it gets it once
        Recorder both = new Recorder();
        register(both, HandlerConstants.TOPIC, new String[] {"o/#", "o/a/+"});
        assertEquals(java.util.Set.of("SUBSCRIBE o/# 0", "SUBSCRIBE o/a/+ 0"),
                java.util.Set.of(c.nextOp(), c.nextOp()));
        assertRetained(both, "o/a/b 1", "o/c 2");
        barrier(c, "barrier/o");
        c.deliver("o/a/end", "m");
        for (Recorder r : List.of(wide, narrow, both)) {
            assertLive(r, "o/a/end m");
        }

        // after that live message, another new overlapping filter: its o/c goes to its handler only
        Recorder plus = new Recorder();
        register(plus, "o/+", 0);
        assertEquals("SUBSCRIBE o/+ 0", c.nextOp());
        assertRetained(plus, "o/c 2");
        c.deliver("o/end", "m");
        assertLive(wide, "o/end m");
        assertLive(both, "o/end m");
        assertLive(plus, "o/end m");
        assertNull(narrow.received.poll());
        assertEquals(1, connection(whiteboard.runtimeDTO(), 1).retainedWithheld,
                "the second o/a/b of the two SUBSCRIBEs for 'both' went to nobody");
    }

    @Test
    void severalHandlersJoiningAtOnceShareOneSubscribe() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("co/x", "1");
        Recorder first = new Recorder();
        register(first, "co/x", 0);
        assertEquals("SUBSCRIBE co/x 0", c.nextOp());
        assertRetained(first, "co/x 1");

        // the reconciler is busy with another filter while three handlers join
        c.closeGate();
        register(new Recorder(), "co/busy", 0);
        c.awaitAtGate(WAIT_SECONDS);
        List<Recorder> joiners = List.of(new Recorder(), new Recorder(), new Recorder());
        for (Recorder r : joiners) {
            register(r, "co/x", 0);
        }
        c.openGate();
        assertEquals("SUBSCRIBE co/busy 0", c.nextOp());
        assertEquals("SUBSCRIBE co/x 0", c.nextOp());
        barrier(c, "barrier/co1");
        for (Recorder r : joiners) {
            assertRetained(r, "co/x 1");
        }

        // a SUBSCRIBE of the filter is on its way while three more join: they share the next one
        c.closeGate();
        Recorder during = new Recorder();
        register(during, "co/x", 0);
        c.awaitAtGate(WAIT_SECONDS);
        List<Recorder> more = List.of(new Recorder(), new Recorder(), new Recorder());
        for (Recorder r : more) {
            register(r, "co/x", 0);
        }
        c.openGate();
        assertEquals("SUBSCRIBE co/x 0", c.nextOp(), "the one on its way");
        assertEquals("SUBSCRIBE co/x 0", c.nextOp(), "one for the three that joined meanwhile");
        barrier(c, "barrier/co2");
        assertRetained(during, "co/x 1");
        for (Recorder r : more) {
            assertRetained(r, "co/x 1");
        }
        c.deliver("co/x", "live");
        assertLive(first, "co/x live");
        for (Recorder r : joiners) {
            assertLive(r, "co/x live");
        }
        assertLive(during, "co/x live");
        for (Recorder r : more) {
            assertLive(r, "co/x live");
        }
    }

    @Test
    void aHandlerLeavingBeforeItsSubscribeCausesNoneAndOneLeavingDuringItGetsNothing() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("lv/x", "1");
        Recorder stays = new Recorder();
        register(stays, "lv/x", 0);
        assertEquals("SUBSCRIBE lv/x 0", c.nextOp());
        assertRetained(stays, "lv/x 1");

        c.closeGate();
        register(new Recorder(), "lv/busy", 0);
        c.awaitAtGate(WAIT_SECONDS);
        Recorder brief = new Recorder();
        whiteboard.removeHandler(register(brief, "lv/x", 0));
        c.openGate();
        assertEquals("SUBSCRIBE lv/busy 0", c.nextOp());
        barrier(c, "barrier/lv1"); // no SUBSCRIBE lv/x: nobody waits for its retained messages

        c.closeGate();
        Recorder leaving = new Recorder();
        long leavingId = register(leaving, "lv/x", 0);
        c.awaitAtGate(WAIT_SECONDS);
        whiteboard.removeHandler(leavingId);
        c.openGate();
        assertEquals("SUBSCRIBE lv/x 0", c.nextOp(), "it was on its way when the handler left");
        barrier(c, "barrier/lv2");
        c.deliver("lv/x", "live");
        assertLive(stays, "lv/x live");
        assertNull(brief.received.poll());
        assertNull(leaving.received.poll());
        assertEquals(1, connection(whiteboard.runtimeDTO(), 1).retainedWithheld);
    }

    @Test
    void retainedMessagesOfAnEarlierSubscribeStillOnTheWireReachBothHandlersOnce() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("w/a", "1");
        c.retain("w/b", "2");
        c.holdRetained = true;
        Recorder a = new Recorder();
        register(a, "w/#", 0);
        assertEquals("SUBSCRIBE w/# 0", c.nextOp());
        Recorder b = new Recorder();
        register(b, "w/#", 0);
        assertEquals("SUBSCRIBE w/# 0", c.nextOp());
        // the first SUBSCRIBE's retained messages arrive only now, after the second was sent
        assertEquals(2, c.releaseRetained());
        assertEquals(2, c.releaseRetained());
        assertRetained(a, "w/a 1", "w/b 2");
        assertRetained(b, "w/a 1", "w/b 2");
        c.deliver("w/end", "m");
        assertLive(a, "w/end m");
        assertLive(b, "w/end m");
        assertEquals(2, connection(whiteboard.runtimeDTO(), 1).retainedWithheld,
                "the second SUBSCRIBE's copies went to nobody");
    }

    @Test
    void aQos0LiveMessageOvertakingQos1RetainedMessagesDoesNotCutThemOff() throws Exception {
        // a broker holds QoS 1 messages back beyond its in-flight window while QoS 0 ones go
        // out at once: the QoS 0 message says nothing about the QoS 1 retained messages
        FakeConnection c = connect(1, "plant");
        c.retain("ov/a", "1");
        Recorder early = new Recorder();
        register(early, "ov/#", 1);
        assertEquals("SUBSCRIBE ov/# 1", c.nextOp());
        assertRetained(early, "ov/a 1");
        c.holdRetained = true;
        Recorder late = new Recorder();
        register(late, "ov/#", 1);
        assertEquals("SUBSCRIBE ov/# 1", c.nextOp()); // answered, its retained message still held back
        barrier(c, "barrier/ov"); // the SUBACK is recorded
        c.deliver("ov/live", "0", 0);
        assertLive(early, "ov/live 0");
        assertLive(late, "ov/live 0");
        assertEquals(1, c.releaseRetained());
        assertRetained(late, "ov/a 1");
        c.deliver("ov/end", "1", 1);
        assertLive(early, "ov/end 1");
        assertLive(late, "ov/end 1");
    }

    @Test
    void afterAReconnectEveryHandlerGetsTheRetainedMessagesAgainOnce() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("rc/x", "1");
        Recorder a = new Recorder();
        register(a, "rc/x", 0);
        assertEquals("SUBSCRIBE rc/x 0", c.nextOp());
        Recorder b = new Recorder();
        register(b, "rc/x", 0);
        assertEquals("SUBSCRIBE rc/x 0", c.nextOp());
        Recorder two = new Recorder(); // on two filters that both match rc/x
        register(two, HandlerConstants.TOPIC, new String[] {"rc/x", "rc/+"});
        assertEquals(java.util.Set.of("SUBSCRIBE rc/x 0", "SUBSCRIBE rc/+ 0"),
                java.util.Set.of(c.nextOp(), c.nextOp()));
        assertRetained(a, "rc/x 1");
        assertRetained(b, "rc/x 1");
        assertRetained(two, "rc/x 1");

        c.down = true;
        whiteboard.modifiedConnection(c.properties(false));
        c.down = false;
        c.retain("rc/x", "2"); // changed while the connection was down
        // a robust connection restores its subscription itself before it says connected: the
        // retained message this brings goes to nobody, the whiteboard's SUBSCRIBE brings it
        long withheld = connection(whiteboard.runtimeDTO(), 1).retainedWithheld;
        c.restore("rc/x");
        assertEquals(withheld + 1, connection(whiteboard.runtimeDTO(), 1).retainedWithheld);
        whiteboard.modifiedConnection(c.properties(true));
        assertEquals(java.util.Set.of("SUBSCRIBE rc/x 0", "SUBSCRIBE rc/+ 0"),
                java.util.Set.of(c.nextOp(), c.nextOp()));
        assertRetained(a, "rc/x 2");
        assertRetained(b, "rc/x 2");
        assertRetained(two, "rc/x 2");
        c.deliver("rc/x", "live");
        assertLive(a, "rc/x live");
        assertLive(b, "rc/x live");
        assertLive(two, "rc/x live");
    }

    @Test
    void aHandlerThatChangesItsFiltersGetsTheRetainedMessagesOfTheNewOnesOnly() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.retain("md/a", "1");
        c.retain("md/b", "2");
        Recorder h = new Recorder();
        long id = register(h, "md/a", 0);
        assertEquals("SUBSCRIBE md/a 0", c.nextOp());
        assertRetained(h, "md/a 1");
        modify(id, HandlerConstants.TOPIC, new String[] {"md/a", "md/b"});
        assertEquals("SUBSCRIBE md/b 0", c.nextOp());
        barrier(c, "barrier/md1"); // md/a stays as it was
        assertRetained(h, "md/b 2");
        // a higher QoS subscribes both again; their retained messages go to nobody
        modify(id, HandlerConstants.QOS, 1);
        assertEquals(java.util.Set.of("SUBSCRIBE md/a 1", "SUBSCRIBE md/b 1"),
                java.util.Set.of(c.nextOp(), c.nextOp()));
        c.deliver("md/a", "live");
        assertLive(h, "md/a live");
        assertEquals(2, connection(whiteboard.runtimeDTO(), 1).retainedWithheld);
    }

    // ------------------------------------------------------------------ SUBACK outcomes

    @Test
    void subackOutcomesAreVisibleInTheRuntimeView() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.refused.add("secret/#");
        c.maxQos = 0;
        register(new Recorder(), "secret/#", 1);
        assertEquals("SUBSCRIBE secret/# 1", c.nextOp());
        register(new Recorder(), "downgraded", 1);
        assertEquals("SUBSCRIBE downgraded 1", c.nextOp());
        runtime.await(r -> !find(r, 1, "downgraded").status.equals(SubscriptionDTO.SUBSCRIBING)
                && !find(r, 1, "secret/#").status.equals(SubscriptionDTO.SUBSCRIBING)
                && !find(r, 1, "downgraded").status.equals(SubscriptionDTO.PENDING), "both answered");
        SubscriptionDTO refused = subscription(1, "secret/#");
        assertEquals(SubscriptionDTO.REFUSED, refused.status);
        assertEquals(-1, refused.grantedQos);
        assertEquals(1, refused.requestedQos);
        assertTrue(refused.failure.contains("0x80"), refused.failure);
        SubscriptionDTO downgraded = subscription(1, "downgraded");
        assertEquals(SubscriptionDTO.SUBSCRIBED, downgraded.status);
        assertEquals(1, downgraded.requestedQos);
        assertEquals(0, downgraded.grantedQos);
        assertNull(downgraded.failure);
        assertTrue(log.text(Level.WARNING).contains("connection 'plant' (service 1): 'secret/#' (QoS 1) for handlers"));

        // a failure without an answer is retried when the connection is up again
        c.down = true;
        register(new Recorder(), "lost", 0);
        assertEquals("SUBSCRIBE lost 0", c.nextOp());
        runtime.await(r -> find(r, 1, "lost").status.equals(SubscriptionDTO.FAILED), "FAILED");
        assertTrue(subscription(1, "lost").failure.contains("not connected"));
        whiteboard.modifiedConnection(c.properties(false));
        c.down = false;
        c.refused.clear();
        whiteboard.modifiedConnection(c.properties(true));
        List<String> retried = List.of(c.nextOp(), c.nextOp(), c.nextOp());
        assertTrue(retried.containsAll(List.of("SUBSCRIBE lost 0", "SUBSCRIBE secret/# 1", "SUBSCRIBE downgraded 1")),
                retried.toString());
    }

    @Test
    void aMessageForAnotherListenerOfTheConnectionIsLeftToIt() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder r = new Recorder();
        register(r, "a/+", 0);
        assertEquals("SUBSCRIBE a/+ 0", c.nextOp());
        List<MqttMessage> other = new java.util.concurrent.CopyOnWriteArrayList<>();
        c.subscribe("b/#", 0, other::add); // someone else's listener on the same connection
        assertEquals("SUBSCRIBE b/# 0", c.nextOp());
        assertEquals(1, c.deliver("b/c", "theirs"), "taken by the other listener only");
        assertEquals(1, c.deliver("a/b", "ours"), "taken by the whiteboard only");
        assertEquals("a/b ours", r.next());
        assertEquals(1, other.size());
        ConnectionDTO counts = connection(whiteboard.runtimeDTO(), 1);
        assertEquals(1, counts.received, "the other listener's message is not the whiteboard's");
        assertEquals(0, counts.unmatched);
    }

    @Test
    void aMessageAnotherListenersSubscriptionBringsSkipsAFilterTheBrokerRefused() throws Exception {
        FakeConnection c = connect(1, "plant");
        c.refused.add("r/#");
        Recorder kept = new Recorder();
        register(kept, "x", 0);
        assertEquals("SUBSCRIBE x 0", c.nextOp());
        Recorder refused = new Recorder();
        register(refused, "r/#", 0);
        assertEquals("SUBSCRIBE r/# 0", c.nextOp());
        runtime.await(r -> SubscriptionDTO.REFUSED.equals(find(r, 1, "r/#").status), "REFUSED");
        List<MqttMessage> other = new java.util.concurrent.CopyOnWriteArrayList<>();
        c.subscribe("r/a", 0, other::add); // someone else's listener on the same connection
        assertEquals("SUBSCRIBE r/a 0", c.nextOp());
        assertEquals(1, c.deliver("r/a", "theirs"), "only the other listener takes it");
        c.deliver("x", "marker");
        assertEquals("x marker", kept.next());
        assertNull(refused.received.poll(), "the refused filter's handler gets nothing, as its SUBSCRIBE did not stand");
        assertEquals(1, other.size());
        assertEquals(0, connection(whiteboard.runtimeDTO(), 1).unmatched);
    }

    @Test
    void aMessageDeliveredAfterTheConnectionWentAwayIsTakenButNotDispatched() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder r = new Recorder();
        register(r, "gone/+", 0);
        assertEquals("SUBSCRIBE gone/+ 0", c.nextOp());
        whiteboard.removeConnection(1);
        assertEquals(1, c.deliver("gone/x", "late"), "the whiteboard's filter: taken");
        log.await(Level.INFO, "arrived after the whiteboard let go of the connection and was not dispatched");
        assertEquals(0, c.deliver("other", "not ours"), "no filter of the whiteboard: left to the connection");
        assertNull(r.received.poll());
    }

    // ------------------------------------------------------------------ connections leaving, closing

    @Test
    void aConnectionThatGoesAwayKeepsItsSubscriptionsAndDispatchesNoMore() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder r = new Recorder();
        long id = register(r, "gone", 0);
        assertEquals("SUBSCRIBE gone 0", c.nextOp());
        MessageListener listener = c.listener("gone");
        whiteboard.removeConnection(1);
        assertEquals(0, whiteboard.runtimeDTO().connections.length);
        assertEquals(0, handler(whiteboard.runtimeDTO(), id).connectionServiceIds.length);
        listener.messageArrived(new FakeConnection.TestMessage("gone", "late", c));
        log.await(Level.INFO, "arrived after the whiteboard let go of the connection and was not dispatched");
        assertNull(r.received.poll());
        FakeConnection next = connect(2, "plant");
        assertEquals("SUBSCRIBE gone 0", next.nextOp());
        assertNull(c.ops.poll(), "no UNSUBSCRIBE on a connection whose service is gone");
    }

    @Test
    void closeUnsubscribesEverythingAndStopsDispatching() throws Exception {
        FakeConnection c = connect(1, "plant");
        Recorder r = new Recorder();
        register(r, "one", 0);
        register(r, "two", 1);
        List<String> subscribed = List.of(c.nextOp(), c.nextOp());
        assertTrue(subscribed.containsAll(List.of("SUBSCRIBE one 0", "SUBSCRIBE two 1")));
        MessageListener listener = c.listener("one");
        whiteboard.close();
        List<String> unsubscribed = List.of(c.nextOp(), c.nextOp());
        assertTrue(unsubscribed.containsAll(List.of("UNSUBSCRIBE one", "UNSUBSCRIBE two")), unsubscribed.toString());
        listener.messageArrived(new FakeConnection.TestMessage("one", "after close", c));
        assertNull(r.received.poll(), "nothing dispatched after close");
        register(new Recorder(), "three", 0);
        assertNull(c.ops.poll(), "a closed whiteboard takes no new handlers");
    }

    @Test
    void changesAreAnnouncedWithAGrowingCount() throws Exception {
        List<Long> counts = new java.util.concurrent.CopyOnWriteArrayList<>();
        Semaphore announced = new Semaphore(0);
        whiteboard.setChangeListener(count -> {
            counts.add(count);
            announced.release();
        });
        long before = whiteboard.changeCount();
        connect(1, "plant");
        assertTrue(announced.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(counts.get(0) > before);
        register(new Recorder(), "x", 0);
        assertTrue(announced.tryAcquire(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(whiteboard.changeCount() > counts.get(0));
    }

    // ------------------------------------------------------------------ helpers

    // ------------------------------------------------------------------ invalid topics

    @Test
    void aMessageWithAnInvalidTopicNameGoesToNoHandler() throws Exception {
        // the umqtt clients never deliver one (they close the connection); another implementation might
        FakeConnection c = connect(1, "plant");
        Recorder all = new Recorder();
        register(all, "#", 0);
        assertEquals("SUBSCRIBE # 0", c.nextOp());
        Recorder plus = new Recorder();
        register(plus, "a/+", 0);
        assertEquals("SUBSCRIBE a/+ 0", c.nextOp());
        runtime.await(r -> Arrays.stream(connection(r, 1).subscriptions).allMatch(
                s -> SubscriptionDTO.SUBSCRIBED.equals(s.status)), "both SUBSCRIBED");

        c.deliver("a/#", "wildcard");
        c.deliver("a/+", "plus");
        c.deliver("a/\u0000", "nul");
        c.deliver("a/b", "valid");
        assertEquals("a/b valid", all.next(), "the invalid ones were dropped, the valid one came through");
        assertEquals("a/b valid", plus.next());
        log.await(Level.WARNING, "connection 'plant' (service 1) delivered a message whose topic is not a valid "
                + "MQTT topic name (topic must not contain wildcards, found '#' at byte 2 in 'a/#'); it was "
                + "dispatched to no handler (1 so far");
        log.await(Level.WARNING, "(2 so far");
        ConnectionDTO counts = connection(whiteboard.runtimeDTO(), 1); // counted on the delivering thread
        assertEquals(4, counts.received);
        assertEquals(3, counts.unmatched, "the three invalid ones count as unmatched");
    }

    /** A connection not added to the whiteboard yet. */
    FakeConnection newConnection(long serviceId, String name) {
        return new FakeConnection(serviceId, name);
    }

    private FakeConnection connect(long serviceId, String name) {
        FakeConnection c = newConnection(serviceId, name);
        whiteboard.addConnection(c.properties(true), c);
        return c;
    }

    /** Registers a handler with {@code mqtt.topic} and {@code mqtt.qos}. */
    private long register(MessageHandler handler, String topic, int qos) {
        return register(handler, HandlerConstants.TOPIC, topic, HandlerConstants.QOS, qos);
    }

    /** Registers a handler with the given properties ({@code key, value, ...}). */
    private long register(MessageHandler handler, Object... keyValues) {
        long id = nextServiceId.incrementAndGet();
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, id);
        p.put(Constants.SERVICE_BUNDLEID, BUNDLE_ID);
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put((String) keyValues[i], keyValues[i + 1]);
        }
        handlerProperties.put(id, p);
        handlers.put(id, handler);
        whiteboard.addHandler(p, OWNER, handler);
        return id;
    }

    private final Map<Long, MessageHandler> handlers = new java.util.concurrent.ConcurrentHashMap<>();

    private void modify(long id, Object... keyValues) {
        Map<String, Object> p = new HashMap<>(handlerProperties.get(id));
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put((String) keyValues[i], keyValues[i + 1]);
        }
        handlerProperties.put(id, p);
        whiteboard.modifiedHandler(p, OWNER, handlers.get(id));
    }

    /**
     * Registers a handler on a fresh filter, for connection {@code c} only, and expects its
     * SUBSCRIBE as the next operation there.
     */
    private void barrier(FakeConnection c, String filter) throws InterruptedException {
        register(new Recorder(), HandlerConstants.TOPIC, filter, HandlerConstants.TARGET,
                "(" + MqttConstants.NAME + "=" + c.name + ")");
        assertEquals("SUBSCRIBE " + filter + " 0", c.nextOp(), "an operation came before the barrier's");
    }

    /** The recorder's next messages are these retained ones ("topic payload"), in this order. */
    private static void assertRetained(Recorder r, String... expected) throws InterruptedException {
        for (String e : expected) {
            MqttMessage m = r.poll();
            assertEquals(e, m.topicString() + " " + new String(m.payload(), StandardCharsets.UTF_8));
            assertTrue(m.retain(), e + " came with RETAIN=1");
        }
    }

    /** The recorder's next message is this live one ("topic payload"). */
    private static void assertLive(Recorder r, String expected) throws InterruptedException {
        MqttMessage m = r.poll();
        assertEquals(expected, m.topicString() + " " + new String(m.payload(), StandardCharsets.UTF_8));
        assertTrue(!m.retain(), expected + " came with RETAIN=0");
    }

    /** Waits until the runtime view satisfies {@code condition}, woken by the change announcements. */

    private SubscriptionDTO subscription(long connectionId, String filter) {
        return find(whiteboard.runtimeDTO(), connectionId, filter);
    }

    private static SubscriptionDTO find(WhiteboardRuntimeDTO dto, long connectionId, String filter) {
        return Arrays.stream(connection(dto, connectionId).subscriptions).filter(s -> s.filter.equals(filter))
                .findFirst().orElseThrow(() -> new AssertionError("no subscription " + filter + " in " + dto));
    }

    private static ConnectionDTO connection(WhiteboardRuntimeDTO dto, long serviceId) {
        return Arrays.stream(dto.connections).filter(c -> c.serviceId == serviceId).findFirst()
                .orElseThrow(() -> new AssertionError("no connection " + serviceId + " in " + dto));
    }

    private static HandlerDTO handler(WhiteboardRuntimeDTO dto, long serviceId) {
        return Arrays.stream(dto.handlers).filter(h -> h.serviceId == serviceId).findFirst()
                .orElseThrow(() -> new AssertionError("no handler " + serviceId + " in " + dto));
    }

    private static FailedHandlerDTO failure(WhiteboardRuntimeDTO dto, long serviceId) {
        return Arrays.stream(dto.failedHandlers).filter(h -> h.serviceId == serviceId).findFirst()
                .orElseThrow(() -> new AssertionError("no failed handler " + serviceId + " in " + dto));
    }

    private static <T> java.util.stream.Collector<T, ?, List<T>> toList() {
        return java.util.stream.Collectors.toList();
    }

    /** A handler that queues what it receives, optionally doing something first. */
    private static final class Recorder implements MessageHandler {
        interface Action {
            void run(MqttMessage m) throws Exception;
        }

        final BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
        private final Action action;

        Recorder() {
            this(m -> {
            });
        }

        Recorder(Action action) {
            this.action = action;
        }

        @Override
        public void handle(MqttMessage message) throws Exception {
            action.run(message);
            received.add(message);
        }

        MqttMessage poll() throws InterruptedException {
            MqttMessage m = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(m, "no message within " + WAIT_SECONDS + " s");
            return m;
        }

        /** The next message as "topic payload". */
        String next() throws InterruptedException {
            MqttMessage m = poll();
            return m.topicString() + " " + new String(m.payload(), StandardCharsets.UTF_8);
        }
    }
}
