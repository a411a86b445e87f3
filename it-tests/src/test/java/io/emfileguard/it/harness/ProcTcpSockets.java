package io.emfileguard.it.harness;

import io.emfileguard.testsupport.DescriptorListing;
import io.emfileguard.testsupport.SocketTables;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One look at the TCP sockets a process holds right now: the {@code socket:[inode]} entries of
 * {@code /proc/<pid>/fd} found in {@code /proc/<pid>/net/tcp} and {@code tcp6}, split by their peer's
 * port. For a quiet process (no socket opened or closed meanwhile); {@link KernelView} is for storms.
 */
public final class ProcTcpSockets {
    /** TCP sockets of the process. */
    public final int total;
    /** Of those, the ones whose peer port is the one asked about. */
    public final int toPort;

    private ProcTcpSockets(int total, int toPort) {
        this.total = total;
        this.toPort = toPort;
    }

    /** The TCP sockets of {@code pid}, and how many of them are connected to {@code peerPort}. */
    public static ProcTcpSockets of(long pid, int peerPort) {
        DescriptorListing listing = DescriptorListing.of(pid);
        if (listing == null) {
            throw new AssertionError("cannot list /proc/" + pid + "/fd (process gone?)");
        }
        Set<String> inodes = new HashSet<>(listing.socketInodes());
        Map<String, Integer> peerPortByInode = SocketTables.tcpPeerPortByInode(pid);
        int total = 0;
        int toPort = 0;
        for (String inode : inodes) {
            Integer port = peerPortByInode.get(inode);
            if (port != null) {
                total++;
                if (port == peerPort) {
                    toPort++;
                }
            }
        }
        return new ProcTcpSockets(total, toPort);
    }

    @Override
    public String toString() {
        return total + " TCP sockets (" + toPort + " to the port asked about)";
    }
}
