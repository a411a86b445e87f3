package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.NioSocketImpl.create(boolean)}: where every {@code java.net.Socket} gets its
 * descriptor (at connect, or at the first socket option set before it, as OkHttp does). Waiting here,
 * not at {@code connect}, is what keeps descriptors themselves under the cap.
 */
public final class SocketImplCreateAdvice {
    private SocketImplCreateAdvice() {
    }

    @Advice.OnMethodEnter
    public static boolean enter(@Advice.FieldValue("server") boolean server,
                                @Advice.Argument(0) boolean stream) throws java.io.IOException {
        return SocketHooks.beforeCreate(server, stream);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.This Object impl, @Advice.Enter boolean unitTaken,
                            @Advice.Thrown Throwable thrown) {
        SocketHooks.afterCreate(impl, unitTaken, thrown);
    }
}
