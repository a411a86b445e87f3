package io.emfileguard.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples {@code /proc/<pid>/fd} of a child every ~20 ms: the number of descriptors, of those whose
 * link target starts with {@code socket:}, and of those sockets that are TCP (not in the namespace's
 * Unix-domain, netlink, UDP or raw tables). What the kernel sees, whatever the agent counts.
 * A sample can miss a peak shorter than its period; it never over-counts.
 */
final class FdSampler implements Runnable {
    private static final long PERIOD_MILLIS = 20;

    private final long pid;
    private final Path fdDir;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int peakSockets;
    private volatile int peakTcp;
    private volatile String peakDetail = "no socket seen";
    private volatile int peakFds;
    private volatile int samples;
    private volatile long nofileLimit = -1;

    private FdSampler(long pid) {
        this.pid = pid;
        this.fdDir = Paths.get("/proc", Long.toString(pid), "fd");
        this.thread = new Thread(this, "fd-sampler-" + pid);
        this.thread.setDaemon(true);
    }

    static FdSampler start(long pid) {
        FdSampler s = new FdSampler(pid);
        s.thread.start();
        return s;
    }

    @Override
    public void run() {
        while (running) {
            long t0 = System.nanoTime();
            sample();
            long sleep = PERIOD_MILLIS - (System.nanoTime() - t0) / 1_000_000;
            if (sleep > 0) {
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void sample() {
        int fds = 0;
        List<String> socketInodes = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fdDir)) {
            for (Path fd : entries) {
                fds++;
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        socketInodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed between the listing and the read: not open any more
                }
            }
        } catch (IOException | RuntimeException e) {
            return; // not started yet, or gone
        }
        int sockets = socketInodes.size();
        int tcp = sockets;
        Map<String, String> other = sockets > 0 ? tokens(NON_TCP_TABLES) : Map.of();
        StringBuilder nonTcp = new StringBuilder();
        for (String inode : socketInodes) {
            String table = other.get(inode);
            if (table != null) {
                tcp--;
                nonTcp.append(nonTcp.length() == 0 ? "" : ",").append(inode).append('/').append(table);
            }
        }
        if (tcp > peakTcp) {
            peakTcp = tcp;
            // Once per new peak (rare): confirm against the TCP tables, which are large.
            Map<String, String> tcpTables = tokens(TCP_TABLES);
            int confirmed = 0;
            for (String inode : socketInodes) {
                if (tcpTables.containsKey(inode)) {
                    confirmed++;
                }
            }
            peakDetail = "sample " + samples + ": " + sockets + " sockets, " + tcp + " not Unix/netlink/UDP/raw ["
                    + nonTcp + "], " + confirmed + " of them still in /proc/<pid>/net/tcp{,6} when re-read";
        }
        if (samples < 10) { // after prlimit has exec'd java
            nofileLimit = readNofileLimit();
        }
        samples++;
        if (sockets > peakSockets) {
            peakSockets = sockets;
        }
        if (fds > peakFds) {
            peakFds = fds;
        }
    }

    /** The soft "Max open files" of the child, as the kernel applies it (proves prlimit worked). */
    private long readNofileLimit() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "limits"))) {
                if (line.startsWith("Max open files")) {
                    return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /**
     * Inodes of the Unix-domain, netlink and UDP sockets in the child's network namespace: the JVM
     * opens a Unix-domain socket of its own (name-service look-ups), which is no TCP socket. Read
     * after the descriptor listing, so a socket seen there is still in these tables.
     */
    private Map<String, String> tokens(String[] tables) {
        Map<String, String> tokens = new HashMap<>();
        for (String table : tables) {
            try {
                for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "net", table),
                        StandardCharsets.ISO_8859_1)) {
                    for (String t : line.trim().split("\\s+")) {
                        tokens.putIfAbsent(t, table);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // table absent (no IPv6, ...) or the child is gone
            }
        }
        return tokens;
    }

    private static final String[] NON_TCP_TABLES = {"unix", "netlink", "udp", "udp6", "raw", "raw6"};
    private static final String[] TCP_TABLES = {"tcp", "tcp6"};

    void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    int peakSocketFds() {
        return peakSockets;
    }

    int peakTcpSocketFds() {
        return peakTcp;
    }

    /** How the sample with the most TCP sockets was classified. */
    String peakDetail() {
        return peakDetail;
    }

    int peakFds() {
        return peakFds;
    }

    int samples() {
        return samples;
    }

    long nofileLimit() {
        return nofileLimit;
    }
}
