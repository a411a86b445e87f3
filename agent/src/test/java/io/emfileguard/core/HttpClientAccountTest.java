package io.emfileguard.core;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpClientAccountTest {

    /** The time a channel opening waits on: the tests move it. */
    private final MovableClock clock = new MovableClock();

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
        Thread opener = new Thread(account::channelOpening);
        opener.start();
        clock.awaitParked(1);
        clock.advanceMillis(30);
        assertTrue(opener.isAlive(), "the replacement waits while the old descriptor is open");
        assertEquals(2, gate.openSockets());
        account.retiredChannelClosed();
        opener.join(TimeUnit.SECONDS.toMillis(5));
        assertFalse(opener.isAlive());
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
}
