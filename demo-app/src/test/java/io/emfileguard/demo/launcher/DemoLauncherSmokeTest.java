package io.emfileguard.demo.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.emfileguard.testsupport.FdSampler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole launcher on a tiny batch: stub process, two limited children (one with the agent), the
 * table, the picture of the run and the summary line. Needs the agent jar, which the reactor builds before this module.
 */
class DemoLauncherSmokeTest {

    @Test
    void smallBatchRunsPlainAndWithTheAgentAndReportsBoth(@TempDir Path dir) throws Exception {
        Path agent = Paths.get("..", "agent", "target", DemoLauncher.AGENT_JAR);
        assumeTrue(Files.isRegularFile(agent), "build the agent first (mvn package at the repository root)");
        assumeTrue(FdSampler.supported(), "Linux /proc needed");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = new DemoLauncher(out, out).run(new String[] {
            "--records", "3", "--latency-ms", "50", "--agent", agent.toString(), "--plain", "--timeout-s", "60",
            "--chart", dir.resolve("run.png").toString()});
        String text = bytes.toString(StandardCharsets.UTF_8);
        List<String> lines = text.lines().collect(java.util.stream.Collectors.toList());

        assertEquals(0, status, text);
        assertTrue(text.contains("prlimit --nofile=1024:1024") || text.contains("ulimit -n 1024"), text);
        assertTrue(text.contains("-javaagent:"), text);
        assertTrue(text.matches("(?s).*\n +requests +33 +33\n.*"), text);
        assertTrue(text.matches("(?s).*\n +succeeded +33 +33\n.*"), text);
        assertTrue(text.matches("(?s).*agent: cap / peak open sockets +- +896 / \\d+\n.*"), text);
        assertTrue(text.contains("picture of the run: "), text);
        assertTrue(Files.size(dir.resolve("run.png")) > 10_000, "the picture of the run");
        String last = lines.get(lines.size() - 1);
        assertTrue(last.matches("summary: without_agent_failed=0 with_agent_failed=0 peak_open_sockets=\\d+ cap=896"
                + " agent_batch_ms=\\d+"), last);
    }

    @Test
    void handTunedRunWithoutThePlainOne(@TempDir Path dir) throws Exception {
        Path agent = Paths.get("..", "agent", "target", DemoLauncher.AGENT_JAR);
        assumeTrue(Files.isRegularFile(agent), "build the agent first (mvn package at the repository root)");
        assumeTrue(FdSampler.supported(), "Linux /proc needed");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        int status = new DemoLauncher(out, out).run(new String[] {
            "--records", "3", "--latency-ms", "50", "--agent", agent.toString(), "--plain", "--timeout-s", "60",
            "--hand-tuned", "--skip-plain", "--latency-profile", "one-slow", "--chart", dir.resolve("run.png").toString()});
        String text = bytes.toString(StandardCharsets.UTF_8);
        List<String> lines = text.lines().collect(java.util.stream.Collectors.toList());

        assertEquals(0, status, text);
        assertTrue(text.contains("FANOUT_HAND_TUNED_SHARE=81"), text);
        assertTrue(text.matches("(?s).*\n +requests +skipped +33 +33\n.*"), text);
        assertTrue(text.matches("(?s).*\n +succeeded +- +33 +33\n.*"), text);
        String last = lines.get(lines.size() - 1);
        assertTrue(last.matches("summary: without_agent_failed=-1 with_agent_failed=0 peak_open_sockets=\\d+ cap=896"
                + " agent_batch_ms=\\d+ tuned_failed=0 tuned_batch_ms=\\d+"), last);
    }
}
