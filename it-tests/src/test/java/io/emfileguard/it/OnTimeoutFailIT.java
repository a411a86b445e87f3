package io.emfileguard.it;

import example.apps.FailFastApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code on.timeout=fail} with {@code max.sockets=1}: while one connection is in use, another
 * connect fails after {@code max.wait.millis} with a {@code java.net.SocketException} that names the
 * cap and the settings; a thread parked at the cap fails at once when interrupted, its interrupt
 * status kept; neither leaves a unit behind.
 */
class OnTimeoutFailIT {

    static final long MAX_WAIT_MILLIS = 300;
    /** The agent may overshoot by a slice boundary; the rest is JVM and machine noise (shared 2 cores). */
    static final long UPPER_BOUND_MILLIS = (long) (1.3 * MAX_WAIT_MILLIS) + 400;

    private static ChildResult run(Jdk jdk, String mode, long maxWaitMillis) {
        try (LatencyServer server = LatencyServer.start(Duration.ofSeconds(1))) {
            return ChildJvm.on(jdk, "on-timeout-fail-" + mode)
                    .withAgent("max.sockets=1,on.timeout=fail,max.wait.millis=" + maxWaitMillis)
                    .main(FailFastApp.class, mode, server.port())
                    .timeout(Duration.ofSeconds(60))
                    .run()
                    .assertSucceeded();
        }
    }

    private static String message(ChildResult r, int n) {
        return r.line("message " + n).substring(("message " + n + " ").length());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void aConnectAtTheCapFailsAfterMaxWaitWithASocketException(Jdk jdk) {
        ChildResult r = run(jdk, "timeout", MAX_WAIT_MILLIS);
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()));
        List<Executable> checks = new ArrayList<>();
        checks.add(() -> assertEquals(1, r.number("held", "OpenSockets"), "the held connection is counted"));
        for (int n = 0; n < 3; n++) {
            Map<String, String> v = ChildResult.values(r.linesStartingWith("attempt").get(n));
            String msg = message(r, n);
            long ms = Long.parseLong(v.get("ms"));
            checks.add(() -> assertEquals("1", v.get("failed"), "the connect failed: " + v));
            checks.add(() -> assertEquals("1", v.get("socketException"), "a java.net.SocketException: " + v));
            checks.add(() -> assertTrue(ms >= MAX_WAIT_MILLIS && ms <= UPPER_BOUND_MILLIS,
                    "failed after " + ms + " ms, expected within [" + MAX_WAIT_MILLIS + ", " + UPPER_BOUND_MILLIS + "]"));
            checks.add(() -> assertTrue(msg.contains("cap 1"), "the message names the cap: " + msg));
            checks.add(() -> assertTrue(msg.contains("emfileguard.max.sockets") && msg.contains("emfileguard.max.wait.millis")
                    && msg.contains("emfileguard.on.timeout"), "the message names the settings: " + msg));
            checks.add(() -> assertEquals("0", v.get("interruptKept"), "no stray interrupt: " + v));
        }
        checks.add(() -> assertEquals(3, r.number("before-release", "TimeoutsTotal"), "TimeoutsTotal"));
        checks.add(() -> assertEquals(1, r.number("before-release", "OpenSockets"), "only the held one is counted"));
        checks.add(() -> assertEquals(0, r.number("before-release", "WaitingThreads"), "nobody left in the queue"));
        checks.add(() -> assertEquals(0, r.number("before-release", "OverCapTotal"), "nobody admitted over the cap"));
        // The timed-out waiters gave back nothing they did not have: the one slot works at once.
        checks.add(() -> assertEquals("1", ChildResult.values(r.line("released")).get("connected"), "connect after release"));
        checks.add(() -> assertTrue(r.number("released", "connectMs") < 250, "connect after release is immediate"));
        checks.add(() -> assertEquals(0, r.number("released", "OpenSockets"), "count back at zero"));
        assertAll(r.toString(), checks.stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void aThreadParkedAtTheCapFailsPromptlyWhenInterrupted(Jdk jdk) {
        // A long max wait: the interrupt, not the timeout, must end this wait.
        ChildResult r = run(jdk, "interrupt", 20_000);
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()));
        Map<String, String> v = ChildResult.values(r.line("interrupt"));
        String msg = message(r, 0);
        assertAll(r.toString(),
            () -> assertEquals(1, r.number("parked", "waitingThreads"), "the thread was parked at the cap"),
            () -> assertEquals("1", v.get("failed"), "its connect failed: " + v),
            () -> assertEquals("1", v.get("socketException"), "with a java.net.SocketException: " + v),
            () -> assertTrue(msg.toLowerCase().contains("interrupted"), "saying it was interrupted: " + msg),
            () -> assertTrue(Long.parseLong(v.get("sinceInterruptMs")) < 250, "promptly after the interrupt: " + v),
            () -> assertTrue(Long.parseLong(v.get("waitedMs")) < 5000, "long before max.wait.millis: " + v),
            () -> assertEquals("1", v.get("interruptKept"), "the interrupt status is kept: " + v),
            () -> assertEquals(0, r.number("before-release", "TimeoutsTotal"), "no timeout"),
            () -> assertEquals(1, r.number("before-release", "OpenSockets"), "only the held one is counted"),
            () -> assertEquals(0, r.number("before-release", "WaitingThreads"), "nobody left in the queue"),
            () -> assertEquals("1", ChildResult.values(r.line("released")).get("connected"), "connect after release"),
            () -> assertTrue(r.number("released", "connectMs") < 250, "connect after release is immediate"),
            () -> assertEquals(0, r.number("released", "OpenSockets"), "count back at zero"));
    }
}
