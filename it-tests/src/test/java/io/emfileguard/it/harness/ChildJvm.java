package io.emfileguard.it.harness;

import io.emfileguard.testsupport.SocketTables;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Starts one child {@code java} for a test: a chosen JDK, under {@code prlimit --nofile=N:N}
 * (1024 by default, Lambda's limit), with or without the agent, running a main class from the test
 * class path. Its stdout and stderr go to files under {@code target/child-output} (kept for
 * diagnosis); while it runs, {@link KernelView} reads {@code /proc/<pid>/fd} every ~20 ms. A hard
 * timeout kills it.
 *
 * <p>The inherited environment is cleaned of everything that would change the child behind the
 * test's back: {@code EMFILEGUARD_*} and the JVM's option variables ({@code JAVA_TOOL_OPTIONS}
 * would also print "Picked up ..." on stderr).
 */
public final class ChildJvm {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final List<String> SCRUBBED_ENV = Arrays.asList(
            "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JAVA_OPTIONS", "CLASSPATH");

    private final Jdk jdk;
    private final String label;
    private String mainClass;
    private final List<String> args = new ArrayList<>();
    private final List<String> jvmOptions = new ArrayList<>();
    private final List<String> optionsBeforeAgent = new ArrayList<>();
    private final Map<String, String> systemProperties = new LinkedHashMap<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<Path> classPath = new ArrayList<>();
    private boolean agent;
    private String agentArguments;
    private int nofile = 1024;
    private Duration timeout = Duration.ofSeconds(60);
    private final List<String> launcher = new ArrayList<>();
    private boolean testClassesOnClassPath = true;
    private Path workingDirectory;

    private ChildJvm(Jdk jdk, String label) {
        this.jdk = jdk;
        this.label = label;
    }

    /** @param label names the output files, e.g. "storm-agent" */
    public static ChildJvm on(Jdk jdk, String label) {
        jdk.assumeAvailable();
        return new ChildJvm(jdk, label);
    }

    public ChildJvm main(Class<?> type, Object... arguments) {
        return main(type.getName(), arguments);
    }

    /** A main class by name: one that is not on the test class path (see {@link #classPath}). */
    public ChildJvm main(String className, Object... arguments) {
        this.mainClass = className;
        for (Object a : arguments) {
            args.add(String.valueOf(a));
        }
        return this;
    }

    /** Attaches the agent with no argument. */
    public ChildJvm withAgent() {
        return withAgent(null);
    }

    /** Attaches the agent; {@code arguments} is what follows {@code =} in {@code -javaagent:jar=...}. */
    public ChildJvm withAgent(String arguments) {
        this.agent = true;
        this.agentArguments = arguments;
        return this;
    }

    public ChildJvm systemProperty(String key, Object value) {
        systemProperties.put(key, String.valueOf(value));
        return this;
    }

    public ChildJvm env(String key, String value) {
        env.put(key, value);
        return this;
    }

    public ChildJvm jvmOption(String option) {
        jvmOptions.add(option);
        return this;
    }

    /** An option placed before the agent's {@code -javaagent} (e.g. another agent that must load first). */
    public ChildJvm jvmOptionBeforeAgent(String option) {
        optionsBeforeAgent.add(option);
        return this;
    }

    /** Extra class path entries after the test classes (jars of a child application). */
    public ChildJvm classPath(List<Path> entries) {
        classPath.addAll(entries);
        return this;
    }

    public ChildJvm nofile(int limit) {
        this.nofile = limit;
        return this;
    }

    public ChildJvm timeout(Duration t) {
        this.timeout = t;
        return this;
    }

    /**
     * A program that starts the JVM, put between {@code prlimit} and {@code java}: it is given the
     * JVM's command line as its arguments, as Lambda gives {@code AWS_LAMBDA_EXEC_WRAPPER} the
     * runtime's. It must {@code exec} the JVM (the sampler watches the pid that prlimit started).
     */
    public ChildJvm launchedBy(Path program) {
        launcher.add(program.toString());
        return this;
    }

    /** Leaves the test classes (and the test-support classes they use) off the class path: only {@link #classPath} entries. */
    public ChildJvm withoutTestClasses() {
        testClassesOnClassPath = false;
        return this;
    }

    public ChildJvm workingDirectory(Path dir) {
        this.workingDirectory = dir;
        return this;
    }

    public List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add("prlimit");
        cmd.add("--nofile=" + nofile + ":" + nofile);
        cmd.addAll(launcher);
        cmd.add(jdk.java().toString());
        cmd.addAll(optionsBeforeAgent);
        if (agent) {
            cmd.add("-javaagent:" + AgentJar.path() + (agentArguments == null ? "" : "=" + agentArguments));
        }
        cmd.addAll(jvmOptions);
        for (Map.Entry<String, String> p : systemProperties.entrySet()) {
            cmd.add("-D" + p.getKey() + "=" + p.getValue());
        }
        cmd.add("-cp");
        List<Path> entries = new ArrayList<>();
        if (testClassesOnClassPath) {
            entries.add(testClasses());
            entries.add(testSupportClasses());
        }
        entries.addAll(classPath);
        StringBuilder cp = new StringBuilder();
        for (Path p : entries) {
            cp.append(cp.length() == 0 ? "" : File.pathSeparator).append(p);
        }
        cmd.add(cp.toString());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** Runs the child to its end (or the timeout, which kills it) and returns what it did. */
    public ChildResult run() {
        return start().awaitExit();
    }

    /**
     * Starts the child and returns at once, for a child that the test talks to while it runs (a
     * server, a Lambda runtime loop). The timeout still applies from now on.
     */
    public Running start() {
        if (mainClass == null) {
            throw new IllegalStateException("no main class");
        }
        List<String> cmd = command();
        Path dir = outputDir();
        String base = String.format("%03d-%s-jdk%d", SEQUENCE.incrementAndGet(), label, jdk.feature);
        Path out = dir.resolve(base + ".stdout");
        Path err = dir.resolve(base + ".stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectOutput(out.toFile());
        pb.redirectError(err.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        if (workingDirectory != null) {
            pb.directory(workingDirectory.toFile());
        }
        Map<String, String> environment = pb.environment();
        environment.keySet().removeIf(k -> k.startsWith("EMFILEGUARD_") || SCRUBBED_ENV.contains(k));
        environment.putAll(env);
        long start = System.nanoTime();
        Process process;
        try {
            Files.write(dir.resolve(base + ".cmd"), (String.join(" ", cmd) + "\n" + env + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            process = pb.start();
        } catch (IOException e) {
            throw new AssertionError("could not start " + cmd, e);
        }
        return new Running(base, cmd, process, KernelView.watch(process.pid()), out, err, start,
                start + timeout.toNanos());
    }

    /** A started child: its pid, what the kernel shows of it now, and its end. */
    public static final class Running implements AutoCloseable {
        private final String name;
        private final List<String> command;
        private final Process process;
        private final KernelView kernel;
        private final Path out;
        private final Path err;
        private final long startNanos;
        private final long deadlineNanos;
        private ChildResult result;

        private Running(String name, List<String> command, Process process, KernelView kernel, Path out, Path err,
                        long startNanos, long deadlineNanos) {
            this.name = name;
            this.command = command;
            this.process = process;
            this.kernel = kernel;
            this.out = out;
            this.err = err;
            this.startNanos = startNanos;
            this.deadlineNanos = deadlineNanos;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        /** Highest number of TCP socket descriptors the sampler has seen so far. */
        public int peakTcpSocketFds() {
            return kernel.peakTcpSocketFds();
        }

        /** What the child wrote to stdout so far. */
        public String stdoutSoFar() {
            return read(out);
        }

        /** What the child wrote to stderr so far. */
        public String stderrSoFar() {
            return read(err);
        }

        /** Waits for the child to end by itself (or the timeout, which kills it). */
        public ChildResult awaitExit() {
            if (result != null) {
                return result;
            }
            boolean timedOut = false;
            try {
                long left = deadlineNanos - System.nanoTime();
                if (!process.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    timedOut = true;
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + name, e);
            } finally {
                kernel.stop();
            }
            return result = result(timedOut);
        }

        /**
         * Ends a child that would run forever (SIGTERM, then SIGKILL after 10 s) and returns what it
         * did; its exit code is then the signal's (143), which is no failure of the child.
         */
        public ChildResult stop() {
            if (result != null) {
                return result;
            }
            try {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            } finally {
                kernel.stop();
            }
            return result = result(false);
        }

        /** Kills the child if it still runs (for try-with-resources). */
        @Override
        public void close() {
            if (result == null) {
                stop();
            }
        }

        private ChildResult result(boolean timedOut) {
            long wallMillis = (System.nanoTime() - startNanos) / 1_000_000;
            int exit = process.isAlive() ? -1 : process.exitValue();
            logTimes(name, wallMillis, kernel.cpuMillis());
            return new ChildResult(name, command, timedOut ? -1 : exit, timedOut, wallMillis, read(out), read(err),
                    kernel.peakSocketFds(), kernel.peakTcpSocketFds(), kernel.peakDetail(), kernel.peakFds(),
                    kernel.samples(), kernel.nofileLimit(), kernel.cpuMillis());
        }

        private String read(Path file) {
            try {
                return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new AssertionError("could not read the output of " + name, e);
            }
        }

        @Override
        public String toString() {
            return "child " + name + " (pid " + pid() + (isAlive() ? ", running" : ", ended") + ")";
        }
    }

    /**
     * One line per child in {@code target/child-output/children.tsv}: name, wall and CPU time (ms),
     * the 1-minute load average and the time (epoch ms) when it ended. What the suite's time goes to,
     * child by child.
     */
    static synchronized void logTimes(String name, long wallMillis, long cpuMillis) {
        try {
            String load = new String(Files.readAllBytes(Paths.get("/proc/loadavg")), StandardCharsets.UTF_8).split(" ")[0];
            Files.write(outputDir().resolve("children.tsv"),
                    (name + "\t" + wallMillis + "\t" + cpuMillis + "\t" + load + "\t" + System.currentTimeMillis() + "\n").getBytes(StandardCharsets.UTF_8),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException | RuntimeException e) {
            // diagnostics only
        }
    }

    private static Path testClasses() {
        String p = System.getProperty("it.test.classes");
        if (p != null) {
            return Paths.get(p);
        }
        try { // run from an IDE: where this class was loaded from
            return Paths.get(ChildJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the test classes; set -Dit.test.classes", e);
        }
    }

    /**
     * Where the test-support classes are (its jar; a classes folder in an IDE): the child programs
     * ({@code example.apps.GateProbe}) count their TCP sockets with them.
     */
    private static Path testSupportClasses() {
        try {
            return Paths.get(SocketTables.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the test-support classes", e);
        }
    }

    private static Path outputDir() {
        Path dir = Paths.get(System.getProperty("it.output.dir", "target/child-output"));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            fail("cannot create " + dir + ": " + e);
        }
        return dir;
    }
}
