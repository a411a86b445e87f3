package example.apps;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The field report in miniature: {@code count} blocking requests at once, one platform thread each,
 * plain {@code java.net.Socket}: connect, write one line, read the reply, close. Knows nothing of
 * the agent; prints what happened.
 *
 * <p>Args: port count. Prints {@code storm requests=.. ok=.. failed=.. emfile=.. elapsedMs=..},
 * up to 5 {@code failure count=.. kind=..} lines, and {@code gate before/after ...} lines with the
 * MBean's values if there is one ({@code -Dit.mbean.wait.millis} waits for it first).
 */
public final class StormApp {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int count = Integer.parseInt(args[1]);
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        long mbeanWait = Long.getLong("it.mbean.wait.millis", 0);
        boolean gate = mbeanWait > 0 && GateProbe.await(mbeanWait);

        // Warm up every class the request path and the failure path use, so that a storm that runs
        // out of descriptors cannot fail on loading a class from the class path instead.
        String warm = request(server, "FAST warm-up");
        if (!"OK FAST warm-up".equals(warm)) {
            throw new IllegalStateException("warm-up reply: " + warm);
        }
        Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        failures.computeIfAbsent(kind(new java.net.SocketException("warm-up")), k -> new AtomicInteger());
        failures.clear();

        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        LongAdder emfile = new LongAdder();
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(count);
        Thread[] threads = new Thread[count];
        for (int i = 0; i < count; i++) {
            final int id = i;
            threads[i] = new Thread(() -> {
                try {
                    start.await();
                    String reply = request(server, "REQ " + id);
                    if (("OK REQ " + id).equals(reply)) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        failures.computeIfAbsent("bad reply: " + reply, k -> new AtomicInteger()).incrementAndGet();
                    }
                } catch (Throwable t) {
                    failed.incrementAndGet();
                    if (String.valueOf(t.getMessage()).contains("Too many open files")) {
                        emfile.increment();
                    }
                    failures.computeIfAbsent(kind(t), k -> new AtomicInteger()).incrementAndGet();
                } finally {
                    done.countDown();
                }
            }, "request-" + i);
            threads[i].start();
        }
        long t0 = System.nanoTime();
        start.countDown();
        boolean finished = done.await(150, TimeUnit.SECONDS);
        long elapsed = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("storm requests=" + count + " ok=" + ok.get() + " failed=" + failed.get() + " emfile="
                + emfile.sum() + " unfinished=" + done.getCount() + " elapsedMs=" + elapsed);
        failures.entrySet().stream()
                .sorted((a, b) -> b.getValue().get() - a.getValue().get())
                .limit(5)
                .forEach(e -> System.out.println("failure count=" + e.getValue().get() + " kind=" + e.getKey()));
        System.out.println("gate after " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        System.out.flush();
        System.exit(finished ? 0 : 3);
    }

    static String request(InetSocketAddress server, String line) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(server, 60_000);
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            return in.readLine();
        }
    }

    private static String kind(Throwable t) {
        return (t.getClass().getName() + ": " + t.getMessage()).replace(' ', '_');
    }
}
