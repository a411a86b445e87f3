package io.emfileguard.core;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the front of the queue does between its slices, apart from the permits and the queue: the
 * slice task (units of collected sockets), a descriptor sample, reclaiming its share of the idle
 * pooled sockets the releases left unserved, the GC assist when the queue is stuck, and the
 * periodic "still waiting" summary. Whoever waits at the front runs it: a parked thread for itself,
 * or the gate's delivery thread for deferred work ({@link SocketGate#housekeepingForDeferred}), so a
 * queue of 3,300 deferred calls still reclaims idle sockets.
 */
final class GateHousekeeping {

    /** Waiting this long with no release and nothing to reclaim counts as stuck. */
    static final long STUCK_NANOS = 500_000_000L;
    /** A front waiter reclaims at most this many idle sockets per quiet slice. */
    static final int MAX_RECLAIMS_PER_SLICE = 32;
    private static final long SUMMARY_INTERVAL_NANOS = 10_000_000_000L;
    // Not a lambda: the first lambda of a JVM costs tens of milliseconds of start-up.
    static final Runnable NO_TASK = new Runnable() {
        @Override public void run() { }
    };

    private final SocketGate gate;
    private final ParkingClock clock;

    volatile SocketGate.Sampler sampler;
    volatile SocketGate.Reclaimer reclaimer;
    /** Runs on a waiting thread after each slice, e.g. to give back units of collected sockets. */
    volatile Runnable sliceTask = NO_TASK;
    /** Runs when the queue is stuck (see {@link SocketGate#setStuckTask}). */
    volatile Runnable stuckTask = NO_TASK;

    /** Releases seen while threads wait: tells a waiter whether its last slice saw any progress. */
    private final LongAdder releasesWhileWaiting = new LongAdder();
    /** Of those, the ones a waiter's reclaim caused (a closed idle socket): not progress. */
    private final LongAdder reclaimsWhileWaiting = new LongAdder();
    /** When a unit was last given back while threads waited (on the gate's clock); the gate's birth before that. */
    private volatile long lastReleaseWhileWaitingNanos;
    private final AtomicLong lastSummaryNanos = new AtomicLong();

    GateHousekeeping(SocketGate gate, ParkingClock clock) {
        this.gate = gate;
        this.clock = clock;
        this.lastReleaseWhileWaitingNanos = clock.nanoTime();
    }

    /** A unit came back while the queue was not empty. */
    void releasedWhileWaiting() {
        releasesWhileWaiting.increment();
        lastReleaseWhileWaitingNanos = clock.nanoTime();
    }

    /** Releases that were progress of the application so far (reclaims excluded): what a slice compares. */
    long progressSoFar() {
        return releasesWhileWaiting.sum() - reclaimsWhileWaiting.sum();
    }

    /** A waiting episode began at {@code start}: the first summary comes a summary interval later. */
    void episodeStarted(long start) {
        lastSummaryNanos.set(start);
    }

    /** For the fast path, every 16th unit on the way up: a descriptor sample (it throttles itself). */
    void maybeSample() {
        SocketGate.Sampler smp = sampler;
        if (smp != null) {
            smp.maybeSample();
        }
    }

    /**
     * A front waiter's work after a slice with no grant: the slice task, a descriptor sample,
     * reclaiming its share of the idle sockets the releases left unserved, and the stuck task.
     * @return the release count to compare with after the next slice
     */
    long betweenSlices(WaitQueue.Node waiter, long releasesBefore) {
        long start = waiter.startNanos;
        try {
            sliceTask.run();
            maybeSample();
            // Releases that reclaims caused are no progress of the application: counted
            // as such, one reclaim would silence every other waiter's reclaim for a slice,
            // and a queue of thousands would drain at a few sockets per slice.
            long releasesNow = progressSoFar();
            SocketGate.Reclaimer r = reclaimer;
            // The releases of a whole slice could not serve the queue: the rest of the
            // cap may sit idle in pools that will never close it (a trickle of releases
            // must not hide that). Only the front waiters get here every slice (the rest
            // sleep long), so each frees its share of what the releases left unserved;
            // the freed units go to the head of the queue, and reclaims never outnumber
            // the units the queue needs: one per waiter, plus the units held above
            // what waiting threads may fill (the reserve for threads that cannot wait, in
            // use: a lone waiter needs all of those back before its own; one per slice,
            // a cap of 512 cost it 800 ms).
            int waiting = gate.waitingThreads();
            int needed = waiting + Math.max(0, gate.openSockets() - gate.parkableCap());
            long organic = releasesNow - releasesBefore;
            boolean reclaimed = false;
            if (r != null && organic < needed && !waiter.isGranted()) {
                int unserved = needed - (int) Math.max(0, organic);
                int reclaimers = Math.max(1, Math.min(waiting, SocketGate.FRONT_WAITERS));
                int share = Math.min(MAX_RECLAIMS_PER_SLICE,
                        Math.max(1, (unserved + reclaimers - 1) / reclaimers));
                for (int i = 0; i < share && r.reclaimOne(); i++) {
                    reclaimsWhileWaiting.increment();
                    reclaimed = true;
                }
            }
            releasesBefore = releasesNow;
            long afterSlice = clock.nanoTime();
            if (!reclaimed && !waiter.isGranted() && afterSlice - start >= STUCK_NANOS
                    && afterSlice - lastReleaseWhileWaitingNanos >= STUCK_NANOS) {
                stuckTask.run();
            }
        } catch (RuntimeException | Error e) {
            // Housekeeping help only: waiting goes on regardless, but the error is reported.
            SocketHooks.internalError("a waiting thread's slice work", e);
        }
        maybeSummarize();
        return releasesBefore;
    }

    private void maybeSummarize() {
        long last = lastSummaryNanos.get();
        long now = clock.nanoTime();
        if (now - last >= SUMMARY_INTERVAL_NANOS && lastSummaryNanos.compareAndSet(last, now)) {
            gate.events().stillWaiting(gate);
        }
    }
}
