package io.emfileguard.it.harness;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the agent may print: only its own lines, {@code INFO|WARN|ERROR emfile-guard - ...}, on stderr. */
public final class AgentStderr {
    public static final Pattern AGENT_LINE = Pattern.compile("^(INFO|WARN|ERROR) emfile-guard - .+");

    private AgentStderr() {
    }

    /** Stderr lines that are not the agent's own. */
    public static List<String> foreignLines(ChildResult r) {
        return r.stderrLines().stream().filter(l -> !AGENT_LINE.matcher(l).matches()).collect(Collectors.toList());
    }

    public static List<String> lines(ChildResult r, String level) {
        return r.stderrLines().stream().filter(l -> l.startsWith(level + " emfile-guard - "))
                .collect(Collectors.toList());
    }

    /** The start-up line: {@code INFO emfile-guard - emfile-guard <version> active: ...}. */
    public static String activeLine(ChildResult r) {
        List<String> active = lines(r, "INFO").stream().filter(l -> l.contains(" active")).collect(Collectors.toList());
        assertEquals(1, active.size(), () -> "one 'active' INFO line\n" + r);
        return active.get(0);
    }

    public static void assertOnlyAgentLines(ChildResult r) {
        List<String> foreign = foreignLines(r);
        assertTrue(foreign.isEmpty(), () -> "stderr has lines that are not the agent's: " + foreign + "\n" + r);
        assertFalse(r.stderr.contains("WARNING:"), () -> "a JVM warning on stderr\n" + r);
        assertFalse(r.stderr.contains("Sharing is only supported"), () -> "the CDS warning on stderr\n" + r);
    }
}
