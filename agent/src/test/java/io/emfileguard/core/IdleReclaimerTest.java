package io.emfileguard.core;

import org.junit.jupiter.api.Test;

import java.nio.channels.SocketChannel;
import java.util.Collections;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which idle socket the reclaimer closes, and when; the clock is moved by hand. */
class IdleReclaimerTest {

    private final MovableClock clock = new MovableClock();
    private final SocketGate gate = new SocketGate(GateSettings.of(10), clock);
    private final SocketRegistry registry = new SocketRegistry(gate, clock);
    private final IdleReclaimer reclaimer = new IdleReclaimer(registry, 0, Collections.emptyList(),
            (peer, idleMillis, total) -> { });

    /**
     * An HttpClient channel whose client closes it itself (keep-alive expiry) is retired from its
     * client at once, while its selector still holds the descriptor: no longer its client's newest
     * idle channel, yet idle and replied. With no other idle HttpClient channel, the scan found no
     * "newest idle channel" of any client at all and dereferenced that empty lookup: a
     * NullPointerException on a waiting thread, and its slice's reclaim lost.
     */
    @Test
    void anHttpClientChannelItsClientIsClosingIsSkippedWhenNoOtherClientChannelIsIdle() throws Exception {
        HttpClientAccount account = new HttpClientAccount(gate);
        try (SocketChannel channel = SocketChannel.open()) {
            account.admitExchange(false);
            account.channelOpening();
            registry.track(channel, false, account);
            registry.ioEnded(channel, true, true);  // request
            registry.ioEnded(channel, false, true); // reply
            account.exchangeEnded();                // back in its client's pool
            clock.advanceMillis(30);
            registry.closing(channel);              // the client's own close; the selector has not let go yet

            assertFalse(reclaimer.reclaimOne(), "nothing else idle: nothing reclaimed");
            assertNull(IdleReclaimer.leastRecentlyUsedIdle(registry, 0, o -> true),
                    "being closed by its client: not a candidate");
            assertTrue(channel.isOpen(), "the reclaimer left it to its client's close");
        }
    }
}
