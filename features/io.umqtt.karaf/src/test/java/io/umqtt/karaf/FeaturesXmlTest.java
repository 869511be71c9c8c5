package io.umqtt.karaf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Checks the generated features.xml against the bundles this build made: the features exist,
 * name the bundles at this version, and each feature brings what its bundles import and require
 * (the umqtt packages, and Karaf's scr feature for the DS components). It does not boot Karaf.
 */
class FeaturesXmlTest {
    private static final String NS = "http://karaf.apache.org/xmlns/features/v1.6.0";
    /** Karaf 4.4 standard features the repository may depend on. */
    private static final Set<String> KARAF_FEATURES = Set.of("scr", "eventadmin");

    private static String version;
    private static String text;
    private static final Map<String, Element> features = new LinkedHashMap<>();

    @BeforeAll
    static void parse() throws Exception {
        version = System.getProperty("umqtt.version");
        Path file = Paths.get(System.getProperty("umqtt.features"));
        text = Files.readString(file);
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        Document doc = f.newDocumentBuilder().parse(file.toFile());
        assertEquals(NS, doc.getDocumentElement().getNamespaceURI());
        assertEquals("umqtt-" + version, doc.getDocumentElement().getAttribute("name"));
        for (Element e : children(doc.getDocumentElement(), "feature")) {
            assertTrue(features.put(e.getAttribute("name"), e) == null, "duplicate feature " + e.getAttribute("name"));
        }
    }

    @Test
    void everyPlaceholderIsFilteredAndEveryFeatureIsThere() {
        assertFalse(text.contains("${"), text);
        assertEquals(List.of("umqtt-api", "umqtt-simple", "umqtt-robust", "umqtt-whiteboard", "umqtt"),
                new ArrayList<>(features.keySet()));
        features.values().forEach(e -> assertEquals(version, e.getAttribute("version"), e.getAttribute("name")));
    }

    @Test
    void featureDependenciesExist() {
        for (Element feature : features.values()) {
            for (Element dep : children(feature, "feature")) {
                String name = dep.getTextContent().trim();
                assertTrue(features.containsKey(name) || KARAF_FEATURES.contains(name),
                        feature.getAttribute("name") + " depends on unknown feature " + name);
            }
        }
    }

    @Test
    void eachFeatureBringsWhatItsBundlesImportAndRequire() throws IOException {
        for (String name : features.keySet()) {
            Set<String> closureFeatures = new LinkedHashSet<>();
            List<String> bundleUrls = new ArrayList<>();
            closure(name, closureFeatures, bundleUrls);

            Set<String> exported = new LinkedHashSet<>();
            List<Attributes> manifests = new ArrayList<>();
            for (String url : bundleUrls) {
                if (!url.startsWith("mvn:io.umqtt/")) {
                    continue; // third-party dependency="true" bundles
                }
                String[] gav = url.substring("mvn:".length()).split("/");
                assertEquals(3, gav.length, url);
                assertEquals(version, gav[2], url);
                String jar = System.getProperty("umqtt.bundle." + gav[1]);
                assertNotNull(jar, "no bundle of this build is called " + gav[1] + " (" + url + ")");
                try (JarFile j = new JarFile(jar)) {
                    Attributes m = j.getManifest().getMainAttributes();
                    assertEquals(gav[1], m.getValue("Bundle-SymbolicName"), url);
                    manifests.add(m);
                    clauses(m.getValue("Export-Package")).forEach(c -> exported.add(c.split(";")[0].trim()));
                }
            }
            for (Attributes m : manifests) {
                String bsn = m.getValue("Bundle-SymbolicName");
                for (String c : clauses(m.getValue("Import-Package"))) {
                    String pkg = c.split(";")[0].trim();
                    if (pkg.startsWith("io.umqtt.") && !c.contains("resolution:=optional")) {
                        assertTrue(exported.contains(pkg), "feature " + name + ": " + bsn + " imports " + pkg
                                + " but no bundle of the feature exports it; exported: " + exported);
                    }
                }
                String req = m.getValue("Require-Capability");
                if (req != null && req.contains("osgi.extender=osgi.component")) {
                    assertTrue(closureFeatures.contains("scr"), "feature " + name + ": " + bsn + " needs the scr feature");
                }
            }
        }
    }

    private static void closure(String feature, Set<String> seen, List<String> bundles) {
        if (!seen.add(feature) || !features.containsKey(feature)) {
            return; // a Karaf feature: not expanded here
        }
        Element e = features.get(feature);
        children(e, "bundle").forEach(b -> bundles.add(b.getTextContent().trim()));
        children(e, "feature").forEach(d -> closure(d.getTextContent().trim(), seen, bundles));
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (n instanceof Element && name.equals(n.getLocalName())) {
                out.add((Element) n);
            }
        }
        return out;
    }

    /** Splits a manifest header at the commas outside quotes. */
    private static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (char ch : header.toCharArray()) {
            if (ch == '"') {
                quoted = !quoted;
            }
            if (ch == ',' && !quoted) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
