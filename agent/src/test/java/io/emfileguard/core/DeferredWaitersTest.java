package io.emfileguard.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deferred work ({@link SocketGate.Deferred}): async callers wait in the same queue as parked
 * threads, nobody is parked for them, and their wait ends exactly once (granted, claimed, timed out,
 * expired or cancelled) with no unit lost or doubled.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeferredWaitersTest {

    private final MovableClock clock = new MovableClock();

    private SocketGate gate(int cap, long maxWaitMillis, GateSettings.OnTimeout onTimeout) {
        return new SocketGate(new GateSettings(cap, 100, maxWaitMillis, onTimeout, null), clock);
    }

    /** Deferred work that records how its wait ended (and how often: once is the contract). */
    static final class Work extends SocketGate.Deferred {
        final String id;
        final List<String> order;
        final AtomicInteger endings = new AtomicInteger();
        final CountDownLatch ended = new CountDownLatch(1);
        volatile SocketGate.Admission admittedAs;
        volatile SocketGateTimeoutException refusedWith;
        volatile boolean expired;
        volatile Thread ranOn;
        /** Room {@link #tryClaim} finds (then counted down). */
        final AtomicInteger room = new AtomicInteger();
        final AtomicInteger claimsUndone = new AtomicInteger();

        Work(String id, List<String> order) {
            this.id = id;
            this.order = order;
        }

        private void end() {
            ranOn = Thread.currentThread();
            endings.incrementAndGet();
            order.add(id);
            ended.countDown();
        }

        @Override
        protected void admitted(SocketGate.Admission how) {
            admittedAs = how;
            end();
        }

        @Override
        protected void refused(SocketGateTimeoutException reason) {
            refusedWith = reason;
            end();
        }

        @Override
        protected void expired() {
            expired = true;
            end();
        }

        @Override
        protected boolean tryClaim() {
            return room.getAndUpdate(r -> Math.max(0, r - 1)) > 0;
        }

        @Override
        protected void undoClaim() {
            claimsUndone.incrementAndGet();
            room.incrementAndGet();
        }

        void awaitEnd() throws InterruptedException {
            assertTrue(ended.await(10, TimeUnit.SECONDS), id + " never ended its wait");
        }
    }

    private final List<String> order = Collections.synchronizedList(new ArrayList<>());

    @Test
    void deferredWorkUnderTheCapIsAdmittedAtOnceAndNoThreadStarts() {
        SocketGate gate = gate(2, 60_000, GateSettings.OnTimeout.FAIL);
        Work w = new Work("w", order);
        assertEquals(SocketGate.Admission.IMMEDIATE, gate.acquireOrDefer(w));
        assertEquals(1, gate.openSockets());
        assertEquals(0, w.endings.get(), "the caller goes on itself: no callback");
        assertFalse(gate.deliveryThreadRunning(), "an idle agent runs no thread");
    }

    @Test
    void atTheCapTheCallerReturnsAtOnceAndTheWorkRunsOnTheDeliveryThreadWhenAUnitFrees() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Work w = new Work("w", order);
        assertEquals(SocketGate.Admission.DEFERRED, gate.acquireOrDefer(w));
        assertEquals(1, gate.waitingThreads());
        assertEquals(1, gate.deferredWaiting());
        assertEquals(0, w.endings.get());
        gate.release();
        w.awaitEnd();
        assertEquals(SocketGate.Admission.AFTER_WAIT, w.admittedAs);
        assertTrue(w.ranOn instanceof DeferredDelivery.DeliveryThread, "ran on " + w.ranOn);
        assertEquals(1, gate.openSockets(), "the freed unit went to the work");
        assertEquals(0, gate.waitingThreads());
        awaitDeliveryThreadEnded(gate);
    }

    @Test
    void parkedThreadsAndDeferredWorkAreServedInOneArrivalOrder() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread a = parkedCaller(gate, "A", failure);
        awaitWaiting(gate, 1);
        Work d1 = new Work("D1", order);
        gate.acquireOrDefer(d1);
        Thread b = parkedCaller(gate, "B", failure);
        awaitWaiting(gate, 3);
        Work d2 = new Work("D2", order);
        gate.acquireOrDefer(d2);
        assertEquals(4, gate.waitingThreads());
        for (int served = 1; served <= 4; served++) {
            gate.release(); // the holder of the unit (the test, then each one served) lets go
            awaitOrderSize(served);
        }
        a.join(10_000);
        b.join(10_000);
        assertFalse(a.isAlive() || b.isAlive());
        assertNull(failure.get());
        assertEquals(List.of("A", "D1", "B", "D2"), order);
        assertEquals(1, gate.openSockets(), "D2 still holds the last unit");
        gate.release();
        assertEquals(0, gate.openSockets());
    }

    @Test
    void aNewcomerDoesNotJumpQueuedDeferredWork() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Work w = new Work("w", order);
        gate.acquireOrDefer(w);
        gate.release();
        w.awaitEnd();
        assertFalse(gate.tryAcquireFast(), "the released unit went to the queued work, not to a newcomer");
    }

    @Test
    void cancelledWorkLeavesTheQueueWithoutAUnitAndIsNeverRun() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Work w = new Work("w", order);
        gate.acquireOrDefer(w);
        assertTrue(gate.cancel(w));
        assertFalse(gate.cancel(w), "a wait ends once");
        assertEquals(0, gate.waitingThreads());
        gate.release();
        assertEquals(0, gate.openSockets(), "nobody took the freed unit");
        awaitDeliveryThreadEnded(gate);
        assertEquals(0, w.endings.get());
    }

    @Test
    void aCancelThatLosesToAGrantLeavesTheUnitWithTheWork() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Work w = new Work("w", order);
        gate.acquireOrDefer(w);
        gate.release(); // granted under the lock, delivered later
        assertFalse(gate.cancel(w), "granted already: the cancel loses");
        w.awaitEnd();
        assertEquals(SocketGate.Admission.AFTER_WAIT, w.admittedAs);
        assertEquals(1, gate.openSockets());
    }

    @Test
    void workThatWaitsPastMaxWaitIsRefusedWhenTimeoutsFail() throws Exception {
        SocketGate gate = gate(1, 300, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Work w = new Work("w", order);
        gate.acquireOrDefer(w);
        long start = clock.nanoTime();
        advanceUntilEnded(w, 10);
        long waited = (clock.nanoTime() - start) / 1_000_000;
        assertTrue(waited >= 300 && waited <= 390, "refused after " + waited + " ms of a 300 ms max wait");
        assertTrue(w.refusedWith != null && w.refusedWith.getMessage().contains("emfileguard.max.sockets"),
                String.valueOf(w.refusedWith));
        assertEquals(1, gate.openSockets(), "a refused wait takes no unit");
        assertEquals(1, gate.stats().timeoutsTotal);
        assertEquals(0, gate.waitingThreads());
    }

    @Test
    void workThatWaitsPastMaxWaitProceedsAboveTheCapWhenTimeoutsProceed() throws Exception {
        SocketGate gate = gate(1, 300, GateSettings.OnTimeout.PROCEED);
        gate.acquire(true);
        Work w = new Work("w", order);
        gate.acquireOrDefer(w);
        advanceUntilEnded(w, 10);
        assertEquals(SocketGate.Admission.OVER_CAP_TIMED_OUT, w.admittedAs);
        assertEquals(2, gate.openSockets(), "counted above the cap: the count is the truth");
        assertEquals(1, gate.stats().overCapTotal);
    }

    @Test
    void itsOwnDeadlineEndsTheWaitWithoutAUnitBeforeMaxWait() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.PROCEED);
        gate.acquire(true);
        Work w = new Work("w", order);
        w.expireAfter(gate, 200_000_000L);
        gate.acquireOrDefer(w);
        long start = clock.nanoTime();
        advanceUntilEnded(w, 10);
        long waited = (clock.nanoTime() - start) / 1_000_000;
        assertTrue(w.expired, "expired, not timed out");
        assertTrue(waited >= 200 && waited <= 260, "expired after " + waited + " ms");
        assertEquals(1, gate.openSockets());
        assertEquals(0, gate.stats().timeoutsTotal, "its own deadline is not the gate's timeout");
    }

    @Test
    void roomItsClientOffersIsClaimedWithoutAUnit() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Work w = new Work("w", order);
        gate.acquireOrDefer(w);
        w.room.set(1);
        gate.offerClaim(w);
        w.awaitEnd();
        assertEquals(SocketGate.Admission.CLAIMED, w.admittedAs);
        assertEquals(0, gate.waitingThreads());
        assertEquals(1, gate.openSockets(), "a claim takes no unit");
        gate.release();
        assertEquals(0, gate.openSockets());
    }

    @Test
    void aQueueOfDeferredWorkAloneStillReclaimsIdlePooledSockets() throws Exception {
        SocketGate gate = gate(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true); // held by an idle pooled socket nobody releases
        AtomicInteger reclaims = new AtomicInteger();
        gate.setReclaimer(() -> {
            reclaims.incrementAndGet();
            gate.release(); // closing the idle socket gives its unit back
            return true;
        });
        Work w = new Work("w", order);
        gate.acquireOrDefer(w);
        advanceUntilEnded(w, 100);
        assertEquals(1, reclaims.get(), "the delivery thread did the front's housekeeping once");
        assertEquals(SocketGate.Admission.AFTER_WAIT, w.admittedAs);
        assertEquals(1, gate.openSockets());
    }

    /**
     * A grant (a release), a cancel and a deadline race for one node, on real threads and real time:
     * whichever wins, the work ends at most once and the count ends where that outcome puts it.
     */
    @Test
    void grantCancelAndTimeoutRacingForOneNodeNeitherLoseNorDoubleAUnit() throws Exception {
        SocketGate gate = new SocketGate(new GateSettings(1, 100, 1, GateSettings.OnTimeout.FAIL, null));
        for (int i = 0; i < 2_000; i++) {
            gate.acquire(true);
            Work w = new Work("w" + i, order);
            assertEquals(SocketGate.Admission.DEFERRED, gate.acquireOrDefer(w));
            CyclicBarrier go = new CyclicBarrier(2);
            AtomicReference<Boolean> cancelled = new AtomicReference<>();
            Thread canceller = new Thread(() -> {
                try {
                    go.await();
                    cancelled.set(gate.cancel(w));
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            canceller.start();
            go.await();
            gate.release();
            canceller.join(10_000);
            assertFalse(canceller.isAlive());
            if (cancelled.get()) {
                // Left the queue unit-less: never delivered (grants go to waiting nodes only), and
                // the release went to nobody.
                assertEquals(0, w.endings.get(), "cancelled work ran");
                assertEquals(0, gate.openSockets(), "iteration " + i);
            } else {
                w.awaitEnd(); // granted, or timed out (the 1 ms max wait) before the release
                assertEquals(1, w.endings.get(), "a wait ends once");
                int expected = w.admittedAs == SocketGate.Admission.AFTER_WAIT ? 1 : 0;
                assertEquals(expected, gate.openSockets(), "iteration " + i + ": " + w.admittedAs + " / "
                        + w.refusedWith);
            }
            assertEquals(0, gate.waitingThreads());
            while (gate.openSockets() > 0) {
                gate.release();
            }
        }
    }

    // ---- helpers

    private Thread parkedCaller(SocketGate gate, String id, AtomicReference<Throwable> failure) {
        Thread t = new Thread(() -> {
            try {
                gate.acquire(true);
                order.add(id);
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        t.start();
        return t;
    }

    private void awaitWaiting(SocketGate gate, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.waitingThreads() < n) {
            assertTrue(System.nanoTime() < deadline, "expected " + n + " waiting, saw " + gate.waitingThreads());
            Thread.onSpinWait();
        }
        clock.awaitParked(n);
    }

    private void awaitOrderSize(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (order.size() < n) {
            assertTrue(System.nanoTime() < deadline, "expected " + n + " served, saw " + order);
            Thread.onSpinWait();
        }
    }

    /** Moves the gate's clock in {@code stepMillis} steps, each once the delivery thread is parked, until {@code w} ends. */
    private void advanceUntilEnded(Work w, long stepMillis) throws InterruptedException {
        while (w.ended.getCount() > 0) {
            // the delivery thread parks until the next slice, or has already ended the work and left
            clock.awaitParkedOrEnded(1, () -> w.ended.getCount() == 0);
            if (w.ended.getCount() == 0) {
                break;
            }
            clock.advanceMillis(stepMillis);
            w.ended.await(20, TimeUnit.MILLISECONDS);
        }
        assertEquals(1, w.endings.get());
    }

    private void awaitDeliveryThreadEnded(SocketGate gate) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        clock.advanceMillis(100); // its last slice ends: with nothing left to do, it leaves
        while (gate.deliveryThreadRunning()) {
            assertTrue(System.nanoTime() < deadline, "the delivery thread still runs with nothing to do");
            Thread.onSpinWait();
        }
    }

    @Test
    void theDeliveryThreadIsNeverParkedAtTheGate() {
        Thread t = new DeferredDelivery.DeliveryThread(() -> { });
        assertTrue(ThreadPolicy.isEventLoopThread(t));
        assertSame(DeferredDelivery.DeliveryThread.class, t.getClass());
    }
}
