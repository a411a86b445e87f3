package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.SocketChannelImpl.implCloseSelectableChannel()}: a channel's close has started.
 * A channel registered with a selector keeps its descriptor until the selector deregisters it
 * ({@link DescriptorCloseAdvice} sees that moment); an HTTP client opening its next connection in
 * that gap must not count the closing one as room.
 */
public final class ChannelCloseStartAdvice {
    private ChannelCloseStartAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object channel) {
        SocketHooks.channelClosing(channel);
    }
}
