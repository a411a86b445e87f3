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
}
