package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * Constructors of {@code jdk.internal.net.http.PlainHttpConnection} ({@code (addr, client)} on
 * JDK 17, {@code (addr, client, label)} on JDK 25): the channel they open belongs to that client's
 * account, so an exchange and its connection take one unit between them, not two.
 */
public final class HttpConnectionAdvice {
    private HttpConnectionAdvice() {
    }

    @Advice.OnMethodEnter
    public static void enter(@Advice.Argument(1) Object client) {
        SocketHooks.httpConnectionStarting(client);
    }

    @Advice.OnMethodExit
    public static void exit(@Advice.This Object connection) {
        SocketHooks.httpConnectionFinished(connection);
    }
}
