package io.emfileguard.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The storm without sockets: N = 4C virtual threads each take a slot from the agent's gate (used
 * in-process) or from a fair semaphore, hold it for L ms with {@code busyMicros} of CPU work before
 * and after (standing in for connect and close), and give it back. Isolates the gate's own
 * queueing from everything sockets add. Alternates gate and semaphore in one JVM, after warm-up.
 * Prints {@code PAIR <gate ms> <semaphore ms> <gate CPU ms> <semaphore CPU ms>} per round.
 * Arguments: cap latencyMillis busyMicros rounds.
 */
public final class GateStorm {
    private static volatile long sink;

    private GateStorm() {
    }

    public static void main(String[] args) throws Exception {
        int cap = Integer.parseInt(args[0]);
        long latencyMillis = Long.parseLong(args[1]);
        long busyMicros = Long.parseLong(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int warmup = 4;
        for (int r = 0; r < warmup + rounds; r++) {
            double[] g;
            double[] s;
            if (r % 2 == 0) {
                g = run(Limiter.create("gate", cap), cap, latencyMillis, busyMicros);
                s = run(Limiter.create("ideal", cap), cap, latencyMillis, busyMicros);
            } else {
                s = run(Limiter.create("ideal", cap), cap, latencyMillis, busyMicros);
                g = run(Limiter.create("gate", cap), cap, latencyMillis, busyMicros);
            }
            if (r >= warmup) {
                System.out.printf(java.util.Locale.ROOT, "PAIR %.2f %.2f %.1f %.1f%n", g[0], s[0], g[1], s[1]);
            }
        }
    }

    private static double[] run(Limiter limiter, int cap, long latencyMillis, long busyMicros) throws Exception {
        int n = 4 * cap;
        CountDownLatch done = new CountDownLatch(n);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        ExecutorService executor = VirtualThreads.perTaskExecutor();
        for (int i = 0; i < n; i++) {
            executor.execute(() -> {
                try {
                    limiter.acquire();
                    try {
                        busy(busyMicros);
                        Thread.sleep(latencyMillis);
                        busy(busyMicros);
                    } finally {
                        limiter.release();
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                } finally {
                    done.countDown();
                }
            });
        }
        if (!done.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("in-process storm did not finish");
        }
        double ms = (System.nanoTime() - t0) / 1e6;
        double cpu = (os.getProcessCpuTime() - c0) / 1e6;
        executor.shutdown();
        executor.awaitTermination(10, TimeUnit.SECONDS);
        return new double[] {ms, cpu};
    }

    private static void busy(long micros) {
        long end = System.nanoTime() + micros * 1_000L;
        long x = 0;
        while (System.nanoTime() < end) {
            x++;
        }
        sink += x;
    }
}
