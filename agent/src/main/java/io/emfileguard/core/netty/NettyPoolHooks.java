package io.emfileguard.core.netty;

import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateTimeoutException;
import io.emfileguard.core.SocketHooks;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;

/**
 * The hooks of Netty's channel pools: {@code io.netty.channel.pool.SimpleChannelPool}, which
 * {@code FixedChannelPool} and the AWS SDK v2's {@code NettyNioAsyncHttpClient} pools end in. One
 * home for this client family; Netty's types are used reflectively (the core cannot link them).
 *
 * <p>A pool's {@code acquire(Promise)} runs on an event loop (the SDK's always does), and with no
 * idle channel it creates one, and so its socket, at once inside the call: the event loop cannot
 * wait there. So the acquire itself waits, as {@link SocketGate.Deferred} work: at the cap, with no
 * idle channel in the pool (or with this pool's earlier acquires still waiting, which a newcomer
 * never jumps), its body is skipped and the promise returned; the event loop goes on. The acquire
 * runs again on the pool's event loop when
 * <ul>
 *   <li>a unit frees: the unit is prepaid to the socket the acquire opens next
 *       ({@link SocketHooks#prepayNextChannelOpen}), and given back if it opened none (an idle
 *       channel turned up);</li>
 *   <li>a channel goes back to this pool ({@code offerChannel}): the waiting acquire claims it
 *       without a unit ({@link SocketGate#offerClaim}) and takes it on the channel's event loop.</li>
 * </ul>
 * The promise is always completed: by the acquire's own run, or failed with the gate's
 * {@link SocketGateTimeoutException} ({@code on.timeout=fail}), or with what rejected the re-run
 * (an event loop group shut down). A promise already done when the wait ends (cancelled by its
 * owner) gets no acquire, and the unit goes back. The acquire's caller may have its own timer (the
 * SDK's {@code connectionAcquisitionTimeout}): it keeps running while the acquire waits.
 */
public final class NettyPoolHooks {

    static final String SIMPLE_CHANNEL_POOL = "io.netty.channel.pool.SimpleChannelPool";
    private static final String PROMISE = "io.netty.util.concurrent.Promise";
    private static final String FUTURE = "io.netty.util.concurrent.Future";

    /** The entry hook took a unit for the acquire's own channel open: given back at exit if unused. */
    private static final Object UNIT_PREPAID = new Object();

    /** Set while an admitted acquire runs again: it does not queue behind its pool's later waiters. */
    private static final ThreadLocal<Boolean> ADMITTED_RUN = new ThreadLocal<>();

    private NettyPoolHooks() {
    }

    // ---- SimpleChannelPool.acquire(Promise)

    /**
     * Before {@code SimpleChannelPool.acquire(promise)}, on whatever thread asks (an event loop).
     * @return null (go on as without the agent), the marker of a unit prepaid to the channel the
     *         acquire opens, or a {@link DeferredAcquire}: the body is skipped, the acquire waits
     */
    public static Object beforePoolAcquire(Object pool, Object promise, Object deque, Object bootstrap) {
        SocketGate g = SocketHooks.gate();
        if (g == null || pool == null || promise == null || !(deque instanceof Deque)) {
            return null;
        }
        try {
            @SuppressWarnings("unchecked")
            Deque<Object> idle = (Deque<Object>) deque;
            return beforeAcquire(g, pool, promise, idle, bootstrap);
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("netty pool acquire", e);
            return null;
        }
    }

    static Object beforeAcquire(SocketGate g, Object pool, Object promise, Deque<Object> idle, Object bootstrap) {
        if (SocketHooks.hasPrepaidChannelOpen()) {
            return null; // admitted with a unit (or nested in such a run): that unit pays for its open
        }
        boolean hasIdle = !idle.isEmpty();
        if (hasIdle && (ADMITTED_RUN.get() != null || !Waiters.any(pool))) {
            return null; // an idle channel and nobody of this pool ahead: no new socket
        }
        Rerun rerun = Rerun.of(pool, bootstrap);
        if (rerun == null) {
            return null; // cannot run it again later: counted as without this hook
        }
        DeferredAcquire node = new DeferredAcquire(g, pool, promise, idle, rerun);
        if (g.acquireOrDefer(node) == SocketGate.Admission.IMMEDIATE) {
            SocketHooks.prepayNextChannelOpen(g);
            return UNIT_PREPAID;
        }
        // Listed once queued (a node never listed is never offered a channel it cannot use); one
        // whose wait already ended (granted at once) leaves the list again: its callback may have
        // run before it was listed.
        Waiters.add(node);
        if (!node.isWaiting()) {
            Waiters.remove(node);
        }
        if (!idle.isEmpty()) {
            offerIdleChannel(pool); // an idle channel goes to this pool's first waiter, in order
        }
        return node;
    }

    /**
     * Before {@code acquire} returns or throws: the skipped body returns its promise (completed
     * later); a prepaid unit no channel took goes back.
     */
    public static Object afterPoolAcquire(Object returned, Object entered, Object promise, Throwable thrown) {
        if (entered instanceof DeferredAcquire) {
            return promise;
        }
        if (entered == UNIT_PREPAID) {
            try {
                SocketHooks.refundPrepaidChannelOpen();
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("netty pool acquire", e);
            }
        }
        return returned;
    }

    // ---- SimpleChannelPool.offerChannel(Channel)

    /** A channel went back to its pool's idle deque: an acquire of that pool waiting at the cap may take it. */
    public static void channelBackInPool(boolean offered, Object pool, Object deque) {
        if (!offered || pool == null) {
            return;
        }
        try {
            if (!Waiters.none() && Waiters.waitingIn(pool)) {
                offerIdleChannel(pool);
                return;
            }
            handBackIfOthersWait(deque);
        } catch (RuntimeException | Error | ReflectiveOperationException e) {
            SocketHooks.internalError("netty pool release", e);
        }
    }

    private static final ClassValue<Method> CLOSE = new PublicMethod("close");

    /**
     * No acquire of this pool waits, but threads or deferred work of other clients wait at the cap:
     * the channel just put back holds a unit its pool does not need now. Taken out of the idle deque
     * (so no acquire can poll it) and closed, its unit goes to the longest waiter, as an Apache or
     * keep-alive connection going back to its pool does ({@link IdleReclaimer#handBackIfWaiting}).
     */
    @SuppressWarnings("unchecked")
    static void handBackIfOthersWait(Object deque) throws ReflectiveOperationException {
        SocketGate g = SocketHooks.gate();
        if (g == null || !(deque instanceof Deque) || (g.waitingThreads() == 0 && g.deferredWaiting() == 0)) {
            return;
        }
        Deque<Object> idle = (Deque<Object>) deque;
        Object ch = idle.peekLast();
        // Only a JDK NIO channel holds a unit (native transports never reach the gate: closing one frees nothing).
        if (ch == null || !ch.getClass().getSimpleName().startsWith("Nio")) {
            return;
        }
        if (!idle.removeLastOccurrence(ch)) {
            return; // an acquire took it meanwhile
        }
        Method close = CLOSE.get(ch.getClass());
        if (close == null) {
            idle.offerLast(ch);
            return;
        }
        close.invoke(ch);
    }

    /** Offers the pool's idle channel to its first waiting acquire that has no offer yet. */
    static void offerIdleChannel(Object pool) {
        DeferredAcquire next = Waiters.nextToOffer(pool);
        if (next != null) {
            next.gate.offerClaim(next);
        }
    }

    // ---- the deferred acquire

    /**
     * An acquire waiting at the cap; its callbacks run on the gate's delivery thread, its re-run on an
     * event loop. Public: the woven acquire tests for it ({@code instanceof}) from the library's loader.
     */
    public static final class DeferredAcquire extends SocketGate.Deferred implements Runnable {
        final SocketGate gate;
        final Object pool;
        final Object promise;
        final Deque<Object> idle;
        final Rerun rerun;
        /** An idle channel has been offered to it (see {@link Waiters#nextToOffer}). */
        volatile boolean claimOffered;
        /** The idle channel its claim took out of the pool, until its re-run puts it back to acquire it. */
        private volatile Object claimed;
        /** For the re-run: the claimed channel, or null when a unit was taken for it. */
        private Object withChannel;

        DeferredAcquire(SocketGate gate, Object pool, Object promise, Deque<Object> idle, Rerun rerun) {
            this.gate = gate;
            this.pool = pool;
            this.promise = promise;
            this.idle = idle;
            this.rerun = rerun;
        }

        @Override
        protected boolean tryClaim() {
            Object ch = idle.pollLast();
            if (ch == null) {
                claimOffered = false; // taken by another acquire meanwhile: the next channel back is offered again
                return false;
            }
            claimed = ch;
            return true;
        }

        @Override
        protected void undoClaim() {
            Object ch = claimed;
            claimed = null;
            if (ch != null) {
                idle.offerLast(ch); // where it was: the granted re-run finds it and gives its unit back
            }
        }

        @Override
        protected void admitted(SocketGate.Admission how) {
            if (how == SocketGate.Admission.CLAIMED) {
                Waiters.remove(this);
                Object ch = claimed;
                claimed = null;
                if (done(promise)) {
                    putBack(ch);
                    return;
                }
                withChannel = ch;
                Executor loop = eventLoopOf(ch); // where the channel's release ran: its health check runs inline
                try {
                    (loop != null ? loop : rerun.executor).execute(this);
                } catch (RuntimeException | Error e) {
                    putBack(ch);
                    fail(promise, e);
                }
                return;
            }
            // AFTER_WAIT or OVER_CAP_TIMED_OUT: a unit was taken for it.
            Waiters.remove(this); // an idle channel offered to it meanwhile: its re-run takes it, and gives the unit back
            if (done(promise)) {
                gate.release(); // cancelled by its owner meanwhile: no acquire, the unit goes back
                leaveWithoutAcquire();
                return;
            }
            try {
                rerun.executor.execute(this);
            } catch (RuntimeException | Error e) {
                gate.release(); // a shut-down group: the acquire never runs
                leaveWithoutAcquire();
                fail(promise, e);
            }
        }

        @Override
        protected void refused(SocketGateTimeoutException reason) {
            leaveWithoutAcquire();
            fail(promise, reason);
        }

        @Override
        protected void expired() {
            // It sets no deadline of its own; were one set, its end is the gate's timeout.
            leaveWithoutAcquire();
            SocketGate g = gate;
            fail(promise, new SocketGateTimeoutException(g.settings().maxSockets, g.openSockets(), 0));
        }

        /** It will not take an idle channel: one offered to it (still in the pool) goes to the next waiter. */
        private void leaveWithoutAcquire() {
            Waiters.remove(this);
            if (claimOffered && !idle.isEmpty()) {
                offerIdleChannel(pool);
            }
        }

        /** The re-run, on an event loop of the pool. */
        @Override
        public void run() {
            Object ch = withChannel;
            withChannel = null;
            if (done(promise)) {
                if (ch != null) {
                    putBack(ch);
                } else {
                    gate.release();
                }
                return;
            }
            if (ch != null) {
                idle.offerLast(ch); // where pollChannel() takes from next (the newest end; any idle one will do)
            } else {
                SocketHooks.prepayNextChannelOpen(gate);
            }
            ADMITTED_RUN.set(Boolean.TRUE);
            try {
                rerun.acquire(pool, promise);
            } catch (Throwable t) {
                SocketHooks.internalError("netty pool acquire (after its wait)", t);
                fail(promise, t);
                if (ch != null) {
                    offerIdleChannel(pool);
                }
            } finally {
                ADMITTED_RUN.set(null);
                if (ch == null) {
                    SocketHooks.refundPrepaidChannelOpen(); // an idle channel turned up, or no open came
                }
            }
        }

        /** A claimed channel the acquire will not take: back into the pool, for the next waiter. */
        private void putBack(Object ch) {
            if (ch != null) {
                idle.offerLast(ch);
                offerIdleChannel(pool);
            }
        }
    }

    // ---- this pool's waiting acquires

    /** The deferred acquires of each pool, in arrival order: an idle channel goes to the first. */
    static final class Waiters {
        /** Guarded by itself. Identity: a pool is the instance. */
        private static final Map<Object, ArrayDeque<DeferredAcquire>> BY_POOL = new IdentityHashMap<>();
        /** BY_POOL.size(), readable without the lock: a channel's release reads only this when none wait. */
        private static volatile int pools;

        private Waiters() {
        }

        static boolean none() {
            return pools == 0;
        }

        static void add(DeferredAcquire node) {
            synchronized (BY_POOL) {
                ArrayDeque<DeferredAcquire> q = BY_POOL.get(node.pool);
                if (q == null) {
                    q = new ArrayDeque<>();
                    BY_POOL.put(node.pool, q);
                    pools = BY_POOL.size();
                }
                q.addLast(node);
            }
        }

        static void remove(DeferredAcquire node) {
            synchronized (BY_POOL) {
                ArrayDeque<DeferredAcquire> q = BY_POOL.get(node.pool);
                if (q != null && q.remove(node) && q.isEmpty()) {
                    BY_POOL.remove(node.pool);
                    pools = BY_POOL.size();
                }
            }
        }

        /** Whether acquires of {@code pool} wait (a newcomer queues behind them). */
        static boolean any(Object pool) {
            if (pools == 0) {
                return false;
            }
            synchronized (BY_POOL) {
                return BY_POOL.containsKey(pool);
            }
        }

        /** Whether an acquire of {@code pool} waits at the cap now. */
        static boolean waitingIn(Object pool) {
            synchronized (BY_POOL) {
                return BY_POOL.containsKey(pool);
            }
        }

        /** The first acquire of {@code pool} still waiting with no idle channel offered yet, now marked offered. */
        static DeferredAcquire nextToOffer(Object pool) {
            if (pools == 0) {
                return null;
            }
            synchronized (BY_POOL) {
                ArrayDeque<DeferredAcquire> q = BY_POOL.get(pool);
                if (q == null) {
                    return null;
                }
                for (DeferredAcquire n : q) {
                    if (n.isWaiting() && !n.claimOffered) {
                        n.claimOffered = true;
                        return n;
                    }
                }
                return null;
            }
        }

        /** For tests: how many acquires wait in all. */
        static int size() {
            synchronized (BY_POOL) {
                int n = 0;
                for (ArrayDeque<DeferredAcquire> q : BY_POOL.values()) {
                    n += q.size();
                }
                return n;
            }
        }
    }

    // ---- reflection into Netty (cached per class)

    /** How a deferred acquire runs again: {@code SimpleChannelPool.acquire} itself (not a subclass's), on the pool's group. */
    static final class Rerun {
        final MethodHandle acquire;
        final Executor executor;

        private Rerun(MethodHandle acquire, Executor executor) {
            this.acquire = acquire;
            this.executor = executor;
        }

        /** Null (and reported once) when this Netty does not look as expected. */
        static Rerun of(Object pool, Object bootstrap) {
            Object handle = ACQUIRE.get(pool.getClass());
            if (!(handle instanceof MethodHandle)) {
                SocketHooks.internalError("netty pool acquire: SimpleChannelPool.acquire(Promise) not found",
                        (Throwable) handle);
                return null;
            }
            Executor group;
            try {
                group = groupOf(bootstrap);
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("netty pool acquire: the pool's event loop group", e);
                return null;
            }
            return group == null ? null : new Rerun((MethodHandle) handle, group);
        }

        void acquire(Object pool, Object promise) throws Throwable {
            Object ignored = (Object) acquire.invokeExact(pool, promise);
        }
    }

    /**
     * Per pool class: {@code SimpleChannelPool.acquire(Promise)} called as {@code super.acquire} would
     * ({@code FixedChannelPool} overrides it and has already counted the acquire it delegates), or
     * what went wrong finding it.
     */
    private static final ClassValue<Object> ACQUIRE = new ClassValue<Object>() {
        @Override
        protected Object computeValue(Class<?> type) {
            try {
                Class<?> pool = type;
                while (pool != null && !pool.getName().equals(SIMPLE_CHANNEL_POOL)) {
                    pool = pool.getSuperclass();
                }
                if (pool == null) {
                    return new IllegalStateException(type.getName() + " is no " + SIMPLE_CHANNEL_POOL);
                }
                ClassLoader loader = pool.getClassLoader();
                Class<?> promise = Class.forName(PROMISE, false, loader);
                Class<?> future = Class.forName(FUTURE, false, loader);
                MethodHandle special = MethodHandles.privateLookupIn(pool, MethodHandles.lookup())
                        .findSpecial(pool, "acquire", MethodType.methodType(future, promise), pool);
                return special.asType(MethodType.methodType(Object.class, Object.class, Object.class));
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                return e;
            }
        }
    };

    private static final ClassValue<Method> CONFIG = new PublicMethod("config");
    private static final ClassValue<Method> GROUP = new PublicMethod("group");
    private static final ClassValue<Method> EVENT_LOOP = new PublicMethod("eventLoop");
    private static final ClassValue<Method> TRY_FAILURE = new PublicMethod("tryFailure", Throwable.class);

    /** {@code bootstrap.config().group()}: where the pool's connects run. */
    static Executor groupOf(Object bootstrap) throws ReflectiveOperationException {
        if (bootstrap == null) {
            return null;
        }
        Method config = CONFIG.get(bootstrap.getClass());
        Object c = config == null ? null : config.invoke(bootstrap);
        Method group = c == null ? null : GROUP.get(c.getClass());
        Object g = group == null ? null : group.invoke(c);
        return g instanceof Executor ? (Executor) g : null;
    }

    /** {@code channel.eventLoop()}, or null. */
    static Executor eventLoopOf(Object channel) {
        try {
            Method m = channel == null ? null : EVENT_LOOP.get(channel.getClass());
            Object loop = m == null ? null : m.invoke(channel);
            return loop instanceof Executor ? (Executor) loop : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            SocketHooks.internalError("netty channel's event loop", e);
            return null;
        }
    }

    /** Netty's {@code Future} is a {@code java.util.concurrent.Future}: done, cancelled included. */
    static boolean done(Object promise) {
        return promise instanceof Future && ((Future<?>) promise).isDone();
    }

    /** {@code promise.tryFailure(cause)}: the acquire's promise always completes. */
    static void fail(Object promise, Throwable cause) {
        try {
            Method m = TRY_FAILURE.get(promise.getClass());
            if (m == null) {
                throw new IllegalStateException(promise.getClass().getName() + " has no tryFailure(Throwable)");
            }
            m.invoke(promise, cause);
        } catch (ReflectiveOperationException | RuntimeException | Error e) {
            SocketHooks.internalError("failing a netty pool's acquire", e);
        }
    }

    /** A public method callable through reflection: declared by a public type, or made accessible. */
    private static final class PublicMethod extends ClassValue<Method> {
        private final String name;
        private final Class<?>[] parameters;

        PublicMethod(String name, Class<?>... parameters) {
            this.name = name;
            this.parameters = parameters;
        }

        @Override
        protected Method computeValue(Class<?> type) {
            Method m;
            try {
                m = type.getMethod(name, parameters);
            } catch (NoSuchMethodException e) {
                // Every class asked has it (Bootstrap.config(), its config's group(), a channel's
                // eventLoop(), a promise's tryFailure): a Netty that changed.
                SocketHooks.internalError("netty: " + type.getName() + "." + name + " does not resolve", e);
                return null;
            }
            if (Modifier.isPublic(m.getDeclaringClass().getModifiers())) {
                return m;
            }
            Method viaPublicType = declaredByPublicSupertype(type);
            if (viaPublicType != null) {
                return viaPublicType;
            }
            try {
                m.setAccessible(true);
                return m;
            } catch (RuntimeException e) {
                SocketHooks.internalError("netty: " + type.getName() + "." + name + " is not accessible", e);
                return null;
            }
        }

        private Method declaredByPublicSupertype(Class<?> type) {
            ArrayDeque<Class<?>> todo = new ArrayDeque<>();
            todo.add(type);
            while (!todo.isEmpty()) {
                Class<?> c = todo.poll();
                if (Modifier.isPublic(c.getModifiers())) {
                    try {
                        Method m = c.getMethod(name, parameters);
                        if (Modifier.isPublic(m.getDeclaringClass().getModifiers())) {
                            return m;
                        }
                    } catch (NoSuchMethodException e) {
                        // not on this one
                    }
                }
                if (c.getSuperclass() != null) {
                    todo.add(c.getSuperclass());
                }
                for (Class<?> i : c.getInterfaces()) {
                    todo.add(i);
                }
            }
            return null;
        }
    }
}
