package io.emfileguard.demo.launcher;

import io.emfileguard.testsupport.FdSampler;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows a child's progress: one line rewritten in place on a terminal (every 250 ms), plain lines
 * every 2 s otherwise.
 */
final class ProgressPrinter implements Runnable {

    private final PrintStream out;
    private final String label;
    private final ChildRun.Progress progress;
    private final boolean plain;
    private final int expected;
    private final long started = System.nanoTime();
    private volatile boolean stopped;

    ProgressPrinter(PrintStream out, String label, ChildRun.Progress progress, boolean plain, int expected) {
        this.out = out;
        this.expected = expected;
        this.label = label;
        this.progress = progress;
        this.plain = plain;
    }

    @Override
    public void run() {
        long period = plain ? 2000 : 250;
        try {
            while (!stopped) {
                Thread.sleep(period);
                if (stopped) {
                    break;
                }
                String line = line();
                synchronized (out) {
                    if (plain) {
                        out.println("  " + line);
                    } else {
                        out.print("\r  " + line + "\033[K");
                    }
                    out.flush();
                }
            }
        } catch (InterruptedException e) {
            // done
        }
    }

    void stop() {
        stopped = true;
    }

    String line() {
        double seconds = (System.nanoTime() - started) / 1e9;
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "[%s] %5.1f s  ", label, seconds));
        if (progress.requests < 0) {
            sb.append("starting the JVM and the clients");
        } else {
            if (progress.requests < expected) {
                sb.append(String.format(Locale.ROOT, "issued %,d/%,d  ", progress.requests, expected));
            }
            sb.append(String.format(Locale.ROOT, "done %,d/%,d  ok %,d  failed %,d (EMFILE %,d)",
                    progress.done, expected, progress.succeeded, progress.emfile + progress.other,
                    progress.emfile));
        }
        FdSampler sampler = progress.sampler;
        if (sampler != null && sampler.descriptors() >= 0) {
            sb.append(String.format(Locale.ROOT, "  sockets %,d  fds %,d", sampler.sockets(), sampler.descriptors()));
        }
        if (progress.waiting >= 0) {
            sb.append(String.format(Locale.ROOT, "  waiting at the cap %,d", progress.waiting));
        }
        return sb.toString();
    }

    /** The line that stays once the child has ended. */
    String finalLine(RunResult r) {
        String head = (plain ? "  " : "\r  ") + "[" + label + "] ";
        String tail = plain ? "" : "\033[K";
        if (!r.reported()) {
            return head + (r.launchError != null ? r.launchError : r.timedOut ? "timed out" : "ended without a result")
                    + tail;
        }
        return head + String.format(Locale.ROOT, "%,d requests: %,d succeeded, %,d failed (%,d Too many open files) in %s",
                r.number("requests"), r.number("succeeded"), r.number("failed"), r.number("failedTooManyOpenFiles"),
                Report.seconds(r.number("wallMillis"))) + tail;
    }
}
