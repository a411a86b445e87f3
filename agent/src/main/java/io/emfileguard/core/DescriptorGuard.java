package io.emfileguard.core;

import java.io.File;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The real-descriptor guard (Linux): the socket count cannot see files, pipes, or native
 * transports (Netty epoll, the Lambda runtime client's JNI HTTP client); the kernel can. Every so
 * often it counts {@code /proc/self/fd} and lowers the gate's effective cap so that at least
 * {@code fd.headroom} descriptors stay free below the soft limit:
 * <pre>
 *   allowed sockets = soft limit - headroom - (descriptors in use - sockets the gate counts)
 * </pre>
 * Sampling costs ~0.1-1 ms (a directory listing), so it runs at most once per
 * {@code minIntervalNanos}, triggered from the gate (every 16th unit on the way up) and from waiting
 * threads; between two samples only non-socket descriptors can drift, which the headroom
 * absorbs.
 */
public final class DescriptorGuard implements SocketGate.Sampler {

    private final SocketGate gate;
    private final long softLimit;
    private final int headroom;
    private final long minIntervalNanos;
    private final File fdDir;
    private final AtomicLong lastSample = new AtomicLong(System.nanoTime() - Long.MAX_VALUE / 2);
    private volatile int lastDescriptors = -1;

    public DescriptorGuard(SocketGate gate, long softLimit, int headroom, long minIntervalMillis, File fdDir) {
        this.gate = gate;
        this.softLimit = softLimit;
        this.headroom = headroom;
        this.minIntervalNanos = minIntervalMillis * 1_000_000L;
        this.fdDir = fdDir;
    }

    /** @return a guard for this process, or null where there is no /proc or no known limit */
    public static DescriptorGuard forCurrentProcess(SocketGate gate, long softLimit, int headroom) {
        File dir = new File("/proc/self/fd");
        if (softLimit <= 0 || headroom < 0 || !dir.isDirectory()) {
            return null;
        }
        return new DescriptorGuard(gate, softLimit, headroom, 20, dir);
    }

    @Override
    public void maybeSample() {
        long last = lastSample.get();
        long now = System.nanoTime();
        if (now - last < minIntervalNanos || !lastSample.compareAndSet(last, now)) {
            return;
        }
        sampleNow();
    }

    /**
     * Counts descriptors and sets the gate's descriptor cap. Never throws: it runs on the gate's fast
     * path (a socket being admitted), where an error is reported and the cap stays as it was.
     */
    public void sampleNow() {
        try {
            String[] fds = fdDir.list();
            if (fds == null) {
                return;
            }
            int inUse = fds.length - 1; // the listing itself holds one while it runs
            lastDescriptors = inUse;
            int sockets = gate.openSockets();
            long others = Math.max(0, inUse - sockets);
            long allowed = softLimit - headroom - others;
            gate.setDescriptorCap((int) Math.max(0, Math.min(Integer.MAX_VALUE, allowed)));
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("descriptor sampling", e);
        }
    }

    /** Descriptors in use at the last sample, or -1 before the first. */
    public int lastDescriptors() {
        return lastDescriptors;
    }
}
