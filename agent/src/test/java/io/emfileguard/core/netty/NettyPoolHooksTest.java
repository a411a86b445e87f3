package io.emfileguard.core.netty;

import io.emfileguard.core.TestEvents;
import io.emfileguard.core.GateSettings;
import io.emfileguard.core.MovableClock;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateTimeoutException;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketRegistry;

import io.emfileguard.agent.interception.WovenLibrary;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.Promise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty's channel pools at the cap ({@link NettyPoolHooks}): a stand-in {@code SimpleChannelPool}
 * (the agent's tests have no Netty) woven with the table's own rows, its acquires issued on an
 * event-loop thread, a real gate on a clock the test moves. The acquire waits as deferred work and
 * the event loop is never parked; it runs again on the pool's group with the freed unit prepaid to
 * its open, or takes a channel that came back to its pool; its promise always completes; and every
 * unit taken is given back exactly once (each test ends with its channels closed and the count at 0).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyPoolHooksTest {

    private final MovableClock clock = new MovableClock();
    private final List<String> internalErrors = Collections.synchronizedList(new ArrayList<>());
    /** The event loop the application's acquires run on (never parked: a FastThreadLocalThread). */
    private final ExecutorService loop = Executors.newSingleThreadExecutor(r -> new FastThreadLocalThread(r));
    /** The pool's group, where a deferred acquire runs again. */
    private final ExecutorService group = Executors.newSingleThreadExecutor(r -> new FastThreadLocalThread(r));
    private final List<TestChannel> opened = Collections.synchronizedList(new ArrayList<>());
    private final List<Object> openedWith = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean failNextOpen = new AtomicBoolean();
    private SocketGate gate;

    private SocketGate install(int cap, long maxWaitMillis, GateSettings.OnTimeout onTimeout) {
        gate = new SocketGate(new GateSettings(cap, 100, maxWaitMillis, onTimeout, null), clock);
        SocketHooks.install(gate, new SocketRegistry(gate, clock), null,
                TestEvents.onInternalError((where, error) -> internalErrors.add(where + ": " + error)));
        return gate;
    }

    @AfterEach
    void uninstall() {
        SocketHooks.install(null, null, null, null);
        loop.shutdownNow();
        group.shutdownNow();
        clock.advanceMillis(1_000); // the delivery thread's last slice ends: nothing left, it leaves
    }

    /** A channel as Netty's NIO transport opens one: through the channel-open hooks, on the calling thread. */
    final class TestChannel implements Channel {
        final Thread openedOn = Thread.currentThread();

        @Override
        public Executor eventLoop() {
            return group;
        }

        void close() {
            SocketHooks.descriptorCloseEnded(true, this, null);
        }
    }

    private Channel open() throws IOException {
        Object taken = SocketHooks.beforeChannelOpen();
        if (failNextOpen.getAndSet(false)) {
            IOException failure = new IOException("Too many open files");
            SocketHooks.afterChannelOpen(null, taken, failure);
            throw failure;
        }
        TestChannel ch = new TestChannel();
        SocketHooks.afterChannelOpen(ch, taken, null);
        opened.add(ch);
        openedWith.add(taken);
        return ch;
    }

    private Bootstrap bootstrap(Executor where) {
        return new Bootstrap(where, this::open);
    }

    /** A Netty promise over a CompletableFuture. */
    static final class TestPromise extends CompletableFuture<Channel> implements Promise<Channel> {
        @Override
        public boolean trySuccess(Channel result) {
            return complete(result);
        }

        @Override
        public boolean tryFailure(Throwable cause) {
            return completeExceptionally(cause);
        }

        Channel channel() throws Exception {
            return get(10, TimeUnit.SECONDS);
        }
    }

    /** The woven stand-in pool (its own loader: the test's own SimpleChannelPool is unwoven), driven by reflection. */
    final class Pool {
        final Object pool;
        private final Method acquire;
        final Method release;
        private final Method idle;

        Pool(String type, Bootstrap bootstrap) throws Exception {
            Class<?> c = Class.forName(type, true, WovenLibrary.of(getClass().getClassLoader(),
                    "io.netty.channel.pool.SimpleChannelPool", "io.netty.channel.pool.FixedChannelPool"));
            pool = c.getConstructor(Bootstrap.class).newInstance(bootstrap);
            acquire = c.getMethod("acquire", Promise.class);
            release = c.getMethod("release", Channel.class);
            idle = c.getMethod("idle");
        }

        /** acquire(promise) on the event loop; returns once the call has returned there. */
        TestPromise acquire() throws Exception {
            TestPromise p = new TestPromise();
            Object returned = loop.submit(() -> acquire.invoke(pool, p)).get(10, TimeUnit.SECONDS);
            assertSame(p, returned, "acquire returns its promise");
            return p;
        }

        void release(Channel ch) throws Exception {
            loop.submit(() -> release.invoke(pool, ch)).get(10, TimeUnit.SECONDS);
        }

        int idle() throws Exception {
            return (Integer) idle.invoke(pool);
        }
    }

    private Pool pool() throws Exception {
        return new Pool("io.netty.channel.pool.SimpleChannelPool", bootstrap(group));
    }

    /** The event loop is free: a task submitted now runs. */
    private void assertLoopNotHeld() throws Exception {
        assertEquals("free", loop.submit(() -> "free").get(10, TimeUnit.SECONDS));
    }

    private void closeAllAndAssertBaseline() {
        for (TestChannel ch : new ArrayList<>(opened)) {
            ch.close();
        }
        assertEquals(0, gate.openSockets(), "every unit taken was given back exactly once");
        assertEquals(0, gate.waitingThreads());
        assertEquals(0, NettyPoolHooks.Waiters.size(), "no pool waiter left behind");
        assertEquals(List.of(), internalErrors);
    }

    @Test
    void underTheCapAnAcquireConnectsAtOnceWithTheUnitItTookAtEntry() throws Exception {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        TestPromise p = pool.acquire();
        assertTrue(p.isDone(), "connected inside the call, as without the agent");
        assertSame(opened.get(0), p.channel());
        assertEquals(Boolean.TRUE, openedWith.get(0), "the open used the unit the acquire took");
        assertEquals(1, gate.openSockets(), "one unit for one socket");
        assertEquals(0, gate.stats().waitsTotal);
        closeAllAndAssertBaseline();
    }

    @Test
    void anIdleChannelAtTheCapIsReusedWithoutAUnitOrAWait() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        Channel ch = pool.acquire().channel();
        pool.release(ch);
        TestPromise again = pool.acquire();
        assertSame(ch, again.channel());
        assertEquals(1, opened.size());
        assertEquals(1, gate.openSockets());
        assertEquals(0, gate.stats().waitsTotal);
        closeAllAndAssertBaseline();
    }

    @Test
    void atTheCapTheAcquireWaitsWithoutHoldingTheEventLoopAndConnectsOnTheGroupWithTheFreedUnit() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        gate.acquire(true); // another socket holds the cap
        TestPromise p = pool.acquire();
        assertFalse(p.isDone(), "waits");
        assertLoopNotHeld();
        assertEquals(0, opened.size(), "no socket at the cap");
        assertEquals(1, gate.deferredWaiting());
        gate.release();
        Channel ch = p.channel();
        assertSame(opened.get(0), ch);
        assertInstanceOf(FastThreadLocalThread.class, ((TestChannel) ch).openedOn);
        assertEquals(group.submit(Thread::currentThread).get(), ((TestChannel) ch).openedOn,
                "run again on the pool's group");
        assertEquals(Boolean.TRUE, openedWith.get(0), "the freed unit, prepaid to the open");
        assertEquals(1, gate.openSockets());
        assertEquals(0, gate.stats().overCapTotal, "nothing counted above the cap");
        assertEquals(1, gate.stats().waitsTotal);
        closeAllAndAssertBaseline();
    }

    @Test
    void aChannelBackInItsPoolGoesToTheAcquireWaitingThereWithoutAUnit() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        Channel first = pool.acquire().channel();
        TestPromise waiting = pool.acquire();
        assertFalse(waiting.isDone());
        pool.release(first);
        assertSame(first, waiting.channel(), "claimed the channel that came back");
        assertEquals(1, opened.size(), "no new socket");
        assertEquals(1, gate.openSockets());
        assertEquals(0, gate.waitingThreads());
        assertEquals(0, pool.idle());
        closeAllAndAssertBaseline();
    }

    /** As Netty's NIO transport names its channel: the only kind whose close frees a unit. */
    public final class NioTestChannel implements Channel {
        final TestChannel inner;

        NioTestChannel(TestChannel inner) {
            this.inner = inner;
        }

        @Override
        public Executor eventLoop() {
            return group;
        }

        /** Netty's {@code Channel.close()}: the descriptor closes (on the event loop in Netty; here at once). */
        public void close() {
            opened.remove(inner);
            inner.close();
        }
    }

    @Test
    void aChannelBackInAPoolWithNoWaiterOfItsOwnIsClosedForWorkWaitingElsewhere() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool idlePool = pool();
        Pool busyPool = pool();
        NioTestChannel nio = new NioTestChannel((TestChannel) idlePool.acquire().channel());
        TestPromise waiting = busyPool.acquire();
        assertFalse(waiting.isDone(), "at the cap");
        idlePool.release(nio);
        Channel got = waiting.channel();
        assertEquals(0, idlePool.idle(), "the idle channel left its pool, closed");
        assertEquals(1, gate.openSockets(), "its unit went to the acquire waiting in the other pool");
        assertTrue(got instanceof TestChannel);
        busyPool.release(got);
        assertEquals(1, busyPool.idle(), "nobody waits: a channel back in its pool stays there");
        closeAllAndAssertBaseline();
    }

    @Test
    void aNewcomerQueuesBehindItsPoolsWaitingAcquiresEvenWithAnIdleChannel() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        Channel ch = pool.acquire().channel();
        TestPromise b = pool.acquire();
        TestPromise c = pool.acquire();
        pool.release(ch);
        assertSame(ch, b.channel(), "the first waiter gets the channel");
        assertFalse(c.isDone(), "the second waits on");
        pool.release(ch);
        assertSame(ch, c.channel());
        assertEquals(1, opened.size());
        assertEquals(1, gate.openSockets());
        closeAllAndAssertBaseline();
    }

    /**
     * The SDK's burst in small: 200 acquires of one pool at a cap of 5, each channel going back to
     * the pool as its "reply" comes: every acquire completes, over at most 5 sockets, none above the
     * cap, and the count ends where it began.
     */
    @Test
    void aBurstOnOnePoolCompletesEveryAcquireOverAtMostTheCap() throws Exception {
        install(5, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        java.util.concurrent.BlockingQueue<Channel> inFlight = new java.util.concurrent.LinkedBlockingQueue<>();
        List<TestPromise> promises = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            TestPromise p = pool.acquire(); // all issued before any reply
            p.thenAccept(inFlight::add);
            promises.add(p);
        }
        assertEquals(5, inFlight.size(), "the cap's worth connected at once");
        for (int i = 0; i < 200; i++) {
            Channel replied = inFlight.poll(10, TimeUnit.SECONDS);
            assertTrue(replied != null, "a channel in flight after " + i + " replies");
            pool.release(replied); // its reply came: back into the pool, to the next waiting acquire
        }
        for (TestPromise p : promises) {
            p.channel();
        }
        assertTrue(opened.size() <= 5, "opened " + opened.size());
        assertTrue(gate.stats().peakOpenSockets <= 5, "peak " + gate.stats().peakOpenSockets);
        assertEquals(0, gate.stats().overCapTotal);
        assertTrue(gate.stats().waitsTotal >= 195 - 5, "the acquires beyond the cap waited: " + gate.stats().waitsTotal);
        closeAllAndAssertBaseline();
    }

    @Test
    void aGrantedAcquireThatFindsAnIdleChannelGivesItsUnitBack() throws Exception {
        install(2, 60_000, GateSettings.OnTimeout.FAIL);
        CountDownLatch groupMayRun = new CountDownLatch(1);
        Executor paused = task -> group.execute(() -> {
            try {
                groupMayRun.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            task.run();
        });
        Pool pool = new Pool("io.netty.channel.pool.SimpleChannelPool", bootstrap(paused));
        Channel ch = pool.acquire().channel(); // connects inside the call (not on the paused group)
        gate.acquire(true);
        TestPromise p = pool.acquire();
        gate.release(); // granted: its re-run is queued on the paused group
        waitUntil(() -> gate.waitingThreads() == 0, "granted");
        assertEquals(2, gate.openSockets(), "the channel and the granted unit");
        pool.release(ch); // an idle channel before the re-run: it is no longer waiting, so no claim
        groupMayRun.countDown();
        assertSame(ch, p.channel());
        assertEquals(1, opened.size(), "no socket opened");
        // The promise completes inside the acquire; the unit goes back as the re-run returns.
        waitUntil(() -> gate.openSockets() == 1, "the unused unit went back: " + gate.openSockets());
        group.submit(() -> { }).get();
        assertEquals(1, gate.openSockets(), "given back once");
        closeAllAndAssertBaseline();
    }

    @Test
    void aWaitPastMaxWaitWithOnTimeoutFailFailsThePromiseNamingTheCapAndTheSetting() throws Exception {
        install(1, 300, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        gate.acquire(true);
        TestPromise p = pool.acquire();
        advanceUntilDone(p);
        ExecutionException e = assertThrows(ExecutionException.class, p::channel);
        assertInstanceOf(SocketGateTimeoutException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("emfileguard.max.sockets"), e.getCause().getMessage());
        assertEquals(0, opened.size());
        assertEquals(1, gate.openSockets(), "a refused wait takes no unit");
        gate.release();
        closeAllAndAssertBaseline();
    }

    @Test
    void aWaitPastMaxWaitWithOnTimeoutProceedConnectsAboveTheCap() throws Exception {
        install(1, 300, GateSettings.OnTimeout.PROCEED);
        Pool pool = pool();
        gate.acquire(true);
        TestPromise p = pool.acquire();
        advanceUntilDone(p);
        assertSame(opened.get(0), p.channel());
        assertEquals(2, gate.openSockets(), "counted above the cap: the count is the truth");
        assertEquals(1, gate.stats().overCapTotal);
        gate.release();
        closeAllAndAssertBaseline();
    }

    @Test
    void aShutDownGroupFailsThePromiseAndTheUnitGoesBack() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        ExecutorService dead = Executors.newSingleThreadExecutor();
        dead.shutdown();
        Pool pool = new Pool("io.netty.channel.pool.SimpleChannelPool", bootstrap(dead));
        gate.acquire(true);
        TestPromise p = pool.acquire();
        gate.release();
        ExecutionException e = assertThrows(ExecutionException.class, p::channel);
        assertInstanceOf(RejectedExecutionException.class, e.getCause());
        waitUntil(() -> gate.openSockets() == 0, "the granted unit given back");
        closeAllAndAssertBaseline();
    }

    @Test
    void aPromiseCancelledWhileItWaitsGetsNoAcquireAndItsUnitGoesBack() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        gate.acquire(true);
        TestPromise p = pool.acquire();
        assertTrue(p.cancel(false));
        gate.release();
        waitUntil(() -> gate.waitingThreads() == 0 && gate.openSockets() == 0, "the unit given back");
        group.submit(() -> { }).get(); // a re-run, had one been queued, has run
        assertEquals(0, opened.size(), "no acquire for a cancelled promise");
        closeAllAndAssertBaseline();
    }

    @Test
    void anOpenThatFailsAfterTheWaitGivesItsUnitBackAndFailsThePromise() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = pool();
        gate.acquire(true);
        TestPromise p = pool.acquire();
        failNextOpen.set(true);
        gate.release();
        ExecutionException e = assertThrows(ExecutionException.class, p::channel);
        assertEquals("Too many open files", e.getCause().getMessage());
        waitUntil(() -> gate.openSockets() == 0, "the prepaid unit given back by the failed open");
        closeAllAndAssertBaseline();
    }

    @Test
    void aSubclassThatCountsItsAcquiresIsNotEnteredAgainWhenTheAcquireRunsAgain() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        Pool pool = new Pool("io.netty.channel.pool.FixedChannelPool", bootstrap(group));
        gate.acquire(true);
        TestPromise p = pool.acquire();
        gate.release();
        p.channel();
        Method count = pool.pool.getClass().getMethod("acquiredCount");
        assertEquals(1, count.invoke(pool.pool), "super.acquire ran again, not FixedChannelPool's own");
        closeAllAndAssertBaseline();
    }

    @Test
    void aPoolTheHooksCannotReadIsReportedAndGoesOnAsWithoutTheAgent() throws Exception {
        install(1, 60_000, GateSettings.OnTimeout.FAIL);
        gate.acquire(true);
        assertNull(NettyPoolHooks.beforePoolAcquire(new Object(), new TestPromise(), new ArrayDeque<>(), null));
        assertEquals(1, internalErrors.size(), String.valueOf(internalErrors));
        assertTrue(internalErrors.get(0).contains("SimpleChannelPool.acquire(Promise) not found"), internalErrors.get(0));
        assertEquals(1, gate.openSockets(), "nothing taken");
        assertEquals(0, gate.waitingThreads());
        internalErrors.clear();
        gate.release();
        closeAllAndAssertBaseline();
    }

    // ---- helpers

    private void advanceUntilDone(TestPromise p) throws InterruptedException {
        while (!p.isDone()) {
            clock.awaitParked(1); // the delivery thread, between its slices
            if (p.isDone()) {
                break;
            }
            clock.advanceMillis(10);
            try {
                p.get(20, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // done with a failure, or not yet
            }
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.onSpinWait();
        }
    }
}
