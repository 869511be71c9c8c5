package io.umqtt.kura;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;

/**
 * Checks the built .dp the way a deployment admin reads it: the manifest comes first with the
 * DeploymentPackage headers, then one entry per bundle, each named in a manifest section whose
 * Bundle-SymbolicName and Bundle-Version are the embedded bundle's own.
 */
class DeploymentPackageIT {
    private static final List<String> BUNDLES = List.of("io.umqtt.api", "io.umqtt.simple", "io.umqtt.robust",
            "io.umqtt.whiteboard");

    /**
     * A snapshot build's version ends in the build's time (yyyyMMddHHmm, UTC), so that a rebuilt .dp
     * installed over an older one in Kura replaces its bundles; a release keeps its plain version.
     */
    private static void assertQualifier(String version) {
        String mavenVersion = System.getProperty("umqtt.version");
        String base = mavenVersion.replace("-SNAPSHOT", "");
        if (!mavenVersion.endsWith("-SNAPSHOT")) {
            assertEquals(base, version);
            return;
        }
        String qualifier = System.getProperty("umqtt.qualifier");
        assertEquals(base + "." + qualifier, version, "a snapshot's version is qualified with the build time");
        Instant built = LocalDateTime.parse(qualifier, DateTimeFormatter.ofPattern("yyyyMMddHHmm"))
                .toInstant(ZoneOffset.UTC);
        Duration age = Duration.between(built, Instant.now());
        // this build's own start (not a fixed timestamp such as project.build.outputTimestamp)
        assertTrue(!age.isNegative() || age.abs().toMinutes() < 1, "qualifier in the future: " + qualifier);
        assertTrue(age.toHours() < 12, "qualifier " + qualifier + " is not this build's time");
    }

    @Test
    void manifestHeadersAndBundleEntriesMatch() throws IOException {
        byte[] dp = Files.readAllBytes(Paths.get(System.getProperty("umqtt.dp")));
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(dp))) {
            // JarInputStream finds the manifest only if it is among the first entries
            Manifest manifest = in.getManifest();
            assertNotNull(manifest, "the manifest must be the first entry of a deployment package");
            Attributes main = manifest.getMainAttributes();
            assertEquals("io.umqtt", main.getValue("DeploymentPackage-SymbolicName"));
            String version = main.getValue("DeploymentPackage-Version");
            assertTrue(version != null && version.matches("\\d+\\.\\d+\\.\\d+(\\.[\\w-]+)?"), "OSGi version: " + version);
            assertQualifier(version);

            List<String> entries = new ArrayList<>();
            for (JarEntry e; (e = in.getNextJarEntry()) != null;) {
                if (e.isDirectory()) {
                    continue;
                }
                entries.add(e.getName());
                Attributes section = manifest.getAttributes(e.getName());
                assertNotNull(section, "no manifest section for " + e.getName());
                try (JarInputStream bundle = new JarInputStream(in) {
                    @Override
                    public void close() {
                        // the outer stream stays open for the next entry
                    }
                }) {
                    Attributes own = bundle.getManifest().getMainAttributes();
                    assertEquals(own.getValue("Bundle-SymbolicName"), section.getValue("Bundle-SymbolicName"), e.getName());
                    assertEquals(own.getValue("Bundle-Version"), section.getValue("Bundle-Version"), e.getName());
                    assertEquals(version, own.getValue("Bundle-Version"), e.getName());
                }
            }
            List<String> expected = new ArrayList<>();
            BUNDLES.forEach(b -> expected.add(b + ".jar"));
            assertEquals(expected, entries, "bundles, in install order");
            for (Map.Entry<String, Attributes> s : manifest.getEntries().entrySet()) {
                assertTrue(entries.contains(s.getKey()), "manifest section without entry: " + s.getKey());
            }
        }
    }
}
