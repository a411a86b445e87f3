package io.emfileguard.bench;

import io.emfileguard.core.SocketGate;

import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Release -> waiter running, in-process, cap 1: the main thread holds the only unit, one waiter
 * thread blocks in {@code acquire}; once it is parked the main thread waits a random delay
 * (uniform in [0, maxDelayMicros): the phase of the release against the waiter's sleep), stamps
 * t0 and releases; the waiter stamps t1 as soon as its {@code acquire} returns.
 * Prints {@code RESULT <p50 ns> <p99 ns> <max ns> <samples>}.
 * Arguments: gate|field|ideal samples maxDelayMicros [virtual].
 */
public final class WakeLatency {
    private static volatile long t0;
    private static volatile int entering = -1;

    private WakeLatency() {
    }

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int samples = Integer.parseInt(args[1]);
        long maxDelayMicros = Long.parseLong(args[2]);
        boolean virtual = args.length > 3 && args[3].equals("virtual");
        Limiter limiter = Limiter.create(kind, 1);
        long[] latency = new long[samples];
        Semaphore go = new Semaphore(0);
        Semaphore done = new Semaphore(0);
        Runnable waiterLoop = () -> {
            try {
                for (int i = 0; i < samples; i++) {
                    if (!go.tryAcquire(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("no go");
                    }
                    entering = i;
                    limiter.acquire();
                    latency[i] = System.nanoTime() - t0;
                    limiter.release();
                    done.release();
                }
            } catch (Exception e) {
                e.printStackTrace();
                System.exit(2);
            }
        };
        Thread waiter;
        if (virtual) {
            waiter = VirtualThreads.start(waiterLoop);
        } else {
            waiter = new Thread(waiterLoop, "waiter");
            waiter.setDaemon(true);
            waiter.start();
        }
        SplittableRandom random = new SplittableRandom(42);
        limiter.acquire();
        for (int i = 0; i < samples; i++) {
            go.release();
            awaitParked(waiter, limiter, i);
            long delay = random.nextLong(Math.max(1, maxDelayMicros)) * 1_000L;
            if (delay > 0) {
                LockSupport.parkNanos(delay);
            }
            t0 = System.nanoTime();
            limiter.release();
            if (!done.tryAcquire(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("waiter never ran");
            }
            limiter.acquire(); // free again: the waiter released it
        }
        System.out.println("RESULT " + Stats.percentile(latency, 50) + " " + Stats.percentile(latency, 99) + " "
                + Stats.percentile(latency, 100) + " " + samples);
    }

    /** Until the waiter is inside acquire and parked (bounded). */
    private static void awaitParked(Thread waiter, Limiter limiter, int i) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() - deadline < 0) {
            if (entering == i) {
                Thread.State st = waiter.getState();
                boolean parked = st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING;
                if (limiter instanceof Limiter.Gate) {
                    SocketGate g = ((Limiter.Gate) limiter).gate;
                    parked &= g.waitingThreads() == 1;
                } else if (limiter instanceof Limiter.Ideal) {
                    parked &= ((Limiter.Ideal) limiter).semaphore.getQueueLength() == 1;
                }
                if (parked) {
                    return;
                }
            }
            LockSupport.parkNanos(20_000);
        }
        throw new IllegalStateException("waiter never parked");
    }
}
