package example.apps.clients;

import example.apps.GateProbe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A burst of {@code count} concurrent requests through one real client (see {@link Clients}): blocking
 * kinds get one platform thread per request, all released at once; async kinds issue every call
 * from the main thread. Then the client is closed. Knows nothing of the agent but its MBean's name.
 *
 * <p>Args: kind endpoint count. Prints {@code storm kind=.. requests=.. ok=.. failed=.. emfile=..
 * unfinished=.. elapsedMs=..}, up to 8 {@code failure count=.. kind=..} lines (exception chains),
 * and {@code gate before|after|closed ...} with the MBean's values and the kernel's TCP sockets.
 */
public final class ClientStormApp {

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        String endpoint = args[1];
        int count = Integer.parseInt(args[2]);
        long mbeanWait = Long.getLong("it.mbean.wait.millis", 0);
        if (mbeanWait > 0) {
            GateProbe.await(mbeanWait);
        }
        Clients.Client client = Clients.create(kind, endpoint);
        // Warm up the request path (class loading, the client's own set-up) with one call.
        client.call(-1);
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        Outcome outcome = burst(client, kind, count, 150);
        outcome.print();
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        client.close();
        Thread.sleep(300);
        System.out.println("gate closed " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        System.out.flush();
        System.exit(outcome.finished ? 0 : 3);
    }

    /** What a burst did. */
    public static final class Outcome {
        final String label;
        final int requests;
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger emfile = new AtomicInteger();
        /** Failures caused by a ConnectException that names event.loop.at.cap (the agent refused the socket). */
        final AtomicInteger refused = new AtomicInteger();
        final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        long elapsedMillis;
        long unfinished;
        boolean finished;

        Outcome(String label, int requests) {
            this.label = label;
            this.requests = requests;
        }

        void failed(Throwable t) {
            failed.incrementAndGet();
            String chain = chain(t);
            if (chain.contains("Too_many_open_files")) { // chain() writes spaces as '_'
                emfile.incrementAndGet();
            }
            for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
                if (c instanceof java.net.ConnectException && String.valueOf(c.getMessage()).contains("event.loop.at.cap")) {
                    refused.incrementAndGet();
                    break;
                }
            }
            if (failures.computeIfAbsent(chain, k -> new AtomicInteger()).incrementAndGet() == 1 && failures.size() <= 3) {
                synchronized (Outcome.class) { // the first of each kind in full, for diagnosis
                    System.err.println("first failure of kind " + chain + " in " + label + ":");
                    t.printStackTrace();
                }
            }
        }

        public void print() {
            System.out.println("storm kind=" + label + " requests=" + requests + " ok=" + ok.get() + " failed="
                    + failed.get() + " emfile=" + emfile.get() + " refused=" + refused.get() + " unfinished=" + unfinished + " elapsedMs="
                    + elapsedMillis);
            failures.entrySet().stream()
                    .sorted((a, b) -> b.getValue().get() - a.getValue().get())
                    .limit(8)
                    .forEach(e -> System.out.println("failure label=" + label + " count=" + e.getValue().get()
                            + " kind=" + e.getKey()));
        }
    }

    /** Each exception of the cause chain as {@code Class:message}, joined by {@code <-}, spaces as {@code _}. */
    public static String chain(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null && sb.length() < 600; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof java.util.concurrent.ExecutionException || c instanceof java.util.concurrent.CompletionException) {
                continue;
            }
            sb.append(sb.length() == 0 ? "" : "<-").append(c.getClass().getName()).append(':').append(c.getMessage());
        }
        return sb.toString().replace(' ', '_');
    }

    /** {@code count} requests at once with ids 0..count-1; waits at most {@code seconds}. */
    public static Outcome burst(Clients.Client client, String label, int count, int seconds) throws Exception {
        return burst(client, label, 0, count, seconds);
    }

    public static Outcome burst(Clients.Client client, String label, int firstId, int count, int seconds)
            throws Exception {
        Outcome o = new Outcome(label, count);
        CountDownLatch done = new CountDownLatch(count);
        long t0;
        if (client.async()) {
            t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                CompletableFuture<Void> f;
                try {
                    f = client.callAsync(firstId + i);
                } catch (Throwable t) {
                    o.failed(t);
                    done.countDown();
                    continue;
                }
                f.whenComplete((v, t) -> {
                    if (t == null) {
                        o.ok.incrementAndGet();
                    } else {
                        o.failed(t);
                    }
                    done.countDown();
                });
            }
        } else {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                final int id = firstId + i;
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        client.call(id);
                        o.ok.incrementAndGet();
                    } catch (Throwable t) {
                        o.failed(t);
                    } finally {
                        done.countDown();
                    }
                }, label + "-" + id);
                th.start();
                threads.add(th);
            }
            t0 = System.nanoTime();
            start.countDown();
        }
        o.finished = done.await(seconds, TimeUnit.SECONDS);
        o.elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
        o.unfinished = done.getCount();
        return o;
    }
}
