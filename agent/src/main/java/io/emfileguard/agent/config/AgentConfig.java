package io.emfileguard.agent.config;

import io.emfileguard.core.GateSettings;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The agent's effective configuration: typed values, where each came from, and the problems met
 * while resolving it (each already replaced by a usable value). Immutable.
 */
public final class AgentConfig {

    public enum LogLevel { ERROR, WARN, INFO, DEBUG, OFF }

    /** What an event-loop thread (which can't wait) gets at the cap: counted above it, or refused. */
    public enum EventLoopAtCap { COUNT, FAIL }

    /** {@code emf}: CloudWatch Embedded Metric Format lines on stdout. */
    public enum Metrics { NONE, EMF }

    public final boolean enabled;
    public final int maxSockets;
    public final long holdMillis;
    public final long maxWaitMillis;
    /** The gate's own type: one enum for the setting and the mechanism. */
    public final GateSettings.OnTimeout onTimeout;
    public final EventLoopAtCap eventLoopAtCap;
    /** Raw exclude entries, each already validated. */
    public final List<String> excludes;
    /** Descriptors kept free below the soft limit by the real-descriptor guard; 0 turns it off. */
    public final int fdHeadroom;
    public final boolean reclaimIdle;
    public final long reclaimIdleMillis;
    /** Ask for a garbage collection when waiters are stuck and only dropped sockets can free room. */
    public final boolean collectAbandoned;
    public final boolean trackStacks;
    public final Metrics metrics;
    public final String metricsNamespace;
    public final int metricsIntervalSeconds;
    public final LogLevel logLevel;
    public final boolean jmx;
    /** The soft descriptor limit seen at start, or -1 where it is unknown. */
    public final long descriptorLimit;

    private final Map<Setting, Source> sources;
    private final List<String> problems;

    /**
     * The resolved values, by name, as {@link ConfigResolver} fills them in one by one (a constructor
     * of twenty positional arguments is where two of the same type get swapped).
     */
    static final class Values {
        boolean enabled;
        int maxSockets;
        long holdMillis;
        long maxWaitMillis;
        GateSettings.OnTimeout onTimeout;
        EventLoopAtCap eventLoopAtCap;
        List<String> excludes;
        int fdHeadroom;
        boolean reclaimIdle;
        long reclaimIdleMillis;
        boolean collectAbandoned;
        boolean trackStacks;
        Metrics metrics;
        String metricsNamespace;
        int metricsIntervalSeconds;
        LogLevel logLevel;
        boolean jmx;
        long descriptorLimit;
    }

    AgentConfig(Values v, Map<Setting, Source> sources, List<String> problems) {
        this.enabled = v.enabled;
        this.maxSockets = v.maxSockets;
        this.holdMillis = v.holdMillis;
        this.maxWaitMillis = v.maxWaitMillis;
        this.onTimeout = v.onTimeout;
        this.eventLoopAtCap = v.eventLoopAtCap;
        this.excludes = Collections.unmodifiableList(v.excludes);
        this.fdHeadroom = v.fdHeadroom;
        this.reclaimIdle = v.reclaimIdle;
        this.reclaimIdleMillis = v.reclaimIdleMillis;
        this.collectAbandoned = v.collectAbandoned;
        this.trackStacks = v.trackStacks;
        this.metrics = v.metrics;
        this.metricsNamespace = v.metricsNamespace;
        this.metricsIntervalSeconds = v.metricsIntervalSeconds;
        this.logLevel = v.logLevel;
        this.jmx = v.jmx;
        this.descriptorLimit = v.descriptorLimit;
        this.sources = Collections.unmodifiableMap(new EnumMap<>(sources));
        this.problems = Collections.unmodifiableList(problems);
    }

    public Source sourceOf(Setting setting) {
        return sources.get(setting);
    }

    /** One message per bad input: the setting, the value, and what is used instead. */
    public List<String> problems() {
        return problems;
    }

    /** The effective value of a setting, as text, e.g. for the doctor command. */
    public String valueOf(Setting s) {
        switch (s) {
            case ENABLED: return Boolean.toString(enabled);
            case MAX_SOCKETS: return Integer.toString(maxSockets);
            case HOLD_MILLIS: return Long.toString(holdMillis);
            case MAX_WAIT_MILLIS: return Long.toString(maxWaitMillis);
            case ON_TIMEOUT: return onTimeout.name().toLowerCase();
            case EVENT_LOOP_AT_CAP: return eventLoopAtCap.name().toLowerCase();
            case EXCLUDE: return String.join(",", excludes);
            case FD_HEADROOM: return Integer.toString(fdHeadroom);
            case RECLAIM_IDLE: return Boolean.toString(reclaimIdle);
            case RECLAIM_IDLE_MILLIS: return Long.toString(reclaimIdleMillis);
            case COLLECT_ABANDONED: return Boolean.toString(collectAbandoned);
            case TRACK_STACKS: return Boolean.toString(trackStacks);
            case METRICS: return metrics.name().toLowerCase();
            case METRICS_NAMESPACE: return metricsNamespace;
            case METRICS_INTERVAL_SECONDS: return Integer.toString(metricsIntervalSeconds);
            case LOG_LEVEL: return logLevel.name().toLowerCase();
            case JMX: return Boolean.toString(jmx);
            default: throw new AssertionError(s);
        }
    }
}
