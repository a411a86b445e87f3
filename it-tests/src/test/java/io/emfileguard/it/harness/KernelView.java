package io.emfileguard.it.harness;

import io.emfileguard.testsupport.DescriptorListing;
import io.emfileguard.testsupport.FdSampler;
import io.emfileguard.testsupport.SocketTables;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the kernel shows of a child while it runs, whatever the agent counts: {@link FdSampler}'s
 * descriptors and sockets every ~20 ms, and on top of it the TCP sockets open at one instant (seen
 * in two back-to-back passes, and not in the namespace's Unix-domain, netlink, UDP or raw tables),
 * the child's descriptor limit and its CPU time. A sample can miss a peak shorter than its period;
 * the TCP count never over-counts.
 */
final class KernelView implements FdSampler.Listener {
    private static final long PERIOD_MILLIS = 20;

    private final long pid;
    private final FdSampler sampler;
    /** Sockets seen non-TCP in an earlier full sample (still open then); the sampler's thread only. */
    private final Set<String> knownNonTcp = new HashSet<>();
    private volatile int peakTcp;
    private volatile String peakDetail = "no socket seen";
    private volatile long nofileLimit = -1;
    private volatile long cpuTicks = -1;

    private KernelView(long pid) {
        this.pid = pid;
        this.sampler = new FdSampler(pid, PERIOD_MILLIS, this);
    }

    static KernelView watch(long pid) {
        KernelView view = new KernelView(pid);
        view.sampler.start();
        return view;
    }

    @Override
    public void sampled(DescriptorListing listing) {
        Set<String> first = new HashSet<>(listing.socketInodes());
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
        if (sampler.samples() < 10) { // after prlimit has exec'd java
            nofileLimit = readNofileLimit();
        }
        long ticks = cpuTicksOf(pid);
        if (ticks >= 0) {
            cpuTicks = ticks;
        }
    }

    /** Both passes, with the socket tables read between them: the TCP sockets open at one instant. */
    private void fullSample(Set<String> first) {
        // Read between the two passes: every socket open through both passes is in these tables.
        Map<String, String> other = first.isEmpty() ? Map.of() : SocketTables.nonTcpTableByWord(pid);
        Set<String> second = first;
        if (!first.isEmpty()) {
            DescriptorListing again = DescriptorListing.of(pid);
            if (again == null) {
                return;
            }
            second = new HashSet<>(again.socketInodes());
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
            peakDetail = "sample " + sampler.samples() + ": " + first.size() + " sockets listed, " + second.size()
                    + " in the second pass, " + tcp + " TCP open through both; not TCP: [" + nonTcp + "]";
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

    /** User + system CPU time of process {@code pid} so far, in ms; -1 if it is gone. */
    static long cpuMillisOf(long pid) {
        return ticksToMillis(cpuTicksOf(pid));
    }

    /**
     * User + system CPU time of process {@code pid} so far, in clock ticks ({@code /proc/<pid>/stat}
     * fields 14 and 15); -1 if it is gone. The last sample before the child ends is its CPU time, to
     * within one sampling period.
     */
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

    private static long ticksToMillis(long ticks) {
        return ticks < 0 ? -1 : ticks * 10; // USER_HZ is 100 on Linux
    }

    void stop() {
        sampler.stop();
    }

    /** Most socket descriptors of any kind in one sample; -1 if never sampled. */
    int peakSocketFds() {
        return sampler.peakSockets();
    }

    int peakTcpSocketFds() {
        return peakTcp;
    }

    /** How the sample with the most TCP sockets was classified. */
    String peakDetail() {
        return peakDetail;
    }

    /** Most descriptors of any kind in one sample; -1 if never sampled. */
    int peakFds() {
        return sampler.peakDescriptors();
    }

    int samples() {
        return sampler.samples();
    }

    long nofileLimit() {
        return nofileLimit;
    }

    /** The child's CPU time (user + system) at the last sample, in ms; -1 if never read. */
    long cpuMillis() {
        return ticksToMillis(cpuTicks);
    }
}
