package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.net.NetworkClient.doConnect(String, int)}, where {@code HttpURLConnection} opens its
 * connections: the socket is in use until the keep-alive cache takes it back, however idle it looks
 * while the application consumes a reply already read into the client's buffer.
 */
public final class KeepAliveConnectAdvice {
    private KeepAliveConnectAdvice() {
    }

    @Advice.OnMethodExit
    public static void exit(@Advice.Return Object socket) {
        SocketHooks.connectionOpenedForCache(socket);
    }
}
