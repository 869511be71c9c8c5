package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;

import io.umqtt.api.HandlerConstants;
import io.umqtt.api.MessageHandler;
import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;

/**
 * Changing and deleting connections that whiteboard handlers use is routine, not a fault: it must
 * not log warnings (issue 11, item 13). The umqtt bundles log through {@code System.Logger}, which
 * the JDK routes to java.util.logging in this JVM: a handler there sees every record.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConnectionLifecycleLogIT extends UmqttTestSupport {
    private static final int CYCLES = 5;

    private final List<String> warnings = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                synchronized (warnings) {
                    warnings.add(r.getLoggerName() + ": " + r.getMessage());
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger umqtt = Logger.getLogger("io.umqtt");

    @Before
    public void captureWarnings() {
        umqtt.addHandler(capture);
    }

    @After
    public void stopCapturing() {
        umqtt.removeHandler(capture);
    }

    @Test
    public void changingAndDeletingConnectionsUsedByHandlersLogsNoWarning() throws Exception {
        for (int i = 0; i < CYCLES; i++) {
            String name = "lc-" + i;
            BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(64);
            ServiceRegistration<MessageHandler> handler = handler(name, received);
            try {
                org.osgi.service.cm.Configuration config = configure(ROBUST_PID, name, "client.id", name + "-a",
                        "reconnect.initial.delay", 50L, "reconnect.max.delay", 200L);
                awaitDelivery(name, name + "-a", received);

                // a change of settings while the handler's filters are subscribed: one reconnect
                Dictionary<String, Object> props = config.getProperties();
                props.put("client.id", name + "-b");
                config.update(props);
                awaitDelivery(name, name + "-b", received);

                // deleted right after a change, with the SUBSCRIBEs of the new client possibly in flight
                props.put("client.id", name + "-c");
                config.update(props);
                delete(config);
                awaitGone(name);
            } finally {
                handler.unregister();
            }
        }
        synchronized (warnings) {
            assertEquals("warnings logged for routine changes and deletions: " + warnings, List.of(), warnings);
        }
    }

    private ServiceRegistration<MessageHandler> handler(String name, BlockingQueue<MqttMessage> received) {
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(HandlerConstants.TOPIC, new String[] {"lc/" + name + "/#", "lc/all/+"});
        p.put(HandlerConstants.QOS, 1);
        p.put(HandlerConstants.TARGET, "(" + MqttConstants.NAME + "=" + name + ")");
        return context.registerService(MessageHandler.class, received::add, p);
    }

    /**
     * Waits for the connection as {@code clientId}, then publishes through it until its handler
     * gets a message (the whiteboard subscribes on its own thread).
     */
    private void awaitDelivery(String name, String clientId, BlockingQueue<MqttMessage> received) throws Exception {
        // connected with the settings just written (ConfigAdmin applies them on its own thread)
        org.osgi.util.tracker.ServiceTracker<MqttConnection, MqttConnection> tracker = track("(" + MqttConstants.NAME
                + "=" + name + ")(" + MqttConstants.CONNECTED + "=true)(" + MqttConstants.CLIENT_ID + "=" + clientId
                + ")");
        MqttConnection c;
        try {
            c = tracker.waitForService(TIMEOUT_MILLIS);
        } finally {
            tracker.close();
        }
        assertNotNull(name + " not connected as " + clientId + " within " + TIMEOUT_MILLIS + " ms", c);
        MqttMessage m = null;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        while (m == null && System.nanoTime() < deadline) {
            try {
                c.publish("lc/" + name + "/x", new byte[] {1}, 1, false);
            } catch (IOException reconnecting) {
                // the settings change is under way; try again
            }
            m = received.poll(100, TimeUnit.MILLISECONDS);
        }
        assertNotNull(name + ": no message reached the handler", m);
        received.clear();
    }

    private void awaitGone(String name) throws InterruptedException {
        CountDownLatch none = new CountDownLatch(1);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MILLIS);
        while (System.nanoTime() < deadline) {
            try {
                if (context.getServiceReferences(MqttConnection.class, "(" + MqttConstants.NAME + "=" + name + ")")
                        .isEmpty()) {
                    return;
                }
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new AssertionError(e);
            }
            none.await(20, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError(name + " still registered " + TIMEOUT_MILLIS + " ms after its deletion");
    }
}
