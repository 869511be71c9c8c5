package io.umqtt.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;

/** The simple connection component in Felix: configuration in, service out, messages through mosquitto. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SimpleConnectionIT extends UmqttTestSupport {
    private static final String COMPONENT = "io.umqtt.simple.internal.SimpleConnectionComponent";

    @Inject
    private MetaTypeService metaType;

    @Inject
    private LogReaderService logReader;

    @Inject
    private ServiceComponentRuntime scr;

    @Test
    public void factoryConfigurationRegistersConnectedService() throws Exception {
        configureSimple("it1");
        ServiceReference<MqttConnection> ref = awaitConnected("it1");
        assertEquals("it1", ref.getProperty(MqttConstants.NAME));
        assertEquals("simple", ref.getProperty(MqttConstants.KIND));
        assertEquals(brokerHost(), ref.getProperty(MqttConstants.SERVER));
        assertEquals(brokerPort(), ref.getProperty(MqttConstants.PORT));
        assertEquals(Boolean.FALSE, ref.getProperty(MqttConstants.TLS));
        assertEquals(Boolean.TRUE, ref.getProperty(MqttConstants.CONNECTED));
        assertEquals("CONNECTED", ref.getProperty(MqttConstants.STATE));
        String clientId = (String) ref.getProperty(MqttConstants.CLIENT_ID);
        assertTrue(clientId, clientId.startsWith("umqtt-"));
        assertEquals("io.umqtt.simple", ref.getBundle().getSymbolicName());
        assertNotNull("the connection thread runs", thread("umqtt-simple-it1"));
        MqttConnection service = context.getService(ref);
        try {
            assertEquals("it1", service.name());
            assertTrue(service.isConnected());
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void publishAndSubscribeRoundTripThroughTheBroker() throws Exception {
        configureSimple("it-rt");
        ServiceReference<MqttConnection> ref = awaitConnected("it-rt");
        MqttConnection conn = context.getService(ref);
        try {
            BlockingQueue<MqttMessage> received = new ArrayBlockingQueue<>(4);
            assertEquals(1, conn.subscribe("it/rt/+", 1, received::add));
            byte[] payload = "round trip \u00fc".getBytes(StandardCharsets.UTF_8);
            conn.publish("it/rt/1", payload, 1, false);
            MqttMessage m = received.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
            assertNotNull("no message within " + TIMEOUT_MILLIS + " ms", m);
            assertEquals("it/rt/1", m.topicString());
            assertArrayEquals(payload, m.payload());
            assertEquals(1, m.qos());
            assertSame(conn, m.connection());
        } finally {
            context.ungetService(ref);
        }
    }

    @Test
    public void metatypeDescribesTheFactoryConfiguration() {
        Bundle simple = Arrays.stream(context.getBundles())
                .filter(b -> "io.umqtt.simple".equals(b.getSymbolicName())).findFirst().orElseThrow();
        // Kura's UI reads the OCD from OSGI-INF/metatype/<pid>.xml
        assertNotNull(simple.getEntry("OSGI-INF/metatype/" + SIMPLE_PID + ".xml"));
        MetaTypeInformation info = metaType.getMetaTypeInformation(simple);
        assertNotNull(info);
        assertTrue(Arrays.toString(info.getFactoryPids()), Arrays.asList(info.getFactoryPids()).contains(SIMPLE_PID));
        ObjectClassDefinition ocd = info.getObjectClassDefinition(SIMPLE_PID, null);
        assertEquals("umqtt simple MQTT connection", ocd.getName());
        AttributeDefinition[] ads = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        assertEquals(AttributeDefinition.PASSWORD, ad(ads, "password").getType());
        assertEquals(AttributeDefinition.PASSWORD, ad(ads, "tls.keystore.password").getType());
        assertEquals(AttributeDefinition.PASSWORD, ad(ads, "tls.truststore.password").getType());
        AttributeDefinition port = ad(ads, "port");
        assertEquals(AttributeDefinition.INTEGER, port.getType());
        assertArrayEquals(new String[] {"0"}, port.getDefaultValue());
        assertEquals("localhost", ad(ads, "server").getDefaultValue()[0]);
        assertEquals(AttributeDefinition.BOOLEAN, ad(ads, "clean.session").getType());
    }

    @Test
    public void deletedConfigurationUnregistersDisconnectsAndEndsThread() throws Exception {
        // a watcher that would receive the last will if the connection ended without DISCONNECT
        configureSimple("it-watch");
        ServiceReference<MqttConnection> watchRef = awaitConnected("it-watch");
        MqttConnection watcher = context.getService(watchRef);
        BlockingQueue<MqttMessage> seen = new ArrayBlockingQueue<>(8);
        watcher.subscribe("it/will/#", 1, seen::add);

        Configuration config = configureSimple("it-del", "lwt.topic", "it/will/it-del", "lwt.message", "died");
        String clientId = (String) awaitConnected("it-del").getProperty(MqttConstants.CLIENT_ID);
        Thread thread = thread("umqtt-simple-it-del");
        assertNotNull("the connection thread runs", thread);

        CountDownLatch removed = new CountDownLatch(1);
        ServiceTracker<MqttConnection, MqttConnection> tracker = track("(" + MqttConstants.NAME + "=it-del)", removed);
        try {
            assertEquals(1, tracker.size());
            delete(config);
            assertTrue("service still registered " + TIMEOUT_MILLIS + " ms after the configuration was deleted",
                    removed.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        } finally {
            tracker.close();
        }
        thread.join(TIMEOUT_MILLIS);
        assertFalse("thread " + thread.getName() + " still alive", thread.isAlive());

        // mosquitto logs "disconnected." for a DISCONNECT, "closed its connection." for a bare close
        assertTrue("mosquitto did not log a DISCONNECT from " + clientId,
                awaitBrokerLog("Client " + clientId + " disconnected."));
        // and so publishes no last will; the marker shows the watcher would have received it
        watcher.publish("it/will/marker", new byte[0], 1, false);
        MqttMessage first = seen.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertNotNull("the watcher got nothing", first);
        assertEquals("a last will means the connection ended without DISCONNECT", "it/will/marker",
                first.topicString());
        context.ungetService(watchRef);
    }

    @Test
    public void badConfigurationStaysVisibleWithItsErrorAndAFixRecoversIt() throws Exception {
        Configuration config = configureSimple("it-bad", "port", 70000);
        ServiceTracker<MqttConnection, MqttConnection> tracker = track("(" + MqttConstants.NAME + "=it-bad)("
                + MqttConstants.ERROR + "=*)");
        try {
            MqttConnection failed = tracker.waitForService(TIMEOUT_MILLIS);
            assertNotNull("no MqttConnection it-bad with " + MqttConstants.ERROR + " within " + TIMEOUT_MILLIS
                    + " ms", failed);
            ServiceReference<MqttConnection> ref = tracker.getServiceReference();
            String error = (String) ref.getProperty(MqttConstants.ERROR);
            assertTrue(error, error.contains(
                    "invalid configuration of io.umqtt.simple~it-bad: port=70000 is outside 0..65535"));
            assertEquals("CLOSED", ref.getProperty(MqttConstants.STATE));
            assertEquals(Boolean.FALSE, ref.getProperty(MqttConstants.CONNECTED));
            assertFalse(failed.isConnected());
            assertNull("no thread for a bad configuration", thread("umqtt-simple-it-bad"));
            // SCR may not have recorded the end of activate yet (the service is registered inside it)
            assertNotEquals("activation did not fail", ComponentConfigurationDTO.FAILED_ACTIVATION,
                    failedConfiguration().state);

            // fixed: the same service recovers without a restart
            Object id = ref.getProperty(org.osgi.framework.Constants.SERVICE_ID);
            java.util.Dictionary<String, Object> props = config.getProperties();
            props.put("port", brokerPort());
            config.update(props);
            ServiceReference<MqttConnection> fixed = awaitConnected("it-bad");
            assertEquals(id, fixed.getProperty(org.osgi.framework.Constants.SERVICE_ID));
            assertNull(fixed.getProperty(MqttConstants.ERROR));
        } finally {
            tracker.close();
        }
    }

    /** The component configuration of it-bad, as SCR reports it. */
    private ComponentConfigurationDTO failedConfiguration() {
        ComponentDescriptionDTO description = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(COMPONENT)).findFirst().orElseThrow();
        List<ComponentConfigurationDTO> configs = List.copyOf(scr.getComponentConfigurationDTOs(description));
        return configs.stream().filter(c -> "it-bad".equals(c.properties.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no component configuration for it-bad: " + configs));
    }

    private static AttributeDefinition ad(AttributeDefinition[] ads, String id) {
        return Arrays.stream(ads).filter(a -> a.getID().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no attribute " + id));
    }

    /** A log entry's message and its exception chain as one text. */
    private static String text(LogEntry entry) {
        StringBuilder s = new StringBuilder(String.valueOf(entry.getMessage()));
        for (Throwable t = entry.getException(); t != null; t = t.getCause()) {
            s.append(" | ").append(t);
        }
        return s.toString();
    }
}
