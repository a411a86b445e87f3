package example.apps.clients;

import example.apps.GateProbe;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.compat.ClassicToAsyncAdaptor;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Selector-based clients whose threads no list of event-loop types names (issue 19): they are
 * recognised only because they block in {@code Selector.select}. Knows nothing of the agent but its
 * MBean's name and the class name of the park blocker ({@code ...SocketGate}).
 *
 * <p>Kinds ({@code args: kind endpoint count [blocking selectNow]}):
 * <ul>
 *   <li>{@code apache5-async}: Apache HttpAsyncClient 5 ({@code CloseableHttpAsyncClient}, pool raised
 *       to 5,000), {@code count} requests issued from the main thread; HttpCore 5's I/O reactor
 *       threads open every connection (with the agent, connects beyond the cap wait in its queue
 *       first, without a thread);</li>
 *   <li>{@code apache5-classic-over-async}: Apache's classic API over that async client
 *       ({@code ClassicToAsyncAdaptor}), one blocking caller thread per request;</li>
 *   <li>{@code apache4-async}: Apache HttpAsyncClient 4.1 (HttpCore NIO 4's reactor), pool raised;</li>
 *   <li>{@code selector-loop}: a plain {@code java.nio} selector loop written here, on an ordinary
 *       {@code java.lang.Thread}, that opens a non-blocking {@code SocketChannel} per request after
 *       its {@code select} (as the reactors do), while {@code blocking} plain {@code java.net.Socket}
 *       callers on ordinary threads push the count to the cap first, and {@code selectNow} more
 *       ordinary threads that called only {@code Selector.selectNow()} then connect at the cap.</li>
 * </ul>
 * All the while a sampler looks every ~1 ms at every thread of the process: is it parked by the
 * socket gate (its park blocker), and which group is it: {@code selector} (a thread seen blocked in
 * {@code SelectorImpl.lockAndDoSelect}: the reactors, the plain loop), {@code blocking},
 * {@code selectnow}, {@code agent} (the agent's own thread that runs deferred connects: it parks on the
 * gate between deliveries, which holds no application work) or {@code other}.
 *
 * <p>Prints {@code storm kind=.. requests=.. ok=.. failed=.. emfile=.. refused=.. unfinished=..
 * elapsedMs=..} per batch (elapsed from the first request issued to the last answer), {@code gate
 * before|after ...} with the MBean's values, and {@code parked samples=.. selectorThreads=..
 * <group>ParkedSamples=.. <group>ParkedThreads=..}. Exits 0 once it has printed its report, whatever
 * the outcome (the test judges it); the first stack of a thread of each group seen parked goes to
 * stderr.
 */
public final class AsyncReactorApp {

    /** How long a batch may take before the app reports it unfinished (the test's bound is far lower). */
    static final long BATCH_DEADLINE_SECONDS = Long.getLong("it.batch.deadline.seconds", 40);
    static final int POOL = 5000;

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        String endpoint = args[1];
        int count = Integer.parseInt(args[2]);
        GateProbe.await(Long.getLong("it.mbean.wait.millis", 10_000));
        ParkSampler sampler = new ParkSampler();
        boolean finished;
        switch (kind) {
            case "apache5-async":
            case "apache5-classic-over-async":
            case "apache4-async":
                finished = clientBatch(kind, endpoint, count, sampler);
                break;
            case "selector-loop":
                finished = selectorLoopAndBlockingCallers(endpoint, count, Integer.parseInt(args[3]),
                        Integer.parseInt(args[4]), sampler);
                break;
            default:
                throw new IllegalArgumentException("unknown kind " + kind);
        }
        System.out.flush();
        if (!finished) {
            Runtime.getRuntime().halt(0); // threads still parked: closing the client could hang
        }
        System.exit(0);
    }

    // ---- the Apache clients ----

    static boolean clientBatch(String kind, String endpoint, int count, ParkSampler sampler) throws Exception {
        Clients.Client client;
        switch (kind) {
            case "apache5-async":
                client = new Apache5Async(endpoint, false);
                break;
            case "apache5-classic-over-async":
                client = new Apache5Async(endpoint, true);
                break;
            default:
                client = new Apache4Async(endpoint);
        }
        client.call(-1); // warm-up: class loading, the reactor threads start and select
        for (int i = 0; i < 10; i++) { // a reactor busy with the warm-up's connection selects a moment later
            sampler.discoverSelectorThreads();
            Thread.sleep(20);
        }
        sampler.start();
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        ClientStormApp.Outcome o = ClientStormApp.burst(client, kind, count, (int) BATCH_DEADLINE_SECONDS);
        sampler.stop();
        o.print();
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        sampler.print();
        if (o.finished) {
            client.close();
        }
        return o.finished;
    }

    /**
     * Apache HttpAsyncClient 5: a pooling async connection manager raised to 5,000 (total and per
     * route); {@code classic}: the classic blocking API over it ({@code ClassicToAsyncAdaptor}).
     */
    static final class Apache5Async implements Clients.Client {
        final CloseableHttpAsyncClient client;
        final ClassicToAsyncAdaptor classic;
        final String endpoint;

        Apache5Async(String endpoint, boolean classic) {
            this.endpoint = endpoint;
            this.client = HttpAsyncClients.custom()
                    .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                            .setMaxConnTotal(POOL).setMaxConnPerRoute(POOL).build())
                    .setDefaultRequestConfig(RequestConfig.custom()
                            .setConnectionRequestTimeout(Timeout.ofSeconds(120))
                            .setResponseTimeout(Timeout.ofSeconds(120)).build())
                    .build();
            this.client.start();
            this.classic = classic ? new ClassicToAsyncAdaptor(client, Timeout.ofSeconds(120)) : null;
        }

        @Override
        public void call(int id) throws Exception {
            if (classic == null) {
                callAsync(id).get();
                return;
            }
            classic.execute(new HttpGet(endpoint + path(id)), response -> {
                expectRecord(id, response.getCode(), EntityUtils.toString(response.getEntity()));
                return null;
            });
        }

        @Override
        public CompletableFuture<Void> callAsync(int id) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            client.execute(SimpleRequestBuilder.get(endpoint + path(id)).build(), AsyncFanOutApp.completing(id, f));
            return f;
        }

        @Override
        public boolean async() {
            return classic == null;
        }

        @Override
        public void close() {
            client.close(CloseMode.GRACEFUL);
        }
    }

    /** Apache HttpAsyncClient 4.1: max connections 5,000 (total and per route). */
    static final class Apache4Async implements Clients.Client {
        final org.apache.http.impl.nio.client.CloseableHttpAsyncClient client;
        final String endpoint;

        Apache4Async(String endpoint) {
            this.endpoint = endpoint;
            this.client = org.apache.http.impl.nio.client.HttpAsyncClients.custom()
                    .setMaxConnTotal(POOL).setMaxConnPerRoute(POOL)
                    .setDefaultRequestConfig(org.apache.http.client.config.RequestConfig.custom()
                            .setConnectTimeout(120_000).setSocketTimeout(120_000)
                            .setConnectionRequestTimeout(120_000).build())
                    .build();
            this.client.start();
        }

        @Override
        public CompletableFuture<Void> callAsync(int id) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            client.execute(new org.apache.http.client.methods.HttpGet(endpoint + path(id)),
                    new org.apache.http.concurrent.FutureCallback<org.apache.http.HttpResponse>() {
                        @Override
                        public void completed(org.apache.http.HttpResponse r) {
                            try {
                                expectRecord(id, r.getStatusLine().getStatusCode(),
                                        org.apache.http.util.EntityUtils.toString(r.getEntity()));
                                f.complete(null);
                            } catch (Throwable t) {
                                f.completeExceptionally(t);
                            }
                        }

                        @Override
                        public void failed(Exception e) {
                            f.completeExceptionally(e);
                        }

                        @Override
                        public void cancelled() {
                            f.completeExceptionally(new IllegalStateException("cancelled"));
                        }
                    });
            return f;
        }

        @Override
        public boolean async() {
            return true;
        }

        @Override
        public void close() {
            try {
                client.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ---- a plain selector loop, and blocking callers at the same time ----

    static boolean selectorLoopAndBlockingCallers(String endpoint, int loopCount, int blockingCount,
                                                  int selectNowCount, ParkSampler sampler) throws Exception {
        URI u = URI.create(endpoint);
        InetSocketAddress server = new InetSocketAddress(u.getHost(), u.getPort());
        PlainSelectorLoop loop = new PlainSelectorLoop(server);
        sampler.selectorThreads.add(loop.thread);
        loop.thread.start();
        loop.submit(-1).get(30, TimeUnit.SECONDS); // warm-up, and the loop has selected
        blockingRequest(server, -2, false);
        sampler.start();
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());

        // 1. Blocking callers beyond the cap: the first ones fill it, the rest wait at the gate.
        ClientStormApp.Outcome blocking = new ClientStormApp.Outcome("blocking-socket", blockingCount);
        CountDownLatch blockingDone = callers("blocking-caller-", server, 0, blockingCount, false, blocking);
        long capDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (GateProbe.get("WaitingThreads") < 1 && System.nanoTime() - capDeadline < 0
                && blockingDone.getCount() > 0) {
            Thread.sleep(5);
        }
        long waitingWhenLoopStarted = GateProbe.get("WaitingThreads");
        // 2. Threads that only ever called selectNow(), then connect at the cap: they must wait too.
        ClientStormApp.Outcome selectNow = new ClientStormApp.Outcome("selectnow-then-socket", selectNowCount);
        CountDownLatch selectNowDone = callers("selectnow-caller-", server, 100_000, selectNowCount, true, selectNow);
        // 3. Meanwhile the plain selector loop opens loopCount more channels: it must never be parked.
        ClientStormApp.Outcome loopOutcome = new ClientStormApp.Outcome("plain-selector-loop", loopCount);
        CountDownLatch loopDone = new CountDownLatch(loopCount);
        long t0 = System.nanoTime();
        for (int i = 0; i < loopCount; i++) {
            loop.submit(200_000 + i).whenComplete((v, t) -> {
                if (t == null) {
                    loopOutcome.ok.incrementAndGet();
                } else {
                    loopOutcome.failed(t);
                }
                loopDone.countDown();
            });
        }
        loopOutcome.finished = loopDone.await(BATCH_DEADLINE_SECONDS, TimeUnit.SECONDS);
        loopOutcome.elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
        loopOutcome.unfinished = loopDone.getCount();
        blocking.finished = blockingDone.await(BATCH_DEADLINE_SECONDS, TimeUnit.SECONDS);
        blocking.elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
        blocking.unfinished = blockingDone.getCount();
        selectNow.finished = selectNowDone.await(BATCH_DEADLINE_SECONDS, TimeUnit.SECONDS);
        selectNow.elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
        selectNow.unfinished = selectNowDone.getCount();
        sampler.stop();
        loopOutcome.print();
        blocking.print();
        selectNow.print();
        System.out.println("loop opened=" + loop.opened.get() + " selects=" + loop.selects.get()
                + " waitingWhenLoopStarted=" + waitingWhenLoopStarted);
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        sampler.print();
        boolean finished = loopOutcome.finished && blocking.finished && selectNow.finished;
        if (finished) {
            loop.stop();
        }
        return finished;
    }

    /** {@code n} ordinary threads, released at once, each one blocking request on a new Socket. */
    static CountDownLatch callers(String prefix, InetSocketAddress server, int firstId, int n, boolean selectNowFirst,
                                  ClientStormApp.Outcome o) {
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int id = firstId + i;
            new Thread(() -> {
                try {
                    start.await();
                    blockingRequest(server, id, selectNowFirst);
                    o.ok.incrementAndGet();
                } catch (Throwable t) {
                    o.failed(t);
                } finally {
                    done.countDown();
                }
            }, prefix + id).start();
        }
        start.countDown();
        return done;
    }

    /** One HTTP/1.1 GET on a new {@code java.net.Socket} ({@code Connection: close}). */
    static void blockingRequest(InetSocketAddress server, int id, boolean selectNowFirst) throws IOException {
        if (selectNowFirst) {
            try (Selector s = Selector.open()) {
                s.selectNow(); // never blocks: no event loop
            }
        }
        try (Socket socket = new Socket()) {
            socket.connect(server, 120_000);
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            out.write(request(server, id));
            out.flush();
            InputStream in = socket.getInputStream();
            expectHttp(id, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    static byte[] request(InetSocketAddress server, int id) {
        return ("GET " + path(id) + " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort()
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** A whole HTTP/1.1 answer read to the connection's end: status 200 and the record in the body. */
    static void expectHttp(int id, String answer) {
        int sp = answer.indexOf(' ');
        int status = sp < 0 || answer.length() < sp + 4 ? -1 : Integer.parseInt(answer.substring(sp + 1, sp + 4));
        int body = answer.indexOf("\r\n\r\n");
        expectRecord(id, status, body < 0 ? answer : answer.substring(body + 4));
    }

    /**
     * A hand-written event loop, as HttpCore's reactors are built: one ordinary
     * {@code java.lang.Thread}, blocking in {@code select(timeout)}; requests queue from other
     * threads, and after each select the loop opens a non-blocking {@code SocketChannel} for each,
     * connects, writes, reads the answer to its end and closes.
     */
    static final class PlainSelectorLoop implements Runnable {
        final InetSocketAddress server;
        final Selector selector;
        final Thread thread;
        final ConcurrentLinkedQueue<Exchange> pending = new ConcurrentLinkedQueue<>();
        final AtomicLong opened = new AtomicLong();
        final AtomicLong selects = new AtomicLong();
        volatile boolean running = true;

        PlainSelectorLoop(InetSocketAddress server) throws IOException {
            this.server = server;
            this.selector = Selector.open();
            this.thread = new Thread(this, "plain-selector-loop");
            this.thread.setDaemon(true);
        }

        static final class Exchange {
            final int id;
            final CompletableFuture<Void> done = new CompletableFuture<>();
            ByteBuffer out;
            final ByteArrayOutputStream in = new ByteArrayOutputStream();

            Exchange(int id) {
                this.id = id;
            }
        }

        CompletableFuture<Void> submit(int id) {
            Exchange e = new Exchange(id);
            e.out = ByteBuffer.wrap(request(server, id));
            pending.add(e);
            selector.wakeup();
            return e.done;
        }

        void stop() {
            running = false;
            selector.wakeup();
        }

        @Override
        public void run() {
            ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
            while (running) {
                try {
                    selector.select(100);
                    selects.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    Exchange e = (Exchange) key.attachment();
                    SocketChannel ch = (SocketChannel) key.channel();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            ch.finishConnect();
                            key.interestOps(SelectionKey.OP_WRITE);
                        } else if (key.isWritable()) {
                            ch.write(e.out);
                            if (!e.out.hasRemaining()) {
                                key.interestOps(SelectionKey.OP_READ);
                            }
                        } else if (key.isReadable()) {
                            buffer.clear();
                            int n = ch.read(buffer);
                            if (n < 0) {
                                ch.close();
                                expectHttp(e.id, e.in.toString(StandardCharsets.UTF_8));
                                e.done.complete(null);
                            } else {
                                e.in.write(buffer.array(), 0, n);
                            }
                        }
                    } catch (Throwable t) {
                        closeQuietly(ch);
                        e.done.completeExceptionally(t);
                    }
                }
                Exchange e;
                while ((e = pending.poll()) != null) {
                    SocketChannel ch = null;
                    try {
                        ch = SocketChannel.open(); // here the agent decides: park, count or refuse
                        opened.incrementAndGet();
                        ch.configureBlocking(false);
                        boolean connected = ch.connect(server);
                        ch.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, e);
                    } catch (Throwable t) {
                        closeQuietly(ch);
                        e.done.completeExceptionally(t);
                    }
                }
            }
        }

        static void closeQuietly(SocketChannel ch) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    // ---- the requests, and what is looked at while they run ----

    static String path(int id) {
        return "/services/service-" + (Math.abs(id) % 11 + 1) + "?record=r" + id;
    }

    static void expectRecord(int id, int status, String body) {
        Clients.expectRecord(id, status, body);
    }

    /**
     * Every ~1 ms, every thread of the process: parked by the socket gate or not (its park blocker
     * is the gate, as the agent passes it to {@code LockSupport.parkNanos}). Threads seen blocked in
     * {@code SelectorImpl.lockAndDoSelect} (a stack scan every 250 ms), or parked inside Apache's
     * reactor code, are the {@code selector} group.
     */
    static final class ParkSampler implements Runnable {
        final Set<Thread> selectorThreads = ConcurrentHashMap.newKeySet();
        final Map<String, AtomicLong> parkedSamples = new ConcurrentHashMap<>();
        final Map<String, Set<String>> parkedThreads = new ConcurrentHashMap<>();
        final AtomicLong samples = new AtomicLong();
        final Thread thread = new Thread(this, "park-sampler");
        volatile boolean running = true;

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(5000);
        }

        /** Threads blocked in a select right now. */
        void discoverSelectorThreads() {
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                String name = e.getKey().getName();
                if (name.startsWith("selectnow-caller-") || name.startsWith("blocking-caller-")) {
                    continue;
                }
                for (StackTraceElement f : e.getValue()) {
                    if (f.getClassName().equals("sun.nio.ch.SelectorImpl") && f.getMethodName().equals("lockAndDoSelect")) {
                        selectorThreads.add(e.getKey());
                        break;
                    }
                }
            }
        }

        static boolean inReactorCode(Thread t) {
            for (StackTraceElement f : t.getStackTrace()) {
                String c = f.getClassName();
                if (c.startsWith("org.apache.hc.core5.reactor.") || c.startsWith("org.apache.http.impl.nio.reactor.")) {
                    return true;
                }
            }
            return false;
        }

        String group(Thread t) {
            if (t.getClass().getName().equals("io.emfileguard.core.DeferredDelivery$DeliveryThread")) {
                return "agent"; // the agent's own thread for deferred connects, idle between deliveries
            }
            String name = t.getName();
            if (name.startsWith("blocking-caller-")) {
                return "blocking";
            }
            if (name.startsWith("selectnow-caller-")) {
                return "selectnow";
            }
            return selectorThreads.contains(t) ? "selector" : "other";
        }

        @Override
        public void run() {
            ThreadGroup root = Thread.currentThread().getThreadGroup();
            while (root.getParent() != null) {
                root = root.getParent();
            }
            long lastScan = System.nanoTime();
            Set<String> stackShown = ConcurrentHashMap.newKeySet();
            Thread[] threads = new Thread[256];
            while (running) {
                if (System.nanoTime() - lastScan > 250_000_000L) {
                    discoverSelectorThreads();
                    lastScan = System.nanoTime();
                }
                int n;
                while ((n = root.enumerate(threads, true)) == threads.length) {
                    threads = new Thread[threads.length * 2];
                }
                for (int i = 0; i < n; i++) {
                    Thread t = threads[i];
                    Object blocker = LockSupport.getBlocker(t);
                    if (blocker == null || !blocker.getClass().getName().endsWith("SocketGate")) {
                        continue;
                    }
                    String g = group(t);
                    if (g.equals("other") && inReactorCode(t)) { // not seen selecting yet, parked since
                        selectorThreads.add(t);
                        g = "selector";
                    }
                    parkedSamples.computeIfAbsent(g, k -> new AtomicLong()).incrementAndGet();
                    parkedThreads.computeIfAbsent(g, k -> ConcurrentHashMap.newKeySet()).add(t.getName());
                    if (stackShown.add(g)) {
                        StringBuilder sb = new StringBuilder("parked-by-gate group=" + g + " thread=" + t.getName()
                                + " (" + t.getClass().getName() + "):");
                        for (StackTraceElement f : t.getStackTrace()) {
                            sb.append("\n\tat ").append(f);
                        }
                        System.err.println(sb);
                    }
                }
                samples.incrementAndGet();
                LockSupport.parkNanos(1_000_000);
            }
        }

        void print() {
            StringBuilder sb = new StringBuilder("parked samples=" + samples.get() + " selectorThreads="
                    + selectorThreads.size());
            List<String> names = new ArrayList<>();
            for (Thread t : selectorThreads) {
                names.add(t.getName().replace(' ', '_'));
            }
            names.sort(null);
            sb.append(" selectorThreadNames=").append(String.join(",", names));
            for (String g : new String[] {"selector", "blocking", "selectnow", "other", "agent"}) {
                AtomicLong s = parkedSamples.get(g);
                Set<String> th = parkedThreads.get(g);
                sb.append(' ').append(g).append("ParkedSamples=").append(s == null ? 0 : s.get());
                sb.append(' ').append(g).append("ParkedThreads=").append(th == null ? 0 : th.size());
            }
            Map<String, Set<String>> sorted = new TreeMap<>(parkedThreads);
            System.out.println(sb);
            for (Map.Entry<String, Set<String>> e : sorted.entrySet()) {
                List<String> l = new ArrayList<>(e.getValue());
                l.sort(null);
                System.out.println("parkedThreads group=" + e.getKey() + " names="
                        + String.join(",", l.subList(0, Math.min(20, l.size()))).replace(' ', '_'));
            }
        }
    }

    private AsyncReactorApp() {
    }
}
