package io.emfileguard.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The one set of counters for metrics and logs: the gate's (waits, timeouts, over the cap,
 * refusals), the registry's (collected, leaked), the reclaimer's (reclaimed, handed back) and the
 * collector's (GC requests); one per gate, never read by the mechanism. {@link GateStats} is its
 * snapshot. Updated off the fast path only. (The peaks stay in the gate: the fast path reads the
 * interval peak; internal errors are counted by {@link SocketHooks#internalError}, which runs before
 * any gate exists, and snapshotted with these.)
 */
final class GateCounters {
    final AtomicLong waits = new AtomicLong();
    /** Waits that ran into {@code max.wait.millis}. */
    final AtomicLong timeouts = new AtomicLong();
    final AtomicLong waitNanos = new AtomicLong();
    /** Sockets counted above the cap: event-loop threads, or waits that timed out and proceeded. */
    final AtomicLong overCap = new AtomicLong();
    /** Connects refused to event-loop threads at the cap ({@code event.loop.at.cap=fail}). */
    final AtomicLong refused = new AtomicLong();
    /** Sockets the garbage collector took unclosed whose units came back ({@link SocketRegistry}). */
    final AtomicLong collected = new AtomicLong();
    /** Channels the garbage collector took unclosed: their descriptors leaked, their units stay. */
    final AtomicLong leaked = new AtomicLong();
    /** Idle pooled sockets closed so that waiting threads could proceed (hand-backs included). */
    final AtomicLong reclaimed = new AtomicLong();
    /** Pooled sockets closed as they went back to their pool while threads waited. */
    final AtomicLong handedBack = new AtomicLong();
    /** Garbage collections requested for sockets dropped without close(). */
    final AtomicLong gcRequests = new AtomicLong();
}
