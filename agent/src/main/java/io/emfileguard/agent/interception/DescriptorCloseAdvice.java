package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code tryClose()} of {@code sun.nio.ch.NioSocketImpl} and {@code sun.nio.ch.SocketChannelImpl}:
 * the one place each actually closes its descriptor. It returns false while another thread is still
 * in a read or write, or while a channel is registered with a selector; the JDK calls it again when
 * that ends, so the unit comes back when the descriptor really goes. Double closes never reach it.
 */
public final class DescriptorCloseAdvice {
    private DescriptorCloseAdvice() {
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object owner, @Advice.Return boolean closed,
                            @Advice.Thrown Throwable thrown) {
        if (closed || thrown != null) {
            SocketHooks.closed(owner);
        }
    }
}
