package io.emfileguard.it;

import example.apps.clients.ClientStormApp;
import io.emfileguard.it.harness.AgentStderr;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.ClientLibs;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.StubServices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 6: the OpenTelemetry Java agent 2.22.0 (which also instruments HttpURLConnection with Byte
 * Buddy) alongside ours, in either {@code -javaagent} order, with every exporter off (no port is
 * opened): a storm of 1,000 HttpURLConnection requests (no keep-alive, 0.5 s replies) at
 * {@code max.sockets=150} completes, reaches the cap and ends at the baseline, and stderr has nothing
 * that OpenTelemetry alone does not print besides our own INFO/WARN lines.
 *
 * <p>What OpenTelemetry alone prints (its baseline run, each JDK): its {@code [otel.javaagent ...] INFO}
 * version line and the JVM's "Sharing is only supported for boot loader classes because bootstrap
 * classpath has been appended" (it appends its bootstrap jar; once on JDK 17, up to three times on 25).
 */
@Order(6) // longest first: see junit-platform.properties
class OpenTelemetryCoexistenceIT {
    /** Four rounds of the cap at 1 s. */
    static final int REQUESTS = 600;
    /**
     * The baseline only shows what OpenTelemetry prints by itself; without our cap, 1,000 requests at
     * once can exceed the 1,024 descriptors (44 EMFILE seen, 957 sockets), so it runs fewer.
     */
    static final int BASELINE_REQUESTS = 300;
    static final int CAP = 150;
    static final Pattern OTEL_INFO = Pattern.compile("^\\[otel\\.javaagent [^]]+\\] \\[[^]]+\\] INFO .+");
    static StubServices stub;

    @BeforeAll
    static void startStub() {
        // 1 s: at 0.5 s, beside another child, the threads started so slowly (OpenTelemetry instruments
        // them) that they filled the cap of 150 without ever waiting at it, and the storm proved nothing.
        stub = StubServices.start(Duration.ofMillis(1000), Duration.ZERO);
    }

    @AfterAll
    static void stopStub() {
        if (stub != null) {
            stub.close();
        }
    }

    enum Order { OTEL_ONLY, OURS_FIRST, OTEL_FIRST }

    static ChildResult run(Jdk jdk, Order order) {
        String otel = "-javaagent:" + ClientLibs.openTelemetryAgent();
        ChildJvm child = ChildJvm.on(jdk, "otel-" + order.name().toLowerCase().replace('_', '-'))
                .main(ClientStormApp.class, "urlconnection", stub.endpoint(),
                        order == Order.OTEL_ONLY ? BASELINE_REQUESTS : REQUESTS)
                .classPath(ClientLibs.jars())
                .jvmOption("-Xss256k")
                .systemProperty("http.keepAlive", "false")
                .env("OTEL_TRACES_EXPORTER", "none")
                .env("OTEL_METRICS_EXPORTER", "none")
                .env("OTEL_LOGS_EXPORTER", "none")
                .timeout(Duration.ofSeconds(120));
        if (order == Order.OTEL_FIRST) {
            child.jvmOptionBeforeAgent(otel);
        }
        if (order != Order.OTEL_ONLY) {
            child.withAgent("max.sockets=" + CAP).systemProperty("it.mbean.wait.millis", 10_000);
        }
        if (order == Order.OURS_FIRST) {
            child.jvmOption(otel);
        }
        if (order == Order.OTEL_ONLY) {
            child.jvmOption(otel);
        }
        ChildResult r = child.run();
        System.out.println(r.name + ": " + r.line("storm") + "\n  stderr: " + r.stderrLines());
        return r.assertSucceeded();
    }

    /** Stderr lines that are neither ours nor OpenTelemetry's INFO lines. */
    static Set<String> foreign(ChildResult r) {
        return r.stderrLines().stream()
                .filter(l -> !AgentStderr.AGENT_LINE.matcher(l).matches() && !OTEL_INFO.matcher(l).matches())
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /**
     * OpenTelemetry alone, once per JDK: what it prints by itself. The two tests of a JDK may run at
     * the same time (junit-platform.properties): the second waits for the first's baseline run.
     */
    static final java.util.Map<Jdk, ChildResult> BASELINE = new java.util.concurrent.ConcurrentHashMap<>();

    static void assertCoexists(Jdk jdk, Order order) {
        ChildResult alone = BASELINE.computeIfAbsent(jdk, j -> run(j, Order.OTEL_ONLY));
        ChildResult both = run(jdk, order);
        Set<String> baseline = foreign(alone);
        Set<String> extra = foreign(both);
        extra.removeAll(baseline);
        List<String> otelInfo = both.stderrLines().stream().filter(l -> OTEL_INFO.matcher(l).matches())
                .collect(Collectors.toList());
        assertAll(alone + "\n" + both,
            () -> assertEquals(BASELINE_REQUESTS, alone.number("storm", "ok"), "OpenTelemetry alone: every request completed"),
            () -> assertTrue(alone.stdout.contains("mbean=absent"), "the baseline runs without our agent"),
            () -> assertEquals(REQUESTS, both.number("storm", "ok"), "with both agents: every request completed"),
            () -> assertEquals(0, both.number("storm", "failed"), "failed requests"),
            () -> assertTrue(otelInfo.stream().anyMatch(l -> l.contains("opentelemetry-javaagent - version: 2.22.0")),
                    "OpenTelemetry's agent really ran: " + both.stderrLines()),
            () -> AgentStderr.activeLine(both),
            () -> assertEquals(CAP, both.number("gate after", "PeakOpenSockets"), "the cap was reached"),
            () -> assertTrue(both.number("gate after", "WaitsTotal") > 0, "threads waited at the cap"),
            () -> assertTrue(both.peakTcpSocketFds <= CAP, "TCP socket descriptors peaked at " + both.peakTcpSocketFds),
            () -> assertEquals(both.number("gate before", "OpenSockets"), both.number("gate closed", "OpenSockets"),
                    "OpenSockets is back at its baseline"),
            () -> assertEquals(List.of(), AgentStderr.lines(both, "ERROR"), "our agent's ERROR lines"),
            () -> assertFalse(both.stderr.contains("WARNING:"), "a JVM WARNING: line"),
            () -> assertEquals(Set.of(), extra, "stderr lines that OpenTelemetry alone does not print"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void withOurAgentFirstAStormUnderTheCapCompletesAndNeitherAgentComplains(Jdk jdk) {
        assertCoexists(jdk, Order.OURS_FIRST);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void withOpenTelemetryFirstAStormUnderTheCapCompletesAndNeitherAgentComplains(Jdk jdk) {
        assertCoexists(jdk, Order.OTEL_FIRST);
    }
}
