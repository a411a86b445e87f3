package io.emfileguard.it;

import example.apps.PlainApp;
import io.emfileguard.it.harness.AgentStderr;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import io.emfileguard.it.harness.ProbeFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bad setting never stops the application: it runs to completion with its own output intact, and
 * stderr has exactly one ERROR line naming the setting, the bad value and what is used instead,
 * which is then really what the agent runs with.
 */
class BadConfigurationIT {

    static final String APP_OUTPUT = String.join("\n",
            "plain app: start",
            "plain app: request 0 -> OK REQ 0",
            "plain app: request 1 -> OK REQ 1",
            "plain app: request 2 -> OK REQ 2",
            "plain app: held 3 connections at once, then closed them",
            "plain app: done") + "\n";

    enum BadSetting {
        SYSTEM_PROPERTY_NOT_A_NUMBER("-Demfileguard.max.sockets=abc",
                c -> c.withAgent().systemProperty("emfileguard.max.sockets", "abc"),
                "max.sockets=896 (", "max.sockets", "-Demfileguard.max.sockets", "'abc'", "using 896"),
        ENVIRONMENT_NOT_AN_OPTION("EMFILEGUARD_ON_TIMEOUT=sometimes",
                c -> c.withAgent().env("EMFILEGUARD_ON_TIMEOUT", "sometimes"),
                "on.timeout=proceed", "on.timeout", "EMFILEGUARD_ON_TIMEOUT", "'sometimes'", "using proceed"),
        AGENT_ARGUMENT_WITH_SEMICOLON("-javaagent:...=max.sockets=500;on.timeout=fail",
                c -> c.withAgent("max.sockets=500;on.timeout=fail"),
                "max.sockets=896 (", "max.sockets", "'500;on.timeout=fail'", "using 896"),
        AGENT_ARGUMENT_WITHOUT_VALUE("-javaagent:...=max.sockets",
                c -> c.withAgent("max.sockets"),
                "max.sockets=896 (", "'max.sockets'", "ignored");

        final String description;
        final Consumer<ChildJvm> apply;
        /** What the agent's start-up line must show is in force instead. */
        final String inForce;
        /** What the one ERROR line must name. */
        final List<String> errorNames;

        BadSetting(String description, Consumer<ChildJvm> apply, String inForce, String... errorNames) {
            this.description = description;
            this.apply = apply;
            this.inForce = inForce;
            this.errorNames = Arrays.asList(errorNames);
        }

        @Override
        public String toString() {
            return description;
        }
    }

    static Stream<Arguments> cases() {
        return Jdk.all().flatMap(jdk -> Arrays.stream(BadSetting.values()).map(b -> Arguments.of(jdk, b)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void theAppRunsAndOneErrorLineExplains(Jdk jdk, BadSetting bad) {
        ProbeFile probe = ProbeFile.create("bad-config");
        ChildResult r;
        try (LatencyServer server = LatencyServer.start(Duration.ofMillis(200))) {
            ChildJvm child = ChildJvm.on(jdk, "bad-config-" + bad.name().toLowerCase())
                    .main(PlainApp.class, server.port())
                    .systemProperty("it.mbean.wait.millis", 10_000)
                    .systemProperty("it.probe.file", probe.path)
                    .timeout(Duration.ofSeconds(60));
            bad.apply.accept(child);
            r = child.run();
        }
        r.assertSucceeded();
        List<String> errors = AgentStderr.lines(r, "ERROR");
        System.out.println(r.name + ": " + errors);
        assertAll(r.toString(),
            () -> assertEquals(APP_OUTPUT, r.stdout, "the application's own output"),
            () -> assertEquals(1, errors.size(), "exactly one ERROR line: " + errors),
            () -> {
                String e = errors.isEmpty() ? "" : errors.get(0);
                for (String name : bad.errorNames) {
                    assertTrue(e.contains(name), "the ERROR line names " + name + ": " + e);
                }
            },
            () -> assertTrue(AgentStderr.activeLine(r).contains(bad.inForce),
                    "the agent runs with " + bad.inForce + ": " + AgentStderr.activeLine(r)),
            () -> AgentStderr.assertOnlyAgentLines(r),
            // Still counting: the three held connections are in the MBean.
            () -> assertEquals("3", probe.values("held3").get("OpenSockets"), "OpenSockets while 3 are held: " + probe),
            () -> assertEquals("896", probe.values("held3").get("MaxSockets"), "MaxSockets: " + probe));
    }
}
