package io.emfileguard.agent;

import io.emfileguard.agent.config.AgentConfig;
import io.emfileguard.agent.interception.Interceptions;
import io.emfileguard.agent.reporting.GateEventLog;
import io.emfileguard.core.AbandonedSocketCollector;
import io.emfileguard.core.AddressRule;
import io.emfileguard.core.DescriptorGuard;
import io.emfileguard.core.GateSettings;
import io.emfileguard.core.IdleReclaimer;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * The running agent's parts, wired once from the configuration: the gate and what feeds it
 * (registry, idle reclaimer, descriptor guard), its event log, and the interception points that
 * call it. Loaded only after the core is in the boot loader.
 */
final class ActiveAgent {
    final AgentConfig config;
    final SocketGate gate;
    final SocketRegistry registry;
    final IdleReclaimer reclaimer;   // null when reclaim.idle=false
    final DescriptorGuard guard;     // null when fd.headroom=0 or there is no /proc
    final AbandonedSocketCollector collector; // null when collect.abandoned=false
    final GateEventLog events;
    final Interceptions interceptions;

    private ActiveAgent(AgentConfig config, SocketGate gate, SocketRegistry registry, IdleReclaimer reclaimer,
                        DescriptorGuard guard, AbandonedSocketCollector collector, GateEventLog events) {
        this.collector = collector;
        this.config = config;
        this.gate = gate;
        this.registry = registry;
        this.reclaimer = reclaimer;
        this.guard = guard;
        this.events = events;
        this.interceptions = new Interceptions();
    }

    /** Builds the gate and its helpers and makes them what the advice calls. */
    static ActiveAgent wire(AgentConfig config) {
        SocketGate gate = new SocketGate(toGateSettings(config));
        SocketRegistry registry = new SocketRegistry(gate);
        registry.setTrackStacks(config.trackStacks);
        GateEventLog events = new GateEventLog();
        gate.setEvents(events);
        gate.setSliceTask(new Runnable() {
            @Override
            public void run() {
                registry.expungeCollected(); // sockets the GC took may be what frees a waiter
                SocketHooks.runSliceWork(); // and the families' (units pre-paid to opens that never came)
            }
        });
        IdleReclaimer reclaimer = null;
        if (config.reclaimIdle) {
            reclaimer = new IdleReclaimer(registry, config.reclaimIdleMillis, gate.settings().excludes, events);
            gate.setReclaimer(reclaimer);
        }
        DescriptorGuard guard = config.fdHeadroom > 0
                ? DescriptorGuard.forCurrentProcess(gate, config.descriptorLimit, config.fdHeadroom) : null;
        gate.setSampler(guard);
        AbandonedSocketCollector collector = null;
        if (config.collectAbandoned) {
            collector = new AbandonedSocketCollector(registry, events);
            gate.setStuckTask(collector);
        }
        SocketHooks.install(gate, registry, reclaimer, events);
        return new ActiveAgent(config, gate, registry, reclaimer, guard, collector, events);
    }

    static GateSettings toGateSettings(AgentConfig c) {
        List<AddressRule> rules = new ArrayList<>();
        for (String e : c.excludes) {
            rules.add(AddressRule.parse(e));
        }
        return new GateSettings(c.maxSockets, c.holdMillis, c.maxWaitMillis,
                c.onTimeout,
                rules, c.eventLoopAtCap == AgentConfig.EventLoopAtCap.FAIL);
    }
}
