package io.umqtt.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.streamBundle;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.simple.testing.KuraStub;

/**
 * Where Kura's API is (here a bundle exporting its {@code org.eclipse.kura.configuration} marker
 * interface, as Kura's API bundle does), every connection configuration is also a service Kura's
 * ConfigurationService lists in its UI: an instance of {@code ConfigurableComponent} with
 * {@code service.pid}, {@code service.factoryPid} and {@code kura.service.pid}. The other ITs run
 * without it, where nothing of the kind is registered.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class KuraIT extends UmqttTestSupport {
    private static final String MARKER = "org.eclipse.kura.configuration.ConfigurableComponent";

    @Override
    @Configuration
    public Option[] configuration() throws IOException {
        // Pax Exam installs every bundle before it starts any: the umqtt bundles resolve with it
        return OptionUtils.combine(super.configuration(), streamBundle(KuraStub.bundle()));
    }

    @Test
    public void bothBundlesWireToKurasApi() {
        Bundle stub = stub();
        for (String bsn : List.of("io.umqtt.simple", "io.umqtt.robust")) {
            Bundle b = bundle(bsn);
            List<BundleWire> wires = b.adapt(BundleWiring.class).getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE);
            assertTrue(bsn + " must import org.eclipse.kura.configuration from the API bundle: " + wires,
                    wires.stream().anyMatch(w -> "org.eclipse.kura.configuration".equals(
                            w.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))
                            && w.getProvider().getBundle() == stub));
        }
    }

    @Test
    public void aSimpleConnectionMadeOutsideKuraIsListedByItsServicePid() throws Exception {
        org.osgi.service.cm.Configuration config = configure(SIMPLE_PID, "k-simple");
        ServiceReference<?> ref = awaitMarker(config.getPid());
        assertEquals(config.getPid(), ref.getProperty("kura.service.pid"));
        assertEquals(SIMPLE_PID, ref.getProperty("service.factoryPid"));
        assertSame(bundle("io.umqtt.simple"), ref.getBundle());
        assertIsKurasMarker(ref);
        awaitConnected("k-simple"); // the connection itself is unaffected

        awaitMarkerGone(config);
    }

    @Test
    public void aRobustConnectionMadeByKuraKeepsKurasName() throws Exception {
        // Kura's ConfigurationService puts the name a user gives a new component into kura.service.pid
        org.osgi.service.cm.Configuration config = configure(ROBUST_PID, "k-robust", "kura.service.pid", "plant-line-3");
        ServiceReference<?> ref = awaitMarker(config.getPid());
        assertEquals("plant-line-3", ref.getProperty("kura.service.pid"));
        assertEquals(ROBUST_PID, ref.getProperty("service.factoryPid"));
        assertSame(bundle("io.umqtt.robust"), ref.getBundle());
        assertIsKurasMarker(ref);
        awaitConnected("k-robust");

        awaitMarkerGone(config);
    }

    private void assertIsKurasMarker(ServiceReference<?> ref) {
        Object marker = context.getService(ref);
        try {
            assertNotNull(marker);
            Class<?> iface = Arrays.stream(marker.getClass().getInterfaces())
                    .filter(i -> MARKER.equals(i.getName())).findFirst().orElse(null);
            assertNotNull("the service does not implement " + MARKER + ": " + marker.getClass(), iface);
            // Kura's own interface, so that Kura's instanceof check holds
            assertSame(stub(), FrameworkUtil.getBundle(iface));
        } finally {
            context.ungetService(ref);
        }
    }

    private ServiceReference<?> awaitMarker(String servicePid) throws InterruptedException {
        ServiceTracker<Object, Object> tracker = markers(servicePid, null);
        try {
            assertNotNull("no " + MARKER + " service for " + servicePid + " within " + TIMEOUT_MILLIS + " ms",
                    tracker.waitForService(TIMEOUT_MILLIS));
            return tracker.getServiceReference();
        } finally {
            tracker.close();
        }
    }

    /** Deletes the configuration and waits for its marker service to go with the component. */
    private void awaitMarkerGone(org.osgi.service.cm.Configuration config) throws Exception {
        String pid = config.getPid(); // a deleted configuration no longer tells it
        CountDownLatch removed = new CountDownLatch(1);
        ServiceTracker<Object, Object> tracker = markers(pid, removed);
        try {
            assertNotNull(tracker.getServiceReference());
            delete(config);
            assertTrue("the " + MARKER + " service of " + pid + " outlived its configuration",
                    removed.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        } finally {
            tracker.close();
        }
    }

    private ServiceTracker<Object, Object> markers(String servicePid, CountDownLatch removed) {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<Object, Object>(context,
                filter("(&(objectClass=" + MARKER + ")(service.pid=" + servicePid + "))"), null) {
            @Override
            public void removedService(ServiceReference<Object> reference, Object service) {
                super.removedService(reference, service);
                if (removed != null) {
                    removed.countDown();
                }
            }
        };
        tracker.open(true); // the probe does not import Kura's package: track all, whatever class space
        return tracker;
    }

    private Bundle stub() {
        return bundle(KuraStub.BUNDLE_SYMBOLIC_NAME);
    }

    private Bundle bundle(String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError("no bundle " + bsn));
    }
}
