package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
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
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.simple.MqttClient;

/**
 * {@code ack.after.processing} end to end in the framework: a robust connection configured
 * through ConfigAdmin, whiteboard handlers with and without {@code mqtt.ack.after.processing},
 * mosquitto. A holding handler that throws makes the connection close without the PUBACK; the
 * robust connection reconnects with its session, and mosquitto delivers the message again.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class AckAfterProcessingIT extends UmqttTestSupport {
    private final List<ServiceRegistration<MessageHandler>> handlers = new CopyOnWriteArrayList<>();

    @After
    public void unregister() {
        for (ServiceRegistration<MessageHandler> r : handlers) {
            r.unregister();
        }
    }

    private void register(MessageHandler handler, String connection, String topic, boolean ack) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(HandlerConstants.TOPIC, topic);
        p.put(HandlerConstants.QOS, 1);
        p.put(HandlerConstants.TARGET, "(" + MqttConstants.NAME + "=" + connection + ")");
        if (ack) {
            p.put(HandlerConstants.ACK_AFTER_PROCESSING, Boolean.TRUE);
        }
        handlers.add(context.registerService(MessageHandler.class, handler, p));
    }

    @Test
    public void aFailingHandlerGetsTheMessageAgainAfterTheRobustReconnect() throws Exception {
        configure(ROBUST_PID, "ack-it", "client.id", "ack-it-" + (KURA_RUNTIME ? "kura" : "felix"),
                "clean.session", false, "ack.after.processing", true, "reconnect.initial.delay", 50L,
                "reconnect.max.delay", 200L);
        awaitConnected("ack-it");
        BlockingQueue<String> holding = new LinkedBlockingQueue<>();
        BlockingQueue<String> plain = new LinkedBlockingQueue<>();
        AtomicInteger failuresLeft = new AtomicInteger(1);
        register(m -> {
            holding.add(new String(m.payload(), StandardCharsets.UTF_8) + (m.dup() ? " dup" : ""));
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("deliberate failure: the database is down");
            }
        }, "ack-it", "ack/it/#", true);
        register(m -> plain.add(new String(m.payload(), StandardCharsets.UTF_8) + (m.dup() ? " dup" : "")),
                "ack-it", "ack/it/#", false);
        ServiceTracker<MqttConnection, MqttConnection> subscribed = track("(" + MqttConstants.NAME + "=ack-it)");
        try {
            MqttConnection c = subscribed.waitForService(TIMEOUT_MILLIS);
            assertNotNull(c);
            MqttClient publisher = new MqttClient("ack-it-pub", brokerHost(), brokerPort());
            publisher.connect(true);
            try {
                // the whiteboard subscribes asynchronously: publish until the plain handler sees a probe
                String probe = null;
                for (int i = 0; i < 50 && probe == null; i++) {
                    publisher.publish("ack/it/probe", "probe", false, 0);
                    probe = plain.poll(200, TimeUnit.MILLISECONDS);
                }
                assertEquals("probe", probe);
                plain.clear();
                holding.clear();
                failuresLeft.set(1);

                publisher.publish("ack/it/m", "m1", false, 1);
                assertEquals("m1", holding.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("m1 dup", holding.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("m1", plain.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("the handler without the property gets the redelivery too (at least once)", "m1 dup",
                        plain.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                publisher.publish("ack/it/m", "m2", false, 1);
                assertEquals("m2", holding.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
                assertEquals("m2", plain.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            } finally {
                publisher.disconnect();
            }
        } finally {
            subscribed.close();
        }
    }

    @Test
    public void ackAfterProcessingWithACleanSessionIsRefusedNamingBothProperties() throws Exception {
        configureSimple("ack-bad", "ack.after.processing", true);
        ServiceTracker<MqttConnection, MqttConnection> tracker = track("(" + MqttConstants.NAME + "=ack-bad)("
                + MqttConstants.ERROR + "=*)");
        try {
            assertNotNull(tracker.waitForService(TIMEOUT_MILLIS));
            String error = (String) tracker.getServiceReference().getProperty(MqttConstants.ERROR);
            assertTrue(error, error.contains("ack.after.processing=true needs clean.session=false"));
        } finally {
            tracker.close();
        }
    }
}
