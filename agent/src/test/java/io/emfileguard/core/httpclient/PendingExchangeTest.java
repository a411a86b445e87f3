package io.emfileguard.core.httpclient;

import io.emfileguard.core.GateSettings;
import io.emfileguard.core.MovableClock;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateTimeoutException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code sendAsync} exchange as the agent admits it ({@link PendingExchange}): its caller never
 * waits, its start runs exactly once however its wait ends, and its units come back. The JDK's
 * {@code MultiExchange} is stood in for by {@link FakeMultiExchange} (the same two package-private
 * methods the agent calls).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PendingExchangeTest {

    private final MovableClock clock = new MovableClock();

    /** What the agent calls of the JDK's MultiExchange, by name (as in jdk.internal.net.http). */
    static final class FakeMultiExchange {
        volatile boolean cancelledByCaller;
        final AtomicReference<IOException> cancelCause = new AtomicReference<>();

        boolean requestCancelled() {
            return cancelledByCaller;
        }

        void cancel(IOException cause) {
            cancelCause.set(cause);
        }
    }

    /** The client's executor: records where each start ran. */
    static final class RecordingExecutor implements Executor {
        final List<String> ranOn = new CopyOnWriteArrayList<>();
        final CountDownLatch ran = new CountDownLatch(1);
        volatile boolean rejecting;

        @Override
        public void execute(Runnable command) {
            if (rejecting) {
                throw new RejectedExecutionException("shut down");
            }
            command.run();
        }
    }

    private final FakeMultiExchange mex = new FakeMultiExchange();
    private final RecordingExecutor executor = new RecordingExecutor();
    private final List<String> starts = new CopyOnWriteArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final Runnable start = () -> {
        starts.add(Thread.currentThread().getName());
        started.countDown();
    };

    private SocketGate fullGate(int cap, long maxWaitMillis, GateSettings.OnTimeout onTimeout) throws Exception {
        SocketGate gate = new SocketGate(new GateSettings(cap, 100, maxWaitMillis, onTimeout, null), clock);
        for (int i = 0; i < cap; i++) {
            gate.acquire(true);
        }
        return gate;
    }

    private PendingExchange pending(HttpClientAccount account, SocketGate gate, long timeoutNanos) {
        PendingExchange p = new PendingExchange(account, gate, timeoutNanos);
        assertSame(p, p.standIn(mex, executor));
        return p;
    }

    @Test
    void underTheCapTheExchangeStartsAtOnceOnItsCaller() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(2), clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, 0);
        p.execute(start);
        assertEquals(List.of(Thread.currentThread().getName()), starts);
        assertEquals(1, gate.openSockets());
        assertEquals(1, account.units());
        CompletableFuture<Object> returned = new CompletableFuture<>();
        p.whenReturned(returned, null);
        returned.complete("response");
        assertEquals(0, gate.openSockets(), "the exchange ended: its unit came back");
    }

    @Test
    void atTheCapTheCallerReturnsAtOnceAndTheExchangeStartsWhenAUnitFrees() throws Exception {
        SocketGate gate = fullGate(1, 60_000, GateSettings.OnTimeout.FAIL);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, 0);
        p.execute(start); // returns: nobody parked
        assertTrue(starts.isEmpty());
        assertEquals(1, gate.deferredWaiting());
        CompletableFuture<Object> returned = new CompletableFuture<>();
        p.whenReturned(returned, null);
        gate.release();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertTrue(starts.get(0).startsWith("emfile-guard-deferred"), "started on " + starts);
        assertEquals(1, gate.openSockets());
        assertEquals(1, account.units());
        returned.complete("response");
        assertEquals(0, account.units());
        assertEquals(0, gate.openSockets());
    }

    @Test
    void cancelTrueWhileWaitingLeavesTheQueueAndStartsWithoutAUnitSoTheJdksChainEnds() throws Exception {
        SocketGate gate = fullGate(1, 60_000, GateSettings.OnTimeout.FAIL);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, 0);
        p.execute(start);
        CompletableFuture<Object> returned = new CompletableFuture<>();
        p.whenReturned(returned, null);
        mex.cancelledByCaller = true; // what MultiExchange.cancel(true) records
        returned.cancel(true);
        assertEquals(1, starts.size(), "started once, to end the JDK's chain");
        assertEquals(0, gate.waitingThreads());
        gate.release();
        assertEquals(0, gate.openSockets(), "no unit for the cancelled exchange");
        assertEquals(0, account.units());
    }

    @Test
    void cancelFalseLeavesItQueuedAsTheJdkGoesOnWithTheExchange() throws Exception {
        SocketGate gate = fullGate(1, 60_000, GateSettings.OnTimeout.FAIL);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, 0);
        p.execute(start);
        CompletableFuture<Object> returned = new CompletableFuture<>();
        p.whenReturned(returned, null);
        returned.cancel(false); // MultiExchange records nothing: the exchange would go on
        assertEquals(1, gate.waitingThreads());
        gate.release();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        awaitUnits(account, 0); // admitted after its caller let go: it ends at once in the account
        assertEquals(0, gate.openSockets());
    }

    @Test
    void theRequestsTimeoutEndsTheWaitAsTheJdksTimerWouldWithoutAUnit() throws Exception {
        SocketGate gate = fullGate(1, 60_000, GateSettings.OnTimeout.PROCEED);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, TimeUnit.MILLISECONDS.toNanos(300));
        p.execute(start);
        long begin = clock.nanoTime();
        while (started.getCount() > 0) {
            clock.awaitParked(1); // the delivery thread, between its slices
            clock.advanceMillis(10);
            started.await(20, TimeUnit.MILLISECONDS);
        }
        long waited = (clock.nanoTime() - begin) / 1_000_000;
        assertTrue(waited >= 300 && waited <= 390, "ended after " + waited + " ms of a 300 ms timeout");
        assertTrue(mex.cancelCause.get() instanceof HttpTimeoutException, String.valueOf(mex.cancelCause.get()));
        assertEquals("request timed out", mex.cancelCause.get().getMessage());
        assertEquals(1, gate.openSockets(), "no unit taken");
        assertEquals(0, account.units());
        assertEquals(0, gate.stats().timeoutsTotal, "the request's timeout, not the gate's");
    }

    @Test
    void maxWaitWithFailingTimeoutsFailsTheExchangeWithTheGatesReason() throws Exception {
        SocketGate gate = fullGate(1, 200, GateSettings.OnTimeout.FAIL);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, 0);
        p.execute(start);
        while (started.getCount() > 0) {
            clock.awaitParked(1);
            clock.advanceMillis(10);
            started.await(20, TimeUnit.MILLISECONDS);
        }
        assertTrue(mex.cancelCause.get() instanceof SocketGateTimeoutException, String.valueOf(mex.cancelCause.get()));
        assertEquals(1, gate.openSockets());
        assertEquals(0, account.units());
    }

    @Test
    void anExchangeOfTheSameClientEndingLetsAWaitingOneReuseItsIdleConnection() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(1), clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        account.admitExchange(true); // E=1
        account.channelOpening();    // K=1: the gate is full
        PendingExchange p = pending(account, gate, 0);
        p.execute(start);
        assertEquals(1, gate.deferredWaiting());
        account.exchangeEnded();     // its connection idles in the pool: room for the waiting exchange
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertEquals(0, gate.waitingThreads());
        assertEquals(1, gate.openSockets(), "claimed: no second unit");
        assertEquals(1, account.units());
    }

    @Test
    void aRejectingExecutorAtOnceReachesTheCallerAsTheJdksWould() throws Exception {
        SocketGate gate = new SocketGate(GateSettings.of(2), clock);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, 0);
        executor.rejecting = true;
        assertThrows(RejectedExecutionException.class, () -> p.execute(start));
        p.whenReturned(null, new RejectedExecutionException("shut down"));
        assertEquals(0, gate.openSockets(), "the exchange never ran: its unit came back");
        assertEquals(0, account.units());
    }

    @Test
    void aRejectingExecutorAfterTheWaitFailsTheExchangeAndStillEndsItsChain() throws Exception {
        SocketGate gate = fullGate(1, 60_000, GateSettings.OnTimeout.FAIL);
        HttpClientAccount account = new HttpClientAccount(gate);
        PendingExchange p = pending(account, gate, 0);
        p.execute(start);
        CompletableFuture<Object> returned = new CompletableFuture<>();
        p.whenReturned(returned, null);
        executor.rejecting = true;
        gate.release();
        assertTrue(started.await(10, TimeUnit.SECONDS), "run where it was delivered, to end the JDK's chain");
        assertTrue(mex.cancelCause.get() != null
                && mex.cancelCause.get().getCause() instanceof RejectedExecutionException, String.valueOf(mex.cancelCause));
        returned.completeExceptionally(mex.cancelCause.get());
        awaitUnits(account, 0);
        assertEquals(0, gate.openSockets());
    }

    @Test
    void noCancelCauseIsRecordedOnTheNormalPath() throws Exception {
        SocketGate gate = fullGate(1, 60_000, GateSettings.OnTimeout.FAIL);
        PendingExchange p = pending(new HttpClientAccount(gate), gate, 0);
        p.execute(start);
        gate.release();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertNull(mex.cancelCause.get());
        assertFalse(starts.size() > 1, "started once");
    }

    private static void awaitUnits(HttpClientAccount account, int units) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (account.units() != units) {
            assertTrue(System.nanoTime() < deadline, "units " + account.units() + ", expected " + units);
            Thread.onSpinWait();
        }
    }
}
