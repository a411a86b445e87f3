package io.emfileguard.demo.launcher;

import io.emfileguard.demo.ChildMain;
import io.emfileguard.demo.ClientKind;
import io.emfileguard.demo.stub.LatencyProfile;
import io.emfileguard.demo.stub.StubMain;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;

/**
 * Starts the stub services, runs the handler in two child JVMs under a descriptor limit (plain,
 * then with the agent), shows their progress live and prints the results side by side.
 */
public final class DemoLauncher {

    static final String AGENT_JAR = "emfile-guard-agent.jar";
    /** Children run with C1 only, the JIT setting AWS recommends for Lambda functions; both the same. */
    static final List<String> CHILD_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1");

    private final PrintStream out;
    private final PrintStream err;
    private final List<Process> processes = new CopyOnWriteArrayList<>();

    public DemoLauncher(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs the demo; returns the exit status: 0 exactly when every run with the agent had no failures. */
    public int run(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            err.println();
            err.println(Options.USAGE);
            return 2;
        }
        if (options.help) {
            out.println(Options.USAGE);
            return 0;
        }
        Thread cleanup = new Thread(this::killAll, "demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            return demo(options);
        } finally {
            killAll();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // already shutting down: the hook runs anyway
            }
        }
    }

    private int demo(Options options) {
        String classPath = ownClassPath();
        Path agent = findAgent(options.agent, classPath);
        if (agent == null) {
            return 2;
        }
        String java = options.java != null ? options.java : currentJava();
        List<String> limit = limitPrefix(options.fdLimit);
        int largestBatch = options.batches.stream().mapToInt(Integer::intValue).max().orElse(0);
        long hardLimit = DescriptorLimits.hardLimit();
        if (hardLimit > 0 && hardLimit < (long) largestBatch * options.services + 512) {
            err.println("warning: this shell's hard descriptor limit is " + hardLimit + "; the stub services need about "
                    + ((long) largestBatch * options.services + 512) + " for " + largestBatch * options.services
                    + " connections (raise it with `ulimit -Hn`/`ulimit -n`, or use fewer --records)");
        }

        out.println("emfile-guard demo: " + options.batchDescription() + " x " + options.services
                + " services per record, all at once, in a JVM limited to " + options.fdLimit + " descriptors");
        out.println("  clients " + ClientKind.ids(ClientKind.parseMix(options.clients)) + "; stub latency "
                + new LatencyProfile(options.latencyProfile, options.services, options.latencyMillis,
                        options.jitterMillis).describe() + "; agent " + relative(agent));

        Stub stub;
        try {
            stub = startStub(java, classPath, options);
        } catch (IOException e) {
            err.println("error: the stub services did not start: " + e.getMessage());
            return 2;
        }
        out.println("  stub services on " + stub.endpoint + " (pid " + stub.process.pid() + ")");

        List<RunResult[]> pairs = new ArrayList<>();
        for (int records : options.batches) {
            RunResult plain;
            if (options.skipPlain) {
                plain = new RunResult("without agent", false, records, records * options.services);
                plain.skipped = true;
            } else {
                plain = runChild(options, java, classPath, limit, stub, records, null, 0);
            }
            RunResult guarded = runChild(options, java, classPath, limit, stub, records, agent, 0);
            if (options.handTuned) {
                int share = (int) Math.max(1, handTunedCap(options, guarded) / options.services);
                RunResult tuned = runChild(options, java, classPath, limit, stub, records, null, share);
                pairs.add(new RunResult[] {plain, guarded, tuned});
            } else {
                pairs.add(new RunResult[] {plain, guarded});
            }
        }
        stub.process.destroy();

        out.println();
        if (pairs.size() == 1) {
            RunResult plain = pairs.get(0)[0];
            RunResult guarded = pairs.get(0)[1];
            out.println(options.batches.get(0) + " records x " + options.services + " services = "
                    + Report.number((long) options.batches.get(0) * options.services)
                    + " requests at once, limit " + options.fdLimit + " descriptors:");
            out.println();
            Report.table(plain, guarded, pairs.get(0).length > 2 ? pairs.get(0)[2] : null)
                    .forEach(line -> out.println("  " + line));
        } else {
            Report.sweep(pairs).forEach(line -> out.println("  " + line));
        }
        printDetails(pairs);
        out.println();
        drawCharts(options, pairs, classPath);
        out.println(Report.summary(pairs));
        out.flush();
        boolean clean = pairs.stream().allMatch(pair -> pair[1].clean());
        return clean ? 0 : 1;
    }

    /**
     * The cap the hand-tuned run's clients share: {@code --max-sockets}, else the cap the run with the
     * agent reported (its MBean), else the agent's default for the limit (limit - max(128, limit / 8),
     * at least half of it: 896 under 1,024).
     */
    static long handTunedCap(Options options, RunResult guarded) {
        if (options.maxSockets != null) {
            return options.maxSockets;
        }
        long reported = guarded.number("gate.MaxSockets");
        if (reported > 0) {
            return reported;
        }
        return Math.max(options.fdLimit / 2, options.fdLimit - Math.max(128, options.fdLimit / 8));
    }

    /** One picture per pair of runs; a picture that cannot be drawn is reported, not fatal. */
    private void drawCharts(Options options, List<RunResult[]> pairs, String classPath) {
        if (options.skipPlain) {
            out.println("no picture of the run: --skip-plain");
            return;
        }
        for (RunResult[] pair : pairs) {
            Path file = chartPath(options.chart, classPath, pairs.size() > 1 ? pair[0].records : -1);
            String title = pair[0].records + " records x " + options.services + " services = "
                    + Report.number(pair[0].expectedRequests) + " requests at once, limit "
                    + Report.number(options.fdLimit) + " descriptors";
            try {
                RunChart.write(file, pair[0], pair[1], options.fdLimit, title);
                out.println("picture of the run" + (pairs.size() > 1 ? ", " + pair[0].records + " records" : "")
                        + ": " + relative(file));
            } catch (IOException | RuntimeException | LinkageError e) {
                out.println("could not draw the run into " + relative(file) + ": " + e);
            }
        }
    }

    /**
     * {@code --chart PATH}, else {@code demo-run.png} next to the demo jar (demo-app/target/ after the
     * build), else (run from classes) in the temporary directory; {@code records >= 0} adds
     * {@code -<records>} to the name (a sweep).
     */
    static Path chartPath(String explicit, String classPath, int records) {
        Path file;
        if (explicit != null) {
            file = Paths.get(explicit);
        } else {
            Path jar = Paths.get(classPath);
            file = Files.isRegularFile(jar) && jar.toString().endsWith(".jar")
                    ? jar.toAbsolutePath().resolveSibling("demo-run.png")
                    : Paths.get(System.getProperty("java.io.tmpdir"), "emfile-guard-demo-run.png");
        }
        if (records >= 0) {
            String name = file.getFileName().toString();
            int dot = name.lastIndexOf('.');
            file = file.resolveSibling(name.substring(0, dot) + "-" + records + name.substring(dot));
        }
        return file;
    }

    private void printDetails(List<RunResult[]> pairs) {
        for (RunResult[] pair : pairs) {
            for (RunResult r : pair) {
                if (r.skipped) {
                    continue;
                }
                String label = r.label + (pairs.size() > 1 ? ", " + r.records + " records" : "");
                if (!r.reported()) {
                    out.println();
                    out.println(label + ": " + (r.launchError != null ? r.launchError
                            : r.timedOut ? "killed after the timeout, without a result" : "ended without a result (exit "
                            + r.exitCode + ")") + "; its last lines on stderr:");
                    r.stderrTail.stream().skip(Math.max(0, r.stderrTail.size() - 15))
                            .forEach(line -> out.println("    " + line));
                    continue;
                }
                if (!r.errors.isEmpty()) {
                    out.println();
                    out.println("errors " + label + ":");
                    r.errors.stream().limit(5).forEach(line -> {
                        int space = line.indexOf(' ');
                        String count = space > 0 ? line.substring(0, space) : line;
                        String text = space > 0 ? line.substring(space + 1) : "";
                        try {
                            count = Report.number(Long.parseLong(count));
                        } catch (NumberFormatException e) {
                            // keep as is
                        }
                        out.println(String.format(Locale.ROOT, "  %7s  %s", count, text));
                    });
                }
            }
        }
        RunResult firstGuarded = pairs.get(0)[1];
        if (!firstGuarded.agentLog.isEmpty()) {
            out.println();
            out.println("the agent's log (stderr of the run with the agent" + (pairs.size() > 1 ? ", "
                    + firstGuarded.records + " records" : "") + "):");
            firstGuarded.agentLog.stream().limit(6).forEach(line -> out.println("  " + line));
        }
    }

    private RunResult runChild(Options options, String java, String classPath, List<String> limit, Stub stub,
                               int records, Path agent, int handTunedShare) {
        boolean withAgent = agent != null;
        String label = withAgent ? "with agent" : handTunedShare > 0 ? "hand-tuned" : "without agent";
        RunResult result = new RunResult(label, withAgent, records, records * options.services);

        List<String> command = new ArrayList<>(limit);
        command.add(java);
        command.addAll(CHILD_JVM_OPTIONS);
        if (withAgent) {
            command.add("-javaagent:" + agent);
            if (options.maxSockets != null) {
                command.add("-Demfileguard.max.sockets=" + options.maxSockets);
            }
        }
        command.addAll(options.jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(ChildMain.class.getName());
        command.add("--records");
        command.add(Integer.toString(records));
        command.add("--exit-on-stdin-eof");

        Map<String, String> env = new HashMap<>(System.getenv());
        // Neither child may pick up an agent or settings from this shell: the launcher decides.
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("JDK_JAVA_OPTIONS");
        env.remove("_JAVA_OPTIONS");
        env.keySet().removeIf(k -> k.startsWith("FANOUT_") || (!withAgent && k.startsWith("EMFILEGUARD_")));
        env.put("FANOUT_ENDPOINT", stub.endpoint);
        env.put("FANOUT_SERVICES", Integer.toString(options.services));
        env.put("FANOUT_CLIENTS", options.clients);
        if (handTunedShare > 0) {
            env.put("FANOUT_HAND_TUNED_SHARE", Integer.toString(handTunedShare));
        }
        long timeoutMillis = TimeUnit.SECONDS.toMillis(options.timeoutSeconds);
        env.put("FANOUT_DEADLINE_MS", Long.toString(Math.max(5_000, timeoutMillis - 15_000)));

        out.println();
        out.println((withAgent ? "with the agent" : handTunedShare > 0 ? "hand-tuned, without the agent, each service "
                + "bounded to " + handTunedShare + " (FANOUT_HAND_TUNED_SHARE=" + handTunedShare + ")" : "without the agent")
                + ", " + records + " records: $ " + display(command, classPath, agent));
        ChildRun child = new ChildRun(result, command, env, timeoutMillis);
        ProgressPrinter printer = new ProgressPrinter(out, label, child.progress, options.plain || !isTerminal(),
                records * options.services);
        Thread printerThread = new Thread(printer, "progress-printer");
        printerThread.setDaemon(true);
        printerThread.start();
        child.run(processes::add);
        printer.stop();
        try {
            printerThread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.println(printer.finalLine(result));
        return result;
    }

    // ---- the stub process ----

    static final class Stub {
        final Process process;
        final String endpoint;

        Stub(Process process, String endpoint) {
            this.process = process;
            this.endpoint = endpoint;
        }
    }

    private Stub startStub(String java, String classPath, Options options) throws IOException {
        List<String> command = new ArrayList<>();
        long hard = DescriptorLimits.hardLimit();
        if (hard > 0 && onPath("prlimit")) {
            // The stubs hold every connection of both runs: give them all this shell may have.
            command.add("prlimit");
            command.add("--nofile=" + hard + ":" + hard);
        }
        command.add(java);
        command.addAll(CHILD_JVM_OPTIONS);
        command.add("-cp");
        command.add(classPath);
        command.add(StubMain.class.getName());
        command.add("--port");
        command.add("0");
        command.add("--latency-ms");
        command.add(Long.toString(options.latencyMillis));
        command.add("--jitter-ms");
        command.add(Long.toString(options.jitterMillis));
        command.add("--latency-profile");
        command.add(options.latencyProfile);
        command.add("--services");
        command.add(Integer.toString(options.services));
        command.add("--exit-on-stdin-eof");
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().remove("_JAVA_OPTIONS");
        builder.redirectErrorStream(true);
        Process process = builder.start();
        processes.add(process);
        SynchronousQueue<String> firstLine = new SynchronousQueue<>();
        List<String> early = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                boolean handed = false;
                while ((line = in.readLine()) != null) {
                    if (!handed && line.startsWith("STUB LISTENING")) {
                        firstLine.offer(line, 30, TimeUnit.SECONDS);
                        handed = true;
                    } else if (early.size() < 50) {
                        early.add(line);
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the stub is gone
            }
        }, "stub-output");
        reader.setDaemon(true);
        reader.start();
        String line;
        try {
            line = firstLine.poll(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            line = null;
        }
        if (line == null) {
            process.destroyForcibly();
            throw new IOException("no answer within 30 s" + (early.isEmpty() ? "" : ": " + String.join(" / ", early)));
        }
        String port = ChildRun.parsePairs(line.substring("STUB LISTENING".length())).get("port");
        return new Stub(process, "http://127.0.0.1:" + port);
    }

    // ---- where things are ----

    /** The demo jar (or, run from classes, this JVM's class path): the children run from it. */
    static String ownClassPath() {
        try {
            Path location = Paths.get(DemoLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(location)) {
                return location.toString();
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the class path
        }
        return System.getProperty("java.class.path");
    }

    private Path findAgent(String explicit, String classPath) {
        Set<Path> candidates = new LinkedHashSet<>();
        if (explicit != null) {
            candidates.add(Paths.get(explicit));
        } else {
            candidates.add(Paths.get("agent", "target", AGENT_JAR));
            candidates.add(Paths.get(AGENT_JAR));
            for (String entry : classPath.split(File.pathSeparator)) {
                Path dir = Paths.get(entry).toAbsolutePath().getParent();
                // demo-app/target/demo-app.jar -> <repo>/agent/target/emfile-guard-agent.jar
                for (int up = 0; dir != null && up < 4; up++, dir = dir.getParent()) {
                    candidates.add(dir.resolve("agent").resolve("target").resolve(AGENT_JAR));
                    candidates.add(dir.resolve(AGENT_JAR));
                }
            }
        }
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        err.println("error: the agent jar was not found" + (explicit != null ? " at " + explicit
                : " (looked for agent/target/" + AGENT_JAR + " from the working directory and from the demo jar)"));
        err.println("       build it first at the repository root:  mvn -q -DskipTests package");
        err.println("       or name it:  java -jar demo-app/target/demo-app.jar --agent /path/to/" + AGENT_JAR);
        return null;
    }

    static String currentJava() {
        return ProcessHandle.current().info().command()
                .orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    }

    /** {@code prlimit --nofile=N:N}, or a shell's {@code ulimit -n N} (soft and hard) where prlimit is missing. */
    static List<String> limitPrefix(int fdLimit) {
        if (onPath("prlimit")) {
            return List.of("prlimit", "--nofile=" + fdLimit + ":" + fdLimit);
        }
        return List.of("sh", "-c", "ulimit -n " + fdLimit + " && exec \"$@\"", "sh");
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Paths.get(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private boolean isTerminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // JDK 22+ returns a console for pipes too; isTerminal() tells them apart.
            Method isTerminal = java.io.Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    private static String display(List<String> command, String classPath, Path agent) {
        Path cwd = Paths.get("").toAbsolutePath();
        List<String> shown = new ArrayList<>();
        for (String part : command) {
            String s = part.replace(classPath, relative(Paths.get(classPath), cwd));
            if (agent != null) {
                s = s.replace(agent.toString(), relative(agent, cwd));
            }
            if (s.equals(currentJava())) {
                s = "java";
            }
            if (s.startsWith("ulimit") || s.contains(" ")) {
                s = "'" + s + "'";
            }
            shown.add(s);
        }
        return String.join(" ", shown);
    }

    private static String relative(Path path) {
        return relative(path, Paths.get("").toAbsolutePath());
    }

    private static String relative(Path path, Path base) {
        try {
            Path abs = path.toAbsolutePath().normalize();
            return abs.startsWith(base) ? base.relativize(abs).toString() : abs.toString();
        } catch (RuntimeException e) {
            return path.toString();
        }
    }

    private void killAll() {
        for (Process process : processes) {
            if (process.isAlive()) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }
}
