package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.SelectorProviderImpl.openSocketChannel()}: behind every {@code SocketChannel.open()}
 * (NIO clients, Netty's NIO transport, the JDK HttpClient). The channel's constructor creates the
 * descriptor; advising the factory instead of the constructor lets a failed creation give its unit
 * back (Byte Buddy cannot catch exceptions thrown by constructors).
 */
public final class ChannelOpenAdvice {
    private ChannelOpenAdvice() {
    }

    @Advice.OnMethodEnter
    public static Object enter() throws java.io.IOException {
        return SocketHooks.beforeChannelOpen(null);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.Return Object channel, @Advice.Enter Object taken,
                            @Advice.Thrown Throwable thrown) {
        SocketHooks.afterChannelOpen(channel, taken, thrown);
    }
}
