package io.emfileguard.demo.launcher;

import io.emfileguard.testsupport.FdSampler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Starts one child JVM, follows its progress, samples its descriptors, and collects its result. */
final class ChildRun {

    /** A live view of the child for the progress line. */
    static final class Progress {
        volatile long startNanos = System.nanoTime();
        volatile String line = "starting";
        volatile int requests = -1;
        volatile int done;
        volatile int succeeded;
        volatile int emfile;
        volatile int other;
        volatile int open = -1;
        volatile int waiting = -1;
        volatile FdSampler sampler;
    }

    private final RunResult result;
    private final List<String> command;
    private final Map<String, String> environment;
    private final long timeoutMillis;
    final Progress progress = new Progress();

    ChildRun(RunResult result, List<String> command, Map<String, String> environment, long timeoutMillis) {
        this.result = result;
        this.command = command;
        this.environment = environment;
        this.timeoutMillis = timeoutMillis;
    }

    /** Runs the child to its end (or its timeout); {@code registry} is told of the process so it can be killed on exit. */
    RunResult run(Consumer<Process> registry) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(environment);
        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            result.launchError = "could not start " + command.get(0) + ": " + e.getMessage();
            return result;
        }
        registry.accept(process);
        FdSampler sampler = null;
        if (FdSampler.supported()) {
            sampler = new FdSampler(process.pid(), 50, listing -> {
                if (listing.descriptors() > 0) { // an empty table is the JVM exiting, not a point of the run
                    result.timeline.fd((System.nanoTime() - start) / 1_000_000, listing.descriptors(), listing.sockets());
                }
            }).start();
            progress.sampler = sampler;
        }
        Thread stderr = new Thread(() -> drainStderr(process), "child-stderr");
        stderr.setDaemon(true);
        stderr.start();
        Thread stdout = new Thread(() -> readStdout(process, start), "child-stdout");
        stdout.setDaemon(true);
        stdout.start();
        try {
            if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                result.timedOut = true;
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
            stdout.join(5000);
            stderr.join(2000);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        result.processMillis = (System.nanoTime() - start) / 1_000_000;
        if (!process.isAlive()) {
            result.exitCode = process.exitValue();
        }
        if (sampler != null) {
            sampler.stop();
            result.peakDescriptors = sampler.peakDescriptors();
            result.peakSockets = sampler.peakSockets();
        }
        return result;
    }

    private void readStdout(Process process, long startNanos) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("PROGRESS ")) {
                    Map<String, String> kv = parsePairs(line.substring(9));
                    progress.requests = intOf(kv, "requests", -1);
                    progress.done = intOf(kv, "done", 0);
                    progress.succeeded = intOf(kv, "succeeded", 0);
                    progress.emfile = intOf(kv, "emfile", 0);
                    progress.other = intOf(kv, "other", 0);
                    progress.open = intOf(kv, "open", -1);
                    progress.waiting = intOf(kv, "waiting", -1);
                    result.timeline.progress((System.nanoTime() - startNanos) / 1_000_000, progress.done,
                            progress.emfile + progress.other, progress.waiting);
                } else if (line.equals("READY")) {
                    progress.startNanos = System.nanoTime();
                    progress.line = "running";
                } else if (line.startsWith("RESULT ")) {
                    result.timeline.end();
                    synchronized (result) {
                        result.values.putAll(parsePairs(line.substring(7)));
                    }
                } else if (line.startsWith("ERROR ")) {
                    synchronized (result) {
                        result.errors.add(line.substring(6));
                    }
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
    }

    private void drainStderr(Process process) {
        Deque<String> tail = new ArrayDeque<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.contains("emfile-guard")) {
                    synchronized (result) {
                        if (result.agentLog.size() < 12) {
                            result.agentLog.add(line);
                        }
                    }
                }
                tail.addLast(line);
                if (tail.size() > 40) {
                    tail.removeFirst();
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
        synchronized (result) {
            result.stderrTail.addAll(new ArrayList<>(tail));
        }
    }

    static Map<String, String> parsePairs(String text) {
        Map<String, String> map = new java.util.LinkedHashMap<>();
        for (String token : text.trim().split("\\s+")) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                map.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        return map;
    }

    private static int intOf(Map<String, String> map, String key, int fallback) {
        try {
            return Integer.parseInt(map.getOrDefault(key, Integer.toString(fallback)));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
