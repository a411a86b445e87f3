package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Section "gate": JMH measures, in one JVM without the agent, the gate's uncontended acquire + release
 * against a bare counter and a fair {@code Semaphore}, the per-read/write stamp ({@code SocketRegistry.touch})
 * and the whole per-connect bookkeeping (the benchmarks of {@code io.emfileguard.bench.jmh}).
 */
final class GateSection extends Section {
    void runBenchmarks() throws Exception {
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
        rows.add(new Row("2", "Gate fast path: uncontended acquire + release", setup,
                "`tryAcquireFast`+`release` " + fmt(fast, 1) + " ns; via `acquire(true)` " + fmt(viaAcquire, 1) + " ns",
                "counter (get, CAS, decrement) " + fmt(Stats.median(scores.get("counter")), 1) + " ns; fair `Semaphore` "
                        + fmt(Stats.median(scores.get("fairSemaphore")), 1) + " ns",
                "×" + fmt(Stats.median(ratioCounter), 2) + " of the counter, ×" + fmt(Stats.median(ratioSemaphore), 2)
                        + " of the semaphore",
                "≤ 20 ns", Math.max(fast, viaAcquire) <= 20 ? "yes" : "no: +" + fmt(Math.max(fast, viaAcquire) - 20, 1)
                        + " ns over", "`--only gate`"));
        rows.add(new Row("3", "Per-I/O stamp in-process: `SocketRegistry.touch` (100 sockets tracked)", setup,
                fmt(Stats.median(scores.get("touch")), 1) + " ns per read/write", "no stamp: 0 ns", "+"
                        + fmt(Stats.median(scores.get("touch")), 1) + " ns per read/write", "(no target; see the I/O rows)",
                "—", "`--only gate`"));
        rows.add(new Row("3", "Per-connect bookkeeping in-process: gate + track + stamp + release", setup,
                fmt(Stats.median(scores.get("connectBookkeeping")), 1) + " ns per connect + close",
                "no agent: 0 ns", "+" + fmt(Stats.median(scores.get("connectBookkeeping")), 1)
                        + " ns per connect (compare with the µs of a connect below)", "(no target; see the per-connect row)",
                "—", "`--only gate`"));
        log(rows.get(rows.size() - 3) + "\n" + rows.get(rows.size() - 2) + "\n" + rows.get(rows.size() - 1));
    }
}
