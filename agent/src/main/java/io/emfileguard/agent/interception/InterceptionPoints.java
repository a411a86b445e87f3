package io.emfileguard.agent.interception;

import static io.emfileguard.agent.interception.InterceptionPoint.Arg.ENTERED;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.RETURNED;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.THIS;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.THROWN;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.arg;
import static io.emfileguard.agent.interception.InterceptionPoint.Arg.field;
import static io.emfileguard.agent.interception.InterceptionPoint.Needs.ALWAYS;
import static io.emfileguard.agent.interception.InterceptionPoint.Needs.CONNECT_TARGET;
import static io.emfileguard.agent.interception.InterceptionPoint.Needs.IDLE_RECLAIM;
import static io.emfileguard.agent.interception.InterceptionPoint.Needs.JMX;
import static io.emfileguard.agent.interception.InterceptionPoint.point;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

import io.emfileguard.agent.interception.InterceptionPoint.Needs;

/**
 * Every method the agent weaves, and nothing else: the transformer, the doctor's report and the
 * docs read this table. Adding an interception point = one row here, one hook in the hooks class
 * of its family ({@code io.emfileguard.core.SocketHooks} for the JDK's sockets; each client family in
 * a package of its own, named relative to the core: {@code httpclient.HttpClientHooks},
 * {@code pooled.PooledClientHooks}, {@code netty.NettyPoolHooks}, {@code apache.ApacheAsyncHooks}),
 * one test. Each hook named here must exist in its class with the
 * parameters its arguments give ({@code InterceptionPointsTest}).
 */
public final class InterceptionPoints {

    private static final String SOCKET_IMPL = "sun.nio.ch.NioSocketImpl";
    private static final String CHANNEL = "sun.nio.ch.SocketChannelImpl";
    private static final String PROVIDER = "sun.nio.ch.SelectorProviderImpl";
    private static final String KEEP_ALIVE = "sun.net.www.http.KeepAliveCache";
    private static final String NETTY_POOL = "io.netty.channel.pool.SimpleChannelPool";
    private static final String APACHE_REACTOR = "org.apache.hc.core5.reactor.SingleCoreIOReactor";
    private static final String APACHE_SESSION_REQUEST = "org.apache.hc.core5.reactor.IOSessionRequest";

    /** The table, in the order the docs list it. */
    public static final List<InterceptionPoint> ALL = Collections.unmodifiableList(Arrays.asList(
        // ---- java.net.Socket: every client Socket gets its descriptor in create(), at connect or at
        // the first option set before it (OkHttp sets soTimeout first). Waiting here keeps descriptors
        // themselves under the cap.
        point(ALWAYS, SOCKET_IMPL, "create", "(Z)V", "a Socket's descriptor is created: waits at the cap")
            .enter("beforeCreate", "Z", field("server", "Z"), arg(0))
            .exitOrThrow("afterCreate", THIS, ENTERED, THROWN),
        point(ALWAYS, SOCKET_IMPL, "accept", "(Ljava/net/SocketImpl;)V", "a server accepted a socket: counted, never held")
            .exit("socketAccepted", arg(0)),
        // tryClose() is the one place each closes its descriptor; false while another thread is still in
        // a read or write (the JDK calls it again then). Double closes never reach it.
        point(ALWAYS, SOCKET_IMPL, "tryClose", "()Z", "a Socket's descriptor is closed: the unit comes back")
            .exitOrThrow("descriptorCloseEnded", RETURNED, THIS, THROWN),

        // ---- NIO channels: SocketChannel.open() (NIO clients, Netty's NIO transport, the JDK HttpClient).
        // The factory, not the constructor: a failed creation gives its unit back.
        point(ALWAYS, PROVIDER, "openSocketChannel", "()Ljava/nio/channels/SocketChannel;",
                "a SocketChannel is opened: waits at the cap (event loops never wait)")
            .enter("beforeChannelOpen", "Ljava/lang/Object;")
            .exitOrThrow("afterChannelOpen", RETURNED, ENTERED, THROWN),
        point(ALWAYS, PROVIDER, "openSocketChannel", "(Ljava/net/ProtocolFamily;)Ljava/nio/channels/SocketChannel;",
                "the same, with a protocol family (Unix-domain channels are not counted)")
            .enter("beforeChannelOpen", "Ljava/lang/Object;", arg(0))
            .exitOrThrow("afterChannelOpen", RETURNED, ENTERED, THROWN),
        point(ALWAYS, "sun.nio.ch.ServerSocketChannelImpl", "finishAccept",
                "(Ljava/io/FileDescriptor;Ljava/net/SocketAddress;)Ljava/nio/channels/SocketChannel;",
                "a server channel accepted a channel: counted, never held")
            .exit("channelAccepted", RETURNED),
        point(ALWAYS, CHANNEL, "tryClose", "()Z", "a channel's descriptor is closed: the unit comes back")
            .exitOrThrow("descriptorCloseEnded", RETURNED, THIS, THROWN),
        // A channel registered with a selector keeps its descriptor until deregistration; an HTTP client
        // opening its next connection in that gap must not count the closing one as room.
        point(ALWAYS, CHANNEL, "implCloseSelectableChannel", "()V", "a channel's close has started")
            .exitOrThrow("channelClosing", THIS),
        // Every Selector.select*: a thread that blocks there runs an event loop, never parked at the cap.
        point(ALWAYS, "sun.nio.ch.SelectorImpl", "lockAndDoSelect", "(Ljava/util/function/Consumer;J)I",
                "a thread selects: it is an event loop from now on (counted, never parked)")
            .enter("selecting", "V", arg(1)),

        // ---- java.net.http.HttpClient: public send and sendAsync all go through this private sendAsync, on
        // the caller's thread (its last argument is null for send): a send caller waits here, and a refused
        // exchange completes its future exceptionally; a sendAsync exchange is admitted at its start (below).
        point(ALWAYS, "jdk.internal.net.http.HttpClientImpl", "sendAsync",
                "(Ljava/net/http/HttpRequest;Ljava/net/http/HttpResponse$BodyHandler;"
                        + "Ljava/net/http/HttpResponse$PushPromiseHandler;Ljava/util/concurrent/Executor;)"
                        + "Ljava/util/concurrent/CompletableFuture;",
                "an HttpClient exchange starts: a `send` caller waits at the cap, a `sendAsync` one never does")
            .enter("httpclient.HttpClientHooks.beforeExchange", "Ljava/lang/Object;", THIS, arg(0), arg(3))
            .skipWhenEnteredIs("io/emfileguard/core/httpclient/RefusedExchange")
            .exitOrThrowReplacing("httpclient.HttpClientHooks.afterExchangeStarted", RETURNED, ENTERED, THROWN),
        // The exchange's start: `start.completeAsync(() -> null, executor)`, the executor used for nothing
        // else. For `sendAsync` the agent hands the JDK an executor that starts it when admitted (deferred
        // at the cap: the caller returns at once); `send` keeps its own.
        point(ALWAYS, "jdk.internal.net.http.MultiExchange", "responseAsync",
                "(Ljava/util/concurrent/Executor;)Ljava/util/concurrent/CompletableFuture;",
                "a `sendAsync` exchange's start: deferred at the cap, never its caller")
            .enterReplacing(0, "httpclient.HttpClientHooks.exchangeExecutor", THIS, arg(0)),
        // (addr, client) on JDK 17 and 21, (addr, client, label) on JDK 25: the channel it opens belongs to
        // that client's account, so an exchange and its connection take one unit between them.
        point(ALWAYS, "jdk.internal.net.http.PlainHttpConnection", "<init>",
                "(Ljava/net/InetSocketAddress;Ljdk/internal/net/http/HttpClientImpl;...",
                "an HttpClient connection is built: its channel joins the client's account")
            .enter("httpclient.HttpClientHooks.httpConnectionStarting", "V", arg(1))
            .exit("httpclient.HttpClientHooks.httpConnectionFinished", THIS),

        // ---- Netty's channel pools (FixedChannelPool, the AWS SDK's NettyNioAsyncHttpClient): an acquire runs on
        // an event loop and, with no idle channel, connects at once inside the call. At the cap the acquire itself
        // waits, as deferred work: its body is skipped, its promise returned, and it runs again on the pool's
        // event loop when a unit frees (prepaid to its open) or a channel goes back to this pool.
        point(ALWAYS, NETTY_POOL, "acquire", "(Lio/netty/util/concurrent/Promise;)Lio/netty/util/concurrent/Future;",
                "a Netty pool acquires a channel: at the cap, with none idle, it waits as deferred work (the event "
                        + "loop goes on)")
            .enter("netty.NettyPoolHooks.beforePoolAcquire", "Ljava/lang/Object;", THIS, arg(0),
                    field("deque", "Ljava/util/Deque;"), field("bootstrap", "Lio/netty/bootstrap/Bootstrap;"))
            .skipWhenEnteredIs("io/emfileguard/core/netty/NettyPoolHooks$DeferredAcquire")
            .exitOrThrowReplacing("netty.NettyPoolHooks.afterPoolAcquire", RETURNED, ENTERED, arg(0), THROWN),
        point(ALWAYS, NETTY_POOL, "offerChannel", "(Lio/netty/channel/Channel;)Z",
                "a channel goes back to its Netty pool: an acquire of that pool waiting at the cap takes it")
            .exit("netty.NettyPoolHooks.channelBackInPool", RETURNED, THIS, field("deque", "Ljava/util/Deque;")),
        // ---- Apache HttpCore 5's I/O reactors (Apache HttpAsyncClient 5, every HttpCore 5 client): a connect only
        // queues a request, which the reactor's thread (an event loop, never parked) opens later. The gate is asked
        // at the connect: a unit is taken for it then (pre-paid to the reactor's open), or, at the cap, the connect
        // waits in the gate's queue as deferred work and runs again when a unit frees (ApacheAsyncHooks).
        point(ALWAYS, APACHE_REACTOR, "connect", "(Lorg/apache/hc/core5/net/NamedEndpoint;Ljava/net/SocketAddress;"
                        + "Ljava/net/SocketAddress;Lorg/apache/hc/core5/util/Timeout;Ljava/lang/Object;"
                        + "Lorg/apache/hc/core5/concurrent/FutureCallback;)Ljava/util/concurrent/Future;",
                "Apache HttpCore 5 queues a connect for its reactor: a unit is taken for it, or (at the cap) it waits "
                        + "in the queue without a thread")
            .enter("apache.ApacheAsyncHooks.beforeReactorConnect", "Ljava/lang/Object;", THIS, arg(0), arg(1), arg(2), arg(3),
                    arg(4), arg(5))
            .skipWhenEnteredIs("io/emfileguard/core/apache/ApacheAsyncHooks$DeferredConnect")
            .exitOrThrowReplacing("apache.ApacheAsyncHooks.afterReactorConnect", RETURNED, ENTERED, THROWN),
        // Built in the connect, before it is queued: the unit taken for the connect is bound to it.
        point(ALWAYS, APACHE_SESSION_REQUEST, "<init>", "(Lorg/apache/hc/core5/net/NamedEndpoint;Ljava/net/SocketAddress;"
                        + "Ljava/net/SocketAddress;Lorg/apache/hc/core5/util/Timeout;Ljava/lang/Object;"
                        + "Lorg/apache/hc/core5/concurrent/FutureCallback;)V",
                "an Apache HttpCore 5 connect request is built: the unit taken for its connect is bound to it")
            .exit("apache.ApacheAsyncHooks.sessionRequestCreated", THIS),
        // The reactor asks it right before SocketChannel.open: that open uses the request's unit.
        point(ALWAYS, APACHE_SESSION_REQUEST, "isCancelled", "()Z",
                "the reactor checks a connect request before it opens its channel: that open uses the request's unit")
            .exit("apache.ApacheAsyncHooks.sessionRequestChecked", RETURNED, THIS),
        point(ALWAYS, APACHE_SESSION_REQUEST, "cancel", "()Z",
                "a connect request is cancelled: a unit its channel never used comes back")
            .exit("apache.ApacheAsyncHooks.sessionRequestEnded", THIS),
        point(ALWAYS, APACHE_SESSION_REQUEST, "failed", "(Ljava/lang/Exception;)V",
                "a connect request failed: a unit its channel never used comes back")
            .exit("apache.ApacheAsyncHooks.sessionRequestEnded", THIS),
        // Never reached with its unit unused while the reactor opens through isCancelled(); were that check to
        // go (another HttpCore version), the unit would come back here instead of counting twice.
        point(ALWAYS, APACHE_SESSION_REQUEST, "completed", "(Lorg/apache/hc/core5/reactor/ProtocolIOSession;)V",
                "a connect request completed: a unit its channel never used comes back")
            .exit("apache.ApacheAsyncHooks.sessionRequestEnded", THIS),

        // ---- The idle-reclaim clock: every read and write on a socket or channel ends here. (Not connects:
        // a socket is idle only once it has read a reply, so a connect's stamp could never matter.)
        point(IDLE_RECLAIM, SOCKET_IMPL, "endRead", "(Z)V", "a Socket read ended (idle clock)")
            .exitOrThrow("readEnded", THIS, arg(0)),
        point(IDLE_RECLAIM, SOCKET_IMPL, "endWrite", "(Z)V", "a Socket write ended (idle clock)")
            .exitOrThrow("writeEnded", THIS, arg(0)),
        point(IDLE_RECLAIM, CHANNEL, "endRead", "(ZZ)V", "a channel read ended (idle clock)")
            .exitOrThrow("readEnded", THIS, arg(1)),
        point(IDLE_RECLAIM, CHANNEL, "endWrite", "(ZZ)V", "a channel write ended (idle clock)")
            .exitOrThrow("writeEnded", THIS, arg(1)),

        // ---- Pools: where a pooled connection is handed out or given back, so the reclaimer never
        // closes one a request is about to use, and a closed one is never handed out.
        point(IDLE_RECLAIM, KEEP_ALIVE, "get", "(Ljava/net/URL;Ljava/lang/Object;)Lsun/net/www/http/HttpClient;",
                "HttpURLConnection's keep-alive cache hands out a connection")
            .exitReplacing("pooled.PooledClientHooks.cachedConnectionOrNull", RETURNED),
        point(IDLE_RECLAIM, KEEP_ALIVE, "put", "(Ljava/net/URL;Ljava/lang/Object;Lsun/net/www/http/HttpClient;)V",
                "a connection goes back to the keep-alive cache")
            .enter("pooled.PooledClientHooks.connectionBackInCache", "V", arg(2)),
        point(IDLE_RECLAIM, "sun.net.NetworkClient", "doConnect", "(Ljava/lang/String;I)Ljava/net/Socket;",
                "HttpURLConnection opens a connection (in use until the cache takes it back)")
            .exit("pooled.PooledClientHooks.connectionOpenedForCache", RETURNED),
        // The JDK HttpClient's pool: a connection is idle only between returnToPool and getConnection
        // (a reply read into the client's buffers looks idle while its body is still being handed on);
        // getConnection claims it, or answers "none" if the reclaimer is closing it (the client then
        // opens a new one instead of failing the exchange with "connection closed locally").
        point(IDLE_RECLAIM, "jdk.internal.net.http.ConnectionPool", "getConnection",
                "(ZLjava/net/InetSocketAddress;Ljava/net/InetSocketAddress;)Ljdk/internal/net/http/HttpConnection;",
                "the HttpClient's pool hands out a connection")
            .exitReplacing("httpclient.HttpClientHooks.pooledHttpConnectionOrNull", RETURNED),
        point(IDLE_RECLAIM, "jdk.internal.net.http.ConnectionPool", "returnToPool",
                "(Ljdk/internal/net/http/HttpConnection;)V",
                "an HttpClient connection goes back to its pool (idle only from then on)")
            // marked idle on entry, before another exchange can be handed it; handed back on exit
            .enter("httpclient.HttpClientHooks.httpConnectionReturningToPool", "V", arg(0))
            .exit("httpclient.HttpClientHooks.httpConnectionBackInPool", arg(0)),
        // Apache HttpCore 4 and 5 (also under the AWS SDK's ApacheHttpClient) ask isOpen() before every
        // request; its pool re-checks a connection only after 2 s idle.
        point(IDLE_RECLAIM, "org.apache.http.impl.BHttpConnectionBase", "isOpen", "()Z",
                "Apache HttpCore 4 asks whether a pooled connection is open")
            .exitReplacing("pooled.PooledClientHooks.pooledConnectionOpen", RETURNED, THIS),
        point(IDLE_RECLAIM, "org.apache.hc.core5.http.impl.io.BHttpConnectionBase", "isOpen", "()Z",
                "Apache HttpCore 5 asks whether a pooled connection is open")
            .exitReplacing("pooled.PooledClientHooks.pooledConnectionOpen", RETURNED, THIS),
        // OkHttp 4 and 5 ask isHealthy() only of the connection they are acquiring for a call.
        point(IDLE_RECLAIM, "okhttp3.internal.connection.RealConnection", "isHealthy", "(Z)Z",
                "OkHttp checks the pooled connection it acquires")
            .exitReplacing("pooled.PooledClientHooks.pooledConnectionHealthy", RETURNED, THIS),
        // Where connections go back to their pools: while threads wait at the cap, a connection going
        // back is closed so that its unit goes to the longest waiter (no jump over the queue).
        point(IDLE_RECLAIM, "org.apache.http.pool.AbstractConnPool", "release", "(Lorg/apache/http/pool/PoolEntry;Z)V",
                "Apache HttpCore 4's pool takes a connection back: handed to a waiter at the cap")
            .enter("pooled.PooledClientHooks.pooledEntryReleasing", "V", arg(0), arg(1)),
        point(IDLE_RECLAIM, "org.apache.hc.core5.pool.StrictConnPool", "release", "(Lorg/apache/hc/core5/pool/PoolEntry;Z)V",
                "Apache HttpCore 5's (strict) pool takes a connection back: handed to a waiter at the cap")
            .enter("pooled.PooledClientHooks.pooledEntryReleasing", "V", arg(0), arg(1)),
        point(IDLE_RECLAIM, "org.apache.hc.core5.pool.LaxConnPool", "release", "(Lorg/apache/hc/core5/pool/PoolEntry;Z)V",
                "Apache HttpCore 5's (lax) pool takes a connection back: handed to a waiter at the cap")
            .enter("pooled.PooledClientHooks.pooledEntryReleasing", "V", arg(0), arg(1)),
        point(IDLE_RECLAIM, "okhttp3.internal.connection.RealConnectionPool", "connectionBecameIdle",
                "(Lokhttp3/internal/connection/RealConnection;)Z",
                "OkHttp's connection goes idle in its pool: handed to a waiter at the cap")
            .exit("pooled.PooledClientHooks.pooledConnectionIdle", RETURNED, arg(0)),

        // ---- java.net.Socket.connect: where a socket created during this connect goes (exclude rules),
        // and which Socket owns the descriptor (the reclaimer closes the Socket itself).
        point(CONNECT_TARGET, "java.net.Socket", "connect", "(Ljava/net/SocketAddress;I)V",
                "a Socket connects: its target (exclude) and its owner (reclaim)")
            .enter("connectStarting", "V", arg(0))
            .exitOrThrow("connectFinished", THIS, field("impl", "Ljava/net/SocketImpl;")),

        // ---- JMX: registering an MBean creates the platform MBean server (200-300 ms of CPU). Whoever can
        // see MBeans (the application, a JMX connector, jconsole through attach) asks for it here first.
        point(JMX, "java.lang.management.ManagementFactory", "getPlatformMBeanServer", "()Ljavax/management/MBeanServer;",
                "the platform MBean server is first asked for: the agent's MBean is registered then")
            .exit("platformMBeanServerReady", RETURNED)
    ));

    private InterceptionPoints() {
    }

    /** The points to weave when the settings need these kinds ({@link Needs#ALWAYS} is always in). */
    public static List<InterceptionPoint> selected(Set<Needs> needs) {
        List<InterceptionPoint> points = new ArrayList<>();
        for (InterceptionPoint p : ALL) {
            if (p.needs == ALWAYS || needs.contains(p.needs)) {
                points.add(p);
            }
        }
        return points;
    }

    /** The table of interception points in docs/how-it-works.md, one row per point. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| class | method | what happens there | woven when |\n");
        sb.append("|---|---|---|---|\n");
        for (InterceptionPoint p : ALL) {
            String when;
            switch (p.needs) {
                case ALWAYS: when = "always"; break;
                case IDLE_RECLAIM: when = "`reclaim.idle=true` (default)"; break;
                case CONNECT_TARGET: when = "`reclaim.idle=true` or an `exclude`"; break;
                default: when = "`jmx=true`"; break;
            }
            sb.append("| `").append(p.className).append("` | `").append(p.methodName).append(p.descriptor)
                    .append("` | ").append(p.why).append(" | ").append(when).append(" |\n");
        }
        return sb.toString();
    }
}
