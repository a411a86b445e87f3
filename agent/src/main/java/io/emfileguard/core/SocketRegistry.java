package io.emfileguard.core;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which socket owners hold a unit of the gate. Identity-keyed (two sockets are never "equal") and
 * weak, so tracking never keeps a socket alive.
 *
 * <p>Owners are the JDK objects that own a descriptor: {@code sun.nio.ch.NioSocketImpl} for every
 * {@code java.net.Socket} (plain, SSL, accepted; {@code SocketChannel.socket()}'s adaptor has none of
 * its own) and {@code sun.nio.ch.SocketChannelImpl} for channels. Tracking the owner, not the
 * {@code Socket}, is what makes double close, adaptors and SSL layering count once.
 *
 * <p>Garbage collection mirrors the JDK: a {@code NioSocketImpl} dropped without {@code close()}
 * has its descriptor closed by a Cleaner, so its unit comes back when the owner is collected
 * ({@code releaseOnCollect}). A {@code SocketChannelImpl} has no Cleaner: its descriptor stays open
 * for the life of the process, so its unit stays counted too (the count is the truth) and the leak
 * is reported in {@link #leakedTotal()}.
 */
public final class SocketRegistry {

    private final SocketGate gate;
    private final ConcurrentHashMap<Object, TrackedSocket> owners = new ConcurrentHashMap<>();
    private final ReferenceQueue<Object> collected = new ReferenceQueue<>();

    private final Clock clock;

    public SocketRegistry(SocketGate gate) {
        this(gate, Clock.SYSTEM);
    }

    /** @param clock what idle stamps read (tests move it) */
    public SocketRegistry(SocketGate gate, Clock clock) {
        this.gate = gate;
        this.clock = clock;
    }

    /** The clock of the idle stamps (the reclaimer and the HTTP client accounts read it too). */
    public Clock clock() {
        return clock;
    }

    /** The gate whose units the tracked sockets hold. */
    SocketGate gate() {
        return gate;
    }

    /**
     * Records that {@code owner} holds the unit its creator acquired.
     * @return false if the owner was already tracked (the caller's unit is then surplus)
     */
    public boolean track(Object owner, boolean releaseOnCollect) {
        return track(owner, releaseOnCollect, null);
    }

    /** As {@link #track(Object, boolean)}, for a channel whose unit belongs to a {@link UnitHolder}. */
    public boolean track(Object owner, boolean releaseOnCollect, UnitHolder holder) {
        return track(owner, releaseOnCollect, holder, false);
    }

    /** @param accepted server-side sockets: counted, never reclaimed */
    public boolean track(Object owner, boolean releaseOnCollect, UnitHolder holder, boolean accepted) {
        expungeCollected();
        TrackedSocket t = new TrackedSocket(owner, collected, releaseOnCollect, holder, accepted,
                trackStacks ? new Throwable("opened here") : null, clock.nanoTime());
        return owners.putIfAbsent(t, t) == null;
    }

    private volatile boolean trackStacks;

    /** {@code track.stacks=true}: remember where each socket was opened, for the leak report (costly). */
    public void setTrackStacks(boolean on) {
        this.trackStacks = on;
    }

    /** One open socket, as the leak report shows it. */
    public static final class OpenSocket {
        public final Object owner;
        public final long ageMillis;
        public final long idleMillis;
        public final boolean accepted;
        /** What holds its unit ({@link UnitHolder#kind}), or null: the gate. */
        public final String heldBy;
        /** Where it was opened (with {@code track.stacks=true}), else null. */
        public final StackTraceElement[] openedAt;

        OpenSocket(Object owner, long ageMillis, long idleMillis, boolean accepted, String heldBy,
                   StackTraceElement[] openedAt) {
            this.owner = owner;
            this.ageMillis = ageMillis;
            this.idleMillis = idleMillis;
            this.accepted = accepted;
            this.heldBy = heldBy;
            this.openedAt = openedAt;
        }
    }

    /** The sockets tracked now (a weakly consistent view). */
    public List<OpenSocket> snapshot() {
        long now = clock.nanoTime();
        List<OpenSocket> out = new ArrayList<>();
        for (TrackedSocket t : owners.values()) {
            Object owner = t.get();
            if (owner != null) {
                out.add(new OpenSocket(owner, (now - t.openedNanos) / 1_000_000, Math.max(0, t.idleNanos(now)) / 1_000_000,
                        t.accepted, t.holder == null ? null : t.holder.kind(), t.openedAt == null ? null : t.openedAt.getStackTrace()));
            }
        }
        return out;
    }

    /**
     * Stamps I/O on a tracked socket (the idle-reclaim clock): what {@link #ioEnded} costs every read
     * and write, without the phase. One map look-up, a clock read and a compare-and-set.
     */
    public void touch(Object owner) {
        TrackedSocket t = tracked(owner);
        if (t != null) {
            t.stampIo(clock.nanoTime());
        }
    }

    /**
     * A pooled connection is about to be used (Apache's {@code isOpen()} before a request): stamps
     * its idle clock so that the reclaimer leaves it alone for {@code reclaim.idle.millis}, unless the
     * reclaimer has already claimed it.
     *
     * <p>Why a compare-and-set on the clock: the reclaimer claims a socket by swapping the idle
     * stamp it judged for a "being reclaimed" mark; a user swaps in "now". Exactly one of them wins,
     * so a socket is never both handed to a request and closed under it.
     * @param handedOut the pool is handing it to a request right now (not merely asking whether it
     *                  is open): it is then in use until that request's reply is read, however long
     *                  the thread takes to write the request (a thread stalled for longer than
     *                  {@code reclaim.idle.millis} on a loaded machine must not find it closed)
     * @return false if the reclaimer is closing it (the caller must treat it as closed), else true
     */
    public boolean claimForUse(Object owner, boolean handedOut) {
        TrackedSocket t = tracked(owner);
        return t == null || t.claimForUse(clock.nanoTime(), handedOut);
    }

    /**
     * A pool the agent follows ({@code HttpURLConnection}'s keep-alive cache) opened this socket: it
     * is in use until that pool takes it back ({@link #backInPool}), whatever its reads and writes
     * suggest. Why: a reply read into the client's buffer looks idle to the kernel while the
     * application, stalled on a loaded machine, has not consumed it yet.
     */
    public void outOfPool(Object owner) {
        TrackedSocket t = tracked(owner);
        if (t != null) {
            t.outOfPool();
        }
    }

    /** A pool the agent follows took this socket back: idle from now on, until handed out again. */
    public void backInPool(Object owner) {
        TrackedSocket t = tracked(owner);
        if (t != null) {
            t.backInPool(clock.nanoTime());
        }
    }

    /**
     * A read or write ended on a tracked socket: stamps the idle clock and, when bytes moved,
     * advances the exchange phase (a write means a reply is awaited; a read after it means the reply
     * came). One map look-up, a clock read, a compare-and-set and a volatile write.
     */
    public void ioEnded(Object owner, boolean write, boolean bytesMoved) {
        TrackedSocket t = tracked(owner);
        if (t != null) {
            t.ioEnded(clock.nanoTime(), write, bytesMoved);
        }
    }

    /** The tracked sockets (a weakly consistent view), for the reclaimer's choice. */
    Iterable<TrackedSocket> trackedSockets() {
        return owners.values();
    }

    /**
     * The owner's descriptor is closed: gives its unit back, once (to the gate, or to the HTTP
     * client's account that holds it).
     * @return whether the owner was tracked
     */
    public boolean release(Object owner) {
        expungeCollected();
        TrackedSocket t = owners.remove(new TrackedSocket.Probe(owner));
        if (t == null) {
            return false;
        }
        t.clear();
        t.giveBack(gate);
        return true;
    }

    /**
     * Before the reclaimer closes {@code owner}: claims it (refused if it was used or stamped since
     * it was judged idle, see {@link #claimForUse}), and a holder's channel is retired from its
     * holder (refused if the holder has no idle channel left). Once this answers, the reclaimer must
     * close what it answered or {@link #unretire} the owner.
     * @return what to close (one look-up): the holder's connection that owns the channel (close it
     *         with {@link #closeConnection}), else the
     *         {@code java.net.Socket} whose descriptor it is, else the owner itself; null if refused
     */
    public Object retireForReclaim(Object owner, long minIdleNanos) {
        TrackedSocket t = tracked(owner);
        if (t == null) {
            return null;
        }
        // A holder's channel is retired from its holder first, then claimed: a pool that finds
        // it claimed drops it (the JDK HttpClient's getConnection answers "none"), so a claim must only be
        // made when the close will follow.
        if (t.holder != null && !t.retire(false)) {
            return null; // its holder has no idle channel left
        }
        long seen = t.claimForReclaim(clock.nanoTime(), minIdleNanos);
        if (seen == Long.MIN_VALUE) {
            if (t.holder != null) {
                t.unretire();
            }
            return null; // used, handed out or busy since it was judged idle
        }
        Object connection = t.connection == null ? null : t.connection.get();
        if (connection != null) {
            return connection;
        }
        Object socket = t.socket == null ? null : t.socket.get();
        return socket != null ? socket : owner;
    }

    /**
     * A channel's close has started ({@code implCloseSelectableChannel}); a registered channel keeps
     * its descriptor until its selector deregisters it. For a holder's channel (the JDK HttpClient's), that
     * gap is when the client opens the next connection: the closing one is retired from its holder now.
     */
    public void closing(Object owner) {
        TrackedSocket t = tracked(owner);
        if (t != null && t.holder != null) {
            t.retire(true);
        }
    }

    /** Remembers (weakly) the {@code java.net.Socket} whose descriptor {@code owner} holds. */
    /**
     * {@code socket} connected through {@code impl} (its {@code SocketImpl}, which delegates to the
     * descriptor's owner): linked later, in batches ({@link #resolvePendingSockets}), because finding
     * the owner takes a reflective read, and the first one costs a cold JVM several milliseconds of
     * generated method-handle classes (JDK 18+): not on every application's first connect. Weak
     * references: a socket dropped meanwhile is still collected.
     */
    public void attachSocketLater(Object socket, Object impl) {
        if (linkAtOnce) {
            // Warm: the reflective read is a few nanoseconds now, cheaper than queueing two weak references.
            Object owner = SocketIntrospection.descriptorOwnerOf(impl);
            if (owner != null) {
                attachSocket(owner, socket);
            }
            return;
        }
        pendingSockets.add(new PendingSocket(socket, impl));
        if (pendingCount.incrementAndGet() >= PENDING_SOCKETS_BATCH) {
            resolvePendingSockets();
            linkAtOnce = true;
        }
    }

    /** Set once a batch has been resolved: a process that connects this much links each socket at once. */
    private volatile boolean linkAtOnce;

    private static final int PENDING_SOCKETS_BATCH = 256;
    private final ConcurrentLinkedQueue<PendingSocket> pendingSockets = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingCount = new AtomicInteger();

    /** A connected socket (weakly) and its {@code SocketImpl} (weakly), not yet linked to its owner's entry. */
    private static final class PendingSocket extends WeakReference<Object> {
        final WeakReference<Object> impl;

        PendingSocket(Object socket, Object impl) {
            super(socket);
            this.impl = new WeakReference<>(impl);
        }
    }

    /** Links every pending socket to its owner's entry; the reclaimer calls it before it chooses. */
    public void resolvePendingSockets() {
        PendingSocket p;
        while (pendingCount.get() > 0 && (p = pendingSockets.poll()) != null) {
            pendingCount.decrementAndGet();
            Object socket = p.get();
            Object impl = p.impl.get();
            if (socket != null && impl != null) {
                Object owner = SocketIntrospection.descriptorOwnerOf(impl);
                if (owner != null) {
                    attachSocket(owner, socket);
                }
            }
        }
    }

    public void attachSocket(Object owner, Object socket) {
        TrackedSocket t = tracked(owner);
        if (t != null && t.socket == null) {
            t.socket = new WeakReference<>(socket);
        }
    }

    /** Remembers (weakly) the connection of the channel's holder that owns a channel, for the reclaimer. */
    public void attachConnection(Object channel, Object connection) {
        TrackedSocket t = tracked(channel);
        if (t != null) {
            t.connection = new WeakReference<>(connection);
            // Built for an exchange: in use until the client's pool takes it back (backInPool), as a
            // reply read into the client's buffers looks idle while its body is still being handed on.
            t.outOfPool();
        }
    }

    /** The reclaimer did not close it after all. */
    public void unretire(Object owner) {
        TrackedSocket t = tracked(owner);
        if (t != null) {
            t.unclaimForReclaim(clock.nanoTime());
            if (t.holder != null) {
                t.unretire();
            }
        }
    }

    /**
     * Closes {@code connection}, which {@link #retireForReclaim} answered for {@code owner}, through
     * the holder of {@code owner}'s unit.
     * @return false if it could not (close {@code owner} itself)
     */
    public boolean closeConnection(Object owner, Object connection) {
        TrackedSocket t = tracked(owner);
        return t != null && t.holder != null && t.holder.closeConnection(connection, owner);
    }

    public boolean isTracked(Object owner) {
        return owners.containsKey(new TrackedSocket.Probe(owner));
    }

    public int size() {
        return owners.size();
    }

    /**
     * Whether a garbage collection could give anything back: some tracked socket that is not a
     * request in flight and has had no I/O for {@code quietNanos}, or a request that has awaited its
     * reply for {@code inFlightNanos}. A request written and awaiting its reply is held by the thread
     * waiting for it: when every socket is one (a fan-out whose replies take seconds), a collection
     * stops the world for nothing. A socket dropped without {@code close()} is usually connected and
     * never written, or done with its reply; one dropped mid-request shows after {@code inFlightNanos}.
     * Walks the registry: on a stuck waiter, one at a time ({@link AbandonedSocketCollector}).
     */
    public boolean mayHoldGarbage(long quietNanos, long inFlightNanos) {
        long now = clock.nanoTime();
        for (TrackedSocket t : owners.values()) {
            long idle = t.idleNanos(now);
            if (idle >= (t.awaitingReply() ? inFlightNanos : quietNanos)) {
                return true;
            }
        }
        return false;
    }

    /** Gives back the units of owners that the garbage collector took (cheap when there are none). */
    public void expungeCollected() {
        Reference<?> r;
        while ((r = collected.poll()) != null) {
            TrackedSocket t = (TrackedSocket) r;
            if (owners.remove(t) != null) {  // identity match: t is its own key
                if (t.releaseOnCollect) {
                    gate.counters().collected.incrementAndGet();
                    t.giveBack(gate);
                } else {
                    gate.counters().leaked.incrementAndGet();
                }
            }
        }
    }

    public long collectedTotal() {
        return gate.counters().collected.get();
    }

    public long leakedTotal() {
        return gate.counters().leaked.get();
    }

    /** The tracking entry of {@code owner}, or null: one identity look-up. */
    private TrackedSocket tracked(Object owner) {
        return owners.get(new TrackedSocket.Probe(owner));
    }
}
