package example.apps;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every way a JDK {@code HttpClient} exchange can end, mixed: {@code total} {@code sendAsync} calls
 * over 4 clients (default settings), issued by one thread as fast as it may, in a shuffled (seeded)
 * order of the kinds below. Timeouts and cancellations go to a client of their own: the JDK's own
 * clean-up of a timed-out or cancelled exchange ({@code Http1Exchange.cancelImpl}) may close a
 * connection that has just gone back to its pool, and the exchange handed it next fails with
 * "connection closed locally"; on the other 3 clients that can only be the agent's doing.
 * <ul>
 *   <li>{@code response}: {@code <stub>/services/<c>?record=..}, answered 200 after the stub's latency;</li>
 *   <li>{@code error}: {@code <fault>/error}: 500;</li>
 *   <li>{@code drop}: {@code <fault>/drop}: the server closes the connection without an answer;</li>
 *   <li>{@code timeout}: a stub call with {@code HttpRequest.timeout} of 300 ms, under its latency;</li>
 *   <li>{@code cancel}: a stub call whose future is {@code cancel(true)}ed 0-300 ms after it was issued;</li>
 *   <li>{@code refused}: {@code http://127.0.0.1:<closed port>/}.</li>
 * </ul>
 * Then waits (at most 30 s) until the clients' pools have closed their idle connections
 * ({@code -Djdk.httpclient.keepalive.timeout}) and the MBean's {@code OpenSockets} and its own TCP
 * descriptors are back where they were.
 *
 * <p>Args: {@code stubEndpoint faultEndpoint closedPort total seed}. Prints {@code gate before ...},
 * one {@code outcome kind=.. issued=.. expected=.. unexpected=..} line per kind, up to 5
 * {@code unexpected kind=.. count=.. what=..} lines, {@code leak total=.. completed=.. emfile=..
 * elapsedMs=..}, {@code settled waitedMs=..}, {@code gate after ...} and {@code threads
 * parkedOnGate=..} (threads parked with a blocker whose class is named {@code *SocketGate*}).
 */
public final class HttpLeakApp {

    static final String[] KINDS = {"response", "error", "drop", "timeout", "cancel", "refused"};
    /** The client of the timeout and cancel kinds; the others use clients 0 to this - 1. */
    static final int CANCELLING_CLIENT = 3;
    /** Shares of 10,000. */
    static final int[] SHARES = {1000, 1000, 500, 2000, 2500, 3000};

    public static void main(String[] args) throws Exception {
        String stub = args[0];
        String fault = args[1];
        int closedPort = Integer.parseInt(args[2]);
        int total = Integer.parseInt(args[3]);
        long seed = Long.parseLong(args[4]);
        long mbeanWait = Long.getLong("it.mbean.wait.millis", 0);
        boolean gate = mbeanWait > 0 && GateProbe.await(mbeanWait);
        long openBefore = gate ? GateProbe.open() : -1;
        int fdsBefore = GateProbe.socketFds();
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + fdsBefore);

        List<Integer> order = new ArrayList<>(total);
        for (int k = 0; k < KINDS.length; k++) {
            for (int n = 0; n < (long) SHARES[k] * total / 10_000; n++) {
                order.add(k);
            }
        }
        while (order.size() < total) {
            order.add(0);
        }
        Random random = new Random(seed);
        Collections.shuffle(order, random);

        List<HttpClient> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            clients.add(HttpClient.newHttpClient());
        }
        ScheduledExecutorService canceller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "canceller");
            t.setDaemon(true);
            return t;
        });
        int[] issued = new int[KINDS.length];
        AtomicInteger[] expected = new AtomicInteger[KINDS.length];
        AtomicInteger[] unexpected = new AtomicInteger[KINDS.length];
        for (int k = 0; k < KINDS.length; k++) {
            expected[k] = new AtomicInteger();
            unexpected[k] = new AtomicInteger();
        }
        Map<String, AtomicInteger> surprises = new ConcurrentHashMap<>();
        AtomicInteger emfile = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(total);
        long t0 = System.nanoTime();
        for (int i = 0; i < total; i++) {
            int k = order.get(i);
            String kind = KINDS[k];
            int c = "timeout".equals(kind) || "cancel".equals(kind) ? CANCELLING_CLIENT : i % CANCELLING_CLIENT;
            issued[k]++;
            HttpRequest.Builder b;
            switch (kind) {
                case "error":
                    b = HttpRequest.newBuilder(URI.create(fault + "/error?i=" + i));
                    break;
                case "drop":
                    b = HttpRequest.newBuilder(URI.create(fault + "/drop?i=" + i));
                    break;
                case "refused":
                    b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + closedPort + "/?i=" + i));
                    break;
                default:
                    b = HttpRequest.newBuilder(URI.create(stub + "/services/" + c + "?record=leak-" + i));
            }
            b.timeout("timeout".equals(kind) ? Duration.ofMillis(300) : Duration.ofSeconds(60));
            String record = "leak-" + i;
            CompletableFuture<HttpResponse<String>> f;
            try {
                f = clients.get(c).sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            if ("cancel".equals(kind)) {
                CompletableFuture<HttpResponse<String>> toCancel = f;
                int delay = random.nextInt(301);
                if (delay < 30) {
                    toCancel.cancel(true);
                } else {
                    canceller.schedule(() -> toCancel.cancel(true), delay, TimeUnit.MILLISECONDS);
                }
            }
            f.whenComplete((resp, error) -> {
                try {
                    Throwable e = unwrap(error);
                    if (e != null && HttpBurstApp.isEmfile(e)) {
                        emfile.incrementAndGet();
                    }
                    if (isExpected(kind, record, resp, e)) {
                        expected[k].incrementAndGet();
                    } else {
                        unexpected[k].incrementAndGet();
                        String what = e != null ? HttpBurstApp.kind(e) : "status_" + resp.statusCode();
                        surprises.computeIfAbsent(kind + " count_placeholder " + what, x -> new AtomicInteger())
                                .incrementAndGet();
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        boolean finished = done.await(150, TimeUnit.SECONDS);
        long elapsed = (System.nanoTime() - t0) / 1_000_000;
        int completed = total - (int) done.getCount();
        for (int k = 0; k < KINDS.length; k++) {
            System.out.println("outcome kind=" + KINDS[k] + " issued=" + issued[k] + " expected=" + expected[k].get()
                    + " unexpected=" + unexpected[k].get());
        }
        surprises.entrySet().stream()
                .sorted((a, b) -> b.getValue().get() - a.getValue().get())
                .limit(5)
                .forEach(e -> {
                    String[] p = e.getKey().split(" count_placeholder ", 2);
                    System.out.println("unexpected kind=" + p[0] + " count=" + e.getValue().get() + " what=" + p[1]);
                });
        System.out.println("leak total=" + total + " completed=" + completed + " emfile=" + emfile.get()
                + " elapsedMs=" + elapsed);

        long s0 = System.nanoTime();
        long deadline = s0 + 30_000_000_000L;
        while (System.nanoTime() - deadline < 0 && !((openBefore < 0 || GateProbe.open() == openBefore)
                && GateProbe.socketFds() == fdsBefore)) {
            Thread.sleep(50);
        }
        System.out.println("settled waitedMs=" + (System.nanoTime() - s0) / 1_000_000 + " clients=" + clients.size());
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        System.out.println("threads parkedOnGate=" + parkedOnGate());
        System.out.flush();
        System.exit(finished ? 0 : 3);
    }

    static boolean isExpected(String kind, String record, HttpResponse<String> resp, Throwable e) {
        switch (kind) {
            case "response":
                return e == null && resp.statusCode() == 200 && resp.body().contains("\"record\":\"" + record + "\"");
            case "error":
                return e == null && resp.statusCode() == 500;
            case "drop":
                return e instanceof java.io.IOException && !(e instanceof HttpTimeoutException);
            case "timeout":
                return e instanceof HttpTimeoutException;
            case "cancel":
                // cancel(true) that came after the reply (a busy canceller thread) changes nothing.
                return e instanceof CancellationException || (e == null && resp.statusCode() == 200);
            case "refused":
                return e instanceof ConnectException;
            default:
                return false;
        }
    }

    static Throwable unwrap(Throwable e) {
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Threads parked on the agent's gate: their park blocker is the gate (a thread dump shows it). */
    static int parkedOnGate() {
        int n = 0;
        for (ThreadInfo t : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            if (t != null && t.getLockName() != null && t.getLockName().contains("SocketGate")) {
                n++;
            }
        }
        return n;
    }
}
