package io.emfileguard.it;

import example.apps.SlowWriterApp;
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
 * Idle reclamation (on by default) must never close a request in flight. Here a connection's owner
 * pauses 2 s between connect and write while another thread waits at the cap (max.sockets=1): the
 * first request must complete, and the second must get its socket only after the first is closed.
 *
 * <p>The idle reclaimer (on by default) once closed such a socket after ~250 ms (no I/O for
 * reclaim.idle.millis, nobody inside a read or write); now a socket is idle only after its reply has
 * been read, so one that is connected and not yet written to is in flight.
 */
class IdleReclaimIT {

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void aRequestBetweenConnectAndWriteIsNotReclaimed(Jdk jdk) throws Throwable {
        ChildResult r;
        try (LatencyServer server = LatencyServer.start(Duration.ofMillis(500))) {
            r = ChildJvm.on(jdk, "idle-reclaim-in-flight").withAgent("max.sockets=1")
                    .main(SlowWriterApp.class, server.port(), 2000)
                    .timeout(Duration.ofSeconds(60))
                    .run();
        }
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()));
        r.assertSucceeded();
        Map<String, String> first = ChildResult.values(r.line("first"));
        Map<String, String> second = ChildResult.values(r.line("second"));
        assertAll(r.toString(),
            () -> assertEquals("OK_REQ_first", first.get("reply"), "the first request completes: " + first),
            () -> assertEquals("OK_FAST_second", second.get("reply"), "the second request completes: " + second),
            () -> assertTrue(second.containsKey("connectedAfterMs")
                    && Long.parseLong(second.get("connectedAfterMs")) >= 2000,
                    "the second waited for the first to finish: " + second),
            () -> assertEquals(0, r.number("gate", "ReclaimedSocketsTotal"), "nothing was reclaimed"));
    }
}
