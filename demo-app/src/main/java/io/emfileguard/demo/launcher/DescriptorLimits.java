package io.emfileguard.demo.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;

/** This process's descriptor limits, from {@code /proc/self/limits} (Linux). */
final class DescriptorLimits {

    private DescriptorLimits() {
    }

    /** The hard limit on open files, or -1 when unknown or unlimited. */
    static long hardLimit() {
        return field(4);
    }

    /** The soft limit on open files, or -1 when unknown or unlimited. */
    static long softLimit() {
        return field(3);
    }

    private static long field(int index) {
        try {
            List<String> lines = Files.readAllLines(Paths.get("/proc/self/limits"));
            for (String line : lines) {
                if (line.startsWith("Max open files")) {
                    String[] parts = line.trim().split("\\s+");
                    return parts[index].equals("unlimited") ? -1 : Long.parseLong(parts[index]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }
}
