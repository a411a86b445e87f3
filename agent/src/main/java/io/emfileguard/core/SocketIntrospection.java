package io.emfileguard.core;

import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.SelectionKey;
import java.nio.channels.spi.AbstractSelectableChannel;

/**
 * Reads the JDK socket owners' private state ({@code sun.nio.ch.NioSocketImpl},
 * {@code sun.nio.ch.SocketChannelImpl}; {@code java.base} opens these packages to the core when
 * this class is first used, see {@link SocketHooks#whenIntrospectionNeeded}, not at start-up):
 * whether a thread is inside a read or write, the peer address, and how to close one. Reflection,
 * cached per class: used by the idle reclaimer and the leak report (never per read or write, never
 * per connect). What the client families read of their own classes (a pooled connection's socket,
 * an HttpClient connection's channel) is in their packages, through {@link #field} and {@link #method}.
 *
 * <p>Where a member the agent reads does not resolve (a JDK or library internal that changed, or a
 * package not opened to the core), or reading it fails, each method falls back to "unsure" (busy,
 * unknown peer, not closed) and the failure goes to the one route for internal errors
 * ({@link SocketHooks#internalError}), naming the member. I/O errors of the JDK's own methods (a
 * socket closed meanwhile) are expected and fall back without a report.
 */
public final class SocketIntrospection {

    static {
        // First, before any field below is looked up: the JDK packages are opened to the core only now.
        SocketHooks.openPackagesForIntrospection();
    }

    private static final ClassValue<Access> ACCESS = new ClassValue<Access>() {
        @Override
        protected Access computeValue(Class<?> type) {
            return new Access(type);
        }
    };

    private SocketIntrospection() {
    }

    /** Whether the owner's state can be read at all (otherwise it is never reclaimed). */
    public static boolean canTell(Object owner) {
        return ACCESS.get(owner.getClass()).usable;
    }

    /** A thread is inside a read or write (or cannot tell: then assume so). */
    public static boolean ioInProgress(Object owner) {
        Access a = ACCESS.get(owner.getClass());
        try {
            return !a.usable || a.readerThread.getLong(owner) != 0 || a.writerThread.getLong(owner) != 0;
        } catch (Exception e) {
            failed(owner.getClass().getName() + ".readerThread/writerThread", e);
            return true;
        }
    }

    /**
     * Bytes received and not yet read by the application ({@code NioSocketImpl.available()}, one
     * ioctl), 0 where it can't tell (channels). A reply still being consumed is not idle, however
     * long its reader pauses.
     */
    public static int unreadBytes(Object owner) {
        Method available = ACCESS.get(owner.getClass()).available;
        if (available == null) {
            return 0;
        }
        try {
            return (Integer) available.invoke(owner);
        } catch (Exception e) {
            failed(owner.getClass().getName() + ".available()", e); // closed meanwhile: expected, not reported
            return 1; // unsure: treat it as busy
        }
    }

    /** The remote address, or null if unknown or not connected. */
    public static InetSocketAddress peer(Object owner) {
        Access a = ACCESS.get(owner.getClass());
        try {
            if (a.remoteAddress != null) {
                SocketAddress sa = (SocketAddress) a.remoteAddress.get(owner);
                return sa instanceof InetSocketAddress ? (InetSocketAddress) sa : null;
            }
            if (a.address != null && a.port != null) {
                InetAddress ia = (InetAddress) a.address.get(owner);
                return ia == null ? null : new InetSocketAddress(ia, a.port.getInt(owner));
            }
        } catch (Exception e) {
            failed(owner.getClass().getName() + (a.remoteAddress != null ? ".remoteAddress" : ".address/port"), e);
        }
        return null; // unknown
    }

    /** Not closed nor closing (a closed channel may wait for its selector before its descriptor goes). */
    public static boolean isOpen(Object owner) {
        if (owner instanceof Channel) {
            return ((Channel) owner).isOpen();
        }
        Method isOpen = ACCESS.get(owner.getClass()).isOpen;
        try {
            return isOpen == null || (Boolean) isOpen.invoke(owner);
        } catch (Exception e) {
            failed(owner.getClass().getName() + ".isOpen()", e);
            return true; // unsure: open
        }
    }

    /**
     * Closes the owner's descriptor the JDK's way (its unit comes back through tryClose). A channel
     * registered with a selector keeps its descriptor until that selector next wakes up (the JDK
     * closes it on deregistration), and an idle client's selector may sleep for seconds: so the
     * selectors are woken at once.
     */
    public static boolean close(Object owner) {
        try {
            if (owner instanceof Channel) {
                ((Channel) owner).close();
                wakeSelectors(owner);
                return true;
            }
            Method close = ACCESS.get(owner.getClass()).close;
            if (close == null) {
                return false;
            }
            close.invoke(owner);
            return true;
        } catch (Exception e) {
            failed(owner.getClass().getName() + ".close()", e); // an I/O error closing it: expected, not reported
            return false; // not closed: the caller keeps it counted
        }
    }

    private static final Field DELEGATE = Access.field(findClass("java.net.DelegatingSocketImpl"), "delegate", true);

    /** A JDK class the agent reads (every JDK it runs on has it), or null, reported. */
    private static Class<?> findClass(String name) {
        try {
            return Class.forName(name, false, null);
        } catch (ClassNotFoundException e) {
            unresolved(name, e);
            return null;
        }
    }

    /** The {@code NioSocketImpl} behind a {@code Socket}'s impl (a {@code SocksSocketImpl} delegates to it). */
    public static Object descriptorOwnerOf(Object impl) {
        if (DELEGATE != null && DELEGATE.getDeclaringClass().isInstance(impl)) {
            try {
                return DELEGATE.get(impl);
            } catch (Exception e) {
                failed("java.net.DelegatingSocketImpl.delegate", e);
                return null; // unknown owner: not linked, not reclaimed
            }
        }
        return impl;
    }

    private static final Field SOCKET_IMPL = Access.field(Socket.class, "impl", true);
    /** {@code BaseSSLSocketImpl.self} for the JDK's TLS sockets (looked up per class: no TLS class loads early). */
    private static final ClassValue<Field> TLS_LAYERED_OVER = new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
            return type.getName().startsWith("sun.security.ssl.") ? Access.field(type, "self", true) : null;
        }
    };

    /**
     * The object that owns the descriptor of {@code socket}: through a TLS socket layered over a
     * connected one (the JDK's {@code SSLSocketImpl}, as Apache builds it) to that one, then its impl.
     */
    public static Object descriptorOwnerOfSocket(Socket socket) throws IllegalAccessException {
        Socket s = socket;
        Field layeredOver = TLS_LAYERED_OVER.get(s.getClass());
        if (layeredOver != null) {
            Object under = layeredOver.get(s);
            if (under instanceof Socket) {
                s = (Socket) under;
            }
        }
        if (s.isClosed()) {
            return CLOSED;
        }
        Object impl = SOCKET_IMPL == null ? null : SOCKET_IMPL.get(s);
        return impl == null ? null : descriptorOwnerOf(impl);
    }

    /** What {@link #descriptorOwnerOfSocket} answers for a socket that is closed. */
    public static final Object CLOSED = new Object();

    /** Closes a {@code java.net.Socket} (it owns the descriptor's impl; {@code isClosed()} then says so). */
    public static boolean closeSocket(Object socket) {
        try {
            ((Closeable) socket).close();
            return true;
        } catch (Exception e) {
            failed(socket.getClass().getName() + ".close()", e); // an I/O error closing it: expected, not reported
            return false;
        }
    }

    private static final Field CHANNEL_KEYS = Access.field(AbstractSelectableChannel.class, "keys", true);

    /** Wakes the selectors {@code channel} is registered with, so that a closed one's descriptor goes now. */
    public static void wakeSelectors(Object channel) {
        if (CHANNEL_KEYS == null || !(channel instanceof AbstractSelectableChannel)) {
            return;
        }
        try {
            Object keys = CHANNEL_KEYS.get(channel);
            if (keys instanceof SelectionKey[]) {
                for (SelectionKey key : (SelectionKey[]) keys) {
                    if (key != null) {
                        key.selector().wakeup();
                    }
                }
            }
        } catch (Exception e) {
            // The descriptor still goes at the selector's next wake-up, which may be seconds away.
            failed("java.nio.channels.spi.AbstractSelectableChannel.keys", e);
        }
    }

    static final class Access {
        final boolean usable;
        final Field readerThread;
        final Field writerThread;
        final Field remoteAddress; // SocketChannelImpl
        final Field address;       // SocketImpl
        final Field port;          // SocketImpl
        final Method close;        // NioSocketImpl.close() (protected)
        final Method isOpen;       // NioSocketImpl.isOpen() (private)
        final Method available;    // NioSocketImpl.available() (protected)

        Access(Class<?> type) {
            // What each JDK class the agent reads must have: a member of these that does not resolve
            // is reported. Other classes (an owner the agent does not know) simply cannot be told.
            boolean socketImpl = type.getName().equals("sun.nio.ch.NioSocketImpl");
            boolean channel = type.getName().equals("sun.nio.ch.SocketChannelImpl");
            this.readerThread = field(type, "readerThread", socketImpl || channel);
            this.writerThread = field(type, "writerThread", socketImpl || channel);
            this.remoteAddress = field(type, "remoteAddress", channel);
            this.address = field(type, "address", socketImpl);
            this.port = field(type, "port", socketImpl);
            this.close = Channel.class.isAssignableFrom(type) ? null : method(type, "close", socketImpl);
            this.isOpen = Channel.class.isAssignableFrom(type) ? null : method(type, "isOpen", socketImpl);
            this.available = socketImpl ? method(type, "available", true) : null;
            this.usable = readerThread != null && writerThread != null;
        }

        /**
         * The field {@code name} of {@code type} or a superclass, made accessible; null if there is
         * none or it is not opened to the core, reported if {@code expected} ({@code type} must have it).
         */
        static Field field(Class<?> type, String name, boolean expected) {
            if (type == null) {
                return null; // the class itself did not resolve (reported by findClass)
            }
            Exception why = null;
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Field f = c.getDeclaredField(name);
                    f.setAccessible(true);
                    return f;
                } catch (NoSuchFieldException e) {
                    why = e; // look in the superclass
                } catch (RuntimeException e) {
                    why = e; // not opened to the core
                    break;
                }
            }
            if (expected) {
                unresolved(type.getName() + "." + name, why);
            }
            return null;
        }

        /** As {@link #field}, for a method without parameters. */
        static Method method(Class<?> type, String name, boolean expected) {
            Exception why = null;
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Method m = c.getDeclaredMethod(name);
                    m.setAccessible(true);
                    return m;
                } catch (NoSuchMethodException e) {
                    why = e; // look in the superclass
                } catch (RuntimeException e) {
                    why = e; // not opened to the core
                    break;
                }
            }
            if (expected) {
                unresolved(type.getName() + "." + name + "()", why);
            }
            return null;
        }
    }

    /**
     * The field {@code name} of {@code type} or a superclass, made accessible, for a client family's
     * introspection; null if there is none or it is not opened to the core, reported if
     * {@code expected}. The JDK packages the core reads are opened before the first look-up.
     */
    public static Field field(Class<?> type, String name, boolean expected) {
        return Access.field(type, name, expected);
    }

    /** As {@link #field}, for a method without parameters. */
    public static Method method(Class<?> type, String name, boolean expected) {
        return Access.method(type, name, expected);
    }

    /** {@code member} does not resolve: whatever needs it falls back to "unsure" from now on. */
    public static void unresolved(String member, Throwable why) {
        SocketHooks.internalError("socket introspection: " + member + " does not resolve",
                why != null ? why : new NoSuchFieldException(member));
    }

    /**
     * Reading {@code member} failed: reported, unless it is an I/O error of the JDK's own method (a
     * socket closed meanwhile), which is expected and which the caller's fallback covers.
     */
    public static void failed(String member, Exception e) {
        Throwable cause = e instanceof InvocationTargetException && e.getCause() != null ? e.getCause() : e;
        if (!(cause instanceof IOException)) {
            SocketHooks.internalError("socket introspection: " + member, cause);
        }
    }
}
