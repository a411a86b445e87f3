package io.emfileguard.core;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A clock tests move by hand: idleness, slices and deadlines without sleeping. A thread parked on
 * it wakes when the test moves the time past its deadline, or when it is unparked through it (a
 * grant), never on its own; so a test sees exactly the wake-ups the moved time calls for, and time
 * moves only while every thread it drives is parked, never while one it woke has yet to run.
 */
public final class MovableClock implements ParkingClock {
    /** How long, in real time, a test waits for threads to reach a state before it fails. */
    private static final long STATE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    /** Threads parked on this clock and the time they wake at; guarded by this. */
    private final Map<Thread, Long> parked = new HashMap<>();
    /** Threads started by {@link #start} that have not ended; guarded by this. */
    private final Set<Thread> workers = new HashSet<>();
    /** What threads started by {@link #start} threw: {@link #advanceWhileWorkersRun} rethrows it. */
    private final List<Throwable> workerFailures = new CopyOnWriteArrayList<>();
    /** Parks so far, however short: a test can tell that nobody waited on this clock. */
    private final AtomicInteger parks = new AtomicInteger();

    @Override
    public long nanoTime() {
        return now.get();
    }

    @Override
    public void parkNanos(Object blocker, long nanos) {
        if (nanos <= 0) {
            return;
        }
        Thread self = Thread.currentThread();
        parks.incrementAndGet();
        synchronized (this) {
            parked.put(self, now.get() + nanos);
            notifyAll();
        }
        try {
            // A move past the deadline in between unparks first: then this returns at once.
            LockSupport.park(blocker);
        } finally {
            synchronized (this) {
                parked.remove(self);
                notifyAll();
            }
        }
    }

    /** The thread no longer counts as parked from now on, though it may not have run yet. */
    @Override
    public void unpark(Thread thread) {
        synchronized (this) {
            parked.remove(thread);
            notifyAll();
        }
        LockSupport.unpark(thread);
    }

    /** How many times a thread has parked on this clock. */
    public int parks() {
        return parks.get();
    }

    /** Moves the time on, waking every thread whose park ends by then. */
    public synchronized void advanceMillis(long millis) {
        long time = now.addAndGet(millis * 1_000_000L);
        for (Iterator<Map.Entry<Thread, Long>> it = parked.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Thread, Long> e = it.next();
            if (time - e.getValue() >= 0) {
                it.remove(); // woken: no longer counts as parked, even before it runs
                LockSupport.unpark(e.getKey());
            }
        }
    }

    /** The calling thread waits on this clock's time for {@code millis}: the test moves it along. */
    public void sleepMillis(long millis) {
        long until = now.get() + millis * 1_000_000L;
        for (long left; (left = until - now.get()) > 0; ) {
            parkNanos(this, left);
        }
    }

    /** Waits until at least {@code n} threads are parked on this clock (10 s of real time at most). */
    public synchronized void awaitParked(int n) throws InterruptedException {
        awaitState(() -> parked.size() >= n, () -> "expected " + n + " threads parked, saw " + parked.size());
    }

    /**
     * Waits until {@code n} threads are parked on this clock, or until {@code ended} holds: a thread
     * that has finished its work (and left) parks no more, however long one waits for it.
     */
    public synchronized void awaitParkedOrEnded(int n, BooleanSupplier ended) throws InterruptedException {
        awaitState(() -> parked.size() >= n || ended.getAsBoolean(),
                () -> "expected " + n + " threads parked (or the work ended), saw " + parked.size());
    }

    /** How many threads are parked on this clock now. */
    public synchronized int parkedThreads() {
        return parked.size();
    }

    /**
     * Starts a thread whose parks {@link #advanceWhileWorkersRun} waits for; what it throws,
     * {@link #advanceWhileWorkersRun} throws.
     */
    public synchronized Thread start(Runnable body) {
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                workerFailures.add(e);
            } finally {
                synchronized (MovableClock.this) {
                    workers.remove(Thread.currentThread());
                    MovableClock.this.notifyAll();
                }
            }
        });
        workers.add(t);
        t.start();
        return t;
    }

    /**
     * Moves the time on by {@code stepMillis} each time every thread started with {@link #start} is
     * parked on this clock, until they have all ended: time passes only while they wait for it.
     * Then throws what any of them threw.
     */
    public synchronized void advanceWhileWorkersRun(long stepMillis) throws InterruptedException {
        for (;;) {
            awaitState(() -> parked.keySet().containsAll(workers),
                    () -> "workers neither parked nor ended: " + workers + ", parked " + parked.keySet());
            if (workers.isEmpty()) {
                if (!workerFailures.isEmpty()) {
                    AssertionError failed = new AssertionError("a worker failed: " + workerFailures.get(0),
                            workerFailures.get(0));
                    workerFailures.subList(1, workerFailures.size()).forEach(failed::addSuppressed);
                    workerFailures.clear();
                    throw failed;
                }
                return;
            }
            advanceMillis(stepMillis);
        }
    }

    /**
     * Runs {@code action} on a thread of its own while moving the time on in {@code stepMillis}
     * steps whenever it parks; returns its result or throws what it threw.
     */
    public <T> T callAdvancing(long stepMillis, Callable<T> action) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        start(() -> {
            try {
                result.set(action.call());
            } catch (Exception e) {
                failure.set(e);
            }
        });
        advanceWhileWorkersRun(stepMillis);
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    /** Call holding the lock. */
    private void awaitState(BooleanSupplier reached, Supplier<String> failure) throws InterruptedException {
        long deadline = System.nanoTime() + STATE_TIMEOUT_NANOS;
        while (!reached.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError(failure.get());
            }
            // parks and ends notify; a condition on other state is polled every 10 ms
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
        }
    }
}
