package io.emfileguard.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the gate counts for its metrics and logs, apart from the mechanism (count, queue, slices)
 * and never read by it; {@link GateStats} is its snapshot. Updated off the fast path only. (The
 * peaks stay in the gate: the fast path reads the interval peak.)
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
}
