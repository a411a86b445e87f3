package io.emfileguard.core.apache;

import io.emfileguard.core.AddressRule;
import io.emfileguard.core.ChannelOpenRule;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateTimeoutException;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.ThreadPolicy;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The hooks of Apache HttpCore 5's I/O reactors, under Apache HttpAsyncClient 5 and every other
 * HttpCore 5 client ({@code SingleCoreIOReactor}, {@code IOSessionRequest}). A connect there only
 * queues a request: the reactor's thread, an event loop that is never parked, opens the channel
 * later. So the gate is asked at the connect, not at the open:
 * <ul>
 *   <li><b>Room</b>: a unit is taken for the connect at once, <em>pre-paid</em> to the channel the
 *       reactor will open for its request;</li>
 *   <li><b>At the cap</b>: the connect's body is skipped and it waits in the gate's queue as a
 *       {@link DeferredConnect} (no thread waits; the caller gets it as the connect's
 *       {@code Future}); when a unit frees, the gate's delivery thread runs the connect again,
 *       pre-paid with the granted unit. Its wait ends exactly once: granted (the reactor then owns
 *       the callback), cancelled by the caller ({@code cancelled()}, also when its reactor shut
 *       down meanwhile, as HttpCore cancels the requests it had queued), its connect timeout
 *       ({@code failed(SocketTimeoutException)}, as HttpCore's own connect timeout), or
 *       {@code max.wait.millis} with {@code on.timeout=fail} ({@code failed(SocketGateTimeoutException)}).</li>
 * </ul>
 * <b>How the unit reaches the reactor's open</b> ({@link PrePaid}): the request the connect builds
 * is bound to the unit ({@code IOSessionRequest}'s constructor, before the request is queued). The
 * reactor checks each request's {@code isCancelled()} right before it opens its channel: on an
 * event-loop thread that arms the unit for that thread's next channel open, which uses it
 * ({@link #prePaidChannelOpen}, asked by {@link SocketHooks#beforeChannelOpen}) instead of taking
 * another. A unit whose request ends unopened comes back: the request was cancelled (the reactor
 * skips it), failed or completed without it, or the body made none; and, so that a lost one never
 * holds a unit for good, a
 * unit not used within its connect timeout (at least 1 s; {@code max.wait.millis} when there is
 * none) expires ({@link #expireLostPrePayments}, run between the gate's slices: {@link SocketHooks#addSliceWork}). Each pre-paid
 * unit ends once, by one compare-and-set: opened (the channel owns it), refunded or expired (given
 * back).
 *
 * <p>Library types are never linked: the reactor, its requests, {@code Timeout} and
 * {@code FutureCallback} are reached reflectively, their methods cached per class. Unexpected errors
 * go to {@link SocketHooks#internalError} and never into the application; the connect then goes on
 * as without the agent.
 */
public final class ApacheAsyncHooks {

    static {
        // A reactor opens a connect's channel: its unit was taken at the connect. Nothing is bound
        // before this class is used.
        SocketHooks.addChannelOpenRule(new ChannelOpenRule() {
            @Override
            public Object beforeChannelOpen() {
                return prePaidChannelOpen() ? Boolean.TRUE : null;
            }

            @Override
            public String toString() {
                return "apache reactor";
            }
        });
        // Units pre-paid to opens that never came go back between the gate's slices.
        SocketHooks.addSliceWork(new Runnable() {
            @Override
            public void run() {
                expireLostPrePayments();
            }

            @Override
            public String toString() {
                return "apache reactor";
            }
        });
    }

    private ApacheAsyncHooks() {
    }

    // ---- the pre-paid units

    /** A unit taken for one connect, waiting for the channel the reactor opens for its request. */
    static final class PrePaid {
        static final int PAID = 0;
        static final int OPENED = 1;
        static final int REFUNDED = 2;
        static final int EXPIRED = 3;
        private static final AtomicIntegerFieldUpdater<PrePaid> STATE =
                AtomicIntegerFieldUpdater.newUpdater(PrePaid.class, "state");

        final SocketGate gate;
        /** When it expires, on the gate's clock. */
        final long deadlineNanos;
        private volatile int state = PAID;
        /** The {@code IOSessionRequest} it is bound to; null until the connect's body builds one. */
        volatile Object request;

        PrePaid(SocketGate gate, long lifetimeNanos) {
            this.gate = gate;
            long now = gate.clock().nanoTime();
            this.deadlineNanos = lifetimeNanos >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + lifetimeNanos;
        }

        int state() {
            return state;
        }

        /**
         * PAID -&gt; {@code to}, once. {@link #OPENED}: the channel now holds the unit; otherwise it is
         * given back to the gate.
         * @return whether this call ended it
         */
        boolean end(int to) {
            if (!STATE.compareAndSet(this, PAID, to)) {
                return false;
            }
            try {
                unbind(this);
                (to == OPENED ? OPENED_TOTAL : to == EXPIRED ? EXPIRED_TOTAL : REFUNDED_TOTAL).incrementAndGet();
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("apache pre-paid unit", e); // the unit's fate is decided: it stands
            }
            if (to != OPENED) {
                gate.release();
            }
            return true;
        }
    }

    /** Pre-paid units bound to their requests, by the request's identity; guarded by itself. */
    private static final IdentityHashMap<Object, PrePaid> BOUND = new IdentityHashMap<>();
    /** {@code BOUND.size()}, readable without the lock: the hooks of the requests cost one read while it is 0. */
    private static volatile int bound;
    /** The unit for the request the current thread's connect is about to build (its body runs now). */
    private static final ThreadLocal<PrePaid> FOR_NEXT_REQUEST = new ThreadLocal<>();
    /** The unit armed for the current (reactor) thread's next channel open. */
    private static final ThreadLocal<PrePaid> FOR_NEXT_OPEN = new ThreadLocal<>();

    static final AtomicLong OPENED_TOTAL = new AtomicLong();
    static final AtomicLong REFUNDED_TOTAL = new AtomicLong();
    static final AtomicLong EXPIRED_TOTAL = new AtomicLong();

    /** A pre-paid unit is never held longer than its connect timeout, and at least this long. */
    static final long MIN_PREPAID_LIFETIME_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static PrePaid prePay(SocketGate g, long timeoutMillis) {
        PrePaid p = new PrePaid(g, prePaidLifetimeNanos(g, timeoutMillis));
        FOR_NEXT_REQUEST.set(p);
        return p;
    }

    static long prePaidLifetimeNanos(SocketGate g, long timeoutMillis) {
        long nanos = timeoutMillis > 0 && timeoutMillis < Long.MAX_VALUE / 1_000_000L
                ? TimeUnit.MILLISECONDS.toNanos(timeoutMillis) : g.settings().maxWaitNanos();
        return Math.max(MIN_PREPAID_LIFETIME_NANOS, nanos);
    }

    private static void bind(PrePaid p, Object request) {
        synchronized (BOUND) {
            if (p.state() != PrePaid.PAID || p.request != null) {
                return;
            }
            p.request = request;
            BOUND.put(request, p);
            bound = BOUND.size();
        }
    }

    private static void unbind(PrePaid p) {
        Object request = p.request;
        if (request == null) {
            return;
        }
        synchronized (BOUND) {
            if (BOUND.get(request) == p) {
                BOUND.remove(request);
                bound = BOUND.size();
            }
        }
    }

    private static PrePaid lookUp(Object request) {
        if (bound == 0) {
            return null;
        }
        synchronized (BOUND) {
            return BOUND.get(request);
        }
    }

    /** Pre-paid units waiting for their reactor's open now (tests, diagnostics). */
    static int prePaidWaiting() {
        return bound;
    }

    /**
     * Gives back the pre-paid units whose requests were never opened within their lifetime (a
     * reactor that stopped, a request lost): run between the gate's slices, so whoever waits at the
     * cap recovers them. One volatile read when none is pre-paid.
     * @return how many expired
     */
    public static int expireLostPrePayments() {
        if (bound == 0) {
            return 0;
        }
        try {
            List<PrePaid> overdue = null;
            synchronized (BOUND) {
                for (PrePaid p : BOUND.values()) {
                    if (p.gate.clock().nanoTime() - p.deadlineNanos >= 0) {
                        if (overdue == null) {
                            overdue = new ArrayList<>();
                        }
                        overdue.add(p);
                    }
                }
            }
            int expired = 0;
            if (overdue != null) {
                for (PrePaid p : overdue) {
                    if (p.end(PrePaid.EXPIRED)) {
                        expired++;
                    }
                }
            }
            return expired;
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("apache pre-paid units", e);
            return 0;
        }
    }

    // ---- SingleCoreIOReactor.connect(NamedEndpoint, SocketAddress, SocketAddress, Timeout, Object, FutureCallback)

    /**
     * At the connect's entry, on whichever thread connects (the caller, a reactor completing a pool
     * lease, the gate's delivery thread re-running a granted connect).
     * @return null (not counted here: the open takes its unit as before), a {@link PrePaid} unit
     *         (the body runs; its request is bound to it), or a {@link DeferredConnect} (the body is
     *         skipped and the caller gets it as the connect's {@code Future})
     */
    public static Object beforeReactorConnect(Object reactor, Object endpoint, Object remoteAddress,
                                              Object localAddress, Object timeout, Object attachment,
                                              Object callback) {
        SocketGate g = SocketHooks.gate();
        if (g == null || reactor == null) {
            return null;
        }
        boolean taken = false;
        try {
            PrePaid granted = FOR_NEXT_REQUEST.get();
            if (granted != null) {
                return granted; // a deferred connect, run again with the unit the gate granted it
            }
            if (remoteAddress != null && !(remoteAddress instanceof InetSocketAddress)) {
                return null; // a Unix-domain socket: not counted
            }
            if (excluded(g, remoteAddress)) {
                return null; // counted when opened, never held (exclude)
            }
            long timeoutMillis = Reflection.timeoutMillis(timeout);
            if (g.tryAcquireFast()) {
                taken = true;
                return prePay(g, timeoutMillis);
            }
            if (Reflection.CONNECT.get(reactor.getClass()) == null) {
                return null; // it could not be run again later: opened and counted as before
            }
            DeferredConnect d = new DeferredConnect(g, reactor,
                    new Object[] {endpoint, remoteAddress, localAddress, timeout, attachment, callback}, timeoutMillis);
            if (g.acquireOrDefer(d) == SocketGate.Admission.DEFERRED) {
                return d;
            }
            taken = true;
            return prePay(g, timeoutMillis);
        } catch (RuntimeException | Error e) {
            if (taken) {
                g.release(); // not pre-paid after all: the open takes its own, as without this hook
            }
            SocketHooks.internalError("apache reactor connect", e);
            return null;
        }
    }

    /**
     * Before the connect returns (or throws): the deferred connect stands in for the skipped body's
     * {@code Future}; a pre-paid unit whose body built no request comes back (nothing will open).
     */
    public static Object afterReactorConnect(Object returned, Object entered, Throwable thrown) {
        if (entered instanceof DeferredConnect) {
            return entered;
        }
        if (entered instanceof PrePaid) {
            try {
                FOR_NEXT_REQUEST.set(null);
                PrePaid p = (PrePaid) entered;
                if (p.request == null) {
                    p.end(PrePaid.REFUNDED);
                }
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("apache reactor connect", e);
            }
        }
        return returned;
    }

    private static boolean excluded(SocketGate g, Object remoteAddress) {
        List<AddressRule> rules = g.settings().excludes;
        if (rules.isEmpty() || !(remoteAddress instanceof InetSocketAddress)) {
            return false;
        }
        for (AddressRule rule : rules) {
            if (rule.matches((InetSocketAddress) remoteAddress)) {
                return true;
            }
        }
        return false;
    }

    // ---- IOSessionRequest

    /** {@code IOSessionRequest}'s constructor ended: the unit pre-paid by this thread's connect is bound to it. */
    public static void sessionRequestCreated(Object request) {
        PrePaid p = FOR_NEXT_REQUEST.get();
        if (p == null || p.request != null) {
            return;
        }
        try {
            bind(p, request);
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("apache connect request", e);
        }
    }

    /**
     * {@code isCancelled()} answered: the reactor asks it right before it opens the request's channel.
     * On an event-loop thread the request's unit is armed for that thread's next channel open.
     */
    public static void sessionRequestChecked(boolean cancelled, Object request) {
        if (cancelled || bound == 0) {
            return;
        }
        try {
            PrePaid p = lookUp(request);
            if (p != null && ThreadPolicy.isEventLoopThread(Thread.currentThread())) {
                FOR_NEXT_OPEN.set(p);
            }
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("apache connect request", e);
        }
    }

    /**
     * The request was cancelled ({@code cancel()}: the reactor skips it, or shuts down), failed
     * ({@code failed(Exception)}) or completed: a unit still pre-paid to it will never be opened,
     * and comes back.
     */
    public static void sessionRequestEnded(Object request) {
        if (bound == 0) {
            return;
        }
        try {
            PrePaid p = lookUp(request);
            if (p != null) {
                p.end(PrePaid.REFUNDED);
            }
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("apache connect request", e);
        }
    }

    /**
     * For {@link SocketHooks#beforeChannelOpen}: the channel this thread opens now is the one a
     * reactor opens for a request whose unit is paid. Cheap when none is: one volatile read.
     * @return true if the open uses that unit (it must not take another)
     */
    static boolean prePaidChannelOpen() {
        if (bound == 0) {
            return false;
        }
        PrePaid p;
        try {
            p = FOR_NEXT_OPEN.get();
            if (p == null) {
                return false;
            }
            FOR_NEXT_OPEN.set(null);
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("apache reactor channel open", e);
            return false; // the open takes a unit of its own, as without this hook
        }
        return p.end(PrePaid.OPENED);
    }

    // ---- the pools' hand-back: an HttpCore 5 async connection's channel

    /**
     * The {@code SocketChannel} behind an HttpCore 5 async pooled connection (HttpAsyncClient 5's
     * {@code DefaultManagedAsyncClientConnection}, or an {@code IOSession} that HttpCore's own pools
     * keep), or null for any other connection.
     */
    public static Object channelOfAsyncConnection(Object connection) throws ReflectiveOperationException {
        if (connection == null) {
            return null;
        }
        Object session = connection;
        Method channel = Reflection.SESSION_CHANNEL.get(session.getClass());
        if (channel == null) {
            Field ioSession = Reflection.IO_SESSION.get(connection.getClass());
            if (ioSession == null) {
                return null;
            }
            session = ioSession.get(connection);
            channel = session == null ? null : Reflection.SESSION_CHANNEL.get(session.getClass());
            if (channel == null) {
                return null;
            }
        }
        Object c = channel.invoke(session);
        return c instanceof SocketChannel ? c : null;
    }

    // ---- the deferred connect

    /**
     * A connect that waits at the cap: the caller holds it as the connect's {@code Future} (and
     * cancels through it), the gate's queue holds it as {@link SocketGate.Deferred} work. Its callback
     * ({@code FutureCallback<IOSession>}) is completed exactly once: by the reactor once the connect
     * has run again with its granted unit, or here, if its wait ends otherwise.
     */
    public static final class DeferredConnect extends SocketGate.Deferred implements Future<Object> {
        private static final int WAITING = 0;
        /** Granted, and run again: the reactor's request now completes the callback. */
        private static final int CONNECTING = 1;
        private static final int CANCELLED = 2;
        private static final int FAILED = 3;

        private final SocketGate gate;
        private final Object reactor;
        /** The connect's arguments: endpoint, remote and local address, timeout, attachment, callback. */
        private final Object[] args;
        private final long timeoutMillis;
        private final AtomicInteger outcome = new AtomicInteger(WAITING);
        private final CountDownLatch decided = new CountDownLatch(1);
        private volatile boolean cancelRequested;
        /** The reactor's own request once the connect ran again. */
        private volatile Future<?> request;
        private volatile Exception failure;

        DeferredConnect(SocketGate gate, Object reactor, Object[] args, long timeoutMillis) {
            this.gate = gate;
            this.reactor = reactor;
            this.args = args;
            this.timeoutMillis = timeoutMillis;
            if (timeoutMillis > 0 && timeoutMillis < Long.MAX_VALUE / 1_000_000L) {
                expireAfter(gate, TimeUnit.MILLISECONDS.toNanos(timeoutMillis)); // its connect timeout
            }
        }

        private Object callback() {
            return args[5];
        }

        /** Granted (a unit was taken for it, or counted above the cap by on.timeout=proceed): run it again, pre-paid. */
        @Override
        protected void admitted(SocketGate.Admission how) {
            PrePaid paid = new PrePaid(gate, prePaidLifetimeNanos(gate, timeoutMillis));
            // Cancelled while the grant was on its way; or its reactor shut down while it waited,
            // which cancels the requests it had queued: so this one too.
            if (cancelRequested || Reflection.shutDown(reactor) || !outcome.compareAndSet(WAITING, CONNECTING)) {
                paid.end(PrePaid.REFUNDED);
                end(CANCELLED, null);
                return;
            }
            Object connected = null;
            Throwable thrown = null;
            FOR_NEXT_REQUEST.set(paid);
            try {
                connected = Reflection.CONNECT.get(reactor.getClass()).invoke(reactor, args);
            } catch (InvocationTargetException e) {
                thrown = e.getCause(); // the reactor's own refusal (shut down, a bad argument)
            } catch (ReflectiveOperationException | RuntimeException e) {
                thrown = e;
                SocketHooks.internalError("running a deferred Apache connect", e);
            } finally {
                FOR_NEXT_REQUEST.set(null);
                if (paid.request == null) {
                    paid.end(PrePaid.REFUNDED); // no request was built: nothing will open
                }
            }
            if (thrown != null || !(connected instanceof Future)) {
                Exception cause = thrown instanceof Exception ? (Exception) thrown
                        : new IllegalStateException("the deferred connect did not run", thrown);
                failure = cause;
                outcome.set(FAILED); // no request: its callback is still this connect's to complete
                decided.countDown();
                Reflection.failed(callback(), cause);
                return;
            }
            Future<?> f = (Future<?>) connected;
            request = f;
            decided.countDown();
            if (cancelRequested) {
                f.cancel(true); // cancelled while it ran again: the reactor's request ends it
            }
        }

        /** {@code max.wait.millis} with {@code on.timeout=fail}: failed with the gate's exception. */
        @Override
        protected void refused(SocketGateTimeoutException reason) {
            end(FAILED, reason);
        }

        /** Its connect timeout came first: failed as HttpCore's own connect timeout fails. */
        @Override
        protected void expired() {
            Object timeout = args[3];
            end(FAILED, new SocketTimeoutException(timeout + " (the connect timeout, spent waiting at emfile-guard's"
                    + " socket cap of " + gate.effectiveCap() + ")"));
        }

        /** Ends a wait that never connected, once; a cancel asked for meanwhile wins over a failure. */
        private void end(int to, Exception cause) {
            int how = cancelRequested ? CANCELLED : to;
            if (!outcome.compareAndSet(WAITING, how)) {
                return;
            }
            failure = cause;
            decided.countDown();
            if (how == CANCELLED) {
                Reflection.cancelled(callback());
            } else {
                Reflection.failed(callback(), cause);
            }
        }

        /**
         * The caller cancels: a waiting connect leaves the queue at once (its callback's
         * {@code cancelled()}); one already run again is cancelled through the reactor's request.
         */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            cancelRequested = true;
            try {
                if (gate.cancel(this)) {
                    end(CANCELLED, null);
                    return true;
                }
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("cancelling a deferred Apache connect", e);
            }
            Future<?> f = request;
            if (f != null) {
                // The delivery thread may have cancelled it a moment ago, having seen this cancel.
                return f.cancel(mayInterruptIfRunning) || f.isCancelled();
            }
            // Granted and being run again (it sees the cancel), or already ended.
            return outcome.get() != FAILED;
        }

        @Override
        public boolean isCancelled() {
            Future<?> f = request;
            return f != null ? f.isCancelled() : outcome.get() == CANCELLED;
        }

        @Override
        public boolean isDone() {
            Future<?> f = request;
            return f != null ? f.isDone() : outcome.get() >= CANCELLED;
        }

        @Override
        public Object get() throws InterruptedException, ExecutionException {
            decided.await();
            Future<?> f = request;
            return f != null ? f.get() : unconnectedResult();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            if (!decided.await(timeout, unit)) {
                throw new TimeoutException();
            }
            Future<?> f = request;
            return f != null ? f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                    : unconnectedResult();
        }

        private Object unconnectedResult() throws ExecutionException {
            if (outcome.get() == CANCELLED) {
                throw new CancellationException();
            }
            throw new ExecutionException(failure);
        }

        @Override
        public String toString() {
            return "emfile-guard deferred connect to " + args[1];
        }
    }

    // ---- reflection: library types are never linked

    static final class Reflection {
        private static final String CONNECTION_INITIATOR = "org.apache.hc.core5.reactor.ConnectionInitiator";
        private static final String IO_SESSION_TYPE = "org.apache.hc.core5.reactor.IOSession";
        private static final String IO_REACTOR = "org.apache.hc.core5.reactor.IOReactor";
        private static final String FUTURE_CALLBACK = "org.apache.hc.core5.concurrent.FutureCallback";

        /**
         * The reactor's {@code connect(NamedEndpoint, SocketAddress, SocketAddress, Timeout, Object,
         * FutureCallback)}, through the public {@code ConnectionInitiator} interface (the reactor's
         * class is package-private); null if it has none.
         */
        static final ClassValue<Method> CONNECT = new ClassValue<Method>() {
            @Override
            protected Method computeValue(Class<?> type) {
                Class<?> initiator = findInterface(type, CONNECTION_INITIATOR);
                if (initiator == null) {
                    return null;
                }
                for (Method m : initiator.getMethods()) {
                    Class<?>[] p = m.getParameterTypes();
                    if (m.getName().equals("connect") && p.length == 6 && Future.class.isAssignableFrom(m.getReturnType())
                            && p[5].getName().equals(FUTURE_CALLBACK)) {
                        return m;
                    }
                }
                return null;
            }
        };

        /** {@code IOReactor.getStatus()}, through the public interface; null if it has none. */
        private static final ClassValue<Method> STATUS = new ClassValue<Method>() {
            @Override
            protected Method computeValue(Class<?> type) {
                Class<?> reactor = findInterface(type, IO_REACTOR);
                try {
                    return reactor == null ? null : reactor.getMethod("getStatus");
                } catch (NoSuchMethodException e) {
                    SocketHooks.internalError("apache reactor: " + IO_REACTOR + ".getStatus() does not resolve", e);
                    return null;
                }
            }
        };

        /** Whether the reactor is shutting down or shut down (it then cancels what it had queued). */
        static boolean shutDown(Object reactor) {
            Method m = STATUS.get(reactor.getClass());
            if (m == null) {
                return false;
            }
            try {
                String status = String.valueOf(m.invoke(reactor));
                return status.equals("SHUTTING_DOWN") || status.equals("SHUT_DOWN");
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("apache reactor: getStatus()", e);
                return false; // unsure: taken as running
            }
        }

        /** {@code Timeout.toMilliseconds()} (a {@code TimeValue}); null if absent. */
        private static final ClassValue<Method> TO_MILLISECONDS = new ClassValue<Method>() {
            @Override
            protected Method computeValue(Class<?> type) {
                try {
                    Method m = type.getMethod("toMilliseconds");
                    return m.getReturnType() == long.class ? m : null;
                } catch (NoSuchMethodException e) {
                    SocketHooks.internalError("apache reactor: " + type.getName() + ".toMilliseconds() does not resolve", e);
                    return null;
                }
            }
        };

        /** {@code FutureCallback.failed(Exception)} and {@code cancelled()}, through the public interface. */
        private static final ClassValue<Method[]> CALLBACK = new ClassValue<Method[]>() {
            @Override
            protected Method[] computeValue(Class<?> type) {
                Class<?> callback = findInterface(type, FUTURE_CALLBACK);
                if (callback == null) {
                    return null;
                }
                try {
                    return new Method[] {callback.getMethod("failed", Exception.class), callback.getMethod("cancelled")};
                } catch (NoSuchMethodException e) {
                    SocketHooks.internalError("apache reactor: " + FUTURE_CALLBACK + ".failed/cancelled does not resolve", e);
                    return null;
                }
            }
        };

        /** {@code IOSession.channel()}, through the public interface; null for a class that is no session. */
        static final ClassValue<Method> SESSION_CHANNEL = new ClassValue<Method>() {
            @Override
            protected Method computeValue(Class<?> type) {
                Class<?> session = findInterface(type, IO_SESSION_TYPE);
                if (session == null) {
                    return null;
                }
                try {
                    return session.getMethod("channel");
                } catch (NoSuchMethodException e) {
                    SocketHooks.internalError("apache reactor: " + IO_SESSION_TYPE + ".channel() does not resolve", e);
                    return null;
                }
            }
        };

        /** The {@code ioSession} field of HttpAsyncClient 5's pooled connection; null for other classes. */
        static final ClassValue<Field> IO_SESSION = new ClassValue<Field>() {
            @Override
            protected Field computeValue(Class<?> type) {
                if (!type.getName().startsWith("org.apache.hc.")) {
                    return null;
                }
                for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                    try {
                        Field f = c.getDeclaredField("ioSession");
                        return f.trySetAccessible() ? f : null;
                    } catch (NoSuchFieldException e) {
                        // its superclass, then
                    }
                }
                return null;
            }
        };

        static Class<?> findInterface(Class<?> type, String name) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                for (Class<?> i : c.getInterfaces()) {
                    Class<?> found = i.getName().equals(name) ? i : findInterface(i, name);
                    if (found != null) {
                        return found;
                    }
                }
            }
            return null;
        }

        /** The timeout in milliseconds; 0 for none (null, disabled, or not a {@code TimeValue}). */
        static long timeoutMillis(Object timeout) {
            if (timeout == null) {
                return 0;
            }
            Method m = TO_MILLISECONDS.get(timeout.getClass());
            if (m == null) {
                return 0;
            }
            try {
                return Math.max(0, (Long) m.invoke(timeout));
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("apache reactor: toMilliseconds()", e);
                return 0; // no timeout of its own: max.wait.millis bounds the wait
            }
        }

        static void failed(Object callback, Exception cause) {
            invoke(callback, 0, cause);
        }

        static void cancelled(Object callback) {
            invoke(callback, 1, null);
        }

        /** Calls the callback; what it throws is reported, as HttpCore's reactor reports what its callbacks throw. */
        private static void invoke(Object callback, int which, Exception cause) {
            if (callback == null) {
                return;
            }
            Method[] methods = CALLBACK.get(callback.getClass());
            if (methods == null) {
                SocketHooks.internalError("apache connect callback",
                        new IllegalStateException(callback.getClass().getName() + " is no FutureCallback"));
                return;
            }
            try {
                if (which == 0) {
                    methods[0].invoke(callback, cause);
                } else {
                    methods[1].invoke(callback);
                }
            } catch (InvocationTargetException e) {
                SocketHooks.internalError("apache connect callback", e.getCause());
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("apache connect callback", e);
            }
        }

        private Reflection() {
        }
    }
}
