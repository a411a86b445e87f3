package io.emfileguard.core.apache;

/** What tests outside the core's package read of {@link ApacheAsyncHooks}. */
public final class ApacheAsyncTestAccess {
    private ApacheAsyncTestAccess() {
    }

    /** Pre-paid units bound to requests whose channel is not open yet. */
    public static int prePaidWaiting() {
        return ApacheAsyncHooks.prePaidWaiting();
    }
}
