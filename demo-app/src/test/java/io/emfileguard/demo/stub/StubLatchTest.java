package io.emfileguard.demo.stub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The latch holds every reply until enough requests are in flight at once, or until its deadline:
 * what lets an end-to-end test be sure that a storm filled the cap, however slowly a loaded machine
 * issued it.
 */
class StubLatchTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static String get(StubServer stub, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(stub.endpoint() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static CompletableFuture<HttpResponse<String>> call(StubServer stub, int id) {
        return CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(stub.endpoint() + "/services/s?record=r" + id)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void repliesWaitUntilEnoughRequestsAreInFlightThenGoAtOnce() throws Exception {
        try (StubServer stub = StubServer.start(0, 50, 0)) {
            assertTrue(get(stub, "/latch?inFlight=3&maxMillis=30000").contains("\"armed\":true"));
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            calls.add(call(stub, 1));
            calls.add(call(stub, 2));
            Thread.sleep(500); // ten times the latency
            assertFalse(calls.get(0).isDone() || calls.get(1).isDone(), "held while 2 of 3 are in flight");
            long t0 = System.nanoTime();
            calls.add(call(stub, 3));
            for (CompletableFuture<HttpResponse<String>> c : calls) {
                assertEquals(200, c.get(10, TimeUnit.SECONDS).statusCode());
            }
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "answered once the third arrived");
            String stats = get(stub, "/stats");
            assertTrue(stats.contains("\"latchOpenedByCount\":1"), stats);
            assertTrue(stats.contains("\"latchOpenedByDeadline\":0"), stats);
            assertTrue(stats.contains("\"latchHeld\":3"), stats);
            assertTrue(stats.contains("\"latchPeakInFlight\":3"), stats);
            // open: the next request takes the stub's latency alone
            assertEquals(200, call(stub, 4).get(5, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void theDeadlineOpensALatchThatTooFewRequestsReach() throws Exception {
        try (StubServer stub = StubServer.start(0, 0, 0)) {
            get(stub, "/latch?inFlight=100&maxMillis=400");
            long t0 = System.nanoTime();
            assertEquals(200, call(stub, 1).get(10, TimeUnit.SECONDS).statusCode());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 300, "held until about the deadline: " + ms + " ms");
            String stats = get(stub, "/stats");
            assertTrue(stats.contains("\"latchOpenedByCount\":0"), stats);
            assertTrue(stats.contains("\"latchOpenedByDeadline\":1"), stats);
            assertTrue(get(stub, "/latch?inFlight=0&maxMillis=1").contains("usage"), "a bad latch is refused");
        }
    }
}
