package io.emfileguard.core;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The one agent thread that runs {@link SocketGate.Deferred} work: grants the gate decided under its
 * lock, claims offered by a client's own room, and what only a clock can end (deadlines). While
 * deferred work is queued it also wakes every {@code hold.millis} to do the housekeeping that
 * parked front waiters do for themselves (reclaiming idle pooled sockets, sampling descriptors):
 * a queue of 3,300 deferred calls has nobody else to do it.
 *
 * <p>Why a thread of its own: a grant is decided wherever a unit comes back, which may be a
 * selector thread or a thread inside a socket's {@code close()}; running an exchange's start or a
 * pool's acquire there would run application work on the wrong thread (a user's direct executor
 * would run the whole exchange inside a close). The thread starts only when deferred work exists
 * and ends when none is left: an idle agent runs no thread, and premain starts none. It never parks
 * at the gate ({@link ThreadPolicy} treats it as an event loop): it is what un-parks others.
 */
public final class DeferredDelivery implements Runnable {

    static final int ADMITTED = 0;
    static final int REFUSED = 1;
    static final int EXPIRED = 2;

    /** The thread's class: {@link ThreadPolicy} never parks it at the gate. */
    public static final class DeliveryThread extends Thread {
        DeliveryThread(Runnable body) {
            super(body, "emfile-guard-deferred");
            setDaemon(true);
        }
    }

    private final SocketGate gate;
    private final ConcurrentLinkedQueue<SocketGate.Deferred> grants = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<SocketGate.Deferred> claims = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Thread thread;

    DeferredDelivery(SocketGate gate) {
        this.gate = gate;
    }

    /** A unit was granted to {@code d} (under the gate's lock): queued for the thread. */
    void granted(SocketGate.Deferred d) {
        grants.add(d);
    }

    /** {@code d}'s client has room for it: the thread asks it to claim that room. */
    void claimOffered(SocketGate.Deferred d) {
        claims.add(d);
        workArrived();
    }

    /** Work was queued (deferred waiters, grants, claims): wakes the thread, or starts it. */
    void workArrived() {
        Thread t = thread;
        if (t != null) {
            gate.clock().unpark(t);
        } else if (running.compareAndSet(false, true)) {
            try {
                new DeliveryThread(this).start();
            } catch (RuntimeException | Error e) {
                running.set(false);
                SocketHooks.internalError("starting the deferred-work thread", e);
            }
        }
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        long progress = gate.progressSoFar();
        for (;;) {
            try {
                deliverAll();
                gate.expireOverdue();
                deliverAll();
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("deferred work", e);
            }
            if (!hasWork()) {
                // Leave, unless work arrived while leaving (its producer saw this thread still running).
                thread = null;
                running.set(false);
                if (!hasWork() || !running.compareAndSet(false, true)) {
                    return;
                }
                thread = Thread.currentThread();
                continue;
            }
            long now = gate.clock().nanoTime();
            long slice = gate.settings().holdNanos();
            long untilDeadline = gate.nextDeferredDeadline() - now;
            if (grants.isEmpty() && claims.isEmpty()) {
                gate.clock().parkNanos(gate, Math.max(1, Math.min(slice, untilDeadline)));
            }
            if (grants.isEmpty() && claims.isEmpty()) {
                try {
                    progress = gate.housekeepingForDeferred(progress);
                } catch (RuntimeException | Error e) {
                    SocketHooks.internalError("deferred housekeeping", e);
                }
            }
        }
    }

    private boolean hasWork() {
        return !grants.isEmpty() || !claims.isEmpty() || gate.deferredWaiting() > 0;
    }

    private void deliverAll() {
        SocketGate.Deferred d;
        while ((d = grants.poll()) != null) {
            gate.deferredWaitEnded(d);
            run(d, ADMITTED, SocketGate.Admission.AFTER_WAIT);
        }
        while ((d = claims.poll()) != null) {
            try {
                gate.claimFor(d);
            } catch (RuntimeException | Error e) {
                SocketHooks.internalError("deferred claim", e);
            }
        }
    }

    /**
     * Ends {@code d}'s wait the way {@code outcome} says. What the callback throws is the agent's
     * bug or its client's internals changing: reported, and the next piece of work goes on.
     */
    static void run(SocketGate.Deferred d, int outcome, Object detail) {
        try {
            if (outcome == ADMITTED) {
                d.admitted((SocketGate.Admission) detail);
            } else if (outcome == REFUSED) {
                d.refused((SocketGateTimeoutException) detail);
            } else {
                d.expired();
            }
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("deferred work " + d.getClass().getSimpleName(), e);
        }
    }

    /** For tests and the doctor: whether the thread runs now. */
    boolean isRunning() {
        return running.get();
    }
}
