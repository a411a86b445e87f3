package io.emfileguard.demo;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A fair semaphore for async calls, the way a careful developer bounds a client without a connection
 * limit ({@code HttpClient.sendAsync}) by hand: {@link #acquire()} never blocks; its future completes
 * when a permit is free, waiters in FIFO order; {@link #release()} hands the permit straight to the
 * oldest waiter still waiting. A waiter whose future was cancelled or completed otherwise is skipped,
 * so no permit is lost to it.
 */
public final class AsyncPermits {

    private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();
    private int available;

    public AsyncPermits(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1");
        }
        this.available = permits;
    }

    /** A future completed once a permit is held (at once when one is free and nobody waits). */
    public CompletableFuture<Void> acquire() {
        synchronized (this) {
            if (available > 0 && waiters.isEmpty()) {
                available--;
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> waiter = new CompletableFuture<>();
            waiters.addLast(waiter);
            return waiter;
        }
    }

    /** Gives a permit back: to the oldest live waiter (completed outside the lock), else to the pool. */
    public void release() {
        while (true) {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiters.pollFirst();
                if (next == null) {
                    available++;
                    return;
                }
            }
            // complete() is false for a waiter cancelled (or failed) meanwhile: pass the permit on
            if (next.complete(null)) {
                return;
            }
        }
    }

    /**
     * Runs {@code call} holding a permit, issued once the permit is granted (on the releasing call's
     * thread, or at once): the result ends with the call, and the permit goes back however it ends.
     */
    public <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> call) {
        return acquire().thenCompose(granted -> {
            CompletableFuture<T> inner;
            try {
                inner = call.get();
            } catch (RuntimeException | Error e) {
                release();
                throw e;
            }
            return inner.whenComplete((ok, failure) -> release());
        });
    }

    /** Permits free now (for tests). */
    public synchronized int available() {
        return available;
    }

    /** Waiters queued now, cancelled ones not yet skipped included (for tests). */
    public synchronized int waiting() {
        return waiters.size();
    }
}
