package io.umqtt.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.simple.MqttClient;
import io.umqtt.simple.testing.MosquittoBroker;
import io.umqtt.whiteboard.ConnectionDTO;
import io.umqtt.whiteboard.HandlerDTO;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.WhiteboardRuntime;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * The whiteboard in Felix: MessageHandler services registered by this test bundle, simple (and
 * once robust) connections configured through ConfigAdmin, a mosquitto in between, and a plain
 * {@link MqttClient} publishing. Every handler targets its test's connections by name, so
 * connections of earlier tests that are still shutting down never feed it.
 * <p>
 * Waits: handler queues and latches for messages, and the {@link WhiteboardRuntime} service's
 * {@code service.changecount} events for subscription states (see {@link #awaitRuntime}).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class WhiteboardIT extends UmqttTestSupport {
    private static final AtomicInteger CLIENTS = new AtomicInteger();

    @Inject
    private LogReaderService logReader;

    /** The current runtime service (a configuration change may re-register it). */
    private ServiceTracker<WhiteboardRuntime, WhiteboardRuntime> runtimes;

    /** Adds the broker harness inside the framework, for the test that restarts its own broker. */
    @Override
    @Configuration
    public Option[] configuration() throws IOException {
        return OptionUtils.combine(super.configuration(), brokerHarness());
    }

    /** Registered by this test (also from handler threads); unregistered after it. */
    private final List<ServiceRegistration<MessageHandler>> handlers = new CopyOnWriteArrayList<>();
    private final Semaphore runtimeChanged = new Semaphore(0);
    private final ServiceListener runtimeListener = event -> runtimeChanged.release();
    private MqttClient publisher;

    @Before
    public void listenToRuntimeChanges() throws Exception {
        runtimes = new ServiceTracker<>(context, WhiteboardRuntime.class, null);
        runtimes.open();
        context.addServiceListener(runtimeListener,
                "(" + Constants.OBJECTCLASS + "=" + WhiteboardRuntime.class.getName() + ")");
        publisher = new MqttClient("wb-it-pub-" + CLIENTS.incrementAndGet(), brokerHost(), brokerPort());
        publisher.connect(true);
    }

    @After
    public void cleanUp() throws IOException {
        context.removeServiceListener(runtimeListener);
        runtimes.close();
        for (ServiceRegistration<MessageHandler> r : handlers) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // the test unregistered it already
            }
        }
        handlers.clear();
        publisher.disconnect();
    }

    @Test
    public void runtimeServiceIsRegisteredWithAChangeCount() throws InterruptedException {
        ServiceReference<WhiteboardRuntime> ref = context.getServiceReference(WhiteboardRuntime.class);
        assertNotNull(ref);
        assertEquals("io.umqtt.whiteboard", ref.getBundle().getSymbolicName());
        assertTrue(ref.getProperty(Constants.SERVICE_CHANGECOUNT) instanceof Long);
        WhiteboardRuntimeDTO dto = dto();
        assertEquals(2, dto.threads);
        assertEquals(1000, dto.queueCapacity);
    }

    @Test
    public void configurationChangesApplyWithoutRestartingTheWhiteboard() throws Exception {
        ServiceReference<WhiteboardRuntime> before = context.getServiceReference(WhiteboardRuntime.class);
        org.osgi.service.cm.Configuration config = configAdmin.getConfiguration("io.umqtt.whiteboard", "?");
        try {
            config.update(new Hashtable<>(Map.of("threads", 3, "queue.capacity", 50)));
            awaitRuntime(r -> r.threads == 3 && r.queueCapacity == 50, "threads=3, queue.capacity=50 applied");
            assertEquals("modified in place, not re-registered", before.getProperty(Constants.SERVICE_ID),
                    context.getServiceReference(WhiteboardRuntime.class).getProperty(Constants.SERVICE_ID));

            BlockingQueue<String> refusals = new LinkedBlockingQueue<>();
            LogListener listener = entry -> {
                for (Throwable t = entry.getException(); t != null; t = t.getCause()) {
                    if (String.valueOf(t.getMessage()).contains("threads must be between 1 and 64, found 0")) {
                        refusals.add(t.getMessage());
                    }
                }
            };
            logReader.addLogListener(listener);
            try {
                config.update(new Hashtable<>(Map.of("threads", 0, "queue.capacity", 50)));
                assertNotNull("SCR logged no refusal naming threads=0 within " + TIMEOUT_MILLIS + " ms",
                        refusals.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            } finally {
                logReader.removeLogListener(listener);
            }
            awaitConfigurationEventsDelivered();
            assertEquals("a bad value leaves the previous configuration in force", 3, dto().threads);
        } finally {
            config.update(new Hashtable<>(Map.of("threads", 2, "queue.capacity", 1000)));
            awaitRuntime(r -> r.threads == 2 && r.queueCapacity == 1000, "defaults again");
            config.delete();
            // SCR has reacted to the deletion before the next test registers anything
            awaitConfigurationEventsDelivered();
        }
    }

    @Test
    public void handlersComeAndGoWhileMessagesFlow() throws Exception {
        configureSimple("wb-flow");
        awaitConnected("wb-flow");
        Collector a = new Collector();
        ServiceRegistration<MessageHandler> regA = register(a, "wb-flow", 0, "wb/flow/+");
        awaitSubscribed("wb-flow", "wb/flow/+");

        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicReference<Exception> publishFailure = new AtomicReference<>();
        Thread flow = new Thread(() -> {
            try {
                for (int i = 0; publishing.get(); i++) {
                    publisher.publish("wb/flow/" + i, Integer.toString(i), false, 1);
                }
            } catch (IOException e) {
                publishFailure.set(e);
            }
        }, "wb-it-flow");
        flow.start();
        try {
            a.awaitCount(20);
            Collector b = new Collector();
            ServiceRegistration<MessageHandler> regB = register(b, "wb-flow", 1, "wb/flow/#");
            b.awaitCount(20);
            regA.unregister();
            int aAtUnregistration = a.count();
            int bAtUnregistration = b.count();
            b.awaitCount(bAtUnregistration + 20);
            awaitRuntime(r -> subscriptions(r, "wb-flow").keySet().equals(Set.of("wb/flow/#")),
                    "wb/flow/+ unsubscribed once its only handler left");
            publishing.set(false);
            flow.join(TIMEOUT_MILLIS);
            assertEquals(null, publishFailure.get());

            // at most the call in progress when it was unregistered
            assertTrue("handler A was called after its unregistration", a.count() <= aAtUnregistration + 1);
            assertIncreasing(a.payloads());
            // in order and without duplicates; a gap only where B's own queue overflowed (drop oldest,
            // the documented policy, which a heavily loaded machine can trigger) and as many as counted
            List<Integer> bs = b.payloads();
            long gaps = 0;
            for (int i = 1; i < bs.size(); i++) {
                assertTrue("B (QoS 1) got messages in order, once: " + bs.get(i - 1) + " then " + bs.get(i),
                        bs.get(i) > bs.get(i - 1));
                gaps += bs.get(i) - bs.get(i - 1) - 1;
            }
            long droppedB = handler(dto(), (Long) regB.getReference().getProperty(Constants.SERVICE_ID)).dropped;
            assertEquals("messages B missed = messages its queue reported dropped", droppedB, gaps);
            SubscriptionDTO remaining = subscriptions(dto(), "wb-flow").get("wb/flow/#");
            assertEquals(SubscriptionDTO.SUBSCRIBED, remaining.status);
            assertEquals(1, remaining.grantedQos);
        } finally {
            publishing.set(false);
            flow.join(TIMEOUT_MILLIS);
        }
    }

    @Test
    public void overlappingFiltersDeliverEachMessageOnceToEachMatchingHandler() throws Exception {
        configureSimple("wb-ov");
        awaitConnected("wb-ov");
        Collector x = new Collector();
        Collector y = new Collector();
        Collector z = new Collector();
        register(x, "wb-ov", 1, "wb/ov/#", "wb/ov/+/temp");
        register(y, "wb-ov", 0, "wb/ov/a/+");
        register(z, "wb-ov", 0, "wb/ov/b/#");
        awaitSubscribed("wb-ov", "wb/ov/#", "wb/ov/+/temp", "wb/ov/a/+", "wb/ov/b/#");

        for (String topic : List.of("wb/ov/a/temp", "wb/ov/b/temp", "wb/ov/a/hum", "wb/ov/c", "wb/ov/a/end",
                "wb/ov/b/end")) {
            publisher.publish(topic, "m", false, 1);
        }
        // each handler's last message is a marker; per-handler order is arrival order, so any
        // second copy of an earlier message would have come before it
        assertEquals(List.of("wb/ov/a/temp", "wb/ov/b/temp", "wb/ov/a/hum", "wb/ov/c", "wb/ov/a/end", "wb/ov/b/end"),
                x.topicsUntil("wb/ov/b/end"));
        assertEquals(List.of("wb/ov/a/temp", "wb/ov/a/hum", "wb/ov/a/end"), y.topicsUntil("wb/ov/a/end"));
        assertEquals(List.of("wb/ov/b/temp", "wb/ov/b/end"), z.topicsUntil("wb/ov/b/end"));
        // mosquitto sends one copy per client, at the QoS of the most specific matching
        // subscription; the whiteboard raised the overlapping QoS 0 filters to QoS 1, so X's
        // messages come at the QoS X asked for
        assertEquals(1, x.received.get(0).qos());
        assertEquals(1, subscriptions(dto(), "wb-ov").get("wb/ov/a/+").grantedQos);
    }

    @Test
    public void aThrowingAndASlowHandlerDoNotHoldUpTheOthersOrTheConnection() throws Exception {
        configureSimple("wb-iso");
        ServiceReference<MqttConnection> connection = awaitConnected("wb-iso");
        CountDownLatch throwerSawMarker = new CountDownLatch(1);
        ServiceRegistration<MessageHandler> thrower = register(message -> {
            if (message.topicString().equals("wb/iso/end")) {
                throwerSawMarker.countDown();
                return;
            }
            throw new IllegalStateException("deliberate failure in a test handler");
        }, "wb-iso", 0, "wb/iso/#");
        CountDownLatch slowBlocked = new CountDownLatch(1);
        CountDownLatch releaseSlow = new CountDownLatch(1);
        Collector slow = new Collector(m -> {
            slowBlocked.countDown();
            releaseSlow.await();
        });
        register(slow, "wb-iso", 0, "wb/iso/#");
        Collector fast = new Collector();
        register(fast, "wb-iso", 1, "wb/iso/#");
        awaitSubscribed("wb-iso", "wb/iso/#");

        try {
            for (int i = 0; i < 20; i++) {
                publisher.publish("wb/iso/" + i, Integer.toString(i), false, 1);
            }
            publisher.publish("wb/iso/end", "-1", false, 1);
            assertTrue(slowBlocked.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            assertEquals("the fast handler got everything while the slow one was blocked", 21,
                    fast.topicsUntil("wb/iso/end").size());
            assertTrue(throwerSawMarker.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            // calls are serial: when the thrower handles the marker, its 20 failures are counted
            HandlerDTO t = handler(dto(), (Long) thrower.getReference().getProperty(
                    Constants.SERVICE_ID));
            assertEquals(20, t.failed);
            assertEquals(Boolean.TRUE, connection.getProperty(MqttConstants.CONNECTED));
        } finally {
            releaseSlow.countDown();
        }
        assertEquals(21, slow.topicsUntil("wb/iso/end").size());
        MqttConnection c = context.getService(connection);
        try {
            assertTrue("the connection is still up", c.isConnected());
        } finally {
            context.ungetService(connection);
        }
    }

    @Test
    public void aHandlerPublishesAtQos0And1FromHandle() throws Exception {
        configureSimple("wb-rpc");
        awaitConnected("wb-rpc");
        register(message -> {
            String id = message.topicString().substring("wb/req/".length());
            message.connection().publish("wb/resp/" + id, message.payload(), 1, false);
            message.connection().publish("wb/resp0/" + id, message.payload(), 0, false);
        }, "wb-rpc", 1, "wb/req/+");
        Collector replies = new Collector();
        register(replies, "wb-rpc", 1, "wb/resp/+", "wb/resp0/+");
        awaitSubscribed("wb-rpc", "wb/req/+", "wb/resp/+", "wb/resp0/+");

        for (int i = 0; i < 5; i++) {
            publisher.publish("wb/req/" + i, "ping " + i, false, 1);
        }
        replies.awaitCount(10);
        Set<String> topics = new HashSet<>(replies.topics());
        for (int i = 0; i < 5; i++) {
            assertTrue(topics.toString(), topics.contains("wb/resp/" + i));
            assertTrue(topics.toString(), topics.contains("wb/resp0/" + i));
        }
    }

    @Test
    public void aHandlerRegistersAndUnregistersHandlersFromHandle() throws Exception {
        configureSimple("wb-ctl");
        awaitConnected("wb-ctl");
        Collector added = new Collector();
        AtomicReference<ServiceRegistration<MessageHandler>> self = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        self.set(register(message -> {
            // service events from a pool thread: SCR calls the whiteboard back on this thread
            register(added, "wb-ctl", 1, "wb/added/+");
            self.get().unregister();
            done.countDown();
        }, "wb-ctl", 0, "wb/ctl"));
        awaitSubscribed("wb-ctl", "wb/ctl");

        publisher.publish("wb/ctl", "go", false, 1);
        assertTrue("handle() did not finish: deadlock?", done.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        awaitRuntime(r -> subscriptions(r, "wb-ctl").keySet().equals(Set.of("wb/added/+"))
                && SubscriptionDTO.SUBSCRIBED.equals(subscriptions(r, "wb-ctl").get("wb/added/+").status),
                "wb/added/+ subscribed and wb/ctl gone");
        publisher.publish("wb/added/1", "hello", false, 1);
        assertEquals(List.of("wb/added/1"), added.topicsUntil("wb/added/1"));
    }

    @Test
    public void aHandlerRegisteredBeforeItsConnectionIsConfiguredReceivesOnceItIsUp() throws Exception {
        Collector early = new Collector();
        ServiceRegistration<MessageHandler> reg = register(early, "wb-late", 1, "wb/late/#");
        long id = (Long) reg.getReference().getProperty(Constants.SERVICE_ID);
        awaitRuntime(r -> Arrays.stream(r.handlers).anyMatch(h -> h.serviceId == id), "handler tracked");
        assertArrayEquals("no connection yet", new long[0], handler(dto(), id).connectionServiceIds);

        configureSimple("wb-late");
        awaitConnected("wb-late");
        awaitSubscribed("wb-late", "wb/late/#");
        SubscriptionDTO sub = subscriptions(dto(), "wb-late").get("wb/late/#");
        assertEquals(1, sub.grantedQos);
        assertArrayEquals(new long[] {id}, sub.handlerServiceIds);

        publisher.publish("wb/late/hello", "hi", false, 1);
        assertEquals(List.of("wb/late/hello"), early.topicsUntil("wb/late/hello"));
        assertEquals("wb-late", early.received.get(0).connection().name());
    }

    @Test
    public void aHandlerRegisteredLaterGetsTheRetainedMessageTheEarlierOneHadAndThatOneNoSecondCopy()
            throws Exception {
        configureSimple("wb-ret");
        awaitConnected("wb-ret");
        publisher.publish("wb/ret/config", "v1", true, 1);
        try {
            Collector a = new Collector();
            register(a, "wb-ret", 1, "wb/ret/#");
            assertEquals(List.of("wb/ret/config"), a.topicsUntil("wb/ret/config"));
            assertTrue("A got it as a retained message", a.received.get(0).retain());

            // the filter is subscribed already: the whiteboard subscribes it again for B, and
            // mosquitto answers with the retained message again
            Collector b = new Collector();
            register(b, "wb-ret", 0, "wb/ret/#");
            assertEquals(List.of("wb/ret/config"), b.topicsUntil("wb/ret/config"));
            assertTrue("B got it as a retained message", b.received.get(0).retain());

            // per-handler order is arrival order: a second copy for A would come before the marker
            publisher.publish("wb/ret/marker", "live", false, 1);
            assertEquals("A got the retained message once", List.of("wb/ret/config", "wb/ret/marker"),
                    a.topicsUntil("wb/ret/marker"));
            assertEquals(List.of("wb/ret/config", "wb/ret/marker"), b.topicsUntil("wb/ret/marker"));
            assertFalse("a live message comes with RETAIN=0", a.received.get(1).retain());
            // the SUBACK came before the retained copy, but the whiteboard's thread that sent the SUBSCRIBE
            // may record the outcome after the reader thread delivered: wait for it (seen on Equinox)
            awaitSubscribed("wb-ret", "wb/ret/#");
            SubscriptionDTO sub = subscriptions(dto(), "wb-ret").get("wb/ret/#");
            assertEquals("subscribed again at the QoS it had, not at B's", 1, sub.requestedQos);
            assertEquals(1, sub.grantedQos);
        } finally {
            publisher.publish("wb/ret/config", "", true, 1); // deletes the retained message
        }
    }

    @Test
    public void aSharedSubscriptionOnTwoConnectionsSplitsTheStream() throws Exception {
        configureSimple("wb-sh1");
        configureSimple("wb-sh2");
        awaitConnected("wb-sh1");
        awaitConnected("wb-sh2");
        Collector shared = new Collector();
        register(shared, "(|(" + MqttConstants.NAME + "=wb-sh1)(" + MqttConstants.NAME + "=wb-sh2))", 1,
                "$share/wbgroup/wb/share/+");
        awaitSubscribed("wb-sh1", "$share/wbgroup/wb/share/+");
        awaitSubscribed("wb-sh2", "$share/wbgroup/wb/share/+");

        int n = 40;
        for (int i = 0; i < n; i++) {
            publisher.publish("wb/share/" + i, Integer.toString(i), false, 1);
        }
        shared.awaitCount(n);
        List<MqttMessage> got = new ArrayList<>(shared.received);
        assertEquals("each message once in all", n, got.size());
        assertEquals(n, got.stream().map(MqttMessage::topicString).distinct().count());
        Map<String, Long> perConnection = got.stream()
                .collect(Collectors.groupingBy(m -> m.connection().name(), Collectors.counting()));
        assertEquals("both members got a share: " + perConnection, Set.of("wb-sh1", "wb-sh2"),
                perConnection.keySet());
    }

    /**
     * Two handlers of one shared subscription on one connection: the connection is one member of
     * the group and its handlers take turns, each message to one of them, each in order (before,
     * each got every message).
     */
    @Test
    public void handlersOfOneSharedSubscriptionOnOneConnectionTakeTurns() throws Exception {
        configureSimple("wb-rr");
        awaitConnected("wb-rr");
        String filter = "$share/wbrr/wb/rr/+";
        Collector a = new Collector();
        Collector b = new Collector();
        register(a, "wb-rr", 1, filter);
        awaitSubscribed("wb-rr", filter);
        long bId = (Long) register(b, "wb-rr", 1, filter).getReference().getProperty(Constants.SERVICE_ID);
        awaitRuntime(r -> Arrays.stream(subscriptions(r, "wb-rr").get(filter).handlerServiceIds)
                .anyMatch(id -> id == bId), "both handlers on " + filter);

        int n = 20;
        for (int i = 0; i < n; i++) {
            publisher.publish("wb/rr/" + i, Integer.toString(i), false, 1);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        while (a.count() + b.count() < n && System.nanoTime() < deadline) {
            a.arrivals.poll(20, TimeUnit.MILLISECONDS);
        }
        List<Integer> toA = a.payloads();
        List<Integer> toB = b.payloads();
        Set<Integer> all = new HashSet<>(toA);
        all.addAll(toB);
        assertEquals("each message to one handler: " + toA + " and " + toB, n, toA.size() + toB.size());
        assertEquals(n, all.size());
        assertEquals("turns: " + toA + " and " + toB, n / 2, toA.size());
        assertIncreasing(toA);
        assertIncreasing(toB);
    }

    /**
     * A '$share' handler and a plain handler of an overlapping filter on one connection: MQTT
     * 3.1.1 does not say which subscription brought a message, so the shared handler would get the
     * plain subscription's messages too (before: all 20, while another member of the group got
     * 10). The later registration is refused on that connection; the group's messages reach each
     * member once.
     */
    @Test
    public void aSharedHandlerGetsOnlyItsGroupsMessagesAndAnOverlappingPlainHandlerIsRefused() throws Exception {
        configureSimple("wb-ov");
        awaitConnected("wb-ov");
        String filter = "$share/wbov/wb/ov/z";
        // the other member of the group: a plain client whose loop thread queues what it gets
        MqttClient member = new MqttClient("wb-it-member-" + CLIENTS.incrementAndGet(), brokerHost(), brokerPort());
        BlockingQueue<Integer> other = new LinkedBlockingQueue<>();
        member.setCallback((topic, msg, retain, dup, qos) -> other.add(
                Integer.parseInt(new String(msg, StandardCharsets.UTF_8))));
        member.connect(true);
        Thread loop = new Thread(() -> {
            try {
                member.loop();
            } catch (IOException e) {
                other.add(-1); // fails the count below
            }
        }, "wb-it-member-loop");
        loop.setDaemon(true);
        loop.start();
        try {
            assertEquals(1, member.subscribe(filter, 1));
            Collector shared = new Collector();
            register(shared, "wb-ov", 1, filter);
            awaitSubscribed("wb-ov", filter);
            Collector plain = new Collector();
            long plainId = (Long) register(plain, "wb-ov", 1, "wb/ov/+").getReference()
                    .getProperty(Constants.SERVICE_ID);
            awaitRuntime(r -> Arrays.stream(r.failedHandlers).anyMatch(f -> f.serviceId == plainId
                    && f.reason.contains("'wb/ov/+'") && f.reason.contains("'" + filter + "'")
                    && f.reason.contains("wb-ov")), "the plain handler refused on wb-ov");
            assertFalse(subscriptions(dto(), "wb-ov").containsKey("wb/ov/+"));

            int n = 20;
            for (int i = 0; i < n; i++) {
                publisher.publish("wb/ov/z", Integer.toString(i), false, 1);
            }
            List<Integer> toOther = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
            while (shared.count() + toOther.size() < n && System.nanoTime() < deadline) {
                Integer m = other.poll(50, TimeUnit.MILLISECONDS);
                if (m != null) {
                    toOther.add(m);
                }
            }
            List<Integer> toGateway = shared.payloads();
            Set<Integer> all = new HashSet<>(toGateway);
            all.addAll(toOther);
            assertEquals("each message once in the group: gateway " + toGateway + ", other member " + toOther, n,
                    toGateway.size() + toOther.size());
            assertEquals("every message reached the group", n, all.size());
            assertEquals("the refused handler got nothing", 0, plain.count());
        } finally {
            member.disconnect();
            loop.join(TIMEOUT_MILLIS);
        }
    }

    @Test
    public void handlersReceiveAgainAfterTheBrokerRestartsUnderARobustConnection() throws Exception {
        // a broker of this test's own, started inside the framework, so that it can kill it
        MosquittoBroker own = MosquittoBroker.builder().start();
        org.osgi.service.cm.Configuration config = configure(ROBUST_PID, "wb-rob", "port", own.port(),
                "reconnect.initial.delay", 50L, "reconnect.max.delay", 200L);
        try {
            awaitConnected("wb-rob");
            Collector h = new Collector();
            ServiceRegistration<MessageHandler> reg = register(h, "wb-rob", 1, "wb/rob/#");
            awaitSubscribed("wb-rob", "wb/rob/#");
            publishTo(own, "wb/rob/1");
            assertEquals(List.of("wb/rob/1"), h.topicsUntil("wb/rob/1"));

            own.kill();
            awaitRuntime(r -> Arrays.stream(r.connections).anyMatch(c -> "wb-rob".equals(c.name) && !c.connected
                    && SubscriptionDTO.PENDING.equals(c.subscriptions[0].status)), "wb-rob seen down");
            own.restart();
            // the robust connection restores its subscriptions, the whiteboard subscribes again
            // (idempotent): SUBSCRIBED again, and each message still arrives once
            awaitSubscribed("wb-rob", "wb/rob/#");
            publishTo(own, "wb/rob/2");
            publishTo(own, "wb/rob/3");
            assertEquals(List.of("wb/rob/1", "wb/rob/2", "wb/rob/3"), h.topicsUntil("wb/rob/3"));
            long id = (Long) reg.getReference().getProperty(Constants.SERVICE_ID);
            assertArrayEquals("the same registration throughout", new long[] {id},
                    subscriptions(dto(), "wb-rob").get("wb/rob/#").handlerServiceIds);
        } finally {
            delete(config); // before the broker goes, so that the connection does not see it vanish
            own.close();
        }
    }

    @Test
    public void handlersRegisteredTogetherShareOneSubscribeAlsoAfterTheBrokerRestarts() throws Exception {
        // a broker of this test's own, which refuses wb/denied/# and logs every packet it receives
        MosquittoBroker own = MosquittoBroker.builder().denySubscribe("wb/denied/#").start();
        Collector ab = new Collector();
        Collector c = new Collector();
        Collector denied = new Collector();
        register(ab, "wb-batch", 1, "wb/batch/a", "wb/batch/b");
        register(c, "wb-batch", 0, "wb/batch/c");
        ServiceRegistration<MessageHandler> deniedReg = register(denied, "wb-batch", 0, "wb/denied/x");
        long deniedId = (Long) deniedReg.getReference().getProperty(Constants.SERVICE_ID);
        org.osgi.service.cm.Configuration config = configure(ROBUST_PID, "wb-batch", "port", own.port(),
                "client.id", "wb-batch-client", "reconnect.initial.delay", 50L, "reconnect.max.delay", 200L);
        try {
            awaitConnected("wb-batch");
            awaitSubscribed("wb-batch", "wb/batch/a", "wb/batch/b", "wb/batch/c");
            awaitRuntime(r -> SubscriptionDTO.REFUSED.equals(subscriptions(r, "wb-batch").get("wb/denied/x") == null
                    ? null : subscriptions(r, "wb-batch").get("wb/denied/x").status), "wb/denied/x refused");
            SubscriptionDTO refused = subscriptions(dto(), "wb-batch").get("wb/denied/x");
            assertArrayEquals("reported on its own handler", new long[] {deniedId}, refused.handlerServiceIds);
            assertEquals("the four filters in one SUBSCRIBE", 1, count(own.log(), "Received SUBSCRIBE from "
                    + "wb-batch-client\n"));

            own.kill();
            awaitRuntime(r -> Arrays.stream(r.connections).anyMatch(x -> "wb-batch".equals(x.name) && !x.connected),
                    "wb-batch seen down");
            int before = own.log().length();
            own.restart();
            awaitSubscribed("wb-batch", "wb/batch/a", "wb/batch/b", "wb/batch/c");
            publishTo(own, "wb/batch/b");
            assertEquals(List.of("wb/batch/b"), ab.topicsUntil("wb/batch/b"));
            // the robust client restores its three in one SUBSCRIBE, then the whiteboard subscribes
            // all four again in one (for the retained messages): two packets, not seven
            assertEquals(own.log().substring(before), 2, count(own.log().substring(before),
                    "Received SUBSCRIBE from wb-batch-client\n"));
            assertEquals("a refused filter is retried once the connection is back, and refused again",
                    SubscriptionDTO.REFUSED, subscriptions(dto(), "wb-batch").get("wb/denied/x").status);
        } finally {
            delete(config);
            own.close();
        }
    }

    private static int count(String text, String fragment) {
        int n = 0;
        for (int i = text.indexOf(fragment); i >= 0; i = text.indexOf(fragment, i + 1)) {
            n++;
        }
        return n;
    }

    /** Publishes one QoS 1 message to {@code broker} from a client of its own. */
    private static void publishTo(MosquittoBroker broker, String topic) throws IOException {
        MqttClient c = new MqttClient("wb-it-own-" + CLIENTS.incrementAndGet(), broker.host(), broker.port());
        c.connect(true);
        try {
            c.publish(topic, "m", false, 1);
        } finally {
            c.disconnect();
        }
    }

    @Test
    public void anInvalidRegistrationIsReportedAndDisturbsNobody() throws Exception {
        configureSimple("wb-bad");
        awaitConnected("wb-bad");
        ServiceRegistration<MessageHandler> bad = register(m -> {
        }, "wb-bad", 0, "wb/bad/#/x");
        long badId = (Long) bad.getReference().getProperty(Constants.SERVICE_ID);
        Collector good = new Collector();
        register(good, "wb-bad", 0, "wb/bad/#");
        awaitRuntime(r -> Arrays.stream(r.failedHandlers).anyMatch(f -> f.serviceId == badId),
                "the bad registration reported");
        String reason = Arrays.stream(dto().failedHandlers).filter(f -> f.serviceId == badId)
                .findFirst().orElseThrow().reason;
        assertTrue(reason, reason.contains("'wb/bad/#/x'") && reason.contains("'#' is allowed only as the last level"));
        awaitSubscribed("wb-bad", "wb/bad/#");
        publisher.publish("wb/bad/ok", "fine", false, 1);
        assertEquals(List.of("wb/bad/ok"), good.topicsUntil("wb/bad/ok"));
    }

    // ------------------------------------------------------------------ helpers

    /** A snapshot from the runtime service registered now. */
    private WhiteboardRuntimeDTO dto() throws InterruptedException {
        WhiteboardRuntime r = runtimes.waitForService(TIMEOUT_MILLIS);
        assertNotNull("no WhiteboardRuntime service within " + TIMEOUT_MILLIS + " ms", r);
        return r.getRuntimeDTO();
    }

    /**
     * Registers a handler for the connection named {@code target} (or, when it starts with
     * '(', the connections that LDAP filter selects).
     */
    private ServiceRegistration<MessageHandler> register(MessageHandler handler, String target, int qos,
            String... topics) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(HandlerConstants.TOPIC, topics.length == 1 ? topics[0] : topics);
        p.put(HandlerConstants.QOS, qos);
        p.put(HandlerConstants.TARGET, target.startsWith("(") ? target : "(" + MqttConstants.NAME + "=" + target + ")");
        ServiceRegistration<MessageHandler> reg = context.registerService(MessageHandler.class, handler, p);
        handlers.add(reg);
        return reg;
    }

    /**
     * Waits until the runtime view satisfies {@code condition}: re-checks on every change of
     * the runtime service's properties (its {@code service.changecount}), never sleeps.
     */
    private void awaitRuntime(Predicate<WhiteboardRuntimeDTO> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        while (true) {
            WhiteboardRuntimeDTO dto = dto();
            if (condition.test(dto)) {
                return;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !runtimeChanged.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                throw new AssertionError("not within " + TIMEOUT_MILLIS + " ms: " + what + "; the runtime view: "
                        + dto());
            }
        }
    }

    /** Waits until the named connection has these filters SUBSCRIBED, so the broker routes them. */
    private void awaitSubscribed(String connection, String... filters) throws InterruptedException {
        awaitRuntime(r -> {
            Map<String, SubscriptionDTO> subs = subscriptions(r, connection);
            return Arrays.stream(filters).allMatch(f -> subs.containsKey(f)
                    && SubscriptionDTO.SUBSCRIBED.equals(subs.get(f).status));
        }, connection + " subscribed to " + Arrays.toString(filters));
    }

    /** The subscriptions of the connected connection named {@code name}, by filter (empty when none). */
    private static Map<String, SubscriptionDTO> subscriptions(WhiteboardRuntimeDTO dto, String name) {
        Map<String, SubscriptionDTO> subs = new ConcurrentHashMap<>();
        for (ConnectionDTO c : dto.connections) {
            if (name.equals(c.name) && c.connected) {
                for (SubscriptionDTO s : c.subscriptions) {
                    subs.put(s.filter, s);
                }
            }
        }
        return subs;
    }

    private static HandlerDTO handler(WhiteboardRuntimeDTO dto, long serviceId) {
        return Arrays.stream(dto.handlers).filter(h -> h.serviceId == serviceId).findFirst()
                .orElseThrow(() -> new AssertionError("no handler " + serviceId + " in " + dto));
    }

    private static void assertIncreasing(List<Integer> values) {
        for (int i = 1; i < values.size(); i++) {
            assertTrue("not in order or repeated: " + values, values.get(i - 1) < values.get(i));
        }
    }

    /** A handler that keeps what it receives, optionally doing something first. */
    private static final class Collector implements MessageHandler {
        interface Action {
            void run(MqttMessage m) throws Exception;
        }

        final List<MqttMessage> received = new CopyOnWriteArrayList<>();
        final BlockingQueue<MqttMessage> arrivals = new LinkedBlockingQueue<>();
        private final Action action;

        Collector() {
            this(m -> {
            });
        }

        Collector(Action action) {
            this.action = action;
        }

        @Override
        public void handle(MqttMessage message) throws Exception {
            action.run(message);
            received.add(message);
            arrivals.add(message);
        }

        int count() {
            return received.size();
        }

        /** Waits until at least {@code n} messages arrived in all. */
        void awaitCount(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
            while (received.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
                    throw new AssertionError("only " + received.size() + " of " + n + " messages within "
                            + TIMEOUT_MILLIS + " ms");
                }
            }
        }

        /** Waits for a message on {@code topic}; returns the topics of all received up to it. */
        List<String> topicsUntil(String topic) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
            while (!topics().contains(topic)) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || arrivals.poll(left, TimeUnit.NANOSECONDS) == null) {
                    throw new AssertionError("no message on " + topic + " within " + TIMEOUT_MILLIS + " ms; got "
                            + topics());
                }
            }
            return topics();
        }

        List<String> topics() {
            return received.stream().map(MqttMessage::topicString).collect(Collectors.toList());
        }

        List<Integer> payloads() {
            return received.stream().map(m -> Integer.parseInt(new String(m.payload(), StandardCharsets.UTF_8)))
                    .collect(Collectors.toList());
        }
    }
}
