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
 * The JDKs the end-to-end tests run their child JVMs on, whatever JDK runs Maven. JDK 17 must be
 * there; JDK 21 and JDK 25 are skipped (JUnit assumption) where their home is absent. Every test
 * runs on 17 and 25 ({@link #all}); the core contract runs on 21 too ({@link #withJdk21}); the
 * premises (without the agent) on 17 alone ({@link #premise}).
 *
 * <p>JDK 21 is Debian trixie's, fetched by {@code scripts/fetch-jdk21.sh} into
 * {@code .cache/jdk21} (not installed: its {@code bin/java} is a script that starts the JVM through
 * trixie's own C library loader, so the child's pid is the loader's, which runs the JVM itself).
 */
public enum Jdk {
    JDK17(17, "it.jdk17.home", "/usr/lib/jvm/java-17-openjdk-amd64", true),
    JDK21(21, "it.jdk21.home", defaultJdk21Home(), false),
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

    /** For {@code @MethodSource("io.emfileguard.it.harness.Jdk#all")}: JDK 17 and JDK 25. */
    public static Stream<Jdk> all() {
        return Stream.of(JDK17, JDK25);
    }

    /**
     * For {@code @MethodSource("io.emfileguard.it.harness.Jdk#premise")}: JDK 17 alone, for the
     * premises (without the agent the scenario runs out of descriptors). A premise runs no agent
     * code, and the JDK's own clients open a connection per concurrent call on every JDK: a second
     * JDK would prove nothing the first does not, and every run costs `mvn -B verify` 5-20 s.
     */
    public static Stream<Jdk> premise() {
        return Stream.of(JDK17);
    }

    /**
     * For {@code @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")}: JDK 17, 21 and 25, for the
     * tests of the core contract (storms, HttpClient bursts, pools, the Lambda runtime client, the
     * count's bookkeeping, the woven classes, a quiet stderr). JDK 21 is Lambda's most used runtime.
     */
    public static Stream<Jdk> withJdk21() {
        return Stream.of(JDK17, JDK21, JDK25);
    }

    /**
     * Where {@code scripts/fetch-jdk21.sh} puts JDK 21 by default, for a run without
     * {@code -Dit.jdk21.home} (an IDE): {@code .cache/jdk21/home} in the repository, looked for from
     * the working directory (the module's or the repository's).
     */
    private static String defaultJdk21Home() {
        Path cwd = Paths.get("").toAbsolutePath();
        for (Path dir = cwd; dir != null; dir = dir.getParent()) {
            Path home = dir.resolve(".cache").resolve("jdk21").resolve("home");
            if (Files.isDirectory(home)) {
                return home.toString();
            }
        }
        return cwd.resolve(".cache/jdk21/home").toString();
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
