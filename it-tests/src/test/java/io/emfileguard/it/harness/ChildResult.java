package io.emfileguard.it.harness;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a child JVM did: exit code, output, and what {@link KernelView} saw. The child programs print
 * results as lines of {@code key=value} tokens ({@code storm requests=3300 ok=3300 ...}); {@link #line}
 * and {@link #values} read them.
 */
public final class ChildResult {
    public final String name;
    public final List<String> command;
    public final int exitCode;
    public final boolean timedOut;
    public final long wallMillis;
    public final String stdout;
    public final String stderr;
    /** Highest number of {@code socket:} descriptors seen in {@code /proc/<pid>/fd}; -1 if never sampled. */
    public final int peakSocketFds;
    /** Highest number of TCP socket descriptors seen (sockets less Unix-domain, netlink, UDP, raw). */
    public final int peakTcpSocketFds;
    /** How the sample with the most TCP sockets was classified (for diagnosis). */
    public final String peakTcpDetail;
    /** Highest number of descriptors of any kind seen; -1 if never sampled. */
    public final int peakFds;
    public final int fdSamples;
    /** The child's soft descriptor limit as the kernel reported it, -1 if never read. */
    public final long nofileLimit;
    /** CPU time (user + system) of the child, as last sampled before it ended; -1 if never read. */
    public final long cpuMillis;

    ChildResult(String name, List<String> command, int exitCode, boolean timedOut, long wallMillis, String stdout,
                String stderr, int peakSocketFds, int peakTcpSocketFds, String peakTcpDetail, int peakFds,
                int fdSamples, long nofileLimit, long cpuMillis) {
        this.name = name;
        this.command = command;
        this.exitCode = exitCode;
        this.timedOut = timedOut;
        this.wallMillis = wallMillis;
        this.stdout = stdout;
        this.stderr = stderr;
        this.peakSocketFds = peakSocketFds;
        this.peakTcpSocketFds = peakTcpSocketFds;
        this.peakTcpDetail = peakTcpDetail;
        this.peakFds = peakFds;
        this.fdSamples = fdSamples;
        this.nofileLimit = nofileLimit;
        this.cpuMillis = cpuMillis;
    }

    /** Fails unless the child ended by itself with exit code 0. */
    public ChildResult assertSucceeded() {
        assertFalse(timedOut, () -> "child " + name + " timed out and was killed\n" + this);
        assertEquals(0, exitCode, () -> "child " + name + " exited with " + exitCode + "\n" + this);
        return this;
    }

    public List<String> stdoutLines() {
        return splitLines(stdout);
    }

    public List<String> stderrLines() {
        return splitLines(stderr);
    }

    static List<String> splitLines(String text) {
        List<String> out = new ArrayList<>();
        for (String l : text.split("\n", -1)) {
            String t = l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    /** The one stdout line starting with {@code prefix + " "}; fails if there is none or several. */
    public String line(String prefix) {
        List<String> found = stdoutLines().stream().filter(l -> l.startsWith(prefix + " "))
                .collect(Collectors.toList());
        if (found.size() != 1) {
            fail("expected one stdout line starting with '" + prefix + " ', found " + found.size() + "\n" + this);
        }
        return found.get(0);
    }

    /** All stdout lines starting with {@code prefix + " "}. */
    public List<String> linesStartingWith(String prefix) {
        return stdoutLines().stream().filter(l -> l.startsWith(prefix + " ")).collect(Collectors.toList());
    }

    /** The {@code key=value} tokens of a line (values without spaces). */
    /** The key=value pairs of the first {@code storm ...} line whose {@code kind=} is {@code kind}. */
    public Map<String, String> storm(String kind) {
        return linesStartingWith("storm").stream().map(ChildResult::values).filter(v -> kind.equals(v.get("kind")))
                .findFirst().orElseThrow(() -> new AssertionError("no storm line for " + kind + "\n" + this));
    }

    public static Map<String, String> values(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String token : line.split(" ")) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                m.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        return m;
    }

    /** The numeric value {@code key} of the stdout line starting with {@code prefix}. */
    public long number(String prefix, String key) {
        String line = line(prefix);
        String v = values(line).get(key);
        if (v == null) {
            fail("no " + key + "= in line '" + line + "'\n" + this);
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new AssertionError("not a number: " + key + "=" + v + " in '" + line + "'\n" + this);
        }
    }

    /** A description for assertion messages: command, outcome, and the ends of both streams. */
    @Override
    public String toString() {
        return "--- child " + name + ": exit " + exitCode + (timedOut ? " (TIMED OUT, killed)" : "") + " after "
                + wallMillis + " ms; peak socket fds " + peakSocketFds + " (TCP " + peakTcpSocketFds + "), peak fds " + peakFds + " ("
                + fdSamples + " samples), nofile limit " + nofileLimit + "\n--- TCP peak: " + peakTcpDetail
                + "\n--- command: "
                + String.join(" ", command) + "\n--- stdout:\n" + tail(stdout) + "--- stderr:\n" + tail(stderr)
                + "--- end of " + name;
    }

    private static String tail(String s) {
        List<String> l = Arrays.asList(s.split("\n", -1));
        int max = 60;
        String body = l.size() <= max ? s : "[... " + (l.size() - max) + " lines ...]\n"
                + String.join("\n", l.subList(l.size() - max, l.size()));
        return body.endsWith("\n") || body.isEmpty() ? body : body + "\n";
    }
}
