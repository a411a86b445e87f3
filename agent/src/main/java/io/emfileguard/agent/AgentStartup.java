package io.emfileguard.agent;

import io.emfileguard.agent.config.AgentConfig;
import io.emfileguard.agent.config.ConfigResolver;
import io.emfileguard.agent.config.Setting;
import io.emfileguard.agent.interception.Interceptions;
import io.emfileguard.agent.reporting.AgentLog;
import io.emfileguard.agent.reporting.GateEventLog;
import io.emfileguard.agent.reporting.SocketGateMBean;
import io.emfileguard.core.AddressRule;
import io.emfileguard.core.GateSettings;
import io.emfileguard.core.IdleReclaimer;
import io.emfileguard.core.SocketGate;
import io.emfileguard.core.SocketHooks;
import io.emfileguard.core.SocketRegistry;
import org.slf4j.Logger;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/**
 * Wires the agent once the core is in the boot loader. Data flow:
 * configuration ({@link ConfigResolver}) -> gate ({@link SocketGate}) <- interception points
 * ({@link Interceptions}); gate -> logs ({@link GateEventLog}) and metrics ({@link SocketGateMBean}).
 *
 * <p>Start-up cost is a feature (Lambda bills it): the synchronous part only resolves the
 * configuration, creates the gate and registers the transformer. Byte Buddy's one-time cost
 * (loading and running its classes, about a third of a second of CPU), the log set-up and the MBean
 * run on the {@code emfile-guard-init} daemon thread, in parallel with the application's own start.
 * A target class the application loads before that thread gets to it is transformed on the spot,
 * so no socket escapes the count either way.
 *
 * <p>Loaded only after {@code BootstrapInjector.inject}: this class refers to core types freely.
 */
final class AgentStartup {
    private AgentStartup() {
    }

    /** @return whether the agent is now active */
    static boolean run(String args, Instrumentation inst, boolean attached, long startNanos) {
        try {
            if (SocketHooks.class.getClassLoader() != null) {
                throw new IllegalStateException("core classes resolved outside the boot loader");
            }
            AgentConfig config = ConfigResolver.resolve(args);
            if (!config.enabled) {
                AgentLog.configure(config.logLevel);
                reportProblems(config);
                AgentLog.get().info("disabled by the setting enabled=false; not intercepting anything");
                return false;
            }
            SocketGate gate = new SocketGate(toGateSettings(config));
            SocketRegistry registry = new SocketRegistry(gate);
            GateEventLog events = new GateEventLog();
            gate.setListener(events);
            gate.setSliceTask(new Runnable() {
                @Override
                public void run() {
                    registry.expungeCollected();
                }
            });
            IdleReclaimer reclaimer = null;
            if (config.reclaimIdle) {
                reclaimer = new IdleReclaimer(registry, config.reclaimIdleMillis, gate.settings().excludes, events);
                gate.setReclaimer(reclaimer);
            }
            SocketHooks.install(gate, registry, events);
            Interceptions interceptions = new Interceptions();
            interceptions.register(inst, !config.excludes.isEmpty(), config.reclaimIdle);
            long premainMillis = (System.nanoTime() - startNanos) / 1_000_000;

            IdleReclaimer reclaimerForMetrics = reclaimer;
            Thread init = new Thread(new Runnable() {
                @Override
                public void run() {
                    finishInBackground(config, inst, interceptions, gate, registry, reclaimerForMetrics, attached,
                            premainMillis);
                }
            }, "emfile-guard-init");
            init.setDaemon(true);
            init.start();
            return true;
        } catch (Throwable t) {
            System.err.println("emfile-guard: ERROR could not start, the application runs without it: " + t);
            return false;
        }
    }

    private static void finishInBackground(AgentConfig config, Instrumentation inst, Interceptions interceptions,
                                           SocketGate gate, SocketRegistry registry, IdleReclaimer reclaimer,
                                           boolean attached,
                                           long premainMillis) {
        long t0 = System.nanoTime();
        try {
            AgentLog.configure(config.logLevel);
            reportProblems(config);
            List<String> targets = interceptions.warmUp(inst);
            if (config.jmx) {
                SocketGateMBean.register(gate, registry, reclaimer);
            }
            Logger log = AgentLog.get();
            log.info("{} active{}: max.sockets={} ({}), hold.millis={}, max.wait.millis={}, on.timeout={}, "
                            + "reclaim.idle={}{}; "
                            + "Java {}; intercepting {} (start-up {} ms, then {} ms in the background)",
                    Version.get(), attached ? " (attached)" : "", config.maxSockets,
                    config.sourceOf(Setting.MAX_SOCKETS).label, config.holdMillis, config.maxWaitMillis,
                    config.onTimeout.name().toLowerCase(),
                    config.reclaimIdle ? config.reclaimIdleMillis + " ms" : "off",
                    config.excludes.isEmpty() ? "" : ", exclude=" + String.join(",", config.excludes),
                    System.getProperty("java.version"), shortNames(targets), premainMillis,
                    (System.nanoTime() - t0) / 1_000_000);
        } catch (Throwable t) {
            AgentLog.get().error("set-up did not finish ({}); sockets are still counted where "
                    + "instrumentation succeeded", t.toString());
        }
    }

    private static void reportProblems(AgentConfig config) {
        for (String problem : config.problems()) {
            AgentLog.get().error(problem);
        }
    }

    static GateSettings toGateSettings(AgentConfig c) {
        List<AddressRule> rules = new ArrayList<>();
        for (String e : c.excludes) {
            rules.add(AddressRule.parse(e));
        }
        return new GateSettings(c.maxSockets, c.holdMillis, c.maxWaitMillis,
                c.onTimeout == AgentConfig.OnTimeout.FAIL ? GateSettings.OnTimeout.FAIL : GateSettings.OnTimeout.PROCEED,
                rules);
    }

    private static String shortNames(List<String> classes) {
        StringBuilder sb = new StringBuilder();
        for (String c : classes) {
            sb.append(sb.length() == 0 ? "" : ", ").append(c.substring(c.lastIndexOf('.') + 1));
        }
        return sb.toString();
    }
}
