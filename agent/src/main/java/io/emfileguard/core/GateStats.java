package io.emfileguard.core;

/**
 * One read of the gate's counters, for the MBean, the EMF lines and the logs: each reads the same
 * numbers the same way, and a line or log message shows one moment (not one counter read before a
 * wait ended and the next after).
 */
public final class GateStats {
    public final int openSockets;
    /** Highest count since start or the last {@link SocketGate#resetPeak()}. */
    public final int peakOpenSockets;
    /** The {@code max.sockets} setting. */
    public final int maxSockets;
    /** The cap enforced: {@code max.sockets}, lowered by the descriptor guard when other descriptors crowd in. */
    public final int effectiveMaxSockets;
    public final int waitingThreads;
    public final long waitsTotal;
    public final long timeoutsTotal;
    public final long waitNanosTotal;
    public final long overCapTotal;
    public final long refusedTotal;
    public final long collectedTotal;
    public final long leakedTotal;
    public final long reclaimedTotal;
    public final long handedBackTotal;
    public final long gcRequestsTotal;
    /** Internal errors of every kind, counted since the agent's start. */
    public final long internalErrorsTotal;

    /** @param peakOpenSockets the gate's all-time peak (the gate keeps it: its fast path tracks the peaks) */
    GateStats(SocketGate gate, int peakOpenSockets, GateCounters counters) {
        this.openSockets = gate.openSockets();
        this.peakOpenSockets = peakOpenSockets;
        this.maxSockets = gate.settings().maxSockets;
        this.effectiveMaxSockets = gate.effectiveCap();
        this.waitingThreads = gate.waitingThreads();
        this.waitsTotal = counters.waits.get();
        this.timeoutsTotal = counters.timeouts.get();
        this.waitNanosTotal = counters.waitNanos.get();
        this.overCapTotal = counters.overCap.get();
        this.refusedTotal = counters.refused.get();
        this.collectedTotal = counters.collected.get();
        this.leakedTotal = counters.leaked.get();
        this.reclaimedTotal = counters.reclaimed.get();
        this.handedBackTotal = counters.handedBack.get();
        this.gcRequestsTotal = counters.gcRequests.get();
        this.internalErrorsTotal = SocketHooks.internalErrorsTotal();
    }

    public long waitMillisTotal() {
        return waitNanosTotal / 1_000_000;
    }

    /** True when the descriptor guard holds the cap below the {@code max.sockets} setting. */
    public boolean capLoweredByDescriptorGuard() {
        return effectiveMaxSockets < maxSockets;
    }
}
