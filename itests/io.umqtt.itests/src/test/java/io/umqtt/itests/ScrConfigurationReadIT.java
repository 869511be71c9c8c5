package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Dictionary;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.inject.Inject;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationPlugin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Why a test that updates a configuration right after an earlier update of it first waits until SCR has handled
 * every configuration event ({@link #awaitConfigurationEventsDelivered()}, e.g. {@code KuraConfigurationModelIT}'s
 * edit after Kura's write-back): Felix SCR (2.2.12 here, 2.1.16 in Kura's runtime) reads the configuration of a
 * {@code CM_UPDATED} event in two calls, its (processed) properties and then its change count. An update stored
 * between the two raises the count SCR records with the old properties; the update's own event then looks seen
 * already and is ignored: the component never gets it.
 * <p>
 * The window is a few microseconds, so the test holds it open: ConfigAdmin calls every {@link ConfigurationPlugin}
 * inside SCR's first read ({@code getProcessedProperties}), and this test's plugin waits there until the second
 * update is stored. When this test fails, SCR applies such an update now, and those waits are no longer needed.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ScrConfigurationReadIT extends UmqttTestSupport {
    private static final String COMPONENT = "io.umqtt.robust.internal.RobustConnectionComponent";

    @Inject
    private ServiceComponentRuntime scr;

    @Test
    public void anUpdateStoredWhileScrReadsTheConfigurationOfTheEventBeforeIsNeverApplied() throws Exception {
        org.osgi.service.cm.Configuration config = configure(ROBUST_PID, "scr-read", "client.id", "scr-read-1");
        awaitConnected("scr-read");
        awaitConfigurationEventsDelivered();

        AtomicBoolean held = new AtomicBoolean();
        CountDownLatch scrReading = new CountDownLatch(1);
        CountDownLatch secondStored = new CountDownLatch(1);
        ConfigurationPlugin plugin = (reference, properties) -> {
            if ("1".equals(String.valueOf(properties.get("rewrite"))) && held.compareAndSet(false, true)) {
                scrReading.countDown();
                try {
                    secondStored.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ServiceRegistration<ConfigurationPlugin> registration = context.registerService(ConfigurationPlugin.class,
                plugin, null);
        try {
            Dictionary<String, Object> props = config.getProperties();
            props.put("rewrite", 1); // the same settings, as Kura's write-back
            config.update(props);
            assertTrue("SCR did not read the configuration within " + TIMEOUT_MILLIS + " ms",
                    scrReading.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            props.put("rewrite", 2);
            props.put("client.id", "scr-read-2"); // the edit, stored while SCR is inside its first read
            config.update(props);
            secondStored.countDown();
            awaitConfigurationEventsDelivered();
        } finally {
            registration.unregister();
        }
        assertEquals("stored", "scr-read-2", config.getProperties().get("client.id"));
        assertEquals("what SCR gave the component: the update stored while it read the one before is lost "
                + "(when SCR applies it now, the waits before such updates can go)", "scr-read-1",
                componentProperties("scr-read").get("client.id"));
    }

    /** The properties SCR gave the component configuration of the connection named {@code name}. */
    private java.util.Map<String, Object> componentProperties(String name) {
        ComponentDescriptionDTO description = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(COMPONENT)).findFirst().orElseThrow();
        List<ComponentConfigurationDTO> configs = List.copyOf(scr.getComponentConfigurationDTOs(description));
        return configs.stream().filter(c -> name.equals(c.properties.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no component configuration for " + name + ": " + configs))
                .properties;
    }
}
