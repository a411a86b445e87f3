package example.apps;

import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An application that keeps many files open (a cache of open segments, say) and then makes the
 * {@link StormApp} storm of blocking requests: the sockets it may open are what the descriptor limit
 * leaves after the files, which no socket count can see.
 *
 * <p>Args: {@code files port count}. Opens {@code files} descriptors on one temporary file, keeps
 * them open, prints {@code files opened=.. fds=..}, then runs {@code StormApp port count} (which
 * prints its own lines and exits).
 */
public final class DescriptorHogApp {

    /** Held until the JVM exits. */
    static final List<FileInputStream> FILES = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        int files = Integer.parseInt(args[0]);
        Path tmp = Files.createTempFile("descriptor-hog", ".dat");
        tmp.toFile().deleteOnExit();
        Files.write(tmp, new byte[] {1, 2, 3});
        for (int i = 0; i < files; i++) {
            FILES.add(new FileInputStream(tmp.toFile()));
        }
        String[] fds = new java.io.File("/proc/self/fd").list();
        System.out.println("files opened=" + FILES.size() + " fds=" + (fds == null ? -1 : fds.length - 1));
        StormApp.main(new String[] {args[1], args[2]});
    }
}
