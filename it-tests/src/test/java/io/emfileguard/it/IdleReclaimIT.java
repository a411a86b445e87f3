package io.emfileguard.it;

import example.apps.SlowReaderApp;
import example.apps.SlowWriterApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.LatencyServer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Idle reclamation (on by default) must never close a request in flight. Here a connection's owner
 * pauses 2 s between connect and write while another thread waits at the cap (max.sockets=1): the
 * first request must complete, and the second must get its socket only after the first is closed.
 *
 * <p>The idle reclaimer (on by default) once closed such a socket after ~250 ms (no I/O for
 * reclaim.idle.millis, nobody inside a read or write); now a socket is idle only after its reply has
 * been read, so one that is connected and not yet written to is in flight.
 */
class IdleReclaimIT {

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void aRequestBetweenConnectAndWriteIsNotReclaimed(Jdk jdk) throws Throwable {
        ChildResult r;
        try (LatencyServer server = LatencyServer.start(Duration.ofMillis(500))) {
            r = ChildJvm.on(jdk, "idle-reclaim-in-flight").withAgent("max.sockets=1")
                    .main(SlowWriterApp.class, server.port(), 2000)
                    .timeout(Duration.ofSeconds(60))
                    .run();
        }
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()));
        r.assertSucceeded();
        Map<String, String> first = ChildResult.values(r.line("first"));
        Map<String, String> second = ChildResult.values(r.line("second"));
        assertAll(r.toString(),
            () -> assertEquals("OK_REQ_first", first.get("reply"), "the first request completes: " + first),
            () -> assertEquals("OK_FAST_second", second.get("reply"), "the second request completes: " + second),
            () -> assertTrue(second.containsKey("connectedAfterMs")
                    && Long.parseLong(second.get("connectedAfterMs")) >= 2000,
                    "the second waited for the first to finish: " + second),
            () -> assertEquals(0, r.number("gate", "ReclaimedSocketsTotal"), "nothing was reclaimed"));
    }

    /**
     * HttpURLConnection: a reply already read into the client's buffer, whose application pauses
     * before consuming it, is in use (the agent follows the keep-alive cache: in use from connect
     * until {@code KeepAliveCache.put}); the idle connection in the cache is reclaimed instead,
     * although it is younger. Before, the reclaimer took the older one, and reading its body failed
     * with "Socket closed" (1-4 requests in 3,300 in a JDK 25 pool storm).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void aReplyStillBeingConsumedIsNotReclaimedButAnIdleCachedConnectionIs(Jdk jdk) throws Throwable {
        ChildResult r;
        try (OneWriteHttpServer s0 = new OneWriteHttpServer("hello0");
             OneWriteHttpServer s1 = new OneWriteHttpServer("hello1");
             OneWriteHttpServer s2 = new OneWriteHttpServer("hello2")) {
            r = ChildJvm.on(jdk, "idle-reclaim-slow-reader").withAgent("max.sockets=2")
                    .main(SlowReaderApp.class, s0.port(), s1.port(), s2.port())
                    .timeout(Duration.ofSeconds(60))
                    .run();
        }
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()));
        r.assertSucceeded();
        Map<String, String> slow = ChildResult.values(r.line("slow"));
        Map<String, String> third = ChildResult.values(r.line("third"));
        assertAll(r.toString(),
            () -> assertEquals("hello0", slow.get("reply"), "the slow reader got its whole reply: " + slow),
            () -> assertEquals("hello2", third.get("reply"), "the third request got a socket at the cap: " + third),
            () -> assertTrue(Long.parseLong(third.get("afterMs")) < 10_000,
                    "by reclaiming, not after the 30 s max wait: " + third),
            () -> assertEquals(1, r.number("gate", "ReclaimedSocketsTotal"), "the cached connection was reclaimed"));
    }

    /**
     * HTTP/1.1 keep-alive on loopback that answers every request with one write of headers and body
     * together, so the client reads the whole reply into its buffer at once (the JDK's HttpServer
     * flushes the headers first, and the body would still be unread in the kernel).
     */
    static final class OneWriteHttpServer implements AutoCloseable {
        private final java.net.ServerSocket server;
        private final byte[] response;

        OneWriteHttpServer(String body) throws java.io.IOException {
            this.server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            this.response = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            Thread acceptor = new Thread(this::accept, "one-write-http-" + server.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    java.net.Socket s = server.accept();
                    Thread t = new Thread(() -> serve(s), "one-write-http-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }

        private void serve(java.net.Socket s) {
            try (s) {
                java.io.InputStream in = s.getInputStream();
                int matched = 0;
                int b;
                while ((b = in.read()) >= 0) {
                    matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
                    if (matched == 4) { // end of the request headers (GET: no body)
                        s.getOutputStream().write(response);
                        matched = 0;
                    }
                }
            } catch (java.io.IOException e) {
                // the client closed or the agent reclaimed the connection
            }
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }
}
