package io.emfileguard.core;

/**
 * The one sink for what the core reports: the gate's waits and timeouts, the reclaimer's closes, the
 * collector's requests and internal errors. Read by logs and metrics (the agent's
 * {@code GateEventLog}), never by decisions. Every method does nothing unless overridden.
 *
 * <p>The core calls it only through {@link #guarded}: an error thrown by a sink is reported through
 * {@link SocketHooks#internalError} and never reaches the thread that caused the event (a waiter in
 * the gate's queue, a socket's close).
 */
public interface GateEvents {

    /** Threads started waiting at the cap (the first of an episode). */
    default void waitingStarted(SocketGate gate) {
    }

    /** Threads still wait (the gate rate-limits this). */
    default void stillWaiting(SocketGate gate) {
    }

    /** A wait ran out ({@code max.wait.millis}): the caller proceeds above the cap, or is refused. */
    default void timedOut(SocketGate gate, long waitedNanos, boolean proceeding) {
    }

    /** An idle pooled socket was closed so that waiting threads could proceed. */
    default void reclaimed(String peer, long idleMillis, long total) {
    }

    /**
     * A garbage collection was requested to free sockets dropped without {@code close()}.
     * @param freed units given back by the collection (sockets found collected right after it)
     * @param total collections requested so far
     */
    default void collectionRequested(int freed, long total) {
    }

    /** An unexpected error inside the agent (already counted by {@link SocketHooks#internalError}). */
    default void internalError(String where, Throwable error) {
    }

    /** A sink that does nothing. */
    GateEvents NONE = new GateEvents() {
    };

    /** {@code events} (null: {@link #NONE}) with every call but {@link #internalError} guarded. */
    static GateEvents guarded(GateEvents events) {
        if (events == null) {
            return NONE;
        }
        return events == NONE || events instanceof Guarded ? events : new Guarded(events);
    }

    /** Reports a sink's errors instead of throwing them. */
    final class Guarded implements GateEvents {
        private final GateEvents events;

        Guarded(GateEvents events) {
            this.events = events;
        }

        @Override
        public void waitingStarted(SocketGate gate) {
            try {
                events.waitingStarted(gate);
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("the gate's events (waiting started)", e);
            }
        }

        @Override
        public void stillWaiting(SocketGate gate) {
            try {
                events.stillWaiting(gate);
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("the gate's events (still waiting)", e);
            }
        }

        @Override
        public void timedOut(SocketGate gate, long waitedNanos, boolean proceeding) {
            try {
                events.timedOut(gate, waitedNanos, proceeding);
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("the gate's events (timed out)", e);
            }
        }

        @Override
        public void reclaimed(String peer, long idleMillis, long total) {
            try {
                events.reclaimed(peer, idleMillis, total);
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("the gate's events (reclaimed)", e);
            }
        }

        @Override
        public void collectionRequested(int freed, long total) {
            try {
                events.collectionRequested(freed, total);
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("the gate's events (collection requested)", e);
            }
        }

        /** Not guarded here: {@link SocketHooks#internalError} guards its own call (nowhere else to report to). */
        @Override
        public void internalError(String where, Throwable error) {
            events.internalError(where, error);
        }
    }
}
