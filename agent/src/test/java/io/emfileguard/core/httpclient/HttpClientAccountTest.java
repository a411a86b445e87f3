package io.emfileguard.core.httpclient;

import io.emfileguard.core.GateSettings;
import io.emfileguard.core.MovableClock;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.TestThreads;
import io.emfileguard.core.UnitHolder;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpClientAccountTest {

    /** The time a channel opening waits on: the tests move it. */
    private final MovableClock clock = new MovableClock();
    private final TestThreads threads = new TestThreads();

    @AfterEach
    void everyThreadEndedAndNoFailureWasLost() throws Exception {
        threads.assertAllEndedAndNoFailureUnseen();
    }

    /** A client with two channels, one of them idle after its exchange ended: E=1, K=2, U=2. */
    private static HttpClientAccount clientWithOneIdleChannel(SocketGate gate) throws Exception {
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(true);
        account.admitExchange(true);
        account.channelOpening();
        account.channelOpening();
        account.exchangeEnded();
        assertEquals(2, gate.openSockets());
        return account;
    }

    @Test
    void exchangeAndItsConnectionShareOneUnit() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(10));
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(true);
        account.channelOpening();
        assertEquals(1, gate.openSockets(), "not two units");
        account.exchangeEnded();
        assertEquals(1, gate.openSockets(), "the idle pooled connection still counts");
        assertTrue(account.tryClaim(), "the next exchange reuses the idle connection's unit");
        assertEquals(1, gate.openSockets());
        account.exchangeEnded();
        account.channelClosed();
        assertEquals(0, gate.openSockets());
    }

    @Test
    void noExchangeIsAdmittedAgainstAChannelBeingReclaimed() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(2));
        HttpClientAccount account = clientWithOneIdleChannel(gate);
        assertTrue(account.retireIdleChannel());
        assertFalse(account.tryClaim(), "its room is going away");
        assertFalse(account.retireIdleChannel(), "the other channel serves an exchange");
        account.retiredChannelClosed();
        assertEquals(1, gate.openSockets(), "its unit went back to the gate once its descriptor was gone");
    }

    @Test
    void replacementChannelWaitsForTheReclaimedDescriptorAndTakesOverItsUnit() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(2), clock);
        HttpClientAccount account = clientWithOneIdleChannel(gate);
        assertTrue(account.retireIdleChannel());
        // The client had picked that very channel from its pool; its retry opens a replacement.
        TestThreads.Outcome<Void> opener = threads.run("opener", account::channelOpening);
        clock.awaitParked(1);
        clock.advanceMillis(30);
        assertTrue(opener.thread.isAlive(), "the replacement waits while the old descriptor is open");
        assertEquals(2, gate.openSockets());
        account.retiredChannelClosed();
        opener.get();
        assertEquals(2, gate.openSockets(), "never three: the replacement took the reclaimed unit");
        assertEquals(0, gate.stats().overCapTotal);
    }

    @Test
    void replacementCountsAboveTheCapIfTheOldDescriptorLingers() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(2), clock);
        HttpClientAccount account = clientWithOneIdleChannel(gate);
        assertTrue(account.retireIdleChannel());
        long start = clock.nanoTime();
        clock.callAdvancing(10, () -> {
            account.channelOpening(); // nobody closes the retired channel
            return null;
        });
        long waitedMillis = (clock.nanoTime() - start) / 1_000_000;
        assertTrue(waitedMillis >= 90 && waitedMillis < 2_000, "bounded wait: " + waitedMillis + " ms");
        assertEquals(3, gate.openSockets(), "counted: the count is the truth");
        account.retiredChannelClosed();
        assertEquals(2, gate.openSockets());
    }

    /** Stands for the registry's reclaimer: retires the client's idle channel, as closing it would, and counts the calls. */
    private static final class IdleChannelCloser implements SocketGate.Reclaimer {
        int asked;
        private final boolean finds;

        IdleChannelCloser(boolean finds) {
            this.finds = finds;
        }

        @Override
        public boolean reclaimOne() {
            return false;
        }

        @Override
        public boolean reclaimIdleChannelOf(UnitHolder client) {
            asked++;
            return finds && client.retireIdleChannel();
        }
    }

    private SocketGate gateReclaimingWith(IdleChannelCloser closer, int cap) {
        SocketGate gate = new SocketGate(GateSettings.of(cap), clock);
        gate.setReclaimer(closer);
        return gate;
    }

    /** At the cap: E=2 (one admitted on the idle channel's room), K=1 idle + the new one for another host. */
    private static HttpClientAccount newHostWhileAnIdleChannelHoldsTheRoom(SocketGate gate) throws Exception {
        HttpClientAccount account = clientWithOneIdleChannel(gate);
        assertTrue(account.tryClaim(), "admitted on the idle channel's room, without a unit");
        return account;
    }

    @Test
    void channelForAnotherHostAtTheCapTakesOverAnIdleChannelsUnitInsteadOfGoingAboveTheCap() throws Exception {
        IdleChannelCloser closer = new IdleChannelCloser(true);
        SocketGate gate = gateReclaimingWith(closer, 2);
        HttpClientAccount account = newHostWhileAnIdleChannelHoldsTheRoom(gate);
        // The pool has no connection to the new host: the client's worker thread opens one.
        TestThreads.Outcome<Void> opener = threads.run("opener", account::channelOpening);
        clock.awaitParked(1);
        assertEquals(1, closer.asked, "the client's idle channel was asked for");
        assertTrue(opener.thread.isAlive(), "the new channel waits while the idle one's descriptor is open");
        assertEquals(2, gate.openSockets());
        account.retiredChannelClosed(); // the selector let go of the idle channel's descriptor
        opener.get();
        assertEquals(2, gate.openSockets(), "never three: the new channel took the idle one's unit");
        assertEquals(0, gate.stats().overCapTotal);
        assertEquals(2, account.units());
    }

    @Test
    void channelForAnotherHostUnderTheCapLeavesTheIdleChannelInItsPool() throws Exception {
        IdleChannelCloser closer = new IdleChannelCloser(true);
        SocketGate gate = gateReclaimingWith(closer, 10);
        HttpClientAccount account = newHostWhileAnIdleChannelHoldsTheRoom(gate);
        account.channelOpening();
        assertEquals(0, closer.asked, "room under the cap: nothing is closed");
        assertEquals(3, gate.openSockets());
        assertEquals(3, account.units());
    }

    @Test
    void channelForAnotherHostAtTheCapIsCountedWhenNoIdleChannelCanBeClosed() throws Exception {
        IdleChannelCloser closer = new IdleChannelCloser(false);
        SocketGate gate = gateReclaimingWith(closer, 2);
        HttpClientAccount account = newHostWhileAnIdleChannelHoldsTheRoom(gate);
        account.channelOpening(); // never parks: the client's own thread
        assertEquals(1, closer.asked);
        assertEquals(3, gate.openSockets(), "counted above the cap: the count is the truth");
        assertEquals(1, gate.stats().overCapTotal);
    }

    /**
     * A caller of the client waits at the cap; one of the client's exchanges ends, so its connection
     * idles in the pool: the caller is woken at once (not at its next slice) and reuses that room.
     */
    @Test
    void anExchangeEndingWakesACallerOfTheSameClientWaitingAtTheCapWhichReusesItsConnection() throws Exception {
        // Slices of 10 s and a clock that never moves here: only the exchange's end can wake the caller.
        SocketGate gate = new SocketGate(new GateSettings(1, 10_000, 60_000, GateSettings.OnTimeout.FAIL, null), clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(true);
        account.channelOpening(); // E=1, K=1, U=1: the cap
        TestThreads.Outcome<Void> caller = threads.run("caller", () -> account.admitExchange(true));
        clock.awaitParked(1);
        assertEquals(1, gate.waitingThreads(), "the caller waits at the cap");
        long endedAt = clock.nanoTime();
        account.exchangeEnded();
        caller.get();
        assertEquals(endedAt, clock.nanoTime(), "no slice ended: the exchange's end woke it");
        assertEquals(0, gate.waitingThreads());
        assertEquals(1, gate.openSockets(), "no new unit: the caller reuses the idle connection");
        assertEquals(1, account.units());
        assertFalse(account.tryClaim(), "the idle room is taken: one exchange, one connection");
    }
}
