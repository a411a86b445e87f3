package io.emfileguard.core;

import io.emfileguard.core.httpclient.HttpClientAccount;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SocketRegistryTest {

    /** Idleness is read from this clock: tests move it instead of sleeping. */
    private final MovableClock clock = new MovableClock();

    /** Two owners that are equal() must still be two sockets: tracking is by identity. */
    record EqualOwner(int id) { }

    @Test
    void tracksOwnersByIdentityNotEquality() {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        EqualOwner a = new EqualOwner(1);
        EqualOwner b = new EqualOwner(1);
        assertTrue(registry.track(a, true));
        assertTrue(registry.track(b, true));
        assertFalse(registry.track(a, true), "tracking twice must be refused");
        assertEquals(2, registry.size());
        assertTrue(registry.release(a));
        assertTrue(registry.isTracked(b));
        assertFalse(registry.isTracked(a));
    }

    @Test
    void untracksOnceSoDoubleCloseReleasesOnce() {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        Object owner = new Object();
        registry.track(owner, true);
        assertTrue(registry.release(owner));
        assertFalse(registry.release(owner));
        assertFalse(registry.release(new Object()), "an owner never tracked is not released");
    }

    @Test
    void givesBackTheUnitOfACollectedSocket() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        gate.acquire(true);
        registry.track(new Object(), true);
        assertEquals(1, gate.openSockets());
        awaitCollected(registry, () -> gate.openSockets() == 0);
        assertEquals(1, registry.collectedTotal());
        assertEquals(0, registry.size());
    }

    @Test
    void keepsTheUnitOfACollectedChannelBecauseItsDescriptorLeaks() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        gate.acquire(true);
        registry.track(new Object(), false);
        awaitCollected(registry, () -> registry.leakedTotal() == 1);
        assertEquals(1, gate.openSockets(), "the descriptor is still open, so the unit stays");
        assertEquals(0, registry.size());
    }

    private static void awaitCollected(SocketRegistry registry, java.util.function.BooleanSupplier done)
            throws InterruptedException {
        // Waits for the collector itself, not for a time: each round ends when a canary object of
        // its own is enqueued (its collection has run and reference processing has reached it).
        java.lang.ref.ReferenceQueue<Object> canaries = new java.lang.ref.ReferenceQueue<>();
        for (int i = 0; i < 50 && !done.getAsBoolean(); i++) {
            java.lang.ref.WeakReference<Object> canary = new java.lang.ref.WeakReference<>(new Object(), canaries);
            System.gc();
            canaries.remove(1_000);
            java.lang.ref.Reference.reachabilityFence(canary);
            registry.expungeCollected();
        }
        assertTrue(done.getAsBoolean(), "the garbage collector did not take the owner");
    }

    // ---- idleness: which sockets the reclaimer may close ----

    private static final java.util.function.Predicate<Object> ANY = o -> true;

    @Test
    void socketAwaitingItsReplyIsNeverIdleHoweverLongTheServerTakes() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object fresh = new Object();
        Object awaiting = new Object();
        registry.track(fresh, true);
        registry.track(awaiting, true);
        registry.ioEnded(awaiting, true, true);   // request written, no reply yet
        clock.advanceMillis(5);
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY),
                "a socket never answered, or awaiting its reply, is in flight");
        registry.ioEnded(awaiting, false, false); // a read that returned nothing (EAGAIN, timeout)
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY));
        registry.ioEnded(awaiting, false, true);  // the reply came: back in its pool
        assertEquals(awaiting, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY));
        registry.ioEnded(awaiting, true, true);   // reused for the next request
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY));
    }

    @Test
    void picksTheLeastRecentlyUsedAnsweredSocketOnlyAfterTheIdleTime() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object older = new Object();
        Object newer = new Object();
        registry.track(older, true);
        registry.track(newer, true);
        registry.ioEnded(older, true, true);
        registry.ioEnded(older, false, true);
        clock.advanceMillis(5);
        registry.ioEnded(newer, true, true);
        registry.ioEnded(newer, false, true);
        assertEquals(older, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY));
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 60_000_000_000L, ANY), "not idle long enough");
        assertEquals(newer, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, o -> o != older), "eligibility is asked");
    }

    @Test
    void acceptedSocketsAreNeverIdle() {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object accepted = new Object();
        registry.track(accepted, true, null, true);
        registry.ioEnded(accepted, true, true);
        registry.ioEnded(accepted, false, true);
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY));
    }

    @Test
    void nonBlockingChannelOutsideTheHttpClientIsNeverIdle() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        try (java.nio.channels.SocketChannel nonBlocking = java.nio.channels.SocketChannel.open();
             java.nio.channels.SocketChannel blocking = java.nio.channels.SocketChannel.open()) {
            nonBlocking.configureBlocking(false);
            registry.track(nonBlocking, false);
            registry.ioEnded(nonBlocking, true, true);
            registry.ioEnded(nonBlocking, false, true);
            assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY), "an event loop's read shows no thread");
            registry.track(blocking, false);
            registry.ioEnded(blocking, true, true);
            registry.ioEnded(blocking, false, true);
            assertEquals(blocking, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY));
        }
    }

    @Test
    void httpClientChannelIsIdleOnlyWhileItsClientHasMoreChannelsThanExchanges() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(false);
        account.channelOpening();
        Object channel = new Object();
        registry.track(channel, false, account);
        registry.ioEnded(channel, true, true);
        registry.ioEnded(channel, false, true);   // e.g. the first chunk of a streamed reply
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY), "its exchange is still in flight");
        account.exchangeEnded();
        assertEquals(channel, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY));
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 60_000_000_000L, ANY),
                "while the client starts exchanges its oldest idle connection is the next one it hands out");
    }

    @Test
    void aClientWhoseNewestIdleChannelIsBeingClosedOffersItsNextNewest() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        Object older = new Object();
        Object newer = new Object();
        for (Object channel : new Object[] {older, newer}) {
            account.admitExchange(false);
            account.channelOpening();
            registry.track(channel, false, account);
            registry.ioEnded(channel, true, true);
            clock.advanceMillis(2); // distinct idle stamps: 'newer' replied last
            registry.ioEnded(channel, false, true);
            account.exchangeEnded();
        }
        assertSame(newer, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY), "the newest idle one: the client hands out oldest first");
        assertSame(newer, registry.retireForReclaim(newer, 0));
        assertSame(older, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY),
                "while the newest is being closed (its selector has not let go yet), the next newest is next");
    }

    /**
     * An idle channel in a busy client's pool is reclaimable: the pool's hand-out claims a connection
     * (ConnectionPool.getConnection, see the test above it), so a waiter no longer has to wait until
     * the client has been quiet for the idle time (a busy client's idle connections held the cap
     * while other clients' callers waited: the demo's mixed batch).
     */
    @Test
    void anIdleChannelOfABusyHttpClientIsReclaimable() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        Object idle = new Object();
        Object busy = new Object();
        for (Object channel : new Object[] {idle, busy}) {
            account.admitExchange(false);
            account.channelOpening();
            registry.track(channel, false, account);
            registry.ioEnded(channel, true, true);
        }
        registry.ioEnded(idle, false, true);
        account.exchangeEnded();                 // 'idle' is back in the pool; 'busy' awaits its reply
        clock.advanceMillis(60);
        account.admitExchange(false);            // an exchange starts just now (it will open its own channel)
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 50_000_000L, ANY),
                "two exchanges, two channels: no idle one");
        account.channelOpening();
        Object third = new Object();
        registry.track(third, false, account);   // its own channel
        assertSame(idle, IdleReclaimer.leastRecentlyUsedIdle(registry, 50_000_000L, ANY),
                "idle 60 ms in the pool of a client that started an exchange just now");
    }

    @Test
    void aClosingHttpClientChannelIsNoRoomButKeepsItsUnitUntilItsDescriptorGoes() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate, clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(false);
        account.channelOpening();
        Object channel = new Object();
        registry.track(channel, false, account);
        account.exchangeEnded();                 // idle in the pool: room for the next exchange
        registry.closing(channel);               // e.g. keep-alive expiry; the selector still holds it
        assertFalse(account.tryClaim(), "a closing connection is no room");
        assertEquals(1, gate.openSockets(), "its descriptor is still open");
        registry.closing(channel);               // a second close changes nothing
        assertTrue(registry.release(channel));   // the selector let go: the descriptor is closed
        assertEquals(0, gate.openSockets());
        assertEquals(0, account.units());
    }

    // ---- a pool's use and the reclaimer's claim: exactly one wins ----

    private Object repliedAndIdle(SocketRegistry registry) {
        Object socket = new Object();
        registry.track(socket, true);
        registry.ioEnded(socket, true, true);
        registry.ioEnded(socket, false, true);
        clock.advanceMillis(30);
        return socket;
    }

    private static final long IDLE_20_MS = 20_000_000L;

    @Test
    void aConnectionItsPoolJustClaimedForARequestIsNotReclaimedUntilIdleAgain() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object socket = repliedAndIdle(registry);
        assertEquals(socket, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "idle 30 ms: a candidate");
        assertTrue(registry.claimForUse(socket, false), "nobody is closing it: the pool may use it");
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "just claimed: not idle");
        assertNull(registry.retireForReclaim(socket, IDLE_20_MS),
                "a reclaimer that chose it before the claim must not close it after");
        clock.advanceMillis(30);
        assertSame(socket, registry.retireForReclaim(socket, IDLE_20_MS), "idle again: the reclaimer may take it");
    }

    @Test
    void aConnectionHandedToARequestStaysInUseHoweverLongTheThreadTakesToWriteIt() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object socket = repliedAndIdle(registry);
        assertTrue(registry.claimForUse(socket, true), "the keep-alive cache hands it to a request");
        clock.advanceMillis(30); // the requesting thread stalls longer than the idle time
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "handed out: in use, not idle");
        assertNull(registry.retireForReclaim(socket, IDLE_20_MS));
        registry.ioEnded(socket, true, true);  // the request
        registry.ioEnded(socket, false, true); // its reply: back in the pool
        clock.advanceMillis(30);
        assertEquals(socket, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "idle again after its reply");
    }

    @Test
    void aKeepAliveConnectionIsInUseFromItsConnectUntilTheCacheTakesItBack() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object socket = new Object();
        registry.track(socket, true);
        registry.outOfPool(socket);            // HttpURLConnection connected it
        registry.ioEnded(socket, true, true);  // request
        registry.ioEnded(socket, false, true); // reply read into the client's buffer...
        clock.advanceMillis(30);                      // ...and the application is slow to consume it
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "not back in its cache: in use");
        assertNull(registry.retireForReclaim(socket, IDLE_20_MS));
        registry.backInPool(socket);           // KeepAliveCache.put
        clock.advanceMillis(30);
        assertEquals(socket, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "idle in the cache");
        assertTrue(registry.claimForUse(socket, true)); // KeepAliveCache.get hands it out
        clock.advanceMillis(30);
        registry.ioEnded(socket, true, true);
        registry.ioEnded(socket, false, true);
        clock.advanceMillis(30);
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "handed out again: in use until put back");
    }

    /**
     * The JDK HttpClient's connection: idle only in its pool. Its reply is read into the client's
     * buffers while its body is still being handed to the application (the exchange is not over); and
     * a connection the pool hands out while the reclaimer is closing it must not reach the exchange
     * (it failed with "connection closed locally" or ClosedChannelException, 10 of 3,300 calls once).
     */
    @Test
    void anHttpClientConnectionIsIdleOnlyInItsPoolAndOneTheReclaimerIsClosingIsNotHandedOut() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object channel = new Object();
        registry.track(channel, true);
        Object connection = new Object(); // stands in for the HttpClient's PlainHttpConnection
        registry.attachConnection(channel, connection); // built for an exchange
        registry.ioEnded(channel, true, true);  // request
        registry.ioEnded(channel, false, true); // reply read; its body is still being delivered...
        clock.advanceMillis(30);               // ...slowly
        assertNull(IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "not back in its pool: in use");
        assertNull(registry.retireForReclaim(channel, IDLE_20_MS));
        registry.backInPool(channel);           // ConnectionPool.returnToPool
        clock.advanceMillis(30);
        assertSame(channel, IdleReclaimer.leastRecentlyUsedIdle(registry, IDLE_20_MS, ANY), "idle in its pool");
        assertSame(connection, registry.retireForReclaim(channel, IDLE_20_MS), "the reclaimer chose it");
        assertFalse(registry.claimForUse(channel, true),
                "ConnectionPool.getConnection must answer 'none' for it: the client opens a new connection");
        registry.unretire(channel); // its close failed after all
        assertTrue(registry.claimForUse(channel, true), "handed out");
        clock.advanceMillis(30);
        assertNull(registry.retireForReclaim(channel, IDLE_20_MS), "handed out: in use until back in its pool");
        java.lang.ref.Reference.reachabilityFence(connection);
    }

    @Test
    void anIoStampThatRacesTheReclaimersClaimDoesNotEraseIt() throws Exception {
        // The reclaimer claims the socket while a read (the HttpClient pool's clean-up trigger reads
        // 0 bytes) is stamping it: between the stamp's clock read and its write.
        Runnable[] duringNextClockRead = {null};
        Clock interleaving = () -> {
            Runnable r = duringNextClockRead[0];
            duringNextClockRead[0] = null;
            if (r != null) {
                r.run();
            }
            return clock.nanoTime();
        };
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), interleaving);
        Object socket = repliedAndIdle(registry);
        Object[] chosen = {null};
        duringNextClockRead[0] = () -> chosen[0] = registry.retireForReclaim(socket, IDLE_20_MS);
        registry.ioEnded(socket, false, false);
        assertSame(socket, chosen[0], "the reclaimer claimed it during the read's stamp");
        assertFalse(registry.claimForUse(socket, true),
                "its pool must not hand out a socket the reclaimer is closing: the stamp kept the claim");
    }

    @Test
    void aConnectionTheReclaimerClaimedLooksClosedToItsPoolUntilUnretired() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object socket = repliedAndIdle(registry);
        assertSame(socket, registry.retireForReclaim(socket, IDLE_20_MS), "no Socket attached: the owner is what closes");
        assertNull(registry.retireForReclaim(socket, 0), "claimed once, not twice");
        assertFalse(registry.claimForUse(socket, false), "being closed by the reclaimer: the pool must not use it");
        assertEquals(null, IdleReclaimer.leastRecentlyUsedIdle(registry, 0, ANY), "being closed: no candidate");
        registry.unretire(socket); // the close failed
        assertTrue(registry.claimForUse(socket, false), "not closed after all: usable again");
    }

    @Test
    void theReclaimerIsToldToCloseTheSocketItselfNotOnlyItsDescriptor() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object impl = repliedAndIdle(registry);
        Object socket = new Object(); // stands in for the java.net.Socket that owns the impl
        registry.attachSocket(impl, socket);
        assertSame(socket, registry.retireForReclaim(impl, IDLE_20_MS),
                "a pool sees Socket.isClosed() only if the Socket itself is closed");
        Object channel = repliedAndIdle(registry);
        Object connection = new Object(); // stands in for the HttpClient's PlainHttpConnection
        registry.attachConnection(channel, connection);
        registry.backInPool(channel); // ConnectionPool.returnToPool
        clock.advanceMillis(30);
        assertSame(connection, registry.retireForReclaim(channel, IDLE_20_MS),
                "an HttpClient connection is closed with its own close(), which tells its exchange");
        java.lang.ref.Reference.reachabilityFence(impl); // weakly tracked: keep them alive until here
        java.lang.ref.Reference.reachabilityFence(socket);
    }

    @Test
    void aSocketLinkedLaterIsWhatTheReclaimerClosesOnceThePendingLinksAreResolved() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)), clock);
        Object impl = repliedAndIdle(registry); // not a DelegatingSocketImpl: it owns its descriptor itself
        Object socket = new Object();
        registry.attachSocketLater(socket, impl);
        registry.resolvePendingSockets();
        assertSame(socket, registry.retireForReclaim(impl, IDLE_20_MS),
                "linked off the connect path, still the Socket itself is closed");
        java.lang.ref.Reference.reachabilityFence(impl);
        java.lang.ref.Reference.reachabilityFence(socket);
    }

    @Test
    void aClaimRacingTheReclaimerEitherUsesOrLosesTheConnectionNeverBoth() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(1000)), clock);
        java.util.List<Object> sockets = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Object socket = new Object();
            registry.track(socket, true);
            registry.ioEnded(socket, false, true);
            sockets.add(socket);
        }
        clock.advanceMillis(30); // all idle for the reclaimer's 20 ms
        int used = 0;
        int reclaimed = 0;
        TestThreads threads = new TestThreads();
        for (Object socket : sockets) {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            TestThreads.Outcome<Boolean> pool = threads.call("pool", () -> {
                start.await();
                return registry.claimForUse(socket, true);
            });
            start.countDown();
            boolean closing = registry.retireForReclaim(socket, IDLE_20_MS) != null;
            boolean poolUsed = pool.get();
            assertTrue(poolUsed != closing, "used=" + poolUsed + " reclaimed=" + closing);
            used += poolUsed ? 1 : 0;
            reclaimed += closing ? 1 : 0;
        }
        threads.assertAllEndedAndNoFailureUnseen();
        assertEquals(300, used + reclaimed);
    }
}
