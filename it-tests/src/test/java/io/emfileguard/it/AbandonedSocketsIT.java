package io.emfileguard.it;

import example.apps.AbandonedSocketsApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 18, "abandoned sockets come back": the cap is full of sockets the application dropped
 * without {@code close()}; threads then connect. Nothing is released and nothing is idle in a pool:
 * only a garbage collection (the JDK's Cleaner then closes the descriptors) frees room, and a program
 * that waits allocates nothing to trigger one. The agent asks for one once the queue is stuck.
 * Seen before: Apache HttpClient 5's own test suite at a cap of 16 had 31 waits run the full 30 s.
 */
class AbandonedSocketsIT {
    static final int CAP = 16;

    private static ChildResult run(Jdk jdk, String name, String extraAgentArgs) {
        try (LatencyServer server = LatencyServer.start(Duration.ofMillis(1))) {
            ChildResult r = ChildJvm.on(jdk, name)
                    .withAgent("max.sockets=" + CAP + ",max.wait.millis=4000" + extraAgentArgs)
                    .main(AbandonedSocketsApp.class, server.port(), CAP)
                    .timeout(Duration.ofSeconds(60))
                    .run();
            System.out.println(r.name + ":\n  " + r.line("abandoned") + "\n  " + r.line("gate after"));
            return r.assertSucceeded();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void waitersHeldOnlyByDroppedSocketsProceedWithinTwoSeconds(Jdk jdk) {
        ChildResult r = run(jdk, "abandoned-sockets", "");
        Map<String, String> a = ChildResult.values(r.line("abandoned"));
        assertAll(r.toString(),
            () -> assertEquals(String.valueOf(CAP), a.get("connected"), "every thread connected: " + a),
            () -> assertTrue(Long.parseLong(a.get("maxWaitMs")) < 2_000, "within 2 s, not at max.wait: " + a),
            () -> assertTrue(r.number("gate after", "GcRequestsTotal") >= 1, "the agent asked for a collection"),
            () -> assertTrue(r.number("gate after", "CollectedSocketsTotal") >= CAP, "the dropped sockets came back"),
            () -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that ran into max.wait.millis"),
            () -> assertEquals(0, r.number("gate after", "OverCapTotal"), "sockets counted above the cap"));
    }

    /** The setting that turns it off, and the proof that the test above can fail: they wait into max.wait. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void withCollectAbandonedOffTheWaitersRunIntoMaxWait(Jdk jdk) {
        ChildResult r = run(jdk, "abandoned-sockets-off", ",collect.abandoned=false");
        assertAll(r.toString(),
            () -> assertEquals(0, r.number("gate after", "GcRequestsTotal"), "no collection asked for"),
            () -> assertTrue(r.number("gate after", "TimeoutsTotal") >= 1, "the waiters ran into max.wait"));
    }
}
