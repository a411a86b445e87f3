package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.util.Arrays;
import java.util.List;

/**
 * Section "connect": a loopback connect + close loop ({@link ConnectLoop}) in a plain and an agent JVM
 * side by side, alternating batches; wall and thread CPU per connect.
 */
final class ConnectSection extends Section {
    void runBenchmarks() throws Exception {
        // 60 pairs per JVM pair: one batch pair varies x0.6..x1.5 on this VM, so the median of 48
        // pairs moved by +-3 points from run to run, wider than the x1.02 it is compared with.
        int batchPairs = quick ? 6 : 60;
        int perBatch = quick ? 1500 : 3000;
        List<double[][]> pairs = interleaved(Arrays.asList("io.emfileguard.bench.ConnectLoop",
                String.valueOf(ports.get("accept")), "1000", String.valueOf(perBatch)), batchPairs);
        List<Double> wall = ratios(pairs, 0);
        List<Double> cpu = ratios(pairs, 1);
        double ratio = Stats.median(wall);
        double plainMicros = Stats.median(column(pairs, 0, 0)) / 1000;
        rows.add(new Row("3", "Per-connect: loopback connect + close loop (separate JVMs)",
                "JDK 17, " + jvmPairs() + " JVM pairs × " + batchPairs + " alternating batch pairs of "
                        + fmtInt(perBatch) + " connects, after ≥ 1 s and ≥ 10,000 connects of warm-up",
                fmt(Stats.median(column(pairs, 1, 0)) / 1000, 1) + " µs/connect (thread CPU "
                        + fmt(Stats.median(column(pairs, 1, 1)) / 1000, 1) + " µs)",
                "no agent " + fmt(plainMicros, 1) + " µs/connect (thread CPU "
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
                + "connect without the agent took " + fmt(plainMicros, 1) + " µs in this run (the per-connect row); "
                + "the agent's own work per connect is the in-process bookkeeping row.");
    }
}
