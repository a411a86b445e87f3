package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code endConnect} of {@code sun.nio.ch.NioSocketImpl} and {@code sun.nio.ch.SocketChannelImpl}:
 * stamps the socket's idle clock (installed only when {@code reclaim.idle=true}).
 */
public final class ConnectEndAdvice {
    private ConnectEndAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object owner) {
        SocketHooks.ioDone(owner);
    }
}
