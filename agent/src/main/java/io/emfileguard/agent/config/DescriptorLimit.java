package io.emfileguard.agent.config;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the process's descriptor limits from {@code /proc/self/limits} (Linux). No management
 * beans: loading those would cost tens of milliseconds of start-up; and a plain
 * {@code FileInputStream}, not {@code Files}: NIO's file channels are some twenty classes that a
 * plain JVM does not load at start-up.
 */
public final class DescriptorLimit {

    public static final long UNKNOWN = -1;

    private final long soft;
    private final long hard;

    private DescriptorLimit(long soft, long hard) {
        this.soft = soft;
        this.hard = hard;
    }

    public static DescriptorLimit ofCurrentProcess() {
        return read("/proc/self/limits");
    }

    static DescriptorLimit read(String limits) {
        try (FileInputStream in = new FileInputStream(limits)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (line.startsWith("Max open files")) {
                    // "Max open files  1024  1024  files": soft, then hard (no regex: start-up cost)
                    String rest = line.substring("Max open files".length()).trim();
                    int gap = rest.indexOf(' ');
                    String soft = rest.substring(0, gap);
                    String hard = rest.substring(gap).trim();
                    int end = hard.indexOf(' ');
                    return new DescriptorLimit(number(soft), number(end < 0 ? hard : hard.substring(0, end)));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted: the limit stays unknown
        }
        return new DescriptorLimit(UNKNOWN, UNKNOWN);
    }

    private static long number(String s) {
        return "unlimited".equals(s) ? UNKNOWN : Long.parseLong(s);
    }

    public static DescriptorLimit of(long soft, long hard) {
        return new DescriptorLimit(soft, hard);
    }

    public long soft() {
        return soft;
    }

    public long hard() {
        return hard;
    }

    /**
     * The default cap: the soft limit less a reserve for the process's other descriptors (jars,
     * logs, pipes), max(128, 1/8 of the limit): 896 under Lambda's 1,024. 500 where unknown.
     */
    public int defaultMaxSockets() {
        if (soft <= 0) {
            return 500;
        }
        long reserve = Math.max(128, soft / 8);
        long cap = soft - reserve;
        if (cap < soft / 2) {
            cap = Math.max(1, soft / 2); // tiny limits: keep half for the rest of the process
        }
        return (int) Math.min(cap, Integer.MAX_VALUE);
    }
}
