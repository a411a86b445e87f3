package io.emfileguard.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Asks the JVM for a garbage collection when threads are stuck at the cap and only garbage can free
 * room: sockets the application dropped without {@code close()} keep their descriptors (and their
 * units) until a collection lets the JDK's Cleaner close them, and an application that waits
 * allocates nothing, so none comes. This is the classic cause of EMFILE in the first place.
 *
 * <p>Runs on a waiting thread (see {@link SocketGate#setStuckTask}), at most once per
 * {@link #MIN_INTERVAL_NANOS}: a full collection stops the world. A queue can also look stuck while
 * every socket is simply busy (replies slower than the stuck time): a request that gave nothing back
 * doubles the interval before the next one (up to {@link #MAX_INTERVAL_NANOS}); one that did resets
 * it. The units of the collected
 * sockets come back through {@link SocketRegistry#expungeCollected()}, which the waiters run after
 * every slice. Under {@code -XX:+DisableExplicitGC} the request does nothing: such sockets then
 * come back at the JVM's next collection of its own, as without the agent. No request while every
 * tracked socket is a request in flight ({@link SocketRegistry#mayHoldGarbage}).
 */
public final class AbandonedSocketCollector implements Runnable {

    static final long MIN_INTERVAL_NANOS = 2_000_000_000L;
    static final long MAX_INTERVAL_NANOS = 64_000_000_000L;

    private final SocketRegistry registry;
    /** One event per requested collection (for the log line and the metric). */
    private final GateEvents events;
    private final Runnable collect;
    private final AtomicLong notBefore = new AtomicLong(System.nanoTime());
    /** Written by the one thread that won the request (the compare-and-set below). */
    private volatile long intervalNanos = MIN_INTERVAL_NANOS;
    private volatile long collectedAtLastRequest = -1;

    public AbandonedSocketCollector(SocketRegistry registry, GateEvents events) {
        this(registry, events, new Runnable() {
            @Override
            public void run() {
                System.gc();
            }
        });
    }

    /** @param collect what a request does ({@code System.gc()}; tests pass their own) */
    AbandonedSocketCollector(SocketRegistry registry, GateEvents events, Runnable collect) {
        this.registry = registry;
        this.events = GateEvents.guarded(events);
        this.collect = collect;
    }

    /** A socket with no I/O for this long (the gate's stuck time) may be garbage, unless it awaits a reply. */
    static final long QUIET_NANOS = 500_000_000L;
    /**
     * A request awaiting its reply for this long may have been dropped mid-request. Shorter replies
     * never make a collection worth its pause: the demo's fan-out (2 s replies, every socket in flight)
     * asked for one per batch before this rule.
     */
    static final long IN_FLIGHT_NANOS = 10_000_000_000L;

    @Override
    public void run() {
        long now = System.nanoTime();
        long allowed = notBefore.get();
        if (now - allowed < 0 || !notBefore.compareAndSet(allowed, now + MAX_INTERVAL_NANOS)) {
            return; // another waiter asked recently, or is asking (or looking) now
        }
        if (!registry.mayHoldGarbage(QUIET_NANOS, IN_FLIGHT_NANOS)) {
            notBefore.set(allowed); // every socket is a request in flight: nothing asked, a later slice looks again
            return;
        }
        long collectedBefore = registry.collectedTotal();
        // Did the previous request give units back (they come in over the slices after it)?
        long previous = collectedAtLastRequest;
        intervalNanos = previous >= 0 && collectedBefore == previous
                ? Math.min(MAX_INTERVAL_NANOS, intervalNanos * 2) : MIN_INTERVAL_NANOS;
        collectedAtLastRequest = collectedBefore;
        notBefore.set(now + intervalNanos);
        collect.run();
        registry.expungeCollected(); // what the collection already enqueued; the rest comes in later slices
        long total = registry.gate().counters().gcRequests.incrementAndGet();
        events.collectionRequested((int) (registry.collectedTotal() - collectedBefore), total);
    }

    long intervalNanos() {
        return intervalNanos;
    }

    /** Tests: the next {@link #run} may ask at once (the clock is not theirs to move). */
    void allowNow() {
        notBefore.set(System.nanoTime() - 1);
    }

    /** Collections requested so far (the {@code GcRequestsTotal} metric). */
    public long requestedTotal() {
        return registry.gate().counters().gcRequests.get();
    }
}
