package io.emfileguard.core;

import java.util.concurrent.locks.LockSupport;

/**
 * Where the core reads the time of its idle and quiet stamps: the JVM's monotonic clock, or one a
 * test moves (so tests of idleness never sleep). The gate also waits on its clock (see
 * {@link ParkingClock}).
 */
public interface Clock {
    /** Nanoseconds, as {@link System#nanoTime()}: only differences mean anything. */
    long nanoTime();

    // Not a lambda: the first lambda of a JVM costs tens of milliseconds of start-up.
    ParkingClock SYSTEM = new ParkingClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void parkNanos(Object blocker, long nanos) {
            LockSupport.parkNanos(blocker, nanos);
        }

        @Override
        public void unpark(Thread thread) {
            LockSupport.unpark(thread);
        }
    };
}
