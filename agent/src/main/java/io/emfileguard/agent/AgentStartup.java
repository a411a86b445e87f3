package io.emfileguard.agent;

import io.emfileguard.agent.boot.BootstrapInjector;
import io.emfileguard.agent.config.AgentConfig;
import io.emfileguard.agent.config.ConfigResolver;
import io.emfileguard.agent.config.Setting;
import io.emfileguard.agent.interception.InterceptionPoint;
import io.emfileguard.agent.interception.Interceptions;
import io.emfileguard.agent.reporting.AgentLog;
import io.emfileguard.agent.reporting.EmfMetrics;
import io.emfileguard.agent.reporting.OpenSocketsReport;
import io.emfileguard.agent.reporting.SocketGateMBean;
import io.emfileguard.core.SocketHooks;

import java.lang.instrument.Instrumentation;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Wires the agent once the core is in the boot loader. Data flow:
 * configuration ({@link ConfigResolver}) -> gate ({@code SocketGate}) <- interception points
 * ({@link Interceptions}); gate -> logs ({@code GateEventLog}) and metrics ({@link SocketGateMBean}).
 *
 * <p>Start-up cost is a feature (Lambda bills it): before {@code main} this only resolves the
 * configuration, creates the gate, registers the transformer and retransforms the targets already
 * loaded; the start-up line is one {@code println}. Everything else waits: targets are woven as they
 * load, the MBean is registered when someone first asks for the platform MBean server, and no
 * thread of the agent's runs while the application is idle (EMF metrics excepted, when asked for).
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
                : OpenSocketsReport.render(a.gate, a.registry, a.config.trackStacks);
    }

    /** @return whether the agent is now active */
    static boolean run(String args, Instrumentation inst, boolean attached, long startNanos) {
        try {
            if (SocketHooks.class.getClassLoader() != null) {
                throw new IllegalStateException("core classes resolved outside the boot loader");
            }
            AgentConfig config = ConfigResolver.resolve(args);
            AgentLog.configure(config.logLevel);
            reportProblems(config);
            if (!config.enabled) {
                AgentLog.get().info("disabled by the setting enabled=false; not intercepting anything");
                return false;
            }
            final Module core = SocketHooks.class.getModule();
            SocketHooks.whenIntrospectionNeeded(new Runnable() { // before anything can touch SocketIntrospection
                @Override
                public void run() {
                    BootstrapInjector.openForIntrospection(inst, core);
                }
            });
            ActiveAgent agent = ActiveAgent.wire(config);
            active = agent;
            List<String> targets = agent.interceptions.register(inst, needs(config));
            if (config.jmx) {
                registerMBeanWhenAsked(agent, attached);
            }
            if (config.metrics == AgentConfig.Metrics.EMF) {
                startEmfMetrics(agent);
            }
            logActive(agent, attached, targets, (System.nanoTime() - startNanos) / 1_000_000);
            return true;
        } catch (Throwable t) {
            System.err.println("emfile-guard: ERROR could not start, the application runs without it: " + t);
            return false;
        }
    }

    /** Which kinds of interception point these settings need. */
    static Set<InterceptionPoint.Needs> needs(AgentConfig config) {
        Set<InterceptionPoint.Needs> needs = EnumSet.of(InterceptionPoint.Needs.ALWAYS);
        if (config.reclaimIdle) {
            needs.add(InterceptionPoint.Needs.IDLE_RECLAIM);
        }
        if (config.reclaimIdle || !config.excludes.isEmpty()) {
            needs.add(InterceptionPoint.Needs.CONNECT_TARGET);
        }
        if (config.jmx) {
            needs.add(InterceptionPoint.Needs.JMX);
        }
        return needs;
    }

    /**
     * The MBean costs the platform MBean server (200-300 ms of CPU): registered when the application,
     * a JMX connector or an attaching tool first asks for that server. Attached to a running JVM (or
     * started after someone already asked for it), the server may exist already: registered now, on a
     * thread of its own.
     */
    private static void registerMBeanWhenAsked(ActiveAgent agent, boolean attached) {
        final ActiveAgent a = agent;
        Runnable register = new Runnable() {
            @Override
            public void run() {
                SocketGateMBean.register(a.gate, a.registry, a.guard, a.config.trackStacks);
            }
        };
        if (attached || agent.interceptions.wasLoadedBeforeAgent("java.lang.management.ManagementFactory")) {
            Thread t = new Thread(register, "emfile-guard-jmx");
            t.setDaemon(true);
            t.start();
        } else {
            SocketHooks.whenPlatformMBeanServerExists(register);
        }
    }

    private static void startEmfMetrics(ActiveAgent agent) {
        final ActiveAgent a = agent;
        new EmfMetrics(agent.gate, agent.guard, agent.config.metricsNamespace, System.getenv(),
                System.out).start(agent.config.metricsIntervalSeconds, new Runnable() {
                    @Override
                    public void run() {
                        a.registry.expungeCollected(); // units of collected sockets first
                    }
                });
    }

    private static void logActive(ActiveAgent agent, boolean attached, List<String> targets, long premainMillis) {
        AgentConfig config = agent.config;
        AgentLog.get().info("{} active{}: max.sockets={} ({}), hold.millis={}, max.wait.millis={}, on.timeout={}, "
                        + "reclaim.idle={}, fd.headroom={}{}; Java {}; intercepting {} (start-up {} ms)",
                Version.get(), attached ? " (attached)" : "", config.maxSockets,
                config.sourceOf(Setting.MAX_SOCKETS).label, config.holdMillis, config.maxWaitMillis,
                config.onTimeout.name().toLowerCase(),
                config.reclaimIdle ? config.reclaimIdleMillis + " ms" : "off",
                agent.guard != null ? Integer.toString(config.fdHeadroom) : "off",
                config.excludes.isEmpty() ? "" : ", exclude=" + String.join(",", config.excludes),
                System.getProperty("java.version"), shortNames(targets), premainMillis);
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
