package io.emfileguard.agent.interception;

import io.emfileguard.agent.reporting.AgentLog;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;


/**
 * Installs Byte Buddy {@code Advice} on the JDK's socket classes. Exact class names, nothing scanned:
 * one {@link AdviceTransformer} looks each loading class up by name, and only targets that are
 * already loaded are retransformed. No class-format changes (advice is inlined, no new members), so
 * it works on retransformed {@code java.base} classes on JDK 11 to 25.
 *
 * <p>Why not {@code AgentBuilder}: for a handful of exact JDK classes its matcher pipeline, type
 * pools and listeners cost over half a second of start-up (measured here); Byte Buddy's
 * {@code Advice} does the same inlining when it is fed the class file directly.
 */
public final class Interceptions {

    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    private final Reporter reporter = new Reporter();
    private final Map<String, List<InterceptionPoint>> byInternalName = new HashMap<>();

    public Interceptions() {
    }

    /**
     * The interception points: sockets, channels and the JDK HttpClient; {@code withConnectTargets}
     * adds Socket.connect (for excludes), {@code withIoClock} the I/O stamps idle reclamation needs.
     */
    static List<InterceptionPoint> socketPoints(boolean withConnectTargets, boolean withIoClock) {
        List<InterceptionPoint> points = new ArrayList<>();
        points.add(new InterceptionPoint("sun.nio.ch.NioSocketImpl", "create", SocketImplCreateAdvice.class, "boolean"));
        points.add(new InterceptionPoint("sun.nio.ch.NioSocketImpl", "accept", SocketImplAcceptAdvice.class,
                "java.net.SocketImpl"));
        points.add(new InterceptionPoint("sun.nio.ch.NioSocketImpl", "tryClose", DescriptorCloseAdvice.class));
        points.add(new InterceptionPoint("sun.nio.ch.SelectorProviderImpl", "openSocketChannel", ChannelOpenAdvice.class));
        points.add(new InterceptionPoint("sun.nio.ch.SelectorProviderImpl", "openSocketChannel",
                ChannelOpenWithFamilyAdvice.class, "java.net.ProtocolFamily"));
        points.add(new InterceptionPoint("sun.nio.ch.ServerSocketChannelImpl", "finishAccept", ChannelAcceptAdvice.class,
                "java.io.FileDescriptor", "java.net.SocketAddress"));
        points.add(new InterceptionPoint("sun.nio.ch.SocketChannelImpl", "tryClose", DescriptorCloseAdvice.class));
        points.add(new InterceptionPoint("sun.nio.ch.SocketChannelImpl", "implCloseSelectableChannel",
                ChannelCloseStartAdvice.class));
        // Every Selector.select*: a thread that blocks there is an event loop, never parked at the cap.
        points.add(new InterceptionPoint("sun.nio.ch.SelectorImpl", "lockAndDoSelect", SelectorSelectAdvice.class,
                "java.util.function.Consumer", "long"));
        // java.net.http.HttpClient: the caller of send/sendAsync waits; the client's channels join its account.
        points.add(new InterceptionPoint("jdk.internal.net.http.HttpClientImpl", "sendAsync", HttpClientExchangeAdvice.class,
                "java.net.http.HttpRequest", "java.net.http.HttpResponse$BodyHandler",
                "java.net.http.HttpResponse$PushPromiseHandler", "java.util.concurrent.Executor"));
        points.add(new InterceptionPoint("jdk.internal.net.http.PlainHttpConnection", InterceptionPoint.CONSTRUCTOR,
                HttpConnectionAdvice.class, "java.net.InetSocketAddress", "jdk.internal.net.http.HttpClientImpl",
                InterceptionPoint.MORE));
        if (withIoClock) {
            points.add(new InterceptionPoint("sun.nio.ch.NioSocketImpl", "endRead", SocketReadEndAdvice.class, "boolean"));
            points.add(new InterceptionPoint("sun.nio.ch.NioSocketImpl", "endWrite", SocketWriteEndAdvice.class, "boolean"));
            points.add(new InterceptionPoint("sun.nio.ch.NioSocketImpl", "endConnect", ConnectEndAdvice.class,
                    "java.io.FileDescriptor", "boolean"));
            points.add(new InterceptionPoint("sun.nio.ch.SocketChannelImpl", "endRead", ChannelReadEndAdvice.class,
                    "boolean", "boolean"));
            points.add(new InterceptionPoint("sun.nio.ch.SocketChannelImpl", "endWrite", ChannelWriteEndAdvice.class,
                    "boolean", "boolean"));
            points.add(new InterceptionPoint("sun.nio.ch.SocketChannelImpl", "endConnect", ConnectEndAdvice.class,
                    "boolean", "boolean"));
        }
        if (withIoClock) {
            // HttpURLConnection's keep-alive cache hands out connections without looking at them.
            points.add(new InterceptionPoint("sun.net.www.http.KeepAliveCache", "get", KeepAliveCacheGetAdvice.class,
                    "java.net.URL", "java.lang.Object"));
            // ...and it knows when a connection is back in the cache: in use from connect until then.
            points.add(new InterceptionPoint("sun.net.www.http.KeepAliveCache", "put", KeepAliveCachePutAdvice.class,
                    "java.net.URL", "java.lang.Object", "sun.net.www.http.HttpClient"));
            points.add(new InterceptionPoint("sun.net.NetworkClient", "doConnect", KeepAliveConnectAdvice.class,
                    "java.lang.String", "int"));
            // Apache HttpCore 4 and 5 (also under the AWS SDK's ApacheHttpClient): its pool re-checks a
            // connection only after 2 s idle, so a reclaimed one must look closed to isOpen().
            points.add(new InterceptionPoint("org.apache.http.impl.BHttpConnectionBase", "isOpen",
                    PooledConnectionOpenAdvice.class));
            points.add(new InterceptionPoint("org.apache.hc.core5.http.impl.io.BHttpConnectionBase", "isOpen",
                    PooledConnectionOpenAdvice.class));
            // OkHttp 4 and 5: its health check looks at Socket.isClosed(), which the reclaimer sets; this
            // adds the claim, so that a connection it finds healthy is not closed before its request.
            points.add(new InterceptionPoint("okhttp3.internal.connection.RealConnection", "isHealthy",
                    PooledConnectionLeaseAdvice.class, "boolean"));
        }
        if (withConnectTargets) {
            points.add(new InterceptionPoint("java.net.Socket", "connect", SocketConnectAdvice.class,
                    "java.net.SocketAddress", "int"));
        }
        return points;
    }

    /**
     * Registers the transformer: cheap, no Byte Buddy class is loaded until a target class loads.
     * Must run before the application starts, so that no target loads untransformed.
     */
    public void register(Instrumentation inst, boolean withConnectTargets, boolean withIoClock) {
        for (InterceptionPoint p : socketPoints(withConnectTargets, withIoClock)) {
            List<InterceptionPoint> forClass = byInternalName.get(p.internalClassName());
            if (forClass == null) {
                forClass = new ArrayList<>();
                byInternalName.put(p.internalClassName(), forClass);
            }
            forClass.add(p);
        }
        inst.addTransformer(new AdviceTransformer(byInternalName, reporter), true);
    }

    /**
     * Moves Byte Buddy's one-time cost off the application's path (run it on a background thread):
     * retransforms targets that were loaded before the agent, and loads the others now so that they
     * are transformed here rather than on the application's first connect.
     * @return the target classes that exist on this JDK
     */
    public List<String> warmUp(Instrumentation inst) {
        List<String> present = new ArrayList<>();
        Set<String> loadedNames = new java.util.HashSet<>();
        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            ClassLoader l = c.getClassLoader();
            if ((l == null || l == platform) && byInternalName.containsKey(c.getName().replace('.', '/'))) {
                loadedNames.add(c.getName());
                present.add(c.getName());
                try {
                    inst.retransformClasses(c);
                } catch (Throwable t) {
                    reporter.failed(c.getName(), t);
                }
            }
        }
        for (String internal : byInternalName.keySet()) {
            String name = internal.replace('/', '.');
            if (loadedNames.contains(name) || byInternalName.get(internal).get(0).inApplicationLoader()) {
                continue; // library targets are transformed if and when the application loads them
            }
            try {
                if (byInternalName.get(internal).get(0).transformedOnFirstUse()) {
                    // java.net.http, sun.net: transformed when the application first uses the client
                    if (ClassLoader.getSystemResource(internal + ".class") == null) {
                        throw new ClassNotFoundException(name);
                    }
                } else {
                    Class.forName(name, false, null);
                }
                present.add(name);
            } catch (ClassNotFoundException | LinkageError e) {
                reporter.warnOnce(name, "interception point " + name + " does not exist on this JDK ("
                        + System.getProperty("java.version") + "); sockets it creates are not counted. "
                        + "Everything else works.");
            }
        }
        return present;
    }

    private boolean isLibrary(String className) {
        List<InterceptionPoint> points = byInternalName.get(className.replace('.', '/'));
        return points != null && points.get(0).inApplicationLoader();
    }

    /** Says each problem once; the rest of the agent keeps working. */
    final class Reporter {
        void warnOnce(String key, String message) {
            if (reported.add(key)) {
                AgentLog.get().warn(message);
            }
        }

        void missing(InterceptionPoint p) {
            if (p.inApplicationLoader()) {
                warnOnce(p.toString(), "interception point " + p + " does not exist in this version of the "
                        + "library; it is skipped (reclaimed idle connections of this client are found closed "
                        + "only by its own checks), everything else works.");
                return;
            }
            warnOnce(p.toString(), "interception point " + p + " does not exist on this JDK ("
                    + System.getProperty("java.version") + "); it is skipped, everything else works.");
        }

        void failed(String className, Throwable t) {
            warnOnce("error:" + className, "could not instrument " + className + " (" + t
                    + (isLibrary(className) ? "); it is left as it is. Everything else works."
                    : "); sockets it creates are not counted. Everything else works."));
        }
    }
}
