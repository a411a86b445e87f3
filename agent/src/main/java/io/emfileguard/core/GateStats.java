package io.emfileguard.core;

/**
 * One read of the gate's counters, for the MBean, the EMF lines and the logs: each reads the same
 * numbers the same way, and a line or log message shows one moment (not one counter read before a
 * wait ended and the next after). The counters themselves stay in the gate, next to the paths
 * that move them.
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
    /** Waits that ran into {@code max.wait.millis}. */
    public final long timeoutsTotal;
    public final long waitNanosTotal;
    /** Sockets counted above the cap: event-loop threads, or waits that timed out and proceeded. */
    public final long overCapTotal;
    /** Connects refused to event-loop threads at the cap ({@code event.loop.at.cap=fail}). */
    public final long refusedTotal;

    GateStats(int openSockets, int peakOpenSockets, int maxSockets, int effectiveMaxSockets, int waitingThreads,
              long waitsTotal, long timeoutsTotal, long waitNanosTotal, long overCapTotal, long refusedTotal) {
        this.openSockets = openSockets;
        this.peakOpenSockets = peakOpenSockets;
        this.maxSockets = maxSockets;
        this.effectiveMaxSockets = effectiveMaxSockets;
        this.waitingThreads = waitingThreads;
        this.waitsTotal = waitsTotal;
        this.timeoutsTotal = timeoutsTotal;
        this.waitNanosTotal = waitNanosTotal;
        this.overCapTotal = overCapTotal;
        this.refusedTotal = refusedTotal;
    }

    public long waitMillisTotal() {
        return waitNanosTotal / 1_000_000;
    }

    /** True when the descriptor guard holds the cap below the {@code max.sockets} setting. */
    public boolean capLoweredByDescriptorGuard() {
        return effectiveMaxSockets < maxSockets;
    }
}
