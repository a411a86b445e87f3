package io.emfileguard.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one child JVM, optionally timed by {@code /usr/bin/time -f '%e %U %S %M'}: wall, user and sys
 * time (10 ms resolution) and peak RSS of the child. Where /usr/bin/time is missing, bash's {@code time}
 * gives wall and CPU only (RSS -1).
 */
final class Child {
    final String stdout;
    final String stderr;
    final int exitCode;
    /** Wall clock and CPU (user + sys of the child process, all its threads), in ms (-1 when not timed). */
    final double wallMs;
    final double cpuMs;
    /** Peak resident set size of the child in KiB (GNU time's {@code %M}; -1 when not timed or unknown). */
    final long rssKiB;

    private static final String GNU_TIME = "/usr/bin/time";

    private Child(String stdout, String stderr, int exitCode, double wallMs, double cpuMs, long rssKiB) {
        this.stdout = stdout;
        this.stderr = stderr;
        this.exitCode = exitCode;
        this.wallMs = wallMs;
        this.cpuMs = cpuMs;
        this.rssKiB = rssKiB;
    }

    /** Peak RSS in MiB (NaN when unknown). */
    double rssMiB() {
        return rssKiB < 0 ? Double.NaN : rssKiB / 1024.0;
    }

    static Child run(List<String> command, long timeoutSeconds, boolean timed) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        boolean gnuTime = timed && new File(GNU_TIME).canExecute();
        File times = gnuTime ? File.createTempFile("bench-time", ".txt") : null;
        if (gnuTime) {
            // GNU time: wall (s), user (s), sys (s) from wait4's rusage, peak RSS (KiB); into its own file.
            cmd.addAll(List.of(GNU_TIME, "-o", times.getPath(), "-f", "BENCHTIME %e %U %S %M"));
        } else if (timed) {
            // bash's time keyword: wall clock and the child's user+sys from getrusage, in ms.
            cmd.add("bash");
            cmd.add("-c");
            cmd.add("TIMEFORMAT='BENCHTIME %3R %3U %3S'; time \"$@\"");
            cmd.add("bash");
        }
        cmd.addAll(command);
        File out = File.createTempFile("bench-out", ".txt");
        File err = File.createTempFile("bench-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectOutput(out);
            pb.redirectError(err);
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().remove("JAVA_TOOL_OPTIONS");
            pb.environment().remove("JDK_JAVA_OPTIONS");
            for (String k : new ArrayList<>(pb.environment().keySet())) {
                if (k.startsWith("EMFILEGUARD_")) {
                    pb.environment().remove(k);
                }
            }
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IOException("timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
            }
            String o = Files.readString(out.toPath(), StandardCharsets.UTF_8);
            String e = Files.readString(err.toPath(), StandardCharsets.UTF_8);
            double wall = -1;
            double cpu = -1;
            long rss = -1;
            if (timed) {
                String t = gnuTime ? Files.readString(times.toPath(), StandardCharsets.UTF_8) : e;
                for (String line : t.split("\n")) {
                    if (line.startsWith("BENCHTIME ")) {
                        String[] f = line.trim().split(" ");
                        wall = Double.parseDouble(f[1]) * 1000;
                        cpu = (Double.parseDouble(f[2]) + Double.parseDouble(f[3])) * 1000;
                        rss = f.length > 4 ? Long.parseLong(f[4]) : -1;
                    }
                }
            }
            return new Child(o, e, p.exitValue(), wall, cpu, rss);
        } finally {
            out.delete();
            err.delete();
            if (times != null) {
                times.delete();
            }
        }
    }

    /** Fails with the child's output when it did not exit cleanly. */
    Child check(List<String> command) {
        if (exitCode != 0) {
            throw new IllegalStateException("child failed (exit " + exitCode + "): " + String.join(" ", command)
                    + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr);
        }
        return this;
    }

    /** The first line of stdout starting with {@code prefix + " "}, split on spaces (prefix dropped). */
    String[] line(String prefix) {
        for (String l : stdout.split("\n")) {
            if (l.startsWith(prefix + " ")) {
                return l.substring(prefix.length() + 1).trim().split(" ");
            }
        }
        throw new IllegalStateException("no " + prefix + " line in:\n" + stdout + "\n" + stderr);
    }

    List<String[]> lines(String prefix) {
        List<String[]> all = new ArrayList<>();
        for (String l : stdout.split("\n")) {
            if (l.startsWith(prefix + " ")) {
                all.add(l.substring(prefix.length() + 1).trim().split(" "));
            }
        }
        return all;
    }
}
