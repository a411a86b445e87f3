package io.emfileguard.it;

import example.apps.clients.AsyncFanOutApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.ClientLibs;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.Json;
import io.emfileguard.it.harness.StubServices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 25, async clients: the AWS-recommended fan-out ({@link AsyncFanOutApp}: every call issued
 * from ONE thread, then {@code CompletableFuture.allOf(...).join()}) through the JDK
 * {@code HttpClient.sendAsync}, the AWS SDK's {@code DynamoDbAsyncClient} over
 * {@code NettyNioAsyncHttpClient}, and Apache {@code HttpAsyncClient} 5, under
 * {@code prlimit --nofile=1024:1024} at {@code max.sockets=500}, each client's own pool raised
 * (SDK {@code maxConcurrency} and Apache's pool 5,000; the JDK client has no limit). Side by side in
 * one test: the same child without the agent (it loses calls to EMFILE), the same client
 * hand-tuned to the cap without the agent (SDK {@code maxConcurrency=500}, Apache pool 500), and
 * with the agent. With the agent: no call fails, the kernel's TCP sockets stay at most cap + 10,
 * the issuing thread is held at most 2x as long as without the agent, the batch takes at most 1.10x
 * the hand-tuned batch (for the JDK client, which has no pool limit of its own, Apache's
 * hand-tuned batch), and no event-loop or selector thread is ever seen parked by the gate; after
 * cancels and timeouts of waiting calls the agent's count is back at its baseline (drift 0).
 *
 * <p><b>Premises that hold on a loaded machine.</b> The stub services run with a latch
 * ({@code GET /latch}, armed by the child after its warm-up): no reply leaves the stub until 450
 * requests (90% of the cap) are in flight at once, so "the storm filled the cap" is certain however
 * slowly the calls were issued, and the test asserts the latch opened by that count (not by its
 * 20 s deadline). Without the agent the latch waits for every call of the batch (it never gets
 * them: the calls beyond the descriptors fail) for at most {@link #NO_AGENT_HOLD}: everything issued
 * in that time overlaps, so the loss to EMFILE is certain, and asserted. (That run's batch time is
 * the hold's, not the client's: only its failures and its issuing time are compared.)
 *
 * <p><b>What runs, and its cost.</b> Each child runs alone (this class's tests run one after the
 * other, {@link ExecutionMode#SAME_THREAD}; the rest of the suite runs beside it), so that its
 * timings are compared with baselines not disturbed by a sibling of its own.
 * <ul>
 *   <li>Default: {@value #CI_COUNT} calls (three rounds of the cap:
 *       enough to be held twice, and more than the 1,024 descriptors without the agent) at
 *       {@code 1.5 s} latency, the agent run per kind on JDK 17 and 25; the baselines (without the
 *       agent, hand-tuned) once per kind on JDK 17, which both agent runs are compared with (a
 *       baseline runs no agent code: JDK 17's is JDK 25's too, as {@code Jdk#premise} argues; the
 *       JDK client's reference is Apache's, so it has no hand-tuned run of its own here); the
 *       cancel/timeout run ({@value #CANCEL_COUNT} calls) per kind on JDK 17 and 25. 17 children,
 *       4-15 s each: the class took 179 s in one worker at a load average of 4-8 (the other worker
 *       goes on with the rest of the suite), of which 30 s were Apache without the agent waiting
 *       out its deadline, since cut to {@link #NO_AGENT_AFTER_HOLD}. If the suite's 10 minutes
 *       need it, the cancel runs of the SDK and Apache on JDK 25 go first (~20 s), then the agent
 *       runs on JDK 25 (~30 s).</li>
 *   <li>Full ({@code -Dasync.full=true}, on demand: {@code it-tests/run-async-table.sh}): issue 25's
 *       table, 3,300 calls at 3 s latency, all three modes per kind on every JDK there is
 *       (17, 21 when fetched, 25), plus the JDK client hand-tuned with a fair FIFO of 500 permits,
 *       {@code -Dasync.runs=N} times each, interleaved; 8-31 s per child, one run of the three
 *       kinds on JDK 17 took 4 minutes. Rows go to {@code target/async-table.tsv}.</li>
 * </ul>
 * {@code -Dasync.kinds=sdk-netty,...} and {@code -Dasync.jdks=17,...} narrow either.
 *
 * <p>Runs in every {@code mvn verify} ({@code -Dasync.clients=false} skips it). Before the agent
 * deferred async work, every check failed: the agent parked the issuing thread of the JDK client (its
 * issuing time was most of the batch) and only counted the event loops' sockets of the SDK and
 * Apache (which then died of EMFILE; at 1,500 calls the SDK, slower to issue, reused enough
 * connections to stay under the descriptors, 924-935 TCP sockets, and failed on the peak instead).
 */
@Order(3) // longest first (see junit-platform.properties): about as long as RealClientsIT
@Execution(ExecutionMode.SAME_THREAD)
@DisabledIfSystemProperty(named = "async.clients", matches = "false")
class AsyncClientsIT {

    static final boolean FULL = Boolean.getBoolean("async.full");
    static final int RUNS = Integer.getInteger("async.runs", 1);
    static final int CAP = 500;
    static final int CI_COUNT = 1500;
    static final int FULL_COUNT = 3300;
    static final int COUNT = FULL ? FULL_COUNT : CI_COUNT;
    static final Duration LATENCY = Duration.ofMillis(FULL ? 3000 : 1500);
    static final Duration JITTER = Duration.ofMillis(FULL ? 200 : 100);
    /** The stub answers nothing until this many requests are in flight: 90% of the cap. */
    static final int LATCH = CAP * 9 / 10;
    /** If the latch never sees {@link #LATCH} requests, it opens after this, and the premise fails. */
    static final Duration LATCH_DEADLINE = Duration.ofSeconds(20);
    /**
     * Without the agent the stub holds every reply this long after the child armed it: on a busy
     * machine the SDK issues 1,500 calls in 2-5 s, and they must all overlap to run out of descriptors.
     */
    static final Duration NO_AGENT_HOLD = Duration.ofSeconds(FULL ? 10 : 6);
    /**
     * How long, after the hold, a run without the agent may take before its pending calls are
     * reported unfinished: the calls that got a descriptor end one latency after the hold (the JDK
     * client and the SDK 0.5-1 s, Apache 12 s of 3,300 calls in full mode).
     */
    static final Duration NO_AGENT_AFTER_HOLD = Duration.ofSeconds(FULL ? 15 : 8);
    /**
     * The cancel/timeout run: 300 calls beyond the cap (they queue behind it once the agent defers);
     * the last 100 cancelled once the calls beyond the cap wait at the gate, the 100 before them
     * with a timeout of their own.
     */
    static final int CANCEL_COUNT = 800;
    static final int CANCELLED = 100;
    static final int TIMED_OUT = 100;
    /**
     * The client's own timeout of those 100: a fifth of the latency, so that it fires whether the
     * client times the wait at the cap (JDK: from {@code sendAsync}; SDK: the whole API call) or only
     * the reply (Apache's response timeout, checked once a second: at 1 s, 94 of 100 Apache calls got
     * their 1.5 s reply first).
     */
    static final long TIMEOUT_MILLIS = 300;
    /** Sockets the kernel may see above the cap (issue 25's acceptance bound). */
    static final int PEAK_SLACK = 10;
    /**
     * Absolute slack on the issuing bound (2x the issuing time without the agent): issuing 1,500
     * calls takes 0.3-1 s without the agent, and on two cores shared with other builds a GC pause
     * or a few time slices lost to another process cost the issuing thread a few hundred ms in
     * either run, agent or not. 500 ms is that noise, not a tolerance for holding the thread.
     */
    static final long ISSUING_SLACK_MILLIS = 500;
    /**
     * Absolute slack on the batch bound (1.10x the hand-tuned batch): the two batches run at
     * different moments on a shared machine. Each is rounds x latency plus the CPU of its calls; the
     * CPU part moves with the load by up to ~0.5 s between two runs of the same child (issue 25's
     * hand-tuned runs: 22.5-22.8 s, 21.7-21.8 s). 1 s is that, and less than one round of the
     * latency: an agent that loses a round (a waiter woken one latency late) still fails.
     */
    static final long BATCH_SLACK_MILLIS = 1000;

    static final List<String> KINDS = List.of("jdk-sendasync", "sdk-netty", "apache5-async");
    static StubServices stub;
    /** Children already run, by {@code jdk/kind/mode/run}: the baselines shared between tests. */
    static final Map<String, Measured> MEASURED = new HashMap<>();
    static final List<String> TABLE = new ArrayList<>();

    @BeforeAll
    static void startStub() {
        stub = StubServices.start(LATENCY, JITTER);
    }

    @AfterAll
    static void stopStubAndPrintTheTable() {
        if (stub != null) {
            stub.close();
        }
        System.out.println("AsyncClientsIT (" + (FULL ? "full" : "default") + ", " + COUNT + " calls, cap " + CAP
                + ", latency " + LATENCY.toMillis() + " ms):\n" + Measured.HEADER + "\n" + String.join("\n", TABLE));
    }

    /** kind x JDK: 17 and 25 by default; every JDK there is in full mode; narrowed by -Dasync.kinds / -Dasync.jdks. */
    static Stream<Arguments> cases() {
        List<String> kinds = filter("async.kinds", KINDS);
        List<Jdk> jdks = (FULL ? Jdk.withJdk21() : Jdk.all()).collect(Collectors.toList());
        String only = System.getProperty("async.jdks");
        if (only != null && !only.isBlank()) {
            List<String> wanted = Arrays.asList(only.split(","));
            jdks = jdks.stream().filter(j -> wanted.contains(Integer.toString(j.feature))).collect(Collectors.toList());
        }
        List<Arguments> out = new ArrayList<>();
        for (String k : kinds) {
            for (Jdk j : jdks) {
                out.add(Arguments.of(k, j));
            }
        }
        return out.stream();
    }

    static List<String> filter(String property, List<String> all) {
        String only = System.getProperty(property);
        if (only == null || only.isBlank()) {
            return all;
        }
        List<String> wanted = Arrays.asList(only.split(","));
        return all.stream().filter(wanted::contains).collect(Collectors.toList());
    }

    // ---- the children ----

    /** One child's run: what the kernel saw (parent), what the child printed, what the stub's latch saw. */
    static final class Measured {
        static final String HEADER = "jdk\tkind\tmode\trun\tcount\tok\tfailed\temfile\tunfinished\tissuing_ms\tbatch_ms"
                + "\tkernel_tcp_peak\tagent_peak\teventloop_parked\tissuing_parked_ms\tlatch\tdrift\twall_ms";
        final String mode;
        final ChildResult child;
        final Map<String, Object> result;
        final Map<String, Long> stub;

        Measured(String mode, ChildResult child, Map<String, Object> result, Map<String, Long> stub) {
            this.mode = mode;
            this.child = child;
            this.result = result;
            this.stub = stub;
        }

        long n(String... path) {
            return Json.number(result, path);
        }

        Object gate(String key) {
            Object g = result.get("gate_after");
            return g instanceof Map ? ((Map<?, ?>) g).get(key) : null;
        }

        String latch() {
            return stub.getOrDefault("latchOpenedByCount", 0L) == 1 ? "count"
                    : stub.getOrDefault("latchOpenedByDeadline", 0L) == 1 ? "deadline" : "closed";
        }

        String row(Jdk jdk, String kind, int run) {
            return jdk.feature + "\t" + kind + "\t" + mode + "\t" + run + "\t" + n("count") + "\t" + n("ok") + "\t"
                    + n("failed") + "\t" + n("failures", "emfile") + "\t" + n("unfinished") + "\t" + n("issuing_ms") + "\t" + n("batch_ms")
                    + "\t" + child.peakTcpSocketFds + "\t" + (gate("PeakOpenSockets") == null ? "-" : gate("PeakOpenSockets"))
                    + "\t" + n("sampler", "eventloop_parked_samples") + "\t" + n("sampler", "issuing_parked_ms_approx")
                    + "\t" + latch() + "(" + stub.getOrDefault("latchOpenedAfterMillis", -1L) + "ms)"
                    + "\t" + (result.get("drift") == null ? "-" : result.get("drift")) + "\t" + child.wallMillis;
        }

        @Override
        public String toString() {
            return child + "\n--- stub after the child: " + stub;
        }
    }

    /**
     * Runs (once: later calls get the same result) the child {@code kind} in {@code mode}:
     * {@code no-agent} (pools raised, no agent), {@code hand-tuned} (pool = cap, no agent),
     * {@code agent} (pools raised, the agent at the cap) or {@code cancel} (as {@code agent},
     * {@value #CANCEL_COUNT} calls, {@value #CANCELLED} cancelled and {@value #TIMED_OUT} timing out
     * while they wait at the cap).
     */
    static Measured measure(Jdk jdk, String kind, String mode, int run) {
        String key = jdk.feature + "/" + kind + "/" + mode + "/" + run;
        Measured m = MEASURED.get(key);
        if (m != null) {
            return m;
        }
        boolean agent = mode.equals("agent") || mode.equals("cancel");
        int count = mode.equals("cancel") ? CANCEL_COUNT : COUNT;
        List<Object> args = new ArrayList<>(List.of(kind, mode.equals("hand-tuned") ? "hand-tuned" : "raised",
                stub.endpoint(), count, "cap=" + CAP));
        if (mode.equals("no-agent")) {
            args.add("latch=" + count);
            args.add("latchMillis=" + NO_AGENT_HOLD.toMillis());
            // Out of descriptors, Apache's async client may leave calls pending for minutes (137 s
            // seen): what is not done by then is reported unfinished, and the child ends.
            args.add("deadlineSeconds=" + (NO_AGENT_HOLD.getSeconds() + NO_AGENT_AFTER_HOLD.getSeconds()));
        } else if (mode.equals("cancel")) {
            // Every reply held until the last calls were cancelled (a latch the batch cannot reach at
            // the cap, released by the child then): the calls beyond the cap certainly wait at the gate
            // when they are cancelled. With the latch at 90% of the cap, the SDK on a loaded JDK 25
            // issued its last calls after replies came back, and they never waited.
            args.add("latch=" + count);
            args.add("latchMillis=" + LATCH_DEADLINE.toMillis());
            args.add("releaseLatchAfterCancel=1");
            args.addAll(List.of("cancel=" + CANCELLED, "timeout=" + TIMED_OUT, "timeoutMs=" + TIMEOUT_MILLIS));
        } else {
            args.add("latch=" + LATCH);
            args.add("latchMillis=" + LATCH_DEADLINE.toMillis());
        }
        ChildJvm child = ChildJvm.on(jdk, "async-" + kind + "-" + mode)
                .main(AsyncFanOutApp.class, args.toArray())
                .classPath(ClientLibs.jars())
                .jvmOption("-Xss256k")
                // JDK 17's HttpClient has no close(): its idle connections go after this (drift)
                .systemProperty("jdk.httpclient.keepalive.timeout", 2)
                .timeout(Duration.ofSeconds(FULL ? 300 : 180));
        if (agent) {
            child.withAgent("max.sockets=" + CAP).systemProperty("it.mbean.wait.millis", 10_000);
        }
        ChildResult r = child.run();
        Map<String, Long> stubStats = stub.stats();
        String line = r.line("RESULT");
        m = new Measured(mode, r, Json.object(line.substring("RESULT ".length())), stubStats);
        String row = m.row(jdk, kind, run);
        System.out.println(r.name + ": " + row + "\n  " + line);
        TABLE.add(row);
        appendRow(row);
        r.assertSucceeded();
        MEASURED.put(key, m);
        return m;
    }

    static void appendRow(String row) {
        Path file = Paths.get(System.getProperty("it.output.dir", "target/child-output")).resolveSibling("async-table.tsv");
        try {
            if (!Files.exists(file)) {
                Files.write(file, (Measured.HEADER + "\n").getBytes(StandardCharsets.UTF_8));
            }
            Files.write(file, (row + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new AssertionError("cannot write " + file, e);
        }
    }

    /** Where the baselines of an agent run on {@code jdk} come from: its own JDK in full mode, JDK 17 by default. */
    static Jdk baselineJdk(Jdk jdk) {
        return FULL ? jdk : Jdk.JDK17;
    }

    // ---- the tests ----

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void theAgentDefersTheFanOutInsteadOfHoldingTheIssuingThreadOrLosingCalls(String kind, Jdk jdk) {
        jdk.assumeAvailable();
        for (int run = 1; run <= (FULL ? RUNS : 1); run++) {
            Jdk base = baselineJdk(jdk);
            int baseRun = FULL ? run : 1;
            Measured none = measure(base, kind, "no-agent", baseRun);
            // The JDK client has no pool limit of its own: its reference is Apache's hand-tuned batch
            // (issue 25). Its own hand-tuned run (a fair FIFO of 500 permits) is in the full table.
            Measured reference = measure(base, kind.equals("jdk-sendasync") ? "apache5-async" : kind, "hand-tuned",
                    baseRun);
            Measured a = measure(jdk, kind, "agent", run);
            if (FULL && kind.equals("jdk-sendasync")) {
                measure(base, kind, "hand-tuned", baseRun);
            }
            assertBaselines(kind, none, reference);
            long issuingBound = 2 * none.n("issuing_ms") + ISSUING_SLACK_MILLIS;
            long batchBound = reference.n("batch_ms") * 110 / 100 + BATCH_SLACK_MILLIS;
            assertAll("with the agent, " + kind + " on " + jdk + "\n" + a,
                () -> assertEquals(1024, a.child.nofileLimit, "the child's descriptor limit"),
                () -> assertEquals("count", a.latch(), "the premise: the storm filled the cap (" + LATCH
                        + " requests in flight at the stub) before any reply: " + a.stub),
                () -> assertTrue(a.n("sampler", "samples") >= 100, "the park sampler ran through the batch"),
                () -> assertEquals(COUNT, a.n("ok"), "calls that succeeded; failures: " + a.result.get("failures")
                        + " " + a.result.get("failure_kinds")),
                () -> assertEquals(0, a.n("failures", "emfile"), "calls that died of 'Too many open files'"),
                () -> assertTrue(a.child.peakTcpSocketFds <= CAP + PEAK_SLACK, "TCP sockets in /proc/<pid>/fd peaked at "
                        + a.child.peakTcpSocketFds + ", above cap + " + PEAK_SLACK + " = " + (CAP + PEAK_SLACK)),
                () -> assertTrue(a.n("issuing_ms") <= issuingBound, "the issuing thread took " + a.n("issuing_ms")
                        + " ms (held about " + a.n("sampler", "issuing_parked_ms_approx") + " ms by the gate); without the agent "
                        + none.n("issuing_ms") + " ms: bound 2x + " + ISSUING_SLACK_MILLIS + " = " + issuingBound + " ms"),
                () -> assertTrue(a.n("batch_ms") <= batchBound, "the batch took " + a.n("batch_ms") + " ms; "
                        + (kind.equals("jdk-sendasync") ? "Apache hand-tuned" : "hand-tuned") + " " + reference.n("batch_ms")
                        + " ms: bound 1.10x + " + BATCH_SLACK_MILLIS + " = " + batchBound + " ms"),
                () -> assertEquals(0, a.n("sampler", "eventloop_parked_samples"), "samples of an event-loop or selector "
                        + "thread parked by the gate: " + a.result.get("sampler")),
                () -> assertEquals(0, ((Number) a.gate("TimeoutsTotal")).longValue(), "waits that ran into max.wait.millis"),
                () -> assertEquals(0L, a.result.get("drift") == null ? null : a.n("drift"),
                        "OpenSockets once the client was closed, less before it was built"));
        }
    }

    /** A comparison with a broken baseline proves nothing: the premises of each, checked first. */
    static void assertBaselines(String kind, Measured none, Measured tuned) {
        assertAll("without the agent, " + kind + "\n" + none,
            () -> assertEquals(1024, none.child.nofileLimit, "the child's descriptor limit"),
            () -> assertTrue(none.n("failures", "emfile") > 0, "the premise: without the agent some calls die of "
                    + "'Too many open files' (" + none.result.get("failure_kinds") + ")"));
        assertAll("hand-tuned to the cap, no agent\n" + tuned,
            () -> assertEquals(COUNT, tuned.n("ok"), "the hand-tuned client completes every call: "
                    + tuned.result.get("failure_kinds")),
            () -> assertEquals("count", tuned.latch(), "it had " + LATCH + " requests in flight at once: " + tuned.stub));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void cancelledAndTimedOutWaitingCallsLeaveNoDrift(String kind, Jdk jdk) {
        jdk.assumeAvailable();
        Measured c = measure(jdk, kind, "cancel", 1);
        Object cancel = c.result.get("cancel");
        assertAll("cancels and timeouts, " + kind + " on " + jdk + "\n" + c,
            () -> assertEquals(1024, c.child.nofileLimit, "the child's descriptor limit"),
            // The premise: when the last calls were cancelled the cap was full (they queued behind
            // it), no reply had left the stub, and the cancelled calls were waiting.
            () -> assertEquals(Boolean.TRUE, ((Map<?, ?>) cancel).get("latch_released_after_cancel"),
                    "the stub held its replies until the cancel: " + cancel),
            () -> assertTrue(c.n("cancel", "open_at_cancel") >= LATCH, "OpenSockets when the calls were cancelled: "
                    + cancel),
            () -> assertTrue(c.n("cancel", "waiting_at_cancel") >= CANCELLED, "waits at the gate when the calls were "
                    + "cancelled (the cancelled calls were among them): " + cancel),
            () -> assertEquals(CANCELLED, c.n("cancel", "effective"), "cancel(true) found the call still running: " + cancel),
            () -> assertEquals(CANCEL_COUNT - CANCELLED - TIMED_OUT, c.n("ok") - c.n("groups", "timeout", "ok"),
                    "the calls neither cancelled nor given a timeout succeeded: " + c.result.get("failure_kinds")),
            () -> assertEquals(CANCELLED, c.n("groups", "cancel", "cancelled"), "the cancelled calls ended cancelled: "
                    + c.result.get("groups")),
            // Apache checks its timeouts once per select interval (1 s): its timeout fires 0.3-1.3 s
            // after the request was sent, before the reply (1.5 s), unless the reactor runs late on a
            // loaded machine. The JDK client and the SDK time out all 100.
            () -> assertEquals(TIMED_OUT, c.n("groups", "timeout", "timeout") + c.n("groups", "timeout", "ok"),
                    "the calls given a timeout ended in it or succeeded: " + c.result.get("groups")),
            () -> assertTrue(c.n("groups", "timeout", "timeout") >= (kind.equals("apache5-async") ? TIMED_OUT * 9 / 10 : TIMED_OUT),
                    "the calls given a timeout of " + TIMEOUT_MILLIS + " ms timed out: " + c.result.get("groups")),
            () -> assertEquals(0, c.n("failures", "emfile"), "calls that died of 'Too many open files'"),
            () -> assertTrue(c.child.peakTcpSocketFds <= CAP + PEAK_SLACK, "TCP sockets peaked at " + c.child.peakTcpSocketFds),
            () -> assertEquals(0, c.n("sampler", "eventloop_parked_samples"), "event-loop samples parked by the gate"),
            () -> assertEquals(0L, c.result.get("drift") == null ? null : c.n("drift"),
                    "drift: OpenSockets once the client was closed, less before it was built"),
            () -> assertEquals(c.n("kernel_tcp_before"), c.n("kernel_tcp_end"), "the kernel's TCP sockets back at the baseline"),
            () -> assertEquals(0, Json.number(c.result, "gate_end", "WaitingThreads"), "threads still waiting at the gate"));
    }
}
