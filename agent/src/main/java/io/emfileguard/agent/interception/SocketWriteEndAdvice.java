package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.NioSocketImpl.endWrite(boolean completed)}: every write on a {@code java.net.Socket} ends there, with whether
 * bytes moved. Feeds the idle-reclaim clock and the request/reply phase (installed only when
 * {@code reclaim.idle=true}).
 */
public final class SocketWriteEndAdvice {
    private SocketWriteEndAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object owner, @Advice.Argument(0) boolean completed) {
        SocketHooks.writeEnded(owner, completed);
    }
}
