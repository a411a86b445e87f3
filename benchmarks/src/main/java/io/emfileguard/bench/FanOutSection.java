package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Section "fanout" (issue 18): the demo's fan-out at the cap, with the default mix of
 * clients and with each client alone. What the cap allows: a batch of R requests of latency L through
 * at most P sockets at once cannot end before R x L / P; the row compares the batch's wall time with
 * that bound (P = the run's own peak of open sockets), median of 3 runs. Each run is
 * {@code java -jar demo-app/target/demo-app.jar --plain --clients <kind>} (3,300 requests, 2 s +/- 0.4 s
 * latency, 1,024 descriptors, the agent's default cap 896): the demo runs the batch without the agent
 * as well, which this row ignores.
 */
final class FanOutSection extends Section {
    static final double TARGET = 1.25;
    static final String[] KINDS = {"httpclient,urlconnection,dynamodb,lambda", "httpclient", "urlconnection", "dynamodb",
            "lambda"};
    private static final Pattern BATCH = Pattern.compile("wall time of the batch\\s+\\S+ s\\s+([0-9.,]+) s");
    private static final Pattern PEAK = Pattern.compile("agent: cap / peak open sockets\\s+-\\s+([0-9,]+) / ([0-9,]+)");
    private static final Pattern REQUESTS = Pattern.compile("\\n\\s+requests\\s+([0-9,]+)\\s+([0-9,]+)");
    private static final Pattern FAILED = Pattern.compile("\\n\\s+failed\\s+([0-9,]+)\\s+([0-9,]+)");
    private static final double LATENCY_S = 2.0;

    void runBenchmarks() throws Exception {
        Path demo = root.resolve("demo-app/target/demo-app.jar");
        if (!Files.isRegularFile(demo)) {
            notes.add("Fan-out: skipped (build demo-app first: mvn -B -q -DskipTests package).");
            return;
        }
        int runs = quick ? 1 : 3;
        for (String kinds : quick ? Arrays.copyOf(KINDS, 1) : KINDS) {
            List<Double> ratios = new ArrayList<>();
            List<Double> batches = new ArrayList<>();
            List<Double> bounds = new ArrayList<>();
            long failed = 0;
            for (int i = 0; i < runs; i++) {
                List<String> cmd = Arrays.asList(java17, "-jar", demo.toString(), "--plain", "--clients", kinds);
                Child c = Child.run(cmd, 600, false);
                String out = c.stdout;
                double batch = number(BATCH, out, 1);
                double peak = number(PEAK, out, 2);
                double requests = number(REQUESTS, out, 2);
                failed += (long) number(FAILED, out, 2);
                double bound = requests * LATENCY_S / peak;
                batches.add(batch);
                bounds.add(bound);
                ratios.add(batch / bound);
                log("fanout " + kinds + ": batch " + fmt(batch, 1) + " s, bound " + fmt(bound, 1) + " s (peak "
                        + fmtInt(peak) + "), x" + fmt(batch / bound, 2) + ", failed with the agent " + failed);
            }
            double ratio = Stats.median(ratios);
            boolean met = ratio <= TARGET && failed == 0;
            rows.add(new Row("7", "Fan-out at the cap: " + (kinds.contains(",") ? "default mix (" + kinds + ")" : kinds
                    + " alone"), "JDK 17, the demo: 3,300 requests, 2 s ± 0.4 s latency, limit 1,024, cap 896; " + runs
                    + " runs", "batch " + fmt(Stats.median(batches), 1) + " s; " + failed + " failed",
                    "requests × latency / peak open sockets: " + fmt(Stats.median(bounds), 1) + " s",
                    "**×" + fmt(ratio, 2) + "** (" + fmt(Stats.min(ratios), 2) + ".." + fmt(Stats.max(ratios), 2) + ")",
                    "≤ ×" + fmt(TARGET, 2) + ", no failed request", met ? "yes" : "no", "`--only fanout`"));
        }
        notes.add("Fan-out: each run is the demo (`java -jar demo-app/target/demo-app.jar --plain --clients ...`); "
                + "the bound a cap allows is requests × mean latency / the run's peak of open sockets (no batch through "
                + "at most that many sockets at once can be faster); ratio = batch wall time / bound, median of the runs.");
    }

    private static double number(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("the demo's output has no match for " + p + ":\n" + text);
        }
        return Double.parseDouble(m.group(group).replace(",", ""));
    }
}
