package io.emfileguard.core.httpclient;

import java.lang.reflect.Method;

import io.emfileguard.core.SocketIntrospection;

/**
 * What the agent reads of the JDK HttpClient's connections ({@code jdk.internal.net.http}, opened
 * to the core when {@code java.net.http} is first woven): a connection's channel, and its own
 * {@code close()}. Reflection, cached per class; a member that does not resolve is reported once
 * through {@link SocketIntrospection#method} and the caller falls back (no channel, not closed).
 */
public final class HttpClientConnections {

    /** {@code [channel(), close()]} of an HttpClient connection class; nulls for any other class. */
    private static final ClassValue<Method[]> METHODS = new ClassValue<Method[]>() {
        @Override
        protected Method[] computeValue(Class<?> type) {
            if (!type.getName().startsWith("jdk.internal.net.http.")) {
                return new Method[2];
            }
            return new Method[] {SocketIntrospection.method(type, "channel", true),
                SocketIntrospection.method(type, "close", true)};
        }
    };

    private HttpClientConnections() {
    }

    /** {@code PlainHttpConnection.channel()} (package-private in an opened package), or null. */
    public static Object channel(Object connection) {
        Method m = METHODS.get(connection.getClass())[0];
        try {
            return m == null ? null : m.invoke(connection);
        } catch (Exception e) {
            SocketIntrospection.failed(connection.getClass().getName() + ".channel()", e);
            return null;
        }
    }

    /**
     * Closes an HttpClient connection with its own {@code close()}: the channel, and a signal to the
     * exchange that may have picked it from the pool an instant ago, which then fails over instead
     * of waiting for a reply that can never come.
     */
    public static boolean close(Object connection, Object channel) {
        Method close = METHODS.get(connection.getClass())[1];
        if (close == null) {
            return false;
        }
        try {
            close.invoke(connection);
            SocketIntrospection.wakeSelectors(channel);
            return true;
        } catch (Exception e) {
            SocketIntrospection.failed(connection.getClass().getName() + ".close()", e);
            return false; // the caller closes the channel itself
        }
    }
}
