package io.emfileguard.it;

import example.apps.StormApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The instruments the other tests rely on: the latency server really keeps 3,300+ connections open
 * at once (so a failing storm is the client's limit, not the server's), and the descriptor sampler
 * sees exactly the TCP sockets a child holds (so "peak ≤ cap" is not vacuously true).
 */
class HarnessIT {

    @Test
    void theLatencyServerHolds3300ConnectionsAtOnce() throws IOException, InterruptedException {
        int n = 3300;
        List<Socket> clients = new ArrayList<>();
        try (LatencyServer server = LatencyServer.start(Duration.ofSeconds(1))) {
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port());
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket();
                    clients.add(s);
                    s.connect(address, 10_000);
                    OutputStream out = s.getOutputStream();
                    out.write(("HOLD " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                }
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (server.open() < n && System.nanoTime() - deadline < 0) {
                    Thread.sleep(20);
                }
                assertEquals(n, server.open(), "connections the server holds open at once: " + server);
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.open() > 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(20);
            }
            assertEquals(0, server.open(), "the server closed its side when the clients went: " + server);
            // And it answers with its latency.
            long t0 = System.nanoTime();
            try (Socket s = new Socket()) {
                s.connect(address, 5000);
                s.getOutputStream().write("REQ timing\n".getBytes(StandardCharsets.US_ASCII));
                byte[] reply = s.getInputStream().readAllBytes();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals("OK REQ timing\n", new String(reply, StandardCharsets.US_ASCII));
                assertTrue(ms >= 1000 && ms < 5000, "the reply came after " + ms + " ms, expected ~1000");
            }
        }
    }

    @Test
    void theSamplerSeesExactlyTheSocketsAChildHolds() {
        int n = 200;
        ChildResult r;
        try (LatencyServer server = LatencyServer.start(Duration.ofSeconds(2))) {
            // No agent: n requests held 2 s by the server, far below the descriptor limit.
            r = ChildJvm.on(Jdk.JDK17, "harness-sampler").main(StormApp.class, server.port(), n)
                    .timeout(Duration.ofSeconds(60)).run().assertSucceeded();
        }
        assertAll(r.toString(),
            () -> assertEquals(n, r.number("storm", "ok")),
            () -> assertEquals(1024, r.nofileLimit, "prlimit applied to the child"),
            () -> assertEquals(n, r.peakTcpSocketFds, "TCP sockets the sampler saw at once: " + r.peakTcpDetail),
            () -> assertTrue(r.peakSocketFds >= n, "socket descriptors of any kind"),
            () -> assertTrue(r.peakFds > r.peakSocketFds, "descriptors of any kind (jars, pipes) come on top"),
            () -> assertTrue(r.fdSamples > 20, "samples taken: " + r.fdSamples));
    }
}
