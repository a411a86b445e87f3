package io.emfileguard.core.pooled;

import io.emfileguard.core.IdleReclaimer;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketIntrospection;
import io.emfileguard.core.SocketRegistry;
import io.emfileguard.core.apache.ApacheAsyncHooks;
import io.emfileguard.core.httpclient.HttpClientHooks;
import java.net.Socket;

/**
 * The hooks of the pooled clients the agent follows: {@code HttpURLConnection}'s keep-alive cache,
 * Apache HttpCore 4 and 5, OkHttp. At each, a pooled connection is handed out (claimed against the
 * reclaimer: {@link SocketRegistry#claimForUse}) or goes back to its pool (while threads wait at the
 * cap, closed at once so that its unit goes to the longest waiter). The JDK HttpClient's pool is in
 * {@link HttpClientHooks}. Errors go to {@link SocketHooks#internalError}, never to the application.
 */
public final class PooledClientHooks {

    private PooledClientHooks() {
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
        SocketRegistry r = SocketHooks.registry();
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
            SocketHooks.internalError("pooled connection check", e);
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
     * {@code HttpURLConnection} opened a connection ({@code NetworkClient.doConnect}): it belongs to
     * the keep-alive cache's cycle, in use until {@link #connectionBackInCache}.
     */
    public static void connectionOpenedForCache(Object socket) {
        SocketRegistry r = SocketHooks.registry();
        if (r == null || !(socket instanceof Socket)) {
            return;
        }
        try {
            Object owner = SocketIntrospection.descriptorOwnerOfSocket((Socket) socket);
            if (owner != null && owner != SocketIntrospection.CLOSED) {
                r.outOfPool(owner);
            }
        } catch (RuntimeException | Error | IllegalAccessException e) {
            SocketHooks.internalError("keep-alive connect", e);
        }
    }

    /**
     * {@code KeepAliveCache.put}: the connection's reply is consumed, it is idle in the cache now.
     * Threads waiting at the cap get its unit at once (it is closed before the cache holds it, so
     * no other thread can be handed it; the cache's {@code get} then finds it closed).
     */
    public static void connectionBackInCache(Object cached) {
        SocketRegistry r = SocketHooks.registry();
        if (r == null || cached == null) {
            return;
        }
        try {
            Object owner = ownerOfPooledConnection(cached);
            if (owner != null && owner != SocketIntrospection.CLOSED) {
                r.backInPool(owner);
                if (SocketHooks.threadsWaitingForAPooledSocket()) {
                    handBackIfWaiting(cached);
                }
            }
        } catch (RuntimeException | Error | ReflectiveOperationException e) {
            SocketHooks.internalError("keep-alive put", e);
        }
    }

    /**
     * Apache HttpCore's pool takes a connection back ({@code release(entry, reusable)}, on entry:
     * the entry is still leased to this thread, so nobody else can be handed it). While threads wait
     * at the cap, a reusable connection is closed now and its unit goes to the longest waiter; the
     * pool finds it closed ({@code isOpen()} says so) and opens a new one when it needs one.
     */
    public static void pooledEntryReleasing(Object entry, boolean reusable) {
        if (!reusable || entry == null || !SocketHooks.threadsWaitingForAPooledSocket()) {
            return; // the common case: one volatile read
        }
        try {
            handBackIfWaiting(PooledConnections.poolEntryConnection(entry));
        } catch (RuntimeException | Error | ReflectiveOperationException e) {
            SocketHooks.internalError("pool release", e);
        }
    }

    /**
     * OkHttp's pool saw its connection become idle ({@code connectionBecameIdle}; {@code evicted}
     * when the pool closes it itself). While threads wait at the cap, it is closed now and its unit
     * goes to the longest waiter; a call that acquired it meanwhile finds it unhealthy
     * ({@link #pooledConnectionHealthy}) and takes another.
     */
    public static void pooledConnectionIdle(boolean evicted, Object connection) {
        if (evicted || connection == null || !SocketHooks.threadsWaitingForAPooledSocket()) {
            return;
        }
        try {
            handBackIfWaiting(connection);
        } catch (RuntimeException | Error | ReflectiveOperationException e) {
            SocketHooks.internalError("pool idle", e);
        }
    }

    /**
     * Closes a pooled connection's socket if threads (or deferred connects) wait at the cap (see
     * {@link IdleReclaimer#handBackIfWaiting}); an HttpCore 5 async connection's channel likewise
     * (the reactor and the pool find it closed, as when the server closes it).
     */
    private static void handBackIfWaiting(Object connection) throws ReflectiveOperationException {
        IdleReclaimer rc = SocketHooks.reclaimer();
        Socket socket = connection == null ? null : PooledConnections.socketOf(connection);
        if (socket == null) {
            Object channel = rc == null ? null : ApacheAsyncHooks.channelOfAsyncConnection(connection);
            if (channel != null) {
                rc.handBackIfWaiting(channel);
            }
            return;
        }
        Object owner = socket == null ? null : SocketIntrospection.descriptorOwnerOfSocket(socket);
        if (rc != null && owner != null && owner != SocketIntrospection.CLOSED) {
            SocketHooks.registry().attachSocket(owner, socket); // the Socket itself is closed: pools ask Socket.isClosed()
            rc.handBackIfWaiting(owner);
        }
    }

    /** The descriptor owner behind a pooled connection, {@link SocketIntrospection#CLOSED}, or null. */
    private static Object ownerOfPooledConnection(Object connection) throws IllegalAccessException {
        if (connection == null) {
            return null;
        }
        Socket socket = PooledConnections.socketOf(connection);
        return socket == null ? null : SocketIntrospection.descriptorOwnerOfSocket(socket);
    }
}
