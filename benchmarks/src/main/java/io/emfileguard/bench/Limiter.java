package io.emfileguard.bench;

import io.emfileguard.core.GateSettings;
import io.emfileguard.core.SocketGate;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The ways to cap concurrent sockets that the benchmarks compare. Every wait is bounded. */
abstract class Limiter {
    static final long MAX_WAIT_MILLIS = 10 * 60_000L;

    abstract void acquire() throws Exception;

    abstract void release();

    static Limiter create(String kind, int cap) {
        switch (kind) {
            case "agent":
                return new None();
            case "gate":
                return new Gate(new SocketGate(new GateSettings(cap, 100, MAX_WAIT_MILLIS,
                        GateSettings.OnTimeout.PROCEED, null)));
            case "field":
                return new Field(cap, 100);
            case "ideal":
                return new Ideal(cap);
            default:
                throw new IllegalArgumentException(kind);
        }
    }

    /** The agent does the capping: nothing in the application's code. */
    static final class None extends Limiter {
        @Override void acquire() { }
        @Override void release() { }
    }

    /** The agent's gate, used in-process. */
    static final class Gate extends Limiter {
        final SocketGate gate;

        Gate(SocketGate gate) {
            this.gate = gate;
        }

        @Override
        void acquire() throws Exception {
            gate.acquire(true);
        }

        @Override
        void release() {
            gate.release();
        }
    }

    /**
     * The field's approach ported to Java as a code change: a counter, and a fixed 100 ms sleep
     * while the count is at the cap (the check and the increment made atomic with a CAS, which the
     * single-threaded original did not need).
     */
    static final class Field extends Limiter {
        final AtomicInteger count = new AtomicInteger();
        /** Sleeps taken: each one ends in a wake-up that re-checks the count. */
        final LongAdder sleeps = new LongAdder();
        volatile int cap;
        final long sleepMillis;

        Field(int cap, long sleepMillis) {
            this.cap = cap;
            this.sleepMillis = sleepMillis;
        }

        @Override
        void acquire() throws InterruptedException {
            long deadline = System.nanoTime() + MAX_WAIT_MILLIS * 1_000_000L;
            for (;;) {
                int c = count.get();
                if (c < cap) {
                    if (count.compareAndSet(c, c + 1)) {
                        return;
                    }
                    continue;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("field limiter: waited too long");
                }
                sleeps.increment();
                Thread.sleep(sleepMillis);
            }
        }

        @Override
        void release() {
            count.decrementAndGet();
        }
    }

    /** The ideal in-process limiter: a fair semaphore. */
    static final class Ideal extends Limiter {
        final Semaphore semaphore;

        Ideal(int cap) {
            semaphore = new Semaphore(cap, true);
        }

        @Override
        void acquire() throws InterruptedException {
            if (!semaphore.tryAcquire(MAX_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("semaphore: waited too long");
            }
        }

        @Override
        void release() {
            semaphore.release();
        }
    }
}
