package io.emfileguard.core.httpclient;

import io.emfileguard.core.ChannelOpenRule;
import io.emfileguard.core.IdleReclaimer;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateInterruptedException;
import io.emfileguard.core.SocketGateTimeoutException;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketIntrospection;
import io.emfileguard.core.SocketRegistry;
import io.emfileguard.core.ThreadPolicy;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * The hooks of the JDK {@code java.net.http.HttpClient}: a {@code send} caller waits at the cap, a
 * {@code sendAsync} exchange is deferred without parking anyone ({@link PendingExchange}; see
 * {@link HttpClientAccount} for the model), the channel a connection opens joins its client's
 * account, and its pool ({@code ConnectionPool}) says when a connection is idle. Errors go to
 * {@link SocketHooks#internalError}, never to the application.
 */
public final class HttpClientHooks {

    /** The HTTP client whose connection the current thread is building, if any. */
    private static final ThreadLocal<HttpClientAccount> CURRENT_HTTP_CLIENT = new ThreadLocal<>();

    /** The async exchange the current thread's {@code sendAsync} is starting, until its MultiExchange takes it. */
    private static final ThreadLocal<PendingExchange> STARTING_ASYNC = new ThreadLocal<>();

    /** Per-client accounts, weakly keyed: HttpClientImpl keeps identity equals/hashCode. */
    private static final Map<Object, HttpClientAccount> ACCOUNTS = new WeakHashMap<>();

    static {
        // The channel a client's own thread opens while building a connection joins its account:
        // counted there, never parked at the gate. Nothing is being built before this class is used.
        SocketHooks.addChannelOpenRule(new ChannelOpenRule() {
            @Override
            public Object beforeChannelOpen() {
                HttpClientAccount account = takeConnectionBeingBuilt();
                if (account != null) {
                    account.channelOpening(); // the client's own thread: counted, never parked
                }
                return account;
            }

            @Override
            public String toString() {
                return "http client"; // names its errors: "channel open (http client)"
            }
        });
    }

    private HttpClientHooks() {
    }

    /**
     * Whether a {@code send}/{@code sendAsync} caller may wait at the cap. Not when it runs on the
     * client's own threads (its default executor's workers, or any stage called from inside the
     * client's code, e.g. a {@code send} issued from another exchange's body handler): those threads
     * complete the exchanges whose end would free the room, so parking them could deadlock.
     * Slow path only.
     */
    static boolean mayParkForExchange() {
        Thread t = Thread.currentThread();
        if (ThreadPolicy.isEventLoopThread(t)) {
            return false;
        }
        String name = t.getName();
        if (name.startsWith("HttpClient-") && name.contains("-Worker-")) {
            return false;
        }
        return !StackWalker.getInstance().walk(frames -> frames.limit(128)
                .map(StackWalker.StackFrame::getClassName)
                .filter(c -> !c.startsWith("io.emfileguard.")
                        && !c.equals("jdk.internal.net.http.HttpClientImpl")
                        && !c.equals("jdk.internal.net.http.HttpClientFacade"))
                .anyMatch(c -> c.startsWith("jdk.internal.net.http.")));
    }

    /**
     * The account of the HttpClient whose connection the current thread is building (its channel
     * belongs to it), taken once; null when the thread builds none.
     */
    static HttpClientAccount takeConnectionBeingBuilt() {
        HttpClientAccount account = CURRENT_HTTP_CLIENT.get();
        if (account != null) {
            CURRENT_HTTP_CLIENT.remove();
        }
        return account;
    }

    /**
     * Before an exchange starts ({@code HttpClientImpl}'s private {@code sendAsync}, which both
     * {@code send} and {@code sendAsync} call; {@code exchangeExecutor} is null for {@code send}).
     * A {@code send} caller waits here at the cap, the same way a blocking connect would. A
     * {@code sendAsync} caller never waits: its exchange's start is deferred instead (see
     * {@link #exchangeExecutor}). See {@link HttpClientAccount} for the model.
     * @return the client's account or the {@link PendingExchange} (for {@link #afterExchangeStarted}),
     *         a {@link RefusedExchange}, or null if not counted
     */
    public static Object beforeExchange(Object client, Object request, Object exchangeExecutor) {
        SocketGate g = SocketHooks.gate();
        if (g == null || client == null) {
            return null;
        }
        HttpClientAccount account;
        boolean mayPark;
        try {
            account = accountOf(client);
            if (exchangeExecutor != null) {
                PendingExchange pending = new PendingExchange(account, g, requestTimeoutNanos(request));
                STARTING_ASYNC.set(pending);
                return pending;
            }
            mayPark = mayParkForExchange();
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client admission", e);
            return null;
        }
        try {
            account.admitExchange(mayPark);
        } catch (SocketGateTimeoutException | SocketGateInterruptedException refused) {
            return new RefusedExchange(refused);
        } catch (RuntimeException | Error e) {
            // Not admitted (the gate takes no unit when it throws): the exchange goes on uncounted,
            // and the channel it opens, if any, still counts in its client's account.
            SocketHooks.internalError("http client admission", e);
            return null;
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
            return CompletableFuture.failedFuture(((RefusedExchange) taken).reason);
        }
        if (taken instanceof PendingExchange) {
            STARTING_ASYNC.remove();
            asyncExchangeReturned((PendingExchange) taken, result, thrown);
            return result;
        }
        if (!(taken instanceof HttpClientAccount)) {
            return result;
        }
        HttpClientAccount account = (HttpClientAccount) taken;
        try {
            if (thrown != null || !(result instanceof CompletableFuture)) {
                account.exchangeEnded();
            } else {
                ((CompletableFuture<?>) result).whenComplete(new ExchangeEnd(account));
            }
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client exchange", e);
        }
        return result;
    }

    /**
     * {@code MultiExchange.responseAsync(executor)}, on the {@code sendAsync} caller: the executor
     * that starts the exchange is replaced by its {@link PendingExchange}, which starts it when
     * admitted. Any other call (a {@code send}) keeps its executor.
     */
    public static Object exchangeExecutor(Object multiExchange, Object executor) {
        PendingExchange pending = STARTING_ASYNC.get();
        if (pending == null || !(executor instanceof Executor)) {
            return executor;
        }
        STARTING_ASYNC.remove();
        try {
            return pending.standIn(multiExchange, (Executor) executor);
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client async start", e);
            return executor;
        }
    }

    /** {@code sendAsync} returned (or threw): the returned future ends the exchange in its account. */
    private static void asyncExchangeReturned(PendingExchange pending, Object result, Throwable thrown) {
        try {
            if (pending.started() || thrown != null || !(result instanceof CompletableFuture)
                    || ((CompletableFuture<?>) result).isDone()) {
                pending.whenReturned(result, thrown); // (never started: it failed before its start, e.g. a closed client)
                return;
            }
            // Started past the agent (its responseAsync was not woven): counted, as a thread that cannot wait.
            HttpClientAccount account = pending.account();
            account.admitExchange(false);
            ((CompletableFuture<?>) result).whenComplete(new ExchangeEnd(account));
        } catch (RuntimeException | Error | SocketGateTimeoutException | SocketGateInterruptedException e) {
            SocketHooks.internalError("http client async exchange", e);
        }
    }

    /** {@code HttpRequest.timeout()} in nanoseconds, 0 when it has none (public API, read reflectively: not the core's module). */
    private static long requestTimeoutNanos(Object request) {
        if (request == null) {
            return 0;
        }
        try {
            Method timeout = REQUEST_TIMEOUT.get(request.getClass());
            Object optional = timeout == null ? null : timeout.invoke(request);
            if (optional instanceof Optional && ((Optional<?>) optional).isPresent()) {
                return ((Duration) ((Optional<?>) optional).get()).toNanos();
            }
            return 0;
        } catch (ReflectiveOperationException | RuntimeException e) {
            SocketHooks.internalError("http request timeout", e);
            return 0;
        }
    }

    private static final ClassValue<Method> REQUEST_TIMEOUT = new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
            try {
                // The public API's method, not the (non-exported) implementation class's.
                Class<?> api = Class.forName("java.net.http.HttpRequest", false, type.getClassLoader());
                return api.getMethod("timeout");
            } catch (ReflectiveOperationException | RuntimeException e) {
                SocketHooks.internalError("http request timeout accessor", e);
                return null;
            }
        }
    };

    /** A {@code PlainHttpConnection} is being built: the channel it opens belongs to this client. */
    public static void httpConnectionStarting(Object client) {
        if (SocketHooks.gate() == null || client == null) {
            return;
        }
        try {
            CURRENT_HTTP_CLIENT.set(accountOf(client));
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client connection", e);
        }
    }

    /** The connection is built: its channel (if it opened one) learns which connection owns it. */
    public static void httpConnectionFinished(Object connection) {
        CURRENT_HTTP_CLIENT.remove();
        onConnection(connection, ConnectionEvent.BUILT);
    }

    private static HttpClientAccount accountOf(Object client) {
        synchronized (ACCOUNTS) {
            HttpClientAccount a = ACCOUNTS.get(client);
            if (a == null) {
                SocketGate gate = SocketHooks.gate();
                a = new HttpClientAccount(gate);
                gate.reserveForThreadsThatCannotWait(); // its own threads open its connections
                ACCOUNTS.put(client, a);
            }
            return a;
        }
    }

    /** Ends an exchange once, whichever way its future completes (value, error, cancellation). */
    private static final class ExchangeEnd implements BiConsumer<Object, Throwable> {
        private final HttpClientAccount account;
        private final AtomicBoolean done = new AtomicBoolean();

        ExchangeEnd(HttpClientAccount account) {
            this.account = account;
        }

        @Override
        public void accept(Object value, Throwable error) {
            if (done.compareAndSet(false, true)) {
                try {
                    account.exchangeEnded();
                } catch (RuntimeException | Error e) {
                    SocketHooks.internalError("http client exchange end", e);
                }
            }
        }
    }


    // ---- the HttpClient's pool: jdk.internal.net.http.ConnectionPool ----

    /**
     * The JDK HttpClient's pool ({@code ConnectionPool.getConnection}) hands out {@code connection}
     * for an exchange: claimed, so that the reclaimer cannot close it from now on. If the reclaimer
     * has already chosen it (it is closing it), the pool answers "none" instead and the client opens
     * a new connection, which takes over the closing one's unit: without this the exchange would
     * fail with "connection closed locally" or a {@code ClosedChannelException}.
     * @return {@code connection}, or null if the reclaimer is closing it
     */
    public static Object pooledHttpConnectionOrNull(Object connection) {
        return onConnection(connection, ConnectionEvent.HANDED_OUT) ? connection : null;
    }

    /**
     * The JDK HttpClient's pool is taking {@code connection} back ({@code ConnectionPool.returnToPool},
     * on entry): its exchange is over, it is idle from now on (reclaimable) until the pool hands it
     * out again. Why on entry: once the pool holds it, another exchange may be handed it (and claim
     * it, {@link #pooledHttpConnectionOrNull}) before {@code returnToPool} returns; marking it idle
     * after that would undo the claim, and the hand-back would close it under that exchange.
     */
    public static void httpConnectionReturningToPool(Object connection) {
        onConnection(connection, ConnectionEvent.RETURNING);
    }

    /**
     * {@code ConnectionPool.returnToPool} returned: while threads wait at the cap, the connection is
     * closed now and its unit goes to the longest waiter, unless an exchange was handed it meanwhile
     * (its claim and this hand-back race on one compare-and-set: one of the two wins).
     */
    public static void httpConnectionBackInPool(Object connection) {
        if (SocketHooks.threadsWaitingForAPooledSocket()) { // the common case: no thread waits
            onConnection(connection, ConnectionEvent.RETURNED);
        }
    }

    /** What happened to an HttpClient connection, as its channel's entry in the registry learns it. */
    private enum ConnectionEvent { BUILT, HANDED_OUT, RETURNING, RETURNED }

    /**
     * Tells the registry (or, once returned, the reclaimer) about the connection's channel.
     * @return false only if it was handed out while the reclaimer is closing it; true whenever unsure
     */
    private static boolean onConnection(Object connection, ConnectionEvent event) {
        SocketRegistry r = SocketHooks.registry();
        if (r == null || connection == null) {
            return true;
        }
        try {
            Object channel = HttpClientConnections.channel(connection);
            if (channel == null) {
                return true;
            }
            if (event == ConnectionEvent.BUILT) {
                r.attachConnection(channel, connection);
            } else if (event == ConnectionEvent.HANDED_OUT) {
                return r.claimForUse(channel, true);
            } else if (event == ConnectionEvent.RETURNING) {
                r.backInPool(channel);
            } else {
                IdleReclaimer rc = SocketHooks.reclaimer();
                if (rc != null) {
                    rc.handBackIfWaiting(channel);
                }
            }
            return true;
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client connection " + event, e);
            return true;
        }
    }
}
