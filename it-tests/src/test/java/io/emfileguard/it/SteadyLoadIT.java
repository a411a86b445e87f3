package io.emfileguard.it;

import example.apps.clients.SteadyLoadApp;
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
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, "steady load keeps the cap": many more looping threads than the cap over pooled clients
 * (HttpURLConnection keep-alive with {@code http.maxConnections=40}, Apache 5, OkHttp, the AWS SDK
 * over Apache 4), 30 threads each against a 40 ms server, cap 64. A thread that finds its pool empty
 * waits at the gate; every connection that goes back to a pool meanwhile must serve the waiters
 * (the agent closes it, so its unit goes to the longest waiter), not the next thread that asks the
 * pool: else the waiters starve until {@code max.wait.millis} and then open sockets above the cap.
 * Seen before the fix (HttpURLConnection alone, JDK 25, 2 min): 65 waits ran into the 30 s max wait,
 * and from then on 117-121 sockets were open under the cap of 64.
 */
@Order(8) // longest first: see junit-platform.properties
class SteadyLoadIT {
    static final int CAP = 64;
    static final int THREADS_PER_CLIENT = 30;
    static final int SECONDS = 12;
    /**
     * Shorter than the default 30 s, so that a starving waiter shows within the run (a wait here
     * normally lasts one or two of the server's 40 ms replies).
     */
    static final int MAX_WAIT_MILLIS = 4_000;
    static final List<String> CLIENTS = List.of("urlconnection", "apache5", "okhttp-execute", "sdk-apache");

    static StubServices stub;

    @BeforeAll
    static void startStub() {
        stub = StubServices.start(Duration.ofMillis(40), Duration.ZERO);
    }

    @AfterAll
    static void stopStub() {
        if (stub != null) {
            stub.close();
        }
    }

    private static Object[] arguments() {
        List<Object> a = new java.util.ArrayList<>(List.of(stub.endpoint(), SECONDS, THREADS_PER_CLIENT));
        a.addAll(CLIENTS);
        return a.toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void pooledClientsUnderSteadyLoadNeverWaitIntoMaxWaitNorGoOverTheCap(Jdk jdk) {
        ChildJvm child = ChildJvm.on(jdk, "steady-load")
                .withAgent("max.sockets=" + CAP + ",max.wait.millis=" + MAX_WAIT_MILLIS)
                .main(SteadyLoadApp.class, arguments())
                .classPath(ClientLibs.jars())
                .systemProperty("http.maxConnections", 40)
                .systemProperty("it.mbean.wait.millis", 10_000)
                .timeout(Duration.ofSeconds(SECONDS + 150));
        ChildResult r = child.run();
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.linesStartingWith("storm")) + "\n  "
                + String.join("\n  ", r.linesStartingWith("failure")) + "\n  " + r.line("gate after")
                + "\n  peak TCP socket fds " + r.peakTcpSocketFds);
        r.assertSucceeded();
        assertAll(r.toString(),
            () -> assertEquals(1024, r.nofileLimit, "the child's descriptor limit"),
            () -> assertTrue(r.number("gate after", "WaitsTotal") > 0, "threads waited at the cap: the test tested it"),
            () -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that ran into max.wait.millis"),
            () -> assertEquals(0, r.number("gate after", "OverCapTotal"), "sockets counted above the cap"),
            () -> assertTrue(r.peakTcpSocketFds <= CAP, "TCP socket descriptors in /proc/<pid>/fd peaked at "
                    + r.peakTcpSocketFds + ", above the cap " + CAP),
            () -> {
                for (String kind : CLIENTS) {
                    Map<String, String> s = r.storm(kind);
                    assertEquals("0", s.get("failed"), kind + ": every request succeeds: " + s);
                    assertTrue(Long.parseLong(s.get("ok")) >= 200, kind + " made progress: " + s);
                }
            });
    }
}
