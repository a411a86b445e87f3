package io.emfileguard.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;

/**
 * The servers every client benchmark talks to, in their own JVM (never instrumented), on 127.0.0.1
 * only. Prints {@code PORTS accept=.. sink=.. source=.. storm=..} and serves until its standard input
 * closes (the runner ends) or {@code maxMinutes} pass, whichever comes first.
 * <ul>
 *   <li>accept: accepts, reads until the client closes or resets, closes (connect+close and start-up
 *       benchmarks; the client closes first, so its connect never sees a reset)</li>
 *   <li>sink: reads and discards everything (write loop)</li>
 *   <li>source: writes 64 KB chunks until the client closes (read loop)</li>
 *   <li>storm: reads a 4-byte delay in ms, sleeps it (the server latency L), answers one byte, closes</li>
 *   <li>http: HTTP/1.1 with keep-alive (the soak's pooled clients): {@code GET /<anything>?delay=<ms>}
 *       is answered 200 after that delay, {@code /drop} closes the connection without an answer;
 *       idle connections are kept until the client closes them</li>
 * </ul>
 * accept, storm and http connections are served on virtual threads where the JDK has them; sink and
 * source (one connection at a time) on platform threads.
 */
public final class LoopbackServer {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private LoopbackServer() {
    }

    public static void main(String[] args) throws Exception {
        int maxMinutes = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        ExecutorService pool = VirtualThreads.perTaskExecutor();
        ServerSocket accept = listen();
        ServerSocket sink = listen();
        ServerSocket source = listen();
        ServerSocket storm = listen();
        ServerSocket http = listen();
        daemon(() -> serveLoop(accept, pool, LoopbackServer::sink));
        // One connection at a time: platform threads, blocking in the kernel (no poller hand-offs).
        ExecutorService platform = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r);
            t.setDaemon(true);
            return t;
        });
        daemon(() -> serveLoop(sink, platform, LoopbackServer::sink));
        daemon(() -> serveLoop(source, platform, LoopbackServer::source));
        daemon(() -> serveLoop(storm, pool, LoopbackServer::storm));
        daemon(() -> serveLoop(http, pool, LoopbackServer::http));
        System.out.println("PORTS accept=" + accept.getLocalPort() + " sink=" + sink.getLocalPort()
                + " source=" + source.getLocalPort() + " storm=" + storm.getLocalPort() + " http=" + http.getLocalPort()
                + " virtualThreads=" + VirtualThreads.available());
        System.out.flush();
        Thread watchdog = daemon(() -> {
            try {
                Thread.sleep(maxMinutes * 60_000L);
            } catch (InterruptedException ignored) {
                // exit below
            }
            System.exit(0);
        });
        // Bounded by the runner: it closes our stdin when it is done (or dies).
        byte[] b = new byte[64];
        while (System.in.read(b) >= 0) {
            // ignore
        }
        System.exit(0);
    }

    private static ServerSocket listen() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(LOOPBACK, 0), 4096);
        return s;
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r);
        t.setDaemon(true);
        t.start();
        return t;
    }

    interface Handler {
        void handle(Socket s) throws Exception;
    }

    private static void serveLoop(ServerSocket server, ExecutorService pool, Handler handler) {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                pool.execute(() -> {
                    try (Socket c = s) {
                        handler.handle(c);
                    } catch (Exception e) {
                        // client went away
                    }
                });
            } catch (IOException e) {
                // keep serving
            }
        }
    }

    private static void sink(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[64 * 1024];
        while (in.read(buf) >= 0) {
            // discard
        }
    }

    private static void source(Socket s) throws IOException {
        OutputStream out = s.getOutputStream();
        byte[] buf = new byte[64 * 1024];
        for (;;) {
            out.write(buf); // ends with an exception when the client closes
        }
    }

    private static void storm(Socket s) throws Exception {
        s.setTcpNoDelay(true);
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] request = new byte[4];
        in.readFully(request);
        int delayMillis = ((request[0] & 0xff) << 24) | ((request[1] & 0xff) << 16) | ((request[2] & 0xff) << 8)
                | (request[3] & 0xff);
        if (delayMillis > 0) {
            Thread.sleep(delayMillis);
        }
        OutputStream out = s.getOutputStream();
        out.write(1);
        out.flush();
        // the server closes first: TIME_WAIT stays here, not on the client's ephemeral ports
    }

    /**
     * HTTP/1.1 keep-alive: one request after another on the connection until the client closes it
     * or asks {@code Connection: close}. The body names the path.
     */
    private static void http(Socket s) throws Exception {
        s.setTcpNoDelay(true);
        InputStream in = new java.io.BufferedInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        for (;;) {
            String requestLine = line(in);
            if (requestLine == null) {
                return;
            }
            boolean close = false;
            String header;
            while ((header = line(in)) != null && !header.isEmpty()) {
                if (header.toLowerCase(java.util.Locale.ROOT).startsWith("connection:") && header.contains("close")) {
                    close = true;
                }
            }
            if (header == null) {
                return;
            }
            String[] parts = requestLine.split(" ");
            String path = parts.length > 1 ? parts[1] : "/";
            if (path.startsWith("/drop")) {
                return; // closed without an answer
            }
            int q = path.indexOf("delay=");
            if (q >= 0) {
                int end = q + 6;
                while (end < path.length() && Character.isDigit(path.charAt(end))) {
                    end++;
                }
                long delay = Long.parseLong(path.substring(q + 6, end));
                if (delay > 0) {
                    Thread.sleep(delay);
                }
            }
            byte[] body = ("ok " + path).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                    + "\r\nKeep-Alive: timeout=5\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            if (close) {
                return;
            }
        }
    }

    /** One CRLF- (or LF-) terminated line, without its end; null at end of stream. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            if (sb.length() < 8192) {
                sb.append((char) c);
            }
        }
        return null;
    }
}
