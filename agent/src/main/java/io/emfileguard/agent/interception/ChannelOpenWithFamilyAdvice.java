package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.SelectorProviderImpl.openSocketChannel(ProtocolFamily)}: as
 * {@link ChannelOpenAdvice}; Unix-domain channels are not counted.
 */
public final class ChannelOpenWithFamilyAdvice {
    private ChannelOpenWithFamilyAdvice() {
    }

    @Advice.OnMethodEnter
    public static Object enter(@Advice.Argument(0) java.net.ProtocolFamily family) throws java.io.IOException {
        return SocketHooks.beforeChannelOpen(family);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.Return Object channel, @Advice.Enter Object taken,
                            @Advice.Thrown Throwable thrown) {
        SocketHooks.afterChannelOpen(channel, taken, thrown);
    }
}
