package io.emfileguard.core;

/**
 * A clock a thread can also wait on: the gate reads the time of its waits from it, parks on it for
 * its hold slices and {@code max.wait.millis} deadlines, and wakes its waiters through it. In
 * production it is {@link Clock#SYSTEM}; a test moves one by hand, so a 60 s wait takes no real
 * time and a slice ends exactly when the test says (and the test knows which threads are awake).
 */
public interface ParkingClock extends Clock {
    /**
     * Parks the current thread until this clock reaches now + {@code nanos}, or until the thread is
     * unparked or interrupted, or for no reason at all: the contract of
     * {@link java.util.concurrent.locks.LockSupport#parkNanos(Object, long)}, so callers re-check
     * what they wait for.
     */
    void parkNanos(Object blocker, long nanos);

    /** Ends the thread's park, or its next one: {@link java.util.concurrent.locks.LockSupport#unpark(Thread)}. */
    void unpark(Thread thread);
}
