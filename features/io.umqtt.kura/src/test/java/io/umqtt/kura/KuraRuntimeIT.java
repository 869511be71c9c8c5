package io.umqtt.kura;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.util.tracker.ServiceTracker;

import io.umqtt.simple.testing.KuraStub;
import io.umqtt.simple.testing.MosquittoBroker;

/**
 * The project's .dp on Eclipse Kura 5's own OSGi runtime, launched here from the test: Equinox 3.16
 * (the framework on this test's class path), Felix SCR 2.1.16, Equinox ConfigAdmin, Metatype and
 * EventAdmin, {@code org.eclipse.osgi.services}/{@code org.eclipse.osgi.util}, and Felix
 * DeploymentAdmin 0.9.5, through which the package is installed as Kura's deployment agent does. A
 * bundle exporting Kura's {@code org.eclipse.kura.configuration} stands in for Kura's API.
 * <p>
 * The OSGi service APIs live in bundles inside the framework, not on this class path, so the test
 * calls DeploymentAdmin, ConfigurationAdmin and ServiceComponentRuntime reflectively through the
 * interfaces those bundles load; the framework API itself (Equinox's jar) is shared.
 */
class KuraRuntimeIT {
    private static final long TIMEOUT_MILLIS = 10_000;
    /** Kura's runtime bundles in install order (files in target/kura-runtime, see the pom). */
    private static final List<String> RUNTIME = List.of("org.eclipse.osgi.services", "org.eclipse.osgi.util",
            "org.eclipse.equinox.cm", "org.eclipse.equinox.metatype", "org.eclipse.equinox.event",
            "org.apache.felix.scr", "org.apache.felix.dependencymanager", "org.apache.felix.deploymentadmin");
    private static final List<String> UMQTT = List.of("io.umqtt.api", "io.umqtt.simple", "io.umqtt.robust",
            "io.umqtt.whiteboard");
    /** ComponentConfigurationDTO states (DS 1.3/1.4). */
    private static final int SATISFIED = 4;
    private static final int ACTIVE = 8;

    private static MosquittoBroker broker;
    private static Framework framework;
    private static BundleContext context;

    @BeforeAll
    static void launchKurasRuntimeAndInstallTheDeploymentPackage() throws Exception {
        broker = MosquittoBroker.builder().user("kura", "s3cret").start();

        Map<String, String> config = new HashMap<>();
        Path storage = Paths.get("target", "kura-runtime-storage").toAbsolutePath();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        // Kura starts with osgi.clean=true
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class).iterator().next();
        framework = factory.newFramework(config);
        framework.start();
        context = framework.getBundleContext();
        assertEquals("org.eclipse.osgi", context.getBundle(0).getSymbolicName(), "Equinox must run this test");

        Path dir = Paths.get(System.getProperty("umqtt.kura.runtime"));
        List<Bundle> runtime = new ArrayList<>();
        for (String bsn : RUNTIME) {
            Path jar = dir.resolve(bsn + ".jar");
            try (InputStream in = Files.newInputStream(jar)) {
                runtime.add(context.installBundle(jar.toUri().toString(), in));
            }
        }
        runtime.add(context.installBundle("kura-api-stub", KuraStub.bundle()));
        for (Bundle b : runtime) {
            b.start();
        }

        ServiceReference<?> deploymentAdmin = await("org.osgi.service.deploymentadmin.DeploymentAdmin", null);
        try (InputStream dp = Files.newInputStream(Paths.get(System.getProperty("umqtt.dp")))) {
            Object installed = call(deploymentAdmin, "installDeploymentPackage", new Class<?>[] {InputStream.class}, dp);
            assertEquals("io.umqtt", call(installed, "org.osgi.service.deploymentadmin.DeploymentPackage",
                    deploymentAdmin.getBundle(), "getName", new Class<?>[0]));
        }
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (framework != null) {
                framework.stop();
                FrameworkEvent stopped = framework.waitForStop(TIMEOUT_MILLIS);
                assertEquals(FrameworkEvent.STOPPED, stopped.getType(), "Equinox did not stop: " + stopped);
            }
        } finally {
            if (broker != null) {
                broker.close();
            }
        }
    }

    @Test
    void everyBundleIsActive() {
        List<String> notActive = Arrays.stream(context.getBundles()).filter(b -> b.getState() != Bundle.ACTIVE)
                .map(b -> b.getSymbolicName() + " " + b.getVersion() + " state " + b.getState())
                .collect(Collectors.toList());
        assertEquals(List.of(), notActive, "bundles not ACTIVE on Kura's runtime");
        for (String bsn : UMQTT) {
            assertNotNull(bundle(bsn), bsn + " not installed by the .dp");
        }
    }

    /**
     * Kura asks the MetaTypeService (here Equinox's) for each active bundle's PIDs and factory PIDs,
     * then reads {@code OSGI-INF/metatype/<pid>.xml} from the bundle: each must be there.
     */
    @Test
    void kuraFindsTheMetatypeOfEachPidWhereItLooks() throws Exception {
        ServiceReference<?> metatype = await("org.osgi.service.metatype.MetaTypeService", null);
        Map<String, List<String>> expected = Map.of("io.umqtt.simple", List.of("io.umqtt.simple"),
                "io.umqtt.robust", List.of("io.umqtt.robust"), "io.umqtt.whiteboard", List.of("io.umqtt.whiteboard"));
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            Bundle b = bundle(e.getKey());
            Object info = call(metatype, "getMetaTypeInformation", new Class<?>[] {Bundle.class}, b);
            assertNotNull(info, e.getKey() + " has no metatype information");
            List<String> pids = new ArrayList<>();
            for (String method : List.of("getPids", "getFactoryPids")) {
                pids.addAll(Arrays.asList((String[]) call(info, "org.osgi.service.metatype.MetaTypeInformation",
                        metatype.getBundle(), method, new Class<?>[0])));
            }
            assertEquals(e.getValue(), pids, e.getKey());
            for (String pid : pids) {
                assertNotNull(b.getEntry("OSGI-INF/metatype/" + pid + ".xml"),
                        e.getKey() + ": no OSGI-INF/metatype/" + pid + ".xml, where Kura reads the OCD of " + pid);
            }
        }
    }

    @Test
    void theConnectionBundlesWireToKurasApi() {
        Bundle stub = bundle(KuraStub.BUNDLE_SYMBOLIC_NAME);
        for (String bsn : List.of("io.umqtt.simple", "io.umqtt.robust")) {
            List<BundleWire> wires = bundle(bsn).adapt(BundleWiring.class)
                    .getRequiredWires(PackageNamespace.PACKAGE_NAMESPACE);
            assertTrue(wires.stream().anyMatch(w -> KuraStub.PACKAGE.equals(
                    w.getCapability().getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE))
                    && w.getProvider().getBundle() == stub), bsn + " must import " + KuraStub.PACKAGE + ": " + wires);
        }
    }

    @Test
    void theThreeComponentsAreEnabledAndTheWhiteboardIsSatisfied() throws Exception {
        Map<String, Object> whiteboard = componentDescription("io.umqtt.whiteboard");
        assertEquals(List.of(), components(whiteboard).stream()
                .filter(state -> state != SATISFIED && state != ACTIVE).collect(Collectors.toList()),
                "whiteboard configuration states");
        assertEquals(1, components(whiteboard).size());
        for (String bsn : List.of("io.umqtt.simple", "io.umqtt.robust")) {
            Map<String, Object> description = componentDescription(bsn);
            assertEquals("require", description.get("configurationPolicy"), bsn);
            assertEquals(List.of(bsn), Arrays.asList((String[]) description.get("configurationPid")), bsn);
        }
    }

    /**
     * A robust and a simple connection configured the way Kura's ConfigurationService creates
     * factory configurations (createFactoryConfiguration, then getConfiguration(pid, "?"), with
     * {@code kura.service.pid}) reach CONNECTED against a password-protected mosquitto, their
     * components are satisfied (active), each registers Kura's marker, and deleting them removes both services.
     */
    @Test
    void connectionsConfiguredThroughConfigAdminConnect() throws Exception {
        ServiceReference<?> cm = await("org.osgi.service.cm.ConfigurationAdmin", null);
        List<Object> configs = new ArrayList<>();
        try {
            for (String factoryPid : List.of("io.umqtt.robust", "io.umqtt.simple")) {
                String name = "kura-" + factoryPid.substring("io.umqtt.".length());
                Object created = call(cm, "createFactoryConfiguration", new Class<?>[] {String.class, String.class},
                        factoryPid, null);
                String pid = (String) configuration(cm, created, "getPid", new Class<?>[0]);
                Object config = call(cm, "getConfiguration", new Class<?>[] {String.class, String.class}, pid, "?");
                configs.add(config);
                Dictionary<String, Object> props = new Hashtable<>();
                props.put("name", name);
                props.put("server", broker.host());
                props.put("port", broker.port());
                props.put("username", "kura");
                props.put("password", "s3cret");
                props.put("kura.service.pid", name);
                configuration(cm, config, "update", new Class<?>[] {Dictionary.class}, props);

                ServiceReference<?> connection = await("io.umqtt.api.MqttConnection",
                        "(mqtt.connection.name=" + name + ")(mqtt.state=CONNECTED)");
                assertEquals(bundle(factoryPid), connection.getBundle());
                ServiceReference<?> marker = await(KuraStub.INTERFACE, "(kura.service.pid=" + name + ")");
                assertEquals(pid, marker.getProperty("service.pid"));

                // SATISFIED while activate() has not returned yet: the connection thread it started may be quicker
                List<Integer> states = components(componentDescription(factoryPid));
                assertEquals(1, states.size(), factoryPid + " component configurations: " + states);
                assertTrue(states.get(0) == ACTIVE || states.get(0) == SATISFIED, factoryPid + " state " + states);
            }
        } finally {
            for (Object config : configs) {
                configuration(cm, config, "delete", new Class<?>[0]);
            }
        }
        for (String name : List.of("kura-robust", "kura-simple")) {
            awaitGone("io.umqtt.api.MqttConnection", "(mqtt.connection.name=" + name + ")");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Bundle bundle(String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst()
                .orElse(null);
    }

    /** Waits for a service of that class (and, when not null, the filter's other properties). */
    private static ServiceReference<?> await(String objectClass, String properties) throws Exception {
        ServiceTracker<Object, Object> tracker = tracker(objectClass, properties);
        try {
            assertNotNull(tracker.waitForService(TIMEOUT_MILLIS),
                    "no " + objectClass + " " + (properties == null ? "" : properties) + " within " + TIMEOUT_MILLIS
                            + " ms; bundles: " + Arrays.stream(context.getBundles())
                                    .map(b -> b.getSymbolicName() + "=" + b.getState()).collect(Collectors.toList()));
            return tracker.getServiceReference();
        } finally {
            tracker.close();
        }
    }

    /** Waits until no service of that class with those properties is left. */
    private static void awaitGone(String objectClass, String properties) throws Exception {
        java.util.concurrent.CountDownLatch gone = new java.util.concurrent.CountDownLatch(1);
        ServiceTracker<Object, Object> tracker = new ServiceTracker<Object, Object>(context,
                context.createFilter("(&(objectClass=" + objectClass + ")" + properties + ")"), null) {
            @Override
            public void removedService(ServiceReference<Object> reference, Object service) {
                super.removedService(reference, service);
                if (isEmpty()) {
                    gone.countDown();
                }
            }
        };
        tracker.open(true);
        try {
            if (!tracker.isEmpty()) {
                assertTrue(gone.await(TIMEOUT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS),
                        objectClass + " " + properties + " outlived its configuration");
            }
        } finally {
            tracker.close();
        }
    }

    private static ServiceTracker<Object, Object> tracker(String objectClass, String properties) throws Exception {
        String filter = "(&(objectClass=" + objectClass + ")" + (properties == null ? "" : properties) + ")";
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, context.createFilter(filter), null);
        tracker.open(true); // the system bundle wires to none of these packages
        return tracker;
    }

    /** SCR's description of the one component of that bundle, as a map of the DTO's fields. */
    private static Map<String, Object> componentDescription(String bsn) throws Exception {
        ServiceReference<?> scr = await("org.osgi.service.component.runtime.ServiceComponentRuntime", null);
        Bundle bundle = bundle(bsn);
        assertNotNull(bundle, bsn);
        Collection<?> descriptions = (Collection<?>) call(scr, "getComponentDescriptionDTOs",
                new Class<?>[] {Bundle[].class}, (Object) new Bundle[] {bundle});
        assertEquals(1, descriptions.size(), bsn + " components: " + descriptions);
        Object dto = descriptions.iterator().next();
        assertTrue((Boolean) call(scr, "isComponentEnabled", new Class<?>[] {dto.getClass()}, dto),
                bsn + " component not enabled");
        Map<String, Object> fields = fields(dto);
        fields.put("$dto", dto);
        return fields;
    }

    /** The states of the component's configurations (one per factory configuration, or one). */
    private static List<Integer> components(Map<String, Object> description) throws Exception {
        ServiceReference<?> scr = await("org.osgi.service.component.runtime.ServiceComponentRuntime", null);
        Object dto = description.get("$dto");
        Collection<?> configurations = (Collection<?>) call(scr, "getComponentConfigurationDTOs",
                new Class<?>[] {dto.getClass()}, dto);
        List<Integer> states = new ArrayList<>();
        for (Object c : configurations) {
            states.add((Integer) fields(c).get("state"));
        }
        return states;
    }

    private static Map<String, Object> fields(Object dto) throws IllegalAccessException {
        Map<String, Object> out = new HashMap<>();
        for (java.lang.reflect.Field f : dto.getClass().getFields()) {
            out.put(f.getName(), f.get(dto));
        }
        return out;
    }

    /** Calls a method of a service through the service interface named by its objectClass. */
    private static Object call(ServiceReference<?> ref, String method, Class<?>[] types, Object... args)
            throws Exception {
        String iface = ((String[]) ref.getProperty(Constants.OBJECTCLASS))[0];
        Object service = context.getService(ref);
        assertNotNull(service, iface);
        try {
            return call(service, iface, ref.getBundle(), method, types, args);
        } finally {
            context.ungetService(ref);
        }
    }

    /** Calls a method of a ConfigurationAdmin {@code Configuration}. */
    private static Object configuration(ServiceReference<?> cm, Object config, String method, Class<?>[] types,
            Object... args) throws Exception {
        return call(config, "org.osgi.service.cm.Configuration", cm.getBundle(), method, types, args);
    }

    /**
     * Calls {@code method} of {@code target} as declared by {@code iface}, loaded by {@code loader};
     * parameter types are the framework API's, java.* or the framework's own DTO classes.
     */
    private static Object call(Object target, String iface, Bundle loader, String method, Class<?>[] types,
            Object... args) throws Exception {
        Class<?> type = loader.loadClass(iface);
        Method m = type.getMethod(method, types);
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof Exception) {
                throw (Exception) e.getCause();
            }
            throw e;
        }
    }
}
