package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Section "soak", only with {@code --only soak}: a full run keeps the soak's rows already in the table.
 * A miss of its bounds fails the run.
 */
final class SoakSection extends Section {
    /** The soak's cap, and the bounds it must stay within (see {@link Soak}). */
    private static final int SOAK_CAP = 100;
    private static final double SOAK_HEAP_BOUND_MIB = 8;
    private static final int SOAK_THREAD_BOUND = 10;

    /**
     * Ten minutes ({@code --quick}: one) of mixed clients at and around the cap in one JVM with the
     * agent ({@link Soak}): the count, the registry and the kernel's sockets must be back at their
     * baseline at the end, heap after GC and threads flat, no EMFILE and no wait into max.wait.
     */
    void runBenchmarks() throws Exception {
        int seconds = quick ? 60 : 600;
        int sampleSeconds = 10;
        int cycleSeconds = quick ? 20 : 60; // the last third of each cycle is a burst
        List<String> cmd = new ArrayList<>(Arrays.asList("prlimit", "--nofile=1024:1024", java17,
                "-javaagent:" + agentJar, "-Demfileguard.max.sockets=" + SOAK_CAP, "-Dhttp.maxConnections=1000",
                "-Djdk.httpclient.keepalive.timeout=3", "-cp", soakClassPath(), "io.emfileguard.bench.Soak",
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
        rows.add(new Row("7", "Soak: mixed clients at and around the cap, " + fmt(minutes, 0) + " min", setup,
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

    /** The benchmarks' classes and test-support (the soak counts its TCP sockets with it), nothing else. */
    private String soakClassPath() {
        return classes + java.io.File.pathSeparator + root.resolve("benchmarks/target/lib/test-support.jar");
    }
}
