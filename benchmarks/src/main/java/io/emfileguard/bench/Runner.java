package io.emfileguard.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Runs every benchmark and writes the results table (benchmarks/target/results.md, and on a full run
 * docs/performance.md between the {@code benchmarks:begin/end} markers).
 * Started by benchmarks/run.sh after the build. Options:
 * {@code --only startup,gate,connect,io,wake,storm,scale,fanout,soak}, {@code --quick} (fewer pairs: a smoke test,
 * never written to the doc), {@code --no-doc}, {@code --doc-sections} (with {@code --only}: replace
 * just those sections' rows and notes in the doc), {@code --java17 PATH}, {@code --java25 PATH}.
 */
public final class Runner {
    static final List<String> SECTIONS = Arrays.asList("startup", "gate", "connect", "io", "wake", "storm", "scale",
            "fanout", "soak");
    /**
     * What a run without {@code --only} runs: every section but the soak, which alone takes 10 minutes
     * (`--only soak`); a full run keeps the soak's rows and notes already in the table.
     */
    static final List<String> DEFAULT_SECTIONS = SECTIONS.subList(0, SECTIONS.indexOf("soak"));

    private final Path root;
    private final String java17;
    private final String java25;
    private final String agentJar;
    private final String classes;
    private final String libCp;
    private final boolean quick;
    private final ResultsTable table;
    private final List<ResultsTable.Row> rows;
    private final List<String> notes;
    private final Map<String, String> loads;
    private final List<String> failed;
    private Map<String, Integer> ports;

    private Runner(Path root, String java17, String java25, boolean quick) {
        this.root = root;
        this.java17 = java17;
        this.java25 = java25;
        this.quick = quick;
        this.agentJar = root.resolve("agent/target/emfile-guard-agent.jar").toString();
        this.classes = root.resolve("benchmarks/target/classes").toString();
        this.libCp = root.resolve("benchmarks/target/lib").toString() + File.separator + "*";
        this.table = new ResultsTable(root, java17, java25, quick);
        this.rows = table.rows;
        this.notes = table.notes;
        this.loads = table.loads;
        this.failed = table.failed;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".").toAbsolutePath().normalize();
        String java17 = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String java25 = "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java";
        Set<String> only = new LinkedHashSet<>(DEFAULT_SECTIONS);
        boolean partial = false;
        boolean quick = false;
        boolean doc = true;
        boolean docSections = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root": root = Path.of(args[++i]).toAbsolutePath().normalize(); break;
                case "--java17": java17 = args[++i]; break;
                case "--java25": java25 = args[++i]; break;
                case "--quick": quick = true; break;
                case "--no-doc": doc = false; break;
                case "--doc-sections": docSections = true; break;
                case "--only":
                    only = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
                    partial = true;
                    if (!SECTIONS.containsAll(only)) {
                        throw new IllegalArgumentException("sections: " + SECTIONS);
                    }
                    break;
                default: throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (!new File(java25).canExecute()) {
            System.err.println("JDK 25 not found at " + java25 + " (--java25 PATH): its rows are skipped");
            java25 = null;
        }
        Runner r = new Runner(root, java17, java25, quick);
        long t0 = System.nanoTime();
        r.run(only);
        double minutes = (System.nanoTime() - t0) / 60e9;
        String table = r.table.render(minutes, partial);
        Path out = root.resolve("benchmarks/target/results.md");
        Files.writeString(out, table, StandardCharsets.UTF_8);
        System.out.println(table);
        System.err.println("results: " + out);
        if (doc && docSections && partial && !quick) {
            r.table.writeDocSections(only);
        } else if (doc && !partial && !quick) {
            r.table.writeDoc(table, only);
        } else {
            System.err.println(ResultsTable.DOC + " not changed (only full runs without --quick write it; --only with --doc-sections)");
        }
        if (!r.failed.isEmpty()) {
            System.err.println("FAILED: " + r.failed);
            System.exit(1);
        }
    }

    // ------------------------------------------------------------------ orchestration

    private void run(Set<String> sections) throws Exception {
        String serverJava = java25 != null ? java25 : java17;
        Process server = new ProcessBuilder(serverJava, "-cp", classes, "io.emfileguard.bench.LoopbackServer", "40")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            if (line == null || !line.startsWith("PORTS ")) {
                throw new IllegalStateException("server did not start: " + line);
            }
            ports = new LinkedHashMap<>();
            for (String kv : line.substring(6).split(" ")) {
                String[] p = kv.split("=");
                if (p[1].matches("\\d+")) {
                    ports.put(p[0], Integer.parseInt(p[1]));
                }
            }
            for (String s : sections) {
                loads.put(s, loadAverage());
                long t0 = System.nanoTime();
                log("=== " + s + " (load average " + loads.get(s) + ")");
                switch (s) {
                    case "startup": startup(); break;
                    case "gate": gate(); break;
                    case "connect": connect(); break;
                    case "io": io(); break;
                    case "wake": wake(); break;
                    case "storm": storm(); break;
                    case "scale": scale(); break;
                    case "fanout": new FanOutBench(root, java17, quick, rows, notes).run(); break;
                    case "soak": soak(); break;
                    default: throw new IllegalArgumentException(s);
                }
                log("=== " + s + " done in " + fmt((System.nanoTime() - t0) / 1e9, 0) + " s");
            }
            loads.put("end", loadAverage());
        } finally {
            OutputStream in = server.getOutputStream();
            in.close(); // the server exits when its stdin closes
            if (!server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    // ------------------------------------------------------------------ 1. start-up

    /** Start-up: plain JVM / empty agent / emfile-guard, fresh JVMs under /usr/bin/time (see {@link StartupBench}). */
    private void startup() throws Exception {
        new StartupBench(root, java17, java25, agentJar, classes, ports.get("accept"), quick, rows, notes).run();
    }

    // ------------------------------------------------------------------ 2. gate fast path (JMH)

    private void gate() throws Exception {
        int rounds = quick ? 1 : 3;
        Map<String, List<Double>> scores = new LinkedHashMap<>();
        List<Double> ratioCounter = new ArrayList<>();
        List<Double> ratioSemaphore = new ArrayList<>();
        Path csv = root.resolve("benchmarks/target/jmh.csv");
        for (int r = 0; r < rounds; r++) {
            List<String> cmd = new ArrayList<>(Arrays.asList(java17, "-cp", classes + File.pathSeparator + libCp,
                    "org.openjdk.jmh.Main", "io.emfileguard.bench.jmh.",
                    "-f", "1", "-wi", "1", "-w", "1s", "-i", "2", "-r", "1s",
                    "-rf", "csv", "-rff", csv.toString()));
            Child.run(cmd, 600, false).check(cmd);
            Map<String, Double> round = new LinkedHashMap<>();
            List<String> lines = Files.readAllLines(csv);
            for (String l : lines.subList(1, lines.size())) {
                String[] f = l.split(",");
                String name = f[0].replace("\"", "");
                name = name.substring(name.lastIndexOf('.') + 1);
                double score = Double.parseDouble(f[4].replace("\"", ""));
                round.put(name, score);
                scores.computeIfAbsent(name, k -> new ArrayList<>()).add(score);
            }
            ratioCounter.add(round.get("gateFastPath") / round.get("counter"));
            ratioSemaphore.add(round.get("gateFastPath") / round.get("fairSemaphore"));
            log("JMH round " + r + ": " + round);
        }
        double fast = Stats.median(scores.get("gateFastPath"));
        double viaAcquire = Stats.median(scores.get("gateAcquire"));
        String setup = "JDK 17, JMH 1.37, " + rounds + " rounds × (1 fork, 1 + 2 × 1 s warm-up + measure), 1 thread";
        rows.add(new ResultsTable.Row("2", "Gate fast path: uncontended acquire + release", setup,
                "`tryAcquireFast`+`release` " + fmt(fast, 1) + " ns; via `acquire(true)` " + fmt(viaAcquire, 1) + " ns",
                "counter (get, CAS, decrement) " + fmt(Stats.median(scores.get("counter")), 1) + " ns; fair `Semaphore` "
                        + fmt(Stats.median(scores.get("fairSemaphore")), 1) + " ns",
                "×" + fmt(Stats.median(ratioCounter), 2) + " of the counter, ×" + fmt(Stats.median(ratioSemaphore), 2)
                        + " of the semaphore",
                "≤ 20 ns", Math.max(fast, viaAcquire) <= 20 ? "yes" : "no: +" + fmt(Math.max(fast, viaAcquire) - 20, 1)
                        + " ns over", "`--only gate`"));
        rows.add(new ResultsTable.Row("3", "Per-I/O stamp in-process: `SocketRegistry.touch` (100 sockets tracked)", setup,
                fmt(Stats.median(scores.get("touch")), 1) + " ns per read/write", "no stamp: 0 ns", "+"
                        + fmt(Stats.median(scores.get("touch")), 1) + " ns per read/write", "(no target; see the I/O rows)",
                "—", "`--only gate`"));
        rows.add(new ResultsTable.Row("3", "Per-connect bookkeeping in-process: gate + track + stamp + release", setup,
                fmt(Stats.median(scores.get("connectBookkeeping")), 1) + " ns per connect + close",
                "no agent: 0 ns", "+" + fmt(Stats.median(scores.get("connectBookkeeping")), 1)
                        + " ns per connect (compare with the µs of a connect below)", "(no target; see the per-connect row)",
                "—", "`--only gate`"));
        log(rows.get(rows.size() - 3) + "\n" + rows.get(rows.size() - 2) + "\n" + rows.get(rows.size() - 1));
    }

    // ------------------------------------------------------------------ 3. per-connect and per-I/O

    /**
     * Starts a plain and an agent JVM of the same interactive program (one after the other, so their
     * warm-ups do not overlap), then asks them for batches in alternating order (AB BA AB ...).
     * @return per batch pair: {plain fields..., agent fields...}
     */
    private List<double[][]> interleaved(List<String> programArgs, int jvmPairs, int batchPairs) throws Exception {
        List<double[][]> pairs = new ArrayList<>();
        for (int j = 0; j < jvmPairs; j++) {
            List<String> plainCmd = new ArrayList<>(Arrays.asList(java17, "-cp", classes));
            List<String> agentCmd = new ArrayList<>(Arrays.asList(java17, "-javaagent:" + agentJar, "-cp", classes));
            plainCmd.addAll(programArgs);
            agentCmd.addAll(programArgs);
            boolean agentFirst = j % 2 == 1;
            try (Interactive first = new Interactive(agentFirst ? agentCmd : plainCmd)) {
                first.await("READY", 120);
                try (Interactive second = new Interactive(agentFirst ? plainCmd : agentCmd)) {
                    second.await("READY", 120);
                    Interactive plain = agentFirst ? second : first;
                    Interactive agent = agentFirst ? first : second;
                    for (int k = 0; k < batchPairs; k++) {
                        String[] pv;
                        String[] av;
                        if (k % 2 == 0) {
                            pv = plain.call("RUN", "BATCH", 120);
                            av = agent.call("RUN", "BATCH", 120);
                        } else {
                            av = agent.call("RUN", "BATCH", 120);
                            pv = plain.call("RUN", "BATCH", 120);
                        }
                        pairs.add(new double[][] {parse(pv), parse(av)});
                    }
                }
            }
            log(programArgs.get(0) + ": JVM pair " + j + " done");
        }
        return pairs;
    }

    private static double[] parse(String[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = Double.parseDouble(f[i]);
        }
        return d;
    }

    private static List<Double> column(List<double[][]> pairs, int side, int field) {
        List<Double> v = new ArrayList<>();
        for (double[][] p : pairs) {
            v.add(p[side][field]);
        }
        return v;
    }

    private static List<Double> ratios(List<double[][]> pairs, int field) {
        List<Double> v = new ArrayList<>();
        for (double[][] p : pairs) {
            v.add(p[1][field] / p[0][field]);
        }
        return v;
    }

    private static List<Double> diffs(List<double[][]> pairs, int field) {
        List<Double> v = new ArrayList<>();
        for (double[][] p : pairs) {
            v.add(p[1][field] - p[0][field]);
        }
        return v;
    }

    private static String ratioCell(List<Double> r) {
        return "×" + fmt(Stats.median(r), 3) + " (" + fmt(Stats.min(r), 3) + ".." + fmt(Stats.max(r), 3) + ")";
    }

    private void connect() throws Exception {
        int jvmPairs = quick ? 1 : 3;
        // 60 pairs per JVM pair: one batch pair varies x0.6..x1.5 on this VM, so the median of 48
        // pairs moved by +-3 points from run to run, wider than the x1.02 it is compared with.
        int batchPairs = quick ? 6 : 60;
        int perBatch = quick ? 1500 : 3000;
        List<double[][]> pairs = interleaved(Arrays.asList("io.emfileguard.bench.ConnectLoop",
                String.valueOf(ports.get("accept")), "1000", String.valueOf(perBatch)), jvmPairs, batchPairs);
        List<Double> wall = ratios(pairs, 0);
        List<Double> cpu = ratios(pairs, 1);
        double ratio = Stats.median(wall);
        rows.add(new ResultsTable.Row("3", "Per-connect: loopback connect + close loop (separate JVMs)",
                "JDK 17, " + jvmPairs + " JVM pairs × " + batchPairs + " alternating batch pairs of " + fmtInt(perBatch)
                        + " connects, after ≥ 1 s and ≥ 10,000 connects of warm-up",
                fmt(Stats.median(column(pairs, 1, 0)) / 1000, 1) + " µs/connect (thread CPU "
                        + fmt(Stats.median(column(pairs, 1, 1)) / 1000, 1) + " µs)",
                "no agent " + fmt(Stats.median(column(pairs, 0, 0)) / 1000, 1) + " µs/connect (thread CPU "
                        + fmt(Stats.median(column(pairs, 0, 1)) / 1000, 1) + " µs)",
                "**" + ratioCell(wall) + "**; thread CPU " + ratioCell(cpu),
                "≤ ×1.02", ratio <= 1.02 ? "yes" : "no: +" + fmt((ratio - 1.02) * 100, 1) + " points over",
                "`--only connect`"));
        log(rows.get(rows.size() - 1).toString());
        notes.add("Per-connect and per-I/O: a plain and an agent JVM run side by side (idle while the other "
                + "measures); the runner alternates their batches (AB BA AB ...) so that slow drifts in the "
                + "machine's load hit both alike; ratio = median of the per-batch-pair ratios, range in brackets. "
                + "The client sets `SO_LINGER 0` (close sends a reset, so no TIME_WAIT exhausts ephemeral ports); "
                + "the servers are a separate JVM. Thread CPU = CPU time of the connecting thread. A loopback "
                + "connect costs ~100 µs in this VM; the agent's own work per connect is the in-process "
                + "bookkeeping row.");
    }

    private void io() throws Exception {
        int jvmPairs = quick ? 1 : 3;
        int batchPairs = quick ? 6 : 16;
        int perBatch = quick ? 20_000 : 50_000;
        List<double[][]> pairs = interleaved(Arrays.asList("io.emfileguard.bench.IoLoop",
                String.valueOf(ports.get("sink")), String.valueOf(ports.get("source")), "1000",
                String.valueOf(perBatch)), jvmPairs, batchPairs);
        String setup = "JDK 17, " + jvmPairs + " JVM pairs × " + batchPairs + " alternating batch pairs of "
                + fmtInt(perBatch) + " 64-byte ops";
        String[] names = {"write", "read"};
        for (int f = 0; f < 2; f++) {
            rows.add(new ResultsTable.Row("3", "Per-I/O: 64-byte " + names[f] + "s on one loopback socket", setup,
                    fmt(Stats.median(column(pairs, 1, f)), 0) + " ns/" + names[f],
                    "no agent " + fmt(Stats.median(column(pairs, 0, f)), 0) + " ns/" + names[f],
                    ratioCell(ratios(pairs, f)) + ", " + signed(Stats.median(diffs(pairs, f)), 0) + " ns/" + names[f],
                    "(reported)", "—", "`--only io`"));
            log(rows.get(rows.size() - 1).toString());
        }
    }

    // ------------------------------------------------------------------ 4. wake latency

    private void wake() throws Exception {
        int rounds = quick ? 1 : 2;
        int samples = quick ? 300 : 1000;
        int fieldSamples = quick ? 30 : 80;
        List<String[]> jdks = new ArrayList<>();
        jdks.add(new String[] {"17", java17, "platform"});
        if (java25 != null) {
            jdks.add(new String[] {"25", java25, "platform"});
            jdks.add(new String[] {"25", java25, "virtual"});
        }
        for (String[] jdk : jdks) {
            Map<String, List<Double>> p50 = new LinkedHashMap<>();
            Map<String, List<Double>> p99 = new LinkedHashMap<>();
            List<String> kinds = new ArrayList<>(Arrays.asList("gate", "ideal", "field"));
            for (int r = 0; r < rounds; r++) {
                List<String> order = new ArrayList<>(kinds);
                if (r % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (String kind : order) {
                    if (kind.equals("field") && r > 0) {
                        continue; // 100 ms phases: one run of 120 samples is plenty
                    }
                    boolean f = kind.equals("field");
                    List<String> cmd = Arrays.asList(jdk[1], "-cp", classes + File.pathSeparator + libCp,
                            "io.emfileguard.bench.WakeLatency", kind, String.valueOf(f ? fieldSamples : samples),
                            f ? "100000" : "2000", jdk[2]);
                    String[] res = Child.run(cmd, 300, false).check(cmd).line("RESULT");
                    p50.computeIfAbsent(kind, k -> new ArrayList<>()).add(Double.parseDouble(res[0]) / 1000);
                    p99.computeIfAbsent(kind, k -> new ArrayList<>()).add(Double.parseDouble(res[1]) / 1000);
                    log("wake " + jdk[0] + " " + jdk[2] + " " + kind + ": p50 " + fmt(Double.parseDouble(res[0]) / 1000, 1) + " µs, p99 "
                            + fmt(Double.parseDouble(res[1]) / 1000, 1) + " µs");
                }
            }
            double g50 = Stats.median(p50.get("gate"));
            double g99 = Stats.median(p99.get("gate"));
            double f50 = Stats.median(p50.get("field"));
            double f99 = Stats.median(p99.get("field"));
            boolean met = g50 <= 50 && g99 <= 1000;
            rows.add(new ResultsTable.Row("4", "Wake latency: release → waiter running (cap 1)",
                    "JDK " + jdk[0] + ", " + jdk[2] + " threads, " + rounds + "×" + samples + " samples (field: "
                            + fieldSamples + ")",
                    "p50 **" + fmt(g50, 1) + " µs**, p99 **" + fmt(g99, 1) + " µs**",
                    "counter + 100 ms sleep: p50 " + fmt(f50 / 1000, 1) + " ms, p99 " + fmt(f99 / 1000, 1)
                            + " ms; fair `Semaphore`: p50 " + fmt(Stats.median(p50.get("ideal")), 1) + " µs, p99 "
                            + fmt(Stats.median(p99.get("ideal")), 1) + " µs",
                    "p50 ×1/" + fmt(f50 / g50, 0) + " of the sleep loop; ×" + fmt(g50 / Stats.median(p50.get("ideal")), 2)
                            + " of the semaphore",
                    "p50 ≤ 50 µs, p99 ≤ 1 ms",
                    met ? "yes" : "no: " + (g50 > 50 ? "p50 +" + fmt(g50 - 50, 1) + " µs over " : "")
                            + (g99 > 1000 ? "p99 +" + fmt(g99 - 1000, 0) + " µs over" : ""),
                    "`--only wake`"));
            log(rows.get(rows.size() - 1).toString());
        }
        notes.add("Wake latency: the release comes a random delay after the waiter parked: uniform in [0, 2 ms) for "
                + "the gate and the semaphore (their latency does not depend on the phase), [0, 100 ms) for the "
                + "sleep loop (its latency is the rest of the current 100 ms sleep, so p50 ≈ 50 ms; a release that "
                + "comes right after a waiter arrived, as in a storm, costs it ~100 ms).");
    }

    // ------------------------------------------------------------------ 5. storm

    private void storm() throws Exception {
        if (java25 == null) {
            notes.add("Storm: skipped (needs JDK 25 for virtual threads).");
            return;
        }
        int rounds = quick ? 1 : 3;
        int[] caps = {100, 500};
        int[] latencies = {20, 200, 2000};
        int[] repsPerLatency = quick ? new int[] {1, 1, 1} : new int[] {5, 3, 1};
        String[] kinds = {"agent", "field", "ideal"};
        for (int cap : caps) {
            int n = 4 * cap;
            // [latency index][kind] -> per-round medians
            Map<String, List<Double>> completion = new LinkedHashMap<>();
            Map<String, List<Double>> p99 = new LinkedHashMap<>();
            Map<String, List<Double>> cpu = new LinkedHashMap<>();
            int[] peakAgent = new int[latencies.length];
            int[] errors = new int[latencies.length];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < kinds.length; k++) {
                    String kind = kinds[(k + r) % kinds.length];
                    List<String> cmd = new ArrayList<>();
                    cmd.add(java25);
                    if (kind.equals("agent")) {
                        cmd.add("-javaagent:" + agentJar);
                        cmd.add("-Demfileguard.max.sockets=" + cap);
                    }
                    cmd.addAll(Arrays.asList("-cp", classes, "io.emfileguard.bench.Storm", kind, String.valueOf(cap),
                            String.valueOf(n), join(latencies), join(repsPerLatency),
                            String.valueOf(ports.get("storm"))));
                    Child c = Child.run(cmd, 900, false).check(cmd);
                    for (int l = 0; l < latencies.length; l++) {
                        List<Double> comp = new ArrayList<>();
                        List<Double> w99 = new ArrayList<>();
                        List<Double> cpuMs = new ArrayList<>();
                        for (String[] rep : c.lines("REP")) {
                            if (Integer.parseInt(rep[0]) != latencies[l]) {
                                continue;
                            }
                            comp.add(Double.parseDouble(rep[1]));
                            w99.add(Double.parseDouble(rep[3]));
                            int peak = Integer.parseInt(rep[4]);
                            errors[l] += Integer.parseInt(rep[5]);
                            cpuMs.add(Double.parseDouble(rep[6]));
                            if (peak > cap) {
                                throw new IllegalStateException(kind + ": " + peak + " connected at once, cap " + cap);
                            }
                            if (kind.equals("agent")) {
                                peakAgent[l] = Math.max(peakAgent[l], peak);
                            }
                        }
                        String key = l + "/" + kind;
                        completion.computeIfAbsent(key, x -> new ArrayList<>()).add(Stats.median(comp));
                        p99.computeIfAbsent(key, x -> new ArrayList<>()).add(Stats.median(w99));
                        cpu.computeIfAbsent(key, x -> new ArrayList<>()).add(Stats.median(cpuMs));
                    }
                    log("storm C=" + cap + " " + kind + " round " + r + " done");
                }
            }
            for (int l = 0; l < latencies.length; l++) {
                List<Double> ratioAgent = new ArrayList<>();
                List<Double> ratioField = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    double ideal = completion.get(l + "/ideal").get(r);
                    ratioAgent.add(completion.get(l + "/agent").get(r) / ideal);
                    ratioField.add(completion.get(l + "/field").get(r) / ideal);
                }
                double ra = Stats.median(ratioAgent);
                int latency = latencies[l];
                rows.add(new ResultsTable.Row("5", "Storm: N=" + fmtInt(n) + ", C=" + cap + ", L="
                                + (latency >= 1000 ? latency / 1000 + " s" : latency + " ms"),
                        "JDK 25, virtual threads, " + rounds + " rounds × " + repsPerLatency[l] + " storm"
                                + (repsPerLatency[l] > 1 ? "s" : "") + " after 10 warm-up storms",
                        "done in " + fmt(med(completion, l, "agent"), 0) + " ms; p99 wait " + fmt(med(p99, l, "agent"), 0)
                                + " ms; CPU " + fmt(med(cpu, l, "agent"), 0) + " ms; peak " + peakAgent[l] + " connected",
                        "semaphore " + fmt(med(completion, l, "ideal"), 0) + " ms, p99 wait " + fmt(med(p99, l, "ideal"), 0)
                                + " ms, CPU " + fmt(med(cpu, l, "ideal"), 0) + " ms; counter+sleep "
                                + fmt(med(completion, l, "field"), 0) + " ms, p99 wait " + fmt(med(p99, l, "field"), 0)
                                + " ms, CPU " + fmt(med(cpu, l, "field"), 0) + " ms",
                        "**" + ratioCell(ratioAgent) + "** of the semaphore; counter+sleep ×"
                                + fmt(Stats.median(ratioField), 2),
                        "≤ ×1.05", (ra <= 1.05 ? "yes" : "no: +" + fmt((ra - 1.05) * 100, 1) + " points over")
                                + (errors[l] > 0 ? " (" + errors[l] + " request errors)" : ""),
                        "`--only storm`"));
                log(rows.get(rows.size() - 1).toString());
            }
        }
        for (int cap : caps) {
            List<String> cmd = Arrays.asList(java25, "-cp", classes + File.pathSeparator + libCp,
                    "io.emfileguard.bench.GateStorm", String.valueOf(cap), "20", "20", quick ? "3" : "8");
            Child c = Child.run(cmd, 300, false).check(cmd);
            List<Double> ratio = new ArrayList<>();
            List<Double> g = new ArrayList<>();
            List<Double> sem = new ArrayList<>();
            List<Double> cpuRatio = new ArrayList<>();
            for (String[] pr : c.lines("PAIR")) {
                g.add(Double.parseDouble(pr[0]));
                sem.add(Double.parseDouble(pr[1]));
                ratio.add(Double.parseDouble(pr[0]) / Double.parseDouble(pr[1]));
                cpuRatio.add(Double.parseDouble(pr[2]) / Double.parseDouble(pr[3]));
            }
            rows.add(new ResultsTable.Row("5", "Storm in-process, no sockets: N=" + fmtInt(4 * cap) + ", C=" + cap
                            + ", L=20 ms + 2×20 µs CPU", "JDK 25, virtual threads, " + ratio.size()
                            + " alternating pairs in one JVM after 4 warm-up pairs",
                    "gate " + fmt(Stats.median(g), 0) + " ms", "fair semaphore " + fmt(Stats.median(sem), 0) + " ms",
                    ratioCell(ratio) + "; CPU " + ratioCell(cpuRatio), "(diagnostic: the gate alone)", "—",
                    "`--only storm`"));
            log(rows.get(rows.size() - 1).toString());
        }
        notes.add("Storm: all N requests start at once on virtual threads; each connects, sends L, the server (its "
                + "own JVM) answers after L and closes. Wait = request start → connected; CPU = the client JVM's "
                + "process CPU time during the storm. One client JVM per variant and C: 10 warm-up storms (N "
                + "requests, L = 20 ms), then 5, 3 and 1 measured storms at L = 20 ms, 200 ms and 2 s (median "
                + "taken). The three variants run in rotating order each round; ratio = median of the per-round "
                + "ratios, range in brackets. The agent variant has no limiter in code: `-javaagent` with "
                + "`-Demfileguard.max.sockets=C`.");
    }

    private static double med(Map<String, List<Double>> m, int l, String kind) {
        return Stats.median(m.get(l + "/" + kind));
    }

    private static String join(int[] values) {
        StringBuilder sb = new StringBuilder();
        for (int v : values) {
            sb.append(sb.length() == 0 ? "" : ",").append(v);
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ 6. scale

    private void scale() throws Exception {
        if (java25 == null) {
            notes.add("Scale: skipped (needs JDK 25 for virtual threads).");
            return;
        }
        int waiters = 10_000;
        int quiet = quick ? 2 : 3;
        Map<String, String[]> res = new LinkedHashMap<>();
        String[][] variants = {{"idle", "idle", "0"}, {"gate", "gate", "100"}, {"gate-hold-1s", "gate", "1000"}, {"gate-hold-60s", "gate", "60000"},
                {"field", "field", "20"}, {"ideal", "ideal", "100"}};
        for (String[] v : variants) {
            List<String> cmd = new ArrayList<>(Arrays.asList(java25, "-cp", classes + File.pathSeparator + libCp,
                    "io.emfileguard.bench.ScaleWaiters", v[1], String.valueOf(waiters),
                    v[0].equals("field") ? "20" : "100", String.valueOf(quiet)));
            if (v[1].equals("gate")) {
                cmd.add(v[2]);
            }
            String[] r = Child.run(cmd, 300, false).check(cmd).line("RESULT");
            res.put(v[0], r);
            log("scale " + v[0] + ": " + String.join(" ", r));
        }
        String[] g = res.get("gate");
        String[] g60 = res.get("gate-hold-60s");
        String[] f = res.get("field");
        String[] s = res.get("ideal");
        double idle = Double.parseDouble(res.get("idle")[1]);
        double gateCpu = Double.parseDouble(g[1]) - idle;
        double g60Cpu = Double.parseDouble(g60[1]) - idle;
        boolean oneEach = g[8].equals("one-per-release") && g60[8].equals("one-per-release")
                && g[4].equals(g[3]) && g60[4].equals(g60[3]) && Long.parseLong(g60[6]) <= Long.parseLong(g60[3]);
        String setup = "JDK 25, " + fmtInt(waiters) + " virtual threads parked at cap 1, " + quiet
                + " quiet " + ScaleWaiters.WINDOW_MILLIS / 1000 + " s windows, then one-by-one releases";
        rows.add(new ResultsTable.Row("6", "Scale: releases wake one waiter each", setup,
                g[3] + " releases → " + g[4] + " proceeded, " + g[5] + " still queued; with slices off "
                        + "(hold.millis=60000): " + g60[3] + " → " + g60[4] + ", " + g60[6] + " non-grant wake-ups "
                        + "(at most the one waiter each release moves into the front, which does the per-slice work)",
                "counter + sleep: " + f[3] + " releases → " + f[4] + " proceeded, but every waiter re-checks each "
                        + "100 ms (" + fmtInt(Double.parseDouble(f[2])) + " wake-ups/s)",
                "1 waiter per release (median release → proceeded " + g[7] + " ms; semaphore " + s[7] + " ms)",
                "1 per release, no herd (≤ 1 other wake-up per release)", oneEach ? "yes" : "no", "`--only scale`"));
        rows.add(new ResultsTable.Row("6", "Scale: CPU while 10,000 wait and nothing is released", setup,
                "hold.millis=100 (default): **" + fmt(gateCpu, 1) + " ms CPU/s** (" + fmtInt(Double.parseDouble(g[2]))
                        + " slice wake-ups/s); hold.millis=1000: " + fmt(Double.parseDouble(res.get("gate-hold-1s")[1]) - idle, 1)
                        + " ms CPU/s; hold.millis=60000: " + fmt(g60Cpu, 1) + " ms CPU/s",
                "counter + sleep " + fmt(Double.parseDouble(f[1]) - idle, 1) + " ms CPU/s; fair `Semaphore` "
                        + fmt(Double.parseDouble(s[1]) - idle, 1) + " ms CPU/s",
                "above an idle JVM (" + fmt(idle, 1) + " ms CPU/s)", "≈ 0 (≤ 10 ms CPU/s, 1% of a core)",
                gateCpu <= 10 ? "yes" : "no: +" + fmt(gateCpu - 10, 0) + " ms CPU/s over", "`--only scale`"));
        log(rows.get(rows.size() - 2) + "\n" + rows.get(rows.size() - 1));
        notes.add("Scale: waiters keep their unit once admitted, so each release frees exactly one slot; after each "
                + "release the runner waits for one waiter to proceed, then 1 ms more to catch a second one. Non-grant "
                + "wake-ups are counted through the gate's slice task (it runs on every wake-up that was not a grant). "
                + "CPU = process CPU time (OperatingSystemMXBean, in 10 ms clock ticks) over " + ScaleWaiters.WINDOW_MILLIS / 1000
                + " s windows, median, minus an idle JVM's.");
    }

    // ------------------------------------------------------------------ 7. soak

    /** The soak's cap, and the bounds it must stay within (see {@link Soak}). */
    static final int SOAK_CAP = 100;
    static final double SOAK_HEAP_BOUND_MIB = 8;
    static final int SOAK_THREAD_BOUND = 10;

    /**
     * Ten minutes ({@code --quick}: one) of mixed clients at and around the cap in one JVM with the
     * agent ({@link Soak}): the count, the registry and the kernel's sockets must be back at their
     * baseline at the end, heap after GC and threads flat, no EMFILE and no wait into max.wait.
     */
    private void soak() throws Exception {
        int seconds = quick ? 60 : 600;
        int sampleSeconds = 10;
        int cycleSeconds = quick ? 20 : 60; // the last third of each cycle is a burst
        List<String> cmd = new ArrayList<>(Arrays.asList("prlimit", "--nofile=1024:1024", java17,
                "-javaagent:" + agentJar, "-Demfileguard.max.sockets=" + SOAK_CAP, "-Dhttp.maxConnections=1000",
                "-Djdk.httpclient.keepalive.timeout=3", "-cp", classes, "io.emfileguard.bench.Soak",
                String.valueOf(ports.get("http")), String.valueOf(ports.get("storm")), String.valueOf(ports.get("accept")),
                String.valueOf(seconds), String.valueOf(sampleSeconds), String.valueOf(cycleSeconds)));
        Child c = Child.run(cmd, seconds + 600, false).check(cmd);
        for (String l : c.stdout.split("\n")) {
            if (l.startsWith("SAMPLE ") || l.startsWith("BASE ") || l.startsWith("END ") || l.startsWith("OPS ")
                    || l.startsWith("UNEXPECTED ") || l.startsWith("NOTE ")) {
                log("soak " + l);
            }
        }
        Map<String, String> base = values(c.stdout, "BASE ");
        Map<String, String> end = values(c.stdout, "END ");
        List<Map<String, String>> samples = new ArrayList<>();
        for (String l : c.stdout.split("\n")) {
            if (l.startsWith("SAMPLE ")) {
                samples.add(kv(l));
            }
        }
        if (samples.size() < 4) {
            throw new IllegalStateException("the soak printed " + samples.size() + " samples:\n" + c.stdout + c.stderr);
        }
        long ops = 0;
        long expected = 0;
        long unexpected = 0;
        long emfile = 0;
        StringBuilder perKind = new StringBuilder();
        for (String l : c.stdout.split("\n")) {
            if (l.startsWith("OPS ")) {
                Map<String, String> o = kv(l);
                ops += num(o, "ok");
                expected += num(o, "expected");
                unexpected += num(o, "unexpected");
                emfile += num(o, "emfile");
                perKind.append(perKind.length() == 0 ? "" : ", ").append(o.get("kind")).append(' ')
                        .append(fmtInt(num(o, "ok") + num(o, "expected")));
            }
        }
        // Heap after GC and threads: the most of each load cycle (a steady part, then a burst), the
        // second cycle (the first warms up: JIT, class loading, pools filling) against the last.
        int lastCycle = (int) num(samples.get(samples.size() - 1), "cycle");
        double[] heapOfCycle = new double[lastCycle + 1];
        int[] threadsOfCycle = new int[lastCycle + 1];
        for (Map<String, String> sm : samples) {
            int cy = (int) num(sm, "cycle");
            heapOfCycle[cy] = Math.max(heapOfCycle[cy], num(sm, "heapKiB") / 1024.0);
            threadsOfCycle[cy] = Math.max(threadsOfCycle[cy], (int) num(sm, "threads"));
        }
        double heapFirst = heapOfCycle[Math.min(1, lastCycle)];
        double heapLast = heapOfCycle[lastCycle];
        int threadsFirst = threadsOfCycle[Math.min(1, lastCycle)];
        int threadsLast = threadsOfCycle[lastCycle];
        double cycleHeapMin = Double.MAX_VALUE;
        double cycleHeapMax = 0;
        for (int cy = Math.min(1, lastCycle); cy <= lastCycle; cy++) {
            cycleHeapMin = Math.min(cycleHeapMin, heapOfCycle[cy]);
            cycleHeapMax = Math.max(cycleHeapMax, heapOfCycle[cy]);
        }
        double heapMin = Double.MAX_VALUE;
        double heapMax = 0;
        long maxDiff = 0;
        long kernelMax = 0;
        List<Double> cpu = new ArrayList<>();
        for (Map<String, String> sm : samples) {
            double h = num(sm, "heapKiB") / 1024.0;
            heapMin = Math.min(heapMin, h);
            heapMax = Math.max(heapMax, h);
            maxDiff = Math.max(maxDiff, Math.abs(num(sm, "open") - num(sm, "kernel")));
            kernelMax = Math.max(kernelMax, num(sm, "kernel"));
            cpu.add((double) num(sm, "cpuPct"));
        }
        double heapGrowth = heapLast - heapFirst;
        int threadGrowth = threadsLast - threadsFirst;
        boolean atBaseline = end.get("open").equals(base.get("open")) && end.get("tracked").equals(base.get("tracked"))
                && end.get("kernel").equals(base.get("kernel")) && num(end, "waiting") == 0;
        List<String> misses = new ArrayList<>();
        if (!atBaseline) {
            misses.add("not back at the baseline (open/tracked/kernel " + end.get("open") + "/" + end.get("tracked") + "/"
                    + end.get("kernel") + ", baseline " + base.get("open") + "/" + base.get("tracked") + "/"
                    + base.get("kernel") + ", waiting " + end.get("waiting") + ")");
        }
        if (heapGrowth > SOAK_HEAP_BOUND_MIB) {
            misses.add("heap +" + fmt(heapGrowth, 1) + " MiB");
        }
        if (threadGrowth > SOAK_THREAD_BOUND) {
            misses.add("threads +" + threadGrowth);
        }
        if (emfile > 0) {
            misses.add(emfile + " EMFILE");
        }
        if (num(end, "timeouts") > 0) {
            misses.add(end.get("timeouts") + " waits into max.wait.millis");
        }
        if (unexpected > ops / 1000) {
            misses.add(unexpected + " unexpected failures (over 0.1%)");
        }
        if (!misses.isEmpty()) {
            failed.add("soak: " + String.join("; ", misses));
        }
        double minutes = seconds / 60.0;
        java.util.regex.Matcher jdk = java.util.regex.Pattern.compile("\\((\\d+[.\\d]*)").matcher(ResultsTable.version(java17));
        String setup = "JDK " + (jdk.find() ? jdk.group(1) : "17") + ", cap " + SOAK_CAP + ", `prlimit --nofile=1024`, "
                + fmt(minutes, 0) + " min in " + cycleSeconds + " s cycles; " + Soak.BLOCKING + " blocking `Socket` + "
                + Soak.POOLED + " pooled `HttpURLConnection` loops (1-40 ms), 2 `HttpClient`s with " + Soak.IN_FLIGHT
                + " `sendAsync` in flight (15% timeouts, 15% cancels), 2 sockets/s dropped unclosed, and in the last "
                + "third of each cycle " + Soak.BURST + " more pooled loops (100-300 ms); a sample (forced GC) every "
                + sampleSeconds + " s";
        rows.add(new ResultsTable.Row("7", "Soak: mixed clients at and around the cap, " + fmt(minutes, 0) + " min", setup,
                fmtInt(ops + expected) + " ops (" + fmtInt((ops + expected) / (double) seconds) + "/s: " + perKind
                        + "), " + unexpected + " unexpected failures, " + emfile + " EMFILE; end (after "
                        + fmt(num(end, "settledMs") / 1000.0, 1) + " s idle): OpenSockets " + end.get("open")
                        + ", TrackedSockets " + end.get("tracked") + ", kernel " + end.get("kernel") + " (baseline "
                        + base.get("open") + "/" + base.get("tracked") + "/" + base.get("kernel") + "); heap after GC, "
                        + "most per cycle: " + fmt(heapFirst, 1) + " MiB (cycle 2) → " + fmt(heapLast, 1) + " MiB (cycle "
                        + (lastCycle + 1) + "), all cycles " + fmt(cycleHeapMin, 1) + "-" + fmt(cycleHeapMax, 1)
                        + " MiB (samples " + fmt(heapMin, 1) + "-" + fmt(heapMax, 1) + "); threads, most per cycle: "
                        + threadsFirst + " → " + threadsLast
                        + "; CPU " + fmt(Stats.median(cpu), 0) + "% of a core; " + end.get("waits") + " waits, "
                        + end.get("reclaimed") + " reclaimed, " + end.get("collected") + " collected, "
                        + end.get("overCap") + " over the cap, " + end.get("timeouts") + " waits into max.wait",
                "(none: the agent's own count against the kernel's: |OpenSockets − TCP descriptors| ≤ " + maxDiff
                        + " at the samples under load, peak " + kernelMax + " TCP descriptors)",
                "heap " + signed(heapGrowth, 1) + " MiB, threads " + (threadGrowth >= 0 ? "+" : "") + threadGrowth
                        + " (cycle 2 → cycle " + (lastCycle + 1) + ")",
                "count, registry and kernel at the baseline; heap ≤ +" + fmt(SOAK_HEAP_BOUND_MIB, 0) + " MiB, threads ≤ +"
                        + SOAK_THREAD_BOUND + "; no EMFILE, no wait into max.wait",
                misses.isEmpty() ? "yes" : "no: " + String.join("; ", misses), "`--only soak`"));
        log(rows.get(rows.size() - 1).toString());
        notes.add("Soak: one JVM with the agent runs every client at once against the loopback server for the whole "
                + "time; the keep-alive pools hold idle connections after each burst, which the agent reclaims for "
                + "the callers waiting at the cap. Each sample forces a GC (heap after it; the dropped sockets' "
                + "descriptors are closed by the JDK's Cleaner then) and reads the MBean (OpenSockets, TrackedSockets: "
                + "the registry's size) and `/proc/self/fd` (TCP socket descriptors). At the end the workers stop, the "
                + "pools idle out (keep-alive 5 s, `jdk.httpclient.keepalive.timeout=3`) and the three counts must "
                + "equal the baseline taken before the load. Heap and threads: the most of each cycle, the second "
                + "cycle (the first warms up) against the last. Under load OpenSockets runs ahead of the kernel's "
                + "count by the units granted to threads whose socket does not exist yet (a waiter handed a "
                + "reclaimed socket's unit, a connect in progress).");
    }

    private static Map<String, String> kv(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String t : line.split(" ")) {
            int eq = t.indexOf('=');
            if (eq > 0) {
                m.put(t.substring(0, eq), t.substring(eq + 1));
            }
        }
        return m;
    }

    private static Map<String, String> values(String stdout, String prefix) {
        for (String l : stdout.split("\n")) {
            if (l.startsWith(prefix)) {
                return kv(l);
            }
        }
        throw new IllegalStateException("no " + prefix.trim() + " line in:\n" + stdout);
    }

    private static long num(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalStateException("no " + key + "= in " + m);
        }
        return Long.parseLong(v);
    }

    // ------------------------------------------------------------------ helpers


    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    static String signed(double v, int decimals) {
        return (v >= 0 ? "+" : "") + fmt(v, decimals);
    }

    static String fmtInt(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    static void log(String s) {
        System.err.println(java.time.LocalTime.now().withNano(0) + " " + s);
    }
}
