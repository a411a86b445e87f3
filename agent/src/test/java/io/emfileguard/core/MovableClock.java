package io.emfileguard.core;

import java.util.concurrent.atomic.AtomicLong;

/** A clock tests move by hand: idleness without sleeping. */
final class MovableClock implements Clock {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    @Override
    public long nanoTime() {
        return now.get();
    }

    void advanceMillis(long millis) {
        now.addAndGet(millis * 1_000_000L);
    }
}
