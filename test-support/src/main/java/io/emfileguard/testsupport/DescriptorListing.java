package io.emfileguard.testsupport;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One pass over {@code /proc/<pid>/fd}: how many descriptors a process has, and the inode of each
 * one that is a socket (a {@code socket:[inode]} link). What the kernel sees, with or without the
 * agent. A pass is not one instant: a descriptor closed and another opened while it runs can both
 * be in it ({@link FdSampler} and {@link SocketTables} say where that matters).
 */
public final class DescriptorListing {
    private static final String SOCKET_LINK = "socket:[";

    private final int descriptors;
    private final List<String> socketInodes;

    private DescriptorListing(int descriptors, List<String> socketInodes) {
        this.descriptors = descriptors;
        this.socketInodes = Collections.unmodifiableList(socketInodes);
    }

    /** The descriptors of process {@code pid}; null if they cannot be listed (not started yet, gone, not ours to see). */
    public static DescriptorListing of(long pid) {
        int descriptors = 0;
        List<String> socketInodes = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (Path entry : entries) {
                descriptors++;
                try {
                    String target = Files.readSymbolicLink(entry).toString();
                    if (target.startsWith(SOCKET_LINK)) {
                        socketInodes.add(target.substring(SOCKET_LINK.length(), target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed between the listing and the look: counted, but as no socket
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            return null;
        }
        return new DescriptorListing(descriptors, socketInodes);
    }

    /** Descriptors of any kind. */
    public int descriptors() {
        return descriptors;
    }

    /** Socket descriptors. */
    public int sockets() {
        return socketInodes.size();
    }

    /**
     * The inode of every socket descriptor, in listing order; a socket that two descriptors refer to
     * is there twice. A socket's inode names it for as long as it is open.
     */
    public List<String> socketInodes() {
        return socketInodes;
    }
}
