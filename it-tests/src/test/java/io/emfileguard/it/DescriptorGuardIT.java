package io.emfileguard.it;

import example.apps.DescriptorHogApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real-descriptor guard: a child holds 900 open files under a 1,024 limit, then makes 1,000
 * concurrent blocking {@code java.net.Socket} requests. The socket cap (896 by default) cannot see
 * the files; only {@code /proc/self/fd} can. Without the agent most requests die with "Too many open
 * files"; with it (default {@code fd.headroom=64}) the effective cap drops to what the limit leaves
 * and none does.
 *
 * <p>The server holds each request 250 ms, not seconds: under the guard only ~40 sockets fit at once,
 * so 1,000 requests take 25 rounds. {@code max.wait.millis=120000} keeps the last of them from
 * reaching the default 30 s wait on a loaded machine and proceeding above the cap; the wait bound
 * is not what this test is about.
 */
class DescriptorGuardIT {

    static final int FILES = 900;
    static final int REQUESTS = 1000;
    static final int LIMIT = 1024;
    static final int HEADROOM = 64;
    static final Duration HOLD = Duration.ofMillis(250);

    private static ChildResult hog(Jdk jdk, String label, LatencyServer server, boolean agent) {
        ChildJvm child = ChildJvm.on(jdk, label)
                .main(DescriptorHogApp.class, FILES, server.port(), REQUESTS)
                .jvmOption("-Xss256k")
                .timeout(Duration.ofSeconds(180));
        if (agent) {
            child.withAgent("max.wait.millis=120000").systemProperty("it.mbean.wait.millis", 10_000);
        }
        ChildResult r = child.run();
        System.out.println(r.name + ": " + r.line("files") + " | " + r.line("storm") + "; peak fds " + r.peakFds
                + ", peak TCP socket fds " + r.peakTcpSocketFds + ", " + r.wallMillis + " ms; " + server);
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#premise")
    void withoutTheAgent900OpenFilesLeaveTooFewDescriptorsForAThousandConnects(Jdk jdk) {
        try (LatencyServer server = LatencyServer.start(HOLD)) {
            ChildResult r = hog(jdk, "fd-guard-no-agent", server, false).assertSucceeded();
            assertAll(r.toString(),
                () -> assertEquals(LIMIT, r.nofileLimit, "the child's descriptor limit"),
                () -> assertEquals(FILES, r.number("files", "opened"), "files held open"),
                () -> assertEquals(REQUESTS, r.number("storm", "ok") + r.number("storm", "failed"), "every request ended"),
                () -> assertTrue(r.number("storm", "emfile") > 0, "some requests failed with 'Too many open files'"));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void withTheAgentAThousandConnectsNextTo900OpenFilesAllComplete(Jdk jdk) {
        try (LatencyServer server = LatencyServer.start(HOLD)) {
            ChildResult r = hog(jdk, "fd-guard-agent", server, true).assertSucceeded();
            long effective = r.number("gate after", "EffectiveMaxSockets");
            assertAll(r.toString(),
                () -> assertEquals(LIMIT, r.nofileLimit, "the child's descriptor limit"),
                () -> assertEquals(FILES, r.number("files", "opened"), "files held open"),
                () -> assertEquals(REQUESTS, r.number("storm", "ok"), "requests that completed"),
                () -> assertEquals(0, r.number("storm", "failed"), "requests that failed"),
                () -> assertEquals(0, r.number("storm", "emfile"), "'Too many open files'"),
                // The guard, not the socket cap, held the storm: the cap stays 896, the effective one
                // is what 1,024 less the headroom less the files leaves. The guard's estimate of the
                // other descriptors (in use less the sockets the gate counts) is low by the connects
                // under way at its sample (a unit taken, the descriptor not yet made): a few units above
                // that line (66 against 60 seen, once, beside another child), never near the cap.
                () -> assertEquals(896, r.number("gate after", "MaxSockets"), "the MBean's MaxSockets"),
                () -> assertTrue(effective <= LIMIT - HEADROOM - FILES + 16, "EffectiveMaxSockets " + effective
                        + " is what the limit leaves after the files and the headroom (+ connects under way)"),
                () -> assertTrue(r.number("gate after", "WaitsTotal") > 0, "connects waited"),
                () -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that timed out"),
                // The guard samples /proc/self/fd at most every 20 ms, so a burst can eat into the
                // headroom before the first sample lowers the cap; it must never reach the limit.
                () -> assertTrue(r.peakFds < LIMIT, "descriptors peaked at " + r.peakFds + ", the limit"),
                () -> assertEquals(r.number("gate before", "OpenSockets"), r.number("gate after", "OpenSockets"),
                        "OpenSockets is back at its baseline"));
        }
    }
}
