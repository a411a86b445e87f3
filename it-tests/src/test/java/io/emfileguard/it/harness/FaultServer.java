package io.emfileguard.it.harness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 server in the test JVM (127.0.0.1) for the outcomes the stub services never give,
 * each after a fixed latency: {@code /error} answers {@code 500} (keep-alive), {@code /drop} closes
 * the connection without any answer. Any other path answers 404.
 */
public final class FaultServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService parsers = Executors.newFixedThreadPool(2, daemon("fault-parse"));
    private final ScheduledExecutorService answers = Executors.newSingleThreadScheduledExecutor(daemon("fault-answer"));
    private final long latencyMillis;
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong drops = new AtomicLong();

    private FaultServer(Duration latency) throws IOException {
        this.latencyMillis = latency.toMillis();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.createContext("/", this::handle);
        server.setExecutor(parsers);
        server.start();
    }

    public static FaultServer start(Duration latency) {
        try {
            return new FaultServer(latency);
        } catch (IOException e) {
            throw new AssertionError("could not start the fault server", e);
        }
    }

    /** {@code http://127.0.0.1:<port>}, no trailing slash. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public long errors() {
        return errors.get();
    }

    public long drops() {
        return drops.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            in.readAllBytes();
        }
        String path = exchange.getRequestURI().getPath();
        answers.schedule(() -> {
            try {
                if (path.startsWith("/drop")) {
                    drops.incrementAndGet();
                    exchange.close(); // before any response: the server closes the connection
                } else {
                    boolean error = path.startsWith("/error");
                    if (error) {
                        errors.incrementAndGet();
                    }
                    byte[] body = (error ? "{\"message\":\"fault server error\"}" : "{\"message\":\"no such route\"}")
                            .getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", "application/json");
                    exchange.sendResponseHeaders(error ? 500 : 404, body.length);
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(body);
                    }
                    exchange.close();
                }
            } catch (IOException | RuntimeException e) {
                exchange.close(); // the client went away
            }
        }, latencyMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        server.stop(0);
        answers.shutdownNow();
        parsers.shutdownNow();
    }

    @Override
    public String toString() {
        return "FaultServer[" + endpoint() + ", errors " + errors + ", drops " + drops + "]";
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
