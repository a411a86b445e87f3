package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * Apache HttpCore's {@code BHttpConnectionBase.isOpen()} (4.4 and 5.x), which Apache asks before
 * every request (and also when a connection goes back to its pool): answers false for a pooled
 * connection whose socket the idle reclaimer closed or is closing (Apache then connects anew instead
 * of failing the request), and stamps the others so that the reclaimer leaves them alone for
 * {@code reclaim.idle.millis}.
 */
public final class PooledConnectionOpenAdvice {
    private PooledConnectionOpenAdvice() {
    }

    @Advice.OnMethodExit
    public static void exit(@Advice.This Object connection, @Advice.Return(readOnly = false) boolean open) {
        if (open) {
            open = SocketHooks.pooledConnectionUsable(connection);
        }
    }
}
