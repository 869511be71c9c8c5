package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.LogService;

import io.umqtt.api.MqttConnection;
import io.umqtt.api.MqttConstants;
import io.umqtt.api.MqttMessage;

/**
 * The robust bundle in a framework without EventAdmin (its import of {@code org.osgi.service.event}
 * is optional): it resolves, its component works, and nothing fails for want of the event classes.
 * In Kura's runtime the package is always exported (by {@code org.eclipse.osgi.services}) and only
 * the EventAdmin service is missing: the component must work all the same.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RobustWithoutEventAdminIT extends UmqttTestSupport {
    @Inject
    private LogReaderService logReader;

    @Test
    public void robustConnectionWorksWithoutEventAdmin() throws Exception {
        Bundle robust = Arrays.stream(context.getBundles())
                .filter(b -> "io.umqtt.robust".equals(b.getSymbolicName())).findFirst().orElseThrow();
        assertEquals(Bundle.ACTIVE, robust.getState());
        List<BundleWire> wires = robust.adapt(BundleWiring.class).getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE);
        if (KURA_RUNTIME) {
            // Kura's org.eclipse.osgi.services always exports the package: here it is there, the service not
            assertNull("no EventAdmin service in this framework", context.getServiceReference(
                    "org.osgi.service.event.EventAdmin"));
        } else {
            assertTrue("org.osgi.service.event must be unwired here: " + wires, wires.stream().noneMatch(
                    w -> "org.osgi.service.event".equals(w.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))));
        }

        BlockingQueue<LogEntry> problems = new LinkedBlockingQueue<>();
        LogListener listener = entry -> {
            if (entry.getBundle() == robust && entry.getLevel() <= LogService.LOG_WARNING) {
                problems.add(entry);
            }
        };
        logReader.addLogListener(listener);
        try {
            org.osgi.service.cm.Configuration config = configure(ROBUST_PID, "r-plain");
            ServiceReference<MqttConnection> ref = awaitConnected("r-plain");
            assertEquals("robust", ref.getProperty(MqttConstants.KIND));
            MqttConnection conn = context.getService(ref);
            try {
                BlockingQueue<MqttMessage> received = new LinkedBlockingQueue<>();
                assertEquals(1, conn.subscribe("it/plain/#", 1, received::add));
                conn.publish("it/plain/1", new byte[] {1}, 1, false);
                assertNotNull("no message within " + TIMEOUT_MILLIS + " ms",
                        received.poll(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            } finally {
                context.ungetService(ref);
            }
            Thread thread = thread("umqtt-robust-r-plain");
            assertNotNull(thread);
            delete(config);
            thread.join(TIMEOUT_MILLIS);
            assertFalse(thread.isAlive());
        } finally {
            logReader.removeLogListener(listener);
        }
        assertTrue("warnings or errors from io.umqtt.robust: " + problems, problems.isEmpty());
    }
}
