package example.apps.clients;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;

/**
 * The real clients of the client tests, each configured the way an application that hits EMFILE
 * configures it: pools raised far above what the descriptor limit allows (5,000), so that a burst
 * opens as many connections as it has requests. Every call goes to the stub services
 * ({@code GET /services/{n}?record=...}, or DynamoDB's JSON 1.0 {@code GetItem}) and checks that the
 * answer names its own record. Knows nothing of the agent.
 */
public final class Clients {

    /** Pool size an EMFILE-prone application configures ("raise it until the pool timeouts stop"). */
    public static final int POOL = 5000;

    private Clients() {
    }

    /** One client instance: {@link #call} is blocking (or, for async kinds, {@link #callAsync}). */
    public interface Client extends AutoCloseable {
        default void call(int id) throws Exception {
            callAsync(id).get();
        }

        default CompletableFuture<Void> callAsync(int id) {
            throw new UnsupportedOperationException("blocking client");
        }

        /** Whether calls are issued from one thread without blocking it (enqueue, sendAsync). */
        default boolean async() {
            return false;
        }

        @Override
        void close();
    }

    public static Client create(String kind, String endpoint) {
        switch (kind) {
            case "okhttp-execute":
                return new OkHttp(endpoint, false);
            case "okhttp-enqueue":
                return new OkHttp(endpoint, true);
            case "apache5":
                return new Apache5(endpoint);
            case "sdk-apache":
                return new Dynamo(endpoint, true);
            case "sdk-urlconnection":
                return new Dynamo(endpoint, false);
            case "urlconnection":
                return new UrlConnection(endpoint);
            case "jdk-httpclient":
                return new JdkHttpClient(endpoint);
            case "socketchannel":
                return new BlockingChannel(endpoint);
            default:
                throw new IllegalArgumentException("unknown client kind " + kind);
        }
    }

    static String path(int id) {
        return "/services/service-" + (id % 11 + 1) + "?record=r" + id;
    }

    static void expectRecord(int id, int status, String body) {
        if (status != 200 || !body.contains("\"record\":\"r" + id + "\"")) {
            throw new IllegalStateException("HTTP " + status + " " + body.substring(0, Math.min(100, body.length())));
        }
    }

    /** OkHttp 5: a 5,000-connection pool kept 5 minutes; enqueue with the dispatcher's limits raised. */
    static final class OkHttp implements Client {
        final OkHttpClient client;
        final String endpoint;
        final boolean enqueue;

        OkHttp(String endpoint, boolean enqueue) {
            this.endpoint = endpoint;
            this.enqueue = enqueue;
            Dispatcher dispatcher = new Dispatcher();
            dispatcher.setMaxRequests(POOL);
            dispatcher.setMaxRequestsPerHost(POOL);
            this.client = new OkHttpClient.Builder()
                    .connectionPool(new ConnectionPool(POOL, 5, TimeUnit.MINUTES))
                    .dispatcher(dispatcher)
                    .readTimeout(Duration.ofSeconds(60))
                    .build();
        }

        private Request request(int id) {
            return new Request.Builder().url(endpoint + path(id)).build();
        }

        @Override
        public void call(int id) throws Exception {
            if (enqueue) {
                callAsync(id).get();
                return;
            }
            try (Response r = client.newCall(request(id)).execute()) {
                expectRecord(id, r.code(), r.body().string());
            }
        }

        @Override
        public CompletableFuture<Void> callAsync(int id) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            client.newCall(request(id)).enqueue(new Callback() {
                @Override
                public void onFailure(Call call, IOException e) {
                    f.completeExceptionally(e);
                }

                @Override
                public void onResponse(Call call, Response response) {
                    try (Response r = response) {
                        expectRecord(id, r.code(), r.body().string());
                        f.complete(null);
                    } catch (Throwable t) {
                        f.completeExceptionally(t);
                    }
                }
            });
            return f;
        }

        @Override
        public boolean async() {
            return enqueue;
        }

        @Override
        public void close() {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }

    /** Apache HttpClient 5 classic with a pooling manager of 5,000 (and 5,000 per route). */
    static final class Apache5 implements Client {
        final PoolingHttpClientConnectionManager manager;
        final CloseableHttpClient client;
        final String endpoint;

        Apache5(String endpoint) {
            this.endpoint = endpoint;
            this.manager = PoolingHttpClientConnectionManagerBuilder.create()
                    .setMaxConnTotal(POOL).setMaxConnPerRoute(POOL).build();
            this.client = HttpClients.custom().setConnectionManager(manager).build();
        }

        @Override
        public void call(int id) throws Exception {
            client.execute(new HttpGet(endpoint + path(id)), response -> {
                expectRecord(id, response.getCode(), EntityUtils.toString(response.getEntity()));
                return null;
            });
        }

        @Override
        public void close() {
            try {
                client.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** AWS SDK v2 DynamoDB GetItem over the Apache client (maxConnections 5,000) or the URL-connection client. */
    static final class Dynamo implements Client {
        final DynamoDbClient client;

        Dynamo(String endpoint, boolean apache) {
            this.client = DynamoDbClient.builder()
                    .endpointOverride(URI.create(endpoint))
                    .region(Region.US_EAST_1)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "test")))
                    .httpClientBuilder(apache ? ApacheHttpClient.builder().maxConnections(POOL)
                            : UrlConnectionHttpClient.builder())
                    .build();
        }

        @Override
        public void call(int id) {
            AttributeValue key = AttributeValue.fromS("r" + id);
            GetItemResponse r = client.getItem(b -> b.tableName("service-" + (id % 11 + 1)).key(Map.of("pk", key)));
            if (!r.hasItem() || !key.equals(r.item().get("pk"))) {
                throw new IllegalStateException("GetItem answered without the item r" + id);
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /**
     * {@code HttpURLConnection}: reading the body to its end and closing it hands the connection to
     * the JDK's keep-alive cache (per destination: {@code -Dhttp.maxConnections}, default 5), unless
     * {@code -Dhttp.keepAlive=false}.
     */
    static final class UrlConnection implements Client {
        final String endpoint;

        UrlConnection(String endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public void call(int id) throws Exception {
            HttpURLConnection c = (HttpURLConnection) new URL(endpoint + path(id)).openConnection();
            c.setReadTimeout(60_000);
            int status = c.getResponseCode();
            String body;
            try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
                body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            expectRecord(id, status, body);
        }

        @Override
        public void close() {
        }
    }

    /** The JDK HttpClient, HTTP/1.1, {@code sendAsync}: its pool has no limit at all. */
    static final class JdkHttpClient implements Client {
        final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        final String endpoint;

        JdkHttpClient(String endpoint) {
            this.endpoint = endpoint;
        }

        @Override
        public CompletableFuture<Void> callAsync(int id) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint + path(id))).build();
            return client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                    .thenAccept(r -> expectRecord(id, r.statusCode(), r.body()));
        }

        @Override
        public boolean async() {
            return true;
        }

        @Override
        public void close() {
            // JDK 21+ has HttpClient.close(); on 17 the client's connections go with the client.
            if (client instanceof AutoCloseable) {
                try {
                    ((AutoCloseable) client).close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** A blocking {@code SocketChannel} per request: HTTP/1.1 with {@code Connection: close}, read to EOF. */
    static final class BlockingChannel implements Client {
        final InetSocketAddress server;

        BlockingChannel(String endpoint) {
            URI u = URI.create(endpoint);
            this.server = new InetSocketAddress(u.getHost(), u.getPort());
        }

        @Override
        public void call(int id) throws Exception {
            try (SocketChannel ch = SocketChannel.open(server)) {
                String req = "GET " + path(id) + " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort()
                        + "\r\nConnection: close\r\n\r\n";
                ByteBuffer out = ByteBuffer.wrap(req.getBytes(StandardCharsets.US_ASCII));
                while (out.hasRemaining()) {
                    ch.write(out);
                }
                java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                ByteBuffer in = ByteBuffer.allocate(4096);
                while (ch.read(in) >= 0) {
                    in.flip();
                    all.write(in.array(), 0, in.limit());
                    in.clear();
                }
                String reply = all.toString(StandardCharsets.US_ASCII);
                int status = reply.startsWith("HTTP/1.1 ") ? Integer.parseInt(reply.substring(9, 12)) : -1;
                expectRecord(id, status, reply);
            }
        }

        @Override
        public void close() {
        }
    }

    /** Writes the whole of {@code s} (used by the plain-socket helpers). */
    static void writeAll(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
