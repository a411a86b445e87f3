package io.emfileguard.core.httpclient;

import io.emfileguard.core.ParkingClock;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketGateInterruptedException;
import io.emfileguard.core.SocketGateTimeoutException;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketIntrospection;
import io.emfileguard.core.ThreadPolicy;
import io.emfileguard.core.UnitHolder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The units one {@code java.net.http.HttpClient} holds.
 *
 * <h2>Accounting model</h2>
 * <pre>
 *   E = exchanges admitted and not yet ended (send / sendAsync calls in flight)
 *   K = the client's open channels (busy or idle in its pool)
 *   R = idle channels the reclaimer is closing, whose descriptors are still open
 *   U = units of the gate the client holds = max(E, K) + R
 * </pre>
 * <ul>
 *   <li>Burst-safe: an exchange counts from admission, before its connection exists (E), so 3,300
 *       {@code sendAsync} calls issued in 10 ms cannot all pass an empty gate.</li>
 *   <li>No double counting: an exchange and the HTTP/1.1 connection it uses take one unit between
 *       them (max, not sum). With HTTP/2, several exchanges share a connection and each still holds
 *       a unit: conservative.</li>
 *   <li>Idle pooled connections are open descriptors and count (K). While E &lt; U the client has an
 *       idle connection, so a new exchange is admitted without a new unit (it reuses that
 *       connection): a caller waiting at the cap is woken for that as soon as one of the client's
 *       exchanges ends.</li>
 *   <li>Channels are opened on the client's own threads, which are never parked: if a channel
 *       needs a unit beyond U (e.g. a new host while idle connections exist) it is counted at once.</li>
 * </ul>
 * Each change keeps U = max(E, K) and gives surplus units back to the gate. The critical sections
 * are a few field updates; nothing parks while holding the lock.
 */
public final class HttpClientAccount implements SocketGate.Claim, UnitHolder {

    private final SocketGate gate;
    private int exchanges;
    private int channels;
    private int units;
    /** Idle channels the reclaimer is closing: their descriptors are open until the selector lets go. */
    private int retiring;
    /** How long a channel opening waits for a retiring channel's descriptor before counting above the cap. */
    private static final long RETIRE_WAIT_NANOS = 100_000_000L;
    /** Channel openings parked in {@link #channelOpening} for a retiring channel's descriptor; guarded by this. */
    private final List<Thread> openersWaiting = new ArrayList<>(1);
    /**
     * This client's callers waiting at the cap, in arrival order: parked threads ({@code send}) and
     * deferred exchanges ({@code sendAsync}); the first is told when an exchange of this client ends
     * and leaves room (an idle connection it can reuse without a new unit).
     */
    private final ConcurrentLinkedQueue<Object> admitters = new ConcurrentLinkedQueue<>();

    public HttpClientAccount(SocketGate gate) {
        this.gate = gate;
    }

    /** Before an exchange starts: reuse the client's idle room, or take a unit (may park). */
    public void admitExchange(boolean mayPark) throws SocketGateTimeoutException, SocketGateInterruptedException {
        if (tryClaim()) {
            return;
        }
        Thread self = Thread.currentThread();
        admitters.add(self);
        SocketGate.Admission a;
        try {
            a = gate.acquire(mayPark, this);
        } finally {
            admitters.remove(self);
        }
        if (a == SocketGate.Admission.CLAIMED) {
            return;
        }
        admittedWithUnit();
    }

    /**
     * An async exchange ({@code sendAsync}): room of the client's own ({@link SocketGate.Admission#CLAIMED},
     * counted), a unit now ({@link SocketGate.Admission#IMMEDIATE}, counted), or
     * {@link SocketGate.Admission#DEFERRED}: the exchange waits in the gate's queue, and is told when
     * this client has room before a unit frees. Never parks.
     */
    SocketGate.Admission admitAsync(PendingExchange exchange) {
        if (tryClaim()) {
            return SocketGate.Admission.CLAIMED;
        }
        SocketGate.Admission a = gate.acquireOrDefer(exchange);
        if (a != SocketGate.Admission.DEFERRED) {
            admittedWithUnit();
            return a;
        }
        admitters.add(exchange);
        if (!exchange.isWaiting()) {
            // Its wait ended (granted) before it was listed: its admitted() found nothing to remove, so
            // unlist it here, or it would stand first among this client's admitters for good.
            admitters.remove(exchange);
        } else if (hasRoomForAnExchange()) {
            gate.offerClaim(exchange); // an exchange ended between the claim above and now
        }
        return a;
    }

    /** A deferred exchange's wait is over, whichever way: no longer told of room. */
    void admitterDone(PendingExchange exchange) {
        admitters.remove(exchange);
    }

    /** An exchange was admitted with a unit of the gate: it counts, and U = max(E, K) + R again. */
    void admittedWithUnit() {
        int surplus;
        synchronized (this) {
            exchanges++;
            units++;
            surplus = normalize();
        }
        giveBack(surplus);
    }

    private synchronized boolean hasRoomForAnExchange() {
        return exchanges < units - retiring;
    }

    @Override
    public boolean tryClaim() {
        synchronized (this) {
            if (exchanges < units - retiring) {
                exchanges++;
                return true;
            }
            return false;
        }
    }

    /** The exchange ended: response, error, timeout or cancellation. */
    public void exchangeEnded() {
        int surplus;
        boolean room;
        synchronized (this) {
            exchanges--;
            surplus = normalize();
            room = exchanges < units - retiring;
        }
        giveBack(surplus);
        if (room) {
            Object first = admitters.peek(); // a caller of this client waits: an idle connection is free
            if (first instanceof Thread) {
                gate.clock().unpark((Thread) first);
            } else if (first instanceof PendingExchange) {
                gate.offerClaim((PendingExchange) first); // claimed on the gate's delivery thread
            }
        }
    }

    /**
     * One of the client's channels is about to get a descriptor; never parks at the gate. If the
     * client is closing an idle channel for the reclaimer (which happens when the client picked that
     * very channel from its pool and now opens a replacement), it waits up to 100 ms for that
     * descriptor to go and takes over its unit: otherwise both would be open at once, one above
     * the cap. That wait depends only on the client's selector, which the reclaimer has woken.
     *
     * <p>The same holds when the channel needs a unit beyond the client's own while waiting threads
     * fill the cap, and the client keeps an idle channel (e.g. to another host, or its exchange
     * ended before its connection was made): that idle channel is closed and the new one takes over
     * its unit. Without this, each such channel was counted above the cap (HttpClientLeakIT: the
     * count reached cap + 7, the kernel cap + 2).
     */
    public void channelOpening() {
        // Waits on the gate's clock, parked outside the lock: tests move that clock instead of sleeping.
        ParkingClock clock = gate.clock();
        Thread self = Thread.currentThread();
        boolean needUnit;
        boolean interrupted = false;
        // Once at most; never on a selector thread: it would wait for a descriptor that only its own
        // next select lets go of.
        boolean maySwap = !ThreadPolicy.isEventLoopThread(self);
        synchronized (this) {
            channels++;
        }
        long deadline = clock.nanoTime() + RETIRE_WAIT_NANOS;
        for (;;) {
            long left;
            boolean swap = false;
            synchronized (this) {
                left = deadline - clock.nanoTime();
                if (needed() <= units || retiring == 0 || left <= 0) {
                    openersWaiting.remove(self); // registered at most once (below), however often it parked
                    needUnit = needed() > units;
                    if (needUnit && maySwap && retiring == 0 && channels > exchanges) {
                        swap = true; // outside the lock: retiring one takes the registry's and this lock
                    } else {
                        if (needUnit) {
                            units++;
                        }
                        break;
                    }
                } else if (!openersWaiting.contains(self)) {
                    openersWaiting.add(self); // before parking: a close in between unparks it, and the park returns at once
                }
            }
            if (swap) {
                maySwap = false;
                if (swappedForIdleChannel()) {
                    deadline = clock.nanoTime() + RETIRE_WAIT_NANOS; // now wait for its descriptor, as above
                }
                continue;
            }
            clock.parkNanos(this, left);
            interrupted |= Thread.interrupted(); // keep waiting (a set status would end every park at once); restored below
        }
        if (interrupted) {
            self.interrupt();
        }
        if (needUnit) {
            try {
                gate.acquire(false);
            } catch (SocketGateTimeoutException | SocketGateInterruptedException impossible) {
                throw new AssertionError(impossible); // acquire(false) never waits
            }
        }
    }

    /** Whether one of this client's idle channels is being closed for the channel opening now; never throws. */
    private boolean swappedForIdleChannel() {
        try {
            return gate.reclaimIdleChannelOf(this);
        } catch (RuntimeException | Error e) {
            SocketHooks.internalError("http client idle channel swap", e); // the opening goes on: counted
            return false;
        }
    }

    /** The channel's descriptor is gone (closed, or its creation failed). */
    @Override
    public void channelClosed() {
        int surplus;
        synchronized (this) {
            channels--;
            surplus = normalize();
        }
        giveBack(surplus);
    }

    /**
     * The reclaimer wants to close one of this client's channels: allowed only while the client
     * has more channels than exchanges. The channel stops counting as the client's (so no exchange
     * is admitted against it) but its unit stays until its descriptor is really gone.
     */
    @Override
    public synchronized boolean retireIdleChannel() {
        if (channels <= exchanges) {
            return false;
        }
        channels--;
        retiring++;
        return true;
    }

    /**
     * The client (or anyone) started closing one of its channels, but its descriptor stays open
     * until the selector lets go of it: from now on it is no room for an exchange, and a channel
     * opened meanwhile waits for that descriptor (see {@link #channelOpening}).
     */
    @Override
    public synchronized void retireClosingChannel() {
        channels--;
        retiring++;
    }

    /** The reclaimer could not close it after all. */
    @Override
    public synchronized void unretire() {
        retiring--;
        channels++;
    }

    /** A retired channel's descriptor is gone: its unit goes to a replacement channel, or back to the gate. */
    @Override
    public void retiredChannelClosed() {
        int surplus;
        synchronized (this) {
            retiring--;
            surplus = normalize();
            for (Thread opener : openersWaiting) {
                gate.clock().unpark(opener);
            }
        }
        giveBack(surplus);
    }

    /** U = max(E, K) + R. Call holding the lock. */
    private int needed() {
        return Math.max(exchanges, channels) + retiring;
    }

    /** Restores U = max(E, K) + R; returns the units to give back. Call holding the lock. */
    private int normalize() {
        int needed = needed();
        int surplus = units - needed;
        if (surplus > 0) {
            units = needed;
            return surplus;
        }
        return 0;
    }

    private void giveBack(int surplus) {
        for (int i = 0; i < surplus; i++) {
            gate.release();
        }
    }

    /** Some channel of this client is not serving an exchange (it idles in the client's pool). */
    @Override
    public synchronized boolean hasIdleChannel() {
        // (retired channels are already out of 'channels')
        return channels > exchanges;
    }

    /** Closes the client's connection with its own {@code close()} (see {@link HttpClientConnections#close}). */
    @Override
    public boolean closeConnection(Object connection, Object channel) {
        return HttpClientConnections.close(connection, channel);
    }

    @Override
    public String kind() {
        return "HttpClient";
    }

    public synchronized int units() {
        return units;
    }
}
