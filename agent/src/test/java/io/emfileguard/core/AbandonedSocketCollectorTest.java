package io.emfileguard.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AbandonedSocketCollectorTest {

    private final MovableClock clock = new MovableClock();

    /** A registry holding one socket that has been quiet for a second (it may be garbage). */
    private SocketRegistry registryWithAQuietSocket() {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        registry.track(quiet, true);
        clock.advanceMillis(1000);
        return registry;
    }

    private final Object quiet = new Object();

    @Test
    void asksForOneCollectionPerIntervalHoweverManyWaitersAsk() {
        SocketRegistry registry = registryWithAQuietSocket();
        AtomicInteger collections = new AtomicInteger();
        AtomicInteger events = new AtomicInteger();
        AbandonedSocketCollector collector = new AbandonedSocketCollector(registry,
                TestEvents.onCollection((freed, total) -> events.incrementAndGet()), collections::incrementAndGet);
        for (int i = 0; i < 50; i++) {
            collector.run(); // fifty stuck waiters after the same slice
        }
        assertEquals(1, collections.get(), "a full collection stops the world: once per interval");
        assertEquals(1, collector.requestedTotal());
        assertEquals(1, events.get());
    }

    @Test
    void asksLessOftenWhileCollectionsGiveNothingBack() {
        SocketRegistry registry = registryWithAQuietSocket();
        AbandonedSocketCollector collector = new AbandonedSocketCollector(registry, TestEvents.onCollection((freed, total) -> { }), () -> { });
        collector.run();
        assertEquals(AbandonedSocketCollector.MIN_INTERVAL_NANOS, collector.intervalNanos());
        collector.allowNow();
        collector.run(); // the first one freed nothing: every socket was merely busy
        assertEquals(2 * AbandonedSocketCollector.MIN_INTERVAL_NANOS, collector.intervalNanos());
        collector.allowNow();
        collector.run();
        assertEquals(4 * AbandonedSocketCollector.MIN_INTERVAL_NANOS, collector.intervalNanos());
        for (int i = 0; i < 20; i++) {
            collector.allowNow();
            collector.run();
        }
        assertEquals(AbandonedSocketCollector.MAX_INTERVAL_NANOS, collector.intervalNanos(), "bounded");
        assertEquals(23, collector.requestedTotal());
    }

    /**
     * A fan-out whose replies take seconds: every socket is a request awaiting its reply, held by the
     * thread that waits for it. A collection would stop the world for nothing (the demo asked for one
     * per batch); a request that has awaited its reply for 10 s may have been dropped mid-request.
     */
    @Test
    void asksForNoCollectionWhileEverySocketIsARequestInFlight() {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        AtomicInteger collections = new AtomicInteger();
        AbandonedSocketCollector collector = new AbandonedSocketCollector(registry, TestEvents.onCollection((freed, total) -> { }),
                collections::incrementAndGet);
        Object[] inFlight = new Object[3];
        for (int i = 0; i < inFlight.length; i++) {
            inFlight[i] = new Object();
            registry.track(inFlight[i], true);
            registry.ioEnded(inFlight[i], true, true); // its request is written
        }
        clock.advanceMillis(2000);                     // the replies take 2 s
        collector.run();
        assertEquals(0, collections.get(), "every socket awaits its reply: nothing for a collection to free");
        clock.advanceMillis(8000);                     // 10 s without a reply
        collector.run();
        assertEquals(1, collections.get(), "a request awaiting its reply for 10 s may have been dropped");
        java.lang.ref.Reference.reachabilityFence(inFlight);
    }

    @Test
    void aConnectedSocketWithNoIoSinceTheStuckTimeMayBeGarbage() {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        AtomicInteger collections = new AtomicInteger();
        AbandonedSocketCollector collector = new AbandonedSocketCollector(registry, TestEvents.onCollection((freed, total) -> { }),
                collections::incrementAndGet);
        Object connected = new Object();
        registry.track(connected, true);
        clock.advanceMillis(100);
        collector.run();
        assertEquals(0, collections.get(), "connected 100 ms ago: its request may be on its way");
        clock.advanceMillis(400);
        collector.run();
        assertEquals(1, collections.get(), "no I/O for the stuck time: perhaps dropped without close()");
        java.lang.ref.Reference.reachabilityFence(connected);
    }

    @Test
    void waitersHeldOnlyByADroppedSocketProceedOnceTheGateIsStuck() throws Exception {
        SocketGate gate = new SocketGate(new GateSettings(1, 20, 10_000, GateSettings.OnTimeout.FAIL, null), clock);
        SocketRegistry registry = new SocketRegistry(gate, clock);
        gate.setSliceTask(registry::expungeCollected); // as the agent wires it
        // A real collection; the reference handler then queues the socket's reference in real time,
        // which the moved clock must not outpace: the collection returns once the registry has it.
        AbandonedSocketCollector collector = new AbandonedSocketCollector(registry, TestEvents.onCollection((freed, total) -> { }), () -> {
            System.gc();
            awaitCollected(registry);
        });
        gate.setStuckTask(collector);
        gate.acquire(true);
        registry.track(new Object(), true); // the only socket, dropped without close(): garbage now
        long start = clock.nanoTime();
        assertEquals(SocketGate.Admission.AFTER_WAIT, clock.callAdvancing(10, () -> gate.acquire(true)));
        long waitedMillis = (clock.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis < 2_000, "the collection gave the unit back within 2 s: " + waitedMillis + " ms");
        assertTrue(collector.requestedTotal() >= 1);
        assertEquals(1, registry.collectedTotal());
        assertEquals(1, gate.openSockets(), "the waiter holds the unit the dropped socket held");
    }

    /** Until the registry has taken in a collected socket (10 s of real time at most; the test then fails on its own). */
    private static void awaitCollected(SocketRegistry registry) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (registry.collectedTotal() == 0 && System.nanoTime() - deadline < 0) {
            registry.expungeCollected();
            Thread.yield();
        }
    }
}
