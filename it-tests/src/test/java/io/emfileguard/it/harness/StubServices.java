package io.emfileguard.it.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The demo's stub services ({@code io.emfileguard.demo.stub.StubMain} in
 * {@code demo-app/target/demo-app.jar}) in a process of their own: an HTTP server on 127.0.0.1 that
 * answers every request after {@code latency ± jitter} and holds thousands of connections at once
 * (its descriptor limit is raised to the hard limit, at least {@link #MIN_DESCRIPTORS}). Routes:
 * {@code GET /services/{n}?record=...} (JSON), DynamoDB's and Lambda's wire formats (see
 * {@code StubServer}), {@code GET /stats} ({@link #stats()}, answered at once, the latch's figures
 * included) and {@code GET /latch?inFlight=N&maxMillis=M} (no reply leaves the stub until N
 * requests are in flight or M ms have passed: a child arms it to be sure its storm filled the cap).
 *
 * <p>Runs on the JDK that runs the tests. The stub exits when its standard input closes
 * ({@code --exit-on-stdin-eof}): {@link #close()} closes it, and so does the death of the test JVM.
 * Its output goes to {@code target/child-output/stub-*.log}. Use one instance per test run when
 * its counters matter ({@code peakInFlight} covers the stub's whole life).
 */
public final class StubServices implements AutoCloseable {

    /** More than the 3,300 connections of the field report, with room for the stub's own. */
    public static final int MIN_DESCRIPTORS = 8192;
    private static final Pattern LISTENING = Pattern.compile("STUB LISTENING port=(\\d+)");
    private static final Pattern NUMBER = Pattern.compile("\"(\\w+)\"\\s*:\\s*(-?\\d+)");
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private final Process process;
    private final int port;
    private final Path log;
    private final long startNanos = System.nanoTime();
    private static final HttpClient STATS_CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private StubServices(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the stub; returns once it accepts connections. */
    public static StubServices start(Duration latency, Duration jitter) {
        Path jar = demoJar();
        long limit = hardDescriptorLimit();
        if (limit < MIN_DESCRIPTORS) {
            fail("the stub services need at least " + MIN_DESCRIPTORS + " descriptors, but the hard limit here is "
                    + limit + " (ulimit -Hn)");
        }
        List<String> cmd = new ArrayList<>(List.of("prlimit", "--nofile=" + limit + ":" + limit,
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xss256k", "-cp", jar.toString(), "io.emfileguard.demo.stub.StubMain", "--port", "0",
                "--latency-ms", Long.toString(latency.toMillis()), "--jitter-ms", Long.toString(jitter.toMillis()),
                "--exit-on-stdin-eof"));
        Path dir = Paths.get(System.getProperty("it.output.dir", "target/child-output"));
        Path log = dir.resolve(String.format("stub-%03d.log", SEQUENCE.incrementAndGet()));
        Process p;
        try {
            Files.createDirectories(dir);
            Files.write(log, (String.join(" ", cmd) + "\n").getBytes(StandardCharsets.UTF_8));
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("could not start the stub services: " + cmd, e);
        }
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> copyOutput(p, log, listening), "stub-output-" + p.pid());
        reader.setDaemon(true);
        reader.start();
        try {
            int port = listening.get(30, TimeUnit.SECONDS);
            return new StubServices(p, port, log);
        } catch (Exception e) {
            p.destroyForcibly();
            throw new AssertionError("the stub services did not report 'STUB LISTENING' within 30 s; see " + log, e);
        }
    }

    private static void copyOutput(Process p, Path log, CompletableFuture<Integer> listening) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                Files.write(log, (line + "\n").getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
                Matcher m = LISTENING.matcher(line);
                if (m.find()) {
                    listening.complete(Integer.parseInt(m.group(1)));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the stub is gone
        } finally {
            listening.completeExceptionally(new IllegalStateException("the stub's output ended"));
        }
    }

    /** {@code demo-app/target/demo-app.jar}: built before this module (it-tests depends on demo-app). */
    public static Path demoJar() {
        String configured = System.getProperty("it.demo.jar");
        Path jar = Paths.get(configured != null ? configured : "../demo-app/target/demo-app.jar").toAbsolutePath()
                .normalize();
        if (!Files.isRegularFile(jar)) {
            fail("demo-app jar not found at " + jar + ": build it first (mvn -B verify from the repository root "
                    + "builds demo-app before it-tests)");
        }
        return jar;
    }

    /** The hard RLIMIT_NOFILE of this (test) process, from {@code /proc/self/limits}. */
    static long hardDescriptorLimit() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.trim().split("\\s+");
                    String hard = f[4];
                    return "unlimited".equals(hard) ? 1 << 20 : Long.parseLong(hard);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("cannot read /proc/self/limits", e);
        }
        throw new AssertionError("no 'Max open files' in /proc/self/limits");
    }

    public int port() {
        return port;
    }

    /** {@code http://127.0.0.1:<port>}, no trailing slash. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** The stub's counters: {@code received}, {@code answered}, {@code inFlight}, {@code peakInFlight}. */
    public Map<String, Long> stats() {
        try {
            HttpResponse<String> r = STATS_CLIENT.send(HttpRequest.newBuilder(URI.create(endpoint() + "/stats"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Long> values = new LinkedHashMap<>();
            Matcher m = NUMBER.matcher(r.body());
            while (m.find()) {
                values.put(m.group(1), Long.parseLong(m.group(2)));
            }
            return values;
        } catch (IOException e) {
            throw new AssertionError("cannot read the stub's /stats", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted reading the stub's /stats", e);
        }
    }

    /** Most requests the stub held at once (received, not yet answered) since it started. */
    public long peakInFlight() {
        return stats().get("peakInFlight");
    }

    @Override
    public void close() {
        ChildJvm.logTimes(log.getFileName().toString().replace(".log", ""), (System.nanoTime() - startNanos) / 1_000_000,
                KernelView.cpuMillisOf(process.pid()));
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        String s;
        try {
            s = process.isAlive() ? stats().toString() : "exited";
        } catch (AssertionError e) {
            s = "stats unavailable";
        }
        return "StubServices[" + endpoint() + ", pid " + process.pid() + ", " + s + ", log " + log + "]";
    }
}
