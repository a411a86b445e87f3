package io.emfileguard.bench;

import io.emfileguard.testsupport.SocketTables;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * The soak: mixed clients at and around the agent's cap for a long time, to show that nothing
 * leaks. Run with {@code -javaagent} and {@code -Demfileguard.max.sockets=C} under
 * {@code prlimit --nofile=1024:1024}, against the {@link LoopbackServer}. Knows the agent only by its
 * MBean's name. Workers, all created before the baseline and kept to the end:
 * <ul>
 *   <li>blocking: {@value #BLOCKING} threads: {@code java.net.Socket} connect, one request on the storm
 *       port (1-40 ms), close;</li>
 *   <li>pooled: {@value #POOLED} threads: {@code HttpURLConnection} with keep-alive
 *       ({@code -Dhttp.maxConnections} raised), 1-40 ms;</li>
 *   <li>burst: {@value #BURST} more pooled callers, active the last third of every cycle (100-300 ms
 *       replies): demand far above the cap; the keep-alive cache then holds idle connections the
 *       agent must reclaim for the others;</li>
 *   <li>httpclient: two JDK {@code HttpClient}s, {@code sendAsync} with {@value #IN_FLIGHT} in flight:
 *       70% answered (1-40 ms), 15% request timeouts (100 ms against a 400 ms reply), 15% futures
 *       cancelled 0-100 ms after they were issued (200 ms replies);</li>
 *   <li>dropped: a {@code Socket} connected and dropped without {@code close()}, twice a second: only
 *       the garbage collector (the JDK's Cleaner) gives its descriptor back.</li>
 * </ul>
 * With a cap of 100 the steady part alone keeps the count at or near the cap; the bursts go far above.
 * Every {@code sample} seconds it forces a GC and prints {@code SAMPLE t=.. cycle=.. open=.. tracked=..
 * kernel=.. ...}: the MBean's OpenSockets and TrackedSockets (-1 where the agent has none), the TCP
 * socket descriptors in {@code /proc/self/fd}, heap after that GC, live threads, process CPU over the
 * interval, operations. After {@code seconds} it stops the workers, lets the pools idle out (keep-alive
 * 5 s for HttpURLConnection, {@code -Djdk.httpclient.keepalive.timeout} for the HttpClients), collects
 * the dropped sockets and waits (at most 60 s) for the count, the registry and the kernel to be back
 * at the baseline: {@code END settledMs=.. open=.. tracked=.. kernel=.. threads=.. heapKiB=..}, after
 * {@code BASE ...} at the start. Outcomes: {@code OPS kind=.. ok=.. expected=.. unexpected=.. emfile=..},
 * and up to 8 {@code UNEXPECTED count=.. what=..} lines.
 *
 * <p>Arguments: httpPort stormPort acceptPort seconds sampleSeconds cycleSeconds.
 */
public final class Soak {
    private static final String MBEAN = "io.emfileguard:type=SocketGate";
    static final String[] KINDS = {"blocking", "pooled", "burst", "httpclient", "dropped"};
    static final int BLOCKING = 30;
    static final int POOLED = 30;
    static final int BURST = 150;
    static final int IN_FLIGHT = 30;

    private final InetSocketAddress storm;
    private final InetSocketAddress accept;
    private final String http;
    private volatile boolean running = true;
    private volatile boolean burstPhase;
    private final Map<String, LongAdder[]> outcomes = new ConcurrentHashMap<>(); // ok, expected, unexpected, emfile
    private final Map<String, AtomicLong> surprises = new ConcurrentHashMap<>();

    private Soak(int httpPort, int stormPort, int acceptPort) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        this.storm = new InetSocketAddress(lo, stormPort);
        this.accept = new InetSocketAddress(lo, acceptPort);
        this.http = "http://127.0.0.1:" + httpPort;
        for (String k : KINDS) {
            outcomes.put(k, new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()});
        }
    }

    public static void main(String[] args) throws Exception {
        int httpPort = Integer.parseInt(args[0]);
        int stormPort = Integer.parseInt(args[1]);
        int acceptPort = Integer.parseInt(args[2]);
        long seconds = Long.parseLong(args[3]);
        long sampleSeconds = Long.parseLong(args[4]);
        long cycleSeconds = Long.parseLong(args[5]);
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        ObjectName gate = new ObjectName(MBEAN);
        for (int i = 0; i < 500 && !mbeans.isRegistered(gate); i++) {
            Thread.sleep(20);
        }
        boolean agent = mbeans.isRegistered(gate);
        if (!agent) {
            System.out.println("NOTE no MBean " + MBEAN + ": running without the agent");
        }
        new Soak(httpPort, stormPort, acceptPort).run(seconds, sampleSeconds, cycleSeconds, agent);
    }

    private void run(long seconds, long sampleSeconds, long cycleSeconds, boolean agent) throws Exception {
        List<HttpClient> clients = List.of(newClient(), newClient());
        ScheduledExecutorService canceller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "soak-canceller");
            t.setDaemon(true);
            return t;
        });
        // Warm-up: each path once (class loading, the clients' own threads), then the baseline.
        blocking(5);
        pooled(5);
        clients.get(0).send(HttpRequest.newBuilder(URI.create(http + "/warm?delay=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        clients.get(1).send(HttpRequest.newBuilder(URI.create(http + "/warm?delay=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        // The keep-alive pools close their warm-up connections: the baseline is no socket at all.
        long none = agent ? 0 : -1;
        Sample base = settle(none, attribute("TrackedSockets") < 0 ? -1 : 0, 0, 60_000);
        System.out.println("BASE " + base);

        long end = System.nanoTime() + seconds * 1_000_000_000L;
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < BLOCKING; i++) {
            workers.add(worker("blocking-" + i, () -> op("blocking", () -> blocking(1 + rnd(40)))));
        }
        for (int i = 0; i < POOLED; i++) {
            workers.add(worker("pooled-" + i, () -> op("pooled", () -> pooled(1 + rnd(40)))));
        }
        for (int i = 0; i < BURST; i++) {
            workers.add(worker("burst-" + i, () -> {
                if (!burstPhase) {
                    Thread.sleep(50);
                    return;
                }
                op("burst", () -> pooled(100 + rnd(200)));
            }));
        }
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        for (int c = 0; c < clients.size(); c++) {
            HttpClient client = clients.get(c);
            workers.add(worker("httpclient-driver-" + c, () -> {
                inFlight.acquire();
                sendAsync(client, canceller).whenComplete((v, t) -> inFlight.release());
            }));
        }
        workers.add(worker("dropper", () -> {
            op("dropped", () -> {
                Socket s = new Socket();
                s.connect(accept, 10_000); // dropped: no close()
            });
            Thread.sleep(500);
        }));
        long t0 = System.nanoTime();
        long cpu0 = cpuNanos();
        long next = t0;
        while (System.nanoTime() - end < 0) {
            next += sampleSeconds * 1_000_000_000L;
            long now;
            while ((now = System.nanoTime()) - next < 0) {
                long elapsed = (now - t0) / 1_000_000_000L;
                burstPhase = elapsed % cycleSeconds >= cycleSeconds * 2 / 3; // the last third of every cycle
                Thread.sleep(Math.min(200, Math.max(1, (next - now) / 1_000_000)));
            }
            long cpu1 = cpuNanos();
            Sample s = sample();
            long t = Math.round((now - t0) / 1e9);
            System.out.println("SAMPLE t=" + t + " cycle=" + (t - 1) / cycleSeconds + " " + s + " cpuPct="
                    + fmt(100.0 * (cpu1 - cpu0) / (sampleSeconds * 1e9), 0) + " ops=" + total(0) + " expected="
                    + total(1) + " unexpected=" + total(2) + " emfile=" + total(3) + " burst=" + burstPhase);
            cpu0 = cpu1;
        }
        running = false;
        burstPhase = false;
        for (Thread w : workers) {
            w.join(120_000);
            if (w.isAlive()) {
                System.out.println("NOTE worker " + w.getName() + " still running");
            }
        }
        if (!inFlight.tryAcquire(IN_FLIGHT, 120, TimeUnit.SECONDS)) { // every sendAsync ended
            System.out.println("NOTE " + (IN_FLIGHT - inFlight.availablePermits()) + " HttpClient exchanges never ended");
        }
        for (String k : KINDS) {
            LongAdder[] o = outcomes.get(k);
            System.out.println("OPS kind=" + k + " ok=" + o[0] + " expected=" + o[1] + " unexpected=" + o[2]
                    + " emfile=" + o[3]);
        }
        surprises.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get())).limit(8)
                .forEach(e -> System.out.println("UNEXPECTED count=" + e.getValue() + " what=" + e.getKey()));
        long s0 = System.nanoTime();
        Sample last = settle(base.open, base.tracked, base.kernel, 60_000);
        System.out.println("END settledMs=" + (System.nanoTime() - s0) / 1_000_000 + " " + last);
        System.out.flush();
        System.exit(0);
    }

    // ------------------------------------------------------------------ the clients

    private static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    private interface Step {
        void run() throws Exception;
    }

    private Thread worker(String name, Step step) {
        Thread t = new Thread(() -> {
            while (running) {
                try {
                    step.run();
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    unexpected("worker", e);
                }
            }
        }, "soak-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void op(String kind, Step step) {
        try {
            step.run();
            outcomes.get(kind)[0].increment();
        } catch (Exception e) {
            unexpected(kind, e);
        }
    }

    private void unexpected(String kind, Throwable e) {
        LongAdder[] o = outcomes.get(kind);
        if (o != null) {
            o[2].increment();
            if (chain(e).contains("Too_many_open_files")) {
                o[3].increment();
            }
        }
        surprises.computeIfAbsent(kind + ":" + chain(e), k -> new AtomicLong()).incrementAndGet();
    }

    private void blocking(int delayMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(storm, 30_000);
            s.setSoTimeout(30_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            out.write(new byte[] {(byte) (delayMillis >>> 24), (byte) (delayMillis >>> 16), (byte) (delayMillis >>> 8),
                    (byte) delayMillis});
            if (s.getInputStream().read() != 1) {
                throw new IOException("bad answer");
            }
        }
    }

    private void pooled(int delayMillis) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(http + "/pooled?delay=" + delayMillis).openConnection();
        c.setConnectTimeout(30_000);
        c.setReadTimeout(30_000);
        int status = c.getResponseCode();
        try (InputStream in = c.getInputStream()) {
            String body = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            if (status != 200 || !body.startsWith("ok /pooled")) {
                throw new IOException("HTTP " + status + " " + body);
            }
        }
    }

    /** One exchange of a random kind; completes (never exceptionally) when it has ended. */
    private CompletableFuture<Void> sendAsync(HttpClient client, ScheduledExecutorService canceller) {
        int roll = rnd(100);
        String kind = roll < 70 ? "response" : roll < 85 ? "timeout" : "cancel";
        int delay = kind.equals("response") ? 1 + rnd(40) : kind.equals("timeout") ? 400 : 200;
        HttpRequest request = HttpRequest.newBuilder(URI.create(http + "/" + kind + "?delay=" + delay))
                .timeout(kind.equals("timeout") ? Duration.ofMillis(100) : Duration.ofSeconds(30)).build();
        CompletableFuture<HttpResponse<String>> f;
        try {
            f = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        if (kind.equals("cancel")) {
            CompletableFuture<HttpResponse<String>> toCancel = f;
            canceller.schedule(() -> toCancel.cancel(true), rnd(101), TimeUnit.MILLISECONDS);
        }
        LongAdder[] o = outcomes.get("httpclient");
        return f.handle((r, error) -> {
            Throwable e = error;
            while (e instanceof CompletionException && e.getCause() != null) {
                e = e.getCause();
            }
            if (e == null && r.statusCode() == 200 && r.body().startsWith("ok /" + kind)) {
                o[0].increment(); // answered (a cancel that came after the reply changes nothing)
            } else if ((kind.equals("timeout") && e instanceof HttpTimeoutException)
                    || (kind.equals("cancel") && e instanceof CancellationException)) {
                o[1].increment();
            } else {
                unexpected("httpclient", e != null ? e : new IOException("HTTP " + r.statusCode()));
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ what is measured

    /** One look at the agent, the kernel, the heap and the threads. */
    static final class Sample {
        long open = -1;
        long tracked = -1;
        long kernel;
        long waiting = -1;
        long peak = -1;
        long waits = -1;
        long timeouts = -1;
        long overCap = -1;
        long reclaimed = -1;
        long collected = -1;
        long heapKiB;
        int threads;

        @Override
        public String toString() {
            return "open=" + open + " tracked=" + tracked + " kernel=" + kernel + " waiting=" + waiting + " peak=" + peak
                    + " waits=" + waits + " timeouts=" + timeouts + " overCap=" + overCap + " reclaimed=" + reclaimed
                    + " collected=" + collected + " heapKiB=" + heapKiB + " threads=" + threads;
        }
    }

    /** Forces a GC (heap after it; dropped sockets collected), then reads the MBean and /proc/self/fd. */
    static Sample sample() {
        System.gc();
        Sample s = new Sample();
        s.heapKiB = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
        s.threads = ManagementFactory.getThreadMXBean().getThreadCount();
        s.open = attribute("OpenSockets"); // first: it polls the registry's queue of collected sockets
        s.tracked = attribute("TrackedSockets");
        s.kernel = SocketTables.tcpSocketDescriptors(ProcessHandle.current().pid());
        s.waiting = attribute("WaitingThreads");
        s.peak = attribute("PeakOpenSockets");
        s.waits = attribute("WaitsTotal");
        s.timeouts = attribute("TimeoutsTotal");
        s.overCap = attribute("OverCapTotal");
        s.reclaimed = attribute("ReclaimedSocketsTotal");
        s.collected = attribute("CollectedSocketsTotal");
        return s;
    }

    /**
     * Samples every 500 ms (at most {@code maxMillis}) until OpenSockets, TrackedSockets and the
     * kernel's TCP descriptors are all at the given values and nobody waits; returns the last sample.
     */
    private static Sample settle(long open, long tracked, long kernel, long maxMillis) throws InterruptedException {
        long stop = System.nanoTime() + maxMillis * 1_000_000L;
        for (;;) {
            Sample s = sample();
            if ((s.open == open && s.tracked == tracked && s.kernel == kernel && s.waiting <= 0)
                    || System.nanoTime() - stop > 0) {
                return s;
            }
            Thread.sleep(500);
        }
    }

    private static long attribute(String name) {
        try {
            Object v = ManagementFactory.getPlatformMBeanServer().getAttribute(new ObjectName(MBEAN), name);
            return v == null ? -1 : ((Number) v).longValue();
        } catch (Exception e) {
            return -1;
        }
    }

    private long total(int column) {
        long sum = 0;
        for (LongAdder[] o : outcomes.values()) {
            sum += o[column].sum();
        }
        return sum;
    }

    private static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0;
    }

    private static int rnd(int bound) {
        return ThreadLocalRandom.current().nextInt(bound);
    }

    /** Each exception of the cause chain as {@code Class:message}, joined by {@code <-}, spaces as {@code _}. */
    static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null && sb.length() < 300; c = c.getCause() == c ? null : c.getCause()) {
            sb.append(sb.length() == 0 ? "" : "<-").append(c.getClass().getName()).append(':').append(c.getMessage());
        }
        return sb.toString().replace(' ', '_');
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
