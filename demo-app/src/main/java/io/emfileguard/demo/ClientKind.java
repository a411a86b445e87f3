package io.emfileguard.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** The HTTP clients real Lambda code uses, one per downstream service in turn. */
public enum ClientKind {
    /** {@code java.net.http.HttpClient.sendAsync}, one client per service. */
    HTTPCLIENT("httpclient"),
    /** {@code java.net.HttpURLConnection}, a blocking call on a worker thread. */
    URLCONNECTION("urlconnection"),
    /** AWS SDK v2 {@code DynamoDbClient} (GetItem / Query) over the Apache client with a raised pool. */
    DYNAMODB("dynamodb"),
    /** AWS SDK v2 {@code LambdaClient} asynchronous invoke ({@code InvocationType.EVENT}) over the URL-connection client. */
    LAMBDA("lambda"),
    /**
     * AWS SDK v2 {@code DynamoDbAsyncClient} (GetItem / Query) over its Netty client with
     * {@code maxConcurrency} raised: every call issued from the handler's thread and joined with
     * {@code CompletableFuture.allOf}, the fan-out AWS recommends in a Lambda function.
     */
    DYNAMODB_ASYNC("dynamodb-async");

    public static final String DEFAULT_MIX = "httpclient,urlconnection,dynamodb,lambda,dynamodb-async";

    private final String id;

    ClientKind(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /**
     * Parses a comma-separated mix: {@code httpclient}, {@code urlconnection}, {@code dynamodb},
     * {@code lambda}, {@code dynamodb-async}, {@code sdk} (= dynamodb,lambda,dynamodb-async),
     * {@code blocking} (= urlconnection,dynamodb,lambda),
     * {@code all}. Service {@code i} uses entry {@code i % size} of the result.
     */
    public static List<ClientKind> parseMix(String mix) {
        List<ClientKind> kinds = new ArrayList<>();
        for (String raw : mix.split(",")) {
            String token = raw.trim().toLowerCase(Locale.ROOT);
            switch (token) {
                case "":
                    break;
                case "all":
                    Collections.addAll(kinds, values());
                    break;
                case "sdk":
                    kinds.add(DYNAMODB);
                    kinds.add(LAMBDA);
                    kinds.add(DYNAMODB_ASYNC);
                    break;
                case "blocking":
                    kinds.add(URLCONNECTION);
                    kinds.add(DYNAMODB);
                    kinds.add(LAMBDA);
                    break;
                default:
                    kinds.add(byId(token));
            }
        }
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("no client in mix '" + mix + "'");
        }
        return Collections.unmodifiableList(kinds);
    }

    public static ClientKind byId(String id) {
        for (ClientKind kind : values()) {
            if (kind.id.equals(id)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown client '" + id
                + "' (httpclient, urlconnection, dynamodb, lambda, dynamodb-async, sdk, blocking, all)");
    }

    public static String ids(List<ClientKind> kinds) {
        StringBuilder sb = new StringBuilder();
        for (ClientKind kind : kinds) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(kind.id);
        }
        return sb.toString();
    }
}
