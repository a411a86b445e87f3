package io.emfileguard.core;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SelectableChannel;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Gives idle pooled sockets back to threads waiting at the cap.
 *
 * <p>Why: every client keeps finished connections open for reuse (OkHttp 5 min, Apache and the AWS
 * SDK 60 s, the JDK's keep-alive caches). Once a burst has filled the cap and gone idle, nothing
 * closes and a waiting connect would never see a release.
 *
 * <p>What counts as idle: a client-side socket (never an accepted one) whose last exchange is
 * complete (it read data after its last write: the reply came, so the client has put it back in
 * its pool; a request written and still awaiting its reply is in flight, however long the server
 * takes), with no read or write for {@code reclaim.idle.millis}, no thread inside a read
 * or write right now (the JDK's own {@code readerThread}/{@code writerThread} fields, so a long poll
 * blocked in {@code read} is never touched), no received bytes left unread (a reply still being
 * consumed by a slow reader), and a peer that is not {@code exclude}d. A channel whose unit a
 * {@link UnitHolder} holds (the JDK HttpClient's) qualifies only while its family marks it back in
 * its pool, and only as its holder's newest idle channel while the holder has an idle channel;
 * other non-blocking channels (event-loop clients) never do. The least recently used one is closed;
 * the pool finds it closed on its next health check or use, and discards it.
 *
 * <p>Runs only on waiting threads, after a hold slice without any release; reflection is fine there.
 */
public final class IdleReclaimer implements SocketGate.Reclaimer {

    private final SocketRegistry registry;
    private final long minIdleNanos;
    private final List<AddressRule> excludes;
    /** One event per reclaimed socket (for the rate-limited log line). */
    private final GateEvents events;

    public IdleReclaimer(SocketRegistry registry, long minIdleMillis, List<AddressRule> excludes, GateEvents events) {
        this.registry = registry;
        this.minIdleNanos = minIdleMillis * 1_000_000L;
        this.excludes = excludes;
        this.events = GateEvents.guarded(events);
        this.noScanBefore = new AtomicLong(registry.clock().nanoTime());
    }

    /** After a scan that found nothing idle, waiters skip scanning until then (one scan serves all). */
    private final AtomicLong noScanBefore;
    private static final long EMPTY_SCAN_PAUSE_NANOS = 20_000_000L;

    @Override
    public boolean reclaimOne() {
        long now = registry.clock().nanoTime();
        if (now - noScanBefore.get() < 0) {
            return false; // thousands of waiters must not each walk every socket every slice
        }
        registry.resolvePendingSockets(); // so that a victim's own java.net.Socket is what gets closed
        for (int attempt = 0; attempt < 3; attempt++) {
            Object owner = leastRecentlyUsedIdle(registry, minIdleNanos, ELIGIBLE);
            if (owner == null) {
                noScanBefore.set(registry.clock().nanoTime() + EMPTY_SCAN_PAUSE_NANOS);
                return false;
            }
            if (closeAndCount(owner, minIdleNanos)) {
                return true;
            }
        }
        return false;
    }

    /**
     * One of {@code client}'s channels idle in its pool, the least recently used, for a channel the
     * client opens at the cap (the JDK HttpClient's account): retired and closed now,
     * however briefly it has been idle (it is in the pool, nothing uses it), so that the new channel
     * takes over its unit instead of going above the cap. Runs on the client's own thread.
     */
    @Override
    public boolean reclaimIdleChannelOf(UnitHolder client) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Object owner = leastRecentlyUsedIdleChannelOf(client);
            if (owner == null) {
                return false;
            }
            if (closeAndCount(owner, 0)) {
                return true;
            }
        }
        return false;
    }

    private Object leastRecentlyUsedIdleChannelOf(UnitHolder client) {
        long now = registry.clock().nanoTime();
        TrackedSocket best = null;
        Object bestOwner = null;
        for (TrackedSocket t : registry.trackedSockets()) {
            if (t.holder != client || !t.idleInHolder(now) || !t.mayBeReclaimed(now, 0)
                    || (best != null && t.idleNanos(now) <= best.idleNanos(now))) {
                continue;
            }
            Object owner = t.get();
            if (owner != null && ELIGIBLE.test(owner)) {
                best = t;
                bestOwner = owner;
            }
        }
        return bestOwner;
    }

    /**
     * The least recently used socket that may be reclaimed: not accepted, its last exchange complete
     * (it has read data since its last write: the reply came, so it is back in its pool), no I/O for
     * {@code minIdleNanos}, if its unit belongs to a {@link UnitHolder} the holder has an idle
     * channel and this is the holder's newest idle one, and {@code eligible} agrees (no I/O in progress, not excluded).
     *
     * <p>Why the phase: "no I/O for a while" alone also matches a connection whose request is written
     * and whose reply is still being computed by the server (a non-blocking channel has no reader
     * thread to show it), and a connection that was just opened and is not yet written to.
     */
    static Object leastRecentlyUsedIdle(SocketRegistry registry, long minIdleNanos, Predicate<Object> eligible) {
        long now = registry.clock().nanoTime();
        // A holder's pool (the JDK HttpClient's) hands out its connections oldest first: of each holder's
        // idle connections only the newest is a candidate, so that the one its next exchange takes is not.
        IdentityHashMap<UnitHolder, TrackedSocket> newestOfClient = null;
        for (TrackedSocket t : registry.trackedSockets()) {
            // A channel being closed (claimed, or retired until its selector lets go of it) is not
            // the newest idle one any more: else each client would give back one channel per
            // selector round trip (~100 a second), however many it holds idle.
            if (t.idleInHolder(now)) {
                if (newestOfClient == null) {
                    newestOfClient = new IdentityHashMap<>();
                }
                TrackedSocket n = newestOfClient.get(t.holder);
                if (n == null || t.idleNanos(now) < n.idleNanos(now)) {
                    newestOfClient.put(t.holder, t);
                }
            }
        }
        TrackedSocket best = null;
        Object bestOwner = null;
        for (TrackedSocket t : registry.trackedSockets()) {
            if (!t.mayBeReclaimed(now, minIdleNanos)) {
                continue;
            }
            // No newest idle channel of any holder (newestOfClient == null): a holder's channel that
            // passed mayBeReclaimed is one its holder is closing itself (retired), no candidate.
            if (t.holder != null && (newestOfClient == null || newestOfClient.get(t.holder) != t
                    || !t.holder.hasIdleChannel())) {
                continue;
            }
            if (best != null && t.idleNanos(now) <= best.idleNanos(now)) {
                continue;
            }
            Object owner = t.get();
            if (owner == null) {
                continue;
            }
            if (t.holder == null && owner instanceof SelectableChannel
                    && !((SelectableChannel) owner).isBlocking()) {
                // An event-loop client's channel (Netty, gRPC, websockets) may sit in a long read
                // with no reader thread to show it: nothing tells idle from waiting. Never reclaimed.
                continue;
            }
            if (eligible.test(owner)) {
                best = t;
                bestOwner = owner;
            }
        }
        return bestOwner;
    }

    /**
     * A pooled connection is going back to its pool ({@code owner} is its descriptor's owner): if
     * threads wait at the cap, closes it now, so that its unit goes to the longest waiter. Why: a
     * connection back in a pool is a socket nobody uses; left there it is taken by whichever thread
     * asks that pool next (a jump over every thread already waiting: under steady load the waiters
     * starve until {@code max.wait.millis}), or sits idle until the reclaimer finds it.
     * Callers call it where no other thread can be handed the connection yet, or where handing it
     * out goes through {@link SocketRegistry#claimForUse}: exactly one of the two wins.
     * @return true if it was closed
     */
    public boolean handBackIfWaiting(Object owner) {
        if (registry.gate().waitingThreads() == 0 || !ELIGIBLE.test(owner)) {
            return false;
        }
        if (!closeAndCount(owner, 0)) {
            return false;
        }
        registry.gate().counters().handedBack.incrementAndGet();
        return true;
    }

    /** Pooled sockets closed as they went back to their pool while threads waited (part of {@link #reclaimedTotal}). */
    public long handedBackTotal() {
        return registry.gate().counters().handedBack.get();
    }

    /** Idle pooled sockets closed so that waiting threads could proceed (hand-backs included). */
    public long reclaimedTotal() {
        return registry.gate().counters().reclaimed.get();
    }

    private final Predicate<Object> ELIGIBLE = new Predicate<Object>() {
        @Override
        public boolean test(Object owner) {
            if (!SocketIntrospection.canTell(owner) || !SocketIntrospection.isOpen(owner)
                    || SocketIntrospection.ioInProgress(owner) || SocketIntrospection.unreadBytes(owner) > 0) {
                return false;
            }
            InetSocketAddress peer = SocketIntrospection.peer(owner);
            for (AddressRule rule : excludes) {
                if (rule.matches(peer)) {
                    return false;
                }
            }
            return true;
        }
    };

    /** Closes {@code owner} (see {@link #close}) and, if it was closed, counts and reports it once. */
    private boolean closeAndCount(Object owner, long idleNanos) {
        if (!close(owner, idleNanos)) {
            return false;
        }
        events.reclaimed(peer(owner), minIdleNanos / 1_000_000,
                registry.gate().counters().reclaimed.incrementAndGet());
        return true;
    }

    private boolean close(Object owner, long idleNanos) {
        if (SocketIntrospection.ioInProgress(owner) || !SocketIntrospection.isOpen(owner)) {
            return false; // became busy, or was closed, since it was chosen
        }
        Object handle = registry.retireForReclaim(owner, idleNanos);
        if (handle == null) {
            return false; // used since it was chosen, or a holder's channel whose holder has no idle channel left
        }
        boolean closed;
        if (handle == owner) {
            closed = SocketIntrospection.close(owner);
        } else if (handle instanceof Socket) {
            // The Socket, not only its descriptor: pools check Socket.isClosed() before reuse.
            closed = SocketIntrospection.closeSocket(handle) || SocketIntrospection.close(owner);
        } else {
            closed = registry.closeConnection(owner, handle) || SocketIntrospection.close(owner);
        }
        if (!closed) {
            registry.unretire(owner);
            return false;
        }
        return true;
    }

    private static String peer(Object owner) {
        InetSocketAddress p = SocketIntrospection.peer(owner);
        return p == null ? "?" : p.getHostString() + ":" + p.getPort();
    }
}
