package io.emfileguard.demo.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The side-by-side table, the sweep table and the summary line. */
final class Report {

    private Report() {
    }

    static String number(long n) {
        return n < 0 ? "-" : String.format(Locale.ROOT, "%,d", n);
    }

    static String seconds(long millis) {
        return millis < 0 ? "-" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** One batch: rows of facts, a column per run. */
    static List<String> pair(RunResult plain, RunResult guarded) {
        return table(plain, guarded, null);
    }

    /** One batch: rows of facts, a column per run; {@code tuned} (the hand-tuned run) may be null. */
    static List<String> table(RunResult plain, RunResult guarded, RunResult tuned) {
        List<RunResult> runs = tuned == null ? List.of(plain, guarded) : List.of(plain, guarded, tuned);
        List<String[]> rows = new ArrayList<>();
        rows.add(row("", runs, r -> r.label));
        rows.add(row("requests", runs, Report::requestsOf));
        rows.add(row("succeeded", runs, r -> numberOf(r, "succeeded")));
        rows.add(row("failed", runs, Report::failedOf));
        rows.add(row("  \"Too many open files\"", runs, r -> numberOf(r, "failedTooManyOpenFiles")));
        rows.add(row("  other errors", runs, Report::otherOf));
        rows.add(row("peak sockets (/proc)", runs, r -> r.skipped ? "-" : number(r.peakSockets)));
        rows.add(row("peak descriptors (/proc)", runs, r -> r.skipped ? "-" : number(r.peakDescriptors)));
        rows.add(row("wall time of the batch", runs, Report::wallOf));
        // The app's own start: a thread per blocking call, all started before any call is released.
        rows.add(row("  of which issuing the calls", runs, r -> seconds(r.number("issueMillis"))));
        rows.add(row("agent: cap / peak open sockets", runs, Report::capAndPeak));
        rows.add(row("calls that waited at the cap", runs, r -> gate(r, "gate.WaitsTotal")));
        rows.add(row("  average wait", runs, Report::averageWaitOf));
        rows.add(row("  waits that timed out", runs, r -> gate(r, "gate.TimeoutsTotal")));
        rows.add(row("time waiting, all calls", runs, Report::waitOf));
        rows.add(row("idle pooled sockets reclaimed", runs, r -> gate(r, "gate.ReclaimedSocketsTotal")));
        boolean[] right = new boolean[runs.size() + 1];
        java.util.Arrays.fill(right, 1, right.length, true);
        return render(rows, right);
    }

    private static String[] row(String label, List<RunResult> runs, java.util.function.Function<RunResult, String> cell) {
        String[] row = new String[runs.size() + 1];
        row[0] = label;
        for (int i = 0; i < runs.size(); i++) {
            row[i + 1] = cell.apply(runs.get(i));
        }
        return row;
    }

    /** A sweep: a row per batch size. */
    static List<String> sweep(List<RunResult[]> pairs) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"records", "requests", "failed w/o agent", "(EMFILE)", "peak fds w/o",
            "failed with agent", "peak sockets", "cap", "waits", "wall w/o", "wall with"});
        for (RunResult[] pair : pairs) {
            RunResult plain = pair[0];
            RunResult guarded = pair[1];
            rows.add(new String[] {
                number(plain.records), requestsOf(plain), failedOf(plain), numberOf(plain, "failedTooManyOpenFiles"),
                number(plain.peakDescriptors), failedOf(guarded), number(guarded.peakOpenSockets()),
                gate(guarded, "gate.MaxSockets"), gate(guarded, "gate.WaitsTotal"), wallOf(plain), wallOf(guarded),
            });
        }
        boolean[] right = new boolean[rows.get(0).length];
        java.util.Arrays.fill(right, true);
        return render(rows, right);
    }

    /**
     * The last line of the output, for scripts: failures without and with the agent, the agent's peak
     * and cap, the agent's batch wall time ({@code agent_batch_ms}, the longest of a sweep) and, with
     * hand-tuned runs (a third element of a pair), theirs ({@code tuned_failed}, {@code tuned_batch_ms}).
     * A skipped run without the agent reports {@code without_agent_failed=-1}.
     */
    static String summary(List<RunResult[]> pairs) {
        long plainFailed = 0;
        long guardedFailed = 0;
        long tunedFailed = 0;
        long peak = -1;
        long cap = -1;
        long agentBatch = -1;
        long tunedBatch = -1;
        boolean tuned = false;
        boolean plainSkipped = false;
        for (RunResult[] pair : pairs) {
            if (pair[0].skipped) {
                plainSkipped = true;
            } else {
                plainFailed += Math.max(0, pair[0].failed());
            }
            guardedFailed += pair[1].clean() ? 0 : Math.max(1, pair[1].failed());
            peak = Math.max(peak, pair[1].peakOpenSockets());
            cap = Math.max(cap, pair[1].number("gate.MaxSockets"));
            agentBatch = Math.max(agentBatch, pair[1].batchMillis());
            if (pair.length > 2 && pair[2] != null) {
                tuned = true;
                tunedFailed += pair[2].clean() ? 0 : Math.max(1, pair[2].failed());
                tunedBatch = Math.max(tunedBatch, pair[2].batchMillis());
            }
        }
        return "summary: without_agent_failed=" + (plainSkipped ? -1 : plainFailed) + " with_agent_failed=" + guardedFailed
                + " peak_open_sockets=" + peak + " cap=" + cap + " agent_batch_ms=" + agentBatch
                + (tuned ? " tuned_failed=" + tunedFailed + " tuned_batch_ms=" + tunedBatch : "");
    }

    private static String[] row(String label, String a, String b) {
        return new String[] {label, a, b};
    }

    private static String requestsOf(RunResult r) {
        return r.reported() ? number(r.number("requests")) : status(r);
    }

    private static String numberOf(RunResult r, String key) {
        return r.reported() ? number(r.number(key)) : "-";
    }

    private static String failedOf(RunResult r) {
        if (!r.reported() && !r.skipped) {
            return status(r);
        }
        return number(r.number("failed"));
    }

    private static String otherOf(RunResult r) {
        if (!r.reported()) {
            return "-";
        }
        long other = r.number("failedOther");
        long unfinished = r.number("unfinished");
        return unfinished > 0 ? number(other + unfinished) + " (" + number(unfinished) + " unfinished)" : number(other);
    }

    private static String wallOf(RunResult r) {
        if (r.skipped) {
            return "-";
        }
        return r.reported() ? seconds(r.number("wallMillis")) : seconds(r.processMillis);
    }

    private static String gate(RunResult r, String key) {
        return r.hasGate() ? number(r.number(key)) : "-";
    }

    private static String capAndPeak(RunResult r) {
        return r.hasGate() ? number(r.number("gate.MaxSockets")) + " / " + number(r.number("gate.PeakOpenSockets")) : "-";
    }

    private static String waitOf(RunResult r) {
        return r.hasGate() ? seconds(r.number("gate.WaitTimeMillisTotal")) : "-";
    }

    private static String averageWaitOf(RunResult r) {
        if (!r.hasGate() || r.number("gate.WaitsTotal") <= 0) {
            return "-";
        }
        return seconds(r.number("gate.WaitTimeMillisTotal") / r.number("gate.WaitsTotal"));
    }

    private static String status(RunResult r) {
        if (r.skipped) {
            return "skipped";
        }
        if (r.launchError != null) {
            return "not started";
        }
        if (r.timedOut) {
            return "timed out";
        }
        return "crashed";
    }

    private static List<String> render(List<String[]> rows, boolean[] rightAligned) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] row : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                if (c > 0) {
                    sb.append("   ");
                }
                String cell = row[c];
                String pad = " ".repeat(width[c] - cell.length());
                sb.append(rightAligned[c] ? pad + cell : cell + pad);
            }
            lines.add(sb.toString().replaceAll("\\s+$", ""));
        }
        return lines;
    }
}
