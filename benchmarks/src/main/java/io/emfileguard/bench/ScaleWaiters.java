package io.emfileguard.bench;

import io.emfileguard.core.GateSettings;
import io.emfileguard.core.SocketGate;

import java.lang.management.ManagementFactory;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * W virtual threads (JDK 21+) wait at a cap of 1 while the main thread holds the unit. Measures:
 * <ul>
 *   <li>quiet CPU: process CPU time over {@link #WINDOW_MILLIS} windows in which nothing is released;</li>
 *   <li>wake-ups: for the gate, every wake that is not a grant runs the gate's slice task (counted
 *       here); for the field's loop, every 100 ms sleep ends in a wake-up;</li>
 *   <li>k releases, one at a time: after each, exactly one more waiter must have proceeded; after all
 *       k, exactly k, with W-k still queued.</li>
 * </ul>
 * Waiters keep their unit once admitted, so each release frees exactly one slot.
 * Prints {@code RESULT <variant> <quiet cpu ms/s> <wakes/s quiet> <released> <proceeded> <still waiting>
 * <non-grant wakes during releases> <median ms release->proceeded>}.
 * Arguments: idle|gate|field|ideal waiters releases quietSeconds [holdMillis].
 */
public final class ScaleWaiters {
    private ScaleWaiters() {
    }

    /**
     * A quiet window. Linux reports process CPU time in 10 ms clock ticks: over 1 s windows a reading
     * is a multiple of 10 ms/s (the 10 ms/s target could not be told from 20); over 5 s, of 2 ms/s.
     */
    static final int WINDOW_MILLIS = 5000;

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int waiters = Integer.parseInt(args[1]);
        int releases = Integer.parseInt(args[2]);
        int quietSeconds = Integer.parseInt(args[3]);
        long holdMillis = args.length > 4 ? Long.parseLong(args[4]) : 100;
        if (!VirtualThreads.available()) {
            throw new IllegalStateException("needs virtual threads (JDK 21+)");
        }
        LongAdder slices = new LongAdder();
        Limiter limiter;
        SocketGate gate = null;
        switch (kind) {
            case "idle":
                limiter = null;
                break;
            case "gate":
                gate = new SocketGate(new GateSettings(1, holdMillis, Limiter.MAX_WAIT_MILLIS,
                        GateSettings.OnTimeout.PROCEED, null));
                gate.setSliceTask(slices::increment);
                limiter = new Limiter.Gate(gate);
                break;
            default:
                limiter = Limiter.create(kind, 1);
        }
        LongAdder proceeded = PROCEEDED;
        LongAdder failed = new LongAdder();
        ExecutorService executor = VirtualThreads.perTaskExecutor();
        if (limiter != null) {
            limiter.acquire();
            for (int i = 0; i < waiters; i++) {
                executor.execute(() -> {
                    STARTED.increment();
                    try {
                        limiter.acquire();
                        proceeded.increment();
                    } catch (Exception e) {
                        failed.increment();
                    }
                });
            }
            awaitAllWaiting(limiter, waiters);
        }
        Thread.sleep(500); // settle
        System.gc();
        Thread.sleep(300);

        // Quiet windows: nothing is released.
        double[] cpuMsPerSecond = new double[quietSeconds];
        double[] wakesPerSecond = new double[quietSeconds];
        for (int w = 0; w < quietSeconds; w++) {
            long c0 = cpuNanos();
            long k0 = wakes(limiter, slices);
            long t0 = System.nanoTime();
            Thread.sleep(WINDOW_MILLIS);
            double secs = (System.nanoTime() - t0) / 1e9;
            cpuMsPerSecond[w] = (cpuNanos() - c0) / 1e6 / secs;
            wakesPerSecond[w] = (wakes(limiter, slices) - k0) / secs;
        }

        // Releases, one at a time.
        long released = 0;
        long extraWakes = -1;
        double medianMs = Double.NaN;
        boolean oneEach = true;
        if (limiter != null && releases > 0) {
            long[] latency = new long[releases];
            long k0 = wakes(limiter, slices);
            for (int i = 0; i < releases; i++) {
                long t0 = System.nanoTime();
                limiter.release();
                released++;
                long deadline = t0 + 2_000_000_000L;
                while (proceeded.sum() < i + 1 && System.nanoTime() - deadline < 0) {
                    LockSupport.parkNanos(10_000);
                }
                latency[i] = System.nanoTime() - t0;
                LockSupport.parkNanos(1_000_000); // give a second waiter the chance to (wrongly) run
                if (proceeded.sum() != i + 1) {
                    oneEach = false;
                }
            }
            Thread.sleep(200);
            extraWakes = wakes(limiter, slices) - k0;
            medianMs = Stats.percentile(latency, 50) / 1e6;
        }
        long proceededAfter = proceeded.sum();
        long stillWaiting = limiter == null ? 0 : waiting(limiter);
        System.out.printf(java.util.Locale.ROOT, "RESULT %s %.1f %.0f %d %d %d %d %.3f %s%n", kind,
                Stats.median(cpuMsPerSecond), Stats.median(wakesPerSecond), released, proceededAfter, stillWaiting,
                extraWakes, medianMs, oneEach ? "one-per-release" : "NOT-one-per-release");

        // Let everybody go (bounded).
        if (gate != null) {
            gate.updateSettings(gate.settings().withMaxSockets(waiters + 10));
        } else if (limiter instanceof Limiter.Field) {
            ((Limiter.Field) limiter).cap = waiters + 10;
        } else if (limiter instanceof Limiter.Ideal) {
            ((Limiter.Ideal) limiter).semaphore.release(waiters + 10);
        }
        executor.shutdown();
        if (!executor.awaitTermination(30, TimeUnit.SECONDS) || failed.sum() > 0) {
            System.err.println("teardown incomplete: proceeded=" + proceeded.sum() + " failed=" + failed.sum());
        }
        System.exit(0);
    }

    private static final LongAdder STARTED = new LongAdder();
    private static final LongAdder PROCEEDED = new LongAdder();

    private static void awaitAllWaiting(Limiter limiter, int waiters) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() - deadline < 0) {
            boolean ready = waiting(limiter) >= waiters;
            if (limiter instanceof Limiter.Field) {
                ready &= ((Limiter.Field) limiter).sleeps.sum() >= waiters; // each has gone to sleep once
            }
            if (ready) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("only " + waiting(limiter) + " of " + waiters + " waiting");
    }

    /** Threads inside acquire: the limiter's own queue, or started minus proceeded for the field's loop. */
    private static long waiting(Limiter limiter) {
        if (limiter instanceof Limiter.Gate) {
            return ((Limiter.Gate) limiter).gate.waitingThreads();
        }
        if (limiter instanceof Limiter.Ideal) {
            return ((Limiter.Ideal) limiter).semaphore.getQueueLength();
        }
        return STARTED.sum() - PROCEEDED.sum();
    }

    private static long wakes(Limiter limiter, LongAdder slices) {
        if (limiter instanceof Limiter.Gate) {
            return slices.sum();
        }
        if (limiter instanceof Limiter.Field) {
            return ((Limiter.Field) limiter).sleeps.sum();
        }
        return 0;
    }

    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
        }
        throw new IllegalStateException("no process CPU time on this JVM");
    }
}
