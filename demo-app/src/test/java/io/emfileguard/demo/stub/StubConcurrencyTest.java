package io.emfileguard.demo.stub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stub holds 5,000 slow exchanges open at once with a handful of threads: more than a whole
 * demo batch of 3,300 (or a 500-record sweep's 5,500 spread over time) ever needs.
 */
class StubConcurrencyTest {

    private static final int CONNECTIONS = 5_000;

    @Test
    void fiveThousandConcurrentExchangesAreAllOpenAtOnceAndAllAnswered() throws Exception {
        // client and server ends of every connection live in this JVM
        assumeTrue(openFileLimit() > 2 * CONNECTIONS + 200, "needs a descriptor limit above " + (2 * CONNECTIONS + 200));
        try (StubServer stub = StubServer.start(0, 4_000, 0); Selector selector = Selector.open()) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", stub.port());
            List<SocketChannel> channels = new ArrayList<>(CONNECTIONS);
            long start = System.nanoTime();
            try {
                // First every connection, then every request: how fast this machine connects does not
                // decide how many exchanges overlap, the stub's latency does.
                for (int i = 0; i < CONNECTIONS; i++) {
                    channels.add(SocketChannel.open(address));
                }
                long connected = System.nanoTime();
                for (int i = 0; i < CONNECTIONS; i++) {
                    SocketChannel channel = channels.get(i);
                    channel.write(ByteBuffer.wrap(("GET /services/s?record=" + i + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII)));
                    channel.configureBlocking(false);
                    channel.register(selector, SelectionKey.OP_READ, new StringBuilder());
                }
                System.out.printf("connected %d in %d ms, sent the requests in %d ms%n", CONNECTIONS,
                        (connected - start) / 1_000_000, (System.nanoTime() - connected) / 1_000_000);
                int answered = 0;
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (answered < CONNECTIONS && System.nanoTime() < deadline) {
                    selector.select(500);
                    for (SelectionKey key : selector.selectedKeys()) {
                        StringBuilder text = (StringBuilder) key.attachment();
                        buffer.clear();
                        int n = ((SocketChannel) key.channel()).read(buffer);
                        if (n > 0) {
                            text.append(new String(buffer.array(), 0, n, StandardCharsets.US_ASCII));
                        }
                        if (text.indexOf("\"status\":\"ok\"}") >= 0 || n < 0) {
                            assertTrue(text.toString().startsWith("HTTP/1.1 200"), text.toString());
                            key.cancel();
                            answered++;
                        }
                    }
                    selector.selectedKeys().clear();
                }
                System.out.printf("answered after %d ms, peak in flight %d%n", (System.nanoTime() - start) / 1_000_000,
                        stub.peakInFlight());
                assertEquals(CONNECTIONS, answered, "answers within 30 s");
                assertEquals(CONNECTIONS, stub.peakInFlight(), "every exchange was open at the same time");
                // The stub counts an exchange done after its last byte is written, which the client may
                // read first: give the last few a moment to finish on the server's side.
                long settle = System.nanoTime() + 5_000_000_000L;
                while (stub.inFlight() > 0 && System.nanoTime() < settle) {
                    Thread.sleep(10);
                }
                assertEquals(0, stub.inFlight(), "every exchange ended on the stub's side too");
            } finally {
                for (SocketChannel channel : channels) {
                    channel.close();
                }
            }
        }
    }

    private static long openFileLimit() throws IOException {
        for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.trim().split("\\s+")[3];
                return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
            }
        }
        return -1;
    }
}
