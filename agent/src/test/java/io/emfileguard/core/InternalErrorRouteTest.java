package io.emfileguard.core;

import io.emfileguard.core.httpclient.HttpClientHooks;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one route for internal errors ({@link SocketHooks#internalError}): every error the agent does
 * not expect, in a hook, a waiting thread's housekeeping or a listener, is counted and reported
 * there, never dropped and never thrown into the application.
 */
class InternalErrorRouteTest {

    /** What reached the event sink: "where: error". */
    private final List<String> reported = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final GateEvents recording = TestEvents.onInternalError((where, error) -> {
        reported.add(where + ": " + error);
        errors.add(error);
    });
    private final MovableClock clock = new MovableClock();
    private final TestThreads threads = new TestThreads();
    private long countBefore;

    @BeforeEach
    void recordReports() {
        SocketHooks.install(null, null, null, recording);
        countBefore = SocketHooks.internalErrorsTotal();
    }

    @AfterEach
    void uninstall() throws Exception {
        SocketHooks.install(null, null, null, null);
        threads.assertAllEndedAndNoFailureUnseen();
    }

    private void assertReported(String... expected) {
        assertEquals(List.of(expected), reported);
        assertEquals(countBefore + expected.length, SocketHooks.internalErrorsTotal(), "each one counted");
    }

    @Test
    void everyErrorIsCountedAndReachesTheDiagnostics() {
        IllegalStateException error = new IllegalStateException("x");
        SocketHooks.internalError("somewhere", error);
        SocketHooks.internalError("somewhere", error);
        assertReported("somewhere: " + error, "somewhere: " + error);
        assertSame(error, errors.get(0));
    }

    /** A family's slice work (registered once, for good) that fails is reported; the work after it still runs. */
    @Test
    void aFamilysFailingSliceWorkIsReportedAndTheOthersStillRun() {
        AtomicBoolean failing = new AtomicBoolean(true);
        AtomicInteger ranAfter = new AtomicInteger();
        SocketHooks.addSliceWork(new Runnable() {
            @Override
            public void run() {
                if (failing.get()) {
                    throw new IllegalStateException("broken");
                }
            }

            @Override
            public String toString() {
                return "a test family";
            }
        });
        SocketHooks.addSliceWork(ranAfter::incrementAndGet);
        try {
            SocketHooks.runSliceWork();
            assertEquals(1, ranAfter.get());
            assertReported("a family's slice work (a test family): java.lang.IllegalStateException: broken");
        } finally {
            failing.set(false); // registered for good: harmless for the tests after this one
        }
    }

    @Test
    void aReportThatFailsItselfIsStillCountedAndNeverThrown() {
        SocketHooks.install(null, null, null, TestEvents.onInternalError((where, error) -> {
            throw new IllegalStateException("the log is broken");
        }));
        SocketHooks.internalError("somewhere", new RuntimeException());
        assertEquals(countBefore + 1, SocketHooks.internalErrorsTotal());
    }

    // ---- the gate: a waiting thread's housekeeping, its listener, a claim ----

    private SocketGate fullGate(long holdMillis, long maxWaitMillis, GateSettings.OnTimeout onTimeout) throws Exception {
        SocketGate gate = new SocketGate(new GateSettings(1, holdMillis, maxWaitMillis, onTimeout, null), clock);
        gate.acquire(true);
        return gate;
    }

    /** Before, {@code betweenSlices} swallowed a RuntimeException without a word, and an Error left a waiter in the queue. */
    @Test
    void aWaitingThreadsFailingSliceWorkIsReportedAndItKeepsWaitingForItsUnit() throws Exception {
        SocketGate gate = fullGate(20, 60_000, GateSettings.OnTimeout.FAIL);
        IllegalStateException first = new IllegalStateException("slice task broken");
        LinkageError second = new LinkageError("slice task broken again");
        int[] slices = {0};
        gate.setSliceTask(() -> {
            if (slices[0]++ == 0) {
                throw first;
            }
            throw second;
        });
        TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> gate.acquire(true));
        clock.awaitParked(1);
        clock.advanceMillis(20);
        clock.awaitParked(1); // its slice work failed; it waits on
        clock.advanceMillis(20);
        clock.awaitParked(1);
        assertEquals(1, gate.waitingThreads(), "still in the queue");
        gate.release();
        assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get(), "served as if nothing had failed");
        assertReported("a waiting thread's slice work: " + first, "a waiting thread's slice work: " + second);
    }

    @Test
    void aFailingEventSinkIsReportedAndNeitherEndsTheWaitNorStrandsTheWaiter() throws Exception {
        SocketGate gate = fullGate(1_000, 25_000, GateSettings.OnTimeout.PROCEED);
        gate.setEvents(new GateEvents() {
            @Override public void waitingStarted(SocketGate g) { throw new IllegalStateException("started"); }
            @Override public void stillWaiting(SocketGate g) { throw new IllegalStateException("still"); }
            @Override public void timedOut(SocketGate g, long waitedNanos, boolean proceeding) {
                throw new IllegalStateException("timed out");
            }
        });
        assertEquals(SocketGate.Admission.OVER_CAP_TIMED_OUT, clock.callAdvancing(1_000, () -> gate.acquire(true)),
                "waited its 25 s and proceeded, as the settings say");
        assertEquals(0, gate.waitingThreads());
        assertEquals(2, gate.openSockets());
        assertReported(
                "the gate's events (waiting started): java.lang.IllegalStateException: started",
                "the gate's events (still waiting): java.lang.IllegalStateException: still",  // at 10 s
                "the gate's events (still waiting): java.lang.IllegalStateException: still",  // at 20 s
                "the gate's events (timed out): java.lang.IllegalStateException: timed out");
    }

    /** Before, the claim's exception left the acquire with its waiter still queued, to be granted a unit nobody released. */
    @Test
    void aFailingClaimIsReportedAndCountsAsNoRoom() throws Exception {
        SocketGate gate = fullGate(20, 60_000, GateSettings.OnTimeout.FAIL);
        IllegalStateException broken = new IllegalStateException("claim broken");
        SocketGate.Claim claim = () -> {
            throw broken;
        };
        TestThreads.Outcome<SocketGate.Admission> waiter = threads.call("waiter", () -> gate.acquire(true, claim));
        clock.awaitParked(1);
        assertEquals(1, gate.waitingThreads());
        gate.release();
        assertEquals(SocketGate.Admission.AFTER_WAIT, waiter.get());
        assertEquals(1, gate.openSockets(), "the waiter's unit, and no other");
        assertEquals(0, gate.waitingThreads());
        assertEquals("a waiting thread's claim: " + broken, reported.get(0));
    }

    // ---- hooks: an error while admitting never reaches the application ----

    /** A clock whose reads fail once told to: an unexpected error inside the gate's wait. */
    private static final class FailingClock implements ParkingClock {
        volatile boolean failing;

        @Override
        public long nanoTime() {
            if (failing) {
                throw new IllegalStateException("clock broken");
            }
            return 0;
        }

        @Override
        public void parkNanos(Object blocker, long nanos) {
            LockSupport.parkNanos(blocker, nanos);
        }

        @Override
        public void unpark(Thread thread) {
            LockSupport.unpark(thread);
        }
    }

    /** A gate of 1 on a clock that fails from now on, installed for the hooks. */
    private SocketGate installFullGateThatFailsToWait() throws Exception {
        FailingClock failing = new FailingClock();
        SocketGate gate = new SocketGate(GateSettings.of(1), failing);
        SocketHooks.install(gate, new SocketRegistry(gate, failing), null, recording);
        gate.acquire(true);
        failing.failing = true;
        return gate;
    }

    @Test
    void anUnexpectedErrorWhileASocketIsAdmittedIsReportedAndTheSocketOpensCounted() throws Exception {
        SocketGate gate = installFullGateThatFailsToWait();
        boolean unitTaken = threads.call("connecting", () -> SocketHooks.beforeCreate(false, true)).get();
        assertTrue(unitTaken, "the socket counts");
        assertEquals(2, gate.openSockets(), "counted above the cap: the count is the truth");
        assertEquals(0, gate.waitingThreads(), "no waiter left in the queue");
        assertReported("socket admission: java.lang.IllegalStateException: clock broken");
    }

    @Test
    void anUnexpectedErrorWhileAnHttpClientExchangeIsAdmittedIsReportedAndTheExchangeGoesOn() throws Exception {
        SocketGate gate = installFullGateThatFailsToWait();
        Object client = new Object();
        Object taken = threads.call("sender", () -> HttpClientHooks.beforeExchange(client, null, null)).get(); // send: no exchange executor
        assertNull(taken, "neither admitted nor refused: the exchange goes on, uncounted");
        assertEquals(1, gate.openSockets(), "no unit taken for it");
        assertEquals(0, gate.waitingThreads());
        assertReported("http client admission: java.lang.IllegalStateException: clock broken");
    }

    // ---- the descriptor guard, on the gate's fast path ----

    @Test
    void aFailingDescriptorSampleIsReportedAndTheCapStaysAsItWas(@TempDir File dir) {
        SocketGate gate = new SocketGate(GateSettings.of(896));
        IllegalStateException gone = new IllegalStateException("no /proc");
        File broken = new File(dir, "fd") {
            @Override
            public String[] list() {
                throw gone;
            }
        };
        DescriptorGuard guard = new DescriptorGuard(gate, 1024, 64, 0, broken);
        guard.maybeSample();
        assertEquals(896, gate.effectiveCap());
        assertEquals(-1, guard.lastDescriptors());
        assertReported("descriptor sampling: " + gone);
    }

    // ---- reading the JDK's sockets reflectively ----

    @Test
    void aMemberTheAgentReadsThatDoesNotResolveIsReportedByName() throws Exception {
        assertNull(SocketIntrospection.Access.field(String.class, "readerThread", true));
        assertNull(SocketIntrospection.Access.field(String.class, "readerThread", false), "not expected there: not reported");
        assertNull(SocketIntrospection.Access.method(String.class, "available", true));
        // Present but not opened to the core: java.base does not open jdk.internal.misc.
        assertNull(SocketIntrospection.Access.field(Class.forName("jdk.internal.misc.VM"), "initLevel", true));
        assertEquals(List.of(
                "socket introspection: java.lang.String.readerThread does not resolve: java.lang.NoSuchFieldException: readerThread",
                "socket introspection: java.lang.String.available() does not resolve: java.lang.NoSuchMethodException: java.lang.Object.available()"),
                reported.subList(0, 2));
        assertTrue(reported.get(2).startsWith("socket introspection: jdk.internal.misc.VM.initLevel does not resolve: "
                + "java.lang.reflect.InaccessibleObjectException"), reported.get(2));
    }

    /** Every member of the JDK's own socket classes resolves here, and a socket closed under a read is expected. */
    @Test
    void readingALiveAndAClosedJdkSocketReportsNothing() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort()), 2_000);
            Object owner = SocketIntrospection.descriptorOwnerOfSocket(socket);
            assertTrue(SocketIntrospection.canTell(owner), owner.getClass().getName());
            assertFalse(SocketIntrospection.ioInProgress(owner));
            assertEquals(server.getLocalPort(), SocketIntrospection.peer(owner).getPort());
            assertTrue(SocketIntrospection.isOpen(owner));
            assertEquals(0, SocketIntrospection.unreadBytes(owner));
            socket.close();
            assertFalse(SocketIntrospection.isOpen(owner));
            assertEquals(1, SocketIntrospection.unreadBytes(owner), "closed: its available() fails, and unsure means busy");
        }
        try (java.nio.channels.SocketChannel channel = java.nio.channels.SocketChannel.open()) {
            assertTrue(SocketIntrospection.canTell(channel));
            assertFalse(SocketIntrospection.ioInProgress(channel));
            assertTrue(SocketIntrospection.close(channel));
        }
        assertReported();
    }
}
