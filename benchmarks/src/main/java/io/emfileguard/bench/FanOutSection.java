package io.emfileguard.bench;

import io.emfileguard.bench.ResultsTable.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Section "fanout" (issues 18 and 26): the demo's fan-out at the cap, the agent against hand-tuned
 * pools. Each run is {@code java -jar demo-app/target/demo-app.jar --plain --skip-plain --hand-tuned
 * --clients <kinds> --latency-profile <profile>}: the batch (300 records x 11 services = 3,300 requests,
 * limit 1,024) once with the agent (its default cap, 896) and then without it, each service's client
 * bounded by hand to floor(896 / 11) = 81, in the same run, so both see the same load. Rows: under the
 * uniform latency (2 s +/- 0.4 s) the default mix and each kind alone; under the skewed profiles
 * ({@code spread}: services from 0.5 s to 4 s; {@code one-slow}: one service 5x slower) the default
 * mix. Ratio: the median of the per-run agent / hand-tuned batch ratios (range); the ideal gate (every
 * socket refilled the instant it frees, each request with its service's latency) is the third
 * reference.
 */
final class FanOutSection extends Section {
    static final double UNIFORM_TARGET = 1.05;
    static final double SKEWED_TARGET = 0.85;
    static final String DEFAULT_MIX = "httpclient,urlconnection,dynamodb,lambda,dynamodb-async";
    static final String[] KINDS = {DEFAULT_MIX, "httpclient", "urlconnection", "dynamodb", "lambda", "dynamodb-async"};
    static final String[] SKEWED = {"spread", "one-slow"};
    static final int RECORDS = 300;
    static final int SERVICES = 11;
    private static final Pattern SUMMARY = Pattern.compile("summary: .*");
    private static final Pattern PEAK = Pattern.compile("agent: cap / peak open sockets\\s+-\\s+([0-9,]+) / ([0-9,]+)");
    private static final Pattern ISSUING = Pattern.compile("of which issuing the calls\\s+-\\s+([0-9.,]+) s\\s+([0-9.,]+) s");
    /** The demo's stub: 2 s +/- 0.4 s, uniformly, in whole milliseconds (the base of every profile). */
    static final int LATENCY_MS = 2000;
    static final int JITTER_MS = 400;

    void runBenchmarks() throws Exception {
        Path demo = root.resolve("demo-app/target/demo-app.jar");
        if (!Files.isRegularFile(demo)) {
            notes.add("Fan-out: skipped (build demo-app first: mvn -B -q -DskipTests package).");
            return;
        }
        int runs = quick ? 1 : 3;
        List<String[]> cases = new ArrayList<>();
        for (String kinds : quick ? Arrays.copyOf(KINDS, 1) : KINDS) {
            cases.add(new String[] {kinds, "uniform"});
        }
        for (String profile : SKEWED) {
            cases.add(new String[] {DEFAULT_MIX, profile});
        }
        for (String[] c : cases) {
            String kinds = c[0];
            String profile = c[1];
            boolean uniform = profile.equals("uniform");
            List<Double> ratios = new ArrayList<>();
            List<Double> agentBatches = new ArrayList<>();
            List<Double> tunedBatches = new ArrayList<>();
            List<Double> agentIssue = new ArrayList<>();
            List<Double> tunedIssue = new ArrayList<>();
            List<Double> ideals = new ArrayList<>();
            long agentFailed = 0;
            long tunedFailed = 0;
            int share = -1;
            for (int i = 0; i < runs; i++) {
                List<String> cmd = Arrays.asList(java17, "-jar", demo.toString(), "--plain", "--skip-plain",
                        "--hand-tuned", "--clients", kinds, "--latency-profile", profile);
                Child child = Child.run(cmd, 600, false);
                String out = child.stdout;
                String summary = match(SUMMARY, out, 0);
                double agent = field(summary, "agent_batch_ms") / 1000.0;
                double tuned = field(summary, "tuned_batch_ms") / 1000.0;
                agentFailed += (long) field(summary, "with_agent_failed");
                tunedFailed += (long) field(summary, "tuned_failed");
                int cap = (int) field(summary, "cap");
                share = cap / SERVICES;
                double peak = Double.parseDouble(match(PEAK, out, 2).replace(",", ""));
                double ideal = idealGateMillis(RECORDS, SERVICES, profile, (int) peak) / 1000.0;
                Matcher issuing = ISSUING.matcher(out);
                if (issuing.find()) {
                    agentIssue.add(Double.parseDouble(issuing.group(1)));
                    tunedIssue.add(Double.parseDouble(issuing.group(2)));
                }
                agentBatches.add(agent);
                tunedBatches.add(tuned);
                ratios.add(agent / tuned);
                ideals.add(ideal);
                log("fanout " + kinds + " " + profile + ": agent " + fmt(agent, 1) + " s, hand-tuned " + fmt(tuned, 1)
                        + " s, x" + fmt(agent / tuned, 2) + "; issuing " + (issuing.find(0) ? issuing.group(1) + " / "
                        + issuing.group(2) + " s" : "?") + "; ideal gate " + fmt(ideal, 1) + " s (peak " + fmtInt(peak)
                        + "); failed agent " + agentFailed + ", hand-tuned " + tunedFailed);
            }
            double ratio = Stats.median(ratios);
            double target = uniform ? UNIFORM_TARGET : SKEWED_TARGET;
            boolean met = ratio <= target && agentFailed == 0 && tunedFailed == 0;
            String latency = uniform ? "2 s ± 0.4 s latency" : profile.equals("spread")
                    ? "spread latency (services 0.5 s to 4 s, ± a fifth)" : "one-slow latency (10 services 2 s ± 0.4 s, one 10 s ± 2 s)";
            rows.add(new Row("7", "Fan-out at the cap vs hand-tuned pools: " + (kinds.contains(",") ? "default mix" : kinds
                    + " alone") + ", " + profile,
                    "JDK 17, the demo: 3,300 requests, " + latency + ", limit 1,024, cap 896; hand-tuned: "
                    + share + " per service; " + runs + " runs, agent then hand-tuned in each",
                    "batch " + fmt(Stats.median(agentBatches), 1) + " s"
                    + (agentIssue.isEmpty() ? "" : " (issuing " + fmt(Stats.median(agentIssue), 1) + " s)")
                    + "; " + agentFailed + " failed",
                    "hand-tuned " + fmt(Stats.median(tunedBatches), 1) + " s"
                    + (tunedIssue.isEmpty() ? "" : " (issuing " + fmt(Stats.median(tunedIssue), 1) + " s)")
                    + "; " + tunedFailed + " failed; ideal gate " + fmt(Stats.median(ideals), 1) + " s",
                    "**×" + fmt(ratio, 2) + "** (" + fmt(Stats.min(ratios), 2) + ".." + fmt(Stats.max(ratios), 2) + ")",
                    "≤ ×" + fmt(target, 2) + ", no failed request", met ? "yes" : "no", "`--only fanout`"));
        }
        notes.add("Fan-out: each run is the demo (`java -jar demo-app/target/demo-app.jar --plain --skip-plain "
                + "--hand-tuned --clients ... --latency-profile ...`): the batch with the agent (cap 896), then the "
                + "same batch without it, each of the 11 services' clients bounded by hand to floor(896 / 11) = 81 "
                + "(the AWS SDK's Apache and Netty pools one client per service with `maxConnections` / "
                + "`maxConcurrency` 81; a fair semaphore of 81 per service around HttpURLConnection and the Lambda "
                + "client's calls; for `sendAsync` a FIFO permit queue the call is chained to, never blocking the "
                + "issuing thread); same descriptor limit, same stub process. Ratio = median of the per-run "
                + "agent / hand-tuned batch wall times (range). The batch includes the app issuing its calls (a thread "
                + "per blocking call, all started before any call is released). \"Ideal gate\": every socket "
                + "(the run's peak of open sockets with the agent) refilled the instant it frees, in the demo's "
                + "issue order, each request with its service's latency distribution, from the batch's start (median "
                + "of " + IDEAL_RUNS + " simulated batches; no CPU cost of app or gate); with skewed latencies it is a "
                + "reference, not a lower bound (an order that starts the slow calls first ends sooner). Profiles: "
                + "uniform 2 s ± 0.4 s; "
                + "spread: service i of 11 at 0.5 + 3.5 × (i - 1) / 10 s ± a fifth; one-slow: service 11 at 10 s ± 2 s, "
                + "the rest 2 s ± 0.4 s (the demo's `--latency-profile`).");
    }

    static final int IDEAL_RUNS = 101;

    /** Mean latency of service {@code service} (1-based) under {@code profile}, as the demo's stub has it. */
    static long latencyMillis(String profile, int service, int services) {
        switch (profile) {
            case "spread":
                return services == 1 ? 500 : 500 + 3500L * (service - 1) / (services - 1);
            case "one-slow":
                return service == services ? 5L * LATENCY_MS : LATENCY_MS;
            default:
                return LATENCY_MS;
        }
    }

    static long jitterMillis(String profile, int service, int services) {
        switch (profile) {
            case "spread":
                return latencyMillis(profile, service, services) / 5;
            case "one-slow":
                return service == services ? 5L * JITTER_MS : JITTER_MS;
            default:
                return JITTER_MS;
        }
    }

    /**
     * The batch time of an ideal gate from t = 0: {@code records x services} calls in the demo's issue
     * order (record by record, every service), each taking a latency drawn like the stub does for its
     * service, through {@code sockets} sockets, each refilled the moment it frees (list scheduling in
     * arrival order); the median of {@link #IDEAL_RUNS} seeded draws, in ms.
     */
    static double idealGateMillis(int records, int services, String profile, int sockets) {
        List<Double> ends = new ArrayList<>();
        Random random = new Random(18);
        for (int run = 0; run < IDEAL_RUNS; run++) {
            java.util.PriorityQueue<Long> freeAt = new java.util.PriorityQueue<>();
            for (int i = 0; i < sockets; i++) {
                freeAt.add(0L);
            }
            long end = 0;
            for (int r = 0; r < records; r++) {
                for (int s = 1; s <= services; s++) {
                    long latency = latencyMillis(profile, s, services);
                    long jitter = jitterMillis(profile, s, services);
                    long done = freeAt.poll() + latency - jitter + random.nextInt((int) (2 * jitter + 1));
                    end = Math.max(end, done);
                    freeAt.add(done);
                }
            }
            ends.add((double) end);
        }
        return Stats.median(ends);
    }

    private static double field(String summary, String key) {
        Matcher m = Pattern.compile("\\b" + key + "=(-?[0-9]+)").matcher(summary);
        if (!m.find()) {
            throw new IllegalStateException("the demo's summary line has no " + key + ": " + summary);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String match(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException("the demo's output has no match for " + p + ":\n" + text);
        }
        return m.group(group);
    }
}
