package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code endRead}/{@code endWrite}/{@code endConnect} of {@code sun.nio.ch.NioSocketImpl} and
 * {@code sun.nio.ch.SocketChannelImpl}: every blocking or non-blocking read and write ends there.
 * Stamps the socket's last I/O for idle reclamation (installed only when {@code reclaim.idle=true}).
 */
public final class SocketIoAdvice {
    private SocketIoAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object owner) {
        SocketHooks.ioDone(owner);
    }
}
