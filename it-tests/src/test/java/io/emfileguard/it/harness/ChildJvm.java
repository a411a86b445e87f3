package io.emfileguard.it.harness;

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
 * diagnosis); while it runs, {@link FdSampler} reads {@code /proc/<pid>/fd} every ~20 ms. A hard
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

    private ChildJvm(Jdk jdk, String label) {
        this.jdk = jdk;
        this.label = label;
        classPath.add(testClasses());
    }

    /** @param label names the output files, e.g. "storm-agent" */
    public static ChildJvm on(Jdk jdk, String label) {
        jdk.assumeAvailable();
        return new ChildJvm(jdk, label);
    }

    public ChildJvm main(Class<?> type, Object... arguments) {
        this.mainClass = type.getName();
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

    public List<String> command() {
        List<String> cmd = new ArrayList<>();
        cmd.add("prlimit");
        cmd.add("--nofile=" + nofile + ":" + nofile);
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
        StringBuilder cp = new StringBuilder();
        for (Path p : classPath) {
            cp.append(cp.length() == 0 ? "" : File.pathSeparator).append(p);
        }
        cmd.add(cp.toString());
        cmd.add(mainClass);
        cmd.addAll(args);
        return cmd;
    }

    /** Runs the child to its end (or the timeout, which kills it) and returns what it did. */
    public ChildResult run() {
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
        FdSampler sampler = FdSampler.start(process.pid());
        boolean timedOut = false;
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                timedOut = true;
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + base, e);
        } finally {
            sampler.stop();
        }
        long wallMillis = (System.nanoTime() - start) / 1_000_000;
        try {
            String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
            String stderr = new String(Files.readAllBytes(err), StandardCharsets.UTF_8);
            return new ChildResult(base, cmd, timedOut ? -1 : process.exitValue(), timedOut, wallMillis, stdout,
                    stderr, sampler.peakSocketFds(), sampler.peakTcpSocketFds(), sampler.peakDetail(), sampler.peakFds(), sampler.samples(), sampler.nofileLimit());
        } catch (IOException e) {
            throw new AssertionError("could not read the output of " + base, e);
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
