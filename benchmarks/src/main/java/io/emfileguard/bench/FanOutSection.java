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
    static final String[] KINDS = {"httpclient,urlconnection,dynamodb,lambda,dynamodb-async", "httpclient", "urlconnection",
            "dynamodb", "lambda", "dynamodb-async"};
    private static final Pattern BATCH = Pattern.compile("wall time of the batch\\s+\\S+ s\\s+([0-9.,]+) s");
    private static final Pattern PEAK = Pattern.compile("agent: cap / peak open sockets\\s+-\\s+([0-9,]+) / ([0-9,]+)");
    private static final Pattern REQUESTS = Pattern.compile("\\n\\s+requests\\s+([0-9,]+)\\s+([0-9,]+)");
    private static final Pattern FAILED = Pattern.compile("\\n\\s+failed\\s+([0-9,]+)\\s+([0-9,]+)");
    private static final Pattern ISSUING = Pattern.compile("of which issuing the calls\\s+\\S+ s\\s+([0-9.,]+) s");
    private static final double LATENCY_S = 2.0;
    /** The demo's stub answers after 2 s +/- 0.4 s, uniformly, in whole milliseconds. */
    private static final int LATENCY_MS = 2000;
    private static final int JITTER_MS = 400;

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
            List<Double> issueTimes = new ArrayList<>();
            // A sendAsync caller waits at the cap inside sendAsync, so with the JDK HttpClient in the
            // mix "issuing the calls" includes the gate's own waits: the ideal gate starts at 0 then.
            boolean issuingWaitsAtTheCap = kinds.contains("httpclient");
            List<Double> ideals = new ArrayList<>();
            long failed = 0;
            for (int i = 0; i < runs; i++) {
                List<String> cmd = Arrays.asList(java17, "-jar", demo.toString(), "--plain", "--clients", kinds);
                Child c = Child.run(cmd, 600, false);
                String out = c.stdout;
                double batch = number(BATCH, out, 1);
                double peak = number(PEAK, out, 2);
                double requests = number(REQUESTS, out, 2);
                failed += (long) number(FAILED, out, 2);
                double issued = issuingWaitsAtTheCap ? 0 : number(ISSUING, out, 1);
                double bound = requests * LATENCY_S / peak;
                double ideal = issued + idealGateMillis((int) requests, (int) peak) / 1000.0;
                batches.add(batch);
                bounds.add(bound);
                ratios.add(batch / bound);
                issueTimes.add(issued);
                ideals.add(ideal / bound);
                log("fanout " + kinds + ": batch " + fmt(batch, 1) + " s, bound " + fmt(bound, 1) + " s (peak "
                        + fmtInt(peak) + "), x" + fmt(batch / bound, 2) + "; an ideal gate from "
                        + (issuingWaitsAtTheCap ? "the start" : "the calls' issue, " + fmt(issued, 1) + " s") + ": "
                        + fmt(ideal, 1) + " s (x" + fmt(ideal / bound, 2)
                        + "); failed with the agent " + failed);
            }
            double ratio = Stats.median(ratios);
            boolean met = ratio <= TARGET && failed == 0;
            rows.add(new Row("7", "Fan-out at the cap: " + (kinds.contains(",") ? "default mix (" + kinds + ")" : kinds
                    + " alone"), "JDK 17, the demo: 3,300 requests, 2 s ± 0.4 s latency, limit 1,024, cap 896; " + runs
                    + " runs", "batch " + fmt(Stats.median(batches), 1) + " s"
                    + (issuingWaitsAtTheCap ? "" : " (the app issuing its calls: " + fmt(Stats.median(issueTimes), 1)
                    + " s)") + "; " + failed + " failed",
                    "requests × latency / peak open sockets: " + fmt(Stats.median(bounds), 1) + " s; an ideal gate "
                    + (issuingWaitsAtTheCap ? "from the batch's start" : "once the calls are issued") + ": ×"
                    + fmt(Stats.median(ideals), 2),
                    "**×" + fmt(ratio, 2) + "** (" + fmt(Stats.min(ratios), 2) + ".." + fmt(Stats.max(ratios), 2) + ")",
                    "≤ ×" + fmt(TARGET, 2) + ", no failed request", met ? "yes" : "no", "`--only fanout`"));
        }
        notes.add("Fan-out: each run is the demo (`java -jar demo-app/target/demo-app.jar --plain --clients ...`); "
                + "the bound a cap allows is requests × mean latency / the run's peak of open sockets (no batch through "
                + "at most that many sockets at once can be faster); ratio = batch wall time / bound, median of the runs. "
                + "Two things no gate removes are in the batch: the app's own start (the demo starts a thread per "
                + "blocking call, all before any call is released: \"of which issuing the calls\" in the demo's table; "
                + "the AWS SDK's first calls also spend CPU before their first connect, not separated here), and "
                + "whole requests: a socket serves requests one after another, so 3,300 requests of 1.6-2.4 s over "
                + "896 sockets end, at best, when the last socket to take a fourth request is done. \"An ideal "
                + "gate\" is that best: every socket refilled the instant it frees, in arrival order, from the "
                + "moment the app has issued its calls (from the batch's start with the JDK HttpClient in the mix: its "
                + "callers wait at the cap while issuing), with the stub's latency distribution (median of "
                + IDEAL_RUNS + " simulated batches); it ignores every CPU cost of the app and of the gate.");
    }

    private static final int IDEAL_RUNS = 101;

    /**
     * The batch time of an ideal gate from t = 0: {@code requests} calls, each taking a latency drawn
     * like the demo's stub does, through {@code sockets} sockets, each refilled the moment it frees
     * (list scheduling in arrival order); the median of {@link #IDEAL_RUNS} seeded draws, in ms.
     */
    static double idealGateMillis(int requests, int sockets) {
        List<Double> ends = new ArrayList<>();
        java.util.Random random = new java.util.Random(18);
        for (int run = 0; run < IDEAL_RUNS; run++) {
            java.util.PriorityQueue<Long> freeAt = new java.util.PriorityQueue<>();
            for (int i = 0; i < sockets; i++) {
                freeAt.add(0L);
            }
            long end = 0;
            for (int i = 0; i < requests; i++) {
                long done = freeAt.poll() + LATENCY_MS - JITTER_MS + random.nextInt(2 * JITTER_MS + 1);
                end = Math.max(end, done);
                freeAt.add(done);
            }
            ends.add((double) end);
        }
        return Stats.median(ends);
    }

    private static double number(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("the demo's output has no match for " + p + ":\n" + text);
        }
        return Double.parseDouble(m.group(group).replace(",", ""));
    }
}
