package io.umqtt.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The jars each client needs at run time, read from the dependency tree that the build writes
 * ({@code mvn dependency:tree}, runtime scope) and sized from {@code target/lib}.
 */
final class Jars {
    /** Maven groupId:artifactId of each client's top-level dependencies. */
    static final Map<String, List<String>> CLIENTS = Map.of(
            "ours", List.of("io.umqtt:io.umqtt.api", "io.umqtt:io.umqtt.simple"),
            "paho", List.of("org.eclipse.paho:org.eclipse.paho.client.mqttv3"),
            "hivemq", List.of("com.hivemq:hivemq-mqtt-client"));

    private Jars() {
    }

    /** One artifact of the tree. */
    static final class Artifact {
        final String groupId;
        final String artifactId;
        final String version;
        final String classifier;
        final String type;
        final int depth;

        Artifact(String coordinates, int depth) {
            String[] p = coordinates.split(":");
            // groupId:artifactId:type[:classifier]:version:scope
            this.groupId = p[0];
            this.artifactId = p[1];
            this.type = p[2];
            this.classifier = p.length == 6 ? p[3] : null;
            this.version = p.length == 6 ? p[4] : p[3];
            this.depth = depth;
        }

        String key() {
            return groupId + ":" + artifactId;
        }

        String fileName() {
            return artifactId + "-" + version + (classifier != null ? "-" + classifier : "") + "." + type;
        }
    }

    /** Parses the text output of dependency:tree; the root (depth 0) is skipped. */
    static List<Artifact> parse(List<String> lines) {
        List<Artifact> out = new ArrayList<>();
        for (String line : lines) {
            int i = 0;
            while (i < line.length() && "|+-\\ ".indexOf(line.charAt(i)) >= 0) {
                i++;
            }
            if (i == 0 || i >= line.length()) {
                continue; // the root, or an empty line
            }
            out.add(new Artifact(line.substring(i).trim(), i / 3));
        }
        return out;
    }

    /** The artifacts a top-level dependency brings: itself and everything below it. */
    static List<Artifact> closure(List<Artifact> tree, String key) {
        List<Artifact> out = new ArrayList<>();
        for (int i = 0; i < tree.size(); i++) {
            Artifact a = tree.get(i);
            if (a.depth == 1 && a.key().equals(key) && !a.type.equals("test-jar")) { // the harness's test helpers
                out.add(a);
                for (int j = i + 1; j < tree.size() && tree.get(j).depth > 1; j++) {
                    out.add(tree.get(j));
                }
            }
        }
        return out;
    }

    /** For each client: jar file name to size, from {@code libDir}. */
    static Map<String, Map<String, Long>> sizes(Path libDir) throws IOException {
        List<String> lines;
        try (InputStream in = Jars.class.getResourceAsStream("dependency-tree.txt")) {
            if (in == null) {
                throw new IOException("dependency-tree.txt is missing from the jar: build with mvn package");
            }
            lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        List<Artifact> tree = parse(lines);
        Map<String, Map<String, Long>> result = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : CLIENTS.entrySet()) {
            Map<String, Long> files = new LinkedHashMap<>();
            for (String key : e.getValue()) {
                for (Artifact a : closure(tree, key)) {
                    Path f = libDir.resolve(a.fileName());
                    if (!Files.isRegularFile(f)) {
                        throw new IOException(f + " is missing: build with mvn package");
                    }
                    files.put(a.fileName(), Files.size(f));
                }
            }
            result.put(e.getKey(), files);
        }
        return result;
    }
}
