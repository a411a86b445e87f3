package io.emfileguard.demo.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * What one child run looked like over time, kept for the picture of the run: the launcher's
 * samples of {@code /proc/<pid>/fd} (every 50 ms) and the child's progress lines (every 250 ms).
 * Times are milliseconds since the child process was started.
 */
final class Timeline {

    /** Descriptors and sockets in {@code /proc/<pid>/fd}. */
    record FdPoint(long millis, int descriptors, int sockets) {
    }

    /** The child's own counts; {@code waiting} is -1 without the agent's MBean. */
    record ProgressPoint(long millis, int done, int failed, int waiting) {
    }

    private final List<FdPoint> fds = new ArrayList<>();
    private final List<ProgressPoint> progress = new ArrayList<>();
    private boolean ended;

    synchronized void fd(long millis, int descriptors, int sockets) {
        if (!ended) {
            fds.add(new FdPoint(millis, descriptors, sockets));
        }
    }

    synchronized void progress(long millis, int done, int failed, int waiting) {
        if (!ended) {
            progress.add(new ProgressPoint(millis, done, failed, waiting));
        }
    }

    /** The batch is over (the child reported): later samples show the JVM exiting, not the run. */
    synchronized void end() {
        ended = true;
    }

    synchronized List<FdPoint> fds() {
        return new ArrayList<>(fds);
    }

    synchronized List<ProgressPoint> progress() {
        return new ArrayList<>(progress);
    }
}
