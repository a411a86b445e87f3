package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.ServerSocketChannelImpl.finishAccept(FileDescriptor, SocketAddress)}: every
 * accepted channel passes through it. Counted, never held.
 */
public final class ChannelAcceptAdvice {
    private ChannelAcceptAdvice() {
    }

    @Advice.OnMethodExit
    public static void exit(@Advice.Return Object channel) {
        SocketHooks.accepted(channel, false);
    }
}
