package io.emfileguard.testsupport;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** This JVM's own sockets, as the kernel shows them: a listener, a client and the accepted end. */
class ProcViewTest {
    private static final long SELF = ProcessHandle.current().pid();

    @Test
    void listingAndTablesSeeTheSocketsOfThisProcess() throws Exception {
        assumeTrue(FdSampler.supported(), "Linux /proc needed");
        // The JVM's first socket brings descriptors of its own with it (name service, IPv6 probe).
        new ServerSocket(0, 50, InetAddress.getLoopbackAddress()).close();
        DescriptorListing before = DescriptorListing.of(SELF);
        int tcpBefore = SocketTables.tcpSocketDescriptors(SELF);
        assertNotNull(before);
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            DescriptorListing during = DescriptorListing.of(SELF);
            assertNotNull(during);
            assertEquals(before.sockets() + 3, during.sockets(), "listener, client, accepted end");
            assertEquals(before.descriptors() + 3, during.descriptors());
            assertEquals(tcpBefore + 3, SocketTables.tcpSocketDescriptors(SELF));

            Map<String, Integer> peerPorts = SocketTables.tcpPeerPortByInode(SELF);
            long toServer = during.socketInodes().stream()
                    .filter(inode -> Integer.valueOf(server.getLocalPort()).equals(peerPorts.get(inode))).count();
            assertEquals(1, toServer, "only the client's peer is the listener's port");
        }
        assertEquals(tcpBefore, SocketTables.tcpSocketDescriptors(SELF));
    }

    @Test
    void samplerHandsEverySampleToItsListenerAndKeepsThePeaks() throws Exception {
        assumeTrue(FdSampler.supported(), "Linux /proc needed");
        AtomicInteger heard = new AtomicInteger();
        FdSampler sampler = new FdSampler(SELF, 5, listing -> heard.incrementAndGet()).start();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (sampler.samples() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        } finally {
            sampler.stop();
        }
        assertTrue(sampler.samples() >= 3, "samples: " + sampler.samples());
        assertEquals(sampler.samples(), heard.get(), "the listener hears every sample");
        assertTrue(sampler.peakSockets() >= 1, "the listener socket: " + sampler.peakSockets());
        assertTrue(sampler.peakDescriptors() > sampler.peakSockets(), "jars and pipes come on top");
    }
}
