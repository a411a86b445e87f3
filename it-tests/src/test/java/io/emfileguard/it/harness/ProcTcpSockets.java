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
 * One look at the TCP sockets a process holds right now: the {@code socket:[inode]} entries of
 * {@code /proc/<pid>/fd} found in {@code /proc/<pid>/net/tcp} and {@code tcp6}, split by their peer's
 * port. For a quiet process (no socket opened or closed meanwhile); {@link FdSampler} is for storms.
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
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : entries) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring("socket:[".length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc/" + pid + "/fd (process gone?)", e);
        }
        Map<String, Integer> peerPortByInode = new HashMap<>();
        for (String table : new String[] {"tcp", "tcp6"}) {
            try {
                for (String line : Files.readAllLines(Paths.get("/proc", Long.toString(pid), "net", table),
                        StandardCharsets.ISO_8859_1)) {
                    String[] f = line.trim().split("\\s+");
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
                    if (f.length < 10 || !f[0].endsWith(":")) {
                        continue;
                    }
                    String remote = f[2];
                    int port = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
                    peerPortByInode.put(f[9], port);
                }
            } catch (IOException e) {
                // no such table (no IPv6)
            }
        }
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
