package io.emfileguard.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SocketRegistryTest {

    /** Two owners that are equal() must still be two sockets: tracking is by identity. */
    record EqualOwner(int id) { }

    @Test
    void tracksOwnersByIdentityNotEquality() {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate);
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
        SocketRegistry registry = new SocketRegistry(gate);
        Object owner = new Object();
        registry.track(owner, true);
        assertTrue(registry.release(owner));
        assertFalse(registry.release(owner));
        assertFalse(registry.release(new Object()), "an owner never tracked is not released");
    }

    @Test
    void givesBackTheUnitOfACollectedSocket() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate);
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
        SocketRegistry registry = new SocketRegistry(gate);
        gate.acquire(true);
        registry.track(new Object(), false);
        awaitCollected(registry, () -> registry.leakedTotal() == 1);
        assertEquals(1, gate.openSockets(), "the descriptor is still open, so the unit stays");
        assertEquals(0, registry.size());
    }

    private static void awaitCollected(SocketRegistry registry, java.util.function.BooleanSupplier done)
            throws InterruptedException {
        for (int i = 0; i < 200 && !done.getAsBoolean(); i++) {
            System.gc();
            Thread.sleep(20);
            registry.expungeCollected();
        }
        assertTrue(done.getAsBoolean(), "the garbage collector did not take the owner");
    }

    // ---- idleness: which sockets the reclaimer may close ----

    private static final java.util.function.Predicate<Object> ANY = o -> true;

    @Test
    void socketAwaitingItsReplyIsNeverIdleHoweverLongTheServerTakes() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)));
        Object fresh = new Object();
        Object awaiting = new Object();
        registry.track(fresh, true);
        registry.track(awaiting, true);
        registry.ioEnded(awaiting, true, true);   // request written, no reply yet
        Thread.sleep(5);
        assertEquals(null, registry.leastRecentlyUsedIdle(0, ANY),
                "a socket never answered, or awaiting its reply, is in flight");
        registry.ioEnded(awaiting, false, false); // a read that returned nothing (EAGAIN, timeout)
        assertEquals(null, registry.leastRecentlyUsedIdle(0, ANY));
        registry.ioEnded(awaiting, false, true);  // the reply came: back in its pool
        assertEquals(awaiting, registry.leastRecentlyUsedIdle(0, ANY));
        registry.ioEnded(awaiting, true, true);   // reused for the next request
        assertEquals(null, registry.leastRecentlyUsedIdle(0, ANY));
    }

    @Test
    void picksTheLeastRecentlyUsedAnsweredSocketOnlyAfterTheIdleTime() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)));
        Object older = new Object();
        Object newer = new Object();
        registry.track(older, true);
        registry.track(newer, true);
        registry.ioEnded(older, true, true);
        registry.ioEnded(older, false, true);
        Thread.sleep(5);
        registry.ioEnded(newer, true, true);
        registry.ioEnded(newer, false, true);
        assertEquals(older, registry.leastRecentlyUsedIdle(0, ANY));
        assertEquals(null, registry.leastRecentlyUsedIdle(60_000_000_000L, ANY), "not idle long enough");
        assertEquals(newer, registry.leastRecentlyUsedIdle(0, o -> o != older), "eligibility is asked");
    }

    @Test
    void acceptedSocketsAreNeverIdle() {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)));
        Object accepted = new Object();
        registry.track(accepted, true, null, true);
        registry.ioEnded(accepted, true, true);
        registry.ioEnded(accepted, false, true);
        assertEquals(null, registry.leastRecentlyUsedIdle(0, ANY));
    }

    @Test
    void nonBlockingChannelOutsideTheHttpClientIsNeverIdle() throws Exception {
        SocketRegistry registry = new SocketRegistry(new SocketGate(GateSettings.of(10)));
        try (java.nio.channels.SocketChannel nonBlocking = java.nio.channels.SocketChannel.open();
             java.nio.channels.SocketChannel blocking = java.nio.channels.SocketChannel.open()) {
            nonBlocking.configureBlocking(false);
            registry.track(nonBlocking, false);
            registry.ioEnded(nonBlocking, true, true);
            registry.ioEnded(nonBlocking, false, true);
            assertEquals(null, registry.leastRecentlyUsedIdle(0, ANY), "an event loop's read shows no thread");
            registry.track(blocking, false);
            registry.ioEnded(blocking, true, true);
            registry.ioEnded(blocking, false, true);
            assertEquals(blocking, registry.leastRecentlyUsedIdle(0, ANY));
        }
    }

    @Test
    void httpClientChannelIsIdleOnlyWhileItsClientHasMoreChannelsThanExchanges() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate);
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(false);
        account.channelOpening();
        Object channel = new Object();
        registry.track(channel, false, account);
        registry.ioEnded(channel, true, true);
        registry.ioEnded(channel, false, true);   // e.g. the first chunk of a streamed reply
        assertEquals(null, registry.leastRecentlyUsedIdle(0, ANY), "its exchange is still in flight");
        account.exchangeEnded();
        assertEquals(channel, registry.leastRecentlyUsedIdle(0, ANY));
        assertEquals(null, registry.leastRecentlyUsedIdle(60_000_000_000L, ANY),
                "while the client starts exchanges its oldest idle connection is the next one it hands out");
    }

    @Test
    void httpClientChannelIsIdleOnlyOnceItsClientHasBeenQuietForTheIdleTime() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate);
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(false);
        account.channelOpening();
        Object channel = new Object();
        registry.track(channel, false, account);
        registry.ioEnded(channel, true, true);
        registry.ioEnded(channel, false, true);
        account.exchangeEnded();
        account.admitExchange(false);            // another exchange starts (it will open its own channel)
        assertEquals(null, registry.leastRecentlyUsedIdle(50_000_000L, ANY), "an exchange started just now");
        Thread.sleep(60);
        account.exchangeEnded();
        assertEquals(channel, registry.leastRecentlyUsedIdle(50_000_000L, ANY));
    }

    @Test
    void aClosingHttpClientChannelIsNoRoomButKeepsItsUnitUntilItsDescriptorGoes() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        SocketRegistry registry = new SocketRegistry(gate);
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
}
