package io.emfileguard.testsupport;

import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Samples {@code /proc/<pid>/fd} of a process on a daemon thread, every {@code periodMillis} (less
 * the time a sample takes): its descriptors and socket descriptors now, and their peaks. What the
 * kernel sees, with or without the agent; a sample can miss a peak shorter than its period. A caller
 * that wants more of each sample (a timeline, which of the sockets are TCP) gives a {@link Listener}.
 */
public final class FdSampler {

    /** What a caller does with each sample. */
    public interface Listener {
        /**
         * Called on the sampler's thread with every listing it reads, before {@link #samples()} and
         * the counts take it in. An empty listing is a process exiting (its table torn down).
         */
        void sampled(DescriptorListing listing);
    }

    private final long pid;
    private final long periodMillis;
    private final Listener listener;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int samples;
    private volatile int descriptors = -1;
    private volatile int sockets = -1;
    private volatile int peakDescriptors = -1;
    private volatile int peakSockets = -1;

    /** A sampler of process {@code pid}, not started yet: the listener may need to reach it first. */
    public FdSampler(long pid, long periodMillis, Listener listener) {
        this.pid = pid;
        this.periodMillis = periodMillis;
        this.listener = listener;
        this.thread = new Thread(this::run, "fd-sampler-" + pid);
        this.thread.setDaemon(true);
    }

    /** True where there is a {@code /proc} to sample (Linux). */
    public static boolean supported() {
        return Files.isDirectory(Paths.get("/proc/self/fd"));
    }

    public FdSampler start() {
        thread.start();
        return this;
    }

    private void run() {
        while (running) {
            long startNanos = System.nanoTime();
            sample();
            long sleepMillis = periodMillis - (System.nanoTime() - startNanos) / 1_000_000;
            if (sleepMillis > 0) {
                try {
                    Thread.sleep(sleepMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void sample() {
        DescriptorListing listing = DescriptorListing.of(pid);
        if (listing == null) {
            return; // not started yet, or gone
        }
        listener.sampled(listing);
        samples++;
        if (listing.descriptors() == 0) {
            return; // an exiting process: its table is being torn down, not a count of its run
        }
        descriptors = listing.descriptors();
        sockets = listing.sockets();
        if (descriptors > peakDescriptors) {
            peakDescriptors = descriptors;
        }
        if (sockets > peakSockets) {
            peakSockets = sockets;
        }
    }

    /** Stops sampling and waits (up to 2 s) for a sample under way, so that the counts are final. */
    public void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Listings read so far. */
    public int samples() {
        return samples;
    }

    /** Descriptors of any kind at the last sample; -1 before the first. */
    public int descriptors() {
        return descriptors;
    }

    /** Socket descriptors at the last sample; -1 before the first. */
    public int sockets() {
        return sockets;
    }

    /** Most descriptors of any kind in one sample; -1 before the first. */
    public int peakDescriptors() {
        return peakDescriptors;
    }

    /** Most socket descriptors in one sample; -1 before the first. */
    public int peakSockets() {
        return peakSockets;
    }
}
