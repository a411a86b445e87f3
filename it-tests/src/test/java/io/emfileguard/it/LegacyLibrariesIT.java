package io.emfileguard.it;

import example.apps.LegacyLibsApp;
import io.emfileguard.it.harness.AgentStderr;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import io.emfileguard.it.harness.ProbeFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application with its own older Byte Buddy (1.14), SLF4J 1.7 and Logback 1.2 on its class path
 * runs exactly as without the agent: same stdout, same stderr apart from the agent's own lines, and
 * the agent still counts its sockets. The agent's relocated copies must not leak into the app, nor
 * the app's into the agent.
 */
class LegacyLibrariesIT {

    /** The app's class path: the jars Maven resolved for this module's test scope (see the pom). */
    static List<Path> legacyJars() {
        return List.of(jarOf(net.bytebuddy.ByteBuddy.class), jarOf(org.slf4j.LoggerFactory.class),
                jarOf(ch.qos.logback.classic.Logger.class), jarOf(ch.qos.logback.core.Appender.class));
    }

    private static Path jarOf(Class<?> type) {
        try {
            return Paths.get(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new AssertionError("cannot locate the jar of " + type, e);
        }
    }

    private static ChildResult run(Jdk jdk, boolean agent, ProbeFile probe) {
        try (LatencyServer server = LatencyServer.start(Duration.ofMillis(200))) {
            ChildJvm child = ChildJvm.on(jdk, agent ? "legacy-libs-agent" : "legacy-libs-no-agent")
                    .main(LegacyLibsApp.class, server.port())
                    .classPath(legacyJars())
                    .systemProperty("logback.configurationFile", "legacy-logback.xml")
                    .systemProperty("it.probe.file", probe.path)
                    .timeout(Duration.ofSeconds(60));
            if (agent) {
                child.withAgent().systemProperty("it.mbean.wait.millis", 10_000);
            }
            return child.run();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void theAppsOwnByteBuddyAndLogbackWorkUnchanged(Jdk jdk) {
        List<String> names = legacyJars().stream().map(p -> p.getFileName().toString()).collect(Collectors.toList());
        assertEquals(List.of("byte-buddy-1.14.18.jar", "slf4j-api-1.7.36.jar", "logback-classic-1.2.13.jar",
                "logback-core-1.2.13.jar"), names, "the application's libraries");

        ProbeFile withoutProbe = ProbeFile.create("legacy-no-agent");
        ChildResult without = run(jdk, false, withoutProbe).assertSucceeded();
        ProbeFile withProbe = ProbeFile.create("legacy-agent");
        ChildResult with = run(jdk, true, withProbe).assertSucceeded();
        System.out.println(with.name + ":\n  " + String.join("\n  ", with.stdoutLines()));

        List<String> appStderrWith = with.stderrLines().stream()
                .filter(l -> !AgentStderr.AGENT_LINE.matcher(l).matches()).collect(Collectors.toList());
        assertAll(without + "\n" + with,
            // The app really used its own libraries (the reference run proves the app itself works).
            () -> assertTrue(without.stdout.contains("INFO  LegacyLibsApp - libraries: byte-buddy-1.14.18.jar, "
                    + "slf4j-api-1.7.36.jar, logback-classic-1.2.13.jar"), "the app's own libraries are used"),
            () -> assertTrue(without.stdout.contains("slf4j binding: ch.qos.logback.classic.LoggerContext"),
                    "SLF4J is bound to Logback"),
            () -> assertTrue(without.stdout.contains("greet -> 'HELLO WORLD', answer -> 42"),
                    "the class Byte Buddy generated works"),
            () -> assertTrue(without.stdout.contains("INFO  LegacyLibsApp - done"), "the app ran to its end"),
            () -> assertEquals(without.stdout, with.stdout, "stdout with the agent equals stdout without"),
            () -> assertEquals(without.stderrLines(), appStderrWith, "stderr is the same apart from the agent's lines"),
            () -> AgentStderr.activeLine(with),
            () -> assertEquals("mbean=absent", withoutProbe.lines().get(0).split(" ")[1], "no agent, no MBean"),
            () -> assertEquals("3", withProbe.values("held3").get("OpenSockets"), "the agent counts the app's sockets"),
            () -> assertEquals("0", withProbe.values("closed").get("OpenSockets"), "and their closes"));
    }
}
