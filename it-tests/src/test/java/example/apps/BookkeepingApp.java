package example.apps;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Opens and closes sockets every way the JDK allows, one scenario at a time, and prints at each
 * checkpoint how far the agent's count (MBean {@code OpenSockets}) and the kernel's (TCP socket
 * descriptors in {@code /proc/self/fd}, listening sockets left out) are from where the scenario
 * started. Knows nothing of the agent but the MBean's name.
 *
 * <p>Arg: the port of a loopback server that holds connections until the client closes them.
 * Output, one line per scenario: {@code scenario name=<n> <checkpoint>=<delta> <checkpoint>.fds=<delta>
 * ... after=<delta> after.fds=<delta>} plus scenario facts ({@code refused=1}, {@code timedOutMs=..}).
 */
public final class BookkeepingApp {

    private static InetSocketAddress server;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    interface Scenario {
        void run(Checkpoints c) throws Exception;
    }

    /** The checkpoints of one scenario, relative to its start. */
    static final class Checkpoints {
        final long agentBaseline = GateProbe.open();
        final int kernelBaseline = GateProbe.socketFds();
        final Map<String, Object> values = new LinkedHashMap<>();
        int listening;

        void mark(String name) {
            values.put(name, GateProbe.open() - agentBaseline);
            values.put(name + ".fds", GateProbe.socketFds() - listening - kernelBaseline);
        }

        void fact(String name, Object value) {
            values.put(name, value);
        }

        /**
         * Drops of the last reference are followed by GCs until the kernel has closed the descriptor
         * (the JDK's Cleaner), then until the agent's count is back (or 10 s have passed).
         */
        void awaitCollected(long expectedAgentDelta, int expectedKernelDelta) throws InterruptedException {
            long start = System.nanoTime();
            long deadline = start + 10_000_000_000L;
            long kernelAt = -1;
            while (System.nanoTime() - deadline < 0) {
                System.gc();
                Thread.sleep(50);
                boolean kernelDone = GateProbe.socketFds() - listening - kernelBaseline == expectedKernelDelta;
                if (kernelDone && kernelAt < 0) {
                    kernelAt = (System.nanoTime() - start) / 1_000_000;
                }
                if (kernelDone && GateProbe.open() - agentBaseline == expectedAgentDelta) {
                    break;
                }
            }
            fact("kernelClosedAfterMs", kernelAt);
            fact("waitedMs", (System.nanoTime() - start) / 1_000_000);
        }
    }

    public static void main(String[] args) throws Exception {
        server = new InetSocketAddress(LOOPBACK, Integer.parseInt(args[0]));
        if (!GateProbe.await(10_000)) {
            System.out.println("gate absent");
            System.exit(2);
        }
        // Load what the scenarios use before the first baseline (the JDK may open descriptors for it).
        SSLSocketFactory.getDefault();
        try (Socket warmUp = new Socket()) {
            warmUp.connect(server, 5000);
        }

        run("double-close", c -> {
            Socket s = new Socket();
            s.connect(server, 5000);
            c.mark("open");
            s.close();
            c.mark("closedOnce");
            s.close();
        });
        run("channel-adaptor-close", c -> {
            SocketChannel ch = SocketChannel.open(server);
            c.mark("open");
            ch.socket().close();
            c.fact("channelOpen", ch.isOpen() ? 1 : 0);
        });
        run("ssl-layered-close", c -> {
            Socket plain = new Socket();
            plain.connect(server, 5000);
            plain.setSoTimeout(3000);
            c.mark("plain");
            SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                    .createSocket(plain, server.getHostString(), server.getPort(), true);
            c.mark("layered");
            ssl.close();
            c.fact("plainClosed", plain.isClosed() ? 1 : 0);
        });
        run("refused-then-close", c -> {
            Socket s = new Socket();
            refusedConnect(s, c);
            c.mark("afterFailure");
            s.close();
        });
        run("refused-dropped-gc", c -> {
            Socket s = new Socket();
            refusedConnect(s, c);
            c.mark("afterFailure");
            s = null;
            c.awaitCollected(0, 0);
        });
        run("connect-timeout", c -> {
            try (ServerSocket full = new ServerSocket(0, 1, LOOPBACK)) { // never accepts
                c.listening = 1;
                List<Socket> fillers = new ArrayList<>();
                Socket victim = null;
                for (int i = 0; i < 20 && victim == null; i++) {
                    Socket s = new Socket();
                    long t0 = System.nanoTime();
                    try {
                        s.connect(full.getLocalSocketAddress(), 300);
                        fillers.add(s);
                    } catch (SocketTimeoutException e) {
                        c.fact("timedOutMs", (System.nanoTime() - t0) / 1_000_000);
                        victim = s;
                    }
                }
                c.fact("fillers", fillers.size());
                c.mark("afterTimeout");
                if (victim != null) {
                    victim.close();
                }
                c.mark("victimClosed");
                for (Socket f : fillers) {
                    f.close();
                }
            } finally {
                c.listening = 0;
            }
        });
        run("accepted-socket", c -> {
            try (ServerSocket listener = new ServerSocket(0, 50, LOOPBACK)) {
                c.listening = 1;
                Socket client = new Socket();
                client.connect(listener.getLocalSocketAddress(), 5000);
                Socket accepted = listener.accept();
                c.mark("both");
                client.close();
                c.mark("clientClosed");
                accepted.close();
                c.mark("acceptedClosed");
            } finally {
                c.listening = 0;
            }
        });
        run("accepted-channel", c -> {
            try (ServerSocketChannel listener = ServerSocketChannel.open()) {
                listener.bind(new InetSocketAddress(LOOPBACK, 0));
                c.listening = 1;
                SocketChannel client = SocketChannel.open(listener.getLocalAddress());
                SocketChannel accepted = listener.accept();
                c.mark("both");
                accepted.close();
                c.mark("acceptedClosed");
                client.close();
                c.mark("clientClosed");
            } finally {
                c.listening = 0;
            }
        });
        run("blocking-channel", c -> {
            SocketChannel ch = SocketChannel.open();
            c.mark("opened");
            ch.connect(server);
            c.mark("connected");
            ch.close();
        });
        run("sotimeout-before-connect", c -> {
            Socket s = new Socket();
            c.mark("new");
            s.setSoTimeout(1000);
            c.mark("optionSet");
            s.connect(server, 5000);
            c.mark("connected");
            s.close();
        });
        run("sotimeout-never-connected", c -> {
            Socket s = new Socket();
            s.setSoTimeout(1000);
            c.mark("optionSet");
            s.close();
        });
        // Near the end: its descriptor leaks for the rest of this process.
        run("channel-dropped-leaks", c -> {
            long leakedBefore = GateProbe.get("LeakedChannelsTotal");
            SocketChannel ch = SocketChannel.open(server);
            c.mark("open");
            ch = null;
            for (int i = 0; i < 10; i++) {
                System.gc();
                Thread.sleep(50);
            }
            c.fact("leakedChannelsDelta", GateProbe.get("LeakedChannelsTotal") - leakedBefore);
        });
        // Last: a unit the GC gives back late would otherwise land in another scenario.
        run("dropped-gc", c -> {
            Socket s = new Socket();
            s.connect(server, 5000);
            c.mark("open");
            s = null;
            c.awaitCollected(0, 0);
        });
        System.out.println("gate " + GateProbe.describe());
        System.out.println("done");
    }

    private static void refusedConnect(Socket s, Checkpoints c) throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, LOOPBACK)) {
            port = probe.getLocalPort(); // free again once closed: nobody listens there
        }
        try {
            s.connect(new InetSocketAddress(LOOPBACK, port), 2000);
            c.fact("refused", 0);
        } catch (ConnectException e) {
            c.fact("refused", 1);
        }
    }

    private static void run(String name, Scenario scenario) {
        StringBuilder line = new StringBuilder("scenario name=" + name);
        Checkpoints c = new Checkpoints();
        try {
            scenario.run(c);
        } catch (Throwable t) {
            c.fact("error", (t.getClass().getName() + ":" + t.getMessage()).replace(' ', '_'));
        }
        c.listening = 0;
        c.mark("after");
        for (Map.Entry<String, Object> e : c.values.entrySet()) {
            line.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        System.out.println(line);
    }
}
