package io.emfileguard.core;

/**
 * Decides whether the current thread may be parked at the cap. Event loops and selector threads
 * are counted but never parked: parking them would freeze every connection they serve.
 *
 * <p>An event loop is recognised by what it does: a thread that has ever blocked in
 * {@code Selector.select} (the JDK's one selector implementation tells {@link #selecting}) is an
 * event loop for good, whatever library brought it (Apache HttpCore 4/5 reactors, Jetty, XNIO,
 * Mina, a hand-written loop). The fixed list of thread types below covers the loops the rule cannot
 * see: one that opens a socket before its first select, and loops that never block in select
 * (Netty's busy-poll strategies, native transports).
 */
public final class ThreadPolicy {

    /** Thread classes (or their supertypes / interfaces) that run event loops. */
    private static final String[] EVENT_LOOP_TYPES = {
        "io.netty.util.concurrent.FastThreadLocalThread",   // Netty, Vert.x, gRPC-netty, AWS SDK netty client
        "reactor.core.scheduler.NonBlocking",               // Reactor non-blocking schedulers
        "jdk.internal.net.http.HttpClientImpl$SelectorManager", // the JDK HttpClient's selector
    };

    /**
     * Frames of these packages create connections on internal stages that must never wait. Kept
     * here, not registered by the HttpClient's family: it must hold even where none of the family's
     * hooks was woven or called yet (a channel opened by the client's own threads then comes to the
     * gate like any other, and must not park a thread whose work would free the room).
     */
    private static final String HTTP_CLIENT_INTERNALS = "jdk.internal.net.http.";

    private static final ClassValue<Boolean> EVENT_LOOP = new ClassValue<Boolean>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return isEventLoopType(type);
        }
    };

    /**
     * Set once on a thread's first blocking select. A ThreadLocal rather than a set of threads: no
     * lock, nothing to clean when the thread ends, and the select path pays one look-up.
     */
    private static final ThreadLocal<Boolean> HAS_SELECTED = new ThreadLocal<>();

    private ThreadPolicy() {
    }

    /**
     * The current thread is about to select ({@code timeoutMillis}: 0 for {@code selectNow}, which
     * does not block and so does not make an event loop; negative for "until woken").
     */
    public static void selecting(long timeoutMillis) {
        if (timeoutMillis != 0 && HAS_SELECTED.get() == null) {
            HAS_SELECTED.set(Boolean.TRUE);
        }
    }

    /** Whether the current thread runs an event loop: a ClassValue look-up, then a ThreadLocal one. */
    public static boolean isEventLoopThread(Thread thread) {
        return EVENT_LOOP.get(thread.getClass())
                || (thread == Thread.currentThread() && HAS_SELECTED.get() != null);
    }

    /**
     * Called only on the slow path (the gate is full), so the stack walk costs nothing when there is
     * room. The JDK HttpClient opens its channels on its executor and selector threads: those units
     * were already paid for by the {@code send}/{@code sendAsync} caller.
     */
    public static boolean mayPark() {
        Thread t = Thread.currentThread();
        if (isEventLoopThread(t)) {
            return false;
        }
        return !calledFromHttpClientInternals();
    }

    static boolean calledFromHttpClientInternals() {
        return StackWalker.getInstance().walk(frames -> frames.limit(64)
                .anyMatch(f -> f.getClassName().startsWith(HTTP_CLIENT_INTERNALS)));
    }

    static boolean isEventLoopType(Class<?> type) {
        if (DeferredDelivery.DeliveryThread.class.isAssignableFrom(type)) {
            return true; // the gate's own delivery thread un-parks others: it never parks at the gate
        }
        for (Class<?> c = type; c != null && c != Thread.class; c = c.getSuperclass()) {
            if (matches(c.getName()) || anyInterfaceMatches(c)) {
                return true;
            }
        }
        return false;
    }

    private static boolean anyInterfaceMatches(Class<?> c) {
        for (Class<?> i : c.getInterfaces()) {
            if (matches(i.getName()) || anyInterfaceMatches(i)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(String name) {
        for (String n : EVENT_LOOP_TYPES) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }
}
