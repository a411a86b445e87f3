package io.emfileguard.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A storm of N requests, all issued at once from virtual threads (JDK 21+), against the loopback
 * storm server with latency L, capped at C by one of: the agent (no code: run this JVM with
 * {@code -javaagent} and {@code -Demfileguard.max.sockets=C}), the field's counter + 100 ms sleep,
 * or a fair semaphore. Each request: [acquire] connect, send L, read one byte, close [release].
 * "Wait" is request start -> connected (for the agent the wait happens inside the connect).
 * Ten warm-up storms (N requests, L = 20 ms), then for each latency its number of measured storms;
 * per storm it prints {@code REP <L ms> <completion ms> <p50 wait ms> <p99 wait ms> <peak connected>
 * <errors> <process CPU ms>}.
 * Arguments: agent|field|ideal cap n latencies(ms, comma-separated) reps(comma-separated) port.
 */
public final class Storm {
    /**
     * The first storms of a JVM are slower (class loading, JIT; with the agent, the instrumented
     * socket code and the gate's slow path compile later): this many full-size storms are not measured.
     */
    private static final int WARMUP_STORMS = 10;
    private static final int WARMUP_LATENCY_MILLIS = 20;

    private Storm() {
    }

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int cap = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        String[] latencies = args[3].split(",");
        String[] reps = args[4].split(",");
        InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[5]));
        if (!VirtualThreads.available()) {
            System.err.println("note: no virtual threads on this JDK; using platform threads");
        }
        Limiter limiter = Limiter.create(kind, cap);
        for (int w = 0; w < WARMUP_STORMS; w++) {
            System.out.println("WARMUP " + storm(limiter, cap, n, WARMUP_LATENCY_MILLIS, target));
        }
        for (int l = 0; l < latencies.length; l++) {
            int latencyMillis = Integer.parseInt(latencies[l]);
            for (int r = 0; r < Integer.parseInt(reps[l]); r++) {
                System.gc();
                Thread.sleep(100);
                System.out.println("REP " + latencyMillis + " " + storm(limiter, cap, n, latencyMillis, target));
            }
        }
    }

    private static String storm(Limiter limiter, int cap, int n, int latencyMillis, InetSocketAddress target)
            throws InterruptedException {
        long[] waits = new long[n];
        AtomicInteger connected = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(n);
        byte[] request = {(byte) (latencyMillis >>> 24), (byte) (latencyMillis >>> 16),
                (byte) (latencyMillis >>> 8), (byte) latencyMillis};
        ExecutorService executor = VirtualThreads.perTaskExecutor();
        long cpuStart = cpuNanos();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int id = i;
            executor.execute(() -> {
                try {
                    request(limiter, target, request, waits, id, connected, peak);
                } catch (Exception e) {
                    if (errors.incrementAndGet() == 1) {
                        System.err.println("first error: " + e);
                    }
                } finally {
                    finished.countDown();
                }
            });
        }
        long waves = (n + cap - 1) / cap;
        long bound = 60_000L + 3L * waves * (latencyMillis + 100L);
        if (!finished.await(bound, TimeUnit.MILLISECONDS)) {
            System.err.println("storm did not finish within " + bound + " ms");
            System.exit(3);
        }
        long completion = System.nanoTime() - start;
        long cpu = cpuNanos() - cpuStart;
        executor.shutdown();
        executor.awaitTermination(10, TimeUnit.SECONDS);
        return String.format(java.util.Locale.ROOT, "%.2f %.3f %.3f %d %d %.1f", completion / 1e6,
                Stats.percentile(waits, 50) / 1e6, Stats.percentile(waits, 99) / 1e6, peak.get(), errors.get(),
                cpu / 1e6);
    }

    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
    }

    private static void request(Limiter limiter, InetSocketAddress target, byte[] request, long[] waits, int id,
                                AtomicInteger connected, AtomicInteger peak) throws Exception {
        long t0 = System.nanoTime();
        limiter.acquire();
        try {
            Socket s = new Socket();
            try {
                s.connect(target, 30_000); // the agent holds the thread here, at the cap
                waits[id] = System.nanoTime() - t0;
                int now = connected.incrementAndGet();
                int p;
                while (now > (p = peak.get()) && !peak.compareAndSet(p, now)) {
                    // retry
                }
                try {
                    s.setTcpNoDelay(true);
                    s.setSoTimeout(60_000);
                    OutputStream out = s.getOutputStream();
                    out.write(request);
                    InputStream in = s.getInputStream();
                    if (in.read() != 1) {
                        throw new IllegalStateException("bad answer");
                    }
                } finally {
                    connected.decrementAndGet();
                }
            } finally {
                s.close();
            }
        } finally {
            limiter.release();
        }
    }
}
