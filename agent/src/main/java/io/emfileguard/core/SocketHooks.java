package io.emfileguard.core;

import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.util.List;

/**
 * The only methods woven code calls (the interception table names them:
 * {@code io.emfileguard.agent.interception.InterceptionPoints}). Reference parameters are
 * {@code Object}: the core cannot name the JDK's internal classes. Each interception point maps to one method here;
 * all bookkeeping is delegated to {@link SocketRegistry} and all waiting to {@link SocketGate}.
 *
 * <p>Every method is safe to call before {@link #install} (it does nothing) and never lets an
 * internal error escape into the application: only the gate's own, documented exceptions
 * ({@link SocketGateTimeoutException}, {@link SocketGateInterruptedException},
 * {@link SocketGateRefusedException}) are thrown, each only where the user's settings ask for it.
 */
public final class SocketHooks {

    private static volatile SocketGate gate;
    private static volatile SocketRegistry registry;
    private static volatile Diagnostics diagnostics = Diagnostics.NONE;
    /** Null when {@code reclaim.idle=false}: then pooled connections are left to their pools. */
    private static volatile IdleReclaimer reclaimer;

    /** Where the current thread is connecting to, when a {@code Socket.connect} is in progress. */
    private static final ThreadLocal<InetSocketAddress> CONNECT_TARGET = new ThreadLocal<>();

    /** The HTTP client whose connection the current thread is building, if any. */
    private static final ThreadLocal<HttpClientAccount> CURRENT_HTTP_CLIENT = new ThreadLocal<>();

    /** Per-client accounts, weakly keyed: HttpClientImpl keeps identity equals/hashCode. */
    private static final java.util.Map<Object, HttpClientAccount> ACCOUNTS = new java.util.WeakHashMap<>();

    /** Reports internal errors once, so the agent never fails the application silently or loudly. */
    public interface Diagnostics {
        void internalError(String where, Throwable error);

        Diagnostics NONE = new Diagnostics() {
            @Override public void internalError(String where, Throwable error) { }
        };
    }

    private SocketHooks() {
    }

    public static void install(SocketGate g, SocketRegistry r, IdleReclaimer idleReclaimer, Diagnostics d) {
        registry = r;
        reclaimer = idleReclaimer;
        diagnostics = d == null ? Diagnostics.NONE : d;
        gate = g;
    }

    public static SocketGate gate() {
        return gate;
    }

    public static SocketRegistry registry() {
        return registry;
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
            diagnostics.internalError("socket create", e);
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
            diagnostics.internalError("socket accept", e);
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
            diagnostics.internalError("socket close", e);
        }
    }

    /** A channel's close started; its descriptor may stay open until its selector lets go. */
    public static void channelClosing(Object channel) {
        SocketRegistry r = registry;
        if (r != null) {
            try {
                r.closing(channel);
            } catch (RuntimeException | Error e) {
                diagnostics.internalError("channel close", e);
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
                diagnostics.internalError("socket read", e);
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
                diagnostics.internalError("socket write", e);
            }
        }
    }

    // ---- java.nio.channels.Selector: sun.nio.ch.SelectorImpl.lockAndDoSelect ----

    /** A thread selects: from now on it is an event loop (counted at the cap, never parked). */
    public static void selecting(long timeoutMillis) {
        try {
            ThreadPolicy.selecting(timeoutMillis);
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("selector", e);
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
                diagnostics.internalError("opening the JDK's socket packages", e);
            }
        }
    }

    // ---- JMX: java.lang.management.ManagementFactory.getPlatformMBeanServer ----

    /** Run once, when the platform MBean server is first asked for (null: nothing to do). */
    private static final java.util.concurrent.atomic.AtomicReference<Runnable> ON_PLATFORM_MBEAN_SERVER =
            new java.util.concurrent.atomic.AtomicReference<>();

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
                diagnostics.internalError("MBean registration", e);
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
            diagnostics.internalError("socket connect", e);
        }
    }

    // ---- Apache HttpCore 4/5: BHttpConnectionBase.isOpen(), the pool's "may I use it" ----

    /**
     * Apache HttpCore's {@code isOpen()} answered {@code open} (its own state, not the socket's): is it
     * still? Apache checks a connection taken from its pool only after {@code validateAfterInactivity}
     * (2 s), and before every request asks {@code isOpen()}. So this is where a socket the reclaimer
     * closed must look closed (Apache then opens a new one instead of failing the request with
     * "Socket closed"), and where a connection about to carry a request is claimed so that the
     * reclaimer leaves it alone ({@link SocketRegistry#claimForUse}).
     * @return what {@code isOpen()} should answer; what it said whenever unsure
     */
    public static boolean pooledConnectionOpen(boolean open, Object connection) {
        return open && pooledConnectionUsable(connection, false);
    }

    /**
     * OkHttp's {@code isHealthy()} answered {@code healthy} for the connection its pool has chosen
     * for a call: as {@link #pooledConnectionOpen}, and the connection stays in use until its reply
     * is read.
     */
    public static boolean pooledConnectionHealthy(boolean healthy, Object connection) {
        return healthy && pooledConnectionUsable(connection, true);
    }

    private static boolean pooledConnectionUsable(Object connection, boolean handedOut) {
        SocketRegistry r = registry;
        if (r == null || connection == null) {
            return true;
        }
        try {
            Object owner = ownerOfPooledConnection(connection);
            if (owner == SocketIntrospection.CLOSED) {
                return false;
            }
            return owner == null || r.claimForUse(owner, handedOut);
        } catch (RuntimeException | Error | IllegalAccessException e) {
            diagnostics.internalError("pooled connection check", e);
            return true;
        }
    }

    /**
     * {@code HttpURLConnection}'s keep-alive cache hands out {@code cached}: the same question as
     * {@link #pooledConnectionHealthy}; the JDK opens a new connection when the cache has none.
     * @return {@code cached}, or null if the reclaimer closed it or is closing it
     */
    public static Object cachedConnectionOrNull(Object cached) {
        return cached == null || pooledConnectionUsable(cached, true) ? cached : null;
    }

    /**
     * The JDK HttpClient's pool ({@code ConnectionPool.getConnection}) hands out {@code connection}
     * for an exchange: claimed, so that the reclaimer cannot close it from now on. If the reclaimer
     * has already chosen it (it is closing it), the pool answers "none" instead and the client opens
     * a new connection, which takes over the closing one's unit: without this the exchange would
     * fail with "connection closed locally" or a {@code ClosedChannelException}.
     * @return {@code connection}, or null if the reclaimer is closing it
     */
    public static Object pooledHttpConnectionOrNull(Object connection) {
        SocketRegistry r = registry;
        if (r == null || connection == null) {
            return connection;
        }
        try {
            Object channel = SocketIntrospection.httpConnectionChannel(connection);
            return channel == null || r.claimForUse(channel, true) ? connection : null;
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("http client pool", e);
            return connection;
        }
    }

    /**
     * The JDK HttpClient's pool is taking {@code connection} back ({@code ConnectionPool.returnToPool},
     * on entry): its exchange is over, it is idle from now on (reclaimable) until the pool hands it
     * out again. Why on entry: once the pool holds it, another exchange may be handed it (and claim
     * it, {@link #pooledHttpConnectionOrNull}) before {@code returnToPool} returns; marking it idle
     * after that would undo the claim, and the hand-back would close it under that exchange.
     */
    public static void httpConnectionReturningToPool(Object connection) {
        SocketRegistry r = registry;
        if (r == null || connection == null) {
            return;
        }
        try {
            Object channel = SocketIntrospection.httpConnectionChannel(connection);
            if (channel != null) {
                r.backInPool(channel);
            }
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("http client pool", e);
        }
    }

    /**
     * {@code ConnectionPool.returnToPool} returned: while threads wait at the cap, the connection is
     * closed now and its unit goes to the longest waiter, unless an exchange was handed it meanwhile
     * (its claim and this hand-back race on one compare-and-set: one of the two wins).
     */
    public static void httpConnectionBackInPool(Object connection) {
        SocketRegistry r = registry;
        IdleReclaimer rc = reclaimer;
        SocketGate g = gate;
        if (r == null || rc == null || connection == null || g == null || g.waitingThreads() == 0) {
            return; // the common case: no thread waits
        }
        try {
            Object channel = SocketIntrospection.httpConnectionChannel(connection);
            if (channel != null) {
                rc.handBackIfWaiting(channel);
            }
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("http client pool", e);
        }
    }

    /**
     * {@code HttpURLConnection} opened a connection ({@code NetworkClient.doConnect}): it belongs to
     * the keep-alive cache's cycle, in use until {@link #connectionBackInCache}.
     */
    public static void connectionOpenedForCache(Object socket) {
        SocketRegistry r = registry;
        if (r == null || !(socket instanceof java.net.Socket)) {
            return;
        }
        try {
            Object owner = SocketIntrospection.descriptorOwnerOfSocket((java.net.Socket) socket);
            if (owner != null && owner != SocketIntrospection.CLOSED) {
                r.outOfPool(owner);
            }
        } catch (RuntimeException | Error | IllegalAccessException e) {
            diagnostics.internalError("keep-alive connect", e);
        }
    }

    /**
     * {@code KeepAliveCache.put}: the connection's reply is consumed, it is idle in the cache now.
     * Threads waiting at the cap get its unit at once (it is closed before the cache holds it, so
     * no other thread can be handed it; the cache's {@code get} then finds it closed).
     */
    public static void connectionBackInCache(Object cached) {
        SocketRegistry r = registry;
        if (r == null || cached == null) {
            return;
        }
        try {
            Object owner = ownerOfPooledConnection(cached);
            if (owner != null && owner != SocketIntrospection.CLOSED) {
                r.backInPool(owner);
                if (reclaimer != null && gate.waitingThreads() > 0) {
                    handBackIfWaiting(cached);
                }
            }
        } catch (RuntimeException | Error | IllegalAccessException e) {
            diagnostics.internalError("keep-alive put", e);
        }
    }

    /**
     * Apache HttpCore's pool takes a connection back ({@code release(entry, reusable)}, on entry:
     * the entry is still leased to this thread, so nobody else can be handed it). While threads wait
     * at the cap, a reusable connection is closed now and its unit goes to the longest waiter; the
     * pool finds it closed ({@code isOpen()} says so) and opens a new one when it needs one.
     */
    public static void pooledEntryReleasing(Object entry, boolean reusable) {
        if (!reusable || entry == null || reclaimer == null || gate == null || gate.waitingThreads() == 0) {
            return; // the common case: one volatile read
        }
        try {
            handBackIfWaiting(SocketIntrospection.poolEntryConnection(entry));
        } catch (RuntimeException | Error | ReflectiveOperationException e) {
            diagnostics.internalError("pool release", e);
        }
    }

    /**
     * OkHttp's pool saw its connection become idle ({@code connectionBecameIdle}; {@code evicted}
     * when the pool closes it itself). While threads wait at the cap, it is closed now and its unit
     * goes to the longest waiter; a call that acquired it meanwhile finds it unhealthy
     * ({@link #pooledConnectionHealthy}) and takes another.
     */
    public static void pooledConnectionIdle(boolean evicted, Object connection) {
        if (evicted || connection == null || reclaimer == null || gate == null || gate.waitingThreads() == 0) {
            return;
        }
        try {
            handBackIfWaiting(connection);
        } catch (RuntimeException | Error | IllegalAccessException e) {
            diagnostics.internalError("pool idle", e);
        }
    }

    /** Closes a pooled connection's socket if threads wait at the cap (see {@link IdleReclaimer#handBackIfWaiting}). */
    private static void handBackIfWaiting(Object connection) throws IllegalAccessException {
        IdleReclaimer rc = reclaimer;
        java.net.Socket socket = connection == null ? null : SocketIntrospection.pooledConnectionSocket(connection);
        Object owner = socket == null ? null : SocketIntrospection.descriptorOwnerOfSocket(socket);
        if (rc != null && owner != null && owner != SocketIntrospection.CLOSED) {
            registry.attachSocket(owner, socket); // the Socket itself is closed: pools ask Socket.isClosed()
            rc.handBackIfWaiting(owner);
        }
    }

    /** The descriptor owner behind a pooled connection, {@link SocketIntrospection#CLOSED}, or null. */
    private static Object ownerOfPooledConnection(Object connection) throws IllegalAccessException {
        if (connection == null) {
            return null;
        }
        java.net.Socket socket = SocketIntrospection.pooledConnectionSocket(connection);
        return socket == null ? null : SocketIntrospection.descriptorOwnerOfSocket(socket);
    }

    // ---- NIO: sun.nio.ch.SelectorProviderImpl.openSocketChannel / SocketChannelImpl ----

    /**
     * Before a {@code SocketChannel} is opened (its descriptor is created in the constructor).
     * @return what was taken, for {@link #afterChannelOpen}: null (nothing), {@link Boolean#TRUE}
     *         (a unit of the gate), or the {@link HttpClientAccount} the channel belongs to
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
        HttpClientAccount account = CURRENT_HTTP_CLIENT.get();
        if (account != null) {
            CURRENT_HTTP_CLIENT.remove();
            try {
                account.channelOpening(); // the client's own thread: counted, never parked
            } catch (RuntimeException | Error e) {
                diagnostics.internalError("http client channel open", e);
                return null;
            }
            return account;
        }
        return take(g, true) ? Boolean.TRUE : null;
    }

    /** Channels have no Cleaner: if dropped unclosed their descriptor leaks, so the unit stays. */
    public static void afterChannelOpen(Object channel, Object taken, Throwable thrown) {
        if (taken == null) {
            return;
        }
        try {
            HttpClientAccount account = taken instanceof HttpClientAccount ? (HttpClientAccount) taken : null;
            if (thrown != null || channel == null || !registry.track(channel, false, account)) {
                if (account != null) {
                    account.channelClosed();
                } else {
                    gate.release();
                }
            }
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("channel open", e);
        }
    }

    // ---- java.net.http.HttpClient: jdk.internal.net.http.HttpClientImpl ----

    /**
     * Before an exchange ({@code send} or {@code sendAsync}) starts: the caller waits here at the
     * cap, the same way a blocking connect would. See {@link HttpClientAccount} for the model.
     * @return the client's account (for {@link #afterExchangeStarted}), or null if not counted
     */
    public static Object beforeExchange(Object client) {
        SocketGate g = gate;
        if (g == null || client == null) {
            return null;
        }
        HttpClientAccount account;
        boolean mayPark;
        try {
            account = accountOf(client);
            mayPark = ThreadPolicy.mayParkForExchange();
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("http client admission", e);
            return null;
        }
        try {
            account.admitExchange(mayPark);
        } catch (SocketGateTimeoutException | SocketGateInterruptedException refused) {
            return new RefusedExchange(refused);
        }
        return account;
    }

    /**
     * After the exchange was started (or skipped because it was refused): its unit comes back when
     * the returned future completes.
     * @return the future the caller gets: the client's own, or a failed one for a refused exchange
     */
    public static Object afterExchangeStarted(Object result, Object taken, Throwable thrown) {
        if (taken instanceof RefusedExchange) {
            return java.util.concurrent.CompletableFuture.failedFuture(((RefusedExchange) taken).reason);
        }
        if (!(taken instanceof HttpClientAccount)) {
            return result;
        }
        HttpClientAccount account = (HttpClientAccount) taken;
        try {
            if (thrown != null || !(result instanceof java.util.concurrent.CompletableFuture)) {
                account.exchangeEnded();
            } else {
                ((java.util.concurrent.CompletableFuture<?>) result).whenComplete(new ExchangeEnd(account));
            }
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("http client exchange", e);
        }
        return result;
    }

    /** A {@code PlainHttpConnection} is being built: the channel it opens belongs to this client. */
    public static void httpConnectionStarting(Object client) {
        if (gate == null || client == null) {
            return;
        }
        try {
            CURRENT_HTTP_CLIENT.set(accountOf(client));
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("http client connection", e);
        }
    }

    /** The connection is built: its channel (if it opened one) learns which connection owns it. */
    public static void httpConnectionFinished(Object connection) {
        CURRENT_HTTP_CLIENT.remove();
        SocketRegistry r = registry;
        if (r == null || connection == null) {
            return;
        }
        try {
            Object channel = SocketIntrospection.httpConnectionChannel(connection);
            if (channel != null) {
                r.attachHttpConnection(channel, connection);
            }
        } catch (RuntimeException | Error e) {
            diagnostics.internalError("http client connection", e);
        }
    }

    private static HttpClientAccount accountOf(Object client) {
        synchronized (ACCOUNTS) {
            HttpClientAccount a = ACCOUNTS.get(client);
            if (a == null) {
                a = new HttpClientAccount(gate);
                gate.reserveForThreadsThatCannotWait(); // its own threads open its connections
                ACCOUNTS.put(client, a);
            }
            return a;
        }
    }

    /** Ends an exchange once, whichever way its future completes (value, error, cancellation). */
    private static final class ExchangeEnd implements java.util.function.BiConsumer<Object, Throwable> {
        private final HttpClientAccount account;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        ExchangeEnd(HttpClientAccount account) {
            this.account = account;
        }

        @Override
        public void accept(Object value, Throwable error) {
            if (done.compareAndSet(false, true)) {
                try {
                    account.exchangeEnded();
                } catch (RuntimeException | Error e) {
                    diagnostics.internalError("http client exchange end", e);
                }
            }
        }
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
            diagnostics.internalError("thread policy", e);
            excluded = true; // unsure: count it, never park or refuse
            eventLoop = false;
        }
        if (eventLoop) {
            g.acquireWithoutWaiting(); // counted above the cap, or refused (event.loop.at.cap=fail)
        } else {
            g.acquire(!excluded);
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
