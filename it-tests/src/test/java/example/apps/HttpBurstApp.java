package example.apps;

import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The field report with the JDK {@code java.net.http.HttpClient}: one client per downstream service
 * (default settings), {@code requests} calls spread over them round-robin, all at once, then the
 * same again for each further round on the same clients (their pools keep the connections of the
 * previous round). Knows nothing of the agent but its MBean's name.
 *
 * <p>Args: {@code endpoint mode requests clients rounds}; mode is {@code async} (the main thread
 * issues every {@code sendAsync}), {@code platform} (one platform thread per {@code send}) or
 * {@code virtual} (one virtual thread per {@code send}, JDK 21+). Requests go to
 * {@code GET <endpoint>/services/<client>?record=<round>-<i>}.
 *
 * <p>Prints {@code gate before ...}, one {@code round n=.. requests=.. ok=.. failed=.. emfile=..
 * unfinished=.. connections=.. reused=.. elapsedMs=..} line per round ({@code connections}: distinct
 * connections that served the round, {@code reused}: of those, how many had served the previous
 * round; -1 where the JDK cannot tell, before JDK 25's {@code HttpResponse.connectionLabel()}), up to
 * 5 {@code failure round=.. count=.. kind=..} lines per round, then, once the clients' idle
 * connections have expired ({@code -Djdk.httpclient.keepalive.timeout}), {@code settled ...} and
 * {@code gate after ...}.
 */
public final class HttpBurstApp {

    private static final Method CONNECTION_LABEL = connectionLabelMethod();

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        String mode = args[1];
        int requests = Integer.parseInt(args[2]);
        int clientCount = Integer.parseInt(args[3]);
        int rounds = Integer.parseInt(args[4]);
        long mbeanWait = Long.getLong("it.mbean.wait.millis", 0);
        boolean gate = mbeanWait > 0 && GateProbe.await(mbeanWait);

        long openBefore = gate ? GateProbe.open() : -1;
        int fdsBefore = GateProbe.socketFds();
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + fdsBefore);

        List<HttpClient> clients = new ArrayList<>();
        for (int c = 0; c < clientCount; c++) {
            clients.add(HttpClient.newHttpClient());
        }
        // Warm-up: one call per client through the very code path of the burst, so that a burst that
        // runs out of descriptors cannot fail on loading a class instead.
        Round warm = runRound(endpoint, mode, clients, clientCount, "warm", null);
        if (warm.ok.get() != clientCount) {
            System.out.println("warm-up failed: " + warm.failures);
            System.exit(2);
        }
        Set<String> previous = warm.labels;
        boolean complete = true;
        for (int n = 1; n <= rounds; n++) {
            Round r = runRound(endpoint, mode, clients, requests, Integer.toString(n), previous);
            complete &= r.finished;
            System.out.println("round n=" + n + " requests=" + requests + " ok=" + r.ok.get() + " failed="
                    + r.failed.get() + " emfile=" + r.emfile.get() + " unfinished=" + r.unfinished
                    + " connections=" + (CONNECTION_LABEL == null ? -1 : r.labels.size())
                    + " reused=" + (CONNECTION_LABEL == null ? -1 : r.reused) + " versions=" + r.versions.keySet()
                    + " elapsedMs=" + r.elapsedMillis);
            final int round = n;
            r.failures.entrySet().stream()
                    .sorted((a, b) -> b.getValue().get() - a.getValue().get())
                    .limit(5)
                    .forEach(e -> System.out.println("failure round=" + round + " count=" + e.getValue().get()
                            + " kind=" + e.getKey()));
            previous = r.labels;
        }

        // The clients stay open; their pools close idle connections after the keep-alive timeout.
        long t0 = System.nanoTime();
        long deadline = t0 + 30_000_000_000L;
        while (System.nanoTime() - deadline < 0 && !((openBefore < 0 || GateProbe.open() == openBefore)
                && GateProbe.socketFds() == fdsBefore)) {
            Thread.sleep(50);
        }
        System.out.println("settled waitedMs=" + (System.nanoTime() - t0) / 1_000_000 + " clients=" + clients.size());
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        System.out.flush();
        System.exit(complete ? 0 : 3);
    }

    static final class Round {
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger emfile = new AtomicInteger();
        final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        final Set<String> labels = ConcurrentHashMap.newKeySet();
        final Map<String, Boolean> versions = new ConcurrentHashMap<>();
        int reused;
        long unfinished;
        boolean finished;
        long elapsedMillis;

        void outcome(String record, HttpResponse<String> response, Throwable error) {
            if (error != null) {
                failed.incrementAndGet();
                if (isEmfile(error)) {
                    emfile.incrementAndGet();
                }
                failures.computeIfAbsent(kind(error), k -> new AtomicInteger()).incrementAndGet();
                return;
            }
            versions.put(response.version().toString(), Boolean.TRUE);
            String label = label(response);
            if (label != null) {
                labels.add(label);
            }
            if (response.statusCode() == 200 && response.body().contains("\"record\":\"" + record + "\"")) {
                ok.incrementAndGet();
            } else {
                failed.incrementAndGet();
                failures.computeIfAbsent("status_" + response.statusCode(), k -> new AtomicInteger()).incrementAndGet();
            }
        }
    }

    static Round runRound(String endpoint, String mode, List<HttpClient> clients, int requests, String name,
                          Set<String> previous) throws Exception {
        Round r = new Round();
        CountDownLatch done = new CountDownLatch(requests);
        long t0;
        if ("async".equals(mode)) {
            t0 = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                int c = i % clients.size();
                String record = name + "-" + i;
                CompletableFuture<HttpResponse<String>> f;
                try {
                    f = clients.get(c).sendAsync(request(endpoint, c, record), HttpResponse.BodyHandlers.ofString());
                } catch (RuntimeException e) {
                    f = CompletableFuture.failedFuture(e);
                }
                f.whenComplete((resp, error) -> {
                    r.outcome(record, resp, error);
                    done.countDown();
                });
            }
        } else {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>(requests);
            for (int i = 0; i < requests; i++) {
                int c = i % clients.size();
                String record = name + "-" + i;
                Runnable call = () -> {
                    HttpResponse<String> resp = null;
                    Throwable error = null;
                    try {
                        start.await();
                        resp = clients.get(c).send(request(endpoint, c, record), HttpResponse.BodyHandlers.ofString());
                    } catch (Throwable t) {
                        error = t;
                    }
                    r.outcome(record, resp, error);
                    done.countDown();
                };
                threads.add("virtual".equals(mode) ? virtualThread(call) : new Thread(call, "send-" + name + "-" + i));
            }
            for (Thread t : threads) {
                t.start();
            }
            t0 = System.nanoTime();
            start.countDown();
        }
        r.finished = done.await(150, TimeUnit.SECONDS);
        r.elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
        r.unfinished = done.getCount();
        if (previous != null) {
            for (String l : r.labels) {
                if (previous.contains(l)) {
                    r.reused++;
                }
            }
        }
        return r;
    }

    static HttpRequest request(String endpoint, int client, String record) {
        return HttpRequest.newBuilder(URI.create(endpoint + "/services/" + client + "?record=" + record))
                .timeout(Duration.ofSeconds(60)).GET().build();
    }

    static Thread virtualThread(Runnable r) {
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            return (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                    .invoke(builder, r);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("virtual threads need JDK 21+", e);
        }
    }

    /** JDK 25's {@code HttpResponse.connectionLabel()}: which connection served a response. */
    private static Method connectionLabelMethod() {
        try {
            return HttpResponse.class.getMethod("connectionLabel");
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    static String label(HttpResponse<?> response) {
        if (CONNECTION_LABEL == null) {
            return null;
        }
        try {
            Optional<?> label = (Optional<?>) CONNECTION_LABEL.invoke(response);
            return label.map(String::valueOf).orElse(null);
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    static boolean isEmfile(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (String.valueOf(c.getMessage()).contains("Too many open files")) {
                return true;
            }
        }
        return false;
    }

    /** The exception and its root cause, spaces replaced (for one-token output). */
    static String kind(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String k = t.getClass().getName() + ": " + t.getMessage();
        if (root != t) {
            k += " <- " + root.getClass().getName() + ": " + root.getMessage();
        }
        return k.replace(' ', '_');
    }
}
