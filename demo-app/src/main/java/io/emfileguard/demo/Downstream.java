package io.emfileguard.demo;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/**
 * The clients of the handler, configured the way a fan-out that hits EMFILE is configured: the SDK's
 * Apache pool raised far above its default 50 (so it opens a connection per concurrent call instead
 * of queueing), the JDK HttpClient (no connection limit at all) one per service, and
 * HttpURLConnection and the SDK's URL-connection client, which have no pool limit either. Blocking
 * calls run on a thread each, so every call of a batch is in flight at once.
 *
 * <p>Hand-tuned ({@link FanOutConfig#handTunedShare} = N > 0, the demo's third run, no agent): what a
 * careful developer does instead of an agent, every service's calls bounded so that all services fit
 * the cap together. The SDK's pooled clients become one client per service, each pool bounded to N
 * ({@code maxConnections} for Apache, {@code maxConcurrency} for Netty) with acquisition timeouts long
 * enough to queue the whole batch; clients without a connection limit get a fair semaphore of N per
 * service around each call: {@link Semaphore} for the blocking ones (HttpURLConnection, the Lambda
 * client over the URL-connection client), {@link AsyncPermits} for {@code sendAsync} (the call is
 * chained to the permit, the issuing thread never blocks).
 */
final class Downstream implements AutoCloseable {

    /** Static test credentials: the calls go to the endpoint overrides, never to AWS. */
    static final AwsBasicCredentials TEST_CREDENTIALS = AwsBasicCredentials.create("AKIAEMFILEGUARDDEMO", "demo-secret-key");

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final FanOutConfig config;
    private final ExecutorService blocking;
    private final AtomicReferenceArray<HttpClient> httpClients;
    private volatile DynamoDbClient dynamoDb;
    private volatile LambdaClient lambda;
    private volatile DynamoDbAsyncClient dynamoDbAsync;
    /** Hand-tuned only (else null): per service, its own bounded client or its permits. */
    private final DynamoDbClient[] dynamoDbPerService;
    private final DynamoDbAsyncClient[] dynamoDbAsyncPerService;
    private final Semaphore[] blockingPermits;
    private final AsyncPermits[] asyncPermits;

    Downstream(FanOutConfig config) {
        this.config = config;
        AtomicInteger n = new AtomicInteger();
        this.blocking = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fanout-call-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.httpClients = new AtomicReferenceArray<>(config.services);
        int share = config.handTunedShare;
        this.dynamoDbPerService = share > 0 ? new DynamoDbClient[config.services] : null;
        this.dynamoDbAsyncPerService = share > 0 ? new DynamoDbAsyncClient[config.services] : null;
        this.blockingPermits = share > 0 ? new Semaphore[config.services] : null;
        this.asyncPermits = share > 0 ? new AsyncPermits[config.services] : null;
        // Build the clients the configured mix uses now, in the init phase, as a Lambda function does.
        for (int service = 0; service < config.services; service++) {
            ClientKind kind = config.clientFor(service);
            if (kind == ClientKind.HTTPCLIENT) {
                httpClient(service);
            } else if (kind == ClientKind.DYNAMODB) {
                dynamoDb(service);
            } else if (kind == ClientKind.LAMBDA) {
                lambda();
            } else if (kind == ClientKind.DYNAMODB_ASYNC) {
                dynamoDbAsync(service);
            }
            if (share > 0) {
                if (kind == ClientKind.HTTPCLIENT) {
                    asyncPermits[service] = new AsyncPermits(share);
                } else if (kind == ClientKind.URLCONNECTION || kind == ClientKind.LAMBDA) {
                    blockingPermits[service] = new Semaphore(share, true);
                }
            }
        }
    }

    /** Runs a blocking call under its service's hand-tuned semaphore, if it has one. */
    private void bounded(int service, Runnable call) {
        Semaphore permits = blockingPermits == null ? null : blockingPermits[service];
        if (permits == null) {
            call.run();
            return;
        }
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for a permit", e);
        }
        try {
            call.run();
        } finally {
            permits.release();
        }
    }

    /**
     * Starts one call of {@code record} to {@code service} with {@code kind}; the future ends with the
     * call. A blocking call gets its own thread at once, which waits for {@code go} before it calls.
     */
    CompletableFuture<Void> call(ClientKind kind, int service, String record, CountDownLatch go) {
        switch (kind) {
            case HTTPCLIENT:
                return httpClientCall(service, record);
            case URLCONNECTION:
                return CompletableFuture.runAsync(() -> {
                    await(go);
                    bounded(service, () -> urlConnectionCall(service, record));
                }, blocking);
            case DYNAMODB:
                return CompletableFuture.runAsync(() -> {
                    await(go);
                    dynamoDbCall(service, record);
                }, blocking);
            case LAMBDA:
                return CompletableFuture.runAsync(() -> {
                    await(go);
                    bounded(service, () -> lambdaCall(service, record));
                }, blocking);
            case DYNAMODB_ASYNC:
                return dynamoDbAsyncCall(service, record);
            default:
                throw new IllegalArgumentException(kind.toString());
        }
    }

    private static void await(CountDownLatch go) {
        try {
            go.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted before the call", e);
        }
    }

    static String serviceName(int service) {
        return "service-" + (service + 1);
    }

    private URI serviceUri(int service, String record) {
        return URI.create(config.httpEndpoint + "/services/" + serviceName(service) + "?record="
                + URLEncoder.encode(record, StandardCharsets.UTF_8));
    }

    private CompletableFuture<Void> httpClientCall(int service, String record) {
        HttpRequest request = HttpRequest.newBuilder(serviceUri(service, record))
                .timeout(config.requestTimeout)
                .GET()
                .build();
        Supplier<CompletableFuture<Void>> call = () -> httpClient(service)
                .sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenAccept(response -> expectStatus(response.statusCode(), 200, response.body()));
        AsyncPermits permits = asyncPermits == null ? null : asyncPermits[service];
        return permits == null ? call.get() : permits.run(call);
    }

    private void urlConnectionCall(int service, String record) {
        try {
            URL url = serviceUri(service, record).toURL();
            HttpURLConnection connection = (HttpURLConnection) url.openConnection();
            connection.setConnectTimeout((int) CONNECT_TIMEOUT.toMillis());
            connection.setReadTimeout((int) config.requestTimeout.toMillis());
            int status = connection.getResponseCode();
            String body;
            // Reading the body to its end hands the connection back to the keep-alive cache.
            try (InputStream in = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
                body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            expectStatus(status, 200, body);
        } catch (IOException e) {
            throw new CallFailedException(e);
        }
    }

    private void dynamoDbCall(int service, String record) {
        String table = serviceName(service);
        AttributeValue key = AttributeValue.fromS(record);
        // Even services read one item, odd ones query: both of DynamoDB's JSON 1.0 shapes on the wire.
        if (service % 2 == 0) {
            GetItemResponse response = dynamoDb(service).getItem(b -> b.tableName(table).key(Map.of("pk", key)));
            if (!response.hasItem() || !key.equals(response.item().get("pk"))) {
                throw new IllegalStateException("GetItem answered without the item for " + record);
            }
        } else {
            QueryResponse response = dynamoDb(service).query(b -> b.tableName(table)
                    .keyConditionExpression("pk = :pk")
                    .expressionAttributeValues(Map.of(":pk", key)));
            if (response.count() == null || response.count() < 1 || !key.equals(response.items().get(0).get("pk"))) {
                throw new IllegalStateException("Query answered without the item for " + record);
            }
        }
    }

    /** Issued from the caller's thread, as the SDK's async API is meant to be used: nothing blocks. */
    private CompletableFuture<Void> dynamoDbAsyncCall(int service, String record) {
        String table = serviceName(service);
        AttributeValue key = AttributeValue.fromS(record);
        if (service % 2 == 0) {
            return dynamoDbAsync(service).getItem(b -> b.tableName(table).key(Map.of("pk", key))).thenAccept(response -> {
                if (!response.hasItem() || !key.equals(response.item().get("pk"))) {
                    throw new IllegalStateException("GetItem answered without the item for " + record);
                }
            });
        }
        return dynamoDbAsync(service).query(b -> b.tableName(table)
                .keyConditionExpression("pk = :pk")
                .expressionAttributeValues(Map.of(":pk", key))).thenAccept(response -> {
                    if (response.count() == null || response.count() < 1
                            || !key.equals(response.items().get(0).get("pk"))) {
                        throw new IllegalStateException("Query answered without the item for " + record);
                    }
                });
    }

    private void lambdaCall(int service, String record) {
        // An asynchronous invocation: Lambda queues the event and answers 202 Accepted.
        InvokeResponse response = lambda().invoke(b -> b.functionName(serviceName(service))
                .invocationType(InvocationType.EVENT)
                .payload(SdkBytes.fromUtf8String("{\"record\":\"" + record.replace("\"", "") + "\"}")));
        expectStatus(response.statusCode(), 202, "");
    }

    private static void expectStatus(int status, int expected, String body) {
        if (status != expected) {
            throw new IllegalStateException("HTTP " + status + (body.isEmpty() ? "" : ": "
                    + body.substring(0, Math.min(80, body.length()))));
        }
    }

    private HttpClient httpClient(int service) {
        HttpClient client = httpClients.get(service);
        if (client == null) {
            client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(CONNECT_TIMEOUT)
                    .build();
            if (!httpClients.compareAndSet(service, null, client)) {
                client = httpClients.get(service);
            }
        }
        return client;
    }

    /** The shared client, or hand-tuned, service's own, its pool bounded to the share. */
    private DynamoDbClient dynamoDb(int service) {
        if (dynamoDbPerService == null) {
            return dynamoDb();
        }
        synchronized (dynamoDbPerService) {
            if (dynamoDbPerService[service] == null) {
                // A queue as long as the batch: the pool's acquisition wait and the whole call may take
                // every wave of this service (a slow service's 300 calls through its share: ~4 x 10 s).
                dynamoDbPerService[service] = newDynamoDb(config.handTunedShare, config.deadline, config.deadline);
            }
            return dynamoDbPerService[service];
        }
    }

    /** The shared client, or hand-tuned, service's own, its pool bounded to the share. */
    private DynamoDbAsyncClient dynamoDbAsync(int service) {
        if (dynamoDbAsyncPerService == null) {
            return dynamoDbAsync();
        }
        synchronized (dynamoDbAsyncPerService) {
            if (dynamoDbAsyncPerService[service] == null) {
                dynamoDbAsyncPerService[service] = newDynamoDbAsync(config.handTunedShare, config.deadline,
                        config.deadline);
            }
            return dynamoDbAsyncPerService[service];
        }
    }

    private DynamoDbClient dynamoDb() {
        DynamoDbClient client = dynamoDb;
        if (client == null) {
            synchronized (this) {
                client = dynamoDb;
                if (client == null) {
                    // 50 connections by default; fan-outs raise it after "Timeout waiting for connection
                    // from pool" (and keep the SDK's default acquisition timeout)
                    client = newDynamoDb(10_000, null, config.requestTimeout.multipliedBy(2));
                    dynamoDb = client;
                }
            }
        }
        return client;
    }

    private DynamoDbAsyncClient dynamoDbAsync() {
        DynamoDbAsyncClient client = dynamoDbAsync;
        if (client == null) {
            synchronized (this) {
                client = dynamoDbAsync;
                if (client == null) {
                    // 50 concurrent connections by default; a fan-out raises it after
                    // "Acquire operation took longer than the configured maximum time"
                    client = newDynamoDbAsync(10_000, config.requestTimeout.multipliedBy(2),
                            config.requestTimeout.multipliedBy(2));
                    dynamoDbAsync = client;
                }
            }
        }
        return client;
    }

    /**
     * A DynamoDB client over the SDK's Apache client, its pool bounded to {@code maxConnections};
     * {@code acquisitionTimeout} null keeps the SDK's default.
     */
    private DynamoDbClient newDynamoDb(int maxConnections, Duration acquisitionTimeout, Duration apiCallTimeout) {
        ApacheHttpClient.Builder http = ApacheHttpClient.builder()
                .maxConnections(maxConnections)
                .connectionTimeout(CONNECT_TIMEOUT)
                .socketTimeout(config.requestTimeout);
        if (acquisitionTimeout != null) {
            http.connectionAcquisitionTimeout(acquisitionTimeout);
        }
        return DynamoDbClient.builder()
                .endpointOverride(URI.create(config.dynamoDbEndpoint))
                .region(Region.of(config.region))
                .credentialsProvider(StaticCredentialsProvider.create(TEST_CREDENTIALS))
                .httpClientBuilder(http)
                .overrideConfiguration(o -> o.apiCallTimeout(apiCallTimeout))
                .build();
    }

    /** A DynamoDB client over the SDK's Netty client, at most {@code maxConcurrency} connections. */
    private DynamoDbAsyncClient newDynamoDbAsync(int maxConcurrency, Duration acquisitionTimeout,
                                                 Duration apiCallTimeout) {
        return DynamoDbAsyncClient.builder()
                .endpointOverride(URI.create(config.dynamoDbEndpoint))
                .region(Region.of(config.region))
                .credentialsProvider(StaticCredentialsProvider.create(TEST_CREDENTIALS))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(maxConcurrency)
                        .maxPendingConnectionAcquires(100_000)
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .connectionAcquisitionTimeout(acquisitionTimeout)
                        .readTimeout(config.requestTimeout))
                .overrideConfiguration(o -> o.apiCallTimeout(apiCallTimeout))
                .build();
    }

    private LambdaClient lambda() {
        LambdaClient client = lambda;
        if (client == null) {
            synchronized (this) {
                client = lambda;
                if (client == null) {
                    client = LambdaClient.builder()
                            .endpointOverride(URI.create(config.lambdaEndpoint))
                            .region(Region.of(config.region))
                            .credentialsProvider(StaticCredentialsProvider.create(TEST_CREDENTIALS))
                            .httpClientBuilder(UrlConnectionHttpClient.builder()
                                    .connectionTimeout(CONNECT_TIMEOUT)
                                    .socketTimeout(config.requestTimeout))
                            .overrideConfiguration(o -> o.apiCallTimeout(config.requestTimeout.multipliedBy(2)))
                            .build();
                    lambda = client;
                }
            }
        }
        return client;
    }

    @Override
    public void close() {
        blocking.shutdownNow();
        if (dynamoDb != null) {
            dynamoDb.close();
        }
        if (lambda != null) {
            lambda.close();
        }
        if (dynamoDbAsync != null) {
            dynamoDbAsync.close();
        }
        for (AutoCloseable[] clients : new AutoCloseable[][] {dynamoDbPerService, dynamoDbAsyncPerService}) {
            if (clients == null) {
                continue;
            }
            synchronized (clients) {
                for (AutoCloseable client : clients) {
                    try {
                        if (client != null) {
                            client.close();
                        }
                    } catch (Exception e) {
                        // closing: nothing to do about it
                    }
                }
            }
        }
    }

    /** An I/O failure of a blocking call, carried through the future unchanged in its cause. */
    static final class CallFailedException extends RuntimeException {
        CallFailedException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }
}
