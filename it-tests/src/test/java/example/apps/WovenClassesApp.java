package example.apps;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.management.Attribute;
import javax.management.ObjectName;

/**
 * Runs every method the agent weaves, on its normal and its exception paths, and prints one line per
 * step: {@code step NAME ok} or {@code step NAME FAILED ...}. With {@code attach}, the first round runs
 * before the agent is loaded (so every target class is loaded unwoven), then the app attaches the
 * agent to itself (it retransforms those classes) and runs the round again.
 */
public final class WovenClassesApp {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static int failures;

    private WovenClassesApp() {
    }

    public static void main(String[] args) throws Exception {
        boolean attach = args[0].equals("attach");
        HttpServer http = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 50);
        http.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = "ok".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        String base = "http://127.0.0.1:" + http.getAddress().getPort() + "/";
        try {
            if (attach) {
                ManagementFactory.getRuntimeMXBean(); // loads ManagementFactory unwoven
                round("before-attach", base, false);
                attachAgentToSelf(args[1], args.length > 2 ? args[2] : null);
            }
            round(attach ? "attached" : "premain", base, true);
        } finally {
            http.stop(0);
        }
        System.out.println(failures == 0 ? "WOVEN ok" : "WOVEN " + failures + " failed");
        System.exit(failures == 0 ? 0 : 1);
    }

    /**
     * Attaches the agent the way a user does, with its own launcher ({@code java -jar agent.jar
     * --attach <pid> key=value ...}, from another process), then asks it for the open-sockets report.
     */
    private static void attachAgentToSelf(String jar, String agentArgs) throws Exception {
        String pid = Long.toString(ProcessHandle.current().pid());
        List<String> command = new ArrayList<>(List.of(javaLauncher(), "-jar", jar, "--attach", pid));
        if (agentArgs != null) {
            command.addAll(List.of(agentArgs.split(",")));
        }
        String attached = runTool(command);
        check(attached.contains("loaded into " + pid), "attach said: " + attached);
        if (!GateProbe.await(10_000)) {
            throw new IllegalStateException("the attached agent did not register its MBean");
        }
        String report = runTool(List.of(javaLauncher(), "-jar", jar, "--report", pid));
        System.out.println("report: " + report.replace('\n', ' '));
    }

    private static String javaLauncher() {
        return java.nio.file.Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String runTool(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        check(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, command + " failed: " + out);
        return out;
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void step(String round, String name, Step step) {
        try {
            step.run();
            System.out.println("step " + round + "/" + name + " ok");
        } catch (Throwable t) {
            failures++;
            System.out.println("step " + round + "/" + name + " FAILED " + t);
            t.printStackTrace(System.out);
        }
    }

    private static void round(String round, String base, boolean withAgent) throws Exception {
        long before = withAgent ? GateProbe.open() : 0;
        step(round, "socket-accept-read-write-close", WovenClassesApp::sockets);
        step(round, "socket-refused", WovenClassesApp::refused);
        step(round, "channels-open-accept-close", WovenClassesApp::channels);
        step(round, "selector-registered-close", WovenClassesApp::selector);
        if (withAgent) {
            step(round, "count-back-to-baseline", () -> check(GateProbe.open() == before,
                    "OpenSockets " + GateProbe.open() + ", was " + before));
        }
        step(round, "http-client", () -> httpClient(base));
        step(round, "url-connection-keep-alive", () -> urlConnection(base));
        step(round, "apache-httpclient5", () -> apache(base));
        step(round, "apache-httpasyncclient5", () -> apacheAsync(base));
        step(round, "okhttp", () -> okhttp(base));
        step(round, "netty-channel-pool", () -> nettyPool(base));
        if (withAgent) {
            step(round, "http-client-refused-at-cap", () -> refusedExchange(base));
            step(round, "netty-pool-acquire-waits-at-cap", () -> nettyPoolAtCap(base));
            step(round, "apache-async-deferred-at-cap", () -> apacheAsyncAtCap(base));
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    private static void sockets() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK); Socket client = new Socket()) {
            client.setSoTimeout(5_000); // creates the descriptor before connect
            client.connect(server.getLocalSocketAddress(), 5_000);
            try (Socket accepted = server.accept()) {
                accepted.setSoTimeout(5_000);
                client.getOutputStream().write(7);
                check(accepted.getInputStream().read() == 7, "byte sent");
                accepted.getOutputStream().write(8);
                check(client.getInputStream().read() == 8, "byte back");
            }
            check(client.getInputStream().read() == -1, "end of stream after the peer closed");
        }
    }

    private static void refused() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            port = s.getLocalPort();
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LOOPBACK, port), 2_000);
            throw new AssertionError("connected to a closed port");
        } catch (ConnectException expected) {
            // the exception path of Socket.connect
        }
    }

    private static void channels() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             SocketChannel a = SocketChannel.open();
             SocketChannel b = SocketChannel.open(StandardProtocolFamily.INET)) {
            a.connect(server.getLocalAddress());
            b.connect(server.getLocalAddress());
            try (SocketChannel acceptedA = server.accept(); SocketChannel acceptedB = server.accept()) {
                a.write(ByteBuffer.wrap(new byte[] {1, 2}));
                ByteBuffer in = ByteBuffer.allocate(2);
                while (in.hasRemaining()) {
                    acceptedA.read(in);
                }
                acceptedB.write(ByteBuffer.wrap(new byte[] {3}));
                ByteBuffer one = ByteBuffer.allocate(1);
                check(b.read(one) == 1 && one.get(0) == 3, "byte back on the channel");
            }
        }
    }

    private static void selector() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(LOOPBACK, 0));
             Selector selector = Selector.open()) {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.connect(server.getLocalAddress());
            ch.register(selector, SelectionKey.OP_CONNECT);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!ch.finishConnect()) {
                selector.select(200);
                check(System.nanoTime() < deadline, "connect within 5 s");
            }
            try (SocketChannel accepted = server.accept()) {
                ch.close(); // registered: the descriptor stays until the selector lets go
                selector.selectNow(); // deregisters: now tryClose() closes it
                check(!ch.isOpen(), "closed");
            }
        }
    }

    private static void httpClient(String base) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base)).build();
        check(client.send(request, HttpResponse.BodyHandlers.ofString()).body().equals("ok"), "send");
        check(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).get(10, TimeUnit.SECONDS).body()
                .equals("ok"), "sendAsync");
    }

    private static void urlConnection(String base) throws IOException {
        for (int i = 0; i < 2; i++) { // the second one comes from the keep-alive cache
            HttpURLConnection c = (HttpURLConnection) new URL(base).openConnection();
            try (InputStream in = c.getInputStream()) {
                check(new String(in.readAllBytes(), StandardCharsets.US_ASCII).equals("ok"), "body");
            }
        }
    }

    private static void apache(String base) throws Exception {
        try (org.apache.hc.client5.http.impl.classic.CloseableHttpClient client =
                     org.apache.hc.client5.http.impl.classic.HttpClients.createDefault()) {
            for (int i = 0; i < 2; i++) {
                String body = client.execute(new org.apache.hc.client5.http.classic.methods.HttpGet(base),
                        response -> org.apache.hc.core5.http.io.entity.EntityUtils.toString(response.getEntity()));
                check(body.equals("ok"), "body");
            }
        }
    }

    /** HttpCore 5's reactor: SingleCoreIOReactor.connect and IOSessionRequest, woven, on their normal path. */
    private static void apacheAsync(String base) throws Exception {
        try (org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient client =
                     org.apache.hc.client5.http.impl.async.HttpAsyncClients.createDefault()) {
            client.start();
            for (int i = 0; i < 2; i++) {
                org.apache.hc.client5.http.async.methods.SimpleHttpResponse r = client.execute(
                        org.apache.hc.client5.http.async.methods.SimpleRequestBuilder.get(base).build(), null)
                        .get(10, TimeUnit.SECONDS);
                check(r.getCode() == 200 && "ok".equals(r.getBodyText()), "async answer " + r);
            }
        }
    }

    /**
     * At the cap, HttpCore 5's connect skips its body and waits in the gate's queue (the woven skip
     * path): one request is cancelled while it waits, another runs into max.wait.millis (300 ms,
     * on.timeout=fail) and fails with the gate's exception; nothing is left counted.
     */
    private static void apacheAsyncAtCap(String base) throws Exception {
        ObjectName gate = new ObjectName(GateProbe.NAME);
        Object cap = ManagementFactory.getPlatformMBeanServer().getAttribute(gate, "MaxSockets");
        List<Socket> held = new ArrayList<>();
        long before = GateProbe.open();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
             org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient client =
                     org.apache.hc.client5.http.impl.async.HttpAsyncClients.createDefault()) {
            client.start();
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket();
                s.connect(server.getLocalSocketAddress(), 2_000);
                held.add(s);
            }
            ManagementFactory.getPlatformMBeanServer().setAttribute(gate, new Attribute("MaxSockets", 1));
            java.util.concurrent.Future<org.apache.hc.client5.http.async.methods.SimpleHttpResponse> cancelled =
                    client.execute(org.apache.hc.client5.http.async.methods.SimpleRequestBuilder.get(base).build(), null);
            check(cancelled.cancel(true), "a request waiting at the cap can be cancelled");
            try {
                client.execute(org.apache.hc.client5.http.async.methods.SimpleRequestBuilder.get(base).build(), null)
                        .get(20, TimeUnit.SECONDS);
                throw new AssertionError("an async request connected at the cap with on.timeout=fail");
            } catch (java.util.concurrent.ExecutionException refused) {
                StringBuilder chain = new StringBuilder();
                for (Throwable c = refused; c != null; c = c.getCause()) {
                    chain.append(c).append(" / ");
                }
                check(chain.toString().contains("SocketGateTimeoutException"), "refused by the gate: " + chain);
            }
        } finally {
            ManagementFactory.getPlatformMBeanServer().setAttribute(gate, new Attribute("MaxSockets", cap));
            for (Socket s : held) {
                s.close();
            }
        }
        // No more than before (other steps' pooled connections may close meanwhile).
        check(GateProbe.open() <= before, "OpenSockets " + GateProbe.open() + ", was " + before);
    }

    private static void okhttp(String base) throws IOException {
        okhttp3.OkHttpClient client = new okhttp3.OkHttpClient();
        try {
            for (int i = 0; i < 2; i++) {
                try (okhttp3.Response r = client.newCall(new okhttp3.Request.Builder().url(base).build()).execute()) {
                    check(r.body().string().equals("ok"), "body");
                }
            }
        } finally {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }

    /** A Netty pool of the raw NIO transport: an acquire that connects, and one that takes the idle channel back. */
    private static void nettyPool(String base) throws Exception {
        io.netty.channel.nio.NioEventLoopGroup group = new io.netty.channel.nio.NioEventLoopGroup(1);
        try {
            io.netty.channel.pool.SimpleChannelPool pool = nettyPoolTo(base, group);
            io.netty.channel.Channel ch = pool.acquire().get(10, TimeUnit.SECONDS);
            check(ch.isActive(), "connected");
            pool.release(ch).get(10, TimeUnit.SECONDS); // offerChannel
            check(pool.acquire().get(10, TimeUnit.SECONDS) == ch, "the idle channel taken again");
            pool.release(ch).get(10, TimeUnit.SECONDS);
            pool.close();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static io.netty.channel.pool.SimpleChannelPool nettyPoolTo(String base,
                                                                       io.netty.channel.EventLoopGroup group) {
        URI u = URI.create(base);
        io.netty.bootstrap.Bootstrap b = new io.netty.bootstrap.Bootstrap().group(group)
                .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                .remoteAddress(u.getHost(), u.getPort());
        return new io.netty.channel.pool.SimpleChannelPool(b, new io.netty.channel.pool.AbstractChannelPoolHandler() {
            @Override
            public void channelCreated(io.netty.channel.Channel ch) {
            }
        });
    }

    /**
     * At the cap a pool's acquire is skipped and waits: with on.timeout=fail (300 ms) its promise
     * fails with the gate's timeout; when the cap is raised, the next one runs again on the pool's
     * event loop and connects with the freed unit.
     */
    private static void nettyPoolAtCap(String base) throws Exception {
        ObjectName gate = new ObjectName(GateProbe.NAME);
        Object cap = ManagementFactory.getPlatformMBeanServer().getAttribute(gate, "MaxSockets");
        io.netty.channel.nio.NioEventLoopGroup group = new io.netty.channel.nio.NioEventLoopGroup(1);
        List<Socket> held = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            io.netty.channel.pool.SimpleChannelPool pool = nettyPoolTo(base, group);
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket();
                s.connect(server.getLocalSocketAddress(), 2_000);
                held.add(s);
            }
            ManagementFactory.getPlatformMBeanServer().setAttribute(gate, new Attribute("MaxSockets", 1));
            io.netty.util.concurrent.Future<io.netty.channel.Channel> refused = pool.acquire();
            check(!refused.isDone(), "the acquire waits at the cap");
            check(refused.await(10, TimeUnit.SECONDS) && !refused.isSuccess(), "ended by the gate's timeout");
            check(String.valueOf(refused.cause()).contains("SocketGateTimeoutException"),
                    "failed by the gate: " + refused.cause());
            io.netty.util.concurrent.Future<io.netty.channel.Channel> later = pool.acquire();
            check(!later.isDone(), "the next acquire waits too");
            ManagementFactory.getPlatformMBeanServer().setAttribute(gate, new Attribute("MaxSockets", cap));
            io.netty.channel.Channel ch = later.get(10, TimeUnit.SECONDS);
            check(ch.isActive(), "connected once the cap was raised");
            pool.release(ch).get(10, TimeUnit.SECONDS);
            pool.close();
        } finally {
            ManagementFactory.getPlatformMBeanServer().setAttribute(gate, new Attribute("MaxSockets", cap));
            for (Socket s : held) {
                s.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** At the cap with on.timeout=fail: the exchange is skipped and its future fails, as the client's own errors do. */
    private static void refusedExchange(String base) throws Exception {
        ObjectName gate = new ObjectName(GateProbe.NAME);
        Object cap = ManagementFactory.getPlatformMBeanServer().getAttribute(gate, "MaxSockets");
        List<Socket> held = new ArrayList<>();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            for (int i = 0; i < 3; i++) {
                Socket s = new Socket();
                s.connect(server.getLocalSocketAddress(), 2_000);
                held.add(s);
            }
            ManagementFactory.getPlatformMBeanServer().setAttribute(gate, new Attribute("MaxSockets", 1));
            HttpRequest request = HttpRequest.newBuilder(URI.create(base)).build();
            try {
                HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
                throw new AssertionError("an exchange went through at the cap with on.timeout=fail");
            } catch (IOException refused) {
                String chain = String.valueOf(refused) + " / " + refused.getCause();
                check(chain.contains("SocketGateTimeoutException"), "refused by the gate: " + chain);
            }
        } finally {
            ManagementFactory.getPlatformMBeanServer().setAttribute(gate, new Attribute("MaxSockets", cap));
            for (Socket s : held) {
                s.close();
            }
        }
    }
}
