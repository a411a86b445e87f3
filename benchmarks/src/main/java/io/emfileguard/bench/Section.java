package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One section of a run ({@code --only NAME}, see {@link Runner#SECTIONS}): it runs its benchmarks in
 * child JVMs ({@link Child}) and adds its rows and notes to the {@link ResultsTable}. Here is what every
 * section runs with, taken from the {@link Runner}, and what several of them share: a plain and an
 * agent JVM asked for batches in alternating order, and the formatting of the table's figures.
 */
abstract class Section {
    // What the section runs with, set by run(Runner) before runBenchmarks(): assigned once, and not
    // final only so that the sections need no constructor of their own.
    Path root;
    String java17;
    /** Null where JDK 25 is not installed: the sections skip its rows. */
    String java25;
    String agentJar;
    /** The benchmarks' own classes, and their dependencies (JMH) as a class-path entry. */
    String classes;
    String libCp;
    /** {@code --quick}: fewer pairs and rounds, a smoke test. */
    boolean quick;
    /** The loopback server's ports by name ({@link LoopbackServer}). */
    Map<String, Integer> ports;
    List<Row> rows;
    List<String> notes;
    /** What failed the section's own checks (the soak's): the runner exits with 1 after writing the table. */
    List<String> failed;

    /** Runs the section with the runner's options; its rows and notes go into the runner's table. */
    final void run(Runner runner) throws Exception {
        root = runner.root;
        java17 = runner.java17;
        java25 = runner.java25;
        agentJar = root.resolve("agent/target/emfile-guard-agent.jar").toString();
        classes = runner.classes;
        libCp = root.resolve("benchmarks/target/lib").toString() + File.separator + "*";
        quick = runner.quick;
        ports = runner.ports;
        rows = runner.table.rows;
        notes = runner.table.notes;
        failed = runner.table.failed;
        runBenchmarks();
    }

    /** The section's own work: runs its benchmarks and adds their rows and notes. */
    abstract void runBenchmarks() throws Exception;

    // ------------------------------------------------------------------ plain and agent JVMs side by side

    /**
     * Starts a plain and an agent JVM of the same interactive program (one after the other, so their
     * warm-ups do not overlap), then asks them for batches in alternating order (AB BA AB ...).
     * @return per batch pair: {plain fields..., agent fields...}
     */
    List<double[][]> interleaved(List<String> programArgs, int batchPairs) throws Exception {
        List<double[][]> pairs = new ArrayList<>();
        for (int j = 0; j < jvmPairs(); j++) {
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

    /** How many pairs of a plain and an agent JVM {@link #interleaved} starts, one pair after the other. */
    int jvmPairs() {
        return quick ? 1 : 3;
    }

    private static double[] parse(String[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = Double.parseDouble(f[i]);
        }
        return d;
    }

    static List<Double> column(List<double[][]> pairs, int side, int field) {
        List<Double> v = new ArrayList<>();
        for (double[][] p : pairs) {
            v.add(p[side][field]);
        }
        return v;
    }

    static List<Double> ratios(List<double[][]> pairs, int field) {
        List<Double> v = new ArrayList<>();
        for (double[][] p : pairs) {
            v.add(p[1][field] / p[0][field]);
        }
        return v;
    }

    static List<Double> diffs(List<double[][]> pairs, int field) {
        List<Double> v = new ArrayList<>();
        for (double[][] p : pairs) {
            v.add(p[1][field] - p[0][field]);
        }
        return v;
    }

    // ------------------------------------------------------------------ figures and the log

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /** A ratio's cell: the median, and the range in brackets. */
    static String ratioCell(List<Double> r) {
        return "×" + fmt(Stats.median(r), 3) + " (" + fmt(Stats.min(r), 3) + ".." + fmt(Stats.max(r), 3) + ")";
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
