package io.umqtt.kura;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads the bundles inside the built .dp and checks that they ask for nothing Eclipse Kura 5's runtime
 * lacks: Declarative Services 1.4 (Felix SCR 2.1.16), the OSGi package versions that Equinox 3.16 and
 * {@code org.eclipse.osgi.services} 3.9.0 / {@code org.eclipse.osgi.util} 3.5.300 export. The
 * runtime test (KuraRuntimeIT) shows that they resolve there; this one names the header at fault.
 */
class KuraRequirementsIT {
    /** What Kura 5 exports of the OSGi packages a bundle of ours may import (framework, services, util). */
    private static final Map<String, String> KURA_EXPORTS = Map.ofEntries(
            Map.entry("org.osgi.dto", "1.1"),
            Map.entry("org.osgi.framework", "1.10"),
            Map.entry("org.osgi.framework.wiring", "1.2"),
            Map.entry("org.osgi.util.tracker", "1.5.2"),
            Map.entry("org.osgi.service.log", "1.5"),
            Map.entry("org.osgi.service.cm", "1.6"),
            Map.entry("org.osgi.service.component", "1.4"),
            Map.entry("org.osgi.service.component.runtime", "1.4"),
            Map.entry("org.osgi.service.metatype", "1.4"),
            Map.entry("org.osgi.service.event", "1.4"),
            Map.entry("org.osgi.util.function", "1.1"),
            Map.entry("org.osgi.util.promise", "1.1.1"));

    /** Bundle-SymbolicName to its manifest's main attributes, in .dp order. */
    private static final Map<String, Attributes> MANIFESTS = new LinkedHashMap<>();
    /** Bundle-SymbolicName to its entries' bytes. */
    private static final Map<String, Map<String, byte[]>> ENTRIES = new LinkedHashMap<>();

    @BeforeAll
    static void readDeploymentPackage() throws IOException {
        try (JarInputStream dp = new JarInputStream(Files.newInputStream(Paths.get(System.getProperty("umqtt.dp"))))) {
            for (JarEntry e; (e = dp.getNextJarEntry()) != null;) {
                if (e.isDirectory()) {
                    continue;
                }
                JarInputStream bundle = new JarInputStream(dp);
                Attributes main = bundle.getManifest().getMainAttributes();
                String bsn = main.getValue("Bundle-SymbolicName");
                Map<String, byte[]> entries = new LinkedHashMap<>();
                for (JarEntry be; (be = bundle.getNextJarEntry()) != null;) {
                    entries.put(be.getName(), readAll(bundle));
                }
                MANIFESTS.put(bsn, main);
                ENTRIES.put(bsn, entries);
            }
        }
        assertEquals(List.of("io.umqtt.api", "io.umqtt.simple", "io.umqtt.robust", "io.umqtt.whiteboard"),
                new ArrayList<>(MANIFESTS.keySet()));
    }

    @Test
    void componentBundlesRequireDeclarativeServices14Only() {
        for (Map.Entry<String, Attributes> m : MANIFESTS.entrySet()) {
            Attributes main = m.getValue();
            String requires = main.getValue("Require-Capability");
            if (main.getValue("Service-Component") == null) {
                assertTrue(requires == null || !requires.contains("osgi.component"), m.getKey() + ": " + requires);
                continue;
            }
            assertNotNull(requires, m.getKey());
            // Felix SCR 2.1.16 provides osgi.extender=osgi.component version 1.4.0
            assertTrue(requires.contains(
                    "osgi.extender;filter:=\"(&(osgi.extender=osgi.component)(version>=1.4.0)(!(version>=2.0.0)))\""),
                    m.getKey() + " must require osgi.component [1.4,2): " + requires);
            assertFalse(requires.contains("version>=1.5"), m.getKey() + ": " + requires);
            // and its component descriptions use no namespace newer than DS 1.4
            for (Map.Entry<String, byte[]> e : ENTRIES.get(m.getKey()).entrySet()) {
                if (e.getKey().startsWith("OSGI-INF/") && !e.getKey().startsWith("OSGI-INF/metatype/")
                        && e.getKey().endsWith(".xml")) {
                    Matcher ns = Pattern.compile("http://www.osgi.org/xmlns/scr/v(\\d+\\.\\d+)\\.\\d+")
                            .matcher(new String(e.getValue(), java.nio.charset.StandardCharsets.UTF_8));
                    assertTrue(ns.find(), e.getKey());
                    assertTrue(compare(ns.group(1), "1.4") <= 0, m.getKey() + " " + e.getKey() + ": DS " + ns.group(1));
                }
            }
        }
    }

    @Test
    void importedOsgiPackagesAreNoNewerThanKurasExports() {
        for (Map.Entry<String, Attributes> m : MANIFESTS.entrySet()) {
            String imports = m.getValue().getValue("Import-Package");
            for (String clause : clauses(imports == null ? "" : imports)) {
                String pkg = clause.split(";", 2)[0].trim();
                if (!pkg.startsWith("org.osgi.")) {
                    continue;
                }
                String exported = KURA_EXPORTS.get(pkg);
                assertNotNull(exported, m.getKey() + " imports " + pkg + ", which this test does not know Kura to export");
                Matcher floor = Pattern.compile("version=\"[\\[(]?(\\d+(?:\\.\\d+)*)").matcher(clause);
                if (floor.find()) {
                    assertTrue(compare(floor.group(1), exported) <= 0,
                            m.getKey() + " imports " + clause + ", Kura 5 exports " + pkg + " " + exported);
                }
            }
        }
    }

    /**
     * Kura reads {@code OSGI-INF/metatype/<pid>.xml} for each PID and takes the OCD whose id is that
     * PID: every metatype file here must be named after the (factory) PID it designates, with an OCD
     * of that id.
     */
    @Test
    void metatypeFilesAreNamedAfterTheirPids() {
        Map<String, String> expected = Map.of("io.umqtt.simple", "factoryPid=\"io.umqtt.simple\"",
                "io.umqtt.robust", "factoryPid=\"io.umqtt.robust\"",
                "io.umqtt.whiteboard", "pid=\"io.umqtt.whiteboard\"");
        for (Map.Entry<String, String> bundle : expected.entrySet()) {
            Map<String, byte[]> entries = ENTRIES.get(bundle.getKey());
            List<String> metatype = new ArrayList<>();
            entries.keySet().stream().filter(n -> n.startsWith("OSGI-INF/metatype/") && n.endsWith(".xml"))
                    .forEach(metatype::add);
            String file = "OSGI-INF/metatype/" + bundle.getKey() + ".xml";
            assertEquals(List.of(file), metatype, bundle.getKey());
            String xml = new String(entries.get(file), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(xml.contains("<OCD id=\"" + bundle.getKey() + "\""), file + ": " + xml);
            Matcher designate = Pattern.compile("<Designate ([^>]*)>").matcher(xml);
            assertTrue(designate.find(), file);
            assertEquals(bundle.getValue(), designate.group(1).trim(), file);
            Matcher object = Pattern.compile("<Object ocdref=\"([^\"]*)\"").matcher(xml);
            assertTrue(object.find(), file);
            assertEquals(bundle.getKey(), object.group(1), file);
        }
    }

    /** The clauses of a manifest header: split at commas outside quotes. */
    static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                out.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (current.length() > 0) {
            out.add(current.toString());
        }
        return out;
    }

    /** Compares dotted numeric versions, missing parts as 0. */
    static int compare(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }
}
