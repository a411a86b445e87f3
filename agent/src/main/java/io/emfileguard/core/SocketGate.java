package io.emfileguard.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The process-wide count of open sockets and the FIFO queue of what waits for one: parked threads
 * and deferred work ({@link Deferred}: an async call's next step, run when a unit frees).
 *
 * <h2>Accounting model</h2>
 * One <em>unit</em> stands for one socket descriptor. A unit is taken before the descriptor is
 * created (so a burst of creations can never overshoot the cap) and given back exactly once when the
 * descriptor is closed, the creation fails, or the garbage collector reclaims the socket. Units are
 * never tied to threads, only to sockets (see {@link SocketRegistry}).
 *
 * <h2>Algorithm</h2>
 * <ul>
 *   <li>Fast path, nobody waiting: one CAS on {@link #used}; no clock read, no allocation.</li>
 *   <li>Slow path: the thread joins a FIFO queue and parks in slices of at most
 *       {@code hold.millis}. A release hands its unit straight to the head of the queue (the count
 *       does not drop and rise again, so a newcomer cannot slip in between) and unparks it.</li>
 *   <li>A newcomer never jumps a non-empty queue: the fast path is closed while {@link #queued} &gt; 0.</li>
 *   <li>Grant and cancel (timeout, interrupt) both happen under {@link #lock}, so a waiter whose wait
 *       ends at the instant a release grants it a slot either owns that slot or it went to the next
 *       waiter: the count always returns to its baseline.</li>
 *   <li>Async work never parks anyone: it joins the same queue as a {@link Deferred} node, and a
 *       grant decided under the lock is delivered after it by one agent thread
 *       ({@link DeferredDelivery}, started only while such nodes exist), never on the releasing
 *       thread, which may be a selector or the thread inside a socket's close.</li>
 *   <li>Parking is {@link LockSupport#parkNanos(Object, long)}, which does not pin virtual threads;
 *       the gate is the park blocker, so thread dumps name who holds the threads. The time of waits
 *       and the timed parks both come from one {@link ParkingClock}, so tests move it instead of
 *       sleeping; the fast path never reads it.</li>
 * </ul>
 */
public final class SocketGate {

    /** What a caller got from {@link #acquire}. */
    public enum Admission {
        /** Under the cap, straight away. */
        IMMEDIATE,
        /** Under the cap, after waiting in the queue. */
        AFTER_WAIT,
        /** Counted above the cap because the thread must not be parked (event loop, non-blocking). */
        OVER_CAP_UNPARKABLE,
        /** Counted above the cap because the wait timed out and the policy is to proceed. */
        OVER_CAP_TIMED_OUT,
        /** No unit taken: the caller's {@link Claim} found room elsewhere while it waited. */
        CLAIMED,
        /** Not yet: the {@link Deferred} work waits in the queue and is run when a unit frees. */
        DEFERRED
    }

    /**
     * Work that waits at the cap without a thread: an async call's step that would open a socket
     * (an exchange's start, a pool's acquire). It joins the queue in arrival order with the parked
     * threads; when a unit frees, it is {@link #admitted} on the gate's delivery thread. Its wait
     * ends exactly once: granted (a unit is taken for it), claimed (room found elsewhere), timed out
     * ({@code max.wait.millis} and {@code on.timeout}, as for threads), expired (its own deadline,
     * such as a request's timeout) or cancelled by its owner ({@link SocketGate#cancel(Deferred)}).
     * The callbacks run on the delivery thread, never under the gate's lock, one at a time: keep
     * them short (hand the work to the client's own executor).
     */
    public abstract static class Deferred extends WaitQueue.Node {
        /** No deadline of its own: {@code max.wait.millis} alone bounds the wait. */
        public static final long NO_DEADLINE = Long.MAX_VALUE;
        /** Its own deadline on the gate's clock (a request's timeout), or {@link #NO_DEADLINE}. */
        volatile long ownDeadlineNanos = NO_DEADLINE;
        /** When {@code max.wait.millis} ends its wait; set when it joins the queue. */
        long maxWaitDeadlineNanos;

        /** Sets a deadline of its own, {@code nanos} from now on the gate's clock; call before it queues. */
        public final void expireAfter(SocketGate gate, long nanos) {
            long now = gate.clock().nanoTime();
            ownDeadlineNanos = nanos >= NO_DEADLINE - now ? NO_DEADLINE : now + Math.max(0, nanos);
        }

        /**
         * The wait is over and the work may go on: {@code how} is {@link Admission#AFTER_WAIT} or
         * {@link Admission#OVER_CAP_TIMED_OUT} (a unit was taken for it: its socket open must use it,
         * or give it back) or {@link Admission#CLAIMED} (no unit: {@link #tryClaim} found room).
         */
        protected abstract void admitted(Admission how);

        /** {@code max.wait.millis} ran out with {@code on.timeout=fail}: no unit; fail the work with {@code reason}. */
        protected abstract void refused(SocketGateTimeoutException reason);

        /** Its own deadline came before a unit: no unit; end the work as its client's own timeout would. */
        protected abstract void expired();

        /**
         * Room other than a unit, offered when its client has some (see {@link SocketGate#offerClaim}):
         * an HTTP client's idle connection, for instance. Runs on the delivery thread.
         * @return true if room was taken; {@link #undoClaim} gives it back if a grant won meanwhile
         */
        protected boolean tryClaim() {
            return false;
        }

        /** Gives back what {@link #tryClaim} took (a unit was granted at the same instant). */
        protected void undoClaim() {
        }
    }

    /** A thread parked in the queue. */
    private static final class ParkedThread extends WaitQueue.Node {
        final Thread thread;

        ParkedThread(Thread thread) {
            this.thread = thread;
        }
    }

    /**
     * Another way for a waiting caller to get room without a new unit, re-checked on every wake:
     * an HTTP client's idle pooled connection that the next exchange will reuse, for instance.
     */
    public interface Claim {
        /** @return true if room was taken (the caller then needs no unit) */
        boolean tryClaim();
    }

    private final ParkingClock clock;
    private final AtomicInteger used = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final WaitQueue waiters = new WaitQueue();
    /** Mirror of {@code waiters.size()}, readable without the lock (closes the fast path). */
    private volatile int queued;
    /** How many of the queued are {@link Deferred} (the delivery thread runs while any are); under the lock. */
    private int deferredQueued;
    /**
     * Runs deferred work: created (under the lock) when the first deferred work queues, so that a
     * process that never defers loads none of it; its thread runs only while deferred work exists.
     */
    private volatile DeferredDelivery delivery;

    private volatile GateSettings settings;
    /** min(max.sockets, what the descriptor guard allows): the cap actually enforced. */
    private volatile int effectiveCap;
    /**
     * The cap for threads that can wait: {@code effectiveCap} minus a small reserve for threads
     * that cannot (the JDK HttpClient's own threads, event loops, excluded addresses), kept once
     * such a thread has shown up. Those open sockets when they must (e.g. the HttpClient opens a
     * new connection because a finished one has not yet gone back to its pool): with the reserve
     * they fit under the cap instead of going over it.
     */
    private volatile int parkableCap;
    private volatile int reserve;
    private volatile int descriptorCap = Integer.MAX_VALUE;
    private volatile GateEvents events = GateEvents.NONE;
    /** What the waiters at the front do between slices: reclaim, sample, GC assist, summaries. */
    private final GateHousekeeping housekeeping;

    // Metrics: the peaks, kept here because the fast path reads the interval peak; the rest in counters.
    private final AtomicInteger peak = new AtomicInteger();
    /** Peak since the last {@link #takeIntervalPeak()}: per-interval metrics (Lambda's EMF lines). */
    private final AtomicInteger intervalPeak = new AtomicInteger();
    private final GateCounters counters = new GateCounters();
    private volatile boolean waitingEpisode;

    public SocketGate(GateSettings settings) {
        this(settings, Clock.SYSTEM);
    }

    /** @param clock where waits read the time and park: {@link Clock#SYSTEM}, or one a test moves */
    public SocketGate(GateSettings settings, ParkingClock clock) {
        this.settings = settings;
        this.effectiveCap = settings.maxSockets;
        this.parkableCap = settings.maxSockets;
        this.clock = clock;
        this.housekeeping = new GateHousekeeping(this, clock);
    }

    /** The clock the gate's waits run on; whatever else waits alongside them (an HTTP client's channels) uses it too. */
    public ParkingClock clock() {
        return clock;
    }

    /** Keeps max(2, cap/64) units for threads that cannot wait; idempotent. */
    public void reserveForThreadsThatCannotWait() {
        if (reserve == 0) {
            reserve = 1; // marks it on; the size follows the cap
            recomputeParkableCap();
        }
    }

    private void recomputeParkableCap() {
        int cap = effectiveCap;
        int r = reserve == 0 ? 0 : Math.max(2, cap / 64);
        parkableCap = cap <= 1 ? cap : Math.max(1, cap - r);
    }

    /** Units that waiting threads may fill (the cap minus the reserve for threads that cannot wait). */
    public int parkableCap() {
        return parkableCap;
    }

    /** Looks at the process's real descriptors now and then (see {@code DescriptorGuard}). */
    public interface Sampler {
        /** Cheap when called too often: it throttles itself. */
        void maybeSample();
    }

    public void setSampler(Sampler sampler) {
        housekeeping.sampler = sampler;
    }

    /** Lowers (or lifts) the cap to what the process's descriptors allow; a raise admits waiters. */
    public void setDescriptorCap(int cap) {
        int before = effectiveCap;
        descriptorCap = cap;
        effectiveCap = Math.min(settings.maxSockets, cap);
        recomputeParkableCap();
        if (effectiveCap > before) {
            dispatch();
        }
    }

    public int effectiveCap() {
        return effectiveCap;
    }

    public GateSettings settings() {
        return settings;
    }

    /** Replaces the settings at run time; a raised cap admits waiters at once. */
    public void updateSettings(GateSettings newSettings) {
        this.settings = newSettings;
        this.effectiveCap = Math.min(newSettings.maxSockets, descriptorCap);
        recomputeParkableCap();
        dispatch();
    }

    /**
     * Frees room when waiting alone would not: closes one idle pooled socket. Asked at most once per
     * waiting thread, after a hold slice in which nothing was released.
     */
    public interface Reclaimer {
        /** @return true if a socket was closed (its unit comes back through the normal close path) */
        boolean reclaimOne();

        /**
         * Closes one of {@code client}'s idle pooled channels (retired from its account first), for
         * a channel that client's own thread is opening at the cap: the new channel takes over its unit.
         * @return true if one was retired and is being closed
         */
        default boolean reclaimIdleChannelOf(UnitHolder client) {
            return false;
        }
    }

    /**
     * For a channel an HTTP client's own thread opens beyond its client's units while waiting threads
     * fill the cap: closes one of that client's idle channels instead of counting one more socket.
     */
    public boolean reclaimIdleChannelOf(UnitHolder client) {
        Reclaimer r = housekeeping.reclaimer;
        return r != null && (queued != 0 || used.get() >= parkableCap) && r.reclaimIdleChannelOf(client);
    }

    public void setReclaimer(Reclaimer reclaimer) {
        housekeeping.reclaimer = reclaimer;
    }

    /** Runs on a waiting thread after each slice, e.g. to give back units of collected sockets. */
    public void setSliceTask(Runnable task) {
        housekeeping.sliceTask = task == null ? GateHousekeeping.NO_TASK : task;
    }

    /**
     * Runs on a waiting thread when the queue is stuck: nothing released for {@link #STUCK_NANOS}
     * and nothing idle to reclaim. What can still free room then is the garbage collector: sockets
     * the application dropped without {@code close()} hold their units until it runs (see
     * {@code AbandonedSocketCollector}). The task rate-limits itself.
     */
    public void setStuckTask(Runnable task) {
        housekeeping.stuckTask = task == null ? GateHousekeeping.NO_TASK : task;
    }

    /** Waiting this long with no release and nothing to reclaim counts as stuck. */
    static final long STUCK_NANOS = GateHousekeeping.STUCK_NANOS;

    GateEvents events() {
        return events;
    }

    /** The sink's calls are guarded ({@link GateEvents#guarded}): an error in one is reported, never thrown out of {@link #acquire}. */
    public void setEvents(GateEvents events) {
        this.events = GateEvents.guarded(events);
    }

    /**
     * Takes one unit for a socket that is about to get a descriptor.
     *
     * @param mayPark false for threads that must never be parked (they are counted at once)
     * @throws SocketGateTimeoutException when the wait timed out and {@code on.timeout=fail}
     * @throws SocketGateInterruptedException when the thread was interrupted while waiting
     */
    public Admission acquire(boolean mayPark)
            throws SocketGateTimeoutException, SocketGateInterruptedException {
        return acquire(mayPark, null);
    }

    /** As {@link #acquire(boolean)}; a waiting caller also leaves the queue when {@code claim} succeeds. */
    public Admission acquire(boolean mayPark, Claim claim)
            throws SocketGateTimeoutException, SocketGateInterruptedException {
        if (tryAcquireFast()) {
            return Admission.IMMEDIATE;
        }
        if (!mayPark) {
            return fromReserve() ? Admission.IMMEDIATE : countOverCap();
        }
        return acquireSlow(claim);
    }

    /**
     * For a thread that must not park: a unit now, counted above the cap if need be, or (with
     * {@code event.loop.at.cap=fail}, when at the cap) a refusal.
     */
    public Admission acquireWithoutWaiting() throws SocketGateRefusedException {
        if (tryAcquireFast()) {
            return Admission.IMMEDIATE;
        }
        if (fromReserve()) {
            return Admission.IMMEDIATE;
        }
        if (settings.refuseEventLoopsAtCap && used.get() >= effectiveCap) {
            counters.refused.incrementAndGet();
            throw new SocketGateRefusedException(effectiveCap, used.get(), Thread.currentThread().getName());
        }
        return countOverCap();
    }

    /** A unit from the reserve below the cap that is kept for threads that cannot wait, if one is free. */
    private boolean fromReserve() {
        reserveForThreadsThatCannotWait();
        return tryAcquireUpTo(effectiveCap);
    }

    /** A thread that cannot wait, at the cap: counted above it (the count is the truth). */
    private Admission countOverCap() {
        recordPeak(used.incrementAndGet());
        counters.overCap.incrementAndGet();
        return Admission.OVER_CAP_UNPARKABLE;
    }

    /** A unit if the count is under {@code limit}, whoever waits (threads that cannot wait use the reserve). */
    private boolean tryAcquireUpTo(int limit) {
        for (;;) {
            int current = used.get();
            if (current >= limit) {
                return false;
            }
            if (used.compareAndSet(current, current + 1)) {
                recordPeak(current + 1);
                return true;
            }
        }
    }

    /** Counts a socket that got its descriptor without asking (accepted connections). Never parks. */
    public void addWithoutWaiting() {
        int now = used.incrementAndGet();
        recordPeak(now);
    }

    /** Gives one unit back: handed to the longest waiter, if any. */
    public void release() {
        used.decrementAndGet();
        if (queued > 0) {
            handToWaiters();
        }
    }

    /**
     * The rest of a release while threads wait; a method of its own so that {@link #release()} stays
     * under the JIT's size limit for inlining at call sites that are not hot (35 bytes of bytecode).
     */
    private void handToWaiters() {
        housekeeping.releasedWhileWaiting();
        dispatch();
    }

    /** The fast path alone: one CAS when nobody waits and the count is under the cap. */
    public boolean tryAcquireFast() {
        if (queued != 0) {
            return false;
        }
        for (;;) {
            int current = used.get();
            if ((current & 15) == 15) {
                // Every 16th unit on the way up: a clock read at most (the sample throttles itself),
                // nothing at all for a process that keeps few sockets open.
                housekeeping.maybeSample();
            }
            if (current >= parkableCap) {
                return false;
            }
            if (used.compareAndSet(current, current + 1)) {
                if (current + 1 > intervalPeak.get()) {
                    recordPeak(current + 1);
                }
                return true;
            }
        }
    }

    private Admission acquireSlow(Claim claim) throws SocketGateTimeoutException, SocketGateInterruptedException {
        GateSettings s = settings;
        Thread self = Thread.currentThread();
        ParkedThread waiter = new ParkedThread(self);
        long start = enqueue(waiter);
        long deadline = start + s.maxWaitNanos();
        long releasesBefore = progressSoFar();
        try {
            for (;;) {
                if (waiter.isGranted()) {
                    return Admission.AFTER_WAIT;
                }
                if (claim != null && claimed(claim)) {
                    if (!cancel(waiter)) {
                        release(); // granted at the same instant: the unit goes to the next waiter
                    }
                    return Admission.CLAIMED;
                }
                if (Thread.interrupted()) {
                    if (cancel(waiter)) {
                        self.interrupt();
                        throw new SocketGateInterruptedException(s.maxSockets, used.get(),
                                clock.nanoTime() - start);
                    }
                    // Granted at the same instant: pass the slot on, then report the interrupt.
                    self.interrupt();
                    release();
                    throw new SocketGateInterruptedException(s.maxSockets, used.get(),
                            clock.nanoTime() - start);
                }
                long now = clock.nanoTime();
                long left = deadline - now;
                if (left <= 0) {
                    if (!cancel(waiter)) {
                        return Admission.AFTER_WAIT; // a release won the race: keep its slot
                    }
                    long waited = now - start;
                    if (timedOutProceeding(s, waited)) {
                        return Admission.OVER_CAP_TIMED_OUT;
                    }
                    throw new SocketGateTimeoutException(s.maxSockets, used.get(), waited);
                }
                // The slice bounds the cost of a swallowed unpark (a park inside the work above,
                // e.g. a contended lock in a claim, can consume the grant's permit). Only the front
                // waiters need slices: they do the per-slice work (reclaiming idle sockets,
                // sampling descriptors). Waiters further back can't be granted before those ahead of
                // them, and the dispatcher unparks each one that moves into the front: they park
                // until their deadline, so 10,000 waiting threads cost nothing while nothing moves.
                long slice = waiter.ticket - dequeued <= FRONT_WAITERS ? s.holdNanos() : left;
                if (waiter.isGranted()) {
                    continue; // granted since the top of the loop: its permit may be spent already
                }
                clock.parkNanos(this, Math.min(left, slice));
                if (!waiter.isGranted()) {
                    releasesBefore = housekeeping.betweenSlices(waiter, releasesBefore);
                }
            }
        } finally {
            waitEnded(start);
        }
    }

    /**
     * Joins the queue (a thread or deferred work), counts the wait, and offers the queue a unit at
     * once: the last release may have looked at the queue just before this node joined it.
     * @return when the wait started, on the gate's clock
     */
    private long enqueue(WaitQueue.Node node) {
        long start = clock.nanoTime();
        node.startNanos = start;
        boolean deferred = node instanceof Deferred;
        if (deferred) {
            Deferred d = (Deferred) node;
            long maxWait = settings.maxWaitNanos();
            d.maxWaitDeadlineNanos = maxWait >= Long.MAX_VALUE - start ? Long.MAX_VALUE : start + maxWait;
        }
        lock.lock();
        try {
            node.ticket = ++enqueued;
            waiters.addLast(node);
            queued = waiters.size();
            if (deferred) {
                deferredQueued++;
                if (delivery == null) {
                    delivery = new DeferredDelivery(this);
                }
            }
        } finally {
            lock.unlock();
        }
        counters.waits.incrementAndGet();
        if (deferred) {
            delivery.workArrived(); // its thread runs while deferred work waits: timeouts, housekeeping
        }
        dispatch();
        if (node.isWaiting() && !waitingEpisode) {
            waitingEpisode = true;
            housekeeping.episodeStarted(start);
            events.waitingStarted(this);
        }
        return start;
    }

    /** A wait ended (granted, claimed, timed out, cancelled): its time counts, and the episode ends with the queue. */
    private void waitEnded(long start) {
        counters.waitNanos.addAndGet(clock.nanoTime() - start);
        if (queued == 0) {
            waitingEpisode = false;
        }
    }

    /** Releases that were progress of the application so far (reclaims excluded): what a slice compares. */
    long progressSoFar() {
        return housekeeping.progressSoFar();
    }

    // ---- deferred work (async callers)

    /**
     * A unit for {@code work} now ({@link Admission#IMMEDIATE}: the caller goes on itself, holding it),
     * or {@link Admission#DEFERRED}: it waits in the queue, behind whatever waits already, and its
     * {@link Deferred#admitted} (or {@code refused}, {@code expired}) runs later on the gate's
     * delivery thread. Never parks, never throws the gate's exceptions: async callers get the
     * outcome through the callbacks.
     */
    public Admission acquireOrDefer(Deferred work) {
        if (tryAcquireFast()) {
            return Admission.IMMEDIATE;
        }
        enqueue(work);
        return Admission.DEFERRED;
    }

    /**
     * The owner of {@code work} gives up its wait (its caller cancelled, its pool shut down).
     * @return true if it left the queue without a unit; false if its wait had already ended (a unit
     *         may have been granted: then its {@code admitted} runs, or has run, as usual)
     */
    public boolean cancel(Deferred work) {
        if (!leaveQueue(work, WaitQueue.Node.CANCELLED)) {
            return false;
        }
        waitEnded(work.startNanos); // its time counts, and the waiting episode ends with the queue
        return true;
    }

    /**
     * {@code work}'s client has room other than a unit for it now (an exchange of the same HTTP
     * client ended, its connection idles): the delivery thread asks {@link Deferred#tryClaim}.
     * Called on any thread; cheap.
     */
    public void offerClaim(Deferred work) {
        DeferredDelivery d = delivery;
        if (work.isWaiting() && d != null) { // (waiting and never queued: its admission is still under way)
            d.claimOffered(work);
        }
    }

    /** How many deferred waits are queued now. */
    public int deferredWaiting() {
        lock.lock();
        try {
            return deferredQueued;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the delivery thread runs now (it runs only while deferred work exists). */
    public boolean deliveryThreadRunning() {
        DeferredDelivery d = delivery;
        return d != null && d.isRunning();
    }

    /** For the delivery thread: the earliest deadline of the queued deferred work (or Long.MAX_VALUE). */
    long nextDeferredDeadline() {
        lock.lock();
        try {
            long next = Long.MAX_VALUE;
            if (deferredQueued == 0) {
                return next;
            }
            for (WaitQueue.Node n = waiters.after(null); n != null; n = waiters.after(n)) {
                if (n instanceof Deferred) {
                    next = Math.min(next, deadlineOf((Deferred) n));
                }
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    private static long deadlineOf(Deferred d) {
        return Math.min(d.ownDeadlineNanos, d.maxWaitDeadlineNanos);
    }

    /**
     * For the delivery thread: the deferred work whose deadline has passed leaves the queue (without
     * a unit) and its wait ends the way its deadline says: its own ({@link Deferred#expired}), or
     * {@code max.wait.millis} with {@code on.timeout} (proceed: a unit counted above the cap, as for
     * a thread; fail: {@link Deferred#refused}).
     */
    void expireOverdue() {
        long now = clock.nanoTime();
        List<Deferred> overdue = null;
        lock.lock();
        try {
            if (deferredQueued == 0) {
                return;
            }
            for (WaitQueue.Node n = waiters.after(null); n != null; ) {
                WaitQueue.Node next = waiters.after(n);
                if (n instanceof Deferred && now - deadlineOf((Deferred) n) >= 0
                        && removeLocked(n, WaitQueue.Node.CANCELLED)) {
                    if (overdue == null) {
                        overdue = new ArrayList<>();
                    }
                    overdue.add((Deferred) n);
                }
                n = next;
            }
        } finally {
            lock.unlock();
        }
        if (overdue == null) {
            return;
        }
        GateSettings s = settings;
        for (Deferred d : overdue) {
            waitEnded(d.startNanos);
            if (d.ownDeadlineNanos <= d.maxWaitDeadlineNanos) {
                DeferredDelivery.run(d, DeferredDelivery.EXPIRED, null);
                continue;
            }
            long waited = now - d.startNanos;
            if (timedOutProceeding(s, waited)) {
                DeferredDelivery.run(d, DeferredDelivery.ADMITTED, Admission.OVER_CAP_TIMED_OUT);
            } else {
                DeferredDelivery.run(d, DeferredDelivery.REFUSED,
                        new SocketGateTimeoutException(s.maxSockets, used.get(), waited));
            }
        }
    }

    /**
     * A wait (a thread's or deferred work's) ran into {@code max.wait.millis}: counted and reported;
     * with {@code on.timeout=proceed} a unit is taken above the cap (the count is the truth).
     * @return whether it proceeds (else it fails, without a unit)
     */
    private boolean timedOutProceeding(GateSettings s, long waitedNanos) {
        counters.timeouts.incrementAndGet();
        boolean proceed = s.onTimeout == GateSettings.OnTimeout.PROCEED;
        events.timedOut(this, waitedNanos, proceed);
        if (proceed) {
            recordPeak(used.incrementAndGet());
            counters.overCap.incrementAndGet();
        }
        return proceed;
    }

    /** For the delivery thread: a granted node's wait is over; its time counts. */
    void deferredWaitEnded(Deferred d) {
        waitEnded(d.startNanos);
    }

    /**
     * For the delivery thread, after a slice: if deferred work is at the head of the queue, nobody
     * parked is there to do the front's housekeeping (reclaiming idle pooled sockets, sampling
     * descriptors, the GC assist), so the delivery thread does it for that node.
     * @return the progress count to compare with after the next slice
     */
    long housekeepingForDeferred(long releasesBefore) {
        WaitQueue.Node head;
        lock.lock();
        try {
            head = waiters.peekFirst();
        } finally {
            lock.unlock();
        }
        if (!(head instanceof Deferred)) {
            return progressSoFar(); // a parked thread at the head does it
        }
        return housekeeping.betweenSlices(head, releasesBefore);
    }

    /** Under the lock: the node leaves the queue with state {@code to}, if it was still waiting. */
    private boolean removeLocked(WaitQueue.Node node, int to) {
        if (!node.leaveWaiting(to)) {
            return false;
        }
        if (waiters.remove(node)) {
            dequeued++;
            if (node instanceof Deferred) {
                deferredQueued--;
            }
            wakeNewFrontWaiters(1); // someone behind it may have moved into the front
        }
        queued = waiters.size();
        return true;
    }

    private boolean leaveQueue(WaitQueue.Node node, int to) {
        lock.lock();
        try {
            return removeLocked(node, to);
        } finally {
            lock.unlock();
        }
    }

    /**
     * A deferred node's claim (see {@link #offerClaim}), on the delivery thread: the claim is taken
     * only while the node waits, and kept only if the node then leaves the queue unit-less.
     */
    void claimFor(Deferred d) {
        if (!d.isWaiting() || !d.tryClaim()) {
            return;
        }
        if (leaveQueue(d, WaitQueue.Node.CANCELLED)) {
            waitEnded(d.startNanos);
            // Room its client gave back is the application's progress, as a release is: without it a
            // queue served only by claims (a Netty pool's returning channels) would look stuck.
            housekeeping.releasedWhileWaiting();
            DeferredDelivery.run(d, DeferredDelivery.ADMITTED, Admission.CLAIMED);
        } else {
            d.undoClaim(); // a unit was granted at the same instant: that grant is delivered instead
        }
    }

    /**
     * Waiters at most this far from the head park in {@code hold.millis} slices; the rest in long ones.
     * Each front wake costs a parked virtual thread ~175 µs of CPU (timer, unpark, re-park: measured
     * with 10,000 waiting, `benchmarks/run.sh --only scale`): 8 of them waking every 100 ms cost
     * 14 ms of CPU per second while nothing moves, 4 cost ~7; 4 still reclaim up to 4 x 32 idle
     * sockets per slice (1,280 a second; the demo's mixed batch reclaims ~450 a second).
     */
    static final int FRONT_WAITERS = 4;
    /** A front waiter reclaims at most this many idle sockets per quiet slice. */
    static final int MAX_RECLAIMS_PER_SLICE = GateHousekeeping.MAX_RECLAIMS_PER_SLICE;
    /** Waiters ever queued / ever left the queue (granted or cancelled); written under the lock. */
    private long enqueued;
    private volatile long dequeued;

    /**
     * Grants units to the head of the queue while the count is under the cap. Decided under the lock,
     * delivered after it: a parked thread is unparked, deferred work goes to the delivery thread
     * (this may run on a selector thread, or inside a socket's close: nothing else runs here).
     */
    private void dispatch() {
        boolean deferredGranted = false;
        lock.lock();
        try {
            int granted = 0;
            while (!waiters.isEmpty()) {
                int current = used.get();
                if (current >= parkableCap) {
                    break;
                }
                if (!used.compareAndSet(current, current + 1)) {
                    continue;
                }
                WaitQueue.Node head = waiters.pollFirst();
                dequeued++;
                queued = waiters.size();
                if (head instanceof Deferred) {
                    deferredQueued--;
                }
                if (!head.leaveWaiting(WaitQueue.Node.GRANTED)) {
                    used.decrementAndGet(); // its wait had ended: the unit goes to the next node
                    continue;
                }
                recordPeak(current + 1);
                if (head instanceof Deferred) {
                    delivery.granted((Deferred) head);
                    deferredGranted = true;
                } else {
                    clock.unpark(((ParkedThread) head).thread);
                }
                granted++;
            }
            if (granted > 0) {
                wakeNewFrontWaiters(granted);
            }
        } finally {
            lock.unlock();
        }
        if (deferredGranted) {
            delivery.workArrived();
        }
    }

    /**
     * {@code moved} waiters just moved into the front of the queue: they may be parked until their
     * deadline (back waiters do): wake them, so that the front always has waiters doing the
     * per-slice work. Called under the lock.
     */
    private void wakeNewFrontWaiters(int moved) {
        if (waiters.size() <= FRONT_WAITERS - moved) {
            return;
        }
        int index = 0;
        int firstNew = Math.max(0, FRONT_WAITERS - moved);
        for (WaitQueue.Node w = waiters.after(null); w != null && index < FRONT_WAITERS; w = waiters.after(w)) {
            if (index >= firstNew && w instanceof ParkedThread) {
                clock.unpark(((ParkedThread) w).thread); // deferred work: the delivery thread slices anyway
            }
            index++;
        }
    }

    /** @return true if the waiter left the queue without a slot; false if it had been granted one */
    private boolean cancel(ParkedThread waiter) {
        return leaveQueue(waiter, WaitQueue.Node.CANCELLED);
    }

    private void recordPeak(int value) {
        int p;
        while (value > (p = intervalPeak.get())) {
            if (intervalPeak.compareAndSet(p, value)) {
                break;
            }
        }
        while (value > (p = peak.get())) {
            if (peak.compareAndSet(p, value)) {
                return;
            }
        }
    }

    /** The peak since the previous call (or start), and starts a new interval at the current count. */
    public int takeIntervalPeak() {
        return intervalPeak.getAndSet(used.get());
    }

    public int openSockets() {
        return used.get();
    }

    public void resetPeak() {
        peak.set(used.get());
    }

    public int waitingThreads() {
        return queued;
    }

    /** The one set of counters (the registry, reclaimer and collector of this gate count here too). */
    GateCounters counters() {
        return counters;
    }

    /** The counters as metrics and logs show them. */
    public GateStats stats() {
        return new GateStats(this, peak.get(), counters);
    }

    @Override
    public String toString() {
        return "SocketGate[open=" + used.get() + ", cap=" + settings.maxSockets + ", waiting=" + queued + "]";
    }

    /**
     * {@code claim.tryClaim()}; an error in it is reported and counts as no room: thrown out of the
     * wait it would leave this waiter in the queue, to be granted a unit nobody gives back.
     */
    private static boolean claimed(Claim claim) {
        try {
            return claim.tryClaim();
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("a waiting thread's claim", e);
            return false;
        }
    }
}
