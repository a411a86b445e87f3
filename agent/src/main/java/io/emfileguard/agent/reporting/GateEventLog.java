package io.emfileguard.agent.reporting;

import io.emfileguard.core.GateEvents;
import io.emfileguard.core.GateStats;
import io.emfileguard.core.SocketGate;


import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns the gate's events into log lines: one WARN when threads first start waiting, at most one
 * summary per 10 s while they wait (the gate rate-limits {@code stillWaiting}), one line per timeout
 * at most every 10 s, and one line per kind of internal error. Never URLs or payloads.
 */
public final class GateEventLog implements GateEvents {

    private static final long TIMEOUT_LOG_INTERVAL_NANOS = 10_000_000_000L;

    private final AtomicLong lastTimeoutLog = new AtomicLong(System.nanoTime() - TIMEOUT_LOG_INTERVAL_NANOS);
    private final Set<String> reportedErrors = ConcurrentHashMap.newKeySet();
    private volatile boolean warnedOnce;
    private final AtomicLong lastEpisodeLog = new AtomicLong(System.nanoTime() - TIMEOUT_LOG_INTERVAL_NANOS);

    public GateEventLog() {
    }

    private static AgentLog.Log log() {
        return AgentLog.get();
    }

    @Override
    public void waitingStarted(SocketGate gate) {
        if (!warnedOnce) {
            warnedOnce = true;
            GateStats stats = gate.stats();
            log().warn("{} sockets open, at the cap of {}: new connections now wait for a free socket ({})",
                    stats.openSockets, stats.effectiveMaxSockets, capExplanation(stats));
            lastEpisodeLog.set(System.nanoTime());
            return;
        }
        // A burst empties and refills the queue many times a second: one line per 10 s at most.
        long last = lastEpisodeLog.get();
        long now = System.nanoTime();
        if (now - last >= TIMEOUT_LOG_INTERVAL_NANOS && lastEpisodeLog.compareAndSet(last, now)) {
            GateStats stats = gate.stats();
            log().info("{} sockets open, at the cap of {}: connections are waiting again ({})",
                    stats.openSockets, stats.effectiveMaxSockets, capExplanation(stats));
        }
    }

    @Override
    public void stillWaiting(SocketGate gate) {
        GateStats stats = gate.stats();
        log().info("still at the cap: {} open of {}, {} threads waiting, {} waits and {} timeouts so far ({})",
                stats.openSockets, stats.effectiveMaxSockets, stats.waitingThreads, stats.waitsTotal,
                stats.timeoutsTotal, capExplanation(stats));
    }

    /** Says where the cap comes from: the setting, or the descriptor guard lowering it. */
    private static String capExplanation(GateStats stats) {
        if (stats.capLoweredByDescriptorGuard()) {
            return "max.sockets=" + stats.maxSockets + " lowered by the descriptor guard: other descriptors "
                    + "(files, pipes, native sockets) leave room for only this many; see fd.headroom";
        }
        return "set emfileguard.max.sockets to change the cap";
    }

    @Override
    public void timedOut(SocketGate gate, long waitedNanos, boolean proceeding) {
        long last = lastTimeoutLog.get();
        long now = System.nanoTime();
        if (now - last < TIMEOUT_LOG_INTERVAL_NANOS || !lastTimeoutLog.compareAndSet(last, now)) {
            return;
        }
        GateStats stats = gate.stats();
        if (proceeding) {
            log().warn("a connection waited {} ms for a free socket ({} open, cap {}) and proceeds above the "
                    + "cap (on.timeout=proceed; {} timeouts so far)", waitedNanos / 1_000_000,
                    stats.openSockets, stats.effectiveMaxSockets, stats.timeoutsTotal);
        } else {
            log().warn("a connection waited {} ms for a free socket ({} open, cap {}) and fails "
                    + "(on.timeout=fail; {} timeouts so far)", waitedNanos / 1_000_000,
                    stats.openSockets, stats.effectiveMaxSockets, stats.timeoutsTotal);
        }
    }

    private final AtomicLong lastReclaimLog = new AtomicLong(System.nanoTime() - TIMEOUT_LOG_INTERVAL_NANOS);
    private final AtomicLong reclaimedAtLastLog = new AtomicLong();

    @Override
    public void reclaimed(String peer, long idleMillis, long total) {
        long last = lastReclaimLog.get();
        long now = System.nanoTime();
        if (now - last >= TIMEOUT_LOG_INTERVAL_NANOS && lastReclaimLog.compareAndSet(last, now)) {
            long since = total - reclaimedAtLastLog.getAndSet(total);
            log().info("closed {} idle pooled socket(s) (back in their pool, or no I/O for {} ms or more; e.g. to {}) "
                    + "so that waiting connections can proceed; {} in all (reclaim.idle=false turns this off)", since,
                    idleMillis, peer, total);
        }
    }

    private volatile boolean collectionLogged;

    @Override
    public void collectionRequested(int freed, long total) {
        if (!collectionLogged) {
            collectionLogged = true; // once: a process that drops sockets would log it every 2 s
            log().info("threads waited at the cap with nothing released and nothing idle to close: asked the JVM for a "
                    + "garbage collection so that sockets dropped without close() give their descriptors back "
                    + "(at most one per 2 s, less often while they free nothing; counted in "
                    + GateMetric.GC_REQUESTS.attribute + ", what came back in " + GateMetric.COLLECTED_SOCKETS.attribute
                    + "; collect.abandoned=false turns this off)");
        }
    }

    /** Kinds of internal error logged at most: a line each; past that, and for repeats, only the count. */
    static final int MAX_LOGGED_ERROR_KINDS = 32;

    /**
     * One line per kind of error (where, and what was thrown), at most {@link #MAX_LOGGED_ERROR_KINDS}
     * kinds; every occurrence is counted by {@code SocketHooks.internalError} in
     * {@link GateMetric#INTERNAL_ERRORS}.
     */
    @Override
    public void internalError(String where, Throwable error) {
        if (reportedErrors.size() > MAX_LOGGED_ERROR_KINDS || !reportedErrors.add(where + ':' + error.getClass().getName())) {
            return; // this kind was logged, or too many kinds were: counted only
        }
        if (reportedErrors.size() > MAX_LOGGED_ERROR_KINDS) {
            log().error("more kinds of internal error (the application continues): from now on only counted in {}",
                    GateMetric.INTERNAL_ERRORS.attribute);
            return;
        }
        StackTraceElement[] trace = error.getStackTrace();
        log().error("internal error in {} (the application continues; please report this): {}{}; repeats are "
                + "counted in {}", where, error.toString(), trace.length == 0 ? "" : " at " + trace[0],
                GateMetric.INTERNAL_ERRORS.attribute);
    }
}
