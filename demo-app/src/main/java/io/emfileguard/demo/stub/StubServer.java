package io.emfileguard.demo.stub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

/**
 * The downstream services of the demo, all in one process: slow on purpose, and speaking the wire
 * formats the handler's clients expect.
 *
 * <ul>
 *   <li>{@code GET /services/{n}?record=...}: a plain JSON answer (JDK HttpClient, HttpURLConnection);</li>
 *   <li>{@code POST /} with {@code X-Amz-Target: DynamoDB_20120810.GetItem|Query}: DynamoDB's JSON 1.0
 *       protocol ({@code application/x-amz-json-1.0}, {@code x-amz-crc32} of the body, typed attribute values);</li>
 *   <li>{@code POST /2015-03-31/functions/{name}/invocations}: Lambda's REST invoke ({@code 202} for
 *       {@code X-Amz-Invocation-Type: Event}, {@code 200} with the payload for {@code RequestResponse},
 *       {@code 204} for {@code DryRun});</li>
 *   <li>{@code GET /stats}: this server's counters, answered at once;</li>
 *   <li>{@code GET /latch?inFlight=N&maxMillis=M}: arms the latch (see below), answered at once.</li>
 * </ul>
 *
 * <p>Every answer but {@code /stats} and {@code /latch} is sent after {@code latency ± jitter}
 * milliseconds from a scheduler: the handler thread returns at once, so two threads parse requests
 * and one timer thread answers thousands of open exchanges. Binds to the loopback address only.
 *
 * <p><b>The latch</b>, for tests whose premise is "the storm filled the cap" on a loaded machine:
 * once armed, no reply leaves the stub until {@code N} requests are in flight at once (received,
 * not answered) or {@code M} ms have passed since arming, whichever comes first; then each held
 * request is answered when its own latency is up (at once if it is up already), and the stub goes
 * on as before. One latch at a time: arming again opens the previous one. {@code /stats} says how
 * the last latch opened ({@code latchOpenedByCount} or {@code latchOpenedByDeadline}), when, and
 * the most requests in flight since it was armed ({@code latchPeakInFlight}).
 */
public final class StubServer implements AutoCloseable {

    private static final Pattern DYNAMO_KEY_VALUE = Pattern.compile("\"S\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern DYNAMO_TABLE = Pattern.compile("\"TableName\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern LAMBDA_INVOKE = Pattern.compile("^/2015-03-31/functions/([^/]+)/invocations$");

    private final HttpServer server;
    private final ExecutorService parsers;
    private final ScheduledExecutorService answers;
    private final LatencyProfile profile;

    private final AtomicLong received = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger peakInFlight = new AtomicInteger();
    /** The last latch armed (null: never); guarded by {@code this}. */
    private Latch latch;

    private StubServer(HttpServer server, ExecutorService parsers, ScheduledExecutorService answers,
                       LatencyProfile profile) {
        this.server = server;
        this.parsers = parsers;
        this.answers = answers;
        this.profile = profile;
    }

    /**
     * Starts a stub on 127.0.0.1.
     *
     * @param port          0 for any free port
     * @param latencyMillis mean delay of every answer
     * @param jitterMillis  answers are spread uniformly over {@code latency ± jitter}
     */
    public static StubServer start(int port, long latencyMillis, long jitterMillis) throws IOException {
        return start(port, new LatencyProfile(LatencyProfile.UNIFORM, 1, latencyMillis, jitterMillis));
    }

    /** Starts a stub on 127.0.0.1 whose answers take each service's latency of {@code profile}. */
    public static StubServer start(int port, LatencyProfile profile) throws IOException {
        // The JDK server closes idle keep-alive connections above 200 by default; clients of a
        // fan-out keep thousands in their pools, as they would against real services.
        setIfAbsent("sun.net.httpserver.maxIdleConnections", "100000");
        setIfAbsent("sun.net.httpserver.idleInterval", "120");
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 8192);
        ExecutorService parsers = Executors.newFixedThreadPool(2, daemon("stub-parse"));
        ScheduledExecutorService answers = Executors.newScheduledThreadPool(1, daemon("stub-answer"));
        StubServer stub = new StubServer(server, parsers, answers, profile);
        server.createContext("/", stub::handle);
        server.setExecutor(parsers);
        server.start();
        return stub;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port();
    }

    public long received() {
        return received.get();
    }

    public long answered() {
        return answered.get();
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int peakInFlight() {
        return peakInFlight.get();
    }

    @Override
    public void close() {
        server.stop(0);
        answers.shutdownNow();
        parsers.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        String path = exchange.getRequestURI().getPath();
        if ("/stats".equals(path)) {
            Reply stats = Reply.json(200, "{\"received\":" + received.get() + ",\"answered\":" + answered.get()
                    + ",\"inFlight\":" + inFlight.get() + ",\"peakInFlight\":" + peakInFlight.get() + latchStats() + "}");
            stats.send(exchange);
            return;
        }
        if ("/latch".equals(path)) {
            URI uri = exchange.getRequestURI();
            Reply armed;
            try {
                armed = arm(Integer.parseInt(queryParameter(uri, "inFlight")),
                        Long.parseLong(queryParameter(uri, "maxMillis")));
            } catch (RuntimeException e) {
                armed = Reply.json(400, "{\"message\":\"usage: /latch?inFlight=N&maxMillis=M\"}");
            }
            armed.send(exchange);
            return;
        }
        received.incrementAndGet();
        int now = inFlight.incrementAndGet();
        peakInFlight.accumulateAndGet(now, Math::max);
        Reply reply;
        try {
            reply = route(exchange, path, new String(body, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            reply = Reply.json(500, "{\"message\":\"stub error\"}");
        }
        Reply answer = reply;
        int service = LatencyProfile.serviceNumber(path);
        if (service < 0 && "POST".equals(exchange.getRequestMethod()) && "/".equals(path)) {
            Matcher table = DYNAMO_TABLE.matcher(new String(body, StandardCharsets.UTF_8));
            service = table.find() ? LatencyProfile.serviceNumber(table.group(1)) : -1;
        }
        long delay = profile.latencyMillis(service);
        long jitterMillis = profile.jitterMillis(service);
        if (jitterMillis > 0) {
            delay += ThreadLocalRandom.current().nextLong(-jitterMillis, jitterMillis + 1);
        }
        long dueNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        synchronized (this) {
            Latch l = latch;
            if (l != null) {
                l.peakInFlight = Math.max(l.peakInFlight, now);
                if (!l.open) {
                    l.held.add(new Held(exchange, answer, dueNanos));
                    if (now >= l.inFlight) {
                        open(l, false);
                    }
                    return;
                }
            }
        }
        answerAt(exchange, answer, dueNanos);
    }

    private void answerAt(HttpExchange exchange, Reply answer, long dueNanos) {
        answers.schedule(() -> {
            try {
                answer.send(exchange);
            } catch (IOException | RuntimeException e) {
                exchange.close(); // the client went away: nothing to tell it
            } finally {
                inFlight.decrementAndGet();
                answered.incrementAndGet();
            }
        }, Math.max(0, dueNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** A request the latch holds: answered at {@code dueNanos} or when the latch opens, the later. */
    private static final class Held {
        final HttpExchange exchange;
        final Reply answer;
        final long dueNanos;

        Held(HttpExchange exchange, Reply answer, long dueNanos) {
            this.exchange = exchange;
            this.answer = answer;
            this.dueNanos = dueNanos;
        }
    }

    /** One arming of the latch and how it ended; fields guarded by the server ({@code this}). */
    private static final class Latch {
        final int inFlight;
        final long maxMillis;
        final long armedNanos = System.nanoTime();
        final List<Held> held = new ArrayList<>();
        boolean open;
        boolean byDeadline;
        long openedAfterMillis = -1;
        int openedAtInFlight = -1;
        int peakInFlight;
        int heldTotal;

        Latch(int inFlight, long maxMillis) {
            this.inFlight = inFlight;
            this.maxMillis = maxMillis;
        }
    }

    private synchronized Reply arm(int inFlightToOpen, long maxMillis) {
        if (inFlightToOpen < 1 || maxMillis < 0) {
            throw new IllegalArgumentException("inFlight must be >= 1 and maxMillis >= 0");
        }
        if (latch != null && !latch.open) {
            open(latch, true);
        }
        Latch l = new Latch(inFlightToOpen, maxMillis);
        latch = l;
        answers.schedule(() -> {
            synchronized (StubServer.this) {
                if (!l.open) {
                    open(l, true);
                }
            }
        }, maxMillis, TimeUnit.MILLISECONDS);
        return Reply.json(200, "{\"armed\":true,\"inFlight\":" + inFlightToOpen + ",\"maxMillis\":" + maxMillis + "}");
    }

    /** Lets the latch's held requests go, each when its own latency is up; caller holds {@code this}. */
    private void open(Latch l, boolean byDeadline) {
        l.open = true;
        l.byDeadline = byDeadline;
        l.openedAfterMillis = (System.nanoTime() - l.armedNanos) / 1_000_000;
        l.openedAtInFlight = inFlight.get();
        l.heldTotal = l.held.size();
        for (Held h : l.held) {
            answerAt(h.exchange, h.answer, h.dueNanos);
        }
        l.held.clear();
    }

    /** The last latch's figures for {@code /stats} (all numbers; 0/-1 where never armed). */
    private synchronized String latchStats() {
        Latch l = latch;
        if (l == null) {
            return ",\"latchArmed\":0";
        }
        return ",\"latchArmed\":1,\"latchInFlight\":" + l.inFlight + ",\"latchMaxMillis\":" + l.maxMillis
                + ",\"latchOpen\":" + (l.open ? 1 : 0)
                + ",\"latchOpenedByCount\":" + (l.open && !l.byDeadline ? 1 : 0)
                + ",\"latchOpenedByDeadline\":" + (l.open && l.byDeadline ? 1 : 0)
                + ",\"latchOpenedAfterMillis\":" + l.openedAfterMillis
                + ",\"latchOpenedAtInFlight\":" + l.openedAtInFlight
                + ",\"latchHeld\":" + (l.open ? l.heldTotal : l.held.size())
                + ",\"latchPeakInFlight\":" + l.peakInFlight;
    }

    static Reply route(HttpExchange exchange, String path, String body) {
        String method = exchange.getRequestMethod();
        if ("GET".equals(method) && path.startsWith("/services/")) {
            String service = path.substring("/services/".length());
            String record = queryParameter(exchange.getRequestURI(), "record");
            return Reply.json(200, "{\"service\":\"" + escape(service) + "\",\"record\":\"" + escape(record)
                    + "\",\"status\":\"ok\"}");
        }
        if ("POST".equals(method) && "/".equals(path)) {
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            return dynamoDb(target == null ? "" : target, body);
        }
        Matcher invoke = LAMBDA_INVOKE.matcher(path);
        if ("POST".equals(method) && invoke.matches()) {
            String type = exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type");
            return lambdaInvoke(invoke.group(1), type == null ? "RequestResponse" : type, body);
        }
        return Reply.json(404, "{\"message\":\"no such stub route: " + escape(method + " " + path) + "\"}");
    }

    /** DynamoDB's JSON 1.0 protocol: the operation in X-Amz-Target, typed attribute values. */
    static Reply dynamoDb(String target, String body) {
        Matcher tableMatch = DYNAMO_TABLE.matcher(body);
        String table = tableMatch.find() ? tableMatch.group(1) : "unknown";
        Matcher keyMatch = DYNAMO_KEY_VALUE.matcher(body);
        String key = keyMatch.find() ? keyMatch.group(1) : "unknown";
        String item = "{\"pk\":{\"S\":\"" + escape(key) + "\"},\"table\":{\"S\":\"" + escape(table)
                + "\"},\"quantity\":{\"N\":\"42\"},\"active\":{\"BOOL\":true}}";
        switch (target) {
            case "DynamoDB_20120810.GetItem":
                return Reply.dynamo(200, "{\"Item\":" + item + "}");
            case "DynamoDB_20120810.Query":
                return Reply.dynamo(200, "{\"Count\":1,\"Items\":[" + item + "],\"ScannedCount\":1}");
            default:
                return Reply.dynamo(400, "{\"__type\":\"com.amazon.coral.service#UnknownOperationException\","
                        + "\"message\":\"The stub answers GetItem and Query only\"}");
        }
    }

    /** Lambda's REST invoke: the status code carries the invocation type. */
    static Reply lambdaInvoke(String function, String invocationType, String payload) {
        switch (invocationType) {
            case "Event":
                return Reply.lambda(202, "", null);
            case "DryRun":
                return Reply.lambda(204, "", null);
            case "RequestResponse":
                return Reply.lambda(200, "{\"function\":\"" + escape(function) + "\",\"received\":"
                        + (payload.isEmpty() ? "null" : payload) + "}", "$LATEST");
            default:
                return Reply.json(400, "{\"Type\":\"User\",\"message\":\"Unknown invocation type\"}");
        }
    }

    private static String queryParameter(URI uri, String name) {
        String query = uri.getRawQuery();
        if (query == null) {
            return "";
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return "";
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** One prepared answer. */
    static final class Reply {
        final int status;
        final String contentType;
        final byte[] body;
        final String[] headers;

        private Reply(int status, String contentType, String body, String... headers) {
            this.status = status;
            this.contentType = contentType;
            this.body = body.getBytes(StandardCharsets.UTF_8);
            this.headers = headers;
        }

        static Reply json(int status, String body) {
            return new Reply(status, "application/json", body);
        }

        static Reply dynamo(int status, String body) {
            CRC32 crc = new CRC32();
            crc.update(body.getBytes(StandardCharsets.UTF_8));
            return new Reply(status, "application/x-amz-json-1.0", body,
                    "x-amzn-RequestId", UUID.randomUUID().toString(),
                    "x-amz-crc32", Long.toString(crc.getValue()));
        }

        static Reply lambda(int status, String body, String executedVersion) {
            return executedVersion == null
                    ? new Reply(status, "application/json", body, "x-amzn-RequestId", UUID.randomUUID().toString())
                    : new Reply(status, "application/json", body, "x-amzn-RequestId", UUID.randomUUID().toString(),
                    "X-Amz-Executed-Version", executedVersion);
        }

        void send(HttpExchange exchange) throws IOException {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            for (int i = 0; i + 1 < headers.length; i += 2) {
                exchange.getResponseHeaders().set(headers[i], headers[i + 1]);
            }
            // 204 must not carry a body, and the JDK server wants -1 for "no body" there.
            boolean noBody = status == 204 || body.length == 0;
            exchange.sendResponseHeaders(status, noBody ? -1 : body.length);
            if (!noBody) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            exchange.close();
        }
    }
}
