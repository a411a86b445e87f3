package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

import java.net.SocketAddress;

/**
 * {@code java.net.Socket.connect(SocketAddress, int)}: tells the gate where a socket created during
 * this connect will go, so that {@code exclude}d addresses are never held; and, afterwards, which
 * {@code Socket} owns the descriptor, so that the idle reclaimer closes the {@code Socket} itself
 * ({@code isClosed()} then says so, and pools such as OkHttp's discard it instead of using it).
 * Installed when there is something to exclude or idle reclamation is on.
 */
public final class SocketConnectAdvice {
    private SocketConnectAdvice() {
    }

    @Advice.OnMethodEnter
    public static void enter(@Advice.Argument(0) SocketAddress target) {
        SocketHooks.connectStarting(target);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object socket, @Advice.FieldValue("impl") Object impl) {
        SocketHooks.connectFinished(socket, impl);
    }
}
