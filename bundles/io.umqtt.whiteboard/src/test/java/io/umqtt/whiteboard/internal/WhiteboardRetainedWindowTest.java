package io.umqtt.whiteboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.framework.Constants;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.whiteboard.SubscriptionDTO;
import io.umqtt.whiteboard.WhiteboardRuntimeDTO;

/**
 * The window in which a SUBSCRIBE's retained messages may still come (FilterEntry, "Retained
 * messages"): messages the I/O thread hands over after the SUBACK but before the whiteboard
 * recorded it (the fake connection's answer gate holds the SUBSCRIBE call after it was answered),
 * and a filter subscribed with Retain As Published whose traffic is only retained publishes
 * (RETAIN=1 all along, so no live RETAIN=0 message ever closes the window). Each handler must get
 * every new message once, and no SUBSCRIBE's copy of one it had.
 */
@Timeout(30)
class WhiteboardRetainedWindowTest {
    private static final long WAIT_SECONDS = 5;
    private static final String OWNER = "com.example.window [9]";

    private Whiteboard whiteboard;
    private RuntimeWatch runtime;
    private final AtomicLong nextServiceId = new AtomicLong(900);

    @BeforeEach
    void start() {
        whiteboard = new Whiteboard(Settings.of(2, 1000));
        runtime = new RuntimeWatch(whiteboard, WAIT_SECONDS);
    }

    @AfterEach
    void stop() {
        whiteboard.close();
    }

    private FakeConnection connection(boolean mqtt5) {
        FakeConnection c = new FakeConnection(1, "plant");
        if (mqtt5) {
            c.protocolVersion = MqttConstants.MQTT_5;
            whiteboard.addConnection(c.properties(true, MqttConstants.PROTOCOL_VERSION, 5), c);
        } else {
            whiteboard.addConnection(c.properties(true), c);
        }
        return c;
    }

    private void register(MessageHandler handler, Object... keyValues) {
        Map<String, Object> p = new HashMap<>();
        p.put(Constants.SERVICE_ID, nextServiceId.incrementAndGet());
        p.put(Constants.SERVICE_BUNDLEID, 9L);
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put((String) keyValues[i], keyValues[i + 1]);
        }
        whiteboard.addHandler(p, OWNER, handler);
    }

    @Test
    void aRetainedPublishForwardedAfterTheSubackButBeforeItWasRecordedIsNotHandedAgainAsACopy() throws Exception {
        FakeConnection c = connection(false);
        c.retain("q/1", "r1");
        c.closeAnswerGate();
        Recorder first = new Recorder();
        register(first, HandlerConstants.TOPIC, "q/#");
        assertEquals("SUBSCRIBE q/# 0", c.nextPacket());
        c.awaitAnswered(WAIT_SECONDS); // the SUBACK came; the whiteboard has not seen it yet
        assertEquals("q/1 r1", first.next());
        c.publishRetained("q/2", "v", 0); // forwarded live (RETAIN=0) in that gap
        assertEquals("q/2 v", first.next());
        c.openAnswerGate();
        runtime.await(dto -> RuntimeWatch.status(dto, "q/#", SubscriptionDTO.SUBSCRIBED), "q/# subscribed");

        Recorder second = new Recorder();
        register(second, HandlerConstants.TOPIC, "q/#");
        assertEquals("SUBSCRIBE q/# 0", c.nextPacket(), "again, for the second handler's retained messages");
        assertEquals("q/1 r1", second.next());
        assertEquals("q/2 v", second.next());
        c.deliver("q/end", "x"); // after the copies on the one I/O path: whatever the first got comes before
        assertEquals("q/end x", first.next(), "the second SUBSCRIBE's copies of what the first handler had are "
                + "not handed to it again, also not the one it had as a live message in the gap");
        assertEquals("q/end x", second.next());
    }

    @Test
    void underRetainAsPublishedANewValueInTheGapReachesTheHandler() throws Exception {
        FakeConnection c = connection(true);
        c.retain("p/1", "old");
        c.closeAnswerGate();
        Recorder rap = new Recorder();
        register(rap, HandlerConstants.TOPIC, "p/#", HandlerConstants.RETAIN_AS_PUBLISHED, true);
        assertEquals("SUBSCRIBE p/# [qos 0, retain as published]", c.nextPacket());
        c.awaitAnswered(WAIT_SECONDS);
        assertEquals("p/1 old", rap.next());
        c.deliver("p/x", "live"); // after the SUBACK, before the whiteboard recorded it: closes nothing
        assertEquals("p/x live", rap.next());
        c.deliverRetainedAsPublished("p/1", "new");
        assertEquals("p/1 new", rap.next(), "a new value of a topic the handler had is never withheld");
        c.openAnswerGate();
        runtime.await(dto -> RuntimeWatch.status(dto, "p/#", SubscriptionDTO.SUBSCRIBED), "p/# subscribed");
        c.deliverRetainedAsPublished("p/1", "new");
        assertEquals("p/1 new", rap.next(), "the same value published again is a message of its own");
    }

    @Test
    void underRetainAsPublishedOnlyRetainedTrafficReachesEveryHandlerOnceEach() throws Exception {
        FakeConnection c = connection(true);
        c.retain("s/1", "a");
        Recorder first = new Recorder();
        register(first, HandlerConstants.TOPIC, "s/#", HandlerConstants.RETAIN_AS_PUBLISHED, true);
        assertEquals("SUBSCRIBE s/# [qos 0, retain as published]", c.nextPacket());
        assertEquals("s/1 a", first.next());
        publishRetained(c, "s/1", "b"); // no live RETAIN=0 message ever comes on this filter
        assertEquals("s/1 b", first.next(), "a served handler gets the new value");

        Recorder second = new Recorder();
        register(second, HandlerConstants.TOPIC, "s/#", HandlerConstants.RETAIN_AS_PUBLISHED, true);
        assertEquals("SUBSCRIBE s/# [qos 0, retain as published]", c.nextPacket());
        assertEquals("s/1 b", second.next(), "the joining handler gets the retained message");
        publishRetained(c, "s/1", "c");
        assertEquals("s/1 c", first.next(), "no copy of 's/1 b' from the second handler's SUBSCRIBE");
        assertEquals("s/1 c", second.next(), "the new value, also while its SUBSCRIBE may be open");
        // the same value again once the second SUBSCRIBE's SUBACK is recorded (before, it would be
        // taken for that SUBSCRIBE's copy: FilterEntry, "what this guarantees")
        runtime.await(dto -> RuntimeWatch.status(dto, "s/#", SubscriptionDTO.SUBSCRIBED)
                && dto.connections[0].subscriptions[0].handlerServiceIds.length == 2, "s/# subscribed again");
        publishRetained(c, "s/1", "c");
        assertEquals("s/1 c", first.next(), "the same value again is a message of its own");
        assertEquals("s/1 c", second.next());
    }

    /** A retained PUBLISH from elsewhere as a broker forwards it under Retain As Published. */
    private static void publishRetained(FakeConnection c, String topic, String payload) throws Exception {
        c.retain(topic, payload);
        c.deliverRetainedAsPublished(topic, payload);
    }

    // ------------------------------------------------------------------ helpers



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
