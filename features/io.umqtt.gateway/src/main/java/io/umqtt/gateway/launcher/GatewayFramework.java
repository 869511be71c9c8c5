package io.umqtt.gateway.launcher;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleRevision;

/**
 * Starts the framework with the bundles embedded in the gateway jar, as bnd's launcher did for the
 * settings the gateway uses (see {@link GatewayMain} for why it is not bnd's launcher):
 * <ul>
 * <li>every key of {@code launcher.properties} that does not start with {@code launch.} (the
 * {@code -runproperties}) is a framework property and a system property; a {@code -D} system
 * property of the same name wins;
 * <li>{@code launch.system.packages} and {@code launch.system.capabilities} are added to the system
 * bundle's exports and capabilities;
 * <li>{@code launch.bundles}, in order, are installed from the jar with their jar path as location
 * ({@code jar/x.jar}, the locations bnd's launcher used, so a kept {@code storage/} carries over);
 * one already installed is updated when the jar is newer than it, one no longer listed is
 * uninstalled; then all are started ({@code launch.activation.eager=false}: by their activation
 * policy).
 * </ul>
 * A shutdown hook (SIGTERM, Ctrl-C) stops the framework and waits up to 10 s for it.
 * <p>
 * Threading: {@link #run(Properties)} runs on the {@code main} thread and blocks until the
 * framework stops; the shutdown hook runs on its own thread and only stops the framework.
 */
public final class GatewayFramework {
    private static final String LOG = "[umqtt gateway] ";
    private static final String JAR_LOCATION = "jar/";
    private static final long STOP_TIMEOUT_MILLIS = 10_000;

    private GatewayFramework() {
    }

    /**
     * Starts the framework and waits until it stops.
     *
     * @param launch the jar's {@code launcher.properties}
     * @return the process exit code: 0 after a normal stop, 1 after a stop with an error
     */
    public static int run(Properties launch) throws Exception {
        Map<String, String> config = new HashMap<>();
        for (String key : launch.stringPropertyNames()) {
            if (key.startsWith("launch.")) {
                continue;
            }
            String value = System.getProperty(key, launch.getProperty(key));
            config.put(key, value);
            // slf4j-simple and Gogo read system properties
            System.setProperty(key, value);
        }
        putIfSet(config, Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, launch.getProperty("launch.system.packages"));
        putIfSet(config, Constants.FRAMEWORK_SYSTEMCAPABILITIES_EXTRA, launch.getProperty("launch.system.capabilities"));

        Iterator<FrameworkFactory> factories = ServiceLoader.load(FrameworkFactory.class, GatewayFramework.class.getClassLoader()).iterator();
        if (!factories.hasNext()) {
            throw new IllegalStateException("no OSGi framework (META-INF/services/" + FrameworkFactory.class.getName() + ") in the gateway jar");
        }
        Framework framework = factories.next().newFramework(config);
        framework.init();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(framework), "umqtt-gateway-stop"));

        List<Bundle> bundles = install(framework.getBundleContext(), list(launch.getProperty("launch.bundles")));
        framework.start();
        int options = Boolean.parseBoolean(launch.getProperty("launch.activation.eager")) ? 0 : Bundle.START_ACTIVATION_POLICY;
        for (Bundle bundle : bundles) {
            if ((bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0) {
                continue;
            }
            try {
                bundle.start(options);
            } catch (BundleException e) {
                // as bnd's launcher: report it and go on; the web console shows the bundle as not active
                System.err.println(LOG + "could not start bundle " + bundle.getSymbolicName() + " " + bundle.getVersion() + ": " + e);
            }
        }
        FrameworkEvent stopped = framework.waitForStop(0);
        if (stopped.getType() == FrameworkEvent.ERROR) {
            System.err.println(LOG + "the framework stopped with an error: " + stopped.getThrowable());
            return 1;
        }
        return 0;
    }

    /**
     * Installs (or updates) the bundles at {@code paths} in the gateway jar, uninstalls the ones a
     * former jar installed that are no longer listed.
     *
     * @return the bundles of {@code paths}, in order
     */
    private static List<Bundle> install(BundleContext context, List<String> paths) throws IOException, BundleException, URISyntaxException {
        File self = new File(GatewayFramework.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Bundle> bundles = new ArrayList<>();
        try (JarFile jar = new JarFile(self)) {
            for (String path : paths) {
                JarEntry entry = jar.getJarEntry(path);
                if (entry == null) {
                    throw new IOException(self + " has no " + path + " (listed in launch.bundles)");
                }
                Bundle bundle = context.getBundle(path);
                try (InputStream in = jar.getInputStream(entry)) {
                    if (bundle == null) {
                        bundle = context.installBundle(path, in);
                    } else if (bundle.getLastModified() < self.lastModified()) {
                        bundle.update(in); // the jar was rebuilt or replaced since: its bundle may have changed
                    }
                }
                bundles.add(bundle);
            }
        }
        Set<String> listed = new HashSet<>(paths);
        for (Bundle bundle : context.getBundles()) {
            if (bundle.getLocation().startsWith(JAR_LOCATION) && !listed.contains(bundle.getLocation())) {
                bundle.uninstall();
            }
        }
        return bundles;
    }

    private static void stop(Framework framework) {
        try {
            framework.stop();
            framework.waitForStop(STOP_TIMEOUT_MILLIS);
        } catch (BundleException | InterruptedException e) {
            System.err.println(LOG + "could not stop the framework cleanly: " + e);
        }
    }

    private static void putIfSet(Map<String, String> config, String key, String value) {
        if (value != null && !value.isBlank()) {
            config.put(key, value);
        }
    }

    private static List<String> list(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("launcher.properties lists no bundles (launch.bundles)");
        }
        return Arrays.asList(value.trim().split("\\s*,\\s*"));
    }
}
