package io.emfileguard.it.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback server with real latency, one selector thread for any number of connections (the test
 * JVM's descriptor limit is far above the children's). Protocol, one line per connection:
 * <ul>
 *   <li>{@code FAST <x>}: answered at once with {@code OK FAST <x>}, then closed;</li>
 *   <li>{@code HOLD <x>}: never answered; held until the client closes (or the server stops);</li>
 *   <li>anything else: answered with {@code OK <line>} after the hold time, then closed.</li>
 * </ul>
 * A connection that sends nothing is held until the client closes it. Binds 127.0.0.1 only, on a
 * fresh port, and stops by itself after {@link #MAX_LIFETIME} at the latest.
 */
public final class LatencyServer implements AutoCloseable {

    public static final Duration MAX_LIFETIME = Duration.ofMinutes(5);
    private static final int MAX_LINE = 512;

    private final ServerSocketChannel server;
    private final Selector selector;
    private final long holdNanos;
    private final Thread thread;
    private final ArrayDeque<Conn> scheduled = new ArrayDeque<>(); // FIFO: every reply has the same delay
    private volatile boolean running = true;

    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong replied = new AtomicLong();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger peakOpen = new AtomicInteger();

    private LatencyServer(Duration hold) throws IOException {
        this.holdNanos = hold.toNanos();
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open();
        server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        this.thread = new Thread(this::loop, "latency-server-" + port());
        this.thread.setDaemon(true);
        this.thread.start();
    }

    public static LatencyServer start(Duration hold) {
        try {
            return new LatencyServer(hold);
        } catch (IOException e) {
            throw new AssertionError("could not start the latency server", e);
        }
    }

    public int port() {
        return server.socket().getLocalPort();
    }

    public long accepted() {
        return accepted.get();
    }

    public long replied() {
        return replied.get();
    }

    /** Connections open on the server side right now. */
    public int open() {
        return open.get();
    }

    /** Most connections open on the server side at once. */
    public int peakOpen() {
        return peakOpen.get();
    }

    private static final class Conn {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(MAX_LINE);
        ByteBuffer out;
        long dueNanos;
        boolean hold;
        boolean closed;

        Conn(SocketChannel channel) {
            this.channel = channel;
        }
    }

    private void loop() {
        long stopAt = System.nanoTime() + MAX_LIFETIME.toNanos();
        try {
            while (running && System.nanoTime() - stopAt < 0) {
                long timeoutMillis = 100;
                Conn next = scheduled.peekFirst();
                if (next != null) {
                    timeoutMillis = Math.max(1, Math.min(100, (next.dueNanos - System.nanoTime()) / 1_000_000 + 1));
                }
                selector.select(timeoutMillis);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isAcceptable()) {
                            acceptAll();
                        } else if (key.isReadable()) {
                            read(key, (Conn) key.attachment());
                        } else if (key.isWritable()) {
                            write((Conn) key.attachment());
                        }
                    } catch (IOException | RuntimeException e) {
                        Object a = key.attachment();
                        if (a instanceof Conn) {
                            close((Conn) a);
                        }
                    }
                }
                long now = System.nanoTime();
                while ((next = scheduled.peekFirst()) != null && now - next.dueNanos >= 0) {
                    scheduled.pollFirst();
                    reply(next);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            // stopping
        } finally {
            for (SelectionKey k : selector.keys()) {
                try {
                    k.channel().close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
            try {
                selector.close();
                server.close();
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    private void acceptAll() throws IOException {
        for (int i = 0; i < 4096; i++) {
            SocketChannel c = server.accept();
            if (c == null) {
                return;
            }
            accepted.incrementAndGet();
            int now = open.incrementAndGet();
            peakOpen.accumulateAndGet(now, Math::max);
            c.configureBlocking(false);
            c.register(selector, SelectionKey.OP_READ, new Conn(c));
        }
    }

    private void read(SelectionKey key, Conn conn) throws IOException {
        int n = conn.channel.read(conn.in);
        if (n < 0) {
            close(conn);
            return;
        }
        if (conn.hold) {
            conn.in.clear(); // held: only waiting for the client to go away
            return;
        }
        int end = -1;
        for (int i = 0; i < conn.in.position(); i++) {
            if (conn.in.get(i) == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            if (!conn.in.hasRemaining()) {
                conn.in.clear(); // not our protocol (e.g. a TLS hello): discard, keep holding
            }
            return;
        }
        String line = new String(conn.in.array(), 0, end, StandardCharsets.US_ASCII).trim();
        conn.in.clear();
        conn.out = ByteBuffer.wrap(("OK " + line + "\n").getBytes(StandardCharsets.US_ASCII));
        if (line.startsWith("HOLD")) {
            conn.hold = true;
        } else if (line.startsWith("FAST")) {
            key.interestOps(0);
            reply(conn);
        } else {
            key.interestOps(0);
            conn.dueNanos = System.nanoTime() + holdNanos;
            scheduled.addLast(conn);
        }
    }

    private void reply(Conn conn) {
        if (conn.closed) {
            return;
        }
        try {
            write(conn);
        } catch (IOException | RuntimeException e) {
            close(conn);
        }
    }

    private void write(Conn conn) throws IOException {
        conn.channel.write(conn.out);
        if (conn.out.hasRemaining()) {
            conn.channel.keyFor(selector).interestOps(SelectionKey.OP_WRITE);
            return;
        }
        replied.incrementAndGet();
        close(conn);
    }

    private void close(Conn conn) {
        if (conn.closed) {
            return;
        }
        conn.closed = true;
        open.decrementAndGet();
        try {
            conn.channel.close();
        } catch (IOException ignored) {
            // best effort
        }
    }

    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "LatencyServer[port " + port() + ", accepted " + accepted + ", replied " + replied + ", open " + open
                + ", peak open " + peakOpen + "]";
    }
}
