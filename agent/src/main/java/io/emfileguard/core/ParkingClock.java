package io.emfileguard.core;

/**
 * A clock a thread can also wait on: the gate reads the time of its waits from it and parks on it
 * for its hold slices and {@code max.wait.millis} deadlines. In production it is
 * {@link Clock#SYSTEM}; a test moves one by hand, so a 60 s wait takes no real time and a slice
 * ends exactly when the test says.
 */
public interface ParkingClock extends Clock {
    /**
     * Parks the current thread until this clock reaches now + {@code nanos}, or until the thread is
     * unparked or interrupted, or for no reason at all: the contract of
     * {@link java.util.concurrent.locks.LockSupport#parkNanos(Object, long)}, so callers re-check
     * what they wait for.
     */
    void parkNanos(Object blocker, long nanos);
}
