package io.emfileguard.it;

import example.apps.HttpBurstApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.StubServices;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The field report with the JDK {@code java.net.http.HttpClient}: 11 clients (one per downstream
 * service, default settings; the stub speaks HTTP/1.1) and 3,300 calls at once against the stub
 * services (~2 s latency), in a JVM limited to 1,024 descriptors.
 *
 * <p>What "capped" means here (see {@code HttpClientAccount}): the TCP sockets in
 * {@code /proc/<pid>/fd} and the MBean's {@code PeakOpenSockets} never exceed the cap, and the
 * concurrency really reaches it: the stub held at least 90% of the cap in flight at once and the
 * kernel saw at least 90% of the cap in sockets. An agent that counted an exchange and its
 * connection twice would stop near half the cap.
 *
 * <p>How the count gets back to its baseline: the clients stay open and idle; the child runs with
 * {@code -Djdk.httpclient.keepalive.timeout=1} (2 for the keep-alive rounds), so their pools close
 * idle connections a second or two after the last response, and the child waits (at most 30 s) until
 * {@code OpenSockets} and its own TCP descriptors are where they were before the first client was
 * built, then prints the MBean. Exact equality with the baseline is asserted.
 */
@Order(2) // longest first: see junit-platform.properties
class HttpClientBurstIT {

    static final int SERVICES = 11;
    static final int REQUESTS = 3300;
    static final int DEFAULT_CAP_UNDER_1024 = 896;
    static final Duration LATENCY = Duration.ofSeconds(2);
    static final Duration JITTER = Duration.ofMillis(200);
    /**
     * For the 1,000 threads calling {@code send} at cap 300: 4 rounds of the cap. 2 s: at 1 s a loaded
     * machine started the platform threads too slowly to fill the cap (247 of 300 on JDK 17, beside
     * another child).
     */
    static final Duration SEND_LATENCY = Duration.ofSeconds(2);

    private static ChildResult burst(Jdk jdk, String label, StubServices stub, String mode, int requests, int rounds,
                                     boolean agent, String agentArgs, int keepAliveSeconds) {
        ChildJvm child = ChildJvm.on(jdk, label)
                .main(HttpBurstApp.class, stub.endpoint(), mode, requests, SERVICES, rounds)
                .jvmOption("-Xss256k")
                .systemProperty("jdk.httpclient.keepalive.timeout", keepAliveSeconds)
                .timeout(Duration.ofSeconds(240));
        if (agent) {
            child.withAgent(agentArgs).systemProperty("it.mbean.wait.millis", 10_000);
        }
        ChildResult r = child.run();
        System.out.println(r.name + ": " + String.join(" | ", r.linesStartingWith("round")) + "; peak TCP socket fds "
                + r.peakTcpSocketFds + ", peak fds " + r.peakFds + ", " + r.wallMillis + " ms; stub " + stub);
        return r;
    }

    // The premise, on JDK 17 alone (Jdk#premise): the runs with the agent, on 17, 21 and 25, show the
    // pressure on every JDK too (they wait at the cap).
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#premise")
    void withoutTheAgentSomeOf3300SendAsyncCallsDieWithTooManyOpenFiles(Jdk jdk) {
        try (StubServices stub = StubServices.start(LATENCY, JITTER)) {
            ChildResult r = burst(jdk, "httpclient-burst-no-agent", stub, "async", REQUESTS, 1, false, null, 1)
                    .assertSucceeded();
            assertAll(r.toString(),
                () -> assertEquals(1024, r.nofileLimit, "the child's descriptor limit"),
                () -> assertEquals(REQUESTS, r.number("round", "ok") + r.number("round", "failed"), "every call ended"),
                () -> assertTrue(r.number("round", "emfile") > 0, "some calls failed with 'Too many open files'"),
                () -> assertTrue(r.stdout.contains("mbean=absent"), "no agent, no MBean"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void aThousandPlatformThreadsCallingSendAllCompleteAtTheCap(Jdk jdk) {
        try (StubServices stub = StubServices.start(SEND_LATENCY, JITTER)) {
            // Cap 300: 1,000 threads started one by one on a busy machine must still outnumber it
            // (at 500, a loaded machine started them too slowly to fill 90% of it).
            ChildResult r = burst(jdk, "httpclient-send-platform", stub, "platform", 1000, 1, true,
                    "max.sockets=300", 1).assertSucceeded();
            assertCappedBurst(r, stub, 300, 1000, 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void aThousandVirtualThreadsCallingSendAllCompleteAtTheCap(Jdk jdk) {
        assumeTrue(jdk.feature >= 21, "virtual threads need JDK 21+; " + jdk + " has none");
        try (StubServices stub = StubServices.start(SEND_LATENCY, JITTER)) {
            ChildResult r = burst(jdk, "httpclient-send-virtual", stub, "virtual", 1000, 1, true,
                    "max.sockets=300", 1).assertSucceeded();
            assertCappedBurst(r, stub, 300, 1000, 1);
        }
    }

    /**
     * With the agent, at the default cap: 3,300 {@code sendAsync} calls over 11 fresh clients all
     * complete, and so does a second burst right after on the same clients: after the first, their
     * pools hold up to the cap in idle keep-alive connections, which the next round's callers reuse
     * (on JDK 25, {@code HttpResponse.connectionLabel()} shows it: connections that served round n-1
     * serve round n). Every round is checked as a burst of its own ({@link #assertCappedBurst}: all
     * 3,300 completed, none failed); the peaks cover both (a third round proved nothing the second
     * does not, and cost `mvn -B verify` 25 s). The first round is what a separate
     * one-burst test checked until it was folded in here: the same 3,300 calls on fresh clients at
     * the default cap, with the same checks (its stub answered in 2 s, this one in 1 s: the first
     * round opens the cap's connections all the same, see the peaks).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void withTheAgent3300SendAsyncCallsOver11ClientsAllCompleteAtTheDefaultCapRoundAfterRound(Jdk jdk) {
        int rounds = 2;
        try (StubServices stub = StubServices.start(Duration.ofSeconds(1), JITTER)) {
            ChildResult r = burst(jdk, "httpclient-keepalive-rounds", stub, "async", REQUESTS, rounds, true, null, 2)
                    .assertSucceeded();
            List<Executable> reuse = new ArrayList<>();
            List<String> lines = r.linesStartingWith("round");
            for (int n = 2; n <= rounds; n++) {
                String line = lines.get(n - 1);
                long reused = ChildResult.values(line).get("reused") == null ? -1
                        : Long.parseLong(ChildResult.values(line).get("reused"));
                if (reused >= 0) { // the JDK can tell (25+)
                    reuse.add(() -> assertTrue(reused > 0, "round " + line + " reused no connection of the round before"));
                }
            }
            assertEquals(jdk.feature >= 25 ? rounds - 1 : 0, reuse.size(), "rounds where reuse could be checked");
            if (!reuse.isEmpty()) {
                assertAll(r.toString(), reuse.toArray(new Executable[0]));
            }
            assertCappedBurst(r, stub, DEFAULT_CAP_UNDER_1024, REQUESTS, rounds);
        }
    }

    private static void assertCappedBurst(ChildResult r, StubServices stub, int cap, int requests, int rounds) {
        long peakInFlight = stub.peakInFlight();
        List<String> roundLines = r.linesStartingWith("round");
        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(1024, r.nofileLimit, "the child's descriptor limit"));
        checks.add(() -> assertEquals(rounds, roundLines.size(), "rounds reported"));
        for (String line : roundLines) {
            checks.add(() -> assertEquals(String.valueOf(requests), ChildResult.values(line).get("ok"),
                    "calls that completed with the right answer: " + line));
            checks.add(() -> assertEquals("0", ChildResult.values(line).get("failed"), "calls that failed: " + line));
            checks.add(() -> assertEquals("[HTTP_1_1]", ChildResult.values(line).get("versions"), "protocol: " + line));
        }
        checks.add(() -> assertTrue(r.peakTcpSocketFds <= cap, "TCP socket descriptors in /proc/<pid>/fd peaked at "
                + r.peakTcpSocketFds + ", above the cap " + cap));
        checks.add(() -> assertTrue(r.number("gate after", "PeakOpenSockets") <= cap, "the MBean's PeakOpenSockets"));
        // The concurrency reached the cap: neither the kernel's count nor the server's in-flight count
        // could be near 90% of the cap if each exchange and its connection took a unit apiece.
        checks.add(() -> assertTrue(r.peakTcpSocketFds >= cap * 9 / 10, "TCP socket descriptors peaked at only "
                + r.peakTcpSocketFds + " of a cap of " + cap));
        checks.add(() -> assertTrue(peakInFlight >= cap * 9 / 10, "the stub held at most " + peakInFlight
                + " requests in flight at once, under 90% of the cap " + cap));
        checks.add(() -> assertTrue(peakInFlight <= cap, "the stub held " + peakInFlight
                + " requests in flight at once, above the cap " + cap));
        checks.add(() -> assertEquals(cap, r.number("gate after", "MaxSockets"), "the MBean's MaxSockets"));
        checks.add(() -> assertTrue(r.number("gate after", "WaitsTotal") > 0, "callers waited at the cap"));
        checks.add(() -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that timed out"));
        checks.add(() -> assertEquals(0, r.number("gate after", "OverCapTotal"), "sockets counted above the cap"));
        checks.add(() -> assertEquals(0, r.number("gate after", "WaitingThreads"), "threads still waiting"));
        checks.add(() -> assertEquals(r.number("gate before", "OpenSockets"), r.number("gate after", "OpenSockets"),
                "OpenSockets is back at its baseline once the pools are idle"));
        checks.add(() -> assertEquals(r.number("gate before", "socketFds"), r.number("gate after", "socketFds"),
                "the kernel's TCP descriptors are back at their baseline"));
        assertAll(r + "\nstub peak in flight " + peakInFlight, checks.toArray(new Executable[0]));
    }
}
