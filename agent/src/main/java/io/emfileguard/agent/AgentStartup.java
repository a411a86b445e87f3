package io.emfileguard.agent;

import io.emfileguard.agent.config.AgentConfig;
import io.emfileguard.agent.config.ConfigResolver;
import io.emfileguard.agent.config.Setting;
import io.emfileguard.agent.interception.Interceptions;
import io.emfileguard.agent.reporting.AgentLog;
import io.emfileguard.agent.reporting.EmfMetrics;
import io.emfileguard.agent.reporting.SocketGateMBean;
import io.emfileguard.core.SocketHooks;
import org.slf4j.Logger;

import java.lang.instrument.Instrumentation;
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
    private static volatile ActiveAgent active;

    private AgentStartup() {
    }

    /** The leak report of the running agent (for {@code --report <pid>}). */
    static String report() {
        ActiveAgent a = active;
        return a == null ? "emfile-guard is not active in this JVM\n"
                : io.emfileguard.agent.reporting.OpenSocketsReport.render(a.gate, a.registry, a.config.trackStacks);
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
            ActiveAgent agent = ActiveAgent.wire(config);
            active = agent;
            agent.interceptions.register(inst, !config.excludes.isEmpty() || config.reclaimIdle, config.reclaimIdle);
            long premainMillis = (System.nanoTime() - startNanos) / 1_000_000;

            Thread init = new Thread(new Runnable() {
                @Override
                public void run() {
                    finishInBackground(agent, inst, attached, premainMillis);
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

    private static void finishInBackground(ActiveAgent agent, Instrumentation inst, boolean attached,
                                           long premainMillis) {
        long t0 = System.nanoTime();
        AgentConfig config = agent.config;
        try {
            AgentLog.configure(config.logLevel);
            reportProblems(config);
            List<String> targets = agent.interceptions.warmUp(inst);
            if (config.jmx) {
                SocketGateMBean.register(agent.gate, agent.registry, agent.reclaimer, agent.guard, config.trackStacks);
            }
            if (config.metrics == AgentConfig.Metrics.EMF) {
                final ActiveAgent a = agent;
                new EmfMetrics(agent.gate, agent.reclaimer, agent.guard, config.metricsNamespace, System.getenv(),
                        System.out).start(config.metricsIntervalSeconds, new Runnable() {
                            @Override
                            public void run() {
                                a.registry.expungeCollected(); // units of collected sockets first
                            }
                        });
            }
            Logger log = AgentLog.get();
            log.info("{} active{}: max.sockets={} ({}), hold.millis={}, max.wait.millis={}, on.timeout={}, "
                            + "reclaim.idle={}, fd.headroom={}{}; "
                            + "Java {}; intercepting {} (start-up {} ms, then {} ms in the background)",
                    Version.get(), attached ? " (attached)" : "", config.maxSockets,
                    config.sourceOf(Setting.MAX_SOCKETS).label, config.holdMillis, config.maxWaitMillis,
                    config.onTimeout.name().toLowerCase(),
                    config.reclaimIdle ? config.reclaimIdleMillis + " ms" : "off",
                    agent.guard != null ? Integer.toString(config.fdHeadroom) : "off",
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

    private static String shortNames(List<String> classes) {
        StringBuilder sb = new StringBuilder();
        for (String c : classes) {
            sb.append(sb.length() == 0 ? "" : ", ").append(c.substring(c.lastIndexOf('.') + 1));
        }
        return sb.toString();
    }
}
