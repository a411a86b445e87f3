package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.NioSocketImpl.accept(SocketImpl)}: every {@code ServerSocket.accept()} hands the
 * new descriptor to the argument. Counted, never held: the connection already exists.
 */
public final class SocketImplAcceptAdvice {
    private SocketImplAcceptAdvice() {
    }

    @Advice.OnMethodExit
    public static void exit(@Advice.Argument(0) Object acceptedImpl) {
        SocketHooks.accepted(acceptedImpl, true);
    }
}
