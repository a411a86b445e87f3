package io.emfileguard.demo;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the downstream services are and how the handler calls them. Every value comes from a
 * system property {@code fanout.<key>} or else the environment variable {@code FANOUT_<KEY>}
 * (upper case, dots to underscores), as a Lambda function's configuration would.
 *
 * <table>
 *   <tr><th>key</th><th>default</th></tr>
 *   <tr><td>{@code endpoint}</td><td>{@code http://127.0.0.1:8080}: default of the three below</td></tr>
 *   <tr><td>{@code http.endpoint}</td><td>base URL of the plain HTTP services ({@code GET /services/{n}})</td></tr>
 *   <tr><td>{@code dynamodb.endpoint}</td><td>DynamoDB endpoint override</td></tr>
 *   <tr><td>{@code lambda.endpoint}</td><td>Lambda endpoint override</td></tr>
 *   <tr><td>{@code services}</td><td>11 calls per record</td></tr>
 *   <tr><td>{@code clients}</td><td>{@value ClientKind#DEFAULT_MIX}</td></tr>
 *   <tr><td>{@code request.timeout.ms}</td><td>30000 per call</td></tr>
 *   <tr><td>{@code deadline.ms}</td><td>90000 for the whole batch (less when Lambda's context says so)</td></tr>
 *   <tr><td>{@code region}</td><td>{@code us-east-1}</td></tr>
 *   <tr><td>{@code hand.tuned.share}</td><td>0: off; N: every service's client bounded by hand to N
 *   connections (pools) or N calls at once (a fair semaphore per service), the demo's hand-tuned run</td></tr>
 * </table>
 */
public final class FanOutConfig {

    public final String httpEndpoint;
    public final String dynamoDbEndpoint;
    public final String lambdaEndpoint;
    public final int services;
    public final List<ClientKind> clients;
    public final Duration requestTimeout;
    public final Duration deadline;
    public final String region;
    /** 0: the clients as the field configures them; N > 0: each service bounded by hand to N (see {@link Downstream}). */
    public final int handTunedShare;

    public FanOutConfig(String httpEndpoint, String dynamoDbEndpoint, String lambdaEndpoint, int services,
                        List<ClientKind> clients, Duration requestTimeout, Duration deadline, String region) {
        this(httpEndpoint, dynamoDbEndpoint, lambdaEndpoint, services, clients, requestTimeout, deadline, region, 0);
    }

    public FanOutConfig(String httpEndpoint, String dynamoDbEndpoint, String lambdaEndpoint, int services,
                        List<ClientKind> clients, Duration requestTimeout, Duration deadline, String region,
                        int handTunedShare) {
        if (services < 1) {
            throw new IllegalArgumentException("services must be at least 1");
        }
        this.httpEndpoint = stripSlash(httpEndpoint);
        this.dynamoDbEndpoint = stripSlash(dynamoDbEndpoint);
        this.lambdaEndpoint = stripSlash(lambdaEndpoint);
        this.services = services;
        this.clients = List.copyOf(clients);
        this.requestTimeout = requestTimeout;
        this.deadline = deadline;
        this.region = region;
        this.handTunedShare = Math.max(0, handTunedShare);
    }

    /** The same configuration with every service's client bounded by hand to {@code share}. */
    public FanOutConfig handTuned(int share) {
        return new FanOutConfig(httpEndpoint, dynamoDbEndpoint, lambdaEndpoint, services, clients, requestTimeout,
                deadline, region, share);
    }

    /** All services at one base URL, as the local stubs serve them. */
    public static FanOutConfig forEndpoint(String endpoint, int services, List<ClientKind> clients) {
        return new FanOutConfig(endpoint, endpoint, endpoint, services, clients,
                Duration.ofSeconds(30), Duration.ofSeconds(90), "us-east-1");
    }

    public static FanOutConfig fromEnvironment() {
        return from(System.getenv());
    }

    static FanOutConfig from(Map<String, String> env) {
        String endpoint = setting(env, "endpoint", "http://127.0.0.1:8080");
        return new FanOutConfig(
                setting(env, "http.endpoint", endpoint),
                setting(env, "dynamodb.endpoint", endpoint),
                setting(env, "lambda.endpoint", endpoint),
                Integer.parseInt(setting(env, "services", "11")),
                ClientKind.parseMix(setting(env, "clients", ClientKind.DEFAULT_MIX)),
                Duration.ofMillis(Long.parseLong(setting(env, "request.timeout.ms", "30000"))),
                Duration.ofMillis(Long.parseLong(setting(env, "deadline.ms", "90000"))),
                setting(env, "region", "us-east-1"),
                Integer.parseInt(setting(env, "hand.tuned.share", "0")));
    }

    /** The client used for service {@code index} (0-based). */
    public ClientKind clientFor(int service) {
        return clients.get(service % clients.size());
    }

    private static String setting(Map<String, String> env, String key, String fallback) {
        String property = System.getProperty("fanout." + key);
        if (property != null && !property.isBlank()) {
            return property.trim();
        }
        String variable = env.get("FANOUT_" + key.replace('.', '_').toUpperCase(Locale.ROOT));
        if (variable != null && !variable.isBlank()) {
            return variable.trim();
        }
        return fallback;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
