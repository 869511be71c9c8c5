package io.umqtt.gateway.launcher;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The gateway jar's {@code Main-Class}: starts the OSGi framework that bnd-export-maven-plugin
 * packed into the jar, without bnd's launcher.
 * <p>
 * Why: bnd's launcher (7.1.0, the newest bnd export plugin served to this build) calls
 * {@code java.security.Policy.setPolicy} before it starts the framework, which Java 24 and newer
 * refuse ({@code UnsupportedOperationException}), so the jar it makes runs on Java 17 to 23 only.
 * This class and {@link GatewayFramework} do the part of its work that the gateway uses, on any
 * Java (the launcher is compiled for 11, the jar's bundles are resolved for 17): they read the {@code launcher.properties} that the export wrote into the jar
 * (the resolved bundles, the {@code -runproperties}), and start Felix with those bundles.
 * <p>
 * This class only bootstraps and uses no OSGi type: it copies the framework jar(s) that the
 * manifest's {@code Embedded-Runpath} names out of this jar into temporary files (a jar inside a
 * jar cannot be on a class path), and runs {@link GatewayFramework} in a class loader over those
 * files and this jar, so that the framework API it links against is the framework's own.
 * <p>
 * Threading: runs on the {@code main} thread, which then waits in
 * {@link GatewayFramework#run(Properties)} until the framework stops.
 */
public final class GatewayMain {
    /** The resource bnd's export writes: the launch settings and the {@code -runproperties}. */
    static final String LAUNCH_PROPERTIES = "launcher.properties";
    /** The manifest header that lists the jar entries of the framework's class path. */
    static final String EMBEDDED_RUNPATH = "Embedded-Runpath";

    private GatewayMain() {
    }

    /**
     * Starts the gateway and exits the JVM with the framework's exit code (0 after a normal stop,
     * 1 when it could not start or stopped with an error).
     *
     * @param args not used: the gateway is configured with {@code -D} properties and {@code conf/}
     */
    public static void main(String[] args) {
        int code;
        try {
            code = launch();
        } catch (Throwable t) {
            System.err.println("[umqtt gateway] could not start: " + t);
            t.printStackTrace();
            code = 1;
        }
        System.exit(code);
    }

    private static int launch() throws Exception {
        URL self = GatewayMain.class.getProtectionDomain().getCodeSource().getLocation();
        Properties launch = new Properties();
        List<URL> classPath = new ArrayList<>();
        try (JarFile jar = new JarFile(new File(self.toURI()))) {
            try (InputStream in = entry(jar, LAUNCH_PROPERTIES)) {
                launch.load(in);
            }
            for (String name : runpath(jar)) {
                Path file = Files.createTempFile("umqtt-gateway-", ".jar");
                file.toFile().deleteOnExit();
                try (InputStream in = entry(jar, name)) {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                classPath.add(file.toUri().toURL());
            }
        }
        classPath.add(self);
        // not closed: the framework's classes are loaded from it until the JVM exits
        URLClassLoader loader = new URLClassLoader(classPath.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        Method run = loader.loadClass(GatewayFramework.class.getName()).getMethod("run", Properties.class);
        try {
            return (Integer) run.invoke(null, launch);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    /**
     * The {@code Embedded-Runpath} entries of the jar's manifest, without bnd's launcher (which
     * is in the jar, but not used).
     */
    private static List<String> runpath(JarFile jar) throws IOException {
        Manifest manifest = jar.getManifest();
        String value = manifest == null ? null : manifest.getMainAttributes().getValue(EMBEDDED_RUNPATH);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(jar.getName() + " has no " + EMBEDDED_RUNPATH
                    + " header in its manifest: not a gateway jar made by bnd-export");
        }
        List<String> entries = new ArrayList<>();
        for (String entry : value.trim().split("\\s*,\\s*")) {
            if (!entry.startsWith("jar/biz.aQute.launcher")) {
                entries.add(entry);
            }
        }
        return entries;
    }

    private static InputStream entry(JarFile jar, String name) throws IOException {
        JarEntry entry = jar.getJarEntry(name);
        if (entry == null) {
            throw new IOException(jar.getName() + " has no " + name);
        }
        return jar.getInputStream(entry);
    }
}
