package io.emfileguard.core.pooled;

import java.lang.reflect.Field;

import io.emfileguard.core.SocketIntrospection;
import java.lang.reflect.Method;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the agent reads of the pooled clients' connections (the JDK keep-alive cache, Apache HttpCore
 * 4 and 5, OkHttp): the socket behind a pooled connection and a pool entry's connection. Reflection,
 * cached per class, through {@link SocketIntrospection#field} (which opens the JDK packages first and
 * reports a member that does not resolve); once per request at most, never per read or write.
 */
public final class PooledConnections {

    private PooledConnections() {
    }

    /**
     * The {@code java.net.Socket} a pooled connection holds, or null: the JDK keep-alive cache's
     * {@code sun.net.www.http.HttpClient} ({@code NetworkClient.serverSocket}), OkHttp's
     * {@code RealConnection.rawSocket}, HttpCore 4's
     * {@code BHttpConnectionBase.socketHolder} ({@code AtomicReference<Socket>}), HttpCore 5's
     * {@code socketHolderRef} ({@code AtomicReference<SocketHolder>}, whose {@code baseSocket} is the
     * TCP socket under TLS). Read reflectively, so that no version of the library is linked in.
     */
    public static Socket socketOf(Object connection) throws IllegalAccessException {
        Field holderField = POOLED_HOLDER.get(connection.getClass());
        Object held = holderField == null ? null : holderField.get(connection);
        if (held instanceof AtomicReference) {
            held = ((AtomicReference<?>) held).get();
        }
        if (held == null || held instanceof Socket) {
            return (Socket) held;
        }
        Field base = HOLDER_BASE_SOCKET.get(held.getClass());
        Object socket = base == null ? null : base.get(held);
        return socket instanceof Socket ? (Socket) socket : null;
    }

    /** {@code PoolEntry.getConnection()} of Apache HttpCore 4 or 5 (a public method of a public class). */
    public static Object poolEntryConnection(Object entry) throws ReflectiveOperationException {
        Method m = POOL_ENTRY_CONNECTION.get(entry.getClass());
        return m == null ? null : m.invoke(entry);
    }

    private static final ClassValue<Method> POOL_ENTRY_CONNECTION = new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
            try {
                return type.getMethod("getConnection");
            } catch (NoSuchMethodException e) {
                // Only Apache HttpCore's pool entries come here, and both versions have it.
                SocketIntrospection.unresolved(type.getName() + ".getConnection()", e);
                return null;
            }
        }
    };

    private static final ClassValue<Field> POOLED_HOLDER = new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
            if (type.getName().startsWith("okhttp3.")) {
                Field f = SocketIntrospection.field(type, "rawSocket", true); // OkHttp 4 and 5 RealConnection: the TCP socket
                return socketTyped(type, f, Socket.class);
            }
            if (type.getName().startsWith("sun.net.")) {
                Field f = SocketIntrospection.field(type, "serverSocket", true); // the JDK's keep-alive HttpClient (NetworkClient)
                return socketTyped(type, f, Socket.class);
            }
            // Apache HttpCore 4 and 5 (BHttpConnectionBase); not reported when absent: an async
            // client's pool entries hold connections without a socket, and those are never handed back.
            Field f = SocketIntrospection.field(type, "socketHolder", false);
            if (f == null) {
                f = SocketIntrospection.field(type, "socketHolderRef", false);
            }
            return f != null && f.getType() == AtomicReference.class ? f : null;
        }
    };

    private static final ClassValue<Field> HOLDER_BASE_SOCKET = new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
            return SocketIntrospection.field(type, "baseSocket", true); // HttpCore 5's SocketHolder
        }
    };

    /** {@code f} if it holds a {@code type}; else null, reported (the field changed its type). */
    private static Field socketTyped(Class<?> owner, Field f, Class<?> type) {
        if (f == null || f.getType() == type) {
            return f;
        }
        SocketIntrospection.unresolved(owner.getName() + "." + f.getName(),
                new NoSuchFieldException(f.getName() + " is a " + f.getType().getName() + ", not a " + type.getName()));
        return null;
    }
}
