package io.emfileguard.demo.stub;

import java.util.Locale;

/**
 * How long the stub takes to answer each service: {@code uniform} (every service latency ± jitter),
 * {@code spread} (service latencies spread evenly from 0.5 s to 4 s over the services, jitter a fifth
 * of each) and {@code one-slow} (the last service 5x slower than the rest, its jitter 5x too). Services
 * are numbered from 1, as in their names ({@code service-N}); a request naming no service is answered
 * after the base latency.
 */
public final class LatencyProfile {

    public static final String UNIFORM = "uniform";
    public static final String SPREAD = "spread";
    public static final String ONE_SLOW = "one-slow";
    static final long SPREAD_FROM_MS = 500;
    static final long SPREAD_TO_MS = 4000;
    static final int SLOW_FACTOR = 5;

    private final String name;
    private final int services;
    private final long latencyMillis;
    private final long jitterMillis;

    public LatencyProfile(String name, int services, long latencyMillis, long jitterMillis) {
        this.name = check(name);
        this.services = Math.max(1, services);
        this.latencyMillis = Math.max(0, latencyMillis);
        this.jitterMillis = Math.max(0, Math.min(jitterMillis, latencyMillis));
    }

    /** The profile's name, or an IllegalArgumentException naming the three. */
    public static String check(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (!n.equals(UNIFORM) && !n.equals(SPREAD) && !n.equals(ONE_SLOW)) {
            throw new IllegalArgumentException("unknown latency profile '" + name + "' (uniform, spread, one-slow)");
        }
        return n;
    }

    public String name() {
        return name;
    }

    /** Mean latency of service {@code service} (1-based; anything else: the base latency). */
    public long latencyMillis(int service) {
        if (service < 1 || service > services) {
            return latencyMillis;
        }
        switch (name) {
            case SPREAD:
                return services == 1 ? SPREAD_FROM_MS
                        : SPREAD_FROM_MS + (SPREAD_TO_MS - SPREAD_FROM_MS) * (service - 1) / (services - 1);
            case ONE_SLOW:
                return service == services ? latencyMillis * SLOW_FACTOR : latencyMillis;
            default:
                return latencyMillis;
        }
    }

    /** Half-width of service {@code service}'s uniform spread of answers. */
    public long jitterMillis(int service) {
        if (service < 1 || service > services) {
            return jitterMillis;
        }
        switch (name) {
            case SPREAD:
                return latencyMillis(service) / 5;
            case ONE_SLOW:
                return service == services ? jitterMillis * SLOW_FACTOR : jitterMillis;
            default:
                return jitterMillis;
        }
    }

    /** "2000 ms +/- 400 ms" or a per-service description. */
    public String describe() {
        switch (name) {
            case SPREAD:
                return "spread: " + latencyMillis(1) + " ms (service-1) to " + latencyMillis(services) + " ms (service-"
                        + services + "), each +/- a fifth";
            case ONE_SLOW:
                return "one-slow: " + latencyMillis + " ms +/- " + jitterMillis + " ms, service-" + services + " "
                        + latencyMillis(services) + " ms +/- " + jitterMillis(services) + " ms";
            default:
                return latencyMillis + " ms +/- " + jitterMillis + " ms";
        }
    }

    /** The service number in a name such as {@code service-7} (a path's last segment too), else -1. */
    static int serviceNumber(String name) {
        if (name == null) {
            return -1;
        }
        int at = name.lastIndexOf("service-");
        if (at < 0) {
            return -1;
        }
        int from = at + "service-".length();
        int to = from;
        while (to < name.length() && Character.isDigit(name.charAt(to))) {
            to++;
        }
        if (to == from || to - from > 6) {
            return -1;
        }
        return Integer.parseInt(name.substring(from, to));
    }
}
