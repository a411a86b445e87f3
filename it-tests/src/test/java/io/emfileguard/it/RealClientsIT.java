package io.emfileguard.it;

import example.apps.clients.ClientStormApp;
import example.apps.clients.EventLoopClientsApp;
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
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 6: real clients configured the way an application that hits EMFILE configures them (pools
 * raised, or a new connection per call), 2,000 concurrent requests against the stub services
 * (2.5 s ± 0.3 s), the default cap (896 under 1,024 descriptors).
 *
 * <p>Where each client is proven (one storm per client): plain {@code java.net.Socket} in
 * {@link StormIT}; HttpURLConnection with keep-alive, Apache HttpClient 5 classic, OkHttp
 * {@code execute}, the AWS SDK over apache-client and url-connection-client and the JDK HttpClient
 * in {@link ConnectionPoolIT} (cap 500, pools raised); the JDK HttpClient at the default cap in
 * {@code HttpClientBurstIT}. Here: HttpURLConnection without keep-alive, OkHttp {@code enqueue}, a
 * blocking {@code SocketChannel}, and the event-loop clients: a raw Netty {@code Bootstrap} with
 * {@code event.loop.at.cap=count} (default) and {@code fail}, and the AWS SDK's netty-nio-client,
 * whose pool acquires wait at the cap as deferred work (issue 25) in both modes.
 */
@Order(3) // longest first: see junit-platform.properties
class RealClientsIT {
    /** Three rounds of the default cap (896): 3,000 (four rounds) proved nothing more (issue 17). */
    static final int REQUESTS = 2000;
    static final int CAP = 896;
    /** The cap the event-loop test lowers to (MBean) for the SDK's Netty client, and its requests. */
    static final int SDK_CAP = 100;
    static final int SDK_REQUESTS = 400;
    /**
     * The requests {@code Bootstrap.connect} makes from the caller's thread in the event-loop test:
     * more than the cap, so that the caller waits at it while the loops' sockets go above it (3,000
     * proved nothing more, in two more rounds of the latency: issue 17).
     */
    static final int CALLER_REQUESTS = 1500;
    static StubServices stub;

    @BeforeAll
    static void startStub() {
        // 2.5 s: at 1.5 s a loaded machine once started 3,000 threads so slowly that none ever
        // waited (peak exactly 896, WaitsTotal 0), and the storm proved nothing; at 2 s the JDK 17
        // SocketChannel storm, beside another child on a slow day, peaked at 786 with 0 waits
        // (2026-12-02): the first replies came back before 896 sockets were open.
        stub = StubServices.start(Duration.ofMillis(2500), Duration.ofMillis(300));
    }

    @AfterAll
    static void stopStub() {
        if (stub != null) {
            stub.close();
        }
    }

    static ChildResult storm(Jdk jdk, String label, String kind, String... systemProperties) {
        ChildJvm child = ChildJvm.on(jdk, "real-" + label)
                .withAgent()
                .main(ClientStormApp.class, kind, stub.endpoint(), REQUESTS)
                .classPath(ClientLibs.jars())
                .jvmOption("-Xss256k")
                .systemProperty("it.mbean.wait.millis", 10_000)
                .timeout(Duration.ofSeconds(180));
        for (int i = 0; i + 1 < systemProperties.length; i += 2) {
            child.systemProperty(systemProperties[i], systemProperties[i + 1]);
        }
        ChildResult r = child.run();
        System.out.println(r.name + ": " + String.join("\n  ", r.linesStartingWith("storm")) + "\n  "
                + String.join("\n  ", r.linesStartingWith("failure")) + "\n  peak TCP socket fds " + r.peakTcpSocketFds
                + "; " + r.line("gate after"));
        return r.assertSucceeded();
    }

    static Map<String, Long> failureKinds(ChildResult r) {
        return r.linesStartingWith("failure").stream().map(ChildResult::values)
                .collect(Collectors.toMap(v -> v.get("kind"), v -> Long.parseLong(v.get("count")), Long::sum));
    }

    static void assertBlockingStorm(ChildResult r, boolean backToBaseline) {
        long failed = r.number("storm", "failed");
        Map<String, Long> kinds = failureKinds(r);
        assertAll(r.toString(),
            () -> assertEquals(1024, r.nofileLimit, "the child's descriptor limit"),
            () -> assertEquals(REQUESTS, r.number("storm", "ok") + failed, "every request ended"),
            () -> assertEquals(0, r.number("storm", "emfile"), "requests that died of 'Too many open files'"),
            () -> assertEquals(0, failed, "failed requests: " + kinds),
            () -> assertTrue(r.peakTcpSocketFds <= CAP, "TCP socket descriptors peaked at " + r.peakTcpSocketFds
                    + ", above the cap " + CAP),
            () -> assertTrue(r.peakTcpSocketFds >= CAP / 2, "the storm pushed against the cap: TCP peak "
                    + r.peakTcpSocketFds),
            () -> assertEquals(CAP, r.number("gate after", "MaxSockets"), "the default cap under 1,024"),
            () -> assertTrue(r.number("gate after", "WaitsTotal") > 0, "threads waited at the cap"),
            () -> assertEquals(0, r.number("gate after", "TimeoutsTotal"), "waits that ran into max.wait.millis"),
            () -> assertEquals(0, r.number("gate after", "OverCapTotal"), "sockets counted above the cap"),
            () -> {
                if (backToBaseline) {
                    assertEquals(r.number("gate before", "OpenSockets"), r.number("gate closed", "OpenSockets"),
                            "OpenSockets is back at its baseline");
                }
            });
    }

    /** {@code -Dhttp.keepAlive=false}: a new connection per request, closed after its reply. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void httpUrlConnectionWithoutKeepAliveCompletesEveryRequestUnderTheDefaultCap(Jdk jdk) {
        assertBlockingStorm(storm(jdk, "urlconnection-no-keepalive", "urlconnection", "http.keepAlive", "false"), true);
    }

    /**
     * OkHttp 5 {@code enqueue} with the dispatcher's maxRequests/maxRequestsPerHost raised to 5,000:
     * the dispatcher's threads connect, and wait at the cap like any blocking caller. A reclaimed
     * pooled connection fails OkHttp's health check and is never used (as with {@code execute}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void okHttpEnqueueCompletesEveryCallUnderTheDefaultCap(Jdk jdk) {
        assertBlockingStorm(storm(jdk, "okhttp-enqueue", "okhttp-enqueue"), false);
    }

    /** A blocking {@code SocketChannel.open(address)} per request (HTTP/1.1, Connection: close). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void blockingSocketChannelCompletesEveryRequestUnderTheDefaultCap(Jdk jdk) {
        assertBlockingStorm(storm(jdk, "socketchannel", "socketchannel"), true);
    }

    static ChildResult eventLoops(Jdk jdk, String mode) {
        ChildJvm child = ChildJvm.on(jdk, "real-event-loops-" + mode)
                .withAgent(mode == null ? null : "event.loop.at.cap=" + mode)
                .main(EventLoopClientsApp.class, stub.endpoint(), CALLER_REQUESTS, SDK_CAP, SDK_REQUESTS)
                .classPath(ClientLibs.jars())
                .systemProperty("it.mbean.wait.millis", 10_000)
                .timeout(Duration.ofSeconds(240));
        ChildResult r = child.run();
        System.out.println(r.name + ":\n  " + String.join("\n  ", r.stdoutLines()) + "\n  peak TCP socket fds "
                + r.peakTcpSocketFds);
        return r.assertSucceeded();
    }

    static long n(Map<String, String> values, String key) {
        String v = values.get(key);
        return v == null ? 0 : Long.parseLong(v);
    }

    /** What both modes share: where sockets are opened, and that no event loop ever waited. */
    static void assertEventLoopsNeverParked(ChildResult r, Map<String, String> opened, Map<String, String> parked,
                                            Map<String, String> caller) {
        assertAll(r.toString(),
            () -> assertEquals(0, n(caller, "failed"), "Bootstrap.connect from the caller's thread: no failure " + caller),
            () -> assertEquals(CALLER_REQUESTS, n(caller, "ok"), "every caller-thread request completed " + caller),
            () -> assertTrue(n(opened, "netty.caller") >= CALLER_REQUESTS,
                    "Bootstrap.connect creates its channel on the caller's thread: " + opened),
            () -> assertEquals(20, n(opened, "netty.eventloop"), "the 20 connects issued inside the event loop: " + opened),
            () -> assertEquals(0, n(opened, "sdk.caller"), "the SDK's Netty client never opens on the caller's thread: "
                    + opened),
            () -> assertTrue(n(opened, "sdk.eventloop") > 0, "the SDK opens its connections on its event loop: "
                    + opened),
            () -> assertTrue(n(parked, "eventLoopThreads") >= 4, "the sampler watched both groups' loops: " + parked),
            () -> assertEquals(0, n(parked, "eventLoopParkedSamples"), "no event-loop thread was ever parked: " + parked),
            () -> assertTrue(n(parked, "mainParkedSamples") > 0,
                    "the sampler does see a thread parked at the cap (the caller of Bootstrap.connect): " + parked),
            () -> assertTrue(r.number("gate netty", "WaitsTotal") > 0, "the caller's thread waited at the cap"),
            () -> assertEquals(0, r.number("gate sdk", "TimeoutsTotal"), "waits that ran into max.wait.millis"));
    }

    /**
     * What both modes share for the SDK's Netty client at its lowered cap: its pool acquires wait as
     * deferred work (the event loop goes on), so it never opens more than the cap, nothing of it is
     * counted above the cap or refused, and every request completes.
     */
    static void assertSdkWaitedAtTheCap(ChildResult r, Map<String, String> opened, Map<String, String> sdk) {
        assertAll(r.toString(),
            () -> assertEquals(SDK_REQUESTS, n(sdk, "ok"), "every SDK request completed: " + sdk),
            () -> assertEquals(0, n(sdk, "refused"), "no SDK request refused: " + sdk),
            () -> assertTrue(r.number("gate sdk", "WaitsTotal") > r.number("gate netty", "WaitsTotal"),
                    "the SDK's acquires waited at the lowered cap"),
            () -> assertEquals(r.number("gate netty", "OverCapTotal"), r.number("gate sdk", "OverCapTotal"),
                    "no SDK socket counted above the cap"),
            () -> assertEquals(r.number("gate netty", "RefusedConnectsTotal"),
                    r.number("gate sdk", "RefusedConnectsTotal"), "no SDK socket refused"),
            () -> assertTrue(n(opened, "sdk.eventloop") <= SDK_CAP, "the SDK opened at most the cap, reusing its "
                    + "connections for the acquires that waited: " + opened));
    }

    /**
     * {@code event.loop.at.cap=count} (the default): connects from the caller's thread wait at the
     * cap; a socket a raw {@code Bootstrap.connect} opens on an event loop at the cap is counted above
     * it (OverCapTotal), never parked and never refused: Netty's 20 event-loop connects complete.
     * Counted-only: nothing keeps such a connect from EMFILE. The SDK's pool acquires wait instead.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void eventLoopConnectsAtTheCapAreCountedAboveItAndNeverParked(Jdk jdk) {
        ChildResult r = eventLoops(jdk, null);
        Map<String, String> opened = ChildResult.values(r.line("openedOn"));
        Map<String, String> parked = ChildResult.values(r.line("parked"));
        Map<String, String> caller = r.storm("netty-caller");
        Map<String, String> loop = r.storm("netty-eventloop");
        Map<String, String> sdk = r.storm("sdk-netty");
        assertEventLoopsNeverParked(r, opened, parked, caller);
        assertAll(r.toString(),
            () -> assertEquals(20, n(loop, "ok"), "the event-loop connects completed: " + loop),
            () -> assertTrue(r.number("gate netty", "OverCapTotal") >= 20, "counted above the cap"),
            () -> assertEquals(0, r.number("gate sdk", "RefusedConnectsTotal"), "nothing refused"),
            () -> assertTrue(r.peakTcpSocketFds <= CAP + 20,
                    "the kernel saw at most the cap plus the 20 event-loop sockets: " + r.peakTcpSocketFds));
        assertSdkWaitedAtTheCap(r, opened, sdk);
    }

    /**
     * {@code event.loop.at.cap=fail}: a socket an event loop opens at the cap is refused before the
     * kernel is asked, with a {@code ConnectException} that names the setting; no EMFILE, and the
     * kernel never sees more than the cap. Connects from the caller's thread still wait, and so do
     * the SDK's pool acquires (deferred, not refused).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.emfileguard.it.harness.Jdk#all")
    void eventLoopConnectsAtTheCapFailWithAConnectExceptionNamingTheSetting(Jdk jdk) {
        ChildResult r = eventLoops(jdk, "fail");
        Map<String, String> opened = ChildResult.values(r.line("openedOn"));
        Map<String, String> parked = ChildResult.values(r.line("parked"));
        Map<String, String> caller = r.storm("netty-caller");
        Map<String, String> loop = r.storm("netty-eventloop");
        Map<String, String> sdk = r.storm("sdk-netty");
        assertEventLoopsNeverParked(r, opened, parked, caller);
        assertAll(r.toString(),
            () -> assertEquals(20, n(loop, "refused"), "each event-loop connect at the cap was refused with a "
                    + "ConnectException naming event.loop.at.cap: " + loop),
            () -> assertEquals(0, n(loop, "emfile"), "no EMFILE"),
            () -> assertTrue(r.number("gate netty", "RefusedConnectsTotal") >= 20, "RefusedConnectsTotal"),
            () -> assertEquals(0, n(sdk, "emfile"), "no EMFILE"),
            () -> assertEquals(0, r.number("gate sdk", "OverCapTotal"), "nothing counted above the cap"),
            () -> assertTrue(r.peakTcpSocketFds <= CAP, "the kernel never saw more than the cap: "
                    + r.peakTcpSocketFds));
        assertSdkWaitedAtTheCap(r, opened, sdk);
    }
}
