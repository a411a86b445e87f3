package io.emfileguard.agent.interception;

import io.emfileguard.core.RefusedExchange;
import io.emfileguard.core.SocketHooks;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * {@code jdk.internal.net.http.HttpClientImpl}'s private
 * {@code sendAsync(HttpRequest, BodyHandler, PushPromiseHandler, Executor)}: the one method that
 * public {@code send}, {@code sendAsync(2)} and {@code sendAsync(3)} all go through, once per
 * exchange, on the caller's thread. The caller waits here at the cap; the selector thread never does.
 * A refused exchange is skipped and completes its future exceptionally, as the client's own errors do.
 */
public final class HttpClientExchangeAdvice {
    private HttpClientExchangeAdvice() {
    }

    @Advice.OnMethodEnter(skipOn = RefusedExchange.class)
    public static Object enter(@Advice.This Object client) {
        return SocketHooks.beforeExchange(client);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class)
    public static void exit(@Advice.Enter Object taken,
                            @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object result,
                            @Advice.Thrown Throwable thrown) {
        result = SocketHooks.afterExchangeStarted(taken, result, thrown);
    }
}
