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
 * </ul>
 * accept and storm connections are served on virtual threads where the JDK has them; sink and
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
        System.out.println("PORTS accept=" + accept.getLocalPort() + " sink=" + sink.getLocalPort()
                + " source=" + source.getLocalPort() + " storm=" + storm.getLocalPort()
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
}
