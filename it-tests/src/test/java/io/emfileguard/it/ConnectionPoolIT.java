package io.emfileguard.it;

import example.apps.clients.ClientStormApp;
import example.apps.clients.IdlePoolsApp;
import io.emfileguard.it.harness.ChildJvm;
import io.emfileguard.it.harness.ChildResult;
import io.emfileguard.it.harness.ClientLibs;
import io.emfileguard.it.harness.Jdk;
import io.emfileguard.it.harness.StubServices;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 4, "pools hold descriptors": real clients whose pools were raised to 5,000 connections, 1,500
 * concurrent requests against the stub services (2 s latency; 5 s for the AWS SDK), {@code max.sockets=500},
 * under {@code prlimit --nofile=1024:1024}. Once the first 500 replies are read those connections sit
 * idle in their pools and nothing closes them: only idle reclamation lets the other 1,000 requests
 * open theirs. Each client must stay under the cap, finish in about ceil(1500/500) = 3 rounds of the
 * latency (a stall would cost the 30 s max wait), reclaim idle sockets, and never die of EMFILE.
 *
 * <p>What a reclaimed connection costs a request depends on the client: the agent closes the
 * socket's descriptor, and a client that takes that connection from its pool before noticing
 * fails the request unless it retries. See {@link #okHttpExecute} and {@link #apacheHttpClient5Classic}
 * (and docs/how-it-works.md, "Idle pooled connections are given back").
 */
@Order(1) // longest first: see junit-platform.properties
class ConnectionPoolIT {
    static final int CAP = 500;
    /**
     * Three rounds of the cap: the second and third can only open connections by reclaiming the
     * first round's idle ones, which is what these storms prove (3,300 requests, seven rounds, proved
     * nothing more and cost 110 s of the end-to-end run: issue 17).
     */
    static final int REQUESTS = 1500;
    /**
     * The server's latency for the AWS SDK's storms: its requests are CPU-heavy (marshalling,
     * signing), 100-300 a second on this 2-core machine while another child runs beside it, so it
     * takes a latency of seconds to have the cap's 500 in flight. With 1,500 requests, 3 of 4 storms
     * peaked at 394-448 and never waited at 1.5 s, and 2 of 4 at 427-491 at 3 s on a loaded machine;
     * 5 s needs 100 a second.
     */
    static final Duration SDK_LATENCY = Duration.ofMillis(5000);
    /**
     * The other clients' storms (OkHttp, Apache 5, HttpURLConnection): light requests, but at 1 s
     * a storm that started beside another child's start-up once had only 469 in flight and never
     * waited (Apache 5, JDK 17): 2 s needs 250 a second.
     */
    static final Duration LATENCY = Duration.ofMillis(2000);
    static final int ROUNDS = (REQUESTS + CAP - 1) / CAP;
    /** The signature of a reclaimed pooled connection that a client used anyway. */
    static final String SOCKET_CLOSED = "java.net.SocketException:Socket_closed";

    /** {@link #SDK_LATENCY}: the AWS SDK's storms. */
    static StubServices sdkStub;
    /** {@link #LATENCY}: the other clients' storms. */
    static StubServices stub;
    /**
     * For the idle-pools test: 0.5 s replies, long enough that each burst of 50 is concurrent (the
     * pools fill the cap: 498-504 of 512 open at the probe).
     */
    static StubServices idleStub;

    @BeforeAll
    static void startStub() {
        sdkStub = StubServices.start(SDK_LATENCY, Duration.ZERO);
        stub = StubServices.start(LATENCY, Duration.ZERO);
        idleStub = StubServices.start(Duration.ofMillis(500), Duration.ZERO);
    }

    @AfterAll
    static void stopStub() {
        for (StubServices s : new StubServices[] {sdkStub, stub, idleStub}) {
            if (s != null) {
                s.close();
            }
        }
    }

    static Duration latency(String kind) {
        return kind.startsWith("sdk-") ? SDK_LATENCY : LATENCY;
    }

    /**
     * The rounds of the server's latency plus 30 s for a 2-core machine shared with other builds (the
     * AWS SDK's requests are CPU-heavy: 31-36 s at a load average of 28). A max-wait stall is caught
     * exactly by {@code TimeoutsTotal == 0} (a waiter that waited the whole 30 s); without
     * reclamation the storm would not end at all.
     */
    static long maxElapsedMillis(String kind) {
        return ROUNDS * latency(kind).toMillis() + 30_000;
    }

    static ChildResult storm(Jdk jdk, String kind, String... systemProperties) {
        ChildJvm child = ChildJvm.on(jdk, "pool-" + kind)
                .withAgent("max.sockets=" + CAP)
                .main(ClientStormApp.class, kind, (kind.startsWith("sdk-") ? sdkStub : stub).endpoint(), REQUESTS)
                .classPath(ClientLibs.jars())
                .jvmOption("-Xss256k")
                .systemProperty("it.mbean.wait.millis", 10_000)
                .timeout(Duration.ofSeconds(180));
        for (int i = 0; i + 1 < systemProperties.length; i += 2) {
            child.systemProperty(systemProperties[i], systemProperties[i + 1]);
        }
        ChildResult r = child.run();
        System.out.println(r.name + ": " + String.join("\n  ", r.linesStartingWith("storm"))
                + "\n  " + String.join("\n  ", r.linesStartingWith("failure")) + "\n  peak TCP socket fds "
                + r.peakTcpSocketFds + ", reclaimed " + ChildResult.values(r.line("gate after")).get("ReclaimedSocketsTotal")
                + ", waits " + ChildResult.values(r.line("gate after")).get("WaitsTotal") + ", over cap "
                + ChildResult.values(r.line("gate after")).get("OverCapTotal") + ", child wall " + r.wallMillis + " ms");
        return r.assertSucceeded();
    }

    /** The failure kinds the child printed: chain of exception class:message -> count. */
    static Map<String, Long> failureKinds(ChildResult r) {
        return r.linesStartingWith("failure").stream().map(ChildResult::values)
                .collect(Collectors.toMap(v -> v.get("kind"), v -> Long.parseLong(v.get("count"))));
    }

    /** A pool storm; every client here keeps idle connections in its pool that the agent must reclaim. */
    static void assertPooledStorm(ChildResult r) {
        String kind = ChildResult.values(r.line("storm")).get("kind");
        long maxElapsedMillis = maxElapsedMillis(kind);
        long ok = r.number("storm", "ok");
        long failed = r.number("storm", "failed");
        Map<String, Long> kinds = failureKinds(r);
        assertAll(r.toString(),
            () -> assertEquals(1024, r.nofileLimit, "the child's descriptor limit"),
            () -> assertEquals(REQUESTS, ok + failed, "every request ended"),
            () -> assertEquals(0, r.number("storm", "emfile"), "requests that died of 'Too many open files'"),
            // Even a client that re-checks its pooled connections can take one in the very instant
            // the agent closes it: at most 0.1%, and only that (docs/supported-clients.md).
            () -> assertTrue(failed <= REQUESTS / 1000 && kinds.keySet().stream().allMatch(k -> k.endsWith(SOCKET_CLOSED)),
                    "failed requests: " + kinds),
            () -> assertTrue(r.peakTcpSocketFds <= CAP, "TCP socket descriptors in /proc/<pid>/fd peaked at "
                    + r.peakTcpSocketFds + ", above the cap " + CAP),
            () -> assertTrue(r.number("gate after", "PeakOpenSockets") <= CAP, "the MBean's PeakOpenSockets"),
            // The premise: the storm pushed against the cap (threads waited at it), else it proved
            // nothing about the pools' idle connections.
            () -> assertTrue(r.number("gate after", "PeakOpenSockets") >= CAP - CAP / 64, "the storm filled the cap"),
            () -> assertTrue(r.number("gate after", "WaitsTotal") > 0, "threads waited at the cap: the storm tested it"),
            () -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that ran into max.wait.millis"),
            () -> assertEquals(0, r.number("gate after", "OverCapTotal"), "sockets counted above the cap"),
            () -> assertTrue(r.number("storm", "elapsedMs") < maxElapsedMillis, "the storm took "
                    + r.number("storm", "elapsedMs") + " ms; " + ROUNDS + " rounds of " + latency(kind).toMillis()
                    + " ms should take well under " + maxElapsedMillis + " ms (a stall costs 30 s)"),
            () -> assertTrue(r.number("gate after", "ReclaimedSocketsTotal") > 0,
                    "threads waited at the cap while the pool kept its idle connections: idle pooled "
                    + "sockets were reclaimed (else the storm would have stalled)"));
    }

    // Which JDKs: the storms of the third-party clients (OkHttp, Apache 5, the AWS SDK over Apache 4
    // and over the URL-connection client) run on JDK 17 and 25. What they test is library code (the
    // pools, and the agent's advice on Apache's isOpen() and OkHttp's health check) over the JDK's
    // socket classes; on JDK 21 those socket classes carry the HttpURLConnection storm below (its
    // keep-alive cache is JDK code), every one of these clients goes through reclaimed connections
    // in the eleven idle pools, and the AWS SDK over both transports serves LambdaRuntimeIT's warm
    // function (three invocations of 3,300 calls at the default cap, with idle pooled connections
    // reclaimed). Four storms less (11-20 s, 8-16 s of CPU each).

    /**
     * OkHttp 5 {@code execute} from 3,300 threads (pool of 5,000 kept 5 min). Its pool's health check
     * asks {@code Socket.isClosed()}, and the reclaimer closes the {@code Socket} itself: a reclaimed
     * connection is discarded, never used.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void okHttpExecuteCompletesEveryRequestUnderTheCap(Jdk jdk) {
        assertPooledStorm(storm(jdk, "okhttp-execute"));
    }

    /**
     * Apache HttpClient 5 classic, PoolingHttpClientConnectionManager max 5,000 (5,000 per route).
     * Its pool re-checks a leased connection only after 2 s of inactivity and asks its own state in
     * {@code isOpen()}: the agent makes {@code isOpen()} say false for a reclaimed connection (Apache
     * connects anew) and claims the connection it says true for (the reclaimer leaves it alone).
     * Before that, 25-35 of 3,300 requests failed with "Socket closed".
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void apacheHttpClient5ClassicCompletesEveryRequestUnderTheCap(Jdk jdk) {
        assertPooledStorm(storm(jdk, "apache5"));
    }

    /**
     * AWS SDK v2 DynamoDB over ApacheHttpClient (HttpClient 4; maxConnections 5,000): as Apache 5.
     * Before the {@code isOpen()} advice, a run now and then failed 20 requests with "Socket closed"
     * once the SDK's retry token bucket was empty.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void awsSdkDynamoDbOverApacheClientCompletesEveryRequestUnderTheCap(Jdk jdk) {
        assertPooledStorm(storm(jdk, "sdk-apache"));
    }

    /** AWS SDK v2 DynamoDB over UrlConnectionHttpClient (the JDK keep-alive cache, raised to 5,000). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void awsSdkDynamoDbOverUrlConnectionClientCompletesEveryRequestUnderTheCap(Jdk jdk) {
        assertPooledStorm(storm(jdk, "sdk-urlconnection", "http.maxConnections", "5000"));
    }

    /** HttpURLConnection with keep-alive ({@code -Dhttp.maxConnections=5000}). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void httpUrlConnectionWithKeepAliveCompletesEveryRequestUnderTheCap(Jdk jdk) {
        assertPooledStorm(storm(jdk, "urlconnection", "http.maxConnections", "5000"));
    }

    /** The eleven clients of the idle-pools test: the blocking pooled clients and the JDK HttpClient. */
    static final List<String> ELEVEN = List.of("apache5", "apache5", "apache5", "okhttp-execute", "okhttp-execute",
            "sdk-apache", "sdk-apache", "sdk-apache", "urlconnection", "jdk-httpclient", "jdk-httpclient");
    /**
     * The long poll is written once the pools are full: 6 s covers the probe and the second wave
     * (1-2 s, all clients at once) with room for a loaded machine.
     */
    static final long LONG_POLL_MILLIS = 6_000;

    /**
     * Eleven clients keep 50 idle pooled connections each (550, cap 512) while a long poll is
     * blocked in {@code read}: a new connection at the cap proceeds at once by reclaiming an idle one
     * (not after the 30 s max wait), the long poll is never reclaimed and gets its reply, and a second
     * wave of 50 requests per client, all clients at once through pools holding reclaimed
     * connections, all succeed.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#withJdk21")
    void elevenIdlePoolsAtTheCapLetANewConnectionThroughAtOnceAndNeverCloseALongPoll(Jdk jdk) {
        ChildResult r;
        try (io.emfileguard.it.harness.LatencyServer longPollServer = io.emfileguard.it.harness.LatencyServer
                .start(Duration.ofMillis(LONG_POLL_MILLIS))) {
            List<Object> args = new java.util.ArrayList<>(List.of(idleStub.endpoint(), longPollServer.port(),
                    LONG_POLL_MILLIS));
            args.addAll(ELEVEN);
            r = ChildJvm.on(jdk, "pool-idle-eleven")
                    .withAgent("max.sockets=512")
                    .main(IdlePoolsApp.class, args.toArray())
                    .classPath(ClientLibs.jars())
                    .jvmOption("-Xss256k")
                    .systemProperty("http.maxConnections", 5000)
                    .systemProperty("it.mbean.wait.millis", 10_000)
                    .timeout(Duration.ofSeconds(150))
                    .run();
        }
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()) + "\n  peak TCP socket fds "
                + r.peakTcpSocketFds);
        r.assertSucceeded();
        Map<String, String> probe = ChildResult.values(r.line("probe"));
        Map<String, String> longPoll = ChildResult.values(r.line("longpoll"));
        List<Map<String, String>> wave2 = r.linesStartingWith("storm").stream().map(ChildResult::values)
                .filter(v -> v.get("kind").startsWith("wave2-")).collect(Collectors.toList());
        assertAll(r.toString(),
            () -> assertTrue(r.peakTcpSocketFds <= 512, "TCP socket descriptors peaked at " + r.peakTcpSocketFds),
            // Two JDK HttpClients are among the pools: waiting threads stop max(2, cap/64) below the
            // cap, the room the HttpClient's own threads may need (see docs/how-it-works.md).
            // (The fill's eleven bursts run side by side: a client may reuse a connection within its
            // burst, so the peak can stop a few short of that line: 500 seen.)
            () -> assertTrue(r.number("gate after", "PeakOpenSockets") <= 512 - 512 / 64,
                    "the pools filled the cap only up to the reserve for threads that cannot wait"),
            () -> assertTrue(Long.parseLong(probe.get("openBefore")) >= 400, "the pools kept their connections: " + probe),
            () -> assertEquals(probe.get("openBefore"), probe.get("capForProbe"), "the cap was full of idle sockets: " + probe),
            // One slice (100 ms) and its reclaims: the probe needs back the reserve's 8 units as well as
            // its own (the cap is lowered to what the pools hold); one reclaim per slice took 0.8-2.2 s.
            () -> assertTrue(Long.parseLong(probe.get("connectMs")) < 1000,
                    "a new connection at the cap proceeded at once (not after the 30 s max wait): " + probe),
            () -> assertTrue(Long.parseLong(probe.get("reclaimedAfter")) > Long.parseLong(probe.get("reclaimedBefore")),
                    "it got its slot by reclaiming an idle pooled socket: " + probe),
            // The long poll was blocked in read while the probe took an idle socket's slot (else the
            // test below would prove nothing: a long poll that has its reply is no longer at risk).
            () -> assertEquals("true", probe.get("longPollInFlight"), "the long poll was in progress at the probe: "
                    + probe),
            () -> assertEquals("OK_LONGPOLL_1", longPoll.get("reply"), "the long poll got its reply: " + longPoll),
            () -> assertTrue(Long.parseLong(longPoll.get("elapsedMs")) >= LONG_POLL_MILLIS - 100,
                    "the reply came after the server's " + LONG_POLL_MILLIS + " ms: " + longPoll),
            () -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that ran into max.wait.millis"),
            () -> assertEquals(0, r.number("gate after", "OverCapTotal"), "sockets counted above the cap"),
            () -> assertEquals(ELEVEN.size(), wave2.size(), "a second wave per client"),
            () -> assertTrue(r.linesStartingWith("storm").stream().map(ChildResult::values)
                    .allMatch(v -> "0".equals(v.get("emfile"))), "no request died of EMFILE"),
            () -> {
                for (Map<String, String> w : wave2) {
                    assertEquals(String.valueOf(IdlePoolsApp.PER_CLIENT), w.get("ok"),
                            "every request of the second wave succeeded, through pools holding reclaimed connections: " + w);
                }
                assertEquals(List.of(), r.linesStartingWith("failure"), "no request failed");
            });
    }

    // The JDK HttpClient's pool (sendAsync, keep-alive rounds) is HttpClientBurstIT's; here it is one of
    // the eleven idle pools. (Its storm at cap 500, sendAsync x 3,300, counted 258 sockets above the cap
    // on JDK 17 - 700 open: the open issue HttpClientBurstIT shows at the default cap.)
}
