package io.emfileguard.bench.jmh;

import io.emfileguard.core.GateSettings;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * The agent's per-socket work in-process, with {@code open} other sockets tracked: what it adds to
 * every read and write (with reclaim.idle=true, the default: {@code SocketRegistry.touch}, one
 * identity look-up and a clock read) and to every connect + close.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RegistryTouchBench {
    @Param({"100"})
    public int open;

    private SocketGate gate;
    private SocketRegistry registry;
    private Object[] owners;
    private int next;

    @Setup
    public void setUp() {
        gate = new SocketGate(GateSettings.of(100_000));
        registry = new SocketRegistry(gate);
        owners = new Object[open];
        for (int i = 0; i < open; i++) {
            owners[i] = new Object();
            gate.tryAcquireFast();
            registry.track(owners[i], true);
        }
    }

    /**
     * The agent's bookkeeping for one socket's life, as its advice runs it on a connect + close: gate
     * fast path, track the owner (weak reference, map insert), stamp the connect, release (map
     * remove, gate release). The end-to-end per-connect ratio should be about 1 + this / connect time.
     */
    @Benchmark
    public boolean connectBookkeeping() {
        Object owner = new Object();
        boolean ok = gate.tryAcquireFast();
        registry.track(owner, true);
        registry.touch(owner);
        registry.release(owner);
        return ok;
    }

    @Benchmark
    public void touch() {
        int i = next + 1;
        if (i == owners.length) {
            i = 0;
        }
        next = i;
        registry.touch(owners[i]);
    }
}
