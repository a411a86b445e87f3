package io.emfileguard.core;

import io.emfileguard.core.httpclient.HttpClientAccount;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which idle socket the reclaimer closes, and when. Real channels (the surefire configuration opens
 * the JDK's socket packages, as the running agent does); the clock is moved by hand.
 */
class IdleReclaimerTest {

    private final MovableClock clock = new MovableClock();
    private final TestThreads threads = new TestThreads();

    @AfterEach
    void threadsEnded() throws Exception {
        threads.assertAllEndedAndNoFailureUnseen();
    }

    /** A gate of {@code cap} on the test's clock, its registry, and a reclaimer of sockets idle for 0 ms or more. */
    private final class Fixture {
        final SocketGate gate;
        final SocketRegistry registry;
        final IdleReclaimer reclaimer;

        Fixture(int cap, List<AddressRule> excludes) {
            gate = new SocketGate(new GateSettings(cap, 20, 60_000, GateSettings.OnTimeout.FAIL, excludes), clock);
            registry = new SocketRegistry(gate, clock);
            reclaimer = new IdleReclaimer(registry, 0, excludes, GateEvents.NONE);
        }

        /** Counted, its request written and its reply read: back in its pool, as far as the agent can tell. */
        <T> T replied(T channel) throws Exception {
            gate.acquire(true);
            registry.track(channel, false);
            registry.ioEnded(channel, true, true);
            registry.ioEnded(channel, false, true);
            return channel;
        }

        /** A thread that waits at the (full) cap until a unit is released to it. */
        TestThreads.Outcome<SocketGate.Admission> waiterAtTheCap() throws InterruptedException {
            TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> gate.acquire(true));
            clock.awaitParked(1);
            assertEquals(1, gate.waitingThreads());
            return waiter;
        }
    }

    /**
     * An HttpClient channel whose client closes it itself (keep-alive expiry) is retired from its
     * client at once, while its selector still holds the descriptor: no longer its client's newest
     * idle channel, yet idle and replied. With no other idle HttpClient channel, the scan found no
     * "newest idle channel" of any client at all and dereferenced that empty lookup: a
     * NullPointerException on a waiting thread, and its slice's reclaim lost.
     */
    @Test
    void anHttpClientChannelItsClientIsClosingIsSkippedWhenNoOtherClientChannelIsIdle() throws Exception {
        Fixture f = new Fixture(10, Collections.emptyList());
        HttpClientAccount account = new HttpClientAccount(f.gate);
        try (SocketChannel channel = SocketChannel.open()) {
            account.admitExchange(false);
            account.channelOpening();
            f.registry.track(channel, false, account);
            f.registry.ioEnded(channel, true, true);  // request
            f.registry.ioEnded(channel, false, true); // reply
            account.exchangeEnded();                  // back in its client's pool
            clock.advanceMillis(30);
            f.registry.closing(channel);              // the client's own close; the selector has not let go yet

            assertFalse(f.reclaimer.reclaimOne(), "nothing else idle: nothing reclaimed");
            assertNull(IdleReclaimer.leastRecentlyUsedIdle(f.registry, 0, o -> true),
                    "being closed by its client: not a candidate");
            assertTrue(channel.isOpen(), "the reclaimer left it to its client's close");
        }
    }

    @Test
    void afterAScanThatFoundNothingIdleNoWaiterScansAgainFor20MillisOfTheClock() throws Exception {
        Fixture f = new Fixture(10, Collections.emptyList());
        assertFalse(f.reclaimer.reclaimOne(), "nothing tracked: a scan that finds nothing");
        try (SocketChannel channel = f.replied(SocketChannel.open())) {
            assertFalse(f.reclaimer.reclaimOne(), "right after the empty scan: none, though a socket is idle now");
            clock.advanceMillis(19);
            assertFalse(f.reclaimer.reclaimOne(), "19 ms after it: still none");
            assertTrue(channel.isOpen());
            assertEquals(0, f.reclaimer.reclaimedTotal());
            clock.advanceMillis(1);
            assertTrue(f.reclaimer.reclaimOne(), "20 ms after it: a scan, and it finds the idle socket");
            assertFalse(channel.isOpen(), "closed for the waiters");
            assertEquals(1, f.reclaimer.reclaimedTotal());
        }
    }

    @Test
    void aScanThatFindsASocketDoesNotPauseTheNext() throws Exception {
        Fixture f = new Fixture(10, Collections.emptyList());
        try (SocketChannel first = f.replied(SocketChannel.open());
             SocketChannel second = f.replied(SocketChannel.open())) {
            assertTrue(f.reclaimer.reclaimOne());
            assertTrue(f.reclaimer.reclaimOne(), "at the same instant: the scan found one, so no pause");
            assertFalse(first.isOpen() || second.isOpen(), "both closed");
            assertEquals(2, f.reclaimer.reclaimedTotal());
        }
    }

    @Test
    void aConnectionGoingBackToItsPoolIsClosedOnlyWhileThreadsWaitAndCountedAsHandedBack() throws Exception {
        Fixture f = new Fixture(1, Collections.emptyList());
        try (SocketChannel channel = f.replied(SocketChannel.open())) {
            assertFalse(f.reclaimer.handBackIfWaiting(channel), "nobody waits: it stays in its pool");
            assertTrue(channel.isOpen());
            assertEquals(0, f.reclaimer.handedBackTotal());

            TestThreads.Outcome<SocketGate.Admission> waiter = f.waiterAtTheCap();
            assertTrue(f.reclaimer.handBackIfWaiting(channel), "a thread waits at the cap: closed for it");
            assertFalse(channel.isOpen());
            assertEquals(1, f.reclaimer.handedBackTotal());
            assertEquals(1, f.reclaimer.reclaimedTotal(), "hand-backs are part of the reclaimed sockets");
            f.registry.release(channel); // what the close's own hook does once the descriptor is gone
            assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get(), "its unit went to the waiter");
        }
    }

    @Test
    void aConnectionGoingBackToItsPoolIsNotClosedForAWaiterWhenItIsNotEligible() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            Fixture f = new Fixture(1, List.of(AddressRule.parse("127.0.0.1:" + port)));
            try (SocketChannel excluded = f.replied(SocketChannel.open(server.getLocalAddress()));
                 SocketChannel accepted = server.accept()) {
                TestThreads.Outcome<SocketGate.Admission> waiter = f.waiterAtTheCap();
                assertFalse(f.reclaimer.handBackIfWaiting(excluded), "its peer is excluded: never closed by the agent");
                assertFalse(f.reclaimer.handBackIfWaiting(new Object()), "a socket the agent cannot look inside");
                assertTrue(excluded.isOpen());
                assertEquals(0, f.reclaimer.handedBackTotal());
                assertEquals(0, f.reclaimer.reclaimedTotal());
                f.gate.release(); // end the wait
                assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get());
            }
        }
    }
}
