package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.SocketChannelImpl.endRead(boolean blocking, boolean completed)}: every read on a socket channel (blocking or not) ends there, with whether
 * bytes moved. Feeds the idle-reclaim clock and the request/reply phase (installed only when
 * {@code reclaim.idle=true}).
 */
public final class ChannelReadEndAdvice {
    private ChannelReadEndAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object owner, @Advice.Argument(1) boolean completed) {
        SocketHooks.readEnded(owner, completed);
    }
}
