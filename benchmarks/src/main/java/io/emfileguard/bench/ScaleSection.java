package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Section "scale" (JDK 25): 10,000 virtual threads waiting at cap 1 ({@link ScaleWaiters}): whether each
 * release wakes exactly one of them, and their CPU while nothing is released.
 */
final class ScaleSection extends Section {
    void runBenchmarks() throws Exception {
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
        rows.add(new Row("6", "Scale: releases wake one waiter each", setup,
                g[3] + " releases → " + g[4] + " proceeded, " + g[5] + " still queued; with slices off "
                        + "(hold.millis=60000): " + g60[3] + " → " + g60[4] + ", " + g60[6] + " non-grant wake-ups "
                        + "(at most the one waiter each release moves into the front, which does the per-slice work)",
                "counter + sleep: " + f[3] + " releases → " + f[4] + " proceeded, but every waiter re-checks each "
                        + "100 ms (" + fmtInt(Double.parseDouble(f[2])) + " wake-ups/s)",
                "1 waiter per release (median release → proceeded " + g[7] + " ms; semaphore " + s[7] + " ms)",
                "1 per release, no herd (≤ 1 other wake-up per release)", oneEach ? "yes" : "no", "`--only scale`"));
        rows.add(new Row("6", "Scale: CPU while 10,000 wait and nothing is released", setup,
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
}
