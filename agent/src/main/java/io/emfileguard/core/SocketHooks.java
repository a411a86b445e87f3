package io.emfileguard.core;

import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The hooks of the JDK's own sockets and channels (create, connect, accept, read, write, close;
 * {@code SocketChannel} open; selectors), and what every family of hooks shares: the installed gate,
 * registry and reclaimer, and the one route for internal errors ({@link #internalError}). The client
 * families' hooks live in packages of their own under {@code io.emfileguard.core} and reach the
 * gate, registry and reclaimer only through their public methods and the narrow interfaces
 * {@link UnitHolder} and {@link ChannelOpenRule}. Woven code calls only hooks classes; the interception table
 * ({@code io.emfileguard.agent.interception.InterceptionPoints}) names each call. Reference
 * parameters are {@code Object}: the core cannot name the JDK's internal classes. All bookkeeping is
 * delegated to {@link SocketRegistry} and all waiting to {@link SocketGate}.
 *
 * <p>Every hook is safe to call before {@link #install} (it does nothing) and never lets an
 * internal error escape into the application: only the gate's own, documented exceptions
 * ({@link SocketGateTimeoutException}, {@link SocketGateInterruptedException},
 * {@link SocketGateRefusedException}) are thrown, each only where the user's settings ask for it.
 */
public final class SocketHooks {

    private static volatile SocketGate gate;
    private static volatile SocketRegistry registry;
    /** Where internal errors are reported (after they are counted). */
    private static volatile GateEvents events = GateEvents.NONE;
    /** Null when {@code reclaim.idle=false}: then pooled connections are left to their pools. */
    private static volatile IdleReclaimer reclaimer;

    /** Where the current thread is connecting to, when a {@code Socket.connect} is in progress. */
    private static final ThreadLocal<InetSocketAddress> CONNECT_TARGET = new ThreadLocal<>();

    private SocketHooks() {
    }

    /** @param e the one sink of the core's events; here, where internal errors go (logged once per kind) */
    public static void install(SocketGate g, SocketRegistry r, IdleReclaimer idleReclaimer, GateEvents e) {
        registry = r;
        reclaimer = idleReclaimer;
        events = e == null ? GateEvents.NONE : e;
        gate = g;
    }

    public static SocketGate gate() {
        return gate;
    }

    public static SocketRegistry registry() {
        return registry;
    }

    /** The idle reclaimer, or null when {@code reclaim.idle=false}. */
    public static IdleReclaimer reclaimer() {
        return reclaimer;
    }

    /**
     * Whether a connection going back to its pool should go to a waiter (every pool's hand-back asks
     * it first): one volatile read when none waits.
     */
    public static boolean threadsWaitingForAPooledSocket() {
        SocketGate g = gate;
        return g != null && g.waitingThreads() > 0 && reclaimer != null;
    }

    /**
     * The one route for an unexpected error inside the agent: a hook, a waiting thread's housekeeping,
     * an event sink, a reflective read of a JDK or library internal that changed. Counted (the MBean's
     * {@code InternalErrorsTotal}) and handed to the events' sink, which logs one line per kind of
     * error; never thrown into the application.
     */
    public static void internalError(String where, Throwable error) {
        INTERNAL_ERRORS.incrementAndGet();
        try {
            events.internalError(where, error);
        } catch (RuntimeException | Error reportFailed) {
            // The report itself failed (the log's stream): nowhere left to report it; counted above.
        }
    }

    private static final AtomicLong INTERNAL_ERRORS = new AtomicLong();

    /** Internal errors reported so far, of every kind (the MBean's {@code InternalErrorsTotal}). */
    public static long internalErrorsTotal() {
        return INTERNAL_ERRORS.get();
    }

    // ---- java.net.Socket: sun.nio.ch.NioSocketImpl ----

    /**
     * Before {@code NioSocketImpl.create(stream)}: the descriptor is about to be created. Client
     * stream sockets take a unit here, waiting at the cap. Listening sockets are not counted.
     * @return whether a unit was taken (passed to {@link #afterCreate})
     */
    public static boolean beforeCreate(boolean server, boolean stream)
            throws SocketGateTimeoutException, SocketGateInterruptedException, SocketGateRefusedException {
        SocketGate g = gate;
        if (g == null || server || !stream) {
            return false;
        }
        return take(g, false);
    }

    /** After {@code NioSocketImpl.create}: track the owner, or give the unit back if creation failed. */
    public static void afterCreate(Object impl, boolean unitTaken, Throwable thrown) {
        if (!unitTaken) {
            return;
        }
        try {
            SocketGate g = gate;
            if (thrown != null || !registry.track(impl, true)) {
                g.release();
            }
        } catch (RuntimeException | Error e) {
            internalError("socket create", e);
        }
    }

    /** {@code NioSocketImpl.accept(SocketImpl)}: the argument now holds an accepted descriptor. */
    public static void socketAccepted(Object acceptedImpl) {
        accepted(acceptedImpl, true);
    }

    /** {@code ServerSocketChannelImpl.finishAccept}: the channel it returns holds an accepted descriptor. */
    public static void channelAccepted(Object channel) {
        accepted(channel, false);
    }

    /** A socket accepted by a server: counted at once, never held (the peer is already connected). */
    private static void accepted(Object owner, boolean releaseOnCollect) {
        SocketGate g = gate;
        if (g == null || owner == null) {
            return;
        }
        try {
            if (registry.track(owner, releaseOnCollect, null, true)) {
                g.addWithoutWaiting();
            }
        } catch (RuntimeException | Error e) {
            internalError("socket accept", e);
        }
    }

    /**
     * {@code tryClose()} of a socket or channel ended: it returns false while another thread is still
     * in a read or write, or while a channel is registered with a selector (the JDK calls it again
     * then), so the unit comes back only when the descriptor really goes.
     */
    public static void descriptorCloseEnded(boolean closed, Object owner, Throwable thrown) {
        if (closed || thrown != null) {
            closed(owner);
        }
    }

    /** The owner's descriptor was closed (any path: close, failed connect clean-up, adaptor, SSL). */
    private static void closed(Object owner) {
        SocketGate g = gate;
        if (g == null) {
            return;
        }
        try {
            registry.release(owner);
        } catch (RuntimeException | Error e) {
            internalError("socket close", e);
        }
    }

    /** A channel's close started; its descriptor may stay open until its selector lets go. */
    public static void channelClosing(Object channel) {
        SocketRegistry r = registry;
        if (r != null) {
            try {
                r.closing(channel);
            } catch (RuntimeException | Error e) {
                internalError("channel close", e);
            }
        }
    }


    /** A read ended on a socket or channel ({@code completed}: it returned bytes). */
    public static void readEnded(Object owner, boolean completed) {
        SocketRegistry r = registry;
        if (r != null) {
            try {
                r.ioEnded(owner, false, completed);
            } catch (RuntimeException | Error e) {
                internalError("socket read", e);
            }
        }
    }

    /** A write ended on a socket or channel ({@code completed}: it wrote bytes). */
    public static void writeEnded(Object owner, boolean completed) {
        SocketRegistry r = registry;
        if (r != null) {
            try {
                r.ioEnded(owner, true, completed);
            } catch (RuntimeException | Error e) {
                internalError("socket write", e);
            }
        }
    }

    // ---- java.nio.channels.Selector: sun.nio.ch.SelectorImpl.lockAndDoSelect ----

    /** A thread selects: from now on it is an event loop (counted at the cap, never parked). */
    public static void selecting(long timeoutMillis) {
        try {
            ThreadPolicy.selecting(timeoutMillis);
        } catch (RuntimeException | Error e) {
            internalError("selector", e);
        }
    }

    // ---- deep reflection into the JDK's socket classes (SocketIntrospection) ----

    /** Opens the JDK packages SocketIntrospection reads; run once, when that class is first used. */
    private static volatile Runnable introspectionOpener;

    /**
     * {@code opener} opens the JDK packages whose sockets {@link SocketIntrospection} reads (the idle
     * reclaimer, the leak report, the pool hooks). Not at start-up: on JDK 25 a package of
     * {@code java.base} opened at start-up (sun.nio.ch) costs ~5 MiB of memory at the first socket,
     * and most processes never need to look inside a socket.
     */
    public static void whenIntrospectionNeeded(Runnable opener) {
        introspectionOpener = opener;
    }

    static void openPackagesForIntrospection() {
        Runnable opener = introspectionOpener;
        introspectionOpener = null;
        if (opener != null) {
            try {
                opener.run();
            } catch (RuntimeException | Error e) {
                internalError("opening the JDK's socket packages", e);
            }
        }
    }

    // ---- JMX: java.lang.management.ManagementFactory.getPlatformMBeanServer ----

    /** Run once, when the platform MBean server is first asked for (null: nothing to do). */
    private static final AtomicReference<Runnable> ON_PLATFORM_MBEAN_SERVER =
            new AtomicReference<>();

    /** {@code task} runs once, on the thread that first asks for the platform MBean server. */
    public static void whenPlatformMBeanServerExists(Runnable task) {
        ON_PLATFORM_MBEAN_SERVER.set(task);
    }

    /** The platform MBean server exists now (the task's own call to it finds nothing left to run). */
    public static void platformMBeanServerReady(Object server) {
        Runnable task = ON_PLATFORM_MBEAN_SERVER.getAndSet(null);
        if (task != null) {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                internalError("MBean registration", e);
            }
        }
    }

    // ---- java.net.Socket.connect: only to know the target for 'exclude' ----

    public static void connectStarting(Object target) {
        // Only exclude rules read the target: without them a connect costs no thread-local write
        // (each set after a remove() allocates an entry, a weak reference the GC must process).
        SocketGate g = gate;
        if (target instanceof InetSocketAddress && g != null && !g.settings().excludes.isEmpty()) {
            CONNECT_TARGET.set((InetSocketAddress) target);
        }
    }

    public static void connectFinished(Object socket, Object impl) {
        SocketGate g = gate;
        if (g != null && !g.settings().excludes.isEmpty()) {
            CONNECT_TARGET.set(null); // not remove(): the entry is reused by the thread's next connect
        }
        SocketRegistry r = registry;
        if (r == null || impl == null) {
            return;
        }
        try {
            r.attachSocketLater(socket, impl);
        } catch (RuntimeException | Error e) {
            internalError("socket connect", e);
        }
    }

    // ---- NIO: sun.nio.ch.SelectorProviderImpl.openSocketChannel / SocketChannelImpl ----

    /**
     * Before a {@code SocketChannel} is opened (its descriptor is created in the constructor).
     * @return what was taken, for {@link #afterChannelOpen}: null (nothing), {@link Boolean#TRUE}
     *         (a unit of the gate), or the {@link UnitHolder} the channel belongs to (a family's
     *         {@link ChannelOpenRule} said so)
     */
    public static Object beforeChannelOpen()
            throws SocketGateTimeoutException, SocketGateInterruptedException, SocketGateRefusedException {
        return beforeChannelOpen(null);
    }

    /** As {@link #beforeChannelOpen()}, for {@code openSocketChannel(ProtocolFamily)}. */
    public static Object beforeChannelOpen(Object family)
            throws SocketGateTimeoutException, SocketGateInterruptedException, SocketGateRefusedException {
        SocketGate g = gate;
        if (g == null || !isInternet(family)) {
            return null;
        }
        if (takePrepaidChannelOpen()) {
            return Boolean.TRUE; // its unit was taken when its deferred work was admitted
        }
        for (ChannelOpenRule rule : channelOpenRules) {
            Object taken;
            try {
                taken = rule.beforeChannelOpen();
            } catch (RuntimeException | Error e) {
                internalError("channel open (" + rule + ")", e);
                return null; // uncounted, as without the agent
            }
            if (taken != null) {
                return taken; // paid already (TRUE), or counted by the family's holder
            }
        }
        return take(g, true) ? Boolean.TRUE : null;
    }

    /** Channels have no Cleaner: if dropped unclosed their descriptor leaks, so the unit stays. */
    public static void afterChannelOpen(Object channel, Object taken, Throwable thrown) {
        if (taken == null) {
            return;
        }
        try {
            UnitHolder holder = taken instanceof UnitHolder ? (UnitHolder) taken : null;
            if (thrown != null || channel == null || !registry.track(channel, false, holder)) {
                if (holder != null) {
                    holder.channelClosed();
                } else {
                    gate.release();
                }
            }
        } catch (RuntimeException | Error e) {
            internalError("channel open", e);
        }
    }

    /** The families' rules for a channel open, in the order they registered (copy on write). */
    private static volatile ChannelOpenRule[] channelOpenRules = new ChannelOpenRule[0];

    /** A client family's rule for channel opens, registered once when its hooks class is first used. */
    public static synchronized void addChannelOpenRule(ChannelOpenRule rule) {
        channelOpenRules = appended(channelOpenRules, rule);
    }

    /** The families' work between the gate's slices, in the order they registered (copy on write). */
    private static volatile Runnable[] sliceWork = new Runnable[0];

    /**
     * Work a client family needs done between the gate's slices (e.g. give back units it paid for
     * opens that never came), registered once when its hooks class is first used.
     */
    public static synchronized void addSliceWork(Runnable work) {
        sliceWork = appended(sliceWork, work);
    }

    /** A copy of {@code array} with {@code element} at its end: the registries above are read without a lock. */
    private static <T> T[] appended(T[] array, T element) {
        T[] next = Arrays.copyOf(array, array.length + 1);
        next[array.length] = element;
        return next;
    }

    /** Runs the families' slice work; one's error is reported and the others still run. */
    public static void runSliceWork() {
        for (Runnable work : sliceWork) {
            try {
                work.run();
            } catch (RuntimeException | Error e) {
                internalError("a family's slice work (" + work + ")", e);
            }
        }
    }

    // ---- a unit paid in advance for the next channel a thread opens (deferred async work)

    /**
     * The gate whose unit the current thread holds for the next channel it opens: deferred work
     * (a Netty pool's acquire) that was admitted with a unit runs on its client's own thread, which
     * must neither wait nor count a second unit for the socket it opens next.
     */
    private static final ThreadLocal<SocketGate> PREPAID = new ThreadLocal<>();
    /** How many threads hold a prepaid unit: the channel-open path reads the thread-local only when any do. */
    private static final AtomicInteger PREPAID_THREADS =
            new AtomicInteger();

    /**
     * The current thread holds a unit of {@code g} (taken by the caller) for the next Internet channel
     * it opens: that open uses it instead of taking one. The caller must end the hand-off with
     * {@link #refundPrepaidChannelOpen()} on the same thread, which gives the unit back if no channel
     * took it. At most one per thread: a second is given back at once.
     */
    public static void prepayNextChannelOpen(SocketGate g) {
        if (PREPAID.get() != null) {
            g.release(); // one is already waiting for this thread's next open: never two
            return;
        }
        PREPAID.set(g);
        PREPAID_THREADS.incrementAndGet();
    }

    /** Whether the current thread holds a unit for its next channel open. */
    public static boolean hasPrepaidChannelOpen() {
        return PREPAID_THREADS.get() != 0 && PREPAID.get() != null;
    }

    /**
     * Ends the hand-off begun by {@link #prepayNextChannelOpen}: if no channel took the unit (an idle
     * pooled channel turned up instead, or the open never came), it goes back to its gate.
     * @return whether a unit was given back
     */
    public static boolean refundPrepaidChannelOpen() {
        SocketGate g = PREPAID.get();
        if (g == null) {
            return false;
        }
        PREPAID.set(null); // not remove(): an event loop reuses the entry
        PREPAID_THREADS.decrementAndGet();
        g.release();
        return true;
    }

    /** The channel being opened uses the current thread's prepaid unit, if it holds one. */
    private static boolean takePrepaidChannelOpen() {
        if (PREPAID_THREADS.get() == 0) {
            return false; // one volatile read on every channel open
        }
        SocketGate g = PREPAID.get();
        if (g == null) {
            return false;
        }
        PREPAID.set(null); // not remove(): an event loop reuses the entry
        PREPAID_THREADS.decrementAndGet();
        return true;
    }

    /** INET and INET6 channels hold TCP sockets; UNIX (JDK 16+) channels are not counted. */
    private static boolean isInternet(Object family) {
        return family == null || family == StandardProtocolFamily.INET || family == StandardProtocolFamily.INET6;
    }

    // ---- shared ----

    /**
     * @param channel a {@code SocketChannel}: the JDK HttpClient opens its connections as channels,
     *        so only there is the stack worth walking for its internal stages; a
     *        {@code java.net.Socket} only asks whether the thread is an event loop (no stack walk).
     */
    private static boolean take(SocketGate g, boolean channel)
            throws SocketGateTimeoutException, SocketGateInterruptedException, SocketGateRefusedException {
        if (g.tryAcquireFast()) {
            return true;
        }
        boolean eventLoop;
        boolean excluded;
        try {
            registry.expungeCollected(); // sockets the GC took may be exactly what frees a slot
            excluded = excluded(g.settings().excludes);
            eventLoop = !excluded && (channel ? !ThreadPolicy.mayPark()
                    : ThreadPolicy.isEventLoopThread(Thread.currentThread()));
        } catch (RuntimeException | Error e) {
            internalError("thread policy", e);
            excluded = true; // unsure: count it, never park or refuse
            eventLoop = false;
        }
        try {
            if (eventLoop) {
                g.acquireWithoutWaiting(); // counted above the cap, or refused (event.loop.at.cap=fail)
            } else {
                g.acquire(!excluded);
            }
        } catch (SocketGateTimeoutException | SocketGateInterruptedException | SocketGateRefusedException refused) {
            throw refused; // the gate's own, where the settings ask for them
        } catch (RuntimeException | Error e) {
            // The gate takes no unit when it throws (its event sink, claim and slice work report their
            // own errors): the socket opens anyway, and counts. The count is the truth.
            internalError("socket admission", e);
            g.addWithoutWaiting();
        }
        return true;
    }

    private static boolean excluded(List<AddressRule> rules) {
        if (rules.isEmpty()) {
            return false;
        }
        InetSocketAddress target = CONNECT_TARGET.get();
        if (target == null) {
            return false;
        }
        for (AddressRule rule : rules) {
            if (rule.matches(target)) {
                return true;
            }
        }
        return false;
    }
}
