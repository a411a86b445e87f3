package io.emfileguard.agent.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent jar and the Lambda layer zip carry the licence and notice files of everything they
 * bundle: ASM's BSD-3-Clause asks a binary redistribution to reproduce its copyright notice, and an
 * Apache-2.0 component's NOTICE travels with it. Runs after {@code package} ({@code mvn verify},
 * failsafe) on the files the build wrote.
 *
 * <p>What is bundled comes from the build, not from a list kept here: the components of the SBOM the
 * build wrote (the agent's runtime dependencies, all shaded into the jar), and the jar's own entries,
 * each of which must be the agent's or one of those components' (by name, relocation undone). For each
 * component, every licence or notice file its own jar ships ({@code META-INF/LICENSE*},
 * {@code META-INF/NOTICE*}, {@code META-INF/licenses/**}) must be in the agent jar under
 * {@code META-INF/licenses/<artifactId>/} and in the layer under
 * {@code emfile-guard-licenses/licenses/<artifactId>/}, byte for byte; their source is
 * {@code agent/src/main/license/<artifactId>/}. A new bundled dependency, or a new version whose
 * notices changed, fails here until its files are copied there.
 */
class BundledLicensesIT {
    /** ASM's copyright line, which its BSD-3-Clause licence asks every binary redistribution to reproduce. */
    static final String ASM_COPYRIGHT = "Copyright (c) 2000-2011 INRIA, France Telecom";
    static final String SHADED = "io/emfileguard/shaded/";
    static final String LAYER_LICENSES = "emfile-guard-licenses/";

    private static Bundle built;

    @BeforeAll
    static void readTheBuild() throws IOException {
        built = Bundle.fromBuild();
    }

    @Test
    void theJarAndTheLayerCarryTheLicenceAndNoticeOfEveryBundledComponent() {
        assertEquals(List.of(), built.problems());
    }

    @Test
    void theBundledComponentsAreByteBuddyAndByteBuddyAgentWithTheirLicences() {
        // Today's content, so that a broken SBOM (no components: nothing to check) cannot pass the test above.
        Set<String> names = new TreeSet<>();
        for (Component c : built.components) {
            names.add(c.artifactId);
            assertFalse(c.licences.isEmpty(), c + " has no licence in the SBOM");
        }
        assertEquals(Set.of("byte-buddy", "byte-buddy-agent"), names);
        assertTrue(text(built.jar.get("META-INF/licenses/byte-buddy/licenses/ASM")).contains(ASM_COPYRIGHT));
        assertTrue(text(built.jar.get("META-INF/NOTICE")).contains(ASM_COPYRIGHT));
        assertTrue(text(built.layer.get(LAYER_LICENSES + "licenses/byte-buddy/licenses/ASM")).contains(ASM_COPYRIGHT));
    }

    @Test
    void aMissingLicenceFails() {
        Bundle doctored = built.copy();
        doctored.jar.remove("META-INF/licenses/byte-buddy-agent/LICENSE");
        doctored.layer.remove(LAYER_LICENSES + "licenses/byte-buddy/licenses/ASM");
        List<String> problems = doctored.problems();
        assertTrue(problems.stream().anyMatch(p -> p.contains("META-INF/licenses/byte-buddy-agent/LICENSE")), problems::toString);
        assertTrue(problems.stream().anyMatch(p -> p.contains(LAYER_LICENSES + "licenses/byte-buddy/licenses/ASM")), problems::toString);
    }

    @Test
    void anEntryOfNoKnownComponentFails() {
        Bundle doctored = built.copy();
        doctored.jar.put(SHADED + "org/example/Bundled.class", new byte[] {1});
        List<String> problems = doctored.problems();
        assertTrue(problems.stream().anyMatch(p -> p.contains(SHADED + "org/example/Bundled.class")), problems::toString);
    }

    @Test
    void aChangedNoticeOfAComponentFails() {
        Bundle doctored = built.copy();
        doctored.jar.put("META-INF/licenses/byte-buddy/NOTICE", "Copyright someone else".getBytes(StandardCharsets.UTF_8));
        List<String> problems = doctored.problems();
        assertTrue(problems.stream().anyMatch(p -> p.contains("META-INF/licenses/byte-buddy/NOTICE")), problems::toString);
    }

    static String text(byte[] bytes) {
        return bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
    }

    static Path property(String name) {
        String value = System.getProperty(name);
        assertTrue(value != null, "system property " + name + " is not set: run with mvn verify (failsafe sets it)");
        return Paths.get(value);
    }

    /** A bundled component, as the SBOM names it, and the files of its own jar. */
    static final class Component {
        final String groupId;
        final String artifactId;
        final String version;
        final List<String> licences;
        final Map<String, byte[]> files;

        Component(String groupId, String artifactId, String version, List<String> licences, Map<String, byte[]> files) {
            this.groupId = groupId;
            this.artifactId = artifactId;
            this.version = version;
            this.licences = licences;
            this.files = files;
        }

        /** Its licence and notice files, by their path under META-INF/. */
        Map<String, byte[]> licenceFiles() {
            Map<String, byte[]> result = new TreeMap<>();
            files.forEach((name, bytes) -> {
                if (name.startsWith("META-INF/LICENSE") || name.startsWith("META-INF/NOTICE")
                        || name.startsWith("META-INF/licenses/")) {
                    result.put(name.substring("META-INF/".length()), bytes);
                }
            });
            return result;
        }

        @Override
        public String toString() {
            return groupId + ":" + artifactId + ":" + version;
        }
    }

    /** The built jar and layer, the repository's LICENSE and NOTICE, and the components of the SBOM. */
    static final class Bundle {
        final Map<String, byte[]> jar;
        final Map<String, byte[]> layer;
        final byte[] license;
        final byte[] notice;
        final List<Component> components;

        Bundle(Map<String, byte[]> jar, Map<String, byte[]> layer, byte[] license, byte[] notice, List<Component> components) {
            this.jar = jar;
            this.layer = layer;
            this.license = license;
            this.notice = notice;
            this.components = components;
        }

        static Bundle fromBuild() throws IOException {
            Path repository = property("emfileguard.repository.root");
            Path localRepository = property("emfileguard.local.repository");
            List<Component> components = new ArrayList<>();
            JsonNode sbom = new ObjectMapper().readTree(property("emfileguard.agent.sbom").toFile());
            for (JsonNode c : sbom.path("components")) {
                String group = c.path("group").asText();
                String name = c.path("name").asText();
                String version = c.path("version").asText();
                List<String> licences = new ArrayList<>();
                for (JsonNode l : c.path("licenses")) {
                    // {"license": {"id": ...}} or {"license": {"name": ...}}, or {"expression": ...}
                    String licence = l.path("license").path("id").asText(
                            l.path("license").path("name").asText(l.path("expression").asText("")));
                    if (!licence.isEmpty()) {
                        licences.add(licence);
                    }
                }
                Path jar = localRepository.resolve(group.replace('.', '/')).resolve(name).resolve(version)
                        .resolve(name + "-" + version + ".jar");
                components.add(new Component(group, name, version, licences, read(jar)));
            }
            return new Bundle(read(property("emfileguard.agent.jar")), read(property("emfileguard.layer.zip")),
                    Files.readAllBytes(repository.resolve("LICENSE")), Files.readAllBytes(repository.resolve("NOTICE")),
                    components);
        }

        Bundle copy() {
            return new Bundle(new TreeMap<>(jar), new TreeMap<>(layer), license, notice, components);
        }

        List<String> problems() {
            List<String> problems = new ArrayList<>();
            if (components.isEmpty()) {
                problems.add("the SBOM lists no component: the jar bundles Byte Buddy's ASM and byte-buddy-agent");
            }
            // The agent's own licence and notice, in the jar and in the layer.
            same(problems, "the jar's META-INF/LICENSE", jar.get("META-INF/LICENSE"), license, "the repository's LICENSE");
            same(problems, "the jar's META-INF/NOTICE", jar.get("META-INF/NOTICE"), notice, "the repository's NOTICE");
            // Every entry is the agent's own or a bundled component's.
            for (String entry : jar.keySet()) {
                if (entry.endsWith("/") || own(entry)) {
                    continue;
                }
                String original = entry.startsWith(SHADED) ? entry.substring(SHADED.length()) : entry;
                if (components.stream().noneMatch(c -> c.files.containsKey(original))) {
                    problems.add(entry + " is in the jar, but in none of the components of the SBOM "
                            + components + ": bundle it through a dependency, with its licence");
                }
            }
            // Every component's licence and notice files, in the jar and in the layer; the NOTICE names it.
            String noticeText = text(notice);
            for (Component c : components) {
                if (c.licences.isEmpty()) {
                    problems.add("the SBOM gives no licence for " + c);
                }
                if (!noticeText.contains("(" + c.groupId + ":" + c.artifactId + ")")) {
                    problems.add("the NOTICE does not name " + c + " as (" + c.groupId + ":" + c.artifactId + ")");
                }
                Map<String, byte[]> shipped = c.licenceFiles();
                String dir = "META-INF/licenses/" + c.artifactId + "/";
                if (shipped.isEmpty() && jar.keySet().stream().noneMatch(e -> e.startsWith(dir + "LICENSE"))) {
                    problems.add(c + " ships no licence file of its own: put its licence in agent/src/main/license/"
                            + c.artifactId + "/LICENSE");
                }
                shipped.forEach((file, bytes) -> same(problems, "the jar's " + dir + file, jar.get(dir + file), bytes,
                        "the " + file + " that " + c + " ships (copy it to agent/src/main/license/" + c.artifactId + "/" + file + ")"));
            }
            // The layer carries the same files as the jar's META-INF, in a folder of their own.
            for (Map.Entry<String, byte[]> e : jar.entrySet()) {
                String name = e.getKey();
                if (!name.endsWith("/") && (name.equals("META-INF/LICENSE") || name.equals("META-INF/NOTICE")
                        || name.startsWith("META-INF/licenses/"))) {
                    String inLayer = LAYER_LICENSES + name.substring("META-INF/".length());
                    same(problems, "the layer's " + inLayer, layer.get(inLayer), e.getValue(), "the jar's " + name);
                }
            }
            // ASM's copyright line, wherever ASM's classes are bundled.
            if (jar.keySet().stream().anyMatch(e -> e.startsWith(SHADED + "net/bytebuddy/jar/asm/"))) {
                if (!noticeText.contains(ASM_COPYRIGHT)) {
                    problems.add("the NOTICE lacks ASM's copyright line: " + ASM_COPYRIGHT);
                }
                for (Map<String, byte[]> archive : Arrays.asList(jar, layer)) {
                    String prefix = archive == jar ? "META-INF/licenses/" : LAYER_LICENSES + "licenses/";
                    boolean found = archive.entrySet().stream().anyMatch(e -> e.getKey().startsWith(prefix)
                            && text(e.getValue()).contains(ASM_COPYRIGHT));
                    if (!found) {
                        problems.add("no file under " + prefix + " of the " + (archive == jar ? "jar" : "layer")
                                + " carries ASM's copyright line: " + ASM_COPYRIGHT);
                    }
                }
            }
            return problems;
        }

        private static boolean own(String entry) {
            return (entry.startsWith("io/emfileguard/") && !entry.startsWith(SHADED))
                    || entry.equals("META-INF/MANIFEST.MF") || entry.equals("META-INF/LICENSE")
                    || entry.equals("META-INF/NOTICE") || entry.startsWith("META-INF/licenses/");
        }

        private static void same(List<String> problems, String what, byte[] actual, byte[] expected, String expectedWhat) {
            if (actual == null) {
                problems.add(what + " is missing (expected: " + expectedWhat + ")");
            } else if (!Arrays.equals(actual, expected)) {
                problems.add(what + " differs from " + expectedWhat);
            }
        }
    }

    static Map<String, byte[]> read(Path archive) throws IOException {
        assertTrue(Files.isRegularFile(archive), archive + " is missing: build it first (mvn verify builds it)");
        Map<String, byte[]> entries = new TreeMap<>();
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                entries.put(entry.getName(), zip.getInputStream(entry).readAllBytes());
            }
        }
        return entries;
    }
}
