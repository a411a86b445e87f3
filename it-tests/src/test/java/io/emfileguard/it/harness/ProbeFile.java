package io.emfileguard.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A file a child application appends probe lines to ({@code -Dit.probe.file}): what the test reads
 * about the agent besides the application's own output, which must stay untouched.
 */
public final class ProbeFile {
    private static int sequence;
    public final Path path;

    private ProbeFile(Path path) {
        this.path = path;
    }

    public static synchronized ProbeFile create(String label) {
        Path dir = Paths.get(System.getProperty("it.output.dir", "target/child-output"));
        try {
            Files.createDirectories(dir);
            Path p = dir.resolve(String.format("probe-%03d-%s.txt", ++sequence, label));
            Files.deleteIfExists(p);
            return new ProbeFile(p);
        } catch (IOException e) {
            throw new AssertionError("cannot create a probe file in " + dir, e);
        }
    }

    public List<String> lines() {
        try {
            return Files.exists(path) ? Files.readAllLines(path, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new AssertionError("cannot read " + path, e);
        }
    }

    /** The {@code key=value} tokens of the one line starting with {@code prefix + " "}. */
    public Map<String, String> values(String prefix) {
        List<String> found = lines().stream().filter(l -> l.startsWith(prefix + " ")).toList();
        if (found.size() != 1) {
            fail("expected one probe line '" + prefix + " ...' in " + path + ", found: " + lines());
        }
        return ChildResult.values(found.get(0));
    }

    @Override
    public String toString() {
        return path + ": " + lines();
    }
}
