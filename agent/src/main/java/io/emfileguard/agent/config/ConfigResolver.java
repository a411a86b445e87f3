package io.emfileguard.agent.config;

import io.emfileguard.core.AddressRule;
import io.emfileguard.core.GateSettings;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Resolves every setting in one place, highest precedence first: system property
 * {@code emfileguard.<key>}, environment variable {@code EMFILEGUARD_<KEY>}, agent argument
 * {@code key=value,key=value}, default. A bad value never stops the application: it is replaced by
 * the next source's value or the default, and one message says which setting, which value, and
 * what is used instead.
 */
public final class ConfigResolver {

    private final Map<String, String> env;
    private final Properties systemProperties;
    private final DescriptorLimit limit;
    private final Map<Setting, String> agentArguments = new EnumMap<>(Setting.class);
    private final List<String> problems = new ArrayList<>();
    private final Map<Setting, Source> sources = new EnumMap<>(Setting.class);

    private ConfigResolver(String agentArgs, Map<String, String> env, Properties systemProperties,
                           DescriptorLimit limit) {
        this.env = env;
        this.systemProperties = systemProperties;
        this.limit = limit;
        parseAgentArguments(agentArgs);
    }

    public static AgentConfig resolve(String agentArgs) {
        return resolve(agentArgs, System.getenv(), System.getProperties(), DescriptorLimit.ofCurrentProcess());
    }

    public static AgentConfig resolve(String agentArgs, Map<String, String> env, Properties systemProperties,
                                      DescriptorLimit limit) {
        return new ConfigResolver(agentArgs, env, systemProperties, limit).build();
    }

    private AgentConfig build() {
        AgentConfig.Values v = new AgentConfig.Values();
        v.enabled = bool(Setting.ENABLED);
        int defaultCap = limit.defaultMaxSockets();
        Integer explicitCap = integer(Setting.MAX_SOCKETS, defaultCap);
        if (explicitCap == null) {
            v.maxSockets = defaultCap;
            sources.put(Setting.MAX_SOCKETS, limit.soft() > 0 ? Source.DERIVED : Source.DEFAULT);
        } else {
            v.maxSockets = explicitCap;
        }
        v.holdMillis = integer(Setting.HOLD_MILLIS);
        v.maxWaitMillis = integer(Setting.MAX_WAIT_MILLIS);
        v.onTimeout = enumeration(Setting.ON_TIMEOUT, GateSettings.OnTimeout.class);
        v.eventLoopAtCap = enumeration(Setting.EVENT_LOOP_AT_CAP, AgentConfig.EventLoopAtCap.class);
        v.logLevel = enumeration(Setting.LOG_LEVEL, AgentConfig.LogLevel.class);
        // On AWS Lambda nobody can connect to JMX and registering the MBean costs 200-300 ms of CPU
        // at every cold start (the platform MBean server): off unless asked for; metrics=emf is
        // the Lambda way to watch the agent.
        boolean inLambda = env.containsKey("AWS_LAMBDA_FUNCTION_NAME");
        v.jmx = bool(Setting.JMX, !inLambda);
        if (inLambda && sources.get(Setting.JMX) == Source.DEFAULT) {
            sources.put(Setting.JMX, Source.LAMBDA_DEFAULT);
        }
        v.excludes = excludes();
        v.fdHeadroom = integer(Setting.FD_HEADROOM);
        v.reclaimIdle = bool(Setting.RECLAIM_IDLE);
        v.reclaimIdleMillis = integer(Setting.RECLAIM_IDLE_MILLIS);
        v.collectAbandoned = bool(Setting.COLLECT_ABANDONED);
        v.trackStacks = bool(Setting.TRACK_STACKS);
        v.metrics = enumeration(Setting.METRICS, AgentConfig.Metrics.class);
        v.metricsNamespace = first(Setting.METRICS_NAMESPACE, new Parser<String>() {
            @Override
            public String parse(String raw, String[] why) {
                if (raw.isEmpty() || raw.length() > 255 || raw.contains(":")) {
                    why[0] = "is not a CloudWatch namespace (1-255 characters, no ':')";
                    return null;
                }
                return raw;
            }
        }, Setting.METRICS_NAMESPACE.defaultValue, Setting.METRICS_NAMESPACE.defaultValue);
        v.metricsIntervalSeconds = integer(Setting.METRICS_INTERVAL_SECONDS);
        v.descriptorLimit = limit.soft();
        return new AgentConfig(v, sources, problems);
    }

    // ---- sources ----

    private void parseAgentArguments(String args) {
        if (args == null || args.trim().isEmpty()) {
            return;
        }
        Setting last = null;
        for (String token : args.split(",")) {
            String t = token.trim();
            if (t.isEmpty()) {
                continue;
            }
            int eq = t.indexOf('=');
            if (eq < 0) {
                if (last == Setting.EXCLUDE) { // exclude=a,b,c: list entries continue the previous key
                    String previous = agentArguments.get(Setting.EXCLUDE);
                    agentArguments.put(Setting.EXCLUDE, previous == null ? t : previous + "," + t);
                } else {
                    problems.add("agent argument '" + t + "' is not key=value; ignored (example: "
                            + "-javaagent:emfile-guard-agent.jar=max.sockets=500,on.timeout=fail)");
                }
                continue;
            }
            String key = t.substring(0, eq).trim();
            Setting s = Setting.forKey(key);
            if (s == null) {
                problems.add("agent argument '" + key + "' is not a setting; ignored (settings: " + keys() + ")");
                last = null;
                continue;
            }
            agentArguments.put(s, t.substring(eq + 1).trim());
            last = s;
        }
    }

    private static String keys() {
        StringBuilder sb = new StringBuilder();
        for (Setting s : Setting.values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(s.key);
        }
        return sb.toString();
    }

    /** Candidate values in precedence order, each with its source and how a user would name it. */
    private Map<Source, String[]> candidates(Setting s) {
        Map<Source, String[]> c = new LinkedHashMap<>();
        String sp = systemProperties.getProperty(s.systemProperty());
        if (sp != null) {
            c.put(Source.SYSTEM_PROPERTY, new String[] {sp, "-D" + s.systemProperty()});
        }
        String ev = env.get(s.environmentVariable());
        if (ev != null) {
            c.put(Source.ENVIRONMENT, new String[] {ev, s.environmentVariable()});
        }
        String aa = agentArguments.get(s);
        if (aa != null) {
            c.put(Source.AGENT_ARGUMENT, new String[] {aa, "agent argument " + s.key});
        }
        return c;
    }

    private interface Parser<T> {
        /** @return the value, or null with a reason put in why[0] */
        T parse(String raw, String[] why);
    }

    private <T> T first(Setting s, Parser<T> parser, T fallback, String fallbackText) {
        List<String> rejected = new ArrayList<>();
        for (Map.Entry<Source, String[]> e : candidates(s).entrySet()) {
            String[] why = new String[1];
            T v = parser.parse(e.getValue()[0].trim(), why);
            if (v != null) {
                flush(rejected, s, e.getValue()[0].trim() + " (" + e.getKey().label + ")");
                sources.put(s, e.getKey());
                return v;
            }
            rejected.add(e.getValue()[1] + "='" + e.getValue()[0] + "' " + why[0]);
        }
        flush(rejected, s, fallbackText + " (default)");
        if (!sources.containsKey(s)) {
            sources.put(s, Source.DEFAULT);
        }
        return fallback;
    }

    private void flush(List<String> rejected, Setting s, String used) {
        for (String r : rejected) {
            problems.add("setting " + s.key + ": " + r + "; using " + used);
        }
    }

    private boolean bool(Setting s) {
        return bool(s, Boolean.parseBoolean(s.defaultValue));
    }

    private boolean bool(Setting s, boolean defaultValue) {
        Boolean def = Boolean.valueOf(defaultValue);
        // Anonymous classes, not lambdas, here and below: the JVM's first lambda costs ~20 ms of start-up.
        return first(s, new Parser<Boolean>() {
            @Override
            public Boolean parse(String raw, String[] why) {
                String v = raw.toLowerCase(Locale.ROOT);
                if (v.equals("true") || v.equals("false")) {
                    return Boolean.valueOf(v);
                }
                why[0] = "is not true or false";
                return null;
            }
        }, def, def.toString());
    }

    /** A whole-number setting with its range and default as {@link Setting} declares them. */
    private int integer(Setting s) {
        return integer(s, Integer.parseInt(s.defaultValue.replace("_", "")));
    }

    /**
     * @param def the default: {@link Setting#defaultValue}, or, where that is derived at start, the
     *            derived value (then null is returned when no source set one)
     */
    private Integer integer(Setting s, int def) {
        long min = s.min;
        long max = s.max;
        boolean derived = s.defaultValue == null;
        Integer v = first(s, new Parser<Integer>() {
            @Override
            public Integer parse(String raw, String[] why) {
                long n;
                try {
                    n = Long.parseLong(raw.replace("_", ""));
                } catch (NumberFormatException e) {
                    why[0] = "is not a whole number";
                    return null;
                }
                if (n < min || n > max) {
                    why[0] = "is out of range " + min + ".." + max;
                    return null;
                }
                return (int) n;
            }
        }, derived ? null : def, Integer.toString(def));
        return v;
    }

    /** A setting with a fixed set of values, {@code type}'s constants; its default as {@link Setting} declares it. */
    private <E extends Enum<E>> E enumeration(Setting s, Class<E> type) {
        E def = Enum.valueOf(type, s.defaultValue.toUpperCase(Locale.ROOT));
        return first(s, new Parser<E>() {
            @Override
            public E parse(String raw, String[] why) {
                for (E e : type.getEnumConstants()) {
                    if (e.name().equalsIgnoreCase(raw)) {
                        return e;
                    }
                }
                StringBuilder allowed = new StringBuilder();
                for (E e : type.getEnumConstants()) {
                    allowed.append(allowed.length() == 0 ? "" : "|").append(e.name().toLowerCase(Locale.ROOT));
                }
                why[0] = "is not one of " + allowed;
                return null;
            }
        }, def, def.name().toLowerCase(Locale.ROOT));
    }

    /** Splits on commas, semicolons and white space (no regex: start-up cost). */
    static List<String> listEntries(String raw) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i <= raw.length(); i++) {
            char c = i < raw.length() ? raw.charAt(i) : ',';
            if (c == ',' || c == ';' || Character.isWhitespace(c)) {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        return out;
    }

    private List<String> excludes() {
        List<String> result = new ArrayList<>();
        String raw = first(Setting.EXCLUDE, new Parser<String>() {
            @Override
            public String parse(String v, String[] why) {
                return v;
            }
        }, "", "");
        for (String entry : listEntries(raw)) {
            if (entry.isEmpty()) {
                continue;
            }
            try {
                AddressRule.parse(entry);
                result.add(entry);
            } catch (IllegalArgumentException e) {
                problems.add("setting exclude: entry '" + entry + "' " + e.getMessage()
                        + "; entry ignored, the other entries are used");
            }
        }
        // The Lambda Runtime API must never wait behind the application's own traffic.
        String runtimeApi = env.get("AWS_LAMBDA_RUNTIME_API");
        if (runtimeApi != null && !runtimeApi.isEmpty() && !result.contains(runtimeApi)) {
            try {
                AddressRule.parse(runtimeApi);
                result.add(runtimeApi);
            } catch (IllegalArgumentException ignored) {
                // not host:port: nothing to exclude
            }
        }
        return result;
    }
}
