package io.emfileguard.core.apache;

import io.emfileguard.core.TestEvents;
import io.emfileguard.core.AddressRule;
import io.emfileguard.core.DeferredDelivery;
import io.emfileguard.core.GateSettings;
import io.emfileguard.core.MovableClock;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateTimeoutException;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketRegistry;

import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.net.Host;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Apache HttpCore 5's connects at the gate ({@link ApacheAsyncHooks}), on a stand-in reactor that
 * calls the hooks where the woven library does: a connect takes its unit when it is made and the
 * reactor's later open uses it (never a second one); at the cap a connect waits in the gate's queue
 * without a thread and runs again when a unit frees; its callback completes exactly once on every
 * path (grant, cancel, connect timeout, max wait, failure); and on every path each unit taken comes
 * back exactly once, so the count ends where the sockets say.
 */
@org.junit.jupiter.api.Timeout(value = 60, unit = TimeUnit.SECONDS)
class ApacheAsyncHooksTest {

    private final MovableClock clock = new MovableClock();
    private final List<Throwable> internalErrors = Collections.synchronizedList(new ArrayList<>());
    private final ApacheReactorStandIn reactor = new ApacheReactorStandIn();
    /** The reactor's thread: an event loop (it selects before it opens). */
    private final ExecutorService reactorThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "stand-in-reactor"));
    private final InetSocketAddress server = new InetSocketAddress("127.0.0.1", 9);
    private SocketGate gate;

    private SocketGate install(int cap, long maxWaitMillis, GateSettings.OnTimeout onTimeout) {
        gate = new SocketGate(new GateSettings(cap, 100, maxWaitMillis, onTimeout, null), clock);
        SocketHooks.install(gate, new SocketRegistry(gate), null, TestEvents.onInternalError((where, e) -> internalErrors.add(e)));
        return gate;
    }

    @AfterEach
    void uninstall() throws Exception {
        reactorThread.shutdownNow();
        for (SocketChannel c : reactor.opened) {
            c.close();
        }
        assertEquals(0, ApacheAsyncHooks.prePaidWaiting(), "a pre-paid unit outlived its test");
        SocketHooks.install(null, null, null, null);
        assertEquals(List.of(), internalErrors, "internal errors");
    }

    /** A {@code FutureCallback<IOSession>} that counts how it was completed (once is the contract). */
    static final class Callback implements FutureCallback<IOSession> {
        final AtomicInteger completed = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicInteger cancelled = new AtomicInteger();
        volatile Exception failure;
        volatile Thread ranOn;

        @Override
        public void completed(IOSession result) {
            completed.incrementAndGet();
            ranOn = Thread.currentThread();
        }

        @Override
        public void failed(Exception ex) {
            failure = ex;
            failed.incrementAndGet();
            ranOn = Thread.currentThread();
        }

        @Override
        public void cancelled() {
            cancelled.incrementAndGet();
            ranOn = Thread.currentThread();
        }

        int endings() {
            return completed.get() + failed.get() + cancelled.get();
        }
    }

    private Future<IOSession> connect(Timeout timeout, Callback callback) {
        return reactor.connect(new Host("127.0.0.1", 9), server, null, timeout, null, callback);
    }

    /** The reactor's thread processes its queued requests (the JDK's open goes through the hooks). */
    private void reactorRuns() throws Exception {
        reactorThread.submit(reactor::processPending).get(10, TimeUnit.SECONDS);
    }

    /** Waits (in real time, at most 10 s) for another thread to get somewhere; never for time to pass. */
    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "never happened: " + what);
            Thread.onSpinWait();
        }
    }

    // ---- room: the unit is taken at the connect, the reactor's open uses it

    @Test
    void underTheCapTheConnectTakesTheUnitAndTheReactorsOpenUsesIt() throws Exception {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        long opened = ApacheAsyncHooks.OPENED_TOTAL.get();
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofSeconds(3), cb);
        assertInstanceOf(ApacheReactorStandIn.Request.class, f, "the reactor's own request: nothing deferred");
        assertEquals(1, gate.openSockets(), "counted from the connect, before the reactor opens anything");
        assertEquals(1, ApacheAsyncHooks.prePaidWaiting());
        reactorRuns();
        assertEquals(1, reactor.opened.size());
        assertEquals(1, gate.openSockets(), "the open used the connect's unit: no second one");
        assertEquals(0, ApacheAsyncHooks.prePaidWaiting());
        assertEquals(opened + 1, ApacheAsyncHooks.OPENED_TOTAL.get());
        ApacheReactorStandIn.close(reactor.opened.get(0));
        assertEquals(0, gate.openSockets());
        assertFalse(gate.deliveryThreadRunning(), "nothing deferred: no agent thread");
    }

    @Test
    void aBurstOfConnectsCannotAllPassAnEmptyGate() throws Exception {
        install(3, 60_000, GateSettings.OnTimeout.FAIL);
        List<Future<IOSession>> futures = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            futures.add(connect(Timeout.ofSeconds(3), new Callback()));
        }
        assertEquals(3, gate.openSockets(), "three units, taken at the connects");
        assertEquals(2, gate.deferredWaiting(), "the rest wait, though the reactor has opened nothing yet");
        reactorRuns();
        assertEquals(3, reactor.opened.size());
        assertEquals(3, gate.openSockets());
        for (Future<IOSession> f : futures.subList(3, 5)) {
            assertTrue(f.cancel(true));
        }
    }

    @Test
    void aRequestCancelledBeforeTheReactorSeesItIsSkippedAndItsUnitComesBack() throws Exception {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofSeconds(3), cb);
        assertEquals(1, gate.openSockets());
        assertTrue(f.cancel(true));
        assertEquals(0, gate.openSockets(), "its unit came back at the cancel");
        reactorRuns();
        assertEquals(0, reactor.opened.size(), "the reactor skipped it");
        assertEquals(0, gate.openSockets());
        assertEquals(1, cb.cancelled.get());
        assertEquals(1, cb.endings());
    }

    @Test
    void aFailedOpenGivesTheUnitBackOnce() throws Exception {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        long refunded = ApacheAsyncHooks.REFUNDED_TOTAL.get();
        Callback cb = new Callback();
        connect(Timeout.ofSeconds(3), cb);
        reactor.openFails = true;
        reactorRuns();
        assertEquals(0, gate.openSockets(), "the failed open gave the unit back, the request's failure nothing more");
        assertEquals(refunded, ApacheAsyncHooks.REFUNDED_TOTAL.get(), "used by the open, so not refunded as well");
        assertEquals(1, cb.failed.get());
        assertEquals(1, cb.endings());
    }

    @Test
    void aConnectWhoseBodyThrowsGivesItsUnitBackAndTheErrorIsTheReactorsOwn() {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        reactor.bodyThrows = new IllegalStateException("I/O reactor has been shut down");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> connect(Timeout.ofSeconds(3), new Callback()));
        assertEquals("I/O reactor has been shut down", e.getMessage());
        assertEquals(0, gate.openSockets());
        assertEquals(0, ApacheAsyncHooks.prePaidWaiting());
    }

    @Test
    void aRequestThatCompletesWithoutUsingItsUnitGivesItBack() throws Exception {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        connect(Timeout.ofSeconds(3), new Callback());
        ApacheReactorStandIn.Request r = reactor.queue.poll(); // opened by a path the agent did not see
        r.completed();
        assertEquals(0, gate.openSockets(), "its pre-paid unit came back instead of counting twice");
        assertEquals(0, ApacheAsyncHooks.prePaidWaiting());
    }

    @Test
    void aLostPrePaidUnitExpiresAfterTheConnectTimeoutAndALateOpenTakesItsOwn() throws Exception {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        long expired = ApacheAsyncHooks.EXPIRED_TOTAL.get();
        connect(Timeout.ofSeconds(2), new Callback());
        clock.advanceMillis(1_999);
        assertEquals(0, ApacheAsyncHooks.expireLostPrePayments(), "not before its connect timeout");
        assertEquals(1, gate.openSockets());
        clock.advanceMillis(1);
        assertEquals(1, ApacheAsyncHooks.expireLostPrePayments());
        assertEquals(0, gate.openSockets(), "a lost pre-payment holds no unit for good");
        assertEquals(expired + 1, ApacheAsyncHooks.EXPIRED_TOTAL.get());
        reactorRuns(); // the reactor comes back after all
        assertEquals(1, reactor.opened.size());
        assertEquals(1, gate.openSockets(), "its open took a unit of its own: one socket, one unit");
    }

    @Test
    void aPrePaidUnitLivesAtLeastOneSecondAndMaxWaitWithoutAConnectTimeout() {
        install(2, 45_000, GateSettings.OnTimeout.FAIL);
        assertEquals(TimeUnit.SECONDS.toNanos(1), ApacheAsyncHooks.prePaidLifetimeNanos(gate, 10));
        assertEquals(TimeUnit.SECONDS.toNanos(3), ApacheAsyncHooks.prePaidLifetimeNanos(gate, 3_000));
        assertEquals(TimeUnit.SECONDS.toNanos(45), ApacheAsyncHooks.prePaidLifetimeNanos(gate, 0));
    }

    @Test
    void unixDomainAndExcludedTargetsAreNotTakenAtTheConnect() throws Exception {
        gate = new SocketGate(new GateSettings(2, 100, 60_000, GateSettings.OnTimeout.FAIL,
                List.of(AddressRule.parse("127.0.0.1"))), clock);
        SocketHooks.install(gate, new SocketRegistry(gate), null, TestEvents.onInternalError((where, e) -> internalErrors.add(e)));
        Future<IOSession> f = reactor.connect(new Host("127.0.0.1", 9), server, null, Timeout.ofSeconds(3), null,
                new Callback());
        assertInstanceOf(ApacheReactorStandIn.Request.class, f);
        assertEquals(0, gate.openSockets(), "an excluded target: counted when opened, never held");
        reactor.queue.clear();
        Future<IOSession> unix = reactor.connect(new Host("localhost", 0), java.net.UnixDomainSocketAddress.of("/tmp/s"),
                null, Timeout.ofSeconds(3), null, new Callback());
        assertInstanceOf(ApacheReactorStandIn.Request.class, unix);
        assertEquals(0, gate.openSockets(), "a Unix-domain socket: not counted");
        reactor.queue.clear();
    }

    // ---- the cap: deferred, without a thread

    @Test
    void atTheCapTheConnectWaitsWithoutAThreadAndRunsAgainWithTheFreedUnit() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true); // the cap is full
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofSeconds(3), cb);
        assertInstanceOf(ApacheAsyncHooks.DeferredConnect.class, f, "the caller got the deferred connect at once");
        assertTrue(reactor.queue.isEmpty(), "the reactor's body was skipped");
        assertEquals(1, gate.deferredWaiting());
        assertFalse(f.isDone());
        gate.release(); // a unit frees: the delivery thread runs the connect again
        await(() -> !reactor.queue.isEmpty(), "the connect ran again");
        assertTrue(reactor.connectedOn.get(0) instanceof DeferredDelivery.DeliveryThread, "on the gate's delivery thread");
        assertEquals(1, gate.openSockets(), "the granted unit, pre-paid to the reactor's open");
        assertEquals(1, ApacheAsyncHooks.prePaidWaiting());
        reactorRuns();
        assertEquals(1, reactor.opened.size());
        assertEquals(1, gate.openSockets(), "the open used the granted unit");
        assertEquals(0, cb.endings(), "the reactor's request completes the callback, not the wait");
        assertEquals(0, gate.waitingThreads());
        ApacheReactorStandIn.close(reactor.opened.get(0));
        assertEquals(0, gate.openSockets());
    }

    @Test
    void theDeferredConnectsFutureFollowsTheReactorsRequestOnceItRan() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofSeconds(3), cb);
        gate.release();
        await(() -> !reactor.queue.isEmpty(), "the connect ran again");
        ApacheReactorStandIn.Request r = reactor.queue.peek();
        reactorRuns();
        assertFalse(f.isDone());
        r.completed();
        assertNull(f.get(10, TimeUnit.SECONDS), "its request's result");
        assertTrue(f.isDone());
        assertFalse(f.isCancelled());
        assertEquals(1, cb.completed.get());
        assertEquals(1, cb.endings());
    }

    @Test
    void aCancelWhileWaitingLeavesTheQueueAndTheCallbackIsCancelledOnce() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofSeconds(3), cb);
        assertTrue(f.cancel(true));
        assertTrue(f.cancel(true), "still cancelled");
        assertEquals(1, cb.cancelled.get());
        assertEquals(1, cb.endings(), "completed once");
        assertTrue(f.isCancelled() && f.isDone());
        assertThrows(CancellationException.class, f::get);
        assertEquals(0, gate.waitingThreads(), "left the queue");
        gate.release();
        assertEquals(0, gate.openSockets(), "nobody took the freed unit");
        assertTrue(reactor.queue.isEmpty(), "never ran");
    }

    @Test
    void aCancelAfterTheGrantReachesTheReactorsRequestAndItsUnitComesBack() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofSeconds(3), cb);
        gate.release();
        await(() -> !reactor.queue.isEmpty(), "the connect ran again");
        assertEquals(1, gate.openSockets());
        assertTrue(f.cancel(true));
        // The cancel reaches the request at once, or (if the delivery thread is still handing it over)
        // as soon as the delivery thread has it.
        await(() -> gate.openSockets() == 0, "the unit pre-paid to its request came back");
        reactorRuns();
        assertTrue(reactor.opened.isEmpty(), "the reactor skipped the cancelled request");
        assertEquals(1, cb.cancelled.get());
        assertEquals(1, cb.endings());
    }

    @Test
    void theConnectTimeoutEndsTheWaitAsHttpCoresOwnConnectTimeout() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.PROCEED);
        gate.acquire(true);
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofMilliseconds(300), cb);
        long start = clock.nanoTime();
        advanceUntil(() -> cb.endings() > 0);
        long waited = (clock.nanoTime() - start) / 1_000_000;
        assertTrue(waited >= 300 && waited <= 400, "failed after " + waited + " ms of a 300 ms connect timeout");
        assertEquals(1, cb.failed.get());
        assertEquals(1, cb.endings());
        assertInstanceOf(SocketTimeoutException.class, cb.failure, "what HttpCore fails a connect timeout with");
        assertTrue(cb.failure.getMessage().startsWith("300 MILLISECONDS"), cb.failure.getMessage());
        assertTrue(cb.failure.getMessage().contains("emfile-guard"), cb.failure.getMessage());
        assertTrue(cb.ranOn instanceof DeferredDelivery.DeliveryThread);
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertSame(cb.failure, e.getCause());
        assertEquals(1, gate.openSockets(), "no unit taken");
        assertEquals(0, gate.stats().timeoutsTotal, "its own timeout, not max.wait.millis");
        assertEquals(0, gate.waitingThreads());
        assertTrue(reactor.queue.isEmpty());
    }

    @Test
    void maxWaitWithOnTimeoutFailFailsTheConnectWithTheGatesException() throws Exception {
        install(1, 300, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Callback cb = new Callback();
        connect(Timeout.ofMinutes(3), cb);
        advanceUntil(() -> cb.endings() > 0);
        assertEquals(1, cb.failed.get());
        assertInstanceOf(SocketGateTimeoutException.class, cb.failure);
        assertEquals(1, cb.endings());
        assertEquals(1, gate.openSockets());
        assertEquals(1, gate.stats().timeoutsTotal);
    }

    @Test
    void maxWaitWithProceedRunsTheConnectAboveTheCapAndTheOpenUsesThatUnit() throws Exception {
        install(1, 300, GateSettings.OnTimeout.PROCEED);
        gate.acquire(true);
        Callback cb = new Callback();
        connect(Timeout.ofMinutes(3), cb);
        advanceUntil(() -> !reactor.queue.isEmpty());
        assertEquals(2, gate.openSockets(), "counted above the cap at the timeout: the count is the truth");
        reactorRuns();
        assertEquals(1, reactor.opened.size());
        assertEquals(2, gate.openSockets(), "and its open counted no third");
        assertEquals(0, cb.endings());
    }

    @Test
    void aDeferredConnectTheReactorRefusesWhenItRunsAgainFailsItsCallbackAndGivesTheUnitBack() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        Callback cb = new Callback();
        Future<IOSession> f = connect(Timeout.ofSeconds(3), cb);
        reactor.bodyThrows = new IllegalStateException("I/O reactor has been shut down");
        gate.release();
        await(() -> cb.endings() > 0, "the callback heard of it");
        assertEquals(1, cb.failed.get());
        assertEquals("I/O reactor has been shut down", cb.failure.getMessage());
        assertEquals(0, gate.openSockets(), "the granted unit came back: nothing will open");
        assertTrue(f.isDone());
        assertThrows(ExecutionException.class, f::get);
    }

    /**
     * A grant, the caller's cancel and the connect timeout race for one deferred connect, on real
     * threads and real time: whichever wins, the callback completes once and the count ends where
     * that outcome puts it.
     */
    @Test
    void grantCancelAndConnectTimeoutRacingNeitherLoseNorDoubleAUnitNorCompleteTwice() throws Exception {
        gate = new SocketGate(new GateSettings(1, 100, 60_000, GateSettings.OnTimeout.FAIL, null));
        SocketHooks.install(gate, new SocketRegistry(gate), null, TestEvents.onInternalError((where, e) -> internalErrors.add(e)));
        for (int i = 0; i < 300; i++) {
            gate.acquire(true);
            Callback cb = new Callback();
            Future<IOSession> f = connect(Timeout.ofMilliseconds(1), cb);
            java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(2);
            Thread canceller = new Thread(() -> {
                try {
                    go.await();
                    f.cancel(true);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            canceller.start();
            go.await();
            gate.release();
            canceller.join(10_000);
            await(() -> cb.endings() > 0 || !reactor.queue.isEmpty(), "iteration ended");
            reactorRuns(); // opens what was granted and not cancelled
            int opened = reactor.opened.size();
            assertTrue(cb.endings() <= 1, "completed " + cb.endings() + " times");
            assertEquals(opened, gate.openSockets(), "iteration " + i + ": one unit per open channel, "
                    + cb.cancelled + " cancelled, " + cb.failed + " failed");
            for (SocketChannel c : reactor.opened) {
                ApacheReactorStandIn.close(c);
            }
            reactor.opened.clear();
            assertEquals(0, gate.openSockets());
            assertEquals(0, gate.waitingThreads());
        }
    }

    // ---- the pools' hand-back

    @Test
    void theChannelBehindAnAsyncPooledConnectionIsFoundThroughItsSession() throws Exception {
        try (SocketChannel channel = SocketChannel.open()) {
            Object session = Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {IOSession.class},
                    (proxy, method, args) -> method.getName().equals("channel") ? channel : null);
            assertSame(channel, ApacheAsyncHooks.channelOfAsyncConnection(session));
            assertNull(ApacheAsyncHooks.channelOfAsyncConnection(new Object()), "not an HttpCore 5 connection");
            assertNull(ApacheAsyncHooks.channelOfAsyncConnection(null));
        }
    }

    // ---- helpers

    /**
     * Moves the gate's clock on in 10 ms steps, each while the delivery thread is parked on it, until
     * {@code done} (the thread may also end, having done it).
     */
    private void advanceUntil(BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "never happened");
            if (clock.parkedThreads() >= 1) {
                clock.advanceMillis(10);
            }
            Thread.onSpinWait();
        }
    }
}
