package io.emfileguard.agent.reporting;

import io.emfileguard.core.DescriptorGuard;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketRegistry;

import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Exposes the gate's metrics; holds no state of its own. The gate's numbers come from one
 * {@link SocketGate#stats()} read per attribute; the attributes' names are declared in
 * {@link GateMetric}.
 */
public final class SocketGateMBean implements SocketGateMXBean {

    public static final String OBJECT_NAME = "io.emfileguard:type=SocketGate";

    private final SocketGate gate;
    private final SocketRegistry registry;
    private final DescriptorGuard guard;   // null when the descriptor guard is off
    private final boolean stacksTracked;

    public SocketGateMBean(SocketGate gate, SocketRegistry registry, DescriptorGuard guard, boolean stacksTracked) {
        this.stacksTracked = stacksTracked;
        this.gate = gate;
        this.registry = registry;
        this.guard = guard;
    }

    /** Registers on the platform MBean server (call off the start-up path: it costs ~100 ms). */
    public static void register(SocketGate gate, SocketRegistry registry, DescriptorGuard guard, boolean stacksTracked) {
        try {
            ObjectName name = new ObjectName(OBJECT_NAME);
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            if (!server.isRegistered(name)) {
                server.registerMBean(new SocketGateMBean(gate, registry, guard, stacksTracked), name);
            }
        } catch (Exception | LinkageError e) {
            AgentLog.get().warn("could not register the MBean {}: {}", OBJECT_NAME, e.toString());
        }
    }

    /**
     * The registry learns of sockets the GC closed (dropped without close()) only when its reference
     * queue is polled, which otherwise happens on the next socket operation: poll it before reading.
     */
    @Override public int getOpenSockets() {
        registry.expungeCollected();
        return gate.stats().openSockets;
    }

    @Override public int getTrackedSockets() { return registry.size(); }

    @Override public int getPeakOpenSockets() { return gate.stats().peakOpenSockets; }

    @Override public int getMaxSockets() { return gate.stats().maxSockets; }

    @Override
    public void setMaxSockets(int maxSockets) {
        if (maxSockets < 1) {
            throw new IllegalArgumentException(GateMetric.MAX_SOCKETS.attribute + " must be at least 1, was " + maxSockets);
        }
        gate.updateSettings(gate.settings().withMaxSockets(maxSockets));
        AgentLog.get().info("cap changed to {} through JMX", maxSockets);
    }

    @Override public int getWaitingThreads() { return gate.stats().waitingThreads; }

    @Override public long getWaitsTotal() { return gate.stats().waitsTotal; }

    @Override public long getTimeoutsTotal() { return gate.stats().timeoutsTotal; }

    @Override public long getWaitTimeMillisTotal() { return gate.stats().waitMillisTotal(); }

    @Override public long getOverCapTotal() { return gate.stats().overCapTotal; }
    @Override public long getRefusedConnectsTotal() { return gate.stats().refusedTotal; }

    @Override public long getCollectedSocketsTotal() {
        registry.expungeCollected();
        return gate.stats().collectedTotal;
    }

    @Override public long getLeakedChannelsTotal() {
        registry.expungeCollected();
        return gate.stats().leakedTotal;
    }

    @Override public long getReclaimedSocketsTotal() { return gate.stats().reclaimedTotal; }
    @Override public long getHandedBackSocketsTotal() { return gate.stats().handedBackTotal; }
    @Override public long getGcRequestsTotal() { return gate.stats().gcRequestsTotal; }
    @Override public long getInternalErrorsTotal() { return gate.stats().internalErrorsTotal; }

    @Override public int getEffectiveMaxSockets() { return gate.stats().effectiveMaxSockets; }

    @Override public int getDescriptorsInUse() { return guard == null ? -1 : guard.lastDescriptors(); }

    @Override public void resetPeak() { gate.resetPeak(); }

    @Override
    public String openSocketsReport() {
        return OpenSocketsReport.render(gate, registry, stacksTracked);
    }
}
