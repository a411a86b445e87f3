package io.emfileguard.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DescriptorGuardTest {

    private static void descriptors(File dir, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            assertTrue(new File(dir, Integer.toString(i)).createNewFile());
        }
    }

    @Test
    void lowersTheCapSoThatHeadroomStaysFree(@TempDir File fdDir) throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(896));
        DescriptorGuard guard = new DescriptorGuard(gate, 1024, 64, 0, fdDir);
        descriptors(fdDir, 901); // 900 in use + the listing's own descriptor
        guard.sampleNow();
        assertEquals(900, guard.lastDescriptors());
        assertEquals(1024 - 64 - 900, gate.effectiveCap());
        assertEquals(896, gate.stats().maxSockets, "the setting itself is unchanged");
    }

    @Test
    void socketsTheGateCountsAreNotCountedTwice(@TempDir File fdDir) throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(896));
        for (int i = 0; i < 50; i++) {
            gate.acquire(true);
        }
        descriptors(fdDir, 951); // 950 in use, 50 of them the gate's sockets: 900 others
        DescriptorGuard guard = new DescriptorGuard(gate, 1024, 64, 0, fdDir);
        guard.sampleNow();
        assertEquals(1024 - 64 - 900, gate.effectiveCap(), "only the 900 other descriptors reduce the room");
    }

    @Test
    void holdsNewSocketsWhileOtherDescriptorsFillTheProcessAndAdmitsWhenTheyGo(@TempDir File fdDir) throws Exception {
        MovableClock clock = new MovableClock(); // stands still: only the guard's raise can admit the waiter
        SocketGate gate = new SocketGate(new GateSettings(896, 10_000, 60_000, GateSettings.OnTimeout.FAIL, null), clock);
        DescriptorGuard guard = new DescriptorGuard(gate, 1024, 64, 0, fdDir);
        descriptors(fdDir, 961); // 960 in use: no room left
        guard.sampleNow();
        assertEquals(0, gate.effectiveCap());
        assertFalse(gate.tryAcquireFast());
        TestThreads.Outcome<SocketGate.Admission> waiter = new TestThreads().call("waiter", () -> gate.acquire(true));
        clock.awaitParked(1);
        for (int i = 0; i < 10; i++) {
            assertTrue(new File(fdDir, Integer.toString(i)).delete()); // files closed
        }
        guard.sampleNow();
        assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get(), "room came back: the waiter must be admitted");
        assertEquals(1, gate.openSockets());
    }
}
