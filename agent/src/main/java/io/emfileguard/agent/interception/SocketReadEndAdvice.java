package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.NioSocketImpl.endRead(boolean completed)}: every read on a {@code java.net.Socket} ends there, with whether
 * bytes moved. Feeds the idle-reclaim clock and the request/reply phase (installed only when
 * {@code reclaim.idle=true}).
 */
public final class SocketReadEndAdvice {
    private SocketReadEndAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object owner, @Advice.Argument(0) boolean completed) {
        SocketHooks.readEnded(owner, completed);
    }
}
