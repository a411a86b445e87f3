package io.emfileguard.it;

import example.apps.PlainApp;
import io.emfileguard.it.harness.AgentStderr;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import io.emfileguard.it.harness.ProbeFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attaching the agent adds nothing to stderr but its own lines: no {@code WARNING:} from the JVM
 * (illegal access, Unsafe, dynamic agents, ...) and no "Sharing is only supported for boot loader
 * classes" (what {@code appendToBootstrapClassLoaderSearch} would print on JDK 17).
 */
class NoJvmWarningsIT {

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void stderrHasOnlyTheAgentsOwnLines(Jdk jdk) {
        ProbeFile probe = ProbeFile.create("no-warnings");
        ChildResult r;
        try (LatencyServer server = LatencyServer.start(Duration.ofMillis(200))) {
            r = ChildJvm.on(jdk, "no-warnings").withAgent()
                    .main(PlainApp.class, server.port())
                    .systemProperty("it.mbean.wait.millis", 10_000)
                    .systemProperty("it.probe.file", probe.path)
                    .timeout(Duration.ofSeconds(60))
                    .run();
        }
        System.out.println(r.name + ": stderr " + r.stderrLines());
        r.assertSucceeded();
        assertAll(r.toString(),
            () -> AgentStderr.assertOnlyAgentLines(r),
            () -> assertTrue(AgentStderr.activeLine(r).contains("Java " + jdk.feature + "."),
                    "the agent started on JDK " + jdk.feature),
            () -> assertEquals(0, AgentStderr.lines(r, "WARN").size() + AgentStderr.lines(r, "ERROR").size(),
                    "no WARN or ERROR from the agent either in a run that stays far below the cap"),
            () -> assertEquals(BadConfigurationIT.APP_OUTPUT, r.stdout, "the application's own output"),
            () -> assertEquals("3", probe.values("held3").get("OpenSockets"), "the agent counts: " + probe),
            () -> assertEquals("3", probe.values("held3").get("tcpFds"), "the kernel agrees: " + probe),
            () -> assertEquals("0", probe.values("closed").get("OpenSockets"), "and counts down: " + probe));
    }
}
