package io.emfileguard.it;

import example.apps.HttpLeakApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.FaultServer;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.StubServices;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 10,000 JDK {@code HttpClient} exchanges that end every way one can — responses (stub services,
 * 1 s latency), 500s and connections closed by the server (an in-test {@link FaultServer}, 200 ms),
 * request timeouts (300 ms, under the stub's latency), futures cancelled with {@code cancel(true)},
 * connections refused (a closed port) — at {@code max.sockets=200}, so that most calls wait at the
 * gate. Afterwards, once the pools have idled out ({@code -Djdk.httpclient.keepalive.timeout=1}),
 * the agent's count is exactly back at its baseline, as are the kernel's TCP descriptors, and no
 * thread is left waiting: nothing leaked a unit, whichever way its exchange ended.
 */
@Order(9) // longest first: see junit-platform.properties
class HttpClientLeakIT {

    static final int TOTAL = 10_000;
    static final int CAP = 200;

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void tenThousandMixedOutcomesLeaveTheCountAtItsBaselineAndNoThreadWaiting(Jdk jdk) throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            closedPort = s.getLocalPort();
        }
        try (StubServices stub = StubServices.start(Duration.ofSeconds(1), Duration.ofMillis(100));
             FaultServer fault = FaultServer.start(Duration.ofMillis(200))) {
            ChildResult r = ChildJvm.on(jdk, "httpclient-leak")
                    .main(HttpLeakApp.class, stub.endpoint(), fault.endpoint(), closedPort, TOTAL, 20_260_101)
                    .withAgent("max.sockets=" + CAP)
                    .jvmOption("-Xss256k")
                    .systemProperty("jdk.httpclient.keepalive.timeout", 1)
                    .systemProperty("it.mbean.wait.millis", 10_000)
                    .timeout(Duration.ofSeconds(240))
                    .run();
            System.out.println(r.name + ": " + r.line("leak") + " | " + String.join(" | ", r.linesStartingWith("outcome"))
                    + "; peak TCP socket fds " + r.peakTcpSocketFds + ", " + r.wallMillis + " ms; " + stub + "; " + fault);
            r.assertSucceeded();
            List<Executable> checks = new ArrayList<>();
            checks.add(() -> assertEquals(TOTAL, r.number("leak", "completed"), "exchanges that ended"));
            checks.add(() -> assertEquals(0, r.number("leak", "emfile"), "'Too many open files'"));
            List<String> outcomes = r.linesStartingWith("outcome");
            checks.add(() -> assertEquals(6, outcomes.size(), "kinds of outcome"));
            // JDK 17's HttpClient itself sometimes ends a timed-out or cancelled exchange with "connection
            // closed locally" (or a ClosedChannelException) instead of its HttpTimeoutException or
            // CancellationException (its clean-up closes the connection under the pending header read):
            // 19 of 4,500 per run here with the agent's reclaim off (reclaim.idle=false), 0 on JDK 25. Those two kinds have a client of
            // their own (HttpLeakApp.CANCELLING_CLIENT), where JDK 17 is allowed 1%; on the clients that
            // never time out or cancel, a connection closed under its exchange is the agent's doing.
            // Under load JDK 17's HttpClient also lets a 300 ms timeout pass and delivers the reply
            // (1 s later): without the agent at all (nofile 16,384), 7 and 20 of 2,000 timeouts per run
            // here ended with status 200; never on JDK 25. Counted with the quirks above.
            long lateTimeouts = 0;
            long closedByClient = 0;
            long closedElsewhere = 0;
            for (String line : r.linesStartingWith("unexpected")) {
                Map<String, String> v = ChildResult.values(line);
                if (v.get("kind").equals("timeout") && v.get("what").equals("status_200")) {
                    lateTimeouts += Long.parseLong(v.get("count"));
                } else if (closedUnderItsRead(v.get("what"))) {
                    long n = Long.parseLong(v.get("count"));
                    if (v.get("kind").equals("timeout") || v.get("kind").equals("cancel")) {
                        closedByClient += n;
                    } else {
                        closedElsewhere += n;
                    }
                }
            }
            long closedLocally = closedByClient + closedElsewhere;
            long tolerated = closedByClient + lateTimeouts;
            long allowed = jdk == Jdk.JDK17 ? TOTAL / 100 : 0;
            checks.add(() -> assertTrue(tolerated <= allowed, "JDK 17's own quirks ending a timeout or cancel"
                    + " ('connection closed locally', a timeout answered by its reply): " + tolerated + " ("
                    + allowed + " allowed on " + jdk + ")"));
            long closedByAgent = closedElsewhere;
            checks.add(() -> assertEquals(0, closedByAgent,
                    "'connection closed locally' on a client that never times out or cancels: the agent closed"
                    + " a connection that an exchange was using"));
            long unexpected = 0;
            for (String line : outcomes) {
                Map<String, String> v = ChildResult.values(line);
                checks.add(() -> assertTrue(Long.parseLong(v.get("issued")) > 0, "issued: " + line));
                unexpected += Long.parseLong(v.get("unexpected"));
            }
            long otherwise = unexpected - closedLocally - lateTimeouts;
            checks.add(() -> assertEquals(0, otherwise, "exchanges that did not end as intended: " + outcomes));
            // Replacement connections the HttpClient's own threads open after timeouts and
            // cancellations are counted at once above the cap (OverCapTotal), never parked.
            checks.add(() -> assertTrue(r.peakTcpSocketFds <= CAP + r.number("gate after", "OverCapTotal"),
                    "TCP socket descriptors peaked at " + r.peakTcpSocketFds + ", above the cap " + CAP
                    + " plus what was counted above it"));
            // The agent's own peak may pass the cap by what the HttpClient's threads opened beyond
            // their callers' units (counted, never parked: OverCapTotal); the kernel's count above may not.
            checks.add(() -> assertTrue(r.number("gate after", "PeakOpenSockets")
                    <= CAP + r.number("gate after", "OverCapTotal"), "the MBean's PeakOpenSockets"));
            checks.add(() -> assertTrue(r.number("gate after", "WaitsTotal") > 0, "calls waited at the cap"));
            checks.add(() -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that timed out"));
            checks.add(() -> assertEquals(0, r.number("gate after", "WaitingThreads"), "the MBean's WaitingThreads"));
            checks.add(() -> assertEquals(0, r.number("threads", "parkedOnGate"), "threads parked on the gate"));
            checks.add(() -> assertEquals(r.number("gate before", "OpenSockets"), r.number("gate after", "OpenSockets"),
                    "OpenSockets is back at its baseline once the pools are idle"));
            checks.add(() -> assertEquals(r.number("gate before", "socketFds"), r.number("gate after", "socketFds"),
                    "the kernel's TCP descriptors are back at their baseline"));
            assertAll(r.toString(), checks.toArray(new Executable[0]));
        }
    }

    /** An exchange failed because its connection was closed on this side under its header read. */
    static boolean closedUnderItsRead(String what) {
        return what.endsWith("connection_closed_locally") || what.endsWith("ClosedChannelException:_null");
    }
}
