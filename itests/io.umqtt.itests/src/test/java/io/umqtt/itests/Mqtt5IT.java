package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;
import io.umqtt.api.MqttProperties;
import io.umqtt.simple.MqttClient;
import io.umqtt.whiteboard.HandlerDTO;
import io.umqtt.whiteboard.WhiteboardRuntime;

/**
 * One MQTT 5 connection end to end inside the framework (Felix, and Equinox in Kura's runtime):
 * components configured with {@code protocol.version=5} connect to mosquitto and say so in
 * {@code mqtt.protocol.version}; a whiteboard handler gets a message's user properties and content
 * type, and its subscription options ({@code mqtt.no.local}) reach the broker; a request/response
 * round trip through {@link MqttConnection#request}, answered by a handler, and one started from a
 * handler.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class Mqtt5IT extends UmqttTestSupport {
    private final List<ServiceRegistration<MessageHandler>> handlers = new CopyOnWriteArrayList<>();

    @After
    public void unregisterHandlers() {
        for (ServiceRegistration<MessageHandler> r : handlers) {
            r.unregister();
        }
        handlers.clear();
    }

    private void register(String connection, MessageHandler handler, String topic, Object... keyValues) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(HandlerConstants.TOPIC, topic);
        p.put(HandlerConstants.QOS, 1);
        p.put(HandlerConstants.TARGET, "(" + MqttConstants.NAME + "=" + connection + ")");
        for (int i = 0; i < keyValues.length; i += 2) {
            p.put((String) keyValues[i], keyValues[i + 1]);
        }
        handlers.add(context.registerService(MessageHandler.class, handler, p));
    }

    private static MqttMessage next(BlockingQueue<MqttMessage> q) throws InterruptedException {
        MqttMessage m = q.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull("no message within " + TIMEOUT_MILLIS + " ms", m);
        return m;
    }

    private static String text(MqttMessage m) {
        return new String(m.payload(), StandardCharsets.UTF_8);
    }

    @Test
    public void componentsConfiguredForMqtt5ConnectAndSaySo() throws Exception {
        configureSimple("it5-simple", "protocol.version", 5, "user.properties", new String[] {"site=it"},
                "session.expiry.interval", 60L);
        configure(ROBUST_PID, "it5-robust", "protocol.version", 5, "topic.alias.maximum", 10);
        configureSimple("it5-old");
        for (String name : new String[] {"it5-simple", "it5-robust"}) {
            ServiceReference<MqttConnection> ref = awaitConnected(name);
            assertEquals(name, 5, ref.getProperty(MqttConstants.PROTOCOL_VERSION));
            MqttConnection c = context.getService(ref);
            try {
                assertEquals(name, 5, c.protocolVersion());
            } finally {
                context.ungetService(ref);
            }
        }
        ServiceReference<MqttConnection> old = awaitConnected("it5-old");
        assertEquals(4, old.getProperty(MqttConstants.PROTOCOL_VERSION));
    }

    @Test
    public void aHandlerGetsUserPropertiesAndContentTypeAndNoLocalReachesTheBroker() throws Exception {
        configureSimple("it5-wb", "protocol.version", 5);
        ServiceReference<MqttConnection> ref = awaitConnected("it5-wb");
        MqttConnection conn = context.getService(ref);
        BlockingQueue<MqttMessage> data = new LinkedBlockingQueue<>();
        BlockingQueue<MqttMessage> notMine = new LinkedBlockingQueue<>();
        register("it5-wb", data::add, "it5/data/+");
        register("it5-wb", notMine::add, "it5/nl", HandlerConstants.NO_LOCAL, true);
        MqttClient other = new MqttClient("it5-other", brokerHost(), brokerPort());
        try {
            MqttProperties props = MqttProperties.builder().contentType("application/json")
                    .userProperty("site", "north").userProperty("site", "south").build();
            // the handlers' SUBSCRIBEs go out on the whiteboard's pool: publish until the first arrives
            MqttMessage m = null;
            for (int i = 0; i < 50 && m == null; i++) {
                conn.publish("it5/data/1", "{\"t\":21}".getBytes(StandardCharsets.UTF_8), 1, false, props);
                m = data.poll(200, TimeUnit.MILLISECONDS);
            }
            assertNotNull("the handler got nothing", m);
            assertEquals("application/json", m.properties().contentType());
            assertEquals(props.userProperties(), m.properties().userProperties());
            assertEquals("{\"t\":21}", text(m));

            other.connect(true);
            // the no-local handler: its own connection's message never comes, another client's does
            MqttMessage theirs = null;
            for (int i = 0; i < 50 && theirs == null; i++) {
                conn.publish("it5/nl", "mine".getBytes(StandardCharsets.UTF_8), 1, false);
                other.publish("it5/nl", "theirs", false, 1);
                theirs = notMine.poll(200, TimeUnit.MILLISECONDS);
            }
            assertNotNull("the no-local handler got nothing", theirs);
            assertEquals("theirs", text(theirs));
            conn.publish("it5/nl", "mine".getBytes(StandardCharsets.UTF_8), 1, false);
            other.publish("it5/nl", "last", false, 1);
            MqttMessage n;
            while ((n = notMine.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) != null && !text(n).equals("last")) {
                assertEquals("only the other client's messages", "theirs", text(n));
            }
            assertNotNull(n);
            assertNoLocalShownInTheRuntimeDto(handlers.get(handlers.size() - 1));
        } finally {
            other.close();
            context.ungetService(ref);
        }
    }

    /** The whiteboard's HandlerDTO of the registration reports the options it asked for (package 1.3). */
    private void assertNoLocalShownInTheRuntimeDto(ServiceRegistration<MessageHandler> registration) {
        long id = (Long) registration.getReference().getProperty(org.osgi.framework.Constants.SERVICE_ID);
        ServiceReference<WhiteboardRuntime> ref = context.getServiceReference(WhiteboardRuntime.class);
        assertNotNull("no WhiteboardRuntime service", ref);
        WhiteboardRuntime runtime = context.getService(ref);
        try {
            HandlerDTO h = java.util.Arrays.stream(runtime.getRuntimeDTO().handlers).filter(d -> d.serviceId == id)
                    .findFirst().orElseThrow(() -> new AssertionError("no HandlerDTO for service " + id));
            assertTrue("noLocal", h.noLocal);
            assertFalse("retainAsPublished", h.retainAsPublished);
            assertEquals("retainHandling", 0, h.retainHandling);
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void requestResponseRoundTripsAnsweredByAHandlerAndStartedFromOne() throws Exception {
        configureSimple("it5-rr", "protocol.version", 5);
        ServiceReference<MqttConnection> ref = awaitConnected("it5-rr");
        MqttConnection conn = context.getService(ref);
        // the responder: answers on the request's response topic with its correlation data
        register("it5-rr", m -> m.connection().publish(m.properties().responseTopic(),
                ("pong:" + text(m)).getBytes(StandardCharsets.UTF_8), 1, false, MqttProperties.builder()
                        .correlationData(m.properties().correlationData()).contentType("text/plain").build()),
                "it5/svc/ping");
        // a handler that asks the responder itself, without blocking
        BlockingQueue<MqttMessage> chained = new LinkedBlockingQueue<>();
        register("it5-rr", m -> m.connection().request("it5/svc/ping", m.payload(), 1, MqttProperties.EMPTY,
                TIMEOUT_MILLIS).thenAccept(chained::add), "it5/trigger");
        try {
            MqttMessage reply = null;
            for (int i = 0; i < 50 && reply == null; i++) { // until the responder's SUBSCRIBE is in place
                try {
                    reply = conn.request("it5/svc/ping", "hello".getBytes(StandardCharsets.UTF_8), 1,
                            MqttProperties.EMPTY, 200).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(String.valueOf(e.getCause()), e.getCause() instanceof io.umqtt.api.MqttException);
                }
            }
            assertNotNull("no reply", reply);
            assertEquals("pong:hello", text(reply));
            assertEquals("text/plain", reply.properties().contentType());
            assertTrue(reply.topicString(), reply.topicString().startsWith("umqtt/response/"));

            MqttMessage c = null;
            for (int i = 0; i < 50 && c == null; i++) { // until the trigger handler's SUBSCRIBE is in place
                conn.publish("it5/trigger", "again".getBytes(StandardCharsets.UTF_8), 1, false);
                c = chained.poll(200, TimeUnit.MILLISECONDS);
            }
            assertNotNull("the handler's request got no reply", c);
            assertEquals("pong:again", text(c));
        } finally {
            context.ungetService(ref);
        }
    }
}
