package io.emfileguard.demo.launcher;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What one child run reported ({@code RESULT} and {@code ERROR} lines) and what was seen from outside. */
final class RunResult {

    final String label;
    final boolean withAgent;
    final int records;
    final int expectedRequests;
    /** The child's {@code RESULT key=value} pairs; empty when it never reported. */
    final Map<String, String> values = new HashMap<>();
    final List<String> errors = new ArrayList<>();
    final List<String> stderrTail = new ArrayList<>();
    /** The agent's own log lines (its stderr lines naming emfile-guard), the first few. */
    final List<String> agentLog = new ArrayList<>();
    /** Descriptors, sockets, waiting threads and failures over time, for the picture of the run. */
    final Timeline timeline = new Timeline();
    int peakDescriptors = -1;
    int peakSockets = -1;
    long processMillis;
    Integer exitCode;
    boolean timedOut;
    String launchError;
    /** Not run at all (the run without the agent under {@code --skip-plain}). */
    boolean skipped;

    RunResult(String label, boolean withAgent, int records, int expectedRequests) {
        this.label = label;
        this.withAgent = withAgent;
        this.records = records;
        this.expectedRequests = expectedRequests;
    }

    boolean reported() {
        return values.containsKey("requests");
    }

    long number(String key) {
        String v = values.get(key);
        if (v == null) {
            return -1;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The batch's wall time in ms (the whole child's when it never reported), -1 when skipped. */
    long batchMillis() {
        if (skipped) {
            return -1;
        }
        return reported() ? number("wallMillis") : processMillis;
    }

    boolean hasGate() {
        return values.containsKey("gate.MaxSockets");
    }

    /** Failed requests (unfinished ones included); a child that never reported failed them all. */
    long failed() {
        return reported() ? number("failed") : expectedRequests;
    }

    /** Peak open sockets: the agent's exact count when it is there, else the /proc sample. */
    long peakOpenSockets() {
        return hasGate() ? number("gate.PeakOpenSockets") : peakSockets;
    }

    /** True when the run completed and every request succeeded. */
    boolean clean() {
        return reported() && !timedOut && number("failed") == 0 && number("unfinished") == 0
                && number("succeeded") == number("requests");
    }
}
