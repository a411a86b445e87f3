package example.apps.clients;

import example.apps.GateProbe;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.FastThreadLocalThread;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.management.Attribute;
import javax.management.ObjectName;

/**
 * Event-loop clients: a raw Netty NIO {@code Bootstrap} and the AWS SDK's netty-nio-client, with a
 * channel factory that records on which thread each socket is opened, and a sampler that looks
 * every millisecond at what every Netty event-loop thread (and the main thread) is parked on.
 *
 * <ol>
 *   <li>{@code netty-caller}: {@code count} requests, each {@code Bootstrap.connect} issued from the
 *       main thread (Netty creates the channel, and so the socket, on the caller's thread);</li>
 *   <li>{@code netty-eventloop}: while the main thread waits at the cap, 20 connects issued from
 *       inside the event loop (a task on {@code group.next()});</li>
 *   <li>{@code sdk-netty}: the cap is lowered to {@code sdkCap} through the MBean, then
 *       {@code sdkCount} DynamoDB GetItem calls through {@code DynamoDbAsyncClient} over
 *       {@code NettyNioAsyncHttpClient} (maxConcurrency 5,000), issued from the main thread.</li>
 * </ol>
 * Args: endpoint count sdkCap sdkCount. With {@code count} 0, only the SDK's storm runs (so that
 * the child's kernel peak is the SDK's).
 *
 * <p>The SDK's pool acquires wait at the cap as deferred work, and its own
 * {@code connectionAcquisitionTimeout} (10 s by default) keeps running while they wait: a storm of
 * several rounds of the stub's latency needs more, so the app raises it to
 * {@link #SDK_ACQUIRE_TIMEOUT}, as docs/supported-clients.md advises.
 */
public final class EventLoopClientsApp {

    static final AttributeKey<CompletableFuture<Void>> DONE = AttributeKey.valueOf("done");
    static final AttributeKey<Integer> ID = AttributeKey.valueOf("id");
    static final Map<String, AtomicInteger> OPENED_ON = new ConcurrentHashMap<>();
    static final Set<Thread> EVENT_LOOPS = ConcurrentHashMap.newKeySet();
    static final AtomicLong EVENT_LOOP_PARKED = new AtomicLong();
    static final AtomicLong MAIN_PARKED = new AtomicLong();
    static final AtomicLong SAMPLES = new AtomicLong();
    static volatile boolean sampling = true;
    /** The SDK's connectionAcquisitionTimeout here: longer than the storm's rounds at the cap. */
    static final java.time.Duration SDK_ACQUIRE_TIMEOUT = java.time.Duration.ofSeconds(90);

    static <C extends Channel> ChannelFactory<C> recording(String client, ChannelFactory<C> factory) {
        return () -> {
            Thread t = Thread.currentThread();
            String where = t instanceof FastThreadLocalThread ? "eventloop" : "caller";
            OPENED_ON.computeIfAbsent(client + "." + where, k -> new AtomicInteger()).incrementAndGet();
            return factory.newChannel();
        };
    }

    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        int count = Integer.parseInt(args[1]);
        int sdkCap = Integer.parseInt(args[2]);
        int sdkCount = Integer.parseInt(args[3]);
        GateProbe.await(Long.getLong("it.mbean.wait.millis", 10_000));
        URI u = URI.create(endpoint);
        InetSocketAddress server = new InetSocketAddress(u.getHost(), u.getPort());
        Thread main = Thread.currentThread();

        NioEventLoopGroup group = new NioEventLoopGroup(2);
        Bootstrap bootstrap = new Bootstrap().group(group)
                .channelFactory(recording("netty", NioSocketChannel::new))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 60_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), new Reply());
                    }
                });
        Thread sampler = new Thread(() -> sample(main), "park-sampler");
        sampler.setDaemon(true);
        sampler.start();

        ClientStormApp.Outcome caller = new ClientStormApp.Outcome("netty-caller", count);
        ClientStormApp.Outcome loop = new ClientStormApp.Outcome("netty-eventloop", 20);
        if (count > 0) {
            nettyStorms(bootstrap, group, server, count, caller, loop);
        } else {
            caller.finished = loop.finished = true;
        }

        // 3: the AWS SDK's Netty client at a lowered cap.
        ManagementFactory.getPlatformMBeanServer().setAttribute(new ObjectName(GateProbe.NAME),
                new Attribute("MaxSockets", sdkCap));
        NioEventLoopGroup sdkGroup = new NioEventLoopGroup(2);
        DynamoDbAsyncClient ddb = DynamoDbAsyncClient.builder()
                .endpointOverride(URI.create(endpoint))
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDTEST", "test")))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(Clients.POOL)
                        .maxPendingConnectionAcquires(2 * Clients.POOL)
                        .connectionAcquisitionTimeout(SDK_ACQUIRE_TIMEOUT)
                        .eventLoopGroup(SdkEventLoopGroup.create(sdkGroup, recording("sdk", NioSocketChannel::new))))
                .build();
        ddb.getItem(b -> b.tableName("service-1").key(Map.of("pk", AttributeValue.fromS("warm")))).get(30, TimeUnit.SECONDS);
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t instanceof FastThreadLocalThread) {
                EVENT_LOOPS.add(t);
            }
        }
        System.out.println("gate sdk-before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        ClientStormApp.Outcome sdk = new ClientStormApp.Outcome("sdk-netty", sdkCount);
        CountDownLatch sdkDone = new CountDownLatch(sdkCount);
        long t1 = System.nanoTime();
        for (int i = 0; i < sdkCount; i++) {
            AttributeValue key = AttributeValue.fromS("r" + i);
            CompletableFuture<Void> f = ddb.getItem(b -> b.tableName("service-" + (key.s().length() % 11 + 1))
                    .key(Map.of("pk", key))).thenAccept(r -> {
                        if (!r.hasItem() || !key.equals(r.item().get("pk"))) {
                            throw new IllegalStateException("GetItem answered without the item " + key.s());
                        }
                    });
            track(f, sdk, sdkDone);
        }
        sdk.finished = sdkDone.await(120, TimeUnit.SECONDS);
        sdk.elapsedMillis = (System.nanoTime() - t1) / 1_000_000;
        sdk.unfinished = sdkDone.getCount();
        sdk.print();
        System.out.println("gate sdk " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        sampling = false;
        StringBuilder opened = new StringBuilder("openedOn");
        OPENED_ON.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> opened.append(' ').append(e.getKey()).append('=').append(e.getValue().get()));
        System.out.println(opened);
        System.out.println("parked eventLoopThreads=" + EVENT_LOOPS.size() + " eventLoopParkedSamples="
                + EVENT_LOOP_PARKED.get() + " mainParkedSamples=" + MAIN_PARKED.get() + " samples=" + SAMPLES.get());
        System.out.flush();
        ddb.close();
        System.exit(caller.finished && loop.finished && sdk.finished ? 0 : 3);
    }

    /** 1 + 2: connects from the caller's thread; meanwhile, at the cap, 20 from the event loop. */
    static void nettyStorms(Bootstrap bootstrap, NioEventLoopGroup group, InetSocketAddress server, int count,
                            ClientStormApp.Outcome caller, ClientStormApp.Outcome loop) throws Exception {
        request(bootstrap, server, -1).get(30, TimeUnit.SECONDS); // warm-up: starts the event loops
        System.out.println("gate before " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
        CountDownLatch callerDone = new CountDownLatch(count);
        CountDownLatch loopDone = new CountDownLatch(20);
        Thread trigger = new Thread(() -> {
            try {
                while (GateProbe.get("WaitingThreads") < 1 && callerDone.getCount() > 0) {
                    Thread.sleep(5);
                }
                for (int i = 0; i < 20; i++) {
                    int id = 50_000 + i;
                    group.next().execute(() -> track(request(bootstrap, server, id), loop, loopDone));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "event-loop-trigger");
        trigger.start();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            track(request(bootstrap, server, i), caller, callerDone);
        }
        caller.finished = callerDone.await(120, TimeUnit.SECONDS);
        caller.elapsedMillis = (System.nanoTime() - t0) / 1_000_000;
        caller.unfinished = callerDone.getCount();
        loop.finished = loopDone.await(60, TimeUnit.SECONDS);
        loop.unfinished = loopDone.getCount();
        caller.print();
        loop.print();
        System.out.println("gate netty " + GateProbe.describe() + " socketFds=" + GateProbe.socketFds());
    }

    static void track(CompletableFuture<Void> f, ClientStormApp.Outcome o, CountDownLatch done) {
        f.whenComplete((v, t) -> {
            if (t == null) {
                o.ok.incrementAndGet();
            } else {
                o.failed(t);
            }
            done.countDown();
        });
    }

    /** One HTTP/1.1 request on a new connection ({@code Connection: close}). */
    static CompletableFuture<Void> request(Bootstrap bootstrap, InetSocketAddress server, int id) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            bootstrap.connect(server).addListener(cf -> {
                io.netty.channel.ChannelFuture connect = (io.netty.channel.ChannelFuture) cf;
                if (!connect.isSuccess()) {
                    done.completeExceptionally(connect.cause());
                    return;
                }
                Channel ch = connect.channel();
                ch.attr(DONE).set(done);
                ch.attr(ID).set(id);
                DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                        Clients.path(id));
                req.headers().set(HttpHeaderNames.HOST, server.getHostString() + ":" + server.getPort());
                req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ch.writeAndFlush(req).addListener(w -> {
                    if (!w.isSuccess()) {
                        done.completeExceptionally(w.cause());
                        ch.close();
                    }
                });
                ch.closeFuture().addListener(c -> done.completeExceptionally(
                        new IllegalStateException("closed before the reply")));
            });
        } catch (Throwable t) {
            done.completeExceptionally(t);
        }
        return done;
    }

    static final class Reply extends SimpleChannelInboundHandler<FullHttpResponse> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            CompletableFuture<Void> done = ctx.channel().attr(DONE).get();
            try {
                Clients.expectRecord(ctx.channel().attr(ID).get(), response.status().code(),
                        response.content().toString(StandardCharsets.UTF_8));
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.channel().attr(DONE).get().completeExceptionally(cause);
            ctx.close();
        }
    }

    /** Every ~1 ms: is any Netty event-loop thread, or the main thread, parked by the socket gate? */
    static void sample(Thread main) {
        long n = 0;
        while (sampling) {
            if (n++ % 200 == 0) {
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t instanceof FastThreadLocalThread) {
                        EVENT_LOOPS.add(t);
                    }
                }
            }
            for (Thread t : EVENT_LOOPS) {
                if (parkedByGate(t)) {
                    EVENT_LOOP_PARKED.incrementAndGet();
                }
            }
            if (parkedByGate(main)) {
                MAIN_PARKED.incrementAndGet();
            }
            SAMPLES.incrementAndGet();
            LockSupport.parkNanos(1_000_000);
        }
    }

    static boolean parkedByGate(Thread t) {
        Object blocker = LockSupport.getBlocker(t);
        return blocker != null && blocker.getClass().getName().endsWith("SocketGate");
    }
}
