package io.emfileguard.agent.config;

import java.util.Locale;

/** Every setting the agent reads, with its key and its default in one place. */
public enum Setting {
    ENABLED("enabled", "true"),
    MAX_SOCKETS("max.sockets", null), // derived from the descriptor limit, see ConfigResolver
    HOLD_MILLIS("hold.millis", "100"),
    MAX_WAIT_MILLIS("max.wait.millis", "30000"),
    ON_TIMEOUT("on.timeout", "proceed"),
    EVENT_LOOP_AT_CAP("event.loop.at.cap", "count"),
    EXCLUDE("exclude", ""),
    FD_HEADROOM("fd.headroom", "64"),
    RECLAIM_IDLE("reclaim.idle", "true"),
    RECLAIM_IDLE_MILLIS("reclaim.idle.millis", "200"),
    COLLECT_ABANDONED("collect.abandoned", "true"),
    TRACK_STACKS("track.stacks", "false"),
    METRICS("metrics", "none"),
    METRICS_NAMESPACE("metrics.namespace", "emfile-guard"),
    METRICS_INTERVAL_SECONDS("metrics.interval.seconds", "60"),
    LOG_LEVEL("log.level", "info"),
    JMX("jmx", "true");

    public final String key;
    public final String defaultValue;

    Setting(String key, String defaultValue) {
        this.key = key;
        this.defaultValue = defaultValue;
    }

    /** {@code emfileguard.max.sockets} */
    public String systemProperty() {
        return "emfileguard." + key;
    }

    /** {@code EMFILEGUARD_MAX_SOCKETS} */
    public String environmentVariable() {
        return "EMFILEGUARD_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    public static Setting forKey(String key) {
        for (Setting s : values()) {
            if (s.key.equals(key)) {
                return s;
            }
        }
        return null;
    }
}
