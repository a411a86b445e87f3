package io.emfileguard.core;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.Channel;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Gives idle pooled sockets back to threads waiting at the cap.
 *
 * <p>Why: every client keeps finished connections open for reuse (OkHttp 5 min, Apache and the AWS
 * SDK 60 s, the JDK's keep-alive caches). Once a burst has filled the cap and gone idle, nothing
 * closes and a waiting connect would never see a release.
 *
 * <p>What counts as idle: a client-side socket (never an accepted one) with no read, write or
 * connect for {@code reclaim.idle.millis}, no thread inside a read or write right now (the JDK's own
 * {@code readerThread}/{@code writerThread} fields, so a long poll blocked in {@code read} is never
 * touched), and a peer that is not {@code exclude}d. The least recently used one is closed; the
 * pool finds it closed on its next health check or use, and discards it.
 *
 * <p>Runs only on waiting threads, after a hold slice without any release; reflection is fine there.
 */
public final class IdleReclaimer implements SocketGate.Reclaimer {

    /** Receives one event per reclaimed socket (for the rate-limited log line). */
    public interface Listener {
        void reclaimed(String peer, long idleMillis, long total);
    }

    private final SocketRegistry registry;
    private final long minIdleNanos;
    private final List<AddressRule> excludes;
    private final Listener listener;
    private final AtomicLong reclaimedTotal = new AtomicLong();

    private static final ClassValue<Access> ACCESS = new ClassValue<Access>() {
        @Override
        protected Access computeValue(Class<?> type) {
            return new Access(type);
        }
    };

    public IdleReclaimer(SocketRegistry registry, long minIdleMillis, List<AddressRule> excludes, Listener listener) {
        this.registry = registry;
        this.minIdleNanos = minIdleMillis * 1_000_000L;
        this.excludes = excludes;
        this.listener = listener;
    }

    @Override
    public boolean reclaimOne() {
        for (int attempt = 0; attempt < 3; attempt++) {
            Object owner = registry.leastRecentlyUsedIdle(minIdleNanos, ELIGIBLE);
            if (owner == null) {
                return false;
            }
            if (close(owner)) {
                long total = reclaimedTotal.incrementAndGet();
                listener.reclaimed(peer(owner), minIdleNanos / 1_000_000, total);
                return true;
            }
        }
        return false;
    }

    public long reclaimedTotal() {
        return reclaimedTotal.get();
    }

    private final Predicate<Object> ELIGIBLE = new Predicate<Object>() {
        @Override
        public boolean test(Object owner) {
            Access a = ACCESS.get(owner.getClass());
            if (!a.usable || a.ioInProgress(owner)) {
                return false;
            }
            InetSocketAddress peer = a.peer(owner);
            for (AddressRule rule : excludes) {
                if (rule.matches(peer)) {
                    return false;
                }
            }
            return true;
        }
    };

    private static boolean close(Object owner) {
        try {
            Access a = ACCESS.get(owner.getClass());
            if (a.ioInProgress(owner)) {
                return false; // became busy since it was chosen
            }
            if (owner instanceof Channel) {
                ((Channel) owner).close();
            } else if (a.close != null) {
                a.close.invoke(owner);
            } else {
                return false;
            }
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String peer(Object owner) {
        InetSocketAddress p = ACCESS.get(owner.getClass()).peer(owner);
        return p == null ? "?" : p.getHostString() + ":" + p.getPort();
    }

    /** Reflective access to the JDK socket owners' private state (java.base opens it to the core). */
    private static final class Access {
        final boolean usable;
        final Field readerThread;
        final Field writerThread;
        final Field remoteAddress; // SocketChannelImpl
        final Field address;       // SocketImpl
        final Field port;          // SocketImpl
        final Method close;        // NioSocketImpl.close()

        Access(Class<?> type) {
            Field r = field(type, "readerThread");
            Field w = field(type, "writerThread");
            this.readerThread = r;
            this.writerThread = w;
            this.remoteAddress = field(type, "remoteAddress");
            this.address = field(type, "address");
            this.port = field(type, "port");
            this.close = Channel.class.isAssignableFrom(type) ? null : method(type, "close");
            this.usable = r != null && w != null;
        }

        boolean ioInProgress(Object owner) {
            try {
                return readerThread.getLong(owner) != 0 || writerThread.getLong(owner) != 0;
            } catch (Exception e) {
                return true; // cannot tell: treat as busy, never close it
            }
        }

        InetSocketAddress peer(Object owner) {
            try {
                if (remoteAddress != null) {
                    SocketAddress sa = (SocketAddress) remoteAddress.get(owner);
                    return sa instanceof InetSocketAddress ? (InetSocketAddress) sa : null;
                }
                if (address != null && port != null) {
                    InetAddress a = (InetAddress) address.get(owner);
                    return a == null ? null : new InetSocketAddress(a, port.getInt(owner));
                }
            } catch (Exception e) {
                // fall through
            }
            return null;
        }

        private static Field field(Class<?> type, String name) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Field f = c.getDeclaredField(name);
                    f.setAccessible(true);
                    return f;
                } catch (NoSuchFieldException e) {
                    // look in the superclass
                } catch (RuntimeException e) {
                    return null; // not opened to us
                }
            }
            return null;
        }

        private static Method method(Class<?> type, String name) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Method m = c.getDeclaredMethod(name);
                    m.setAccessible(true);
                    return m;
                } catch (NoSuchMethodException e) {
                    // look in the superclass
                } catch (RuntimeException e) {
                    return null;
                }
            }
            return null;
        }
    }
}
