package io.emfileguard.core;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * One socket that holds a unit of the gate, as {@link SocketRegistry} tracks it: a weak reference to
 * the descriptor's owner (so tracking never keeps a socket alive), where the socket is in its
 * request/reply cycle ({@link Phase}), where a pool the agent follows has it ({@link PoolState}),
 * and the idle clock that the reclaimer reads.
 *
 * <p>The reclaimer and a pool race for an idle socket: the reclaimer to close it, the pool to hand it
 * to a request. Both claim it with a compare-and-set on {@link #lastIoNanos} (the reclaimer swaps the
 * stamp it judged idle for {@link #RECLAIMING}, a user swaps in "now"), so exactly one of them wins
 * and a socket is never both handed to a request and closed under it.
 */
final class TrackedSocket extends WeakReference<Object> {

    /** Where a socket is in its request/reply cycle: only a socket that has read its reply may be idle. */
    enum Phase {
        /** Connected, or handed out by its pool: nothing written yet. */
        FRESH,
        /** A request was written: a reply is awaited (a non-blocking channel shows no reader thread). */
        AWAITING_REPLY,
        /** The reply was read since the last write: the exchange is over. */
        REPLIED
    }

    /** Where a pool the agent follows has the socket: most clients' pools are not followed. */
    enum PoolState {
        /** No pool the agent follows: the phase alone says whether the socket is back in its pool. */
        UNKNOWN,
        /** Idle in its pool (from the pool's own hook): reclaimable once idle long enough. */
        IN_POOL,
        /** Handed out by its pool, or opened for a request: in use until the pool takes it back. */
        OUT_OF_POOL
    }

    /** The reclaimer has claimed this socket and is closing it (a value no clock reading takes). */
    private static final long RECLAIMING = Long.MIN_VALUE;
    private static final AtomicLongFieldUpdater<TrackedSocket> LAST_IO =
            AtomicLongFieldUpdater.newUpdater(TrackedSocket.class, "lastIoNanos");

    final int hash;
    final boolean releaseOnCollect;
    /** What holds this channel's unit (a client family's account), or null: the gate holds it. */
    final UnitHolder holder;
    /** A server-side socket: counted, never reclaimed. */
    final boolean accepted;
    final long openedNanos;
    /** Where it was opened ({@code track.stacks=true}), else null. */
    final Throwable openedAt;

    /**
     * Last read, write, connect or use by a pool, or {@link #RECLAIMING}. Changed only by
     * compare-and-set: an I/O stamp that overwrote the reclaimer's mark would let a pool hand out a
     * socket that is being closed.
     */
    private volatile long lastIoNanos;
    private volatile Phase phase = Phase.FRESH;
    private volatile PoolState pool = PoolState.UNKNOWN;
    /** The java.net.Socket whose descriptor this is, if known. */
    volatile WeakReference<Object> socket;
    /** The holder's connection that owns this channel, if any ({@link UnitHolder#closeConnection}). */
    volatile WeakReference<Object> connection;
    /** A holder's channel taken out of its holder's count (reclaimed or closing; guarded by this). */
    private boolean retired;

    TrackedSocket(Object owner, ReferenceQueue<Object> queue, boolean releaseOnCollect, UnitHolder holder,
                  boolean accepted, Throwable openedAt, long now) {
        super(owner, queue);
        this.openedNanos = now;
        this.lastIoNanos = now;
        this.openedAt = openedAt;
        this.hash = System.identityHashCode(owner);
        this.releaseOnCollect = releaseOnCollect;
        this.holder = holder;
        this.accepted = accepted;
    }

    // ---- the idle clock

    /** How long since its last stamp; -1 while the reclaimer is closing it (never idle then). */
    long idleNanos(long now) {
        long last = lastIoNanos;
        return last == RECLAIMING ? -1 : now - last;
    }

    /** Stamps I/O unless the reclaimer has claimed it: its mark stays, a pool's claim must see it. */
    void stampIo(long now) {
        for (;;) {
            long seen = lastIoNanos;
            if (seen == RECLAIMING || LAST_IO.compareAndSet(this, seen, now)) {
                return;
            }
        }
    }

    /** A read or write ended: stamps it and, when bytes moved, advances the phase. */
    void ioEnded(long now, boolean write, boolean bytesMoved) {
        stampIo(now);
        if (bytesMoved) {
            Phase next = write ? Phase.AWAITING_REPLY : Phase.REPLIED;
            if (phase != next) { // a stream of writes (or reads) stores nothing
                phase = next;
            }
        }
    }

    boolean awaitingReply() {
        return phase == Phase.AWAITING_REPLY;
    }

    // ---- pools

    /**
     * A pool is about to use it ({@code handedOut}: handing it to a request, in use until back in its
     * pool; else merely asking whether it is open): claims it against the reclaimer.
     * @return false if the reclaimer is closing it (the pool must treat it as closed)
     */
    boolean claimForUse(long now, boolean handedOut) {
        Phase phaseBefore = phase;
        PoolState poolBefore = pool;
        if (handedOut) {
            // Marked before the claim: a reclaimer that reads the claim's stamp then sees these marks
            // too (it reads the stamp first), and does not take it for an idle socket stamped just now.
            phase = Phase.FRESH; // its next write starts an exchange; idle again once replied
            if (poolBefore == PoolState.IN_POOL) {
                pool = PoolState.OUT_OF_POOL;
            }
        }
        for (;;) {
            long seen = lastIoNanos;
            if (seen == RECLAIMING) {
                if (handedOut) {
                    // The reclaimer won: the pool drops the socket. Should its close fail, the socket
                    // must stay reclaimable, or nobody would ever close it.
                    phase = phaseBefore;
                    pool = poolBefore;
                }
                return false;
            }
            if (LAST_IO.compareAndSet(this, seen, now)) {
                return true;
            }
        }
    }

    /** Opened for a request by a pool the agent follows: in use until that pool takes it back. */
    void outOfPool() {
        pool = PoolState.OUT_OF_POOL;
    }

    /** Its pool took it back: idle from now on, until handed out again. */
    void backInPool(long now) {
        stampIo(now);
        phase = Phase.REPLIED;
        pool = PoolState.IN_POOL;
    }

    // ---- the reclaimer

    /**
     * Whether the reclaimer may choose it: not accepted, its exchange over, not handed out by a
     * followed pool, no I/O for {@code minIdleNanos}.
     */
    boolean mayBeReclaimed(long now, long minIdleNanos) {
        return !accepted && phase == Phase.REPLIED && pool != PoolState.OUT_OF_POOL && idleNanos(now) >= minIdleNanos;
    }

    /** A holder's idle channel, not being closed: a candidate for its holder's newest idle one. */
    boolean idleInHolder(long now) {
        return holder != null && phase == Phase.REPLIED && idleNanos(now) >= 0 && !retiredNow();
    }

    /**
     * Claims it for the reclaimer, if it is still reclaimable ({@link #mayBeReclaimed}) and nobody
     * stamped it since: reads the stamp first, then the marks (see {@link #claimForUse}).
     * @return the stamp it replaced (for {@link #unclaimForReclaim}), or {@link Long#MIN_VALUE} if refused
     */
    long claimForReclaim(long now, long minIdleNanos) {
        long seen = lastIoNanos;
        if (seen == RECLAIMING || now - seen < minIdleNanos || phase != Phase.REPLIED
                || pool == PoolState.OUT_OF_POOL || !LAST_IO.compareAndSet(this, seen, RECLAIMING)) {
            return Long.MIN_VALUE;
        }
        return seen;
    }

    /** The reclaimer let go of it: {@code restored} is the stamp it gets back. */
    void unclaimForReclaim(long restored) {
        LAST_IO.compareAndSet(this, RECLAIMING, restored);
    }

    /**
     * Takes a holder's channel out of its holder's count, once: {@code closing} when its close
     * has started (always allowed), else for the reclaimer (refused if the holder has no idle channel).
     * @return whether it was retired now
     */
    boolean retire(boolean closing) {
        synchronized (this) {
            if (retired) {
                return false;
            }
            if (closing) {
                holder.retireClosingChannel();
            } else if (!holder.retireIdleChannel()) {
                return false;
            }
            retired = true;
            return true;
        }
    }

    /** The reclaimer did not close it after all: back in its holder's count. */
    void unretire() {
        synchronized (this) {
            if (retired) {
                retired = false;
                holder.unretire();
            }
        }
    }

    synchronized boolean retiredNow() {
        return retired;
    }

    /** Gives its unit back: to its holder (as retired or not), else to the gate. */
    void giveBack(SocketGate gate) {
        if (holder == null) {
            gate.release();
        } else if (retiredNow()) {
            holder.retiredChannelClosed();
        } else {
            holder.channelClosed();
        }
    }

    // ---- identity

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        Object mine = get();
        if (mine == null) {
            return false;
        }
        if (o instanceof TrackedSocket) {
            return ((TrackedSocket) o).get() == mine;
        }
        return o instanceof Probe && ((Probe) o).owner == mine;
    }

    /** A look-up key that compares by identity with the tracked owner. */
    static final class Probe {
        final Object owner;

        Probe(Object owner) {
            this.owner = owner;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(owner);
        }

        @Override
        public boolean equals(Object o) {
            if (o instanceof TrackedSocket) {
                return ((TrackedSocket) o).get() == owner;
            }
            return o instanceof Probe && ((Probe) o).owner == owner;
        }
    }
}
