package io.emfileguard.agent.docs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A block of a doc under {@code docs/} generated from the code, between a begin marker line and an
 * end marker line. {@link #check} fails when the block differs from what the code generates; with
 * {@code -Demfileguard.docs.write=true} it rewrites the block instead.
 */
public final class GeneratedBlock {
    private GeneratedBlock() {
    }

    /** The repository's file at {@code relative} (tests run in the module's directory). */
    public static Path repoFile(String relative) {
        return Paths.get("..").resolve(relative);
    }

    public static void check(Path file, String begin, String end, String expected, String testName) throws IOException {
        assertTrue(Files.isRegularFile(file), file + " is missing");
        String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        int marker = text.indexOf(begin);
        int stop = text.indexOf(end);
        assertTrue(marker >= 0 && stop > marker, file + " has no " + begin + " ... " + end + " block");
        int start = text.indexOf('\n', marker) + 1;
        if (Boolean.getBoolean("emfileguard.docs.write")) {
            Files.write(file, (text.substring(0, start) + expected + text.substring(stop)).getBytes(StandardCharsets.UTF_8));
            return;
        }
        assertEquals(expected, text.substring(start, stop), file.normalize() + " is out of date; regenerate it with "
                + "mvn -pl agent test -Dtest=" + testName + " -Demfileguard.docs.write=true");
    }
}
