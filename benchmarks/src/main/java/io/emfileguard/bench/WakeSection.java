package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Section "wake": at cap 1, the time from a release to the waiter running ({@link WakeLatency}), for the
 * gate, a fair {@code Semaphore} and a counter polled every 100 ms; JDK 17 and, where installed, JDK 25
 * with platform and virtual threads.
 */
final class WakeSection extends Section {
    void runBenchmarks() throws Exception {
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
            rows.add(new Row("4", "Wake latency: release → waiter running (cap 1)",
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
}
