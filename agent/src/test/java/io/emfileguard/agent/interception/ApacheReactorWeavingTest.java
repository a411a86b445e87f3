package io.emfileguard.agent.interception;

import io.emfileguard.core.TestEvents;
import io.emfileguard.core.apache.ApacheAsyncHooks;
import io.emfileguard.core.apache.ApacheAsyncTestAccess;
import io.emfileguard.core.GateSettings;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Apache HttpCore 5 rows of {@link InterceptionPoints}, woven into the real HttpCore 5 classes
 * (the version on the test class path) and loaded by a class loader that verifies them: every row
 * finds its method, and a real {@code DefaultConnectingIOReactor} connects through the woven code
 * (with room, at the cap, cancelled, granted). The JDK is not woven here, so the reactor's channel
 * open never uses its pre-paid unit: the request's completion gives it back
 * ({@code IOSessionRequest.completed}); {@code ApacheAsyncHooksTest} covers the open itself.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApacheReactorWeavingTest {
    private static final String DRIVER = ApacheReactorDriver.class.getName();

    private final List<String> missing = Collections.synchronizedList(new ArrayList<>());
    private final List<String> woven = Collections.synchronizedList(new ArrayList<>());
    private final List<Throwable> internalErrors = Collections.synchronizedList(new ArrayList<>());
    private SocketGate gate;
    private ServerSocket server;
    private ReactorDriver driver;

    /** Defines HttpCore 5 (woven where the table says) and the driver itself; the rest comes from the test's loader. */
    private final class WovenHttpCore extends ClassLoader {
        private final Map<String, List<InterceptionPoint>> points = new HashMap<>();

        WovenHttpCore() {
            super(ApacheReactorWeavingTest.class.getClassLoader());
            for (InterceptionPoint p : InterceptionPoints.ALL) {
                if (p.className.startsWith("org.apache.hc.core5.reactor.")) {
                    points.computeIfAbsent(p.className, k -> new ArrayList<>()).add(p);
                }
            }
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("org.apache.hc.core5.") && !name.startsWith(DRIVER)) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    byte[] bytes;
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        bytes = in.readAllBytes();
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                    List<InterceptionPoint> forClass = points.get(name);
                    if (forClass != null) {
                        byte[] w = Weaver.weave(bytes, forClass, (p, what) -> missing.add(p + " " + what));
                        if (w != null) {
                            bytes = w;
                            woven.add(name);
                        }
                    }
                    c = defineClass(name, bytes, 0, bytes.length);
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress()); // connects complete in its backlog
    }

    private void install(int cap) throws Exception {
        gate = new SocketGate(new GateSettings(cap, 100, 60_000, GateSettings.OnTimeout.FAIL, null));
        SocketHooks.install(gate, new SocketRegistry(gate), null, TestEvents.onInternalError((where, e) -> internalErrors.add(e)));
        driver = (ReactorDriver) Class.forName(DRIVER, true, new WovenHttpCore()).getConstructor().newInstance();
    }

    @AfterEach
    void stop() throws Exception {
        if (driver != null) {
            driver.close();
        }
        server.close();
        SocketHooks.install(null, null, null, null);
        assertEquals(List.of(), internalErrors, "internal errors");
    }

    private InetSocketAddress serverAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "never happened: " + what);
            Thread.onSpinWait();
        }
    }

    @Test
    void everyApacheReactorRowFindsItsMethodAndTheWovenClassesVerify() throws Exception {
        install(4);
        ClassLoader loader = driver.getClass().getClassLoader();
        Class.forName("org.apache.hc.core5.reactor.SingleCoreIOReactor", true, loader);
        Class.forName("org.apache.hc.core5.reactor.IOSessionRequest", true, loader);
        assertEquals(List.of(), missing, "rows that found no method in this HttpCore 5");
        assertTrue(woven.containsAll(List.of("org.apache.hc.core5.reactor.SingleCoreIOReactor",
                "org.apache.hc.core5.reactor.IOSessionRequest")), "woven: " + woven);
    }

    @Test
    void withRoomTheConnectTakesItsUnitAtOnceAndAnUnusedOneComesBackWithTheRequest() throws Exception {
        install(4);
        Future<?> f = driver.connect(serverAddress(), 5_000);
        assertEquals("org.apache.hc.core5.reactor.IOSessionRequest", f.getClass().getName());
        assertEquals(1, gate.openSockets(), "taken at the connect");
        await(() -> driver.completed() == 1, "connected");
        await(() -> gate.openSockets() == 0, "the unit the (unwoven) open did not use came back");
        assertEquals(0, ApacheAsyncTestAccess.prePaidWaiting());
        assertEquals(1, driver.completed() + driver.failed() + driver.cancelled());
    }

    @Test
    void atTheCapTheWovenConnectReturnsAtOnceAndACancelEndsItsWait() throws Exception {
        install(1);
        gate.acquire(true);
        Future<?> f = driver.connect(serverAddress(), 5_000);
        assertInstanceOf(ApacheAsyncHooks.DeferredConnect.class, f, "the skipped body's future");
        assertEquals(1, gate.deferredWaiting());
        assertTrue(f.cancel(true));
        assertEquals(1, driver.cancelled());
        assertEquals(0, driver.completed() + driver.failed());
        assertEquals(0, gate.waitingThreads());
        gate.release();
        assertEquals(0, gate.openSockets());
    }

    @Test
    void aConnectWhoseReactorShutDownWhileItWaitedIsCancelledWhenGranted() throws Exception {
        install(1);
        gate.acquire(true);
        Future<?> f = driver.connect(serverAddress(), 5_000);
        driver.close(); // as HttpCore cancels the requests a reactor had queued at its shutdown
        gate.release();
        await(() -> driver.cancelled() == 1, "cancelled once granted");
        assertTrue(f.isCancelled());
        assertEquals(0, driver.completed() + driver.failed());
        assertEquals(0, gate.openSockets(), "the granted unit came back");
        assertEquals(0, ApacheAsyncTestAccess.prePaidWaiting());
    }

    @Test
    void aGrantedConnectRunsAgainThroughTheRealReactorAndConnects() throws Exception {
        install(1);
        gate.acquire(true);
        Future<?> f = driver.connect(serverAddress(), 5_000);
        assertInstanceOf(ApacheAsyncHooks.DeferredConnect.class, f);
        assertFalse(f.isDone());
        gate.release();
        await(() -> driver.completed() == 1, "connected once granted");
        assertTrue(f.isDone());
        assertFalse(f.isCancelled());
        await(() -> gate.openSockets() == 0, "the granted unit the (unwoven) open did not use came back");
        assertEquals(1, driver.completed() + driver.failed() + driver.cancelled());
    }
}
