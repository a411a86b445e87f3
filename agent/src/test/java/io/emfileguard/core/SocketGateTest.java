package io.emfileguard.core;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SocketGateTest {

    /**
     * The time of waits: tests move it, so slices and deadlines end exactly when a test says and no
     * test sleeps. (The contention tests below race real threads against real time on purpose and
     * keep the system clock.)
     */
    private final MovableClock clock = new MovableClock();
    private final TestThreads threads = new TestThreads();

    @AfterEach
    void everyThreadEndedAndNoFailureWasLost() throws Exception {
        threads.assertAllEndedAndNoFailureUnseen();
    }

    private static GateSettings settings(int cap, long holdMillis, long maxWaitMillis, GateSettings.OnTimeout onTimeout) {
        return new GateSettings(cap, holdMillis, maxWaitMillis, onTimeout, null);
    }

    private SocketGate gate(int cap, long holdMillis, long maxWaitMillis, GateSettings.OnTimeout onTimeout) {
        return new SocketGate(settings(cap, holdMillis, maxWaitMillis, onTimeout), clock);
    }

    /** Waits until {@code n} threads are parked in the gate (its waiters are all that park on the clock). */
    private void awaitWaiting(SocketGate gate, int n) throws InterruptedException {
        clock.awaitParked(n);
        assertTrue(gate.waitingThreads() >= n, "expected " + n + " waiting threads, saw " + gate.waitingThreads());
    }

    @Test
    void admitsWithoutWaitingUnderTheCap() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(3));
        for (int i = 0; i < 3; i++) {
            assertEquals(SocketGate.Admission.IMMEDIATE, gate.acquire(true));
        }
        assertEquals(3, gate.openSockets());
        assertEquals(0, gate.stats().waitsTotal);
        assertFalse(gate.tryAcquireFast(), "the fast path must refuse at the cap");
    }

    @Test
    void servesWaitersInArrivalOrder() throws Exception {
        SocketGate gate = gate(1, 10_000, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        List<TestThreads.Outcome<Void>> waiters = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int id = i;
            waiters.add(threads.run("waiter " + id, () -> {
                gate.acquire(true);
                order.add(id);
                gate.release();
            }));
            awaitWaiting(gate, i + 1); // each arrives strictly after the previous one queued
        }
        gate.release();
        for (TestThreads.Outcome<Void> w : waiters) {
            w.get();
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), order);
        assertEquals(0, gate.openSockets());
    }

    @Test
    void newcomerDoesNotJumpTheQueue() throws Exception {
        SocketGate gate = gate(1, 10_000, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> gate.acquire(true));
        awaitWaiting(gate, 1);
        gate.release();
        // The released unit was handed to the waiter, so a newcomer finds the gate full.
        assertFalse(gate.tryAcquireFast());
        assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get());
        assertEquals(1, gate.openSockets());
    }

    @Test
    void wakesTheWaiterOnReleaseWithoutWaitingForItsSlice() throws Exception {
        // The clock never moves in this test: the waiter's 10 s slice never ends, and a park on this
        // clock ends only when the time passes its end or the thread is unparked. So if the waiter
        // gets its unit at all, the release woke it.
        SocketGate gate = gate(1, 10_000, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> gate.acquire(true));
        awaitWaiting(gate, 1);
        long releasedAt = clock.nanoTime();
        gate.release();
        assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get(), "the release handed it the unit and woke it");
        assertEquals(releasedAt, clock.nanoTime(), "no slice and no deadline ended: the clock never moved");
        assertEquals(1, gate.openSockets());
        assertEquals(0, gate.waitingThreads());
    }

    @ParameterizedTest
    @ValueSource(longs = {200, 600})
    void failingTimeoutLandsWithinItsBound(long maxWait) throws Exception {
        SocketGate gate = gate(1, 100, maxWait, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        long start = clock.nanoTime();
        SocketGateTimeoutException e = assertThrows(SocketGateTimeoutException.class,
                () -> clock.callAdvancing(10, () -> gate.acquire(true)));
        long elapsed = (clock.nanoTime() - start) / 1_000_000;
        assertTrue(elapsed >= maxWait && elapsed <= maxWait * 1.3, "timed out after " + elapsed + " ms");
        assertTrue(e.getMessage().contains("cap 1") && e.getMessage().contains("emfileguard.max.sockets"),
                e.getMessage());
        assertEquals(1, gate.openSockets(), "a failed wait takes no unit");
        assertEquals(1, gate.stats().timeoutsTotal);
        assertEquals(0, gate.waitingThreads());
    }

    @Test
    void proceedingTimeoutCountsTheSocketAboveTheCap() throws Exception {
        SocketGate gate = gate(1, 50, 200, GateSettings.OnTimeout.PROCEED);
        gate.acquire(true);
        long start = clock.nanoTime();
        assertEquals(SocketGate.Admission.OVER_CAP_TIMED_OUT, clock.callAdvancing(10, () -> gate.acquire(true)));
        long elapsed = (clock.nanoTime() - start) / 1_000_000;
        assertTrue(elapsed >= 200 && elapsed <= 260, "proceeded after " + elapsed + " ms");
        assertEquals(2, gate.openSockets());
        gate.release();
        gate.release();
        assertEquals(0, gate.openSockets());
    }

    @Test
    void interruptStopsTheWaitAndKeepsTheInterruptStatus() throws Exception {
        SocketGate gate = gate(1, 10_000, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> {
            try {
                return gate.acquire(true);
            } finally {
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        awaitWaiting(gate, 1);
        long interruptedAt = clock.nanoTime();
        waiter.thread.interrupt();
        SocketGateInterruptedException e = assertThrows(SocketGateInterruptedException.class, waiter::get);
        assertTrue(e instanceof java.net.SocketException, "what a socket's caller expects from connect");
        assertEquals(interruptedAt, clock.nanoTime(),
                "the clock never moved: no slice or deadline ended the wait, the interrupt did");
        assertTrue(stillInterrupted.get(), "the interrupt status is kept");
        assertEquals(1, gate.openSockets(), "an interrupted wait takes no unit");
        assertEquals(0, gate.waitingThreads());
        gate.release();
        assertEquals(0, gate.openSockets());
    }

    @Test
    void unparkableThreadsAreCountedAboveTheCapWithoutWaiting() throws Exception {
        SocketGate gate = gate(1, 100, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        int parksBefore = clock.parks();
        assertEquals(SocketGate.Admission.OVER_CAP_UNPARKABLE, gate.acquire(false));
        assertEquals(parksBefore, clock.parks(), "it never parked");
        assertEquals(0, gate.stats().waitsTotal, "it never queued");
        assertEquals(2, gate.openSockets());
        assertEquals(1, gate.stats().overCapTotal);
    }

    @Test
    void neverExceedsTheCapUnderContention() throws Exception {
        runContention(false);
    }

    @Test
    void neverExceedsTheCapUnderContentionOnVirtualThreads() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        runContention(true);
    }

    /** 100 threads x 1,000 acquire/release: the number inside never passes the cap; the count ends at 0. */
    private static void runContention(boolean virtual) throws Exception {
        int cap = 7;
        SocketGate gate = new SocketGate(settings(cap, 100, 60_000, GateSettings.OnTimeout.FAIL));
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        int threads = 100;
        CountDownLatch done = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            Runnable body = () -> {
                try {
                    for (int j = 0; j < 1_000; j++) {
                        gate.acquire(true);
                        int now = inside.incrementAndGet();
                        maxInside.accumulateAndGet(now, Math::max);
                        if ((j & 15) == 0) {
                            Thread.yield();
                        }
                        inside.decrementAndGet();
                        gate.release();
                    }
                } catch (Throwable t) {
                    errors.add(t);
                } finally {
                    done.countDown();
                }
            };
            startThread(body, virtual);
        }
        assertTrue(done.await(50, TimeUnit.SECONDS), "every thread ended");
        assertNoneFailed(errors);
        assertTrue(maxInside.get() <= cap, "saw " + maxInside.get() + " inside a cap of " + cap);
        assertEquals(0, gate.openSockets());
        assertEquals(0, gate.waitingThreads());
        assertTrue(gate.stats().peakOpenSockets <= cap);
    }

    /** What the threads threw, if anything, fails the test. */
    static void assertNoneFailed(Queue<Throwable> errors) {
        if (!errors.isEmpty()) {
            AssertionError failed = new AssertionError(errors.size() + " threads failed, first: " + errors.peek(), errors.peek());
            throw failed;
        }
    }

    static void startThread(Runnable body, boolean virtual) throws Exception {
        if (virtual) {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder");
            ofVirtual.getMethod("start", Runnable.class).invoke(builder, body);
        } else {
            new Thread(body).start();
        }
    }

    /**
     * Waiters with waits so short that they often time out at the very instant a release hands them
     * a slot. Whatever the interleaving, no unit may be lost or duplicated.
     */
    @Test
    void releasesSlotWhenWaiterTimesOutDuringHandoff() throws Exception {
        int cap = 3;
        SocketGate gate = new SocketGate(settings(cap, 1, 1, GateSettings.OnTimeout.FAIL));
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        AtomicInteger timeouts = new AtomicInteger();
        Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        int threads = 32;
        CyclicBarrier start = new CyclicBarrier(threads);
        CountDownLatch done = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            new Thread(() -> {
                try {
                    start.await();
                    for (int j = 0; j < 300; j++) {
                        try {
                            gate.acquire(true);
                        } catch (SocketGateTimeoutException e) {
                            timeouts.incrementAndGet();
                            continue;
                        }
                        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        // Hold for about as long as others may wait (1 ms), so grants and timeouts collide.
                        java.util.concurrent.locks.LockSupport.parkNanos(ThreadLocalRandom.current().nextInt(1_500_000));
                        inside.decrementAndGet();
                        gate.release();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                } finally {
                    done.countDown();
                }
            }).start();
        }
        assertTrue(done.await(50, TimeUnit.SECONDS), "every thread ended");
        assertNoneFailed(errors);
        assertTrue(timeouts.get() > 0, "the test must provoke timeouts to mean anything");
        assertTrue(maxInside.get() <= cap);
        assertEquals(0, gate.openSockets(), "the count must return exactly to its baseline");
        assertEquals(0, gate.waitingThreads());
        // And the full capacity is still there:
        for (int i = 0; i < cap; i++) {
            assertEquals(SocketGate.Admission.IMMEDIATE, gate.acquire(true));
        }
    }

    @Test
    void raisingTheCapAdmitsWaitersAtOnceAndLoweringItHoldsNewcomers() throws Exception {
        SocketGate gate = gate(2, 10_000, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        gate.acquire(true);
        TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> gate.acquire(true));
        awaitWaiting(gate, 1);
        gate.updateSettings(gate.settings().withMaxSockets(3));
        // The clock never moves: only the raise can have admitted it.
        assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get(), "a raised cap must admit the waiter without a release");
        assertEquals(3, gate.openSockets());

        gate.updateSettings(gate.settings().withMaxSockets(1));
        gate.release();
        gate.release();
        assertFalse(gate.tryAcquireFast(), "1 open under a cap of 1: full");
        gate.release();
        assertTrue(gate.tryAcquireFast());
    }

    @Test
    void countsAcceptedSocketsWithoutWaiting() {
        SocketGate gate = new SocketGate(GateSettings.of(1));
        gate.addWithoutWaiting();
        gate.addWithoutWaiting();
        assertEquals(2, gate.openSockets());
        assertEquals(2, gate.stats().peakOpenSockets);
        gate.release();
        gate.release();
        assertEquals(0, gate.openSockets());
    }

    /**
     * Two threads wait 25 s at the cap, then time out and proceed: one "waiting started" for the
     * episode, a summary every 10 s of it (at 10 and 20 s: one, not one per waiter), one "timed out"
     * per thread.
     */
    @Test
    void reportsWaitingOnceThenSummariesAndTimeouts() throws Exception {
        SocketGate gate = gate(1, 1_000, 25_000, GateSettings.OnTimeout.PROCEED);
        AtomicInteger started = new AtomicInteger();
        List<Long> summariesAtMillis = Collections.synchronizedList(new ArrayList<>());
        List<String> timeouts = Collections.synchronizedList(new ArrayList<>());
        long start = clock.nanoTime();
        gate.setEvents(new GateEvents() {
            @Override public void waitingStarted(SocketGate g) { started.incrementAndGet(); }
            @Override public void stillWaiting(SocketGate g) { summariesAtMillis.add((clock.nanoTime() - start) / 1_000_000); }
            @Override public void timedOut(SocketGate g, long waitedNanos, boolean proceeding) {
                timeouts.add(waitedNanos / 1_000_000 + " ms, proceeding " + proceeding);
            }
        });
        gate.acquire(true);
        List<SocketGate.Admission> admissions = Collections.synchronizedList(new ArrayList<>());
        Runnable waiter = () -> {
            try {
                admissions.add(gate.acquire(true));
            } catch (SocketGateTimeoutException | SocketGateInterruptedException e) {
                throw new AssertionError(e);
            }
        };
        clock.start(waiter);
        clock.awaitParked(1); // the second arrives while the first waits: the same episode
        clock.start(waiter);
        clock.advanceWhileWorkersRun(1_000);
        assertEquals(1, started.get(), "one 'waiting started' for the episode");
        assertEquals(List.of(10_000L, 20_000L), summariesAtMillis, "a summary every 10 s, whoever waits");
        assertEquals(List.of("25000 ms, proceeding true", "25000 ms, proceeding true"), timeouts);
        assertEquals(List.of(SocketGate.Admission.OVER_CAP_TIMED_OUT, SocketGate.Admission.OVER_CAP_TIMED_OUT), admissions);
        assertEquals(2, gate.stats().waitsTotal);
        assertEquals(2 * TimeUnit.SECONDS.toNanos(25), gate.stats().waitNanosTotal);
        assertEquals(3, gate.openSockets());
    }

    @Test
    void waiterReclaimsAgainAfterEveryQuietSliceUntilItGetsAUnit() throws Exception {
        SocketGate gate = gate(1, 20, 10_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        AtomicInteger calls = new AtomicInteger();
        // Like a pool that takes its freed sockets back: the first two reclaims free nothing useful.
        gate.setReclaimer(() -> {
            if (calls.incrementAndGet() == 3) {
                gate.release();
                return true;
            }
            return false;
        });
        long start = clock.nanoTime();
        assertEquals(SocketGate.Admission.AFTER_WAIT, clock.callAdvancing(10, () -> gate.acquire(true)));
        long waitedMillis = (clock.nanoTime() - start) / 1_000_000;
        assertEquals(3, calls.get(), "one reclaim per quiet slice, until one frees a unit");
        assertTrue(waitedMillis < 5_000, "proceeded after the reclaim, not after max.wait: " + waitedMillis);
        assertEquals(1, gate.openSockets());
    }

    @Test
    void aQueueWithNothingReleasedAndNothingToReclaimRunsTheStuckTaskOnceItsStuck() throws Exception {
        SocketGate gate = gate(1, 20, 10_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        gate.setReclaimer(() -> false); // nothing idle
        AtomicInteger runs = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong ranAfterNanos = new java.util.concurrent.atomic.AtomicLong();
        long start = clock.nanoTime();
        gate.setStuckTask(() -> {
            if (runs.incrementAndGet() == 1) {
                ranAfterNanos.set(clock.nanoTime() - start);
                gate.release(); // what a collection does when it finds a dropped socket
            }
        });
        assertEquals(SocketGate.Admission.AFTER_WAIT, clock.callAdvancing(10, () -> gate.acquire(true)));
        long waitedMillis = (clock.nanoTime() - start) / 1_000_000;
        assertEquals(1, runs.get(), "asked once, and the freed unit ended the wait");
        assertTrue(ranAfterNanos.get() >= SocketGate.STUCK_NANOS, "not before the queue was stuck for "
                + SocketGate.STUCK_NANOS / 1_000_000 + " ms: " + ranAfterNanos.get() / 1_000_000 + " ms");
        assertTrue(waitedMillis < 2_000, "proceeded within 2 s, not at max.wait: " + waitedMillis);
    }

    @Test
    void aQueueThatKeepsMovingIsNeverStuck() throws Exception {
        // cap 1, twelve threads each holding the unit 100 ms: the queue waits ~1.2 s in all, but a
        // release comes every 100 ms, so nothing may ask for a collection.
        SocketGate gate = gate(1, 20, 10_000, GateSettings.OnTimeout.FAIL);
        gate.setReclaimer(() -> false);
        AtomicInteger runs = new AtomicInteger();
        gate.setStuckTask(runs::incrementAndGet);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < 12; i++) {
            clock.start(() -> {
                try {
                    gate.acquire(true);
                    clock.sleepMillis(100);
                    gate.release();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
        }
        clock.advanceWhileWorkersRun(10);
        assertEquals(null, failure.get());
        assertEquals(0, runs.get(), "releases kept coming: the queue was never stuck");
        assertEquals(0, gate.openSockets());
    }

    @Test
    void eventLoopIsCountedAboveTheCapByDefaultAndRefusedWhenConfigured() throws Exception {
        SocketGate counting = new SocketGate(settings(1, 100, 1_000, GateSettings.OnTimeout.PROCEED));
        assertEquals(SocketGate.Admission.IMMEDIATE, counting.acquireWithoutWaiting());
        assertEquals(SocketGate.Admission.OVER_CAP_UNPARKABLE, counting.acquireWithoutWaiting());
        assertEquals(2, counting.openSockets());

        SocketGate refusing = new SocketGate(new GateSettings(1, 100, 1_000, GateSettings.OnTimeout.PROCEED, null, true));
        assertEquals(SocketGate.Admission.IMMEDIATE, refusing.acquireWithoutWaiting());
        SocketGateRefusedException e = assertThrows(SocketGateRefusedException.class, refusing::acquireWithoutWaiting);
        assertTrue(e instanceof java.net.ConnectException, "clients retry a ConnectException");
        assertTrue(e.getMessage().contains("event.loop.at.cap") && e.getMessage().contains("cap of 1"), e.getMessage());
        assertEquals(1, refusing.openSockets(), "a refusal takes no unit");
        assertEquals(1, refusing.stats().refusedTotal);
        refusing.release();
        assertEquals(SocketGate.Admission.IMMEDIATE, refusing.acquireWithoutWaiting(), "under the cap again: admitted");
    }

    @Test
    void waitersFarBackInTheQueueWakeRarelyButAreStillServedInOrder() throws Exception {
        SocketGate gate = gate(1, 20, 20_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        AtomicInteger sliceWakeUps = new AtomicInteger();
        gate.setSliceTask(sliceWakeUps::incrementAndGet);
        int n = SocketGate.FRONT_WAITERS + 136;
        List<TestThreads.Outcome<Void>> waiters = new ArrayList<>();
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < n; i++) {
            int id = i;
            waiters.add(threads.run("waiter " + id, () -> {
                gate.acquire(true);
                order.add(id);
                gate.release();
            }));
            awaitWaiting(gate, i + 1);
        }
        sliceWakeUps.set(0);
        for (int slice = 0; slice < 50; slice++) { // 1 s
            clock.advanceMillis(20);
            clock.awaitParked(n); // every thread woken by the move is parked again
        }
        int wakeUps = sliceWakeUps.get();
        // Front waiters: FRONT_WAITERS x ~50 slices of 20 ms; the other 136 about once each. All of
        // them in 20 ms slices would be n x 50 (over 7,500).
        int front = SocketGate.FRONT_WAITERS * 50;
        assertTrue(wakeUps < 2 * front + 136, "slice wake-ups in 1 s with " + n + " waiters: " + wakeUps);
        assertTrue(wakeUps > front / 2, "the front waiters still wake every slice: " + wakeUps);
        gate.release();
        for (TestThreads.Outcome<Void> w : waiters) {
            w.get();
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expected.add(i);
        }
        assertEquals(expected, order, "arrival order, far back or not");
        assertEquals(0, gate.openSockets());
    }

    @Test
    void threadsThatCannotWaitGetAReserveUnderTheCapOnceTheyShowUp() throws Exception {
        SocketGate gate = new SocketGate(settings(640, 100, 1_000, GateSettings.OnTimeout.FAIL));
        assertEquals(640, gate.parkableCap(), "no reserve until a thread that cannot wait shows up");
        gate.reserveForThreadsThatCannotWait();
        assertEquals(630, gate.parkableCap(), "max(2, cap/64) kept back");
        for (int i = 0; i < 630; i++) {
            assertTrue(gate.tryAcquireFast());
        }
        assertFalse(gate.tryAcquireFast(), "waiting threads stop at the reserve");
        for (int i = 0; i < 10; i++) {
            assertEquals(SocketGate.Admission.IMMEDIATE, gate.acquire(false), "the reserve, not above the cap");
        }
        assertEquals(SocketGate.Admission.OVER_CAP_UNPARKABLE, gate.acquire(false));
        assertEquals(641, gate.openSockets());
        assertEquals(1, gate.stats().overCapTotal);
    }

    // ---- a waiter's claim: room found elsewhere while it waits ----

    @Test
    void aWaiterWhoseClaimFindsRoomLeavesTheQueueWithoutTakingAUnit() throws Exception {
        SocketGate gate = gate(1, 20, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        AtomicBoolean room = new AtomicBoolean();
        AtomicInteger asked = new AtomicInteger();
        SocketGate.Claim claim = () -> {
            asked.incrementAndGet();
            return room.get();
        };
        TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> gate.acquire(true, claim));
        awaitWaiting(gate, 1);
        int askedBeforeRoom = asked.get();
        room.set(true); // e.g. an exchange of its HTTP client ended: a pooled connection is free
        clock.advanceMillis(20); // its slice ends: it asks again
        assertEquals(SocketGate.Admission.CLAIMED, waiter.get());
        assertTrue(asked.get() > askedBeforeRoom, "asked again after the slice");
        assertEquals(1, gate.openSockets(), "no unit taken: it uses the room it claimed");
        assertEquals(0, gate.waitingThreads(), "it left the queue");
        gate.release();
        assertEquals(0, gate.openSockets());
        assertTrue(gate.tryAcquireFast(), "nobody is left holding a unit it does not use");
    }

    /**
     * The release of the socket a waiter's claim stands for grants that very waiter a unit, and its
     * claim succeeds too: it needs one of the two, and the unit goes on to the next waiter.
     */
    @Test
    void aWaiterGrantedAUnitTheInstantItsClaimSucceedsPassesTheUnitToTheNextWaiter() throws Exception {
        SocketGate gate = gate(1, 20, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true); // held by the socket about to be released
        AtomicBoolean releaseAndClaim = new AtomicBoolean();
        SocketGate.Claim claim = () -> {
            if (!releaseAndClaim.get()) {
                return false;
            }
            gate.release(); // granted to this waiter, the head of the queue...
            return true;    // ...while its claim finds room as well
        };
        TestThreads.Outcome<SocketGate.Admission> claimer = threads.call("claimer", () -> gate.acquire(true, claim));
        awaitWaiting(gate, 1);
        TestThreads.Outcome<SocketGate.Admission> next = threads.call("next", () -> gate.acquire(true));
        awaitWaiting(gate, 2);
        releaseAndClaim.set(true);
        clock.advanceMillis(20); // the claimer's slice ends: it asks its claim again
        assertEquals(SocketGate.Admission.CLAIMED, claimer.get());
        // The clock moves no more: only the claimer handing its unit on can admit the next waiter.
        assertEquals(SocketGate.Admission.AFTER_WAIT, next.get(), "the claimer's unit went on to the next waiter");
        assertEquals(1, gate.openSockets(), "one unit, the next waiter's: none lost, none doubled");
        assertEquals(0, gate.waitingThreads());
        gate.release();
        assertEquals(0, gate.openSockets());
    }

    // ---- reclaiming idle sockets between slices: each front waiter its share ----

    /**
     * {@code waiters} threads wait at a full cap of 4 with {@code above} more sockets counted above
     * it; each reclaim "closes" an idle socket whose unit has yet to come back. Returns how many
     * reclaims each waiter asked for in one slice, in arrival order.
     */
    private List<Integer> reclaimsPerWaiterInOneSlice(int waiters, int above) throws Exception {
        SocketGate gate = gate(4, 20, 60_000, GateSettings.OnTimeout.FAIL);
        for (int i = 0; i < 4; i++) {
            gate.acquire(true);
        }
        for (int i = 0; i < above; i++) {
            gate.addWithoutWaiting();
        }
        java.util.Map<Thread, AtomicInteger> asked = new java.util.concurrent.ConcurrentHashMap<>();
        gate.setReclaimer(() -> {
            asked.computeIfAbsent(Thread.currentThread(), t -> new AtomicInteger()).incrementAndGet();
            return true;
        });
        List<TestThreads.Outcome<SocketGate.Admission>> queue = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            queue.add(threads.call("waiter " + i, () -> gate.acquire(true)));
            awaitWaiting(gate, i + 1);
        }
        assertTrue(asked.isEmpty(), "no slice has ended yet");
        clock.advanceMillis(20);     // one slice, with no release in it
        clock.awaitParked(waiters);  // every front waiter did its slice's work and parks again
        List<Integer> perWaiter = new ArrayList<>();
        for (TestThreads.Outcome<SocketGate.Admission> w : queue) {
            AtomicInteger n = asked.get(w.thread);
            perWaiter.add(n == null ? 0 : n.get());
        }
        gate.updateSettings(gate.settings().withMaxSockets(1_000)); // room for all: the queue drains
        for (TestThreads.Outcome<SocketGate.Admission> w : queue) {
            assertEquals(SocketGate.Admission.AFTER_WAIT, w.get());
        }
        return perWaiter;
    }

    @Test
    void aLoneWaiterAtAFullCapReclaimsOneIdleSocketPerQuietSlice() throws Exception {
        assertEquals(List.of(1), reclaimsPerWaiterInOneSlice(1, 0));
    }

    @Test
    void aLoneWaiterAlsoReclaimsTheUnitsHeldAboveWhatWaitersMayFill() throws Exception {
        // Needed: 1 for itself + 5 above the cap; without them back it cannot get in.
        assertEquals(List.of(6), reclaimsPerWaiterInOneSlice(1, 5));
    }

    @Test
    void frontWaitersEachReclaimTheirShareOfWhatTheQueueNeedsAndTheRestNone() throws Exception {
        // 3 waiters + 5 above the cap = 8 needed, shared by 3: 3 each (rounded up).
        assertEquals(List.of(3, 3, 3), reclaimsPerWaiterInOneSlice(3, 5));
        // 6 waiters + 5 = 11, shared by the 4 front waiters: 3 each; the 2 behind them sleep on.
        assertEquals(List.of(3, 3, 3, 3, 0, 0), reclaimsPerWaiterInOneSlice(SocketGate.FRONT_WAITERS + 2, 5));
    }

    @Test
    void aFrontWaiterReclaimsAtMostMaxReclaimsPerSliceInOneSlice() throws Exception {
        assertEquals(List.of(SocketGate.MAX_RECLAIMS_PER_SLICE), reclaimsPerWaiterInOneSlice(1, 100));
    }
}
