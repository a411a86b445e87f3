package io.emfileguard.agent.config;

import io.emfileguard.core.GateSettings;

import java.util.Locale;

/**
 * Every setting the agent reads, with its key, its default, the values it takes and what it does,
 * in one place. {@code docs/configuration.md} is generated from this enum ({@link #markdownTable()};
 * {@code ConfigurationDocTest} fails when the two differ), and the doctor lists these settings.
 *
 * <p>The gate's own settings take their defaults from {@link GateSettings}'s constants (the core
 * cannot read this enum): each default is written once. They are compile-time constants, inlined
 * here, so this enum loads no core class.
 */
public enum Setting {
    ENABLED("enabled", "true", new String[] {"true", "false"}, null,
            "`false` turns the agent off entirely: nothing is woven, counted or held"),
    MAX_SOCKETS("max.sockets", null, 1, Integer.MAX_VALUE, // derived from the descriptor limit, see ConfigResolver
            "the soft descriptor limit minus max(128, 1/8 of it), at least half of it: **896** under Lambda's 1,024; "
                    + "500 if the limit is unknown",
            "the cap on open sockets (client and accepted); changeable at run time through the MBean's `MaxSockets`"),
    HOLD_MILLIS("hold.millis", Integer.toString(GateSettings.DEFAULT_HOLD_MILLIS), 1, 60_000, null,
            "longest single park of a waiting thread (ms); a release wakes it at once, the slice only bounds a lost "
                    + "wake-up"),
    MAX_WAIT_MILLIS("max.wait.millis", Integer.toString(GateSettings.DEFAULT_MAX_WAIT_MILLIS), 0, Integer.MAX_VALUE,
            null,
            "longest total wait for one socket (ms); then `on.timeout` decides"),
    ON_TIMEOUT("on.timeout", GateSettings.DEFAULT_ON_TIMEOUT, new String[] {"proceed", "fail"}, null,
            "after `max.wait.millis`: `proceed` (one warning, the socket opens above the cap) or `fail` (a "
                    + "`java.net.SocketException` naming the cap, the open count, the time waited and the setting)"),
    EVENT_LOOP_AT_CAP("event.loop.at.cap", GateSettings.DEFAULT_REFUSE_EVENT_LOOPS_AT_CAP ? "fail" : "count",
            new String[] {"count", "fail"}, null,
            "what an event-loop thread (which never waits) gets when it opens a socket at the cap: `count` (counted "
                    + "above the cap) or `fail` (a retryable `java.net.ConnectException` naming this setting)"),
    EXCLUDE("exclude", "", "`host:port`, `host`, `[ipv6]:port` or CIDR entries, comma separated",
            "none; the address in `AWS_LAMBDA_RUNTIME_API` is always added when that variable is set",
            "addresses whose `java.net.Socket` connects are counted but never held nor reclaimed"),
    FD_HEADROOM("fd.headroom", "64", 0, 1_000_000, null,
            "descriptors the real-descriptor guard keeps free below the soft limit (Linux, `/proc/self/fd`); "
                    + "`0` turns the guard off"),
    RECLAIM_IDLE("reclaim.idle", "true", new String[] {"true", "false"}, null,
            "close the least recently used idle pooled socket when a thread has waited a whole slice with no "
                    + "release"),
    RECLAIM_IDLE_MILLIS("reclaim.idle.millis", "200", 0, 3_600_000, null,
            "a socket whose reply has been read is idle after this long (ms) with no read or write"),
    COLLECT_ABANDONED("collect.abandoned", "true", new String[] {"true", "false"}, null,
            "when waiting threads are stuck (nothing released for 500 ms, nothing idle to reclaim) and some socket "
                    + "could be garbage (not a request awaiting its reply), ask for a garbage collection so that sockets "
                    + "dropped without `close()` give their units back (at most one per 2 s)"),
    TRACK_STACKS("track.stacks", "false", new String[] {"true", "false"}, null,
            "remember the first application frame that opened each socket, for the leak report (a stack capture "
                    + "per socket)"),
    METRICS("metrics", "none", new String[] {"none", "emf"}, null,
            "`emf`: one CloudWatch Embedded Metric Format line on stdout per interval in which anything happened"),
    METRICS_NAMESPACE("metrics.namespace", "emfile-guard", "1-255 characters, no `:`", null,
            "CloudWatch namespace of the EMF lines"),
    METRICS_INTERVAL_SECONDS("metrics.interval.seconds", "60", 1, 86_400, null,
            "at most one EMF line per this many seconds"),
    LOG_LEVEL("log.level", "info", new String[] {"error", "warn", "info", "debug", "off"}, null,
            "the agent's log on stderr; it never contains URLs, queries or payloads"),
    JMX("jmx", "true", new String[] {"true", "false"}, "`true`; `false` on AWS Lambda",
            "register the `io.emfileguard:type=SocketGate` MBean when the platform MBean server is first asked for");

    public final String key;
    /** The default as text; null where it is derived at start ({@code max.sockets}). */
    public final String defaultValue;
    /** For whole numbers: the accepted range; otherwise {@code min > max}. */
    public final long min;
    public final long max;
    /** For settings with a fixed set of values: those values, lower case; otherwise null. */
    private final String[] choices;
    /** For other settings: what a value looks like, as Markdown. */
    private final String form;
    /** The default as the docs state it, where the plain default value does not say it all. */
    private final String defaultDoc;
    /** One line: what the setting does. */
    public final String description;

    Setting(String key, String defaultValue, long min, long max, String defaultDoc, String description) {
        this(key, defaultValue, min, max, null, null, defaultDoc, description);
    }

    Setting(String key, String defaultValue, String[] choices, String defaultDoc, String description) {
        this(key, defaultValue, 1, 0, choices, null, defaultDoc, description);
    }

    Setting(String key, String defaultValue, String form, String defaultDoc, String description) {
        this(key, defaultValue, 1, 0, null, form, defaultDoc, description);
    }

    Setting(String key, String defaultValue, long min, long max, String[] choices, String form, String defaultDoc,
            String description) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.min = min;
        this.max = max;
        this.choices = choices;
        this.form = form;
        this.defaultDoc = defaultDoc;
        this.description = description;
    }

    /** {@code emfileguard.max.sockets} */
    public String systemProperty() {
        return "emfileguard." + key;
    }

    /** {@code EMFILEGUARD_MAX_SOCKETS} */
    public String environmentVariable() {
        return "EMFILEGUARD_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    public boolean isWholeNumber() {
        return min <= max;
    }

    /** The values a setting with a fixed set takes (a copy), or null. */
    public String[] choices() {
        return choices == null ? null : choices.clone();
    }

    /** What a value looks like, as Markdown: a range, a list of choices or a form. */
    public String valuesDoc() {
        if (isWholeNumber()) {
            return max == Integer.MAX_VALUE ? min + " or more" : min + " to " + max;
        }
        if (choices != null) {
            StringBuilder sb = new StringBuilder();
            for (String c : choices) {
                sb.append(sb.length() == 0 ? "" : ", ").append('`').append(c).append('`');
            }
            return sb.toString();
        }
        return form;
    }

    /** The default as the docs state it. */
    public String defaultDoc() {
        if (defaultDoc != null) {
            return defaultDoc;
        }
        return defaultValue == null || defaultValue.isEmpty() ? "none" : "`" + defaultValue + "`";
    }

    public static Setting forKey(String key) {
        for (Setting s : values()) {
            if (s.key.equals(key)) {
                return s;
            }
        }
        return null;
    }

    /** The table of docs/configuration.md: one row per setting, in declaration order. */
    public static String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| key | environment variable | values | default | what it does |\n");
        sb.append("|---|---|---|---|---|\n");
        for (Setting s : values()) {
            sb.append("| `").append(s.key).append("` | `").append(s.environmentVariable()).append("` | ")
                    .append(s.valuesDoc()).append(" | ").append(s.defaultDoc()).append(" | ")
                    .append(s.description).append(" |\n");
        }
        return sb.toString();
    }
}
