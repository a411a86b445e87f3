package io.emfileguard.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The kernel's socket tables of a process's network namespace ({@code /proc/<pid>/net/...}), read
 * to tell which of its socket descriptors ({@link DescriptorListing}) are TCP sockets. A table that
 * is not there (no IPv6, ...) or no longer readable (the process is gone) reads as empty.
 */
public final class SocketTables {
    /** Every socket table but TCP's: the JVM keeps a Unix-domain socket of its own (name-service look-ups), which is no TCP socket. */
    private static final String[] NON_TCP = {"unix", "netlink", "udp", "udp6", "raw", "raw6"};
    private static final String[] TCP = {"tcp", "tcp6"};

    private SocketTables() {
    }

    /**
     * Every word of the non-TCP tables, mapped to the table it is in (the first, if several): a
     * socket inode found here is no TCP socket. Read after the descriptors were listed, every socket
     * of the listing still open is in its table.
     */
    public static Map<String, String> nonTcpTableByWord(long pid) {
        Map<String, String> tableByWord = new HashMap<>();
        for (String table : NON_TCP) {
            for (String line : lines(pid, table)) {
                for (String word : line.trim().split("\\s+")) {
                    tableByWord.putIfAbsent(word, table);
                }
            }
        }
        return tableByWord;
    }

    /** The peer port of every TCP socket (IPv4 and IPv6) in the namespace, by socket inode. */
    public static Map<String, Integer> tcpPeerPortByInode(long pid) {
        Map<String, Integer> peerPortByInode = new HashMap<>();
        for (String table : TCP) {
            for (String line : lines(pid, table)) {
                String[] f = line.trim().split("\\s+");
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
                if (f.length < 10 || !f[0].endsWith(":")) {
                    continue; // the header
                }
                String remote = f[2];
                peerPortByInode.put(f[9], Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16));
            }
        }
        return peerPortByInode;
    }

    /**
     * The TCP socket descriptors of process {@code pid}: its socket descriptors less those in the
     * non-TCP tables; -1 if its descriptors cannot be listed. Meant for a process at rest: a socket
     * closed during the look still counts.
     */
    public static int tcpSocketDescriptors(long pid) {
        DescriptorListing listing = DescriptorListing.of(pid);
        if (listing == null) {
            return -1;
        }
        Map<String, String> nonTcp = nonTcpTableByWord(pid);
        int tcp = 0;
        for (String inode : listing.socketInodes()) {
            if (!nonTcp.containsKey(inode)) {
                tcp++;
            }
        }
        return tcp;
    }

    private static List<String> lines(long pid, String table) {
        try {
            return Files.readAllLines(Paths.get("/proc", Long.toString(pid), "net", table), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return List.of();
        }
    }
}
