package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * OkHttp's {@code RealConnection.isHealthy(boolean)} (4.x and 5.x), which its pool asks only of the
 * connection it is acquiring for a call: false for a connection the idle reclaimer closed or is
 * closing (OkHttp then takes another or connects anew), and the healthy one is claimed for the call.
 */
public final class PooledConnectionLeaseAdvice {
    private PooledConnectionLeaseAdvice() {
    }

    @Advice.OnMethodExit
    public static void exit(@Advice.This Object connection, @Advice.Return(readOnly = false) boolean healthy) {
        if (healthy) {
            healthy = SocketHooks.pooledConnectionHandedOut(connection);
        }
    }
}
