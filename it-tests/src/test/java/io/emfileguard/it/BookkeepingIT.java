package io.emfileguard.it;

import example.apps.BookkeepingApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The count is exact: after every way of opening and closing a socket, the agent's OpenSockets is
 * back where it started, and at every checkpoint on the way it moved exactly as the kernel's TCP
 * socket descriptors did. One child JVM per JDK runs all scenarios ({@link BookkeepingApp}).
 */
class BookkeepingIT {

    /** Checkpoint deltas each scenario must show (agent count; the kernel's must agree, see below). */
    private static Map<String, Map<String, Long>> expectations() {
        Map<String, Map<String, Long>> e = new LinkedHashMap<>();
        e.put("double-close", Map.of("open", 1L, "closedOnce", 0L, "after", 0L));
        e.put("channel-adaptor-close", Map.of("open", 1L, "channelOpen", 0L, "after", 0L));
        e.put("ssl-layered-close", Map.of("plain", 1L, "layered", 1L, "plainClosed", 1L, "after", 0L));
        e.put("refused-then-close", Map.of("refused", 1L, "after", 0L));
        e.put("refused-dropped-gc", Map.of("refused", 1L, "after", 0L));
        e.put("connect-timeout", Map.of("after", 0L));
        e.put("dropped-gc", Map.of("open", 1L, "after", 0L));
        e.put("accepted-socket", Map.of("both", 2L, "clientClosed", 1L, "acceptedClosed", 0L, "after", 0L));
        e.put("accepted-channel", Map.of("both", 2L, "acceptedClosed", 1L, "clientClosed", 0L, "after", 0L));
        e.put("blocking-channel", Map.of("opened", 1L, "connected", 1L, "after", 0L));
        e.put("sotimeout-before-connect", Map.of("new", 0L, "optionSet", 1L, "connected", 1L, "after", 0L));
        e.put("sotimeout-never-connected", Map.of("optionSet", 1L, "after", 0L));
        // A channel dropped unclosed really leaks its descriptor: the count keeps it, as the kernel does.
        e.put("channel-dropped-leaks", Map.of("open", 1L, "after", 1L, "leakedChannelsDelta", 1L));
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void everyWayOfClosingASocketBringsTheCountBack(Jdk jdk) {
        ChildResult r;
        try (LatencyServer holder = LatencyServer.start(Duration.ofSeconds(1))) {
            r = ChildJvm.on(jdk, "bookkeeping").withAgent()
                    .main(BookkeepingApp.class, holder.port())
                    .timeout(Duration.ofSeconds(120))
                    .run();
        }
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()));
        r.assertSucceeded();
        assertTrue(r.stdout.contains("\ndone"), r::toString);

        List<Executable> checks = new ArrayList<>();
        for (Map.Entry<String, Map<String, Long>> scenario : expectations().entrySet()) {
            String name = scenario.getKey();
            List<String> lines = r.linesStartingWith("scenario").stream()
                    .filter(l -> l.startsWith("scenario name=" + name + " ")).toList();
            checks.add(() -> assertEquals(1, lines.size(), "one result line for scenario " + name));
            if (lines.size() != 1) {
                continue;
            }
            String line = lines.get(0);
            Map<String, String> v = ChildResult.values(line);
            checks.add(() -> assertFalse(v.containsKey("error"), name + " threw: " + line));
            for (Map.Entry<String, Long> expected : scenario.getValue().entrySet()) {
                checks.add(() -> {
                    String actual = v.get(expected.getKey());
                    assertNotNull(actual, name + ": no " + expected.getKey() + " in " + line);
                    assertEquals(expected.getValue().longValue(), Long.parseLong(actual),
                            name + ": " + expected.getKey() + " in " + line);
                });
            }
            // At every checkpoint the agent's count moved exactly as the kernel's descriptors did.
            for (Map.Entry<String, String> kernel : v.entrySet()) {
                if (kernel.getKey().endsWith(".fds")) {
                    String checkpoint = kernel.getKey().substring(0, kernel.getKey().length() - ".fds".length());
                    checks.add(() -> assertEquals(kernel.getValue(), v.get(checkpoint),
                            name + ": agent count vs kernel socket descriptors at '" + checkpoint + "' in " + line));
                }
            }
        }
        // The connect that times out really did (a full accept queue, ~300 ms).
        checks.add(() -> {
            Map<String, String> v = ChildResult.values(r.line("scenario name=connect-timeout"));
            assertNotNull(v.get("timedOutMs"), "the connect to a full backlog did not time out: " + v);
            long ms = Long.parseLong(v.get("timedOutMs"));
            assertTrue(ms >= 250 && ms < 5000, "connect timed out after " + ms + " ms, expected ~300");
        });
        assertAll(r.name, checks.stream());
    }
}
