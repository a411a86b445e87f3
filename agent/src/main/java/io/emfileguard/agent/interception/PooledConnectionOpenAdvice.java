package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * Apache HttpCore's {@code BHttpConnectionBase.isOpen()} (4.4 and 5.x): answers false for a pooled
 * connection whose socket the idle reclaimer closed (Apache then connects anew instead of failing
 * the request), and claims the others for the request about to use them.
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
