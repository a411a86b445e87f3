package io.emfileguard.agent.interception;

import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;

/**
 * {@code sun.nio.ch.SelectorImpl.lockAndDoSelect(Consumer, long timeout)}: every
 * {@code Selector.select*} goes through it. A thread that blocks here runs an event loop: it is
 * counted at the cap but never parked (see {@code ThreadPolicy}).
 */
public final class SelectorSelectAdvice {
    private SelectorSelectAdvice() {
    }

    @Advice.OnMethodEnter
    public static void enter(@Advice.Argument(1) long timeoutMillis) {
        SocketHooks.selecting(timeoutMillis);
    }
}
