package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.util.Arrays;
import java.util.List;

/**
 * Section "io": 64-byte writes and reads on one loopback socket ({@link IoLoop}) in a plain and an agent
 * JVM side by side, alternating batches; time per write and per read.
 */
final class IoSection extends Section {
    void runBenchmarks() throws Exception {
        int batchPairs = quick ? 6 : 16;
        int perBatch = quick ? 20_000 : 50_000;
        List<double[][]> pairs = interleaved(Arrays.asList("io.emfileguard.bench.IoLoop",
                String.valueOf(ports.get("sink")), String.valueOf(ports.get("source")), "1000",
                String.valueOf(perBatch)), batchPairs);
        String setup = "JDK 17, " + jvmPairs() + " JVM pairs × " + batchPairs + " alternating batch pairs of "
                + fmtInt(perBatch) + " 64-byte ops";
        String[] names = {"write", "read"};
        for (int f = 0; f < 2; f++) {
            rows.add(new Row("3", "Per-I/O: 64-byte " + names[f] + "s on one loopback socket", setup,
                    fmt(Stats.median(column(pairs, 1, f)), 0) + " ns/" + names[f],
                    "no agent " + fmt(Stats.median(column(pairs, 0, f)), 0) + " ns/" + names[f],
                    ratioCell(ratios(pairs, f)) + ", " + signed(Stats.median(diffs(pairs, f)), 0) + " ns/" + names[f],
                    "(reported)", "—", "`--only io`"));
            log(rows.get(rows.size() - 1).toString());
        }
    }
}
