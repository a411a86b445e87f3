package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

import java.net.SocketAddress;

/**
 * {@code java.net.Socket.connect(SocketAddress, int)}: tells the gate where a socket created during
 * this connect will go, so that {@code exclude}d addresses are never held. Installed only when there
 * is something to exclude.
 */
public final class SocketConnectAdvice {
    private SocketConnectAdvice() {
    }

    @Advice.OnMethodEnter
    public static void enter(@Advice.Argument(0) SocketAddress target) {
        SocketHooks.connectStarting(target);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit() {
        SocketHooks.connectFinished();
    }
}
