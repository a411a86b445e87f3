package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Section "storm" (JDK 25, virtual threads): N = 4C requests at once against a server with latency L,
 * capped by the agent (no code), a counter + 100 ms sleep, or a fair {@code Semaphore} ({@link Storm});
 * then the gate against the semaphore in-process without sockets ({@link GateStorm}).
 */
final class StormSection extends Section {
    void runBenchmarks() throws Exception {
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
                rows.add(new Row("5", "Storm: N=" + fmtInt(n) + ", C=" + cap + ", L="
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
            rows.add(new Row("5", "Storm in-process, no sockets: N=" + fmtInt(4 * cap) + ", C=" + cap
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
}
