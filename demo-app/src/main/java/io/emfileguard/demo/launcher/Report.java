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
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"", "without agent", "with agent"});
        rows.add(row("requests", requestsOf(plain), requestsOf(guarded)));
        rows.add(row("succeeded", numberOf(plain, "succeeded"), numberOf(guarded, "succeeded")));
        rows.add(row("failed", failedOf(plain), failedOf(guarded)));
        rows.add(row("  \"Too many open files\"", numberOf(plain, "failedTooManyOpenFiles"),
                numberOf(guarded, "failedTooManyOpenFiles")));
        rows.add(row("  other errors", otherOf(plain), otherOf(guarded)));
        rows.add(row("peak sockets (/proc)", number(plain.peakSockets), number(guarded.peakSockets)));
        rows.add(row("peak descriptors (/proc)", number(plain.peakDescriptors), number(guarded.peakDescriptors)));
        rows.add(row("wall time of the batch", wallOf(plain), wallOf(guarded)));
        // The app's own start: a thread per blocking call, all started before any call is released
        // (a JDK HttpClient sendAsync caller waits at the cap while issuing: with the agent, included).
        rows.add(row("  of which issuing the calls", seconds(plain.number("issueMillis")),
                seconds(guarded.number("issueMillis"))));
        rows.add(row("agent: cap / peak open sockets", capAndPeak(plain), capAndPeak(guarded)));
        rows.add(row("calls that waited at the cap", gate(plain, "gate.WaitsTotal"), gate(guarded, "gate.WaitsTotal")));
        rows.add(row("  average wait", averageWaitOf(plain), averageWaitOf(guarded)));
        rows.add(row("  waits that timed out", gate(plain, "gate.TimeoutsTotal"), gate(guarded, "gate.TimeoutsTotal")));
        rows.add(row("time waiting, all calls", waitOf(plain), waitOf(guarded)));
        rows.add(row("idle pooled sockets reclaimed", gate(plain, "gate.ReclaimedSocketsTotal"),
                gate(guarded, "gate.ReclaimedSocketsTotal")));
        return render(rows, new boolean[] {false, true, true});
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

    /** The last line of the output, for scripts. */
    static String summary(List<RunResult[]> pairs) {
        long plainFailed = 0;
        long guardedFailed = 0;
        long peak = -1;
        long cap = -1;
        for (RunResult[] pair : pairs) {
            plainFailed += Math.max(0, pair[0].failed());
            guardedFailed += pair[1].clean() ? 0 : Math.max(1, pair[1].failed());
            peak = Math.max(peak, pair[1].peakOpenSockets());
            cap = Math.max(cap, pair[1].number("gate.MaxSockets"));
        }
        return "summary: without_agent_failed=" + plainFailed + " with_agent_failed=" + guardedFailed
                + " peak_open_sockets=" + peak + " cap=" + cap;
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
        if (!r.reported()) {
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
