package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * {@code sun.net.www.http.KeepAliveCache.get(URL, Object)}: the cached connection it hands to an
 * {@code HttpURLConnection} is claimed for that request (the reclaimer leaves it alone), and one
 * the reclaimer closed or is closing is not handed out (the JDK then opens a new connection).
 */
public final class KeepAliveCacheGetAdvice {
    private KeepAliveCacheGetAdvice() {
    }

    @Advice.OnMethodExit
    public static void exit(@Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object cached) {
        cached = SocketHooks.cachedConnectionOrNull(cached);
    }
}
