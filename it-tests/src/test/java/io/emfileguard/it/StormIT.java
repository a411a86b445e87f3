package io.emfileguard.it;

import example.apps.StormApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The field report: 3,300 concurrent blocking requests, each held seconds by the server, in a JVM
 * limited to 1,024 descriptors. Without the agent some die with "Too many open files"; with it
 * every request completes and the kernel never sees more socket descriptors than the cap.
 */
@Order(5) // longest first: see junit-platform.properties
class StormIT {

    static final int REQUESTS = 3300;
    /**
     * How long the server holds each request without the agent. 3 s, as in the field reproduction:
     * with 1 s a loaded 2-core machine sometimes started the 3,300 requests too slowly to ever have
     * 1,024 open at once, and the run without the agent then proved nothing.
     */
    static final Duration SERVER_LATENCY = Duration.ofSeconds(3);
    /**
     * With the agent at the default cap, 3,300 requests take 4 rounds of the cap; what matters is that
     * more threads want a socket than the cap lets through (WaitsTotal &gt; 0, the kernel's peak at
     * least half the cap), which the 3,300 threads released at once do long before the first replies
     * come back. 2 s (it was 3 s, as without the agent): 4 s less per JDK.
     */
    static final Duration SERVER_LATENCY_WITH_AGENT = Duration.ofSeconds(2);
    /**
     * For the run at max.sockets=500: 3,300 requests take 7 rounds at the cap, and the last ones must
     * stay well inside the default max.wait.millis (30 s) on a loaded machine: 1.5 s rounds (10.5 s in
     * all; it was 2 s) keep them inside it. Not 1 s: a starved JDK 17 child opened only 446 sockets
     * before the first replies came back, nobody waited, and the storm proved nothing (2026-12-02).
     */
    static final Duration SERVER_LATENCY_AT_500 = Duration.ofMillis(1500);
    static final int DEFAULT_CAP_UNDER_1024 = 896;

    private static ChildResult storm(Jdk jdk, String label, LatencyServer server, boolean agent, String agentArgs) {
        ChildJvm child = ChildJvm.on(jdk, label)
                .main(StormApp.class, server.port(), REQUESTS)
                .jvmOption("-Xss256k")
                .timeout(Duration.ofSeconds(180));
        if (agent) {
            child.withAgent(agentArgs).systemProperty("it.mbean.wait.millis", 10_000);
        }
        ChildResult r = child.run();
        System.out.println(r.name + ": " + r.line("storm") + "; peak socket fds " + r.peakSocketFds
                + " (TCP " + r.peakTcpSocketFds + "), peak fds " + r.peakFds + "; server " + server
                + "\n  TCP peak: " + r.peakTcpDetail);
        return r;
    }

    // The premise, on JDK 17 alone (Jdk#premise): the runs with the agent, on 17, 21 and 25, show the
    // pressure on every JDK too (they wait at the cap).
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#premise")
    void withoutTheAgentSomeRequestsDieWithTooManyOpenFiles(Jdk jdk) {
        try (LatencyServer server = LatencyServer.start(SERVER_LATENCY)) {
            ChildResult r = storm(jdk, "storm-no-agent", server, false, null).assertSucceeded();
            long ok = r.number("storm", "ok");
            long failed = r.number("storm", "failed");
            long emfile = r.number("storm", "emfile");
            assertAll(r.toString(),
                () -> assertEquals(1024, r.nofileLimit, "the child's descriptor limit"),
                () -> assertEquals(REQUESTS, ok + failed, "every request ended"),
                () -> assertTrue(emfile > 0, "some requests failed with 'Too many open files'"),
                () -> assertTrue(r.stdout.contains("mbean=absent"), "no agent, no MBean"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void withTheAgentEveryRequestCompletesUnderTheDefaultCap(Jdk jdk) {
        try (LatencyServer server = LatencyServer.start(SERVER_LATENCY_WITH_AGENT)) {
            ChildResult r = storm(jdk, "storm-agent", server, true, null).assertSucceeded();
            assertCappedStorm(r, DEFAULT_CAP_UNDER_1024);
        }
    }

    // JDK 17 and 25: a deeper queue (2,800 waiters) than the default cap's storm, which runs on 21 too
    // and shows JDK 21's sockets under the same gate; a third JDK here cost 15 s of every verify.
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void withTheAgentAndMaxSockets500EveryRequestCompletesUnder500(Jdk jdk) {
        try (LatencyServer server = LatencyServer.start(SERVER_LATENCY_AT_500)) {
            ChildResult r = storm(jdk, "storm-agent-500", server, true, "max.sockets=500").assertSucceeded();
            assertCappedStorm(r, 500);
        }
    }

    private static void assertCappedStorm(ChildResult r, int cap) {
        assertAll(r.toString(),
            () -> assertEquals(1024, r.nofileLimit, "the child's descriptor limit"),
            () -> assertEquals(REQUESTS, r.number("storm", "ok"), "requests that completed"),
            () -> assertEquals(0, r.number("storm", "failed"), "requests that failed"),
            () -> assertTrue(r.peakTcpSocketFds <= cap, "TCP socket descriptors in /proc/<pid>/fd peaked at "
                    + r.peakTcpSocketFds + ", above the cap " + cap),
            // The storm really pushed against the cap (else the bound above proves nothing).
            () -> assertTrue(r.peakTcpSocketFds >= cap / 2,
                    "TCP socket descriptors peaked at only " + r.peakTcpSocketFds + " of a cap of " + cap),
            () -> assertEquals(cap, r.number("gate after", "MaxSockets"), "the MBean's MaxSockets"),
            () -> assertTrue(r.number("gate after", "PeakOpenSockets") <= cap, "the MBean's PeakOpenSockets"),
            () -> assertTrue(r.number("gate after", "WaitsTotal") > 0, "threads waited at the cap"),
            () -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that timed out"),
            () -> assertEquals(0, r.number("gate after", "OverCapTotal"), "sockets counted above the cap"),
            // ReclaimedSocketsTotal may be above 0: a socket whose reply has been read and whose thread
            // has not yet closed it (descheduled among 3,300 threads) is idle by definition, and
            // closing it costs its request nothing; "failed" above is what proves no request was hurt.
            () -> assertEquals(r.number("gate before", "OpenSockets"), r.number("gate after", "OpenSockets"),
                    "OpenSockets is back at its baseline"));
    }
}
