package io.emfileguard.agent.reporting;

import io.emfileguard.core.DescriptorGuard;
import io.emfileguard.core.GateStats;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketHooks;

import java.io.PrintStream;
import java.util.Map;

/**
 * {@code metrics=emf}: CloudWatch Embedded Metric Format, one JSON line on stdout at most once per
 * {@code metrics.interval.seconds}, and only for intervals in which anything happened. In Lambda the
 * line lands in the function's log group and CloudWatch extracts the metrics; no agent, no port,
 * no SDK call.
 */
public final class EmfMetrics {

    /** The metrics of every line, in the line's order; {@link GateMetric#DESCRIPTORS_IN_USE} follows when the guard is on. */
    private static final GateMetric[] LINE_METRICS = {
        GateMetric.PEAK_OPEN_SOCKETS, GateMetric.OPEN_SOCKETS, GateMetric.WAITS, GateMetric.WAIT_TIME,
        GateMetric.TIMEOUTS, GateMetric.RECLAIMED_SOCKETS,
    };

    private final SocketGate gate;
    private final DescriptorGuard guard;       // may be null
    private final String namespace;
    private final String dimensionName;
    private final String dimensionValue;
    private final PrintStream out;

    private long lastWaits;
    private long lastTimeouts;
    private long lastWaitMillis;
    private long lastReclaimed;
    private int lastOpen = -1;

    public EmfMetrics(SocketGate gate, DescriptorGuard guard, String namespace,
                      Map<String, String> env, PrintStream out) {
        this.gate = gate;
        this.guard = guard;
        this.namespace = namespace;
        String function = env.get("AWS_LAMBDA_FUNCTION_NAME");
        this.dimensionName = function != null ? "FunctionName" : "Service";
        this.dimensionValue = function != null ? function : "emfile-guard";
        this.out = out;
    }

    /**
     * Emits from a daemon thread every {@code intervalSeconds}, and once more at shutdown.
     * @param beforeEach runs before each reading (brings the count up to date with the GC)
     */
    public void start(int intervalSeconds, Runnable beforeEach) {
        Thread t = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    for (;;) {
                        Thread.sleep(intervalSeconds * 1000L);
                        emitReportingErrors(beforeEach);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // asked to stop: the thread ends, nothing to report
                }
            }
        }, "emfile-guard-metrics");
        t.setDaemon(true);
        t.start();
        Runtime.getRuntime().addShutdownHook(new Thread(new Runnable() {
            @Override
            public void run() {
                emitReportingErrors(beforeEach);
            }
        }, "emfile-guard-metrics-flush"));
    }

    /** One reading and its line; an error goes to the one route, and the next interval tries again. */
    private void emitReportingErrors(Runnable beforeEach) {
        try {
            beforeEach.run();
            emitIfActive(System.currentTimeMillis());
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("EMF metrics", e);
        }
    }

    /** @return the line written, or null when nothing happened since the last one */
    public synchronized String emitIfActive(long timestampMillis) {
        GateStats stats = gate.stats();
        long waits = stats.waitsTotal;
        long timeouts = stats.timeoutsTotal;
        long waitMillis = stats.waitMillisTotal();
        long reclaimed = stats.reclaimedTotal;
        int open = stats.openSockets;
        int peak = gate.takeIntervalPeak();
        boolean active = waits != lastWaits || timeouts != lastTimeouts || reclaimed != lastReclaimed
                || open != lastOpen || peak != open;
        if (!active) {
            return null;
        }
        int descriptors = -1;
        if (guard != null) {
            guard.sampleNow();
            descriptors = guard.lastDescriptors();
        }
        String line = line(timestampMillis, peak, waits - lastWaits, waitMillis - lastWaitMillis,
                timeouts - lastTimeouts, reclaimed - lastReclaimed, open,
                gate.effectiveCap() /* after the guard's sample, which may have moved it */, descriptors);
        lastWaits = waits;
        lastTimeouts = timeouts;
        lastWaitMillis = waitMillis;
        lastReclaimed = reclaimed;
        lastOpen = open;
        out.println(line);
        out.flush();
        return line;
    }

    /** @param descriptors descriptors in use, or -1 when the guard is off (then the line leaves them out) */
    String line(long timestamp, int peak, long waits, long waitMillis, long timeouts, long reclaimed, int open,
                int effectiveMaxSockets, int descriptors) {
        long[] values = {peak, open, waits, waitMillis, timeouts, reclaimed}; // LINE_METRICS' order
        StringBuilder sb = new StringBuilder(512);
        sb.append("{\"_aws\":{\"Timestamp\":").append(timestamp)
                .append(",\"CloudWatchMetrics\":[{\"Namespace\":").append(json(namespace))
                .append(",\"Dimensions\":[[").append(json(dimensionName)).append("]],\"Metrics\":[");
        for (int i = 0; i < LINE_METRICS.length; i++) {
            definition(sb.append(i == 0 ? "" : ","), LINE_METRICS[i]);
        }
        if (descriptors >= 0) {
            definition(sb.append(','), GateMetric.DESCRIPTORS_IN_USE);
        }
        sb.append("]}]},").append(json(dimensionName)).append(':').append(json(dimensionValue));
        for (int i = 0; i < LINE_METRICS.length; i++) {
            member(sb, LINE_METRICS[i], values[i]);
        }
        member(sb, GateMetric.EFFECTIVE_MAX_SOCKETS, effectiveMaxSockets);
        if (descriptors >= 0) {
            member(sb, GateMetric.DESCRIPTORS_IN_USE, descriptors);
        }
        return sb.append('}').toString();
    }

    private static void definition(StringBuilder sb, GateMetric metric) {
        sb.append("{\"Name\":\"").append(metric.emfName).append("\",\"Unit\":\"").append(metric.emfUnit).append("\"}");
    }

    private static void member(StringBuilder sb, GateMetric metric, long value) {
        sb.append(",\"").append(metric.emfName).append("\":").append(value);
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
