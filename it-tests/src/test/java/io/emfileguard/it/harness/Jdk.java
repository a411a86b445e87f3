package io.emfileguard.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The JDKs every end-to-end test runs its child JVMs on, whatever JDK runs Maven. JDK 17 must be
 * there; JDK 25 is skipped (JUnit assumption) where its home is absent.
 */
public enum Jdk {
    JDK17(17, "it.jdk17.home", "/usr/lib/jvm/java-17-openjdk-amd64", true),
    JDK25(25, "it.jdk25.home", "/usr/lib/jvm/temurin-25-jdk-amd64", false);

    public final int feature;
    private final String property;
    private final String defaultHome;
    private final boolean required;

    Jdk(int feature, String property, String defaultHome, boolean required) {
        this.feature = feature;
        this.property = property;
        this.defaultHome = defaultHome;
        this.required = required;
    }

    /** For {@code @MethodSource("io.emfileguard.it.harness.Jdk#all")}. */
    public static Stream<Jdk> all() {
        return Stream.of(values());
    }

    public Path home() {
        return Paths.get(System.getProperty(property, defaultHome));
    }

    public Path java() {
        return home().resolve("bin").resolve("java");
    }

    /**
     * Skips the test where an optional JDK is missing, fails it where JDK 17 is, and checks that the
     * home really is that JDK (its {@code release} file), so a test named "JDK 25" never runs on 17.
     */
    public void assumeAvailable() {
        boolean present = Files.isExecutable(java());
        if (required) {
            assertTrue(present, name() + " is required but " + java() + " is not executable (set -D" + property + ")");
        } else {
            assumeTrue(present, name() + " not installed at " + java() + "; skipped (set -D" + property + ")");
        }
        assertEquals(feature, releaseFeature(), "the JDK at " + home() + " is not JDK " + feature);
    }

    private int releaseFeature() {
        try {
            for (String line : Files.readAllLines(home().resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    int dot = v.indexOf('.');
                    return Integer.parseInt(dot < 0 ? v : v.substring(0, dot));
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new AssertionError("cannot read the version of the JDK at " + home(), e);
        }
        throw new AssertionError("no JAVA_VERSION in " + home().resolve("release"));
    }

    @Override
    public String toString() {
        return "JDK " + feature;
    }
}
