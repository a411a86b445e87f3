package io.emfileguard.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Samples {@code /proc/<pid>/fd} of a child every ~20 ms: the number of descriptors, of those whose
 * link target starts with {@code socket:}, and of TCP sockets open at one instant (seen in two
 * back-to-back passes, and not in the namespace's Unix-domain, netlink, UDP or raw tables). What the
 * kernel sees, whatever the agent counts. A sample can miss a peak shorter than its period; the TCP
 * count never over-counts.
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
    private volatile long cpuTicks = -1;

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
        int[] fds = new int[1];
        Set<String> first = socketInodes(fds);
        if (first == null) {
            return; // not started yet, or gone
        }
        // The TCP sockets open through two passes are at most this pass's sockets less those already
        // known not to be TCP (a socket's inode names it for its whole life): when that cannot beat
        // the peak, the second pass and the tables would change nothing, and are skipped. They are
        // what costs: a sampler that always made both passes used as much CPU as the children of a
        // storm test together.
        int candidates = 0;
        for (String inode : first) {
            if (!knownNonTcp.contains(inode)) {
                candidates++;
            }
        }
        if (candidates > peakTcp) {
            fullSample(first);
        }
        if (knownNonTcp.size() > 64) {
            knownNonTcp.retainAll(first);
        }
        if (samples < 10) { // after prlimit has exec'd java
            nofileLimit = readNofileLimit();
        }
        long ticks = readCpuTicks();
        if (ticks >= 0) {
            cpuTicks = ticks;
        }
        samples++;
        if (first.size() > peakSockets) {
            peakSockets = first.size();
        }
        if (fds[0] > peakFds) {
            peakFds = fds[0];
        }
    }

    /** Sockets seen non-TCP in an earlier full sample (still open then). */
    private final Set<String> knownNonTcp = new HashSet<>();

    /** Both passes, with the socket tables read between them: the TCP sockets open at one instant. */
    private void fullSample(Set<String> first) {
        // Read between the two passes: every socket open through both passes is in these tables.
        Map<String, String> other = first.isEmpty() ? Map.of() : tokens(NON_TCP_TABLES);
        Set<String> second = first.isEmpty() ? first : socketInodes(new int[1]);
        if (second == null) {
            return;
        }
        // A socket inode is never reused while open, so the sockets seen in both passes were all open
        // at the same instant (between the passes). One pass alone can count two sockets that never
        // coexisted: one closed after it was listed, the other opened on a descriptor number that a
        // transient file (e.g. the agent's own /proc/self/fd listing) kept from being reused.
        int tcp = 0;
        StringBuilder nonTcp = new StringBuilder();
        for (String inode : first) {
            if (!second.contains(inode)) {
                continue;
            }
            String table = other.get(inode);
            if (table == null) {
                tcp++;
            } else {
                knownNonTcp.add(inode);
                nonTcp.append(nonTcp.length() == 0 ? "" : ",").append(inode).append('/').append(table);
            }
        }
        if (tcp > peakTcp) {
            peakTcp = tcp;
            peakDetail = "sample " + samples + ": " + first.size() + " sockets listed, " + second.size()
                    + " in the second pass, " + tcp + " TCP open through both; not TCP: [" + nonTcp + "]";
        }
    }

    /** One pass over {@code /proc/<pid>/fd}: the inodes of its sockets; null if the process is not there. */
    private Set<String> socketInodes(int[] fdCount) {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fdDir)) {
            for (Path fd : entries) {
                fdCount[0]++;
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed between the listing and the read: not open any more
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return inodes;
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
     * User + system CPU time of the child so far, in clock ticks ({@code /proc/<pid>/stat} fields 14
     * and 15); -1 if the process is gone. The last sample before the child ends is its CPU time, to
     * within one sampling period.
     */
    private long readCpuTicks() {
        return cpuTicksOf(pid);
    }

    /** User + system CPU time of process {@code pid} so far, in ms; -1 if it is gone. */
    static long cpuMillisOf(long pid) {
        long t = cpuTicksOf(pid);
        return t < 0 ? -1 : t * 10; // USER_HZ is 100 on Linux
    }

    private static long cpuTicksOf(long pid) {
        try {
            String stat = new String(Files.readAllBytes(Paths.get("/proc", Long.toString(pid), "stat")),
                    StandardCharsets.ISO_8859_1);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
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

    /** The child's CPU time (user + system) at the last sample, in ms; -1 if never read. */
    long cpuMillis() {
        long t = cpuTicks;
        return t < 0 ? -1 : t * 10; // USER_HZ is 100 on Linux
    }
}
