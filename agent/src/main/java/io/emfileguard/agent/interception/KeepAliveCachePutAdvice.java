package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.net.www.http.KeepAliveCache.put(URL, Object, HttpClient)}: an {@code HttpURLConnection}
 * connection whose reply has been consumed goes back to the cache; from now on it may be idle.
 */
public final class KeepAliveCachePutAdvice {
    private KeepAliveCachePutAdvice() {
    }

    @Advice.OnMethodEnter
    public static void enter(@Advice.Argument(2) Object cached) {
        SocketHooks.connectionBackInCache(cached);
    }
}
