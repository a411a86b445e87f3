package example.apps.clients;

import example.apps.GateProbe;
import io.emfileguard.testsupport.FdSampler;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Issue 25's fan-out, as AWS recommends it for async clients: {@code count} calls issued from ONE
 * thread (the main thread), then {@code CompletableFuture.allOf(...).join()}. Knows nothing of the
 * agent but its MBean's name and its park blocker's class name.
 *
 * <p>Args: {@code kind mode endpoint count [key=value ...]}.
 * <ul>
 *   <li>kind: {@code jdk-sendasync} (one JDK {@code HttpClient}, HTTP/1.1, {@code sendAsync}),
 *       {@code sdk-netty} (AWS SDK v2 {@code DynamoDbAsyncClient.getItem} over
 *       {@code NettyNioAsyncHttpClient}) or {@code apache5-async} (Apache {@code CloseableHttpAsyncClient} 5,
 *       {@code SimpleHttpRequest} GETs);</li>
 *   <li>mode: {@code raised}: the client's own limit out of the way, as an application that met
 *       "pool exhausted" errors configures it (the JDK client has none; SDK {@code maxConcurrency}
 *       5,000; Apache max total and per route 5,000); {@code hand-tuned}: the client limited to
 *       {@code cap} connections by its own settings (SDK {@code maxConcurrency=cap}; Apache max total
 *       and per route = cap; for the JDK client, which has no such setting, a fair FIFO of permits
 *       that starts a queued call when a running one completes: the issuing thread never blocks).</li>
 * </ul>
 * Options: {@code cap=500} (hand-tuned's limit), {@code latch=N latchMillis=M} (arm the stub's latch
 * before issuing: no reply until N requests are in flight or M ms have passed), {@code cancel=K}
 * (once every call beyond the cap without a timeout of its own waits at the gate, 5 s at most, and
 * {@code cancelDelayMs=0} more, {@code cancel(true)} the last K calls' futures; with
 * {@code releaseLatchAfterCancel=1} the stub's latch is released only then),
 * {@code timeout=K timeoutMs=1000} (the K calls before those carry the client's own request timeout:
 * JDK {@code HttpRequest.timeout}, SDK {@code apiCallTimeout}, Apache per-request
 * {@code responseTimeout} and {@code connectionRequestTimeout}), {@code settleMillis=20000} (with
 * the agent: how long to wait after closing the client for {@code OpenSockets} and the kernel's
 * TCP sockets to go back to where they were before it was built), {@code deadlineSeconds=150} (the
 * longest the app waits for the batch), {@code fdSampleMs=0} (an in-process {@code FdSampler} of
 * its own descriptors; the tests use the parent's {@code KernelView} instead).
 *
 * <p>While the batch runs, a sampler looks every ~1 ms at every thread's park blocker: parked by
 * the gate (blocker class name ending in {@code SocketGate} or in package {@code io.emfileguard})
 * and which thread: an event-loop or selector thread (seen in {@code Selector.select}, or with a
 * Netty / JDK {@code HttpClient} SelectorManager / HttpCore reactor frame on its stack), the issuing
 * thread, or another.
 *
 * <p>Prints ONE line {@code RESULT {json}} (besides the first stack of each failure kind on
 * stderr): ok, failed, failures by cause ({@code emfile}: "Too many open files" anywhere in the
 * cause chain; {@code cancelled}; {@code timeout}: an exception whose class name contains
 * "Timeout"; {@code other}), the top failure chains, {@code issuing_ms} (the issuing thread's time
 * from the first call to the last call returning), {@code batch_ms} (first call to {@code join}
 * returning), the sampler's counts, the MBean's every numeric attribute before, after the batch and
 * at the end (null without the agent), {@code drift} (OpenSockets at the end less before the
 * client), the kernel's TCP sockets then, and what the cancel saw. Exits 0 once it has printed it,
 * whatever the outcome: the test judges.
 */
public final class AsyncFanOutApp {

    static final int RAISED = 5000;
    static final ObjectName GATE = objectName(GateProbe.NAME);

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        String mode = args[1];
        String endpoint = args[2];
        int count = Integer.parseInt(args[3]);
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 4; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            opt.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        int cap = intOpt(opt, "cap", 500);
        int latch = intOpt(opt, "latch", 0);
        long latchMillis = intOpt(opt, "latchMillis", 15_000);
        int cancel = intOpt(opt, "cancel", 0);
        long cancelDelayMs = intOpt(opt, "cancelDelayMs", 0);
        boolean releaseLatchAfterCancel = intOpt(opt, "releaseLatchAfterCancel", 0) != 0;
        int timeouts = intOpt(opt, "timeout", 0);
        long timeoutMs = intOpt(opt, "timeoutMs", 1000);
        long settleMillis = intOpt(opt, "settleMillis", 20_000);
        long deadlineSeconds = intOpt(opt, "deadlineSeconds", 150);
        long fdSampleMs = intOpt(opt, "fdSampleMs", 0);
        if (!"raised".equals(mode) && !"hand-tuned".equals(mode)) {
            throw new IllegalArgumentException("mode is raised or hand-tuned, not " + mode);
        }
        if (cancel + timeouts > count) {
            throw new IllegalArgumentException("cancel + timeout > count");
        }

        long mbeanWait = Long.getLong("it.mbean.wait.millis", 0);
        boolean agent = mbeanWait > 0 && GateProbe.await(mbeanWait);
        FdSampler fds = fdSampleMs > 0
                ? new FdSampler(ProcessHandle.current().pid(), fdSampleMs, l -> { }).start() : null;
        Map<String, Object> gateBefore = gate();
        long openBefore = agent ? GateProbe.open() : -1;
        int tcpBefore = GateProbe.socketFds();

        FanOutClient client = create(kind, "hand-tuned".equals(mode) ? cap : RAISED, endpoint);
        client.call(-1, 0).done.get(60, TimeUnit.SECONDS); // warm-up: class loading, the client's threads
        Sampler sampler = new Sampler(Thread.currentThread());
        for (int i = 0; i < 10; i++) { // a loop busy with the warm-up selects a moment later
            sampler.discover();
            Thread.sleep(20);
        }
        sampler.start();
        if (latch > 0) {
            armLatch(endpoint, latch, latchMillis);
        }
        // Connected now: once the batch fills the cap, a new socket would wait at the gate behind it.
        Socket latchRelease = releaseLatchAfterCancel && cancel > 0 ? connectedTo(endpoint) : null;

        // The fan-out: every call issued from this thread, then joined.
        Outcome o = new Outcome(true);
        Outcome timeoutGroup = new Outcome(false); // the calls given a timeout
        Outcome cancelGroup = new Outcome(false); // the calls cancelled
        List<Call> calls = new ArrayList<>(count);
        int firstTimeout = count - cancel - timeouts;
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            boolean timed = i >= firstTimeout && i < count - cancel;
            Outcome group = timed ? timeoutGroup : i >= count - cancel ? cancelGroup : null;
            Call c;
            try {
                c = client.call(i, timed ? timeoutMs : 0);
            } catch (Throwable t) { // a client that throws instead of failing its future
                c = new Call(null, CompletableFuture.failedFuture(t));
            }
            c.done.whenComplete((v, t) -> {
                o.ended(t);
                if (group != null) {
                    group.ended(t);
                }
            });
            calls.add(c);
        }
        long t1 = System.nanoTime();
        Map<String, Object> cancelSeen = new LinkedHashMap<>();
        if (cancel > 0) {
            // Cancel the last calls while they wait at the cap: not after a fixed delay, which a loaded
            // machine outruns (the SDK issues its calls to its event loops after this thread returns:
            // on JDK 25 beside another child, 200 ms after issuing only 402 were open and none waited),
            // but once every call beyond the cap that has no timeout of its own is queued (5 s at most;
            // the test then finds its premise broken instead of passing on calls that never waited).
            long queuedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            long beyondCap = count - cap - timeouts;
            while (agent && System.nanoTime() - queuedBy < 0 && GateProbe.get("WaitingThreads") < beyondCap) {
                Thread.sleep(5);
            }
            Thread.sleep(cancelDelayMs);
            cancelSeen.put("requested", cancel);
            cancelSeen.put("open_at_cancel", GateProbe.get("OpenSockets"));
            cancelSeen.put("waiting_at_cancel", GateProbe.get("WaitingThreads"));
            cancelSeen.put("kernel_tcp_at_cancel", GateProbe.socketFds());
            int effective = 0;
            for (int i = count - cancel; i < count; i++) {
                Future<?> raw = calls.get(i).raw;
                if (raw != null && raw.cancel(true)) {
                    effective++;
                }
            }
            cancelSeen.put("effective", effective);
            if (latchRelease != null) {
                // The stub held every reply (a latch the batch cannot reach) so that the calls beyond
                // the cap certainly waited when they were cancelled; arming a new one lets those go.
                try (Socket control = latchRelease) {
                    armLatch(control, endpoint, 1, 0);
                }
                cancelSeen.put("latch_released_after_cancel", true);
            }
        }
        boolean finished;
        try {
            CompletableFuture.allOf(calls.stream().map(c -> c.done.exceptionally(t -> null))
                    .toArray(CompletableFuture[]::new)).get(deadlineSeconds, TimeUnit.SECONDS);
            finished = true;
        } catch (java.util.concurrent.TimeoutException e) {
            finished = false;
        }
        long t2 = System.nanoTime();
        sampler.stop();
        Map<String, Object> gateAfter = gate();
        int tcpAfterBatch = GateProbe.socketFds();

        // Close the client and let the counts settle (with the agent: drift).
        Map<String, Object> gateEnd = null;
        Long drift = null;
        long settleMs = -1;
        int tcpEnd = -1;
        if (finished) {
            client.close();
            long s0 = System.nanoTime();
            long settleDeadline = s0 + TimeUnit.MILLISECONDS.toNanos(agent ? settleMillis : 0);
            do {
                tcpEnd = GateProbe.socketFds();
                if (!agent || (GateProbe.open() == openBefore && tcpEnd == tcpBefore)) {
                    break;
                }
                Thread.sleep(50);
            } while (System.nanoTime() - settleDeadline < 0);
            settleMs = (System.nanoTime() - s0) / 1_000_000;
            if (agent) {
                gateEnd = gate();
                drift = GateProbe.open() - openBefore;
            }
        }
        if (fds != null) {
            fds.stop();
        }

        Map<String, Object> r = new LinkedHashMap<>();
        r.put("kind", kind);
        r.put("mode", mode);
        r.put("count", count);
        r.put("cap", cap);
        r.put("agent", agent);
        r.put("java", Runtime.version().feature());
        r.put("finished", finished);
        r.put("ok", o.ok.get());
        r.put("failed", o.failed.get());
        r.put("unfinished", count - o.ok.get() - o.failed.get());
        Map<String, Object> causes = new LinkedHashMap<>();
        causes.put("emfile", o.emfile.get());
        causes.put("timeout", o.timeout.get());
        causes.put("cancelled", o.cancelled.get());
        causes.put("other", o.other.get());
        r.put("failures", causes);
        Map<String, Object> groups = new LinkedHashMap<>();
        groups.put("timeout", timeoutGroup.summary());
        groups.put("cancel", cancelGroup.summary());
        r.put("groups", groups);
        r.put("failure_kinds", o.topKinds(5));
        r.put("issuing_ms", (t1 - t0) / 1_000_000);
        r.put("batch_ms", (t2 - t0) / 1_000_000);
        r.put("timeouts_requested", timeouts);
        r.put("cancel", cancelSeen);
        r.put("sampler", sampler.summary());
        r.put("gate_before", gateBefore);
        r.put("gate_after", gateAfter);
        r.put("gate_end", gateEnd);
        r.put("open_before", agent ? openBefore : null);
        r.put("drift", drift);
        r.put("kernel_tcp_before", tcpBefore);
        r.put("kernel_tcp_after_batch", tcpAfterBatch);
        r.put("kernel_tcp_end", tcpEnd);
        r.put("settle_ms", settleMs);
        r.put("fd_peak", fds == null ? null : fds.peakDescriptors());
        r.put("socket_fd_peak", fds == null ? null : fds.peakSockets());
        System.out.println("RESULT " + json(r));
        System.out.flush();
        if (!finished) {
            Runtime.getRuntime().halt(0); // calls still pending: closing the client could hang
        }
        System.exit(0);
    }

    static int intOpt(Map<String, String> opt, String key, int def) {
        String v = opt.get(key);
        return v == null ? def : Integer.parseInt(v);
    }

    /** {@code GET /latch?inFlight=N&maxMillis=M} on a socket of its own, closed before the batch. */
    static void armLatch(String endpoint, int inFlight, long maxMillis) throws Exception {
        try (Socket s = connectedTo(endpoint)) {
            armLatch(s, endpoint, inFlight, maxMillis);
        }
    }

    static Socket connectedTo(String endpoint) throws IOException {
        URI u = URI.create(endpoint);
        Socket s = new Socket();
        s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 10_000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Over a socket connected beforehand: at the cap a new one would wait at the gate for the held replies. */
    static void armLatch(Socket s, String endpoint, int inFlight, long maxMillis) throws Exception {
        URI u = URI.create(endpoint);
        {
            OutputStream out = s.getOutputStream();
            out.write(("GET /latch?inFlight=" + inFlight + "&maxMillis=" + maxMillis + " HTTP/1.1\r\nHost: "
                    + u.getHost() + ":" + u.getPort() + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            if (!reply.contains("\"armed\":true")) {
                throw new IllegalStateException("the stub did not arm its latch: " + reply);
            }
        }
    }

    // ---- the clients ----

    /** One issued call: {@code raw} is what cancel goes to, {@code done} completes when it ended. */
    static final class Call {
        final Future<?> raw;
        final CompletableFuture<?> done;

        Call(Future<?> raw, CompletableFuture<?> done) {
            this.raw = raw;
            this.done = done;
        }
    }

    interface FanOutClient {
        /** @param timeoutMs the client's own request timeout, 0 for none */
        Call call(int id, long timeoutMs);

        void close() throws Exception;
    }

    static FanOutClient create(String kind, int pool, String endpoint) {
        switch (kind) {
            case "jdk-sendasync":
                return new JdkSendAsync(endpoint, pool == RAISED ? 0 : pool);
            case "sdk-netty":
                return new SdkNetty(endpoint, pool);
            case "apache5-async":
                return new Apache5(endpoint, pool);
            default:
                throw new IllegalArgumentException("unknown kind " + kind);
        }
    }

    static String path(int id) {
        return "/services/service-" + (Math.abs(id) % 11 + 1) + "?record=r" + id;
    }

    static void expectRecord(int id, int status, String body) {
        Clients.expectRecord(id, status, body);
    }

    /**
     * Apache HttpAsyncClient 5's callback for call {@code id}: {@code done} completes when the reply
     * is the record's, fails otherwise (a cancel as a {@link CancellationException}).
     */
    static FutureCallback<SimpleHttpResponse> completing(int id, CompletableFuture<Void> done) {
        return new FutureCallback<SimpleHttpResponse>() {
            @Override
            public void completed(SimpleHttpResponse r) {
                try {
                    expectRecord(id, r.getCode(), r.getBodyText());
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            }

            @Override
            public void failed(Exception e) {
                done.completeExceptionally(e);
            }

            @Override
            public void cancelled() {
                done.completeExceptionally(new CancellationException("cancelled"));
            }
        };
    }

    /** The JDK {@code HttpClient}, HTTP/1.1: its connection pool has no limit. */
    static final class JdkSendAsync implements FanOutClient {
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final String endpoint;
        final Permits permits;

        /** @param limit 0: none (raised); else hand-tuned: at most {@code limit} calls started at once */
        JdkSendAsync(String endpoint, int limit) {
            this.endpoint = endpoint;
            this.permits = limit > 0 ? new Permits(limit) : null;
        }

        @Override
        public Call call(int id, long timeoutMs) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path(id)));
            if (timeoutMs > 0) {
                b.timeout(Duration.ofMillis(timeoutMs));
            }
            HttpRequest request = b.build();
            Supplier<CompletableFuture<HttpResponse<String>>> send =
                    () -> client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> raw = permits == null ? send.get() : permits.submit(send);
            return new Call(raw, raw.thenAccept(r -> expectRecord(id, r.statusCode(), r.body())));
        }

        @Override
        public void close() throws Exception {
            // JDK 21+ has HttpClient.close(); on 17 its idle connections go after
            // -Djdk.httpclient.keepalive.timeout (the test sets it).
            if (client instanceof AutoCloseable) {
                ((AutoCloseable) client).close();
            }
        }
    }

    /**
     * What an application hand-tunes the JDK client with, which has no pool limit: at most
     * {@code limit} calls started at once, the rest queued in arrival order and started (on the
     * thread that completed a running one) when one ends; the issuing thread never waits. A queued
     * call cancelled before its turn is skipped; one cancelled while running is cancelled in the client.
     */
    static final class Permits {
        private int free;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();

        Permits(int limit) {
            this.free = limit;
        }

        <T> CompletableFuture<T> submit(Supplier<CompletableFuture<T>> start) {
            CompletableFuture<T> outer = new CompletableFuture<>();
            Runnable run = () -> {
                CompletableFuture<T> inner;
                try {
                    inner = start.get();
                } catch (Throwable t) {
                    outer.completeExceptionally(t);
                    release();
                    return;
                }
                inner.whenComplete((v, t) -> {
                    release();
                    if (t == null) {
                        outer.complete(v);
                    } else {
                        outer.completeExceptionally(t);
                    }
                });
                outer.whenComplete((v, t) -> {
                    if (outer.isCancelled()) {
                        inner.cancel(true);
                    }
                });
            };
            boolean now;
            synchronized (this) {
                now = free > 0;
                if (now) {
                    free--;
                } else {
                    queue.addLast(() -> {
                        if (outer.isDone()) {
                            release(); // cancelled while queued: its permit goes on
                        } else {
                            run.run();
                        }
                    });
                }
            }
            if (now) {
                run.run();
            }
            return outer;
        }

        private void release() {
            Runnable next;
            synchronized (this) {
                next = queue.pollFirst();
                if (next == null) {
                    free++;
                }
            }
            if (next != null) {
                next.run();
            }
        }
    }

    /** AWS SDK v2 DynamoDB {@code GetItem} over {@code NettyNioAsyncHttpClient}. */
    static final class SdkNetty implements FanOutClient {
        final DynamoDbAsyncClient ddb;

        SdkNetty(String endpoint, int maxConcurrency) {
            this.ddb = DynamoDbAsyncClient.builder()
                    .endpointOverride(URI.create(endpoint))
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "test")))
                    .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                            .maxConcurrency(maxConcurrency)
                            // every call of the batch may queue for a connection, for as long as the batch takes
                            .maxPendingConnectionAcquires(2 * RAISED)
                            .connectionAcquisitionTimeout(Duration.ofSeconds(120))
                            .readTimeout(Duration.ofSeconds(60)))
                    .build();
        }

        @Override
        public Call call(int id, long timeoutMs) {
            AttributeValue key = AttributeValue.fromS("r" + id);
            GetItemRequest.Builder b = GetItemRequest.builder().tableName("service-" + (Math.abs(id) % 11 + 1))
                    .key(Map.of("pk", key));
            if (timeoutMs > 0) {
                b.overrideConfiguration(o -> o.apiCallTimeout(Duration.ofMillis(timeoutMs)));
            }
            CompletableFuture<software.amazon.awssdk.services.dynamodb.model.GetItemResponse> raw = ddb.getItem(b.build());
            return new Call(raw, raw.thenAccept(r -> {
                if (!r.hasItem() || !key.equals(r.item().get("pk"))) {
                    throw new IllegalStateException("GetItem answered without the item r" + id);
                }
            }));
        }

        @Override
        public void close() {
            ddb.close();
        }
    }

    /** Apache HttpAsyncClient 5: a pooling async connection manager of {@code pool} (total and per route). */
    static final class Apache5 implements FanOutClient {
        final CloseableHttpAsyncClient client;
        final String endpoint;

        Apache5(String endpoint, int pool) {
            this.endpoint = endpoint;
            this.client = HttpAsyncClients.custom()
                    .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                            .setMaxConnTotal(pool).setMaxConnPerRoute(pool).build())
                    .setDefaultRequestConfig(RequestConfig.custom()
                            // every call of the batch may wait for a pooled connection, as long as the batch takes
                            .setConnectionRequestTimeout(Timeout.ofSeconds(120))
                            .setResponseTimeout(Timeout.ofSeconds(60)).build())
                    .build();
            this.client.start();
        }

        @Override
        public Call call(int id, long timeoutMs) {
            SimpleRequestBuilder b = SimpleRequestBuilder.get(endpoint + path(id));
            if (timeoutMs > 0) {
                b.setRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.ofMilliseconds(timeoutMs))
                        .setResponseTimeout(Timeout.ofMilliseconds(timeoutMs)).build());
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            Future<SimpleHttpResponse> raw = client.execute(b.build(), completing(id, done));
            return new Call(raw, done);
        }

        @Override
        public void close() {
            client.close(CloseMode.GRACEFUL);
        }
    }

    // ---- what the batch did ----

    static final class Outcome {
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger emfile = new AtomicInteger();
        final AtomicInteger timeout = new AtomicInteger();
        final AtomicInteger cancelled = new AtomicInteger();
        final AtomicInteger other = new AtomicInteger();
        final Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
        final boolean printFirstOfEachKind;

        Outcome(boolean printFirstOfEachKind) {
            this.printFirstOfEachKind = printFirstOfEachKind;
        }

        void ended(Throwable t) {
            if (t == null) {
                ok.incrementAndGet();
                return;
            }
            failed.incrementAndGet();
            try {
                classify(t);
            } catch (Throwable e) { // never a failure left uncounted
                other.incrementAndGet();
            }
        }

        private void classify(Throwable t) {
            String chain = chain(t);
            boolean isCancel = false;
            boolean isTimeout = false;
            for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
                isCancel |= c instanceof CancellationException;
                isTimeout |= c.getClass().getSimpleName().contains("Timeout");
            }
            if (chain.contains("Too_many_open_files")) {
                emfile.incrementAndGet();
            } else if (isCancel) {
                cancelled.incrementAndGet();
            } else if (isTimeout) {
                timeout.incrementAndGet();
            } else {
                other.incrementAndGet();
            }
            if (kinds.computeIfAbsent(chain, k -> new AtomicInteger()).incrementAndGet() == 1 && kinds.size() <= 4
                    && printFirstOfEachKind) {
                synchronized (Outcome.class) { // the first of each kind in full, for diagnosis
                    System.err.println("first failure of kind " + chain + ":");
                    t.printStackTrace();
                }
            }
        }

        /**
         * Each exception of the cause chain as {@code Class:message}, joined by {@code <-}, spaces as
         * {@code _}. Here, not in another class: a class first loaded at EMFILE cannot be read from
         * the test-classes folder, and the failure would go uncounted.
         */
        static String chain(Throwable t) {
            StringBuilder sb = new StringBuilder();
            for (Throwable c = t; c != null && sb.length() < 600; c = c.getCause() == c ? null : c.getCause()) {
                if (c instanceof java.util.concurrent.ExecutionException
                        || c instanceof java.util.concurrent.CompletionException) {
                    continue;
                }
                sb.append(sb.length() == 0 ? "" : "<-").append(c.getClass().getName()).append(':').append(c.getMessage());
            }
            return sb.toString().replace(' ', '_');
        }

        Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ok", ok.get());
            m.put("failed", failed.get());
            m.put("emfile", emfile.get());
            m.put("timeout", timeout.get());
            m.put("cancelled", cancelled.get());
            m.put("other", other.get());
            return m;
        }

        Map<String, Object> topKinds(int n) {
            Map<String, Object> top = new LinkedHashMap<>();
            kinds.entrySet().stream().sorted((a, b) -> b.getValue().get() - a.getValue().get()).limit(n)
                    .forEach(e -> top.put(e.getKey().length() > 300 ? e.getKey().substring(0, 300) : e.getKey(),
                            e.getValue().get()));
            return top;
        }
    }

    /** Every numeric attribute of the agent's MBean (whatever the agent version has), or null. */
    static Map<String, Object> gate() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (!server.isRegistered(GATE)) {
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        try {
            for (MBeanAttributeInfo a : server.getMBeanInfo(GATE).getAttributes()) {
                try {
                    Object v = server.getAttribute(GATE, a.getName());
                    if (v instanceof Number || v instanceof Boolean) {
                        values.put(a.getName(), v);
                    }
                } catch (Exception e) {
                    // an attribute that cannot be read now: left out
                }
            }
        } catch (Exception e) {
            return null;
        }
        return values;
    }

    static ObjectName objectName(String name) {
        try {
            return new ObjectName(name);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Every ~1 ms, every thread: parked by the socket gate? Event-loop threads are those seen blocked
     * in a select (a stack scan every 250 ms) or running a known loop (Netty's
     * {@code NioEventLoop}, the JDK {@code HttpClient}'s SelectorManager, HttpCore 5's reactor); a
     * thread first seen parked by the gate is classified by its stack then.
     */
    static final class Sampler implements Runnable {
        final Thread issuing;
        final Set<Thread> eventLoops = ConcurrentHashMap.newKeySet();
        final Set<Thread> others = ConcurrentHashMap.newKeySet();
        final AtomicLong samples = new AtomicLong();
        final AtomicLong eventLoopParked = new AtomicLong();
        final AtomicLong issuingParked = new AtomicLong();
        final AtomicLong otherParked = new AtomicLong();
        final Set<String> eventLoopParkedNames = ConcurrentHashMap.newKeySet();
        final Thread thread = new Thread(this, "park-sampler");
        volatile boolean running = true;
        long startNanos;
        long stopNanos;

        Sampler(Thread issuing) {
            this.issuing = issuing;
        }

        void start() {
            startNanos = System.nanoTime();
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(5000);
            stopNanos = System.nanoTime();
        }

        static boolean loopFrame(StackTraceElement f) {
            String c = f.getClassName();
            return (c.equals("sun.nio.ch.SelectorImpl") && f.getMethodName().equals("lockAndDoSelect"))
                    || c.equals("io.netty.channel.nio.NioEventLoop")
                    || c.startsWith("jdk.internal.net.http.HttpClientImpl$SelectorManager")
                    || c.startsWith("org.apache.hc.core5.reactor.");
        }

        static boolean isLoop(StackTraceElement[] stack) {
            for (StackTraceElement f : stack) {
                if (loopFrame(f)) {
                    return true;
                }
            }
            return false;
        }

        void discover() {
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                // The agent's own delivery thread runs deferred work (an Apache connect: reactor frames)
                // and parks on the gate between its slices, by design: it is no event loop held at the cap.
                if (e.getKey() != issuing && !e.getKey().getName().startsWith("emfile-guard-")
                        && isLoop(e.getValue())) {
                    eventLoops.add(e.getKey());
                }
            }
        }

        static boolean parkedByGate(Thread t) {
            Object blocker = LockSupport.getBlocker(t);
            if (blocker == null) {
                return false;
            }
            String name = blocker.getClass().getName();
            return name.endsWith("SocketGate") || name.startsWith("io.emfileguard.");
        }

        @Override
        public void run() {
            ThreadGroup root = Thread.currentThread().getThreadGroup();
            while (root.getParent() != null) {
                root = root.getParent();
            }
            long lastScan = System.nanoTime();
            Thread[] threads = new Thread[512];
            while (running) {
                if (System.nanoTime() - lastScan > 250_000_000L) {
                    discover();
                    lastScan = System.nanoTime();
                }
                int n;
                while ((n = root.enumerate(threads, true)) == threads.length) {
                    threads = new Thread[threads.length * 2];
                }
                for (int i = 0; i < n; i++) {
                    Thread t = threads[i];
                    if (t == thread || !parkedByGate(t)) {
                        continue;
                    }
                    if (t == issuing) {
                        issuingParked.incrementAndGet();
                        continue;
                    }
                    if (!eventLoops.contains(t) && !others.contains(t)) {
                        StackTraceElement[] stack = t.getStackTrace();
                        if (isLoop(stack)) {
                            eventLoops.add(t);
                        } else {
                            others.add(t);
                        }
                        if (eventLoops.contains(t) || others.size() == 1) {
                            StringBuilder sb = new StringBuilder("parked-by-gate eventLoop=" + eventLoops.contains(t)
                                    + " thread=" + t.getName() + ":");
                            for (StackTraceElement f : stack) {
                                sb.append("\n\tat ").append(f);
                            }
                            System.err.println(sb);
                        }
                    }
                    if (eventLoops.contains(t)) {
                        eventLoopParked.incrementAndGet();
                        eventLoopParkedNames.add(t.getName());
                    } else {
                        otherParked.incrementAndGet();
                    }
                }
                samples.incrementAndGet();
                LockSupport.parkNanos(1_000_000);
            }
        }

        Map<String, Object> summary() {
            Map<String, Object> m = new LinkedHashMap<>();
            long ms = Math.max(1, (stopNanos - startNanos) / 1_000_000);
            m.put("samples", samples.get());
            m.put("sampled_ms", ms);
            m.put("eventloop_threads", eventLoops.size());
            m.put("eventloop_parked_samples", eventLoopParked.get());
            // the issuing thread held by the gate: samples, and about how long (samples x the mean period)
            m.put("issuing_parked_samples", issuingParked.get());
            m.put("issuing_parked_ms_approx", samples.get() == 0 ? 0 : issuingParked.get() * ms / samples.get());
            m.put("other_parked_samples", otherParked.get());
            m.put("other_parked_threads", others.size());
            Set<String> loopNames = new TreeSet<>();
            for (Thread t : eventLoops) {
                loopNames.add(t.getName());
            }
            m.put("eventloop_thread_names", String.join(",", loopNames));
            m.put("eventloop_parked_thread_names", String.join(",", new TreeSet<>(eventLoopParkedNames)));
            return m;
        }
    }

    // ---- a small JSON writer: maps, strings, numbers, booleans, null ----

    static String json(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                sb.append(first ? "" : ",");
                first = false;
                write(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else {
            String s = v.toString();
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append('"');
        }
    }

    private AsyncFanOutApp() {
    }
}
