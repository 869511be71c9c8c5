package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
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
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.whiteboard.HandlerDTO;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * MQTT 5 subscription options as handler properties ({@link HandlerConstants#NO_LOCAL},
 * {@link HandlerConstants#RETAIN_AS_PUBLISHED}, {@link HandlerConstants#RETAIN_HANDLING}): sent
 * with the filter's SUBSCRIBE on an MQTT 5 connection, combined by the documented rule when the
 * handlers of one filter differ (and logged), left out with a warning on MQTT 3.1.1; and what a
 * handler gets of retained messages under its own retain handling and retain as published.
 */
@Timeout(30)
class WhiteboardSubscriptionOptionsTest {
    private static final long WAIT_SECONDS = 5;
    private static final String OWNER = "com.example.options [8]";

    private Whiteboard whiteboard;
    private LogCapture log;
    private RuntimeWatch runtime;
    private final AtomicLong nextServiceId = new AtomicLong(700);
    private final Map<Long, Map<String, Object>> registered = new HashMap<>();
    private final Map<Long, MessageHandler> handlers = new HashMap<>();

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

    private FakeConnection mqtt5(boolean connected) {
        FakeConnection c = new FakeConnection(1, "plant");
        c.protocolVersion = MqttConstants.MQTT_5;
        whiteboard.addConnection(c.properties(connected, MqttConstants.PROTOCOL_VERSION, 5), c);
        return c;
    }

    private long register(MessageHandler handler, Object... keyValues) {
        long id = nextServiceId.incrementAndGet();
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, id);
        p.put(Constants.SERVICE_BUNDLEID, 8L);
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put((String) keyValues[i], keyValues[i + 1]);
        }
        registered.put(id, p);
        handlers.put(id, handler);
        whiteboard.addHandler(p, OWNER, handler);
        return id;
    }

    private void unregister(long id) {
        registered.remove(id);
        handlers.remove(id);
        whiteboard.removeHandler(id);
    }

    @Test
    void aHandlersOptionsGoWithItsFiltersSubscribeOnAnMqtt5Connection() throws Exception {
        FakeConnection c = mqtt5(true);
        register(new Recorder(), HandlerConstants.TOPIC, "a/#", HandlerConstants.QOS, 1, HandlerConstants.NO_LOCAL,
                true, HandlerConstants.RETAIN_AS_PUBLISHED, "true", HandlerConstants.RETAIN_HANDLING, "2");
        assertEquals("SUBSCRIBE a/# [qos 1, no local, retain as published, retain handling 2]", c.nextPacket());
        register(new Recorder(), HandlerConstants.TOPIC, "b", HandlerConstants.QOS, 0);
        assertEquals("SUBSCRIBE b 0", c.nextPacket(), "a filter without options goes as before");
    }

    @Test
    void theHandlerDtoReportsTheOptionsItAskedForAndItsSharedFilterAsGiven() throws Exception {
        FakeConnection c = mqtt5(true);
        long asking = register(new Recorder(), HandlerConstants.TOPIC, new String[] {"a/#", "$share/g/b/+"},
                HandlerConstants.QOS, 1, HandlerConstants.NO_LOCAL, true, HandlerConstants.RETAIN_AS_PUBLISHED,
                "true", HandlerConstants.RETAIN_HANDLING, "2");
        long plain = register(new Recorder(), HandlerConstants.TOPIC, "c");
        HandlerDTO a = handlerDto(asking);
        assertTrue(a.noLocal);
        assertTrue(a.retainAsPublished);
        assertEquals(2, a.retainHandling);
        assertEquals("[a/#, $share/g/b/+]", Arrays.toString(a.topics), "a shared subscription shows as given");
        HandlerDTO p = handlerDto(plain);
        assertFalse(p.noLocal);
        assertFalse(p.retainAsPublished);
        assertEquals(0, p.retainHandling, "the default: retained messages when subscribing");
        assertNotNull(c);
    }

    private HandlerDTO handlerDto(long serviceId) {
        return Arrays.stream(whiteboard.runtimeDTO().handlers).filter(h -> h.serviceId == serviceId).findFirst()
                .orElseThrow(() -> new AssertionError("no HandlerDTO for service " + serviceId));
    }

    @Test
    void differingOptionsOfOneFilterAreCombinedSoThatNoHandlerLosesMessagesAndTheCombinationIsLogged()
            throws Exception {
        FakeConnection c = mqtt5(false);
        long quiet = register(new Recorder(), HandlerConstants.TOPIC, "t/#", HandlerConstants.NO_LOCAL, true,
                HandlerConstants.RETAIN_HANDLING, 2);
        register(new Recorder(), HandlerConstants.TOPIC, "t/#", HandlerConstants.QOS, 1,
                HandlerConstants.RETAIN_AS_PUBLISHED, true, HandlerConstants.RETAIN_HANDLING, 1L);
        whiteboard.modifiedConnection(c.properties(true, MqttConstants.PROTOCOL_VERSION, 5));
        assertEquals("SUBSCRIBE t/# [qos 1, retain as published, retain handling 1]", c.nextPacket(),
                "no local only when every handler asks it, retain as published when one does, the lowest handling");
        String line = logged(Level.INFO, "ask for different subscription options");
        assertTrue(line.contains("'t/#'") && line.contains("handler " + quiet + ": qos 0, no local, retain handling 2")
                && line.contains("subscribed with qos 1, retain as published, retain handling 1"), line);

        unregister(quiet);
        unregister(nextServiceId.get());
        runtime.await(dto -> dto.connections[0].subscriptions.length == 0, "t/# unsubscribed");
    }

    @Test
    void aHandlerLeavingChangesTheCombinationAndTheFilterIsSubscribedAgainWithIt() throws Exception {
        FakeConnection c = mqtt5(true);
        register(new Recorder(), HandlerConstants.TOPIC, "n", HandlerConstants.NO_LOCAL, true);
        assertEquals("SUBSCRIBE n [qos 0, no local]", c.nextPacket());
        runtime.await(dto -> RuntimeWatch.status(dto, "n", SubscriptionDTO.SUBSCRIBED), "n subscribed");
        long other = register(new Recorder(), HandlerConstants.TOPIC, "n");
        assertEquals("SUBSCRIBE n 0", c.nextPacket(), "the handler that wants its own messages too takes no local off");
        runtime.await(dto -> RuntimeWatch.status(dto, "n", SubscriptionDTO.SUBSCRIBED) && dto.connections[0].subscriptions[0]
                .handlerServiceIds.length == 2, "both on n");
        unregister(other);
        assertEquals("SUBSCRIBE n [qos 0, no local]", c.nextPacket(), "no local again once only its asker is left");
    }

    @Test
    void onAnMqtt311ConnectionTheOptionsAreLeftOutWithAWarning() throws Exception {
        FakeConnection c = new FakeConnection(1, "old");
        whiteboard.addConnection(c.properties(true), c);
        Recorder r = new Recorder();
        register(r, HandlerConstants.TOPIC, "x/+", HandlerConstants.QOS, 1, HandlerConstants.NO_LOCAL, true);
        assertEquals("SUBSCRIBE x/+ 1", c.nextPacket(), "only the QoS: MQTT 3.1.1 has no options");
        String w = logged(Level.WARNING, "need MQTT 5");
        assertTrue(w.contains("speaks MQTT 3.1.1") && w.contains("qos 1, no local") && w.contains("'x/+'")
                && w.contains("protocol.version=5"), w);
        runtime.await(dto -> RuntimeWatch.status(dto, "x/+", SubscriptionDTO.SUBSCRIBED), "subscribed all the same");
        c.deliver("x/1", "hello", 1);
        assertEquals("x/1 hello", r.next());
    }

    @Test
    void aHandlerAskingRetainHandling2GetsNoRetainedMessagesAnotherHandlersAskBrings() throws Exception {
        FakeConnection c = mqtt5(false);
        c.retain("r/1", "kept");
        Recorder wants = new Recorder();
        Recorder none = new Recorder();
        register(wants, HandlerConstants.TOPIC, "r/#");
        register(none, HandlerConstants.TOPIC, "r/#", HandlerConstants.RETAIN_HANDLING, 2);
        whiteboard.modifiedConnection(c.properties(true, MqttConstants.PROTOCOL_VERSION, 5));
        assertEquals("SUBSCRIBE r/# 0", c.nextPacket(), "the lowest retain handling: 0, the default");
        assertEquals("r/1 kept", wants.next());
        c.deliver("r/2", "live");
        assertEquals("r/2 live", wants.next());
        assertEquals("r/2 live", none.next(), "live messages reach it; the retained one did not come first");
    }

    @Test
    void withRetainAsPublishedALiveMessageWithRetainReachesTheHandlersThatHadTheRetainedOnes() throws Exception {
        FakeConnection c = mqtt5(true);
        c.retain("p/1", "old");
        Recorder rap = new Recorder();
        register(rap, HandlerConstants.TOPIC, "p/#", HandlerConstants.RETAIN_AS_PUBLISHED, true);
        assertEquals("SUBSCRIBE p/# [qos 0, retain as published]", c.nextPacket());
        assertEquals("p/1 old", rap.next());
        // a live message closes the SUBSCRIBE's retained messages once its SUBACK is recorded, which
        // the reconciler's thread does after the SUBSCRIBE returned (FilterEntry, "A generation closes")
        runtime.await(dto -> RuntimeWatch.status(dto, "p/#", SubscriptionDTO.SUBSCRIBED), "p/# subscribed");
        c.deliver("p/x", "live"); // closes the SUBSCRIBE's retained messages
        assertEquals("p/x live", rap.next());
        c.deliverRetainedAsPublished("p/1", "new");
        assertEquals("p/1 new", rap.next(), "a served handler takes RETAIN=1 as live under retain as published");
        c.deliverRetainedAsPublished("p/1", "newer");
        assertEquals("p/1 newer", rap.next());
    }

    @Test
    void withoutRetainAsPublishedAServedHandlerIsNotHandedARetainedMessageAgain() throws Exception {
        FakeConnection c = mqtt5(true);
        c.retain("q/1", "old");
        Recorder plain = new Recorder();
        register(plain, HandlerConstants.TOPIC, "q/#");
        assertEquals("SUBSCRIBE q/# 0", c.nextPacket());
        assertEquals("q/1 old", plain.next());
        c.deliver("q/x", "live");
        assertEquals("q/x live", plain.next());
        c.deliverRetainedAsPublished("q/1", "again");
        assertNull(plain.received.poll(200, TimeUnit.MILLISECONDS), "a retained message is withheld as before");
    }

    @Test
    void anMqtt5RefusalCarriesItsReasonCodeToTheHandlersSubscription() throws Exception {
        FakeConnection c = mqtt5(true);
        c.refusedWith.put("secret/#", 0x87);
        register(new Recorder(), HandlerConstants.TOPIC, "secret/#", HandlerConstants.NO_LOCAL, true);
        assertEquals("SUBSCRIBE secret/# [qos 0, no local]", c.nextPacket());
        runtime.await(dto -> RuntimeWatch.status(dto, "secret/#", SubscriptionDTO.REFUSED), "secret/# refused");
        String failure = whiteboard.runtimeDTO().connections[0].subscriptions[0].failure;
        assertTrue(failure.contains("SUBACK return code 0x87") && failure.contains("not authorized"), failure);
    }

    @Test
    void badOptionValuesFailTheHandlerNamingTheProperty() throws Exception {
        mqtt5(true);
        long a = register(new Recorder(), HandlerConstants.TOPIC, "a", HandlerConstants.RETAIN_HANDLING, 3);
        long b = register(new Recorder(), HandlerConstants.TOPIC, "b", HandlerConstants.NO_LOCAL, "yes");
        runtime.await(dto -> dto.failedHandlers.length == 2, "both failed");
        WhiteboardRuntimeDTO dto = whiteboard.runtimeDTO();
        String fa = Arrays.stream(dto.failedHandlers).filter(f -> f.serviceId == a).findFirst().get().reason;
        String fb = Arrays.stream(dto.failedHandlers).filter(f -> f.serviceId == b).findFirst().get().reason;
        assertTrue(fa.contains("mqtt.retain.handling must be 0") && fa.contains("found 3"), fa);
        assertTrue(fb.contains("mqtt.no.local must be true or false") && fb.contains("'yes'"), fb);
    }

    // ------------------------------------------------------------------ helpers

    /** The first line logged at {@code level} or above containing {@code fragment}, waiting for it up to 5 s. */
    private String logged(Level level, String fragment) throws InterruptedException {
        log.await(level, fragment);
        return log.lines(level).stream().filter(l -> l.contains(fragment)).findFirst().get();
    }



    private static final class Recorder implements MessageHandler {
        final BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();

        @Override
        public void handle(MqttMessage message) {
            received.add(message);
        }

        String next() throws InterruptedException {
            MqttMessage m = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(m, "no message within " + WAIT_SECONDS + " s");
            return m.topicString() + " " + new String(m.payload(), StandardCharsets.UTF_8);
        }
    }
}
