package io.emfileguard.bench.jmh;

import io.emfileguard.core.GateSettings;
import io.emfileguard.core.SocketGate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Uncontended acquire + release (one thread, nobody waiting, far below the cap): the agent's gate
 * against what an application would write instead.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class GateBench {
    private static final int CAP = 500;

    private SocketGate gate;
    private AtomicInteger counter;
    private Semaphore fair;

    @Setup
    public void setUp() {
        gate = new SocketGate(GateSettings.of(CAP));
        counter = new AtomicInteger();
        fair = new Semaphore(CAP, true);
    }

    /** What the agent's advice runs at socket creation and close: the gate's fast path. */
    @Benchmark
    public boolean gateFastPath() {
        boolean ok = gate.tryAcquireFast();
        gate.release();
        return ok;
    }

    /** The gate's public acquire (fast path inside) + release. */
    @Benchmark
    public Object gateAcquire() throws Exception {
        Object admission = gate.acquire(true);
        gate.release();
        return admission;
    }

    /** The hand-written counter: check against the cap, CAS, decrement. */
    @Benchmark
    public boolean counter() {
        AtomicInteger c = counter;
        for (;;) {
            int now = c.get();
            if (now >= CAP) {
                return false;
            }
            if (c.compareAndSet(now, now + 1)) {
                break;
            }
        }
        c.decrementAndGet();
        return true;
    }

    /** A fair java.util.concurrent.Semaphore. */
    @Benchmark
    public boolean fairSemaphore() {
        boolean ok = fair.tryAcquire();
        fair.release();
        return ok;
    }
}
