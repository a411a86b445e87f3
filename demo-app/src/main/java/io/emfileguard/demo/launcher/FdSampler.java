package io.emfileguard.demo.launcher;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Counts a child's descriptors from the outside, in {@code /proc/<pid>/fd}: all of them, and the
 * sockets among them ({@code socket:[inode]} links). Works with or without the agent.
 */
final class FdSampler implements Runnable {

    private final Path fdDir;
    private final long periodMillis;
    private final Timeline timeline;
    private final long startNanos;
    private volatile boolean stopped;
    private volatile int descriptors = -1;
    private volatile int sockets = -1;
    private volatile int peakDescriptors = -1;
    private volatile int peakSockets = -1;

    /** Each sample also goes to {@code timeline}, timed from {@code startNanos} ({@link System#nanoTime()}). */
    FdSampler(long pid, long periodMillis, Timeline timeline, long startNanos) {
        this.fdDir = Paths.get("/proc", Long.toString(pid), "fd");
        this.periodMillis = periodMillis;
        this.timeline = timeline;
        this.startNanos = startNanos;
    }

    static boolean supported() {
        return Files.isDirectory(Paths.get("/proc/self/fd"));
    }

    @Override
    public void run() {
        while (!stopped) {
            sample();
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void sample() {
        int all = 0;
        int socks = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fdDir)) {
            for (Path entry : entries) {
                all++;
                try {
                    if (Files.readSymbolicLink(entry).toString().startsWith("socket:")) {
                        socks++;
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // closed between the listing and the look: not counted as a socket
                }
            }
        } catch (IOException | RuntimeException e) {
            return; // the process is gone, or not ours to look at
        }
        if (all == 0) {
            return; // an exiting process: its table is being torn down, not a real count
        }
        descriptors = all;
        sockets = socks;
        timeline.fd((System.nanoTime() - startNanos) / 1_000_000, all, socks);
        if (all > peakDescriptors) {
            peakDescriptors = all;
        }
        if (socks > peakSockets) {
            peakSockets = socks;
        }
    }

    void stop() {
        stopped = true;
    }

    int descriptors() {
        return descriptors;
    }

    int sockets() {
        return sockets;
    }

    int peakDescriptors() {
        return peakDescriptors;
    }

    int peakSockets() {
        return peakSockets;
    }
}
