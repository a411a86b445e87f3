package io.emfileguard.it.harness;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Lambda Runtime API (version 2018-06-01) on 127.0.0.1, as far as a Java runtime uses it: what a
 * function process started with {@code AWS_LAMBDA_RUNTIME_API=}{@link #address()} talks to instead
 * of Lambda's own endpoint.
 *
 * <ul>
 *   <li>{@code GET /2018-06-01/runtime/invocation/next} blocks until {@link #invoke} queues an event,
 *       then answers 200 with the event and the headers the runtime interface client's JNI client
 *       needs (it crashes the JVM on a malformed answer): {@code Lambda-Runtime-Aws-Request-Id},
 *       {@code Lambda-Runtime-Deadline-Ms}, {@code Lambda-Runtime-Invoked-Function-Arn},
 *       {@code Lambda-Runtime-Trace-Id}, {@code Content-Type: application/json}.</li>
 *   <li>{@code POST .../invocation/{id}/response}, {@code POST .../invocation/{id}/error} and
 *       {@code POST /2018-06-01/runtime/init/error} are recorded and answered 202, as Lambda does.</li>
 *   <li>Anything else is answered 404 and recorded in {@link #unexpected()}.</li>
 * </ul>
 */
public final class FakeLambdaRuntimeApi implements AutoCloseable {

    public static final String FUNCTION_ARN_PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:";

    private static final String BASE = "/2018-06-01/runtime";
    private static final Pattern INVOCATION_POST = Pattern.compile(
            "^" + Pattern.quote(BASE) + "/invocation/([^/]+)/(response|error)$");

    private final HttpServer server;
    private final ExecutorService executor;
    private final String functionName;
    private final BlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
    private final List<Outcome> initErrors = new CopyOnWriteArrayList<>();
    private final List<String> unexpected = new CopyOnWriteArrayList<>();
    private final AtomicInteger polling = new AtomicInteger();
    private final AtomicInteger nextCalls = new AtomicInteger();
    private volatile boolean closed;

    private FakeLambdaRuntimeApi(String functionName) throws IOException {
        this.functionName = functionName;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-runtime-api-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext(BASE + "/", this::handle);
        server.createContext("/", exchange -> {
            unexpected.add(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            drain(exchange);
            send(exchange, 404, "{\"errorType\":\"NotFound\"}", null);
        });
        // /next blocks for as long as no event is queued: never on the dispatcher thread
        server.setExecutor(executor);
        server.start();
    }

    /** @param functionName the function's name, as in {@code AWS_LAMBDA_FUNCTION_NAME} and the ARN */
    public static FakeLambdaRuntimeApi start(String functionName) throws IOException {
        return new FakeLambdaRuntimeApi(functionName);
    }

    /** {@code 127.0.0.1:<port>}: the value of {@code AWS_LAMBDA_RUNTIME_API}. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Queues one invocation; the function's next {@code /next} receives it.
     * @param budget what {@code Lambda-Runtime-Deadline-Ms} gives the function from now
     * @return its request id
     */
    public String invoke(String eventJson, Duration budget) {
        String id = UUID.randomUUID().toString();
        queue.add(new Event(id, eventJson, budget));
        return id;
    }

    /** Waits for the function's answer to invocation {@code requestId}; null if none came in time. */
    public Outcome awaitOutcome(String requestId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            Outcome o = outcomes.get(requestId);
            if (o != null) {
                return o;
            }
            Thread.sleep(20);
        }
        return outcomes.get(requestId);
    }

    /**
     * Waits until the function is blocked in {@code /next} with nothing queued: it has answered its
     * last invocation and is idle, as a warm Lambda function between invocations.
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (polling.get() > 0 && queue.isEmpty()) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** {@code /next} requests received so far (one per invocation, plus the one now waiting). */
    public int nextCalls() {
        return nextCalls.get();
    }

    /** What arrived at {@code /init/error}. */
    public List<Outcome> initErrors() {
        return new ArrayList<>(initErrors);
    }

    /** Requests to paths the Runtime API does not have. */
    public List<String> unexpected() {
        return new ArrayList<>(unexpected);
    }

    @Override
    public void close() {
        closed = true;
        server.stop(0);
        executor.shutdownNow();
    }

    @Override
    public String toString() {
        return "fake Runtime API at " + address() + ": " + nextCalls.get() + " /next calls, " + polling.get()
                + " waiting, " + queue.size() + " queued, outcomes " + outcomes.keySet() + ", init errors "
                + initErrors + ", unexpected " + unexpected;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            if ("GET".equals(method) && path.equals(BASE + "/invocation/next")) {
                next(exchange);
                return;
            }
            Matcher m = INVOCATION_POST.matcher(path);
            if ("POST".equals(method) && m.matches()) {
                String body = new String(drain(exchange), StandardCharsets.UTF_8);
                boolean success = "response".equals(m.group(2));
                Outcome o = new Outcome(m.group(1), success, body,
                        exchange.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type"));
                if (outcomes.putIfAbsent(o.requestId, o) != null) {
                    unexpected.add("second outcome for " + o.requestId + ": " + o);
                }
                send(exchange, 202, "{\"status\":\"OK\"}", null);
                return;
            }
            if ("POST".equals(method) && path.equals(BASE + "/init/error")) {
                String body = new String(drain(exchange), StandardCharsets.UTF_8);
                initErrors.add(new Outcome("init", false, body,
                        exchange.getRequestHeaders().getFirst("Lambda-Runtime-Function-Error-Type")));
                send(exchange, 202, "{\"status\":\"OK\"}", null);
                return;
            }
            unexpected.add(method + " " + exchange.getRequestURI());
            drain(exchange);
            send(exchange, 404, "{\"errorType\":\"NotFound\"}", null);
        } finally {
            exchange.close();
        }
    }

    private void next(HttpExchange exchange) throws IOException {
        drain(exchange);
        nextCalls.incrementAndGet();
        polling.incrementAndGet();
        Event event = null;
        try {
            while (!closed && event == null) {
                event = queue.poll(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            polling.decrementAndGet();
        }
        if (event == null) {
            return; // shutting down: the exchange is closed without an answer
        }
        Headers h = new Headers();
        h.set("Lambda-Runtime-Aws-Request-Id", event.requestId);
        h.set("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + event.budget.toMillis()));
        h.set("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN_PREFIX + functionName);
        h.set("Lambda-Runtime-Trace-Id", "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=0");
        send(exchange, 200, event.json, h);
    }

    private static byte[] drain(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            return in.readAllBytes();
        }
    }

    private static void send(HttpExchange exchange, int status, String body, Headers extra) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Headers headers = exchange.getResponseHeaders();
        if (extra != null) {
            headers.putAll(extra);
        }
        headers.set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static final class Event {
        final String requestId;
        final String json;
        final Duration budget;

        Event(String requestId, String json, Duration budget) {
            this.requestId = requestId;
            this.json = json;
            this.budget = budget;
        }
    }

    /** One answer of the function: a response, an invocation error, or an init error. */
    public static final class Outcome {
        public final String requestId;
        public final boolean success;
        public final String body;
        /** {@code Lambda-Runtime-Function-Error-Type} of an error, null otherwise. */
        public final String errorType;
        public final long receivedAtMillis = System.currentTimeMillis();

        Outcome(String requestId, boolean success, String body, String errorType) {
            this.requestId = requestId;
            this.success = success;
            this.body = body;
            this.errorType = errorType;
        }

        @Override
        public String toString() {
            String b = body.length() > 2000 ? body.substring(0, 2000) + "..." : body;
            return (success ? "response" : "error" + (errorType == null ? "" : " (" + errorType + ")")) + " for "
                    + requestId + ": " + b;
        }
    }
}
