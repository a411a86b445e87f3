package io.emfileguard.core;

/**
 * Where the core reads the time of its idle and quiet stamps: the JVM's monotonic clock, or one a
 * test moves (so tests of idleness never sleep). Waiting itself (parking, deadlines of a wait) runs
 * on real time.
 */
public interface Clock {
    /** Nanoseconds, as {@link System#nanoTime()}: only differences mean anything. */
    long nanoTime();

    // Not a lambda: the first lambda of a JVM costs tens of milliseconds of start-up.
    Clock SYSTEM = new Clock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    };
}
